/**
 * TypeScript binding of the DITAv2 kernel (Rust → wasm32-unknown-unknown, plain C ABI; see
 * kernel/README.md "ABI"). One WebAssembly instance per Kernel (E6, F20, G30, P1): `dispose()`
 * drops it and any later call throws a KernelError with code DISPOSED.
 *
 * Stale-binary guard (docs/accounting.md §0.1, §8.3): `loadKernel` recomputes the SHA-256 of the
 * kernel sources in this checkout (kernel/source-hash.mjs) and refuses a .wasm whose manifest or
 * embedded hash differs, telling you to run `npm run build`.
 */
import { readFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { kernelSourceHash } from "./source-hash.mjs";
import { CODES, FixedScratch, STAGES, ScratchFull, decodeLedger, decodeOutcome, decodeSlotHead, decodeSlotOrders, encodeOrDefer } from "./typed.js";
import type { FeeRefImage, OrderRefImage, SlotHeadImage, SlotOrdersImage } from "./typed.js";
import { guardInput, guardOutcome } from "./input-guard.js";
import { deepFreeze } from "./freeze.js";
import type {
  AccountEvent,
  DiagnosticCode,
  Intent,
  KernelConfig,
  KernelSnapshot,
  LedgerSnapshot,
  MarkPrice,
  Outcome,
  ReconcileReport,
  SlotImage,
  Stage,
  TradeRecord,
  VenueEvent,
} from "./types.js";

const KERNEL_DIR = dirname(fileURLToPath(import.meta.url));
/** Default artifact written by `npm run build`. */
export const DEFAULT_WASM_PATH = join(KERNEL_DIR, "pkg", "dita_kernel.wasm");

/** An error thrown by the binding (DISPOSED, stale binary, refused getter input, ...). */
export class KernelError extends Error {
  readonly code: DiagnosticCode | "STALE_BINARY" | "MISSING_BINARY";
  readonly outcome?: Outcome;
  constructor(code: KernelError["code"], message: string, outcome?: Outcome) {
    super(message);
    this.name = "KernelError";
    this.code = code;
    this.outcome = outcome;
  }
}

/**
 * The kernel's state digest text checked to be what kernel/README.md "State digest" promises: 32
 * lowercase hex digits. Anything else (the kernel's "error: …" text when serialising the state
 * failed, or "" when no kernel exists on the instance) throws KernelError INTERNAL quoting it,
 * instead of being compared as a digest: two such texts would compare equal on both sides of an
 * idempotency probe.
 */
export function checkedDigest(text: string): string {
  if (/^[0-9a-f]{32}$/.test(text)) return text;
  throw new KernelError("INTERNAL", `stateDigest: the kernel returned ${JSON.stringify(text.slice(0, 200))}, not a 32-hex-digit digest`);
}

/** What `tradeRealized(tradeId)` returns: the figure a sizer learns from (docs/accounting.md §5.1). */
export interface TradeRealized {
  tradeId: string;
  realizedGrossUsdt: string;
  feesUsdt: string;
  /** gross − fees of this trade; unaffected by funding or foreign fills. */
  realizedNetUsdt: string;
  pnlSource: "exchange" | "kernel_estimate";
  closed: boolean;
}

/** Manifest written next to the .wasm by scripts/build-kernel.mjs. */
export interface KernelManifest {
  sourceHash: string;
  features: string[];
  wasmSha256: string;
  wasmBytes: number;
  rustc: string;
  abiVersion: number;
}

/** One record of a batch result (README "Batch ABI"). */
export interface BatchRecordResult {
  code: DiagnosticCode;
  accepted: boolean;
  /** Stage of the slot after the record, or null when no slot was touched. */
  stageAfter: Stage | null;
  slotId: number;
  routedByState: boolean;
  overfill: boolean;
}

export interface BatchResult {
  /** Records processed (a record with a broken length stops the batch). */
  count: number;
  /** Low 32 bits of the ledger eventSeq after the batch. */
  ledgerSeqLow32: number;
  /** Per-record code counts, e.g. { OK: 950, DUPLICATE_EVENT: 50 }. */
  codeCounts: Record<string, number>;
  /** Raw result bytes (8-byte records after an 8-byte header); decode with decodeBatchResult. */
  raw: Uint8Array;
}

export { CODES, STAGES };
export type { FeeRefImage, OrderRefImage, SlotHeadImage, SlotOrdersImage };

/** ABI method codes (`kernel_call`'s first argument = api::METHODS index + 1). */
export const METHOD = {
  processIntent: 1, onVenueEvent: 2, markPrice: 3, onAccountEvent: 4, anchorToExchange: 5,
  slot: 6, snapshot: 7, ledger: 8, trades: 9, tradeRealized: 10, saveState: 11, restoreState: 12,
  reconcile: 13,
} as const;

/** The module's exports (plain C ABI, README "ABI"). */
export interface Exports {
  memory: WebAssembly.Memory;
  alloc(len: number): number;
  dealloc(ptr: number, len: number): void;
  kernel_abi_version(): number;
  kernel_source_hash(): number;
  kernel_features(): number;
  kernel_create(ptr: number, len: number): number;
  kernel_call(method: number, ptr: number, len: number): number;
  kernel_batch(ptr: number, len: number): number;
  kernel_bench_stream(n: number, seed: number, slots: number): number;
  kernel_bench_config(slots: number): number;
  kernel_input_buf(cap: number): number;
  kernel_call_bin(method: number, len: number): number;
  kernel_state_digest(): number;
  kernel_slot(i: number): number;
  kernel_slot_head(i: number): number;
  kernel_slot_orders(i: number): number;
  kernel_ledger_bin(): number;
}

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads a length-prefixed result at `ptr`. WebAssembly returns i32 pointers as signed JS numbers:
 * above 2 GiB of linear memory they come back negative, so every pointer is read as unsigned.
 */
export function readResult(ex: Exports, signedPtr: number): Uint8Array {
  const ptr = signedPtr >>> 0;
  const view = new DataView(ex.memory.buffer);
  const len = view.getUint32(ptr, true);
  return new Uint8Array(ex.memory.buffer, ptr + 4, len).slice();
}

/**
 * The UTF-8 text of a length-prefixed result at `ptr`, decoded straight from module memory (no
 * intermediate copy: the text is a new string before the next kernel call can reuse the buffer).
 */
export function readResultText(ex: Exports, signedPtr: number): string {
  const ptr = signedPtr >>> 0; // unsigned: see readResult
  const len = new DataView(ex.memory.buffer).getUint32(ptr, true);
  return dec.decode(new Uint8Array(ex.memory.buffer, ptr + 4, len));
}

/** Copy `bytes` into module memory (alloc), run `f(ptr, len)`, free the buffer. */
export function withInput<T>(ex: Exports, bytes: Uint8Array, f: (ptr: number, len: number) => T): T {
  const len = bytes.length;
  const ptr = ex.alloc(len) >>> 0; // unsigned: see readResult
  new Uint8Array(ex.memory.buffer, ptr, len).set(bytes);
  try {
    return f(ptr, len);
  } finally {
    ex.dealloc(ptr, len);
  }
}

/**
 * Deep copy of a JSON-shaped image (plain objects, arrays, scalars), keys in the same order. The
 * binding caches images and hands every caller its own copy: images are values (A12, I17).
 */
function copyImage<T>(v: T): T {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) {
    const a = new Array(v.length);
    for (let i = 0; i < v.length; i++) a[i] = copyImage(v[i]);
    return a as T;
  }
  const o: Record<string, unknown> = {};
  for (const k in v as Record<string, unknown>) o[k] = copyImage((v as Record<string, unknown>)[k]);
  return o as T;
}

