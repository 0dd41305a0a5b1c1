/**
 * Codec of the typed binary ABI (kernel/README.md "ABI", typed calls; Rust side kernel/src/typed.rs).
 *
 * - `encodeFields` writes one input object (Intent, VenueEvent, MarkPrice, AccountEvent) as a binary
 *   field record: the same keys and values its JSON text would carry. Only inputs made of
 *   strings, safe integers, booleans and arrays of strings (an ENTER's `exitLegRatios`) have a
 *   binary form; anything else (null, other arrays, NaN, BigInt, non-plain objects, strings over
 *   65,535 bytes, more than 16 fields) returns -1 and the
 *   binding sends the JSON text instead, so every malformed input meets exactly the JSON parser's
 *   diagnostics. Both paths are judged by the same Rust parser (fields.rs `Obj`).
 * - `decodeOutcome` reads a binary outcome (typed.rs `encode_outcome`) into the same `Outcome`
 *   object the JSON path gives (keys in the same, sorted order), plus `changedSlots`.
 */
import { Buffer } from "node:buffer";
import type { DiagnosticCode, LedgerSnapshot, OrderImage, OrderType, Outcome, PositionSide, Severity, SlotImage, Stage, Transition, VenueCommand } from "./types.js";

/** Diagnostic codes in Rust enum order (binary code = index). */
export const CODES: DiagnosticCode[] = [
  "OK", "INVALID_INTENT", "INVALID_EVENT", "INVALID_SLOT", "SLOT_BUSY", "DUPLICATE_TRADE_ID",
  "NO_ACTIVE_ORDER", "NO_POSITION", "ZERO_SIZE_EXIT", "INVALID_TRANSITION", "DUPLICATE_EVENT",
  "UNRESOLVED_SLOT", "STALE_EVENT", "OVERFILL", "STALE_STATE", "VENUE_REJECTED", "RATE_LIMITED",
  "ANCHOR_REJECTED", "PNL_ANOMALY", "RECONCILE_MISMATCH", "INVALID_STATE", "DISPOSED", "INTERNAL",
];
/** Stages by binary stage code. */
export const STAGES: Stage[] = [
  "IDLE", "ORDER_REQUESTED", "ENTRY_WORKING", "POSITION_OPEN", "EXIT_REQUESTED", "EXIT_WORKING",
  "CLOSED", "STALE_STATE_RECONCILING",
];
const SEVERITIES: Severity[] = ["INFO", "WARNING", "ERROR", "CRITICAL"];
const TIFS = ["GTC", "IOC", "FOK", "POST_ONLY"] as const;

/** Most fields a binary record carries (typed.rs MAX_BIN_FIELDS). */
export const MAX_BIN_FIELDS = 16;
const TAG_STR = 1;
const TAG_INT = 2;
const TAG_TRUE = 3;
const TAG_FALSE = 4;
const TAG_STRS = 5;

const utf8 = new TextEncoder();
const utf8d = new TextDecoder("utf-8", { fatal: true });

/** A growable scratch buffer the encoder writes into (reused across calls). */
export class Scratch {
  bytes = new Uint8Array(1024);
  view = new DataView(this.bytes.buffer);
  /** Make room for `n` bytes from the start (contents kept). May throw {@link ScratchFull} (subclasses). */
  ensure(n: number): void {
    if (n <= this.bytes.length) return;
    const b = new Uint8Array(Math.max(n, this.bytes.length * 2));
    b.set(this.bytes);
    this.bytes = b;
    this.view = new DataView(b.buffer);
  }
}

/** Thrown by a fixed-size scratch ({@link FixedScratch}) asked for more than it holds; `needed` bytes. */
export class ScratchFull extends Error {
  constructor(readonly needed: number) {
    super(`encoder scratch full: ${needed} bytes needed`);
  }
}

/**
 * A scratch of fixed size over memory someone else owns: the kernel's input arena inside the
 * WebAssembly memory (kernel/index.ts), so a record is encoded where the kernel reads it, with no
 * copy (issue 11 per-call profile). `ensure` beyond the size throws {@link ScratchFull}: the
 * caller grows the arena and encodes again.
 */
export class FixedScratch extends Scratch {
  /** Point at `size` bytes of `buffer` from `offset` (views renewed; nothing copied). */
  over(buffer: ArrayBuffer, offset: number, size: number): void {
    this.bytes = new Uint8Array(buffer, offset, size);
    this.view = new DataView(buffer, offset, size);
  }
  override ensure(n: number): void {
    if (n > this.bytes.length) throw new ScratchFull(n);
  }
}