/** Initial size of a kernel's input arena (bytes): every hot input seen in the simulator is under 1 KiB; a larger record grows it. */
const ARENA_START_BYTES = 16 * 1024;

type Envelope<T> = { ok: true; value: T } | { ok: false; outcome: Outcome };

/**
 * One live kernel = one WebAssembly instance (reused after dispose: InstancePool). All money/quantity values are decimal strings (USDT,
 * base-coin quantity); times are integer microseconds carried by the inputs (types.ts).
 */
export class Kernel {
  #ex: Exports | null;
  /**
   * The typed calls' input arena (kernel_input_buf: pointer, capacity in bytes; 0 until the first
   * call) and the encoder's scratch laid over it, so a record is encoded where the kernel reads
   * it (no copy). The scratch is laid over the arena again when the arena moves (#growArena) or
   * the memory grows (its views then belong to the old, detached buffer).
   */
  readonly #scratch = new FixedScratch();
  #arenaPtr = 0;
  #arenaCap = 0;
  /** Views of the instance memory, renewed when memory grows. */
  #memBuf: ArrayBuffer | null = null;
  #memU8 = new Uint8Array(0);
  #memView = new DataView(new ArrayBuffer(0));
  /** Images still current (callers get copies): slot i until a call lists i in changedSlots; the ledger until ledgerSeq moves. */
  #slotCache: (SlotImage | undefined)[] = [];
  /** Slot heads still current, by the slot images' rule (frozen, shared with every caller). */
  #headCache: (SlotHeadImage | undefined)[] = [];
  /** Slot order views still current, by the same rule (frozen, shared with every caller). */
  #ordersCache: (SlotOrdersImage | undefined)[] = [];
  #ledgerCache: LedgerSnapshot | undefined;

  /** Hot calls through the JSON ABI instead of the typed one (KernelOptions.abi "json"). */
  readonly #jsonOnly: boolean;

  /** Called once by dispose(): hands the instance back to its module's pool. */
  readonly #release: (() => void) | undefined;