/** A lone UTF-16 surrogate (kernel/input-guard.ts refuses it: UTF-8 would turn it into U+FFFD). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Writes `s` at `off` as UTF-8; returns the byte length, or -1 beyond `max` bytes or when `s`
 * holds a lone surrogate (no binary form: the input guard refuses it on the JSON path).
 */
function putString(sc: Scratch, off: number, s: string, max: number): number {
  const n = s.length;
  sc.ensure(off + n * 3);
  const b = sc.bytes;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    b[off + i] = c;
  }
  let len = i;
  if (i < n) {
    if (LONE_SURROGATE.test(s)) return -1;
    len = i + utf8.encodeInto(s.slice(i), b.subarray(off + i)).written;
  }
  return len > max ? -1 : len;
}

/**
 * Writes `a` as a tag-5 value (u8 count, then per element u16 length + UTF-8) at `off`; returns
 * the offset after it, or -1 when `a` has no binary form: not a plain array, more than 255
 * elements, an element that is not a string (holes included) or longer than 65,535 bytes.
 */
function putStrings(sc: Scratch, off: number, a: unknown[]): number {
  if (Object.getPrototypeOf(a) !== Array.prototype || a.length > 255) return -1;
  sc.bytes[off] = TAG_STRS;
  sc.bytes[off + 1] = a.length;
  let at = off + 2;
  for (let i = 0; i < a.length; i++) {
    const s = a[i];
    if (typeof s !== "string") return -1;
    sc.ensure(at + 2);
    const sl = putString(sc, at + 2, s, 65535);
    if (sl < 0) return -1;
    sc.view.setUint16(at, sl, true);
    at += 2 + sl;
  }
  sc.ensure(at + 12);
  return at;
}

/** True for a plain object (what JSON.stringify writes as an object with its own keys). */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** UTF-8 bytes of field names seen so far (the inputs use a few dozen keys; bounded). */
const KEY_BYTES = new Map<string, Uint8Array>();
const KEY_CACHE_MAX = 256;

/**
 * The UTF-8 bytes of field name `k`, or null beyond 255 bytes. Cached: every hot call writes the
 * same handful of keys, and encoding them each time was the largest JS cost of a call (issue 11
 * per-call profile).
 */
function keyBytes(k: string): Uint8Array | null {
  const hit = KEY_BYTES.get(k);
  if (hit !== undefined) return hit;
  const b = utf8.encode(k);
  if (b.length > 255) return null;
  if (KEY_BYTES.size < KEY_CACHE_MAX) KEY_BYTES.set(k, b);
  return b;
}

/**
 * Encode `input` as a binary field record into `sc` (README "ABI"). Returns the record length, or
 * -1 when the input has no binary form and must go through the JSON path (see module doc).
 * Keys whose value is `undefined` are left out, as JSON.stringify does.
 *
 * Every input with a binary form passes the binding's input guard (kernel/input-guard.ts
 * `guardInput(input, true)` returns null): it is a plain object of strings without lone
 * surrogates, safe integers, booleans and plain arrays of such strings, nested two levels at
 * most. So the binding runs the guard only on inputs this returns -1 for (typed.test.ts checks
 * the implication on generated records). May throw what reading `input` throws (a getter, a
 * proxy trap): see {@link encodeOrDefer}.
 */
export function encodeFields(sc: Scratch, input: unknown): number {
  if (!isPlainObject(input)) return -1;
  const keys = Object.keys(input);
  if (keys.length > MAX_BIN_FIELDS) return -1;
  let off = 1;
  let count = 0;
  for (const k of keys) {
    const v = input[k];
    if (v === undefined) continue;
    const kb = keyBytes(k);
    if (kb === null) return -1;
    const kl = kb.length;
    sc.ensure(off + 1 + kl);
    const out = sc.bytes;
    out[off] = kl;
    // a key is a few bytes: a loop is cheaper than TypedArray.set's call
    for (let i = 0; i < kl; i++) out[off + 1 + i] = kb[i];
    off += 1 + kl;
    sc.ensure(off + 12);
    if (typeof v === "string") {
      sc.bytes[off] = TAG_STR;
      const sl = putString(sc, off + 3, v, 65535);
      if (sl < 0) return -1;
      sc.view.setUint16(off + 1, sl, true);
      off += 3 + sl;
    } else if (typeof v === "number") {
      if (!Number.isSafeInteger(v)) return -1;
      sc.bytes[off] = TAG_INT;
      // i64 little-endian in two halves (two's complement: floor division gives the high word)
      const lo = v % 4294967296;
      sc.view.setUint32(off + 1, lo < 0 ? lo + 4294967296 : lo, true);
      sc.view.setInt32(off + 5, Math.floor(v / 4294967296), true);
      off += 9;
    } else if (typeof v === "boolean") {
      sc.bytes[off] = v ? TAG_TRUE : TAG_FALSE;
      off += 1;
    } else if (Array.isArray(v)) {
      const end = putStrings(sc, off, v);
      if (end < 0) return -1;
      off = end;
    } else {
      return -1;
    }
    count++;
  }
  sc.bytes[0] = count;
  return off;
}