  /** @internal use KernelModule.create */
  constructor(ex: Exports, opts: KernelOptions = {}, release?: () => void) {
    this.#ex = ex;
    this.#jsonOnly = opts.abi === "json";
    this.#release = release;
  }

  #mem(ex: Exports): void {
    if (this.#memBuf !== ex.memory.buffer) {
      this.#memBuf = ex.memory.buffer;
      this.#memU8 = new Uint8Array(this.#memBuf);
      this.#memView = new DataView(this.#memBuf);
    }
  }

  /** Drop every cached image (cold calls: restore, reconcile, batches, anchors). */
  #invalidateAll(): void {
    this.#forgetSlots(undefined);
    this.#ledgerCache = undefined;
  }

  /** Drop the cached images, heads and order views of the slots `changed` lists (undefined: of every slot). */
  #forgetSlots(changed: readonly number[] | undefined): void {
    if (changed === undefined) {
      this.#slotCache = [];
      this.#headCache = [];
      this.#ordersCache = [];
      return;
    }
    for (const i of changed) {
      this.#slotCache[i] = undefined;
      this.#headCache[i] = undefined;
      this.#ordersCache[i] = undefined;
    }
  }

  /** Keep the caches current after an outcome (changedSlots, ledgerSeq). */
  #track(out: Outcome): Outcome {
    this.#forgetSlots(out.changedSlots);
    if (this.#ledgerCache !== undefined && this.#ledgerCache.eventSeq !== out.ledgerSeq) this.#ledgerCache = undefined;
    return out;
  }

  /**
   * A hot call through the typed binary ABI (README "ABI"); inputs without a binary form (see
   * typed.ts encodeFields) go through the JSON path, so both meet the same parser.
   */
  #hot(method: "processIntent" | "onVenueEvent" | "markPrice" | "onAccountEvent", input: unknown, code: DiagnosticCode): Outcome {
    const ex = this.#live();
    // An input with a binary form passes the input guard by construction (typed.ts encodeFields);
    // every other input is judged by the guard (kernel/input-guard.ts) before the JSON path.
    const len = this.#jsonOnly ? -1 : this.#encodeInArena(ex, input);
    if (len < 0) {
      const g = guardInput(input, true);
      if (g) return { ...guardOutcome(code, g, this.ledger().eventSeq), changedSlots: [] };
      return this.#track(this.#outcome(method, input, code));
    }
    const ptr = ex.kernel_call_bin(METHOD[method], len) >>> 0;
    this.#mem(ex);
    return this.#track(decodeOutcome(this.#memU8, this.#memView, ptr + 4));
  }

  /**
   * Encode `input` (typed.ts encodeOrDefer) straight into the kernel's input arena; returns its
   * length, or -1 when it has no binary form. An arena too small for the record (ScratchFull) is
   * grown to at least the bytes the encoder asked for and the record encoded again.
   */
  #encodeInArena(ex: Exports, input: unknown): number {
    if (this.#arenaCap === 0) this.#growArena(ex, ARENA_START_BYTES);
    for (;;) {
      this.#mem(ex);
      if (this.#scratch.bytes.buffer !== this.#memBuf) this.#layScratch();
      try {
        return encodeOrDefer(this.#scratch, input);
      } catch (err) {
        if (!(err instanceof ScratchFull)) throw err;
        this.#growArena(ex, Math.max(err.needed, this.#arenaCap * 2));
      }
    }
  }

  /** Make the input arena at least `cap` bytes (kernel_input_buf; it may move, the memory may grow) and lay the scratch over it. */
  #growArena(ex: Exports, cap: number): void {
    this.#arenaCap = cap;
    this.#arenaPtr = ex.kernel_input_buf(cap) >>> 0;
    this.#mem(ex);
    this.#layScratch();
  }

  /** Point the encoder's scratch at the input arena in the current memory views. */
  #layScratch(): void {
    this.#scratch.over(this.#memBuf as ArrayBuffer, this.#arenaPtr, this.#arenaCap);
  }

  #live(): Exports {
    if (this.#ex === null) {
      throw new KernelError("DISPOSED", "kernel used after dispose(): create a new Kernel (F20, G30, P1)");
    }
    return this.#ex;
  }

  #call<T>(method: keyof typeof METHOD, input: unknown): Envelope<T> {
    const ex = this.#live();
    // restoreState takes the saveState text as is; every other input is JSON-encoded after the
    // input guard (kernel/input-guard.ts) passed it: no NaN/±Infinity, BigInt, cycle ... is left
    // for JSON.stringify to rewrite or throw on (G26, Q7, issue 11).
    const text = method === "restoreState" ? (input as string) : JSON.stringify(input ?? null);
    const out = withInput(ex, enc.encode(text), (p, l) => readResultText(ex, ex.kernel_call(METHOD[method], p, l)));
    return JSON.parse(out) as Envelope<T>;
  }

  /** Guard `input` (refusal → an outcome with `code` naming the field), then call the kernel. */
  #outcome(method: keyof typeof METHOD, input: unknown, code: DiagnosticCode): Outcome {
    const r = method === "restoreState"
      ? typeof input === "string" ? null : { field: "state", value: typeof input, reason: "restoreState takes the text saveState() returned" }
      : guardInput(input, true);
    if (r) return guardOutcome(code, r, this.#get<LedgerSnapshot>("ledger", null).eventSeq);
    const env = this.#call<Outcome>(method, input);
    if (!env.ok) return env.outcome;
    return env.value;
  }

  #get<T>(method: keyof typeof METHOD, input: unknown): T {
    const env = this.#call<T>(method, input);
    if (!env.ok) throw new KernelError(env.outcome.code, env.outcome.message, env.outcome);
    return env.value;
  }

  /** Apply an intent (ENTER / EXIT / EXIT_RESIDUAL / CANCEL). Commands to carry are in the Outcome. */
  processIntent(intent: Intent): Outcome {
    return this.#hot("processIntent", intent, "INVALID_INTENT");
  }
  /** Apply a normalised venue event (routing by order identity, docs/accounting.md §6.1-6.2). */
  onVenueEvent(ev: VenueEvent): Outcome {
    return this.#hot("onVenueEvent", ev, "INVALID_EVENT");
  }
  /** Mark price: unrealized PnL only, never an entry basis (A4). */
  markPrice(m: MarkPrice): Outcome {
    return this.#hot("markPrice", m, "INVALID_EVENT");
  }
  /** BALANCE (anchor), FILL_SETTLED (exchange repair / provenance), FUNDING (docs/accounting.md §3, §5.2). */
  onAccountEvent(ev: AccountEvent): Outcome {
    return this.#hot("onAccountEvent", ev, "INVALID_EVENT");
  }
  /**
   * Anchor capital to the exchange wallet (docs/accounting.md §3.1): capital := walletBalanceUsdt,
   * capitalSource "e_anchored". Missing / zero / negative / non-decimal wallet → ANCHOR_REJECTED (L5).
   * `eventSeq` is the caller's sequence of the balance fact (recorded, not interpreted).
   */
  anchorToExchange(walletBalanceUsdt: string | undefined, availableMarginUsdt: string | undefined, eventSeq: number): Outcome {
    this.#invalidateAll();
    return this.#outcome("anchorToExchange", { walletBalanceUsdt, availableMarginUsdt, eventSeq }, "ANCHOR_REJECTED");
  }
  /**
   * Image of slot i (a fresh copy per call; read from the kernel only after a call listed i in
   * `changedSlots`); throws KernelError INVALID_SLOT when out of range or not a safe integer.
   */
  slot(i: number): SlotImage {
    return copyImage(this.#cachedSlot(i) ?? this.#readSlot(i));
  }
  /**
   * Image of slot i shared with every caller (deep-frozen, no copy; never mutate it): the same
   * image `slot(i)` copies, current by the same rule (`changedSlots`). For a caller that keeps
   * images itself (sim/kernel-host.ts). Throws KernelError INVALID_SLOT as `slot` does.
   */
  sharedSlot(i: number): SlotImage {
    return deepFreeze(this.#cachedSlot(i) ?? this.#readSlot(i));
  }
  /**
   * Head of slot i (typed.ts SlotHeadImage: stage, trade id, symbol, side, sizes, realized PnL,
   * live orders' filled quantities, leg and fee-unconfirmed counts), with the same values as
   * `slot(i)`'s image, read from the kernel's binary slot head (kernel/README.md "ABI") without
   * building the image. Frozen and shared, current by the images' rule (`changedSlots`). Throws
   * KernelError INVALID_SLOT as `slot` does.
   */
  slotHead(i: number): SlotHeadImage {
    const hit = this.#cachedView(this.#headCache, i);
    if (hit !== undefined) return hit;
    const h = Object.freeze(this.#readSlotBin(i, "slotHead", (ex) => ex.kernel_slot_head(i), decodeSlotHead));
    this.#headCache[i] = h;
    return h;
  }
  /**
   * Order view of slot i (typed.ts SlotOrdersImage: stage, symbol, the live entry / exit orders'
   * ids and type, the orders whose fee is unconfirmed), with the same values as `slot(i)`'s image,
   * read from the kernel's binary order view (kernel/README.md "ABI", `kernel_slot_orders`)
   * without building the image. For the venue connector's reconcile rounds and watchdog
   * (venues/connector/ports.ts SlotOrders). Frozen and shared, current by the images' rule
   * (`changedSlots`). Throws KernelError INVALID_SLOT as `slot` does.
   */
  slotOrders(i: number): SlotOrdersImage {
    const hit = this.#cachedView(this.#ordersCache, i);
    if (hit !== undefined) return hit;
    const v = deepFreeze(this.#readSlotBin(i, "slotOrders", (ex) => ex.kernel_slot_orders(i), decodeSlotOrders));
    this.#ordersCache[i] = v;
    return v;
  }
  /** The cached binary view of slot i in `cache` (undefined: not cached); throws INVALID_SLOT on a non-integer i. */
  #cachedView<T>(cache: (T | undefined)[], i: number): T | undefined {
    Kernel.#checkIndex(i);
    return i >= 0 ? cache[i] : undefined;
  }
  /**
   * Decode a binary slot view the export `read` leaves in the result buffer. 0 bytes back (not a
   * slot): the image read throws the kernel's own refusal (INVALID_SLOT naming the value).
   */
  #readSlotBin<T>(i: number, what: string, read: (ex: Exports) => number, decode: (b: Uint8Array, v: DataView, off: number) => T): T {
    const ex = this.#live();
    const ptr = i >= 0 && i <= 0xffffffff ? read(ex) >>> 0 : -1;
    this.#mem(ex);
    if (ptr < 0 || this.#memView.getUint32(ptr, true) === 0) {
      this.#readSlot(i);
      throw new KernelError("INTERNAL", `${what}(${i}): the kernel has an image of slot ${i} but no binary view`);
    }
    return decode(this.#memU8, this.#memView, ptr + 4);
  }
  /** The cached image of slot i (undefined: not cached); throws INVALID_SLOT on a non-integer i. */
  #cachedSlot(i: number): SlotImage | undefined {
    return this.#cachedView(this.#slotCache, i);
  }
  /** Throws KernelError INVALID_SLOT naming the value unless `i` is a safe integer. */
  static #checkIndex(i: number): void {
    if (typeof i !== "number" || !Number.isSafeInteger(i)) {
      const o = guardOutcome("INVALID_SLOT", { field: "slotId", value: typeof i === "bigint" ? `${i}n` : String(i), reason: "must be a safe integer slot index" });
      throw new KernelError("INVALID_SLOT", o.message, o);
    }
  }
  /** Read slot i from the kernel into the cache; returns the cached image itself (callers copy or freeze it). */
  #readSlot(i: number): SlotImage {
    const ex = this.#live();
    // kernel_slot takes a u32: anything outside goes through the JSON API (range-checked as i64)
    if (i < 0 || i > 0xffffffff) return this.#get<SlotImage>("slot", i);
    const env = JSON.parse(readResultText(ex, ex.kernel_slot(i))) as Envelope<SlotImage>;
    if (!env.ok) throw new KernelError(env.outcome.code, env.outcome.message, env.outcome);
    this.#slotCache[i] = env.value;
    return env.value;
  }
  /** Slots, ledger, trades and anomalies in one consistent snapshot. */
  snapshot(): KernelSnapshot {
    return this.#get<KernelSnapshot>("snapshot", null);
  }
  /** The current immutable ledger snapshot (a new object per call; eventSeq versioned). */
  ledger(): LedgerSnapshot {
    if (this.#ledgerCache !== undefined) return { ...this.#ledgerCache };
    const ex = this.#live();
    const ptr = ex.kernel_ledger_bin() >>> 0;
    this.#mem(ex);
    const l = decodeLedger(this.#memU8, this.#memView, ptr + 4);
    this.#ledgerCache = l;
    return { ...l };
  }
  /** Trade records: archived trades (re-entered slots) first, then trades held by slots. */
  trades(): TradeRecord[] {
    return this.#get<TradeRecord[]>("trades", null);
  }
  /** Booked realized of one trade (docs/accounting.md §5.1), or undefined when the trade is unknown. */
  tradeRealized(tradeId: string): TradeRealized | undefined {
    const r = typeof tradeId === "string" ? guardInput(tradeId) : { field: "tradeId", value: typeof tradeId, reason: "must be a string" };
    if (r) {
      const o = guardOutcome("INVALID_INTENT", r);
      throw new KernelError("INVALID_INTENT", o.message, o);
    }
    const v = this.#get<TradeRealized | null>("tradeRealized", tradeId);
    return v === null ? undefined : v;
  }
  /** Serialised kernel state (slots incl. seen event ids and settle baselines, ledger, trades). */
  saveState(): string {
    return this.#get<string>("saveState", null);
  }
  /** Restore a saveState() text after validation (Flaw 11, G8, J7, G14); INVALID_STATE if refused. */
  restoreState(json: string): Outcome {
    this.#invalidateAll();
    const o = this.#outcome("restoreState", json, "INVALID_STATE");
    this.#invalidateAll();
    return o;
  }
  /**
   * Digest of the canonical state (kernel/README.md "State digest": SipHash-2-4-128, key
   * 0x00..0x0f, over the saveState text with sourceHash ""), 32 hex digits, computed inside the kernel without exporting the
   * state. Equal digests ⇔ equal saved states (up to hash collisions): what idempotency probes compare.
   */
  stateDigest(): string {
    const ex = this.#live();
    return checkedDigest(readResultText(ex, ex.kernel_state_digest()));
  }
  /**
   * Reconcile with venue truth; resumes STALE_STATE_RECONCILING slots (Flaw 11, I14). The cached
   * slot images are dropped by the outcome's `changedSlots` like a hot call's (every slot when the
   * outcome has none: a refusal), the cached ledger always: a reconcile round that changed nothing
   * leaves the images current, so the connector's next read of every slot is not a JSON image
   * each (issue 12 profile, session 11: 2.6 % of a soak).
   */
  reconcile(report: ReconcileReport): Outcome {
    const o = this.#outcome("reconcile", report, "INVALID_STATE");
    this.#ledgerCache = undefined;
    return this.#track(o);
  }
  /**
   * Hot path: process a batch of binary records (encodeVenueEvents / the bench stream).
   * Per-record results are summarised in codeCounts and available raw.
   */
  processBatch(records: Uint8Array): BatchResult {
    const ex = this.#live();
    this.#invalidateAll();
    const raw = withInput(ex, records, (p, l) => readResult(ex, ex.kernel_batch(p, l)));
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const count = view.getUint32(0, true);
    const codeCounts: Record<string, number> = {};
    for (let i = 0; i < count; i++) {
      const c = CODES[raw[8 + i * 8]] ?? "INTERNAL";
      codeCounts[c] = (codeCounts[c] ?? 0) + 1;
    }
    return { count, ledgerSeqLow32: view.getUint32(4, true), codeCounts, raw };
  }
  /**
   * Bytes of this kernel's WebAssembly linear memory (whole 64 KiB pages; it grows and never
   * shrinks, so this is the kernel heap's high-water mark). The RSS probe reports it per checkpoint
   * (cli/rss-probe.ts, issue 12). Throws KernelError DISPOSED after dispose().
   */
  memoryBytes(): number {
    return this.#live().memory.buffer.byteLength;
  }
  /**
   * Release the WebAssembly instance; every later call throws KernelError DISPOSED. Idempotent.
   * The instance goes back to its module for a later `create` unless it trapped (InstancePool).
   */
  dispose(): void {
    if (this.#ex === null) return;
    this.#ex = null;
    this.#invalidateAll();
    this.#release?.();
  }
  /** True once dispose() was called. */
  get disposed(): boolean {
    return this.#ex === null;
  }
}

/** Decode the per-record results of a batch. */
export function decodeBatchResult(raw: Uint8Array): BatchRecordResult[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const count = view.getUint32(0, true);
  const out: BatchRecordResult[] = [];
  for (let i = 0; i < count; i++) {
    const o = 8 + i * 8;
    out.push({
      code: CODES[raw[o]] ?? "INTERNAL",
      accepted: raw[o + 1] === 1,
      stageAfter: raw[o + 2] === 255 ? null : (STAGES[raw[o + 2]] ?? null),
      routedByState: (raw[o + 3] & 1) !== 0,
      overfill: (raw[o + 3] & 2) !== 0,
      slotId: view.getInt32(o + 4, true),
    });
  }
  return out;
}

const VENUE_KIND_CODE: Record<VenueEvent["kind"], number> = {
  ORDER_ACK: 0, PARTIAL_FILL: 1, FULL_FILL: 2, CANCEL_ACK: 3, CANCEL_REJECT: 4, ORDER_REJECT: 5, RATE_LIMITED: 6,
};

function decimalParts(field: string, s: string): [bigint, number] {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) throw new KernelError("INVALID_EVENT", `${field} ${JSON.stringify(s)}: not a plain decimal string`);
  const frac = m[3] ?? "";
  if (frac.length > 20) throw new KernelError("INVALID_EVENT", `${field} ${s}: more than 20 decimal places`);
  const mant = BigInt((m[1] ?? "") + m[2] + frac);
  if (mant > 9223372036854775807n || mant < -9223372036854775808n) {
    throw new KernelError("INVALID_EVENT", `${field} ${s}: does not fit the batch ABI's i64 mantissa; use onVenueEvent`);
  }
  return [mant, frac.length];
}

/**
 * Encode venue events into batch records (README "Batch ABI"). `reason` is not carried (JSON path
 * only). Throws KernelError INVALID_EVENT naming the field for values the binary layout cannot hold.
 */
export function encodeVenueEvents(events: VenueEvent[]): Uint8Array {
  const parts = events.map((ev, i) => encodeVenueEvent(ev, i));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** The batch record of `events[i]` (README "Batch ABI"); errors as encodeVenueEvents. */
function encodeVenueEvent(ev: VenueEvent, i: number): Uint8Array {
  const bad = guardInput(ev, true);
  if (bad) throw new KernelError("INVALID_EVENT", `events[${i}].${bad.field} ${bad.value}: ${bad.reason}`);
  const strs = [ev.eventId, ev.symbol, ev.venueOrderId ?? "", ev.clientOrderId ?? ""].map((s) => enc.encode(s));
  strs.forEach((b, i) => {
    if (b.length > 255) throw new KernelError("INVALID_EVENT", `${["eventId", "symbol", "venueOrderId", "clientOrderId"][i]}: longer than 255 bytes`);
  });
  const len = 56 + strs.reduce((a, b) => a + b.length, 0);
  const rec = new Uint8Array(len);
  const v = new DataView(rec.buffer);
  v.setUint32(0, len, true);
  rec[4] = VENUE_KIND_CODE[ev.kind];
  if (rec[4] === undefined) throw new KernelError("INVALID_EVENT", `kind ${String(ev.kind)}: unknown`);
  rec[5] = writeOptionalFields(ev, rec, v);
  strs.forEach((b, i) => (rec[6 + i] = b.length));
  v.setBigInt64(16, BigInt(ev.tsUs), true);
  let off = 56;
  for (const b of strs) {
    rec.set(b, off);
    off += b.length;
  }
  return rec;
}

/**
 * Writes the event's optional fields into its record (quantity, price and fee as i64 mantissa +
 * scale, slot hint, venue code, retry-after) and returns the flags byte that says which are there
 * and which quantity / fee is CUMULATIVE (README "Batch ABI"; a fee is cumulative by its feeMode,
 * else like the quantity).
 */
function writeOptionalFields(ev: VenueEvent, rec: Uint8Array, v: DataView): number {
  const putDecimal = (field: string, value: string, mantOff: number, scaleAt: number) => {
    const [m, s] = decimalParts(field, value);
    v.setBigInt64(mantOff, m, true);
    rec[scaleAt] = s;
  };
  let flags = 0;
  if (ev.fillQty !== undefined) {
    putDecimal("fillQty", ev.fillQty, 24, 10);
    flags |= 1;
  }
  if (ev.quantityMode === "CUMULATIVE") flags |= 2;
  if (ev.fillPrice !== undefined) {
    putDecimal("fillPrice", ev.fillPrice, 32, 11);
    flags |= 4;
  }
  if (ev.feeUsdt !== undefined) {
    putDecimal("feeUsdt", ev.feeUsdt, 40, 12);
    flags |= 8;
  }
  const feeCumulative = ev.feeMode ? ev.feeMode === "CUMULATIVE" : ev.quantityMode === "CUMULATIVE";
  if (feeCumulative) flags |= 16;
  if (ev.slotHint !== undefined) {
    rec[13] = ev.slotHint;
    flags |= 32;
  }
  if (ev.venueCode !== undefined) {
    v.setInt32(48, ev.venueCode, true);
    flags |= 64;
  }
  if (ev.retryAfterMs !== undefined) {
    v.setUint32(52, ev.retryAfterMs, true);
    flags |= 128;
  }
  return flags;
}

/** Options of one Kernel. */
export interface KernelOptions {
  /**
   * ABI of the hot calls (processIntent, onVenueEvent, markPrice, onAccountEvent): "typed" (default,
   * binary records, README "ABI") or "json" (the JSON text ABI; for debugging and the differential
   * test that proves both refuse and accept the same inputs).
   */
  abi?: "typed" | "json";
}

/** A loaded, verified kernel module: creates Kernels (one instance each). */
export interface KernelModule {
  /** The artifact's manifest (source hash, features). */
  readonly manifest: KernelManifest;
  /** Create a kernel; throws KernelError (code INVALID_INTENT, message naming the field) on a bad config. */
  create(config: KernelConfig, opts?: KernelOptions): Kernel;
  /** The deterministic benchmark stream and its KernelConfig (same bytes as the native bench). */
  benchStream(events: number, seed?: number, slots?: number): { config: KernelConfig; records: Uint8Array };
}

function instantiate(module: WebAssembly.Module): Exports {
  const inst = new WebAssembly.Instance(module, {});
  return inst.exports as unknown as Exports;
}

/** An instance's exports as a {@link Kernel} uses them, with `trapped` set once any export threw. */
export type GuardedExports = Exports & { trapped: boolean };

/**
 * The exports of a new instance of `module`, each function wrapped to set `trapped` when it throws
 * (a WebAssembly trap: the Rust kernel aborts with `panic = "abort"`, possibly in the middle of
 * changing its allocator or statics). An instance that trapped is never reused ({@link InstancePool}).
 * Each wrapper has its export's own arity, so the call into WebAssembly stays a direct one.
 */
export function guardedInstance(module: WebAssembly.Module): GuardedExports {
  const raw = instantiate(module) as unknown as Record<string, unknown>;
  const g: Record<string, unknown> = { trapped: false };
  for (const name of Object.keys(raw)) {
    const f = raw[name];
    if (typeof f !== "function") {
      g[name] = f;
      continue;
    }
    const fn = f as (...a: number[]) => number;
    const mark = (e: unknown): never => {
      g.trapped = true;
      throw e;
    };
    g[name] =
      fn.length === 0 ? () => { try { return fn(); } catch (e) { return mark(e); } }
      : fn.length === 1 ? (a: number) => { try { return fn(a); } catch (e) { return mark(e); } }
      : fn.length === 2 ? (a: number, b: number) => { try { return fn(a, b); } catch (e) { return mark(e); } }
      : fn.length === 3 ? (a: number, b: number, c: number) => { try { return fn(a, b, c); } catch (e) { return mark(e); } }
      : (...a: number[]) => { try { return fn(...a); } catch (e) { return mark(e); } };
  }
  return g as unknown as GuardedExports;
}

/**
 * Instances of one module whose kernels were disposed, kept for the next `create` (issue 12: a
 * chaos seed restarts its kernel several times, and a new instance — 17 pages of memory, the data
 * segments, the allocator's first growth — was about 0.5 ms of each restart). `kernel_create`
 * replaces the instance's whole kernel (kernel/src/abi.rs: the one `KERNEL` static; the input and
 * result buffers keep only their capacity), so a reused instance behaves as a new one: no output
 * depends on where the allocator puts a block. Never pooled: an instance that trapped. At most
 * {@link POOL_MAX} instances are kept, each with the memory its last kernel grew to.
 */
export class InstancePool {
  private readonly idle: GuardedExports[] = [];
  constructor(private readonly module: WebAssembly.Module) {}
  take(): GuardedExports {
    return this.idle.pop() ?? guardedInstance(this.module);
  }
  give(ex: GuardedExports): void {
    if (!ex.trapped && this.idle.length < POOL_MAX) this.idle.push(ex);
  }
}

/** Idle instances an {@link InstancePool} keeps (a run holds one live kernel; a restart needs one more). */
const POOL_MAX = 2;

/**
 * Load and verify a kernel artifact. Default: kernel/pkg/dita_kernel.wasm built by `npm run build`.
 * `wasmPath` may point at a mutant artifact built with `--features mutant_x --out path.wasm`;
 * its manifest (path.json) must match the checkout's sources hashed with its feature list.
 * Throws KernelError MISSING_BINARY / STALE_BINARY with the command to run.
 */
export async function loadKernel(opts: { wasmPath?: string } = {}): Promise<KernelModule> {
  const wasmPath = resolve(opts.wasmPath ?? DEFAULT_WASM_PATH);
  const manifestPath = wasmPath.replace(/\.wasm$/, ".json");
  if (!existsSync(wasmPath) || !existsSync(manifestPath)) {
    throw new KernelError("MISSING_BINARY", `kernel artifact ${wasmPath} (or its manifest) is missing: run \`npm run build\``);
  }
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as KernelManifest;
  const expected = kernelSourceHash(KERNEL_DIR, manifest.features ?? []);
  if (manifest.sourceHash !== expected) {
    throw new KernelError(
      "STALE_BINARY",
      `stale kernel binary ${wasmPath}: built from sources ${manifest.sourceHash.slice(0, 12)}, checkout is ${expected.slice(0, 12)}; run \`npm run build\` (docs/accounting.md §0.1, §8.3)`,
    );
  }
  const bytes = readFileSync(wasmPath);
  const module = await WebAssembly.compile(bytes);
  const probe = instantiate(module);
  const pool = new InstancePool(module);
  const embedded = readResultText(probe, probe.kernel_source_hash());
  if (embedded !== expected) {
    throw new KernelError(
      "STALE_BINARY",
      `kernel binary ${wasmPath} embeds source hash ${embedded.slice(0, 12)}, checkout is ${expected.slice(0, 12)}; run \`npm run build\``,
    );
  }
  if (probe.kernel_abi_version() !== 1) {
    throw new KernelError("STALE_BINARY", `kernel ABI ${probe.kernel_abi_version()} != 1; run \`npm run build\``);
  }
  return {
    manifest,
    create(config: KernelConfig, opts?: KernelOptions): Kernel {
      const bad = guardInput(config, true);
      if (bad) {
        const o = guardOutcome("INVALID_INTENT", bad, 0);
        throw new KernelError("INVALID_INTENT", o.message, o);
      }
      const ex = pool.take();
      const res = withInput(ex, enc.encode(JSON.stringify(config)), (p, l) => readResultText(ex, ex.kernel_create(p, l)));
      const env = JSON.parse(res) as { ok: true } | { ok: false; outcome: Outcome };
      if (!env.ok) {
        // A refused config leaves the instance's previous kernel (or none) in place: reusable.
        pool.give(ex);
        throw new KernelError(env.outcome.code, env.outcome.message, env.outcome);
      }
      return new Kernel(ex, opts, () => pool.give(ex));
    },
    benchStream(events: number, seed = 42, slots = 10) {
      const records = readResult(probe, probe.kernel_bench_stream(events, seed, slots));
      const config = JSON.parse(readResultText(probe, probe.kernel_bench_config(slots))) as KernelConfig;
      return { config, records };
    },
  };
}