/**
 * {@link encodeFields}, or -1 when reading `input` throws (a throwing getter or proxy trap): such
 * an input has no binary form, and the binding's input guard, which reads it again, refuses it
 * naming the field that threw (the error is reported there, not dropped).
 */
export function encodeOrDefer(sc: Scratch, input: unknown): number {
  try {
    return encodeFields(sc, input);
  } catch (err) {
    if (err instanceof ScratchFull) throw err; // the caller makes room and encodes again
    // otherwise reported by guardInput, which reads the same field and names it with the error text
    return -1;
  }
}

/** Reads binary outcomes; `str` decodes short ASCII without TextDecoder. */
class Reader {
  off = 0;
  /** A Buffer over the same bytes as `b` (same indices), for Buffer's native latin1 decoding. */
  private buf: Buffer;
  constructor(
    public b: Uint8Array,
    public v: DataView,
  ) {
    this.buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }
  /** Point this reader at `off` of `b` / `v` (one reader serves every decode: no allocation per call once `b` is the same memory). */
  at(b: Uint8Array, v: DataView, off: number): this {
    if (b !== this.b) this.buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    this.b = b;
    this.v = v;
    this.off = off;
    return this;
  }
  u8(): number {
    return this.b[this.off++];
  }
  u16(): number {
    const x = this.v.getUint16(this.off, true);
    this.off += 2;
    return x;
  }
  f64(): number {
    const x = this.v.getFloat64(this.off, true);
    this.off += 8;
    return x;
  }
  str(): string {
    const n = this.u16();
    const start = this.off;
    this.off += n;
    const b = this.b;
    if (n > 64) return utf8d.decode(b.subarray(start, start + n));
    for (let i = start; i < start + n; i++) if (b[i] >= 0x80) return utf8d.decode(b.subarray(start, start + n));
    // short ASCII (latin1 of ASCII bytes is their UTF-8 text): Buffer's native slice, with no
    // subarray view per string (String.fromCharCode.apply over a subarray took ~2.5× as long;
    // issue 11 per-call profile, session 11)
    return this.buf.toString("latin1", start, start + n);
  }
}

/** Decoded texts of recurring outcome strings (messages, detail keys, triggers); bounded. */
const TEXT_CACHE = new Map<number, string>();
const TEXT_CACHE_MAX = 1024;

/**
 * `r.str()` for strings that recur from call to call (messages, detail keys, transition triggers):
 * short ASCII is looked up by a hash of its bytes and confirmed byte for byte against the cached
 * text, so a hit returns the same text without decoding (issue 11 per-call profile: decoding
 * was a fifth of a markPrice call). Anything else decodes as `str()`.
 */
function strCached(r: Reader): string {
  const b = r.b;
  const n = r.v.getUint16(r.off, true);
  const start = r.off + 2;
  if (n > 96) return r.str();
  let h = n;
  for (let i = start; i < start + n; i++) {
    const c = b[i];
    if (c >= 0x80) return r.str();
    h = (Math.imul(h, 31) + c) | 0;
  }
  const hit = TEXT_CACHE.get(h);
  if (hit !== undefined && hit.length === n) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if (hit.charCodeAt(i) !== b[start + i]) {
        same = false;
        break;
      }
    }
    if (same) {
      r.off = start + n;
      return hit;
    }
  }
  const text = r.str();
  if (TEXT_CACHE.size >= TEXT_CACHE_MAX) TEXT_CACHE.clear();
  TEXT_CACHE.set(h, text);
  return text;
}

function readCommand(r: Reader): VenueCommand {
  const kind = r.u8();
  const slotId = r.u16();
  if (kind === 0) {
    const purpose = r.u8() === 0 ? "ENTRY" : "EXIT";
    const side = r.u8() === 0 ? "BUY" : "SELL";
    const orderType = r.u8() === 0 ? "MARKET" : "LIMIT";
    const timeInForce = TIFS[r.u8()];
    const flags = r.u8();
    const commandId = r.str();
    const tradeId = r.str();
    const clientOrderId = r.str();
    const symbol = strCached(r);
    const quantity = r.str();
    const positionSide = strCached(r);
    const reduceOnly = (flags & 1) !== 0;
    // Keys in the JSON outcome's (sorted) order; one object literal per shape (no Object.assign).
    if ((flags & 2) !== 0) {
      const limitPrice = r.str();
      return { clientOrderId, commandId, kind: "SUBMIT", limitPrice, orderType, positionSide, purpose, quantity, reduceOnly, side, slotId, symbol, timeInForce, tradeId } as VenueCommand;
    }
    return { clientOrderId, commandId, kind: "SUBMIT", orderType, positionSide, purpose, quantity, reduceOnly, side, slotId, symbol, timeInForce, tradeId } as VenueCommand;
  }
  const hasVid = r.u8() === 1;
  const commandId = r.str();
  const tradeId = r.str();
  const symbol = strCached(r);
  const clientOrderId = r.str();
  if (hasVid) return { clientOrderId, commandId, kind: "CANCEL", slotId, symbol, tradeId, venueOrderId: r.str() } as VenueCommand;
  return { clientOrderId, commandId, kind: "CANCEL", slotId, symbol, tradeId } as VenueCommand;
}

function maskIds(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let i = 0; lo !== 0 && i < 32; i++) if ((lo >>> i) & 1) out.push(i);
  for (let i = 0; hi !== 0 && i < 32; i++) if ((hi >>> i) & 1) out.push(32 + i);
  return out;
}

/**
 * Entry `byte` of the enum table `table` (the kernel's binary output: typed.rs), or an Error naming
 * the field and the byte: an unknown byte means the binding and the .wasm disagree on the format,
 * never a value to replace with a default.
 */
function enumAt<T>(table: readonly T[], byte: number, field: string): T {
  const v = table[byte];
  if (v === undefined) throw new Error(`kernel binary output: ${field} byte ${byte} is not one of the ${table.length} known values (binding and .wasm out of step? rebuild with npm run build)`);
  return v;
}

/** The reader of decodeOutcome (decoding is synchronous and not re-entrant); it keeps the last decoded memory referenced until the next decode (one instance memory at most). */
const OUTCOME_READER = new Reader(new Uint8Array(0), new DataView(new ArrayBuffer(0)));

/** Decode a binary outcome of `len` bytes at `off` of `b` (typed.rs `encode_outcome`). */
export function decodeOutcome(b: Uint8Array, v: DataView, off: number): Outcome {
  const r = OUTCOME_READER.at(b, v, off);
  const accepted = r.u8() === 1;
  const code = enumAt(CODES, r.u8(), "outcome.code");
  const severity = enumAt(SEVERITIES, r.u8(), "outcome.severity");
  const nd = r.u8();
  const nt = r.u16();
  const nc = r.u16();
  const ledgerSeq = r.f64();
  const lo = v.getUint32(r.off, true);
  const hi = v.getUint32(r.off + 4, true);
  r.off += 8;
  const message = strCached(r);
  const details: Record<string, string | number | boolean> = {};
  for (let i = 0; i < nd; i++) {
    const k = strCached(r);
    const t = r.u8();
    details[k] = t === 0 ? r.str() : t === 1 ? r.f64() : r.u8() === 1;
  }
  const transitions: Transition[] = [];
  for (let i = 0; i < nt; i++) {
    const slotId = r.u16();
    const from = enumAt(STAGES, r.u8(), "transition.from");
    const to = enumAt(STAGES, r.u8(), "transition.to");
    const tsUs = r.f64();
    const tradeId = r.str();
    const trigger = strCached(r);
    transitions.push({ from, slotId, to, tradeId, trigger, tsUs });
  }
  const commands: VenueCommand[] = [];
  for (let i = 0; i < nc; i++) commands.push(readCommand(r));
  return { accepted, changedSlots: maskIds(lo, hi), code, commands, details, ledgerSeq, message, severity, transitions };
}

/** The readers of decodeLedger and decodeSlotHead (synchronous, not re-entrant), as OUTCOME_READER. */
const LEDGER_READER = new Reader(new Uint8Array(0), new DataView(new ArrayBuffer(0)));
const HEAD_READER = new Reader(new Uint8Array(0), new DataView(new ArrayBuffer(0)));

const CAPITAL_SOURCES = ["seed", "e_anchored", "k_bridged"] as const;

/** Decode a binary ledger image (typed.rs `encode_ledger`) into a LedgerSnapshot (JSON key order). */
export function decodeLedger(b: Uint8Array, v: DataView, off: number): LedgerSnapshot {
  const r = LEDGER_READER.at(b, v, off);
  const eventSeq = r.f64();
  const tradeSeq = r.f64();
  const anomalyCount = r.f64();
  const evictedTrades = r.f64();
  const capitalSource = enumAt(CAPITAL_SOURCES, r.u8(), "ledger.capitalSource");
  const capitalUsdt = r.str();
  const equityUsdt = r.str();
  const peakCapitalUsdt = r.str();
  const realizedPnlUsdt = r.str();
  const unrealizedPnlUsdt = r.str();
  const feesPaidUsdt = r.str();
  const fundingUsdt = r.str();
  const eWalletBalanceUsdt = r.str();
  const eAvailableMarginUsdt = r.str();
  const anchorCapitalUsdt = r.str();
  const evictedRealizedUsdt = r.str();
  const evictedFeesUsdt = r.str();
  return {
    anchorCapitalUsdt, anomalyCount, capitalSource, capitalUsdt, eAvailableMarginUsdt, eWalletBalanceUsdt, equityUsdt, eventSeq,
    evictedFeesUsdt, evictedRealizedUsdt, evictedTrades, feesPaidUsdt, fundingUsdt, peakCapitalUsdt, realizedPnlUsdt, tradeSeq, unrealizedPnlUsdt,
  } as LedgerSnapshot;
}

/**
 * The fields of a slot's SlotImage that the simulator's fill fingerprints and slot heads read
 * (sim/kernel-feed.ts `headFingerprint`, sim/kernel-host.ts), each with the image's own value:
 * decimals as the image's exact decimal text, ids and symbol as in the image, `side` undefined
 * when the image has none, the filled quantities undefined when the image has no
 * entryOrder / exitOrder. Read without building the image (kernel/index.ts `slotHead`).
 */
export interface SlotHeadImage {
  slotId: number;
  stage: Stage;
  tradeId: string;
  symbol: string;
  side: PositionSide | undefined;
  sizeQty: string;
  initialSizeQty: string;
  realizedPnlUsdt: string;
  /** entryOrder.filledQty (base-coin quantity) of the image, undefined without an entryOrder. */
  entryFilledQty: string | undefined;
  /** exitOrder.filledQty of the image, undefined without an exitOrder. */
  exitFilledQty: string | undefined;
  /** legs.length of the image. */
  legCount: number;
  /** feeUnconfirmedOrders.length of the image (0 when the image leaves the key out). */
  feeUnconfirmedCount: number;
}

const SIDES: (PositionSide | undefined)[] = [undefined, "LONG", "SHORT"];

/** Decode a binary slot head (typed.rs `encode_slot_head`) at `off` of `b`. */
export function decodeSlotHead(b: Uint8Array, v: DataView, off: number): SlotHeadImage {
  const r = HEAD_READER.at(b, v, off + 16);
  const stage = enumAt(STAGES, b[off], "slotHead.stage");
  const side = b[off + 1] === 0 ? undefined : enumAt(SIDES, b[off + 1], "slotHead.side");
  const flags = b[off + 2];
  const slotId = v.getUint32(off + 4, true);
  const legCount = v.getUint32(off + 8, true);
  const feeUnconfirmedCount = v.getUint32(off + 12, true);
  const tradeId = r.str();
  const symbol = strCached(r);
  const sizeQty = r.str();
  const initialSizeQty = r.str();
  const realizedPnlUsdt = r.str();
  const entryFilledQty = (flags & 1) !== 0 ? r.str() : undefined;
  const exitFilledQty = (flags & 2) !== 0 ? r.str() : undefined;
  return { slotId, stage, tradeId, symbol, side, sizeQty, initialSizeQty, realizedPnlUsdt, entryFilledQty, exitFilledQty, legCount, feeUnconfirmedCount };
}

/** The {@link SlotHeadImage} of a full slot image (the reference the binary head must equal). */
export function slotHeadOf(s: SlotImage): SlotHeadImage {
  return {
    slotId: s.slotId, stage: s.stage, tradeId: s.tradeId, symbol: s.symbol, side: s.side, sizeQty: s.sizeQty, initialSizeQty: s.initialSizeQty,
    realizedPnlUsdt: s.realizedPnlUsdt, entryFilledQty: s.entryOrder?.filledQty, exitFilledQty: s.exitOrder?.filledQty, legCount: s.legs.length,
    feeUnconfirmedCount: s.feeUnconfirmedOrders?.length ?? 0,
  };
}

/** An order as the venue connector reads it (ids and type); a full OrderImage is one. */
export interface OrderRefImage {
  clientOrderId: string;
  /** Absent until the venue's id is known (as in the image). */
  venueOrderId?: string;
  orderType: OrderType;
}

/** A finished order whose fee the venue has not confirmed (SlotImage.feeUnconfirmedOrders entry). */
export interface FeeRefImage {
  symbol: string;
  clientOrderId: string;
  venueOrderId?: string;
}

/**
 * Slot i's order view (typed.rs `encode_slot_orders`, README "ABI"): the fields of its SlotImage
 * the venue connector reads (venues/connector/ports.ts SlotOrders), same values as the image:
 * entryOrder / exitOrder reduced to their ids and type, absent when the image has none, and
 * feeUnconfirmedOrders always present ([] where the image leaves the key out).
 */
export interface SlotOrdersImage {
  slotId: number;
  stage: Stage;
  symbol: string;
  entryOrder?: OrderRefImage;
  exitOrder?: OrderRefImage;
  feeUnconfirmedOrders: FeeRefImage[];
}

function orderRefAt(r: Reader, hasVenueId: boolean, limit: boolean): OrderRefImage {
  const clientOrderId = r.str();
  const orderType: OrderType = limit ? "LIMIT" : "MARKET";
  return hasVenueId ? { clientOrderId, venueOrderId: r.str(), orderType } : { clientOrderId, orderType };
}

/** Decode a binary slot order view (typed.rs `encode_slot_orders`) at `off` of `b`. */
export function decodeSlotOrders(b: Uint8Array, v: DataView, off: number): SlotOrdersImage {
  const r = HEAD_READER.at(b, v, off + 12);
  const stage = enumAt(STAGES, b[off], "slotOrders.stage");
  const flags = b[off + 1];
  const slotId = v.getUint32(off + 4, true);
  const feeCount = v.getUint32(off + 8, true);
  const out: SlotOrdersImage = { slotId, stage, symbol: strCached(r), feeUnconfirmedOrders: [] };
  if ((flags & 1) !== 0) out.entryOrder = orderRefAt(r, (flags & 4) !== 0, (flags & 16) !== 0);
  if ((flags & 2) !== 0) out.exitOrder = orderRefAt(r, (flags & 8) !== 0, (flags & 32) !== 0);
  for (let i = 0; i < feeCount; i++) {
    const hasVenueId = r.u8() === 1;
    const symbol = strCached(r);
    const clientOrderId = r.str();
    out.feeUnconfirmedOrders.push(hasVenueId ? { symbol, clientOrderId, venueOrderId: r.str() } : { symbol, clientOrderId });
  }
  return out;
}

/** The {@link SlotOrdersImage} of a full slot image (the reference the binary view must equal). */
export function slotOrdersOf(s: SlotImage): SlotOrdersImage {
  const ref = (o: OrderImage | undefined): OrderRefImage | undefined =>
    o === undefined ? undefined : o.venueOrderId !== undefined ? { clientOrderId: o.clientOrderId, venueOrderId: o.venueOrderId, orderType: o.orderType } : { clientOrderId: o.clientOrderId, orderType: o.orderType };
  const out: SlotOrdersImage = { slotId: s.slotId, stage: s.stage, symbol: s.symbol, feeUnconfirmedOrders: (s.feeUnconfirmedOrders ?? []).map((f) => ({ ...f })) };
  const entry = ref(s.entryOrder);
  const exit = ref(s.exitOrder);
  if (entry) out.entryOrder = entry;
  if (exit) out.exitOrder = exit;
  return out;
}
