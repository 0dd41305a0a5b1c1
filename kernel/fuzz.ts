/**
 * The boundary fuzzer behind `dita fuzz` (issue 11): drives malformed inputs (fuzz-cases.ts)
 * through the binding and the raw WASM exports into a kernel that holds open positions, and
 * after every input checks:
 *   - no trap: the call returned an outcome (a WebAssembly trap or any thrown error counts);
 *   - a refusal carries a diagnostic: a message, and for validation codes a `details.field`;
 *   - a refusal changed nothing: the saveState bytes equal the ones before, compared in module
 *     memory without decoding (`RawInstance.savedStateView`);
 *   - a definitely invalid input (`mustRefuse`) was refused *by validation* (INVALID_* /
 *     ANCHOR_REJECTED); accepted, parked, or refused only for a state reason (DUPLICATE_EVENT,
 *     UNRESOLVED_SLOT, ...) means it got past validation: "corrupted input accepted";
 *   - a valid control input sent as raw JSON text was accepted (the raw path reaches the parser).
 * After an accepted (or parked) input the kernel is restored to the baseline state, so every
 * input meets the same kernel: slot 0 FET LONG, slot 1 BTC SHORT, slots 2-3 idle.
 */
import { Buffer } from "node:buffer";
import { FUZZ_CLASSES, FUZZ_CONFIG, FuzzGenerator, type FuzzCase, type FuzzClass } from "./fuzz-cases.js";
import { loadRawKernel, type RawInstance, type RawKernelModule } from "./raw-abi.js";
export type { FuzzClass } from "./fuzz-cases.js";
import type { AccountEvent, Intent, MarkPrice, Outcome, ReconcileReport, VenueEvent } from "./types.js";

/** Refusal codes of input validation (a field or the input's form is wrong). */
export const VALIDATION_CODES: ReadonlySet<string> = new Set(["INVALID_INTENT", "INVALID_EVENT", "INVALID_SLOT", "INVALID_STATE", "ANCHOR_REJECTED"]);

/** Counters of one class (or of the whole run). */
export interface FuzzCounts {
  inputs: number;
  traps: number;
  refusedWithoutDiagnostic: number;
  stateChanged: number;
  accepted: number;
  corruptedAccepted: number;
  /** Valid raw-JSON control inputs that were refused (the raw path must reach the parser). */
  controlRefused: number;
}

/** One failing input, for the report (the first few of each kind). */
export interface FuzzSample {
  failure: "traps" | "refusedWithoutDiagnostic" | "stateChanged" | "corruptedAccepted" | "controlRefused";
  cls: FuzzClass;
  method: string;
  path: "binding" | "raw";
  what: string;
  got: string;
}

/** The `dita fuzz --json` document. */
export interface FuzzReport extends FuzzCounts {
  ok: boolean;
  seed: number;
  byClass: Record<FuzzClass, FuzzCounts>;
  /** Inputs that went through the binding / straight into the raw export. */
  viaBinding: number;
  viaRaw: number;
  /** Baseline restores after an accepted or state-changing input. */
  resets: number;
  samples: FuzzSample[];
}

/** Options of a fuzz run. */
export interface FuzzOptions {
  inputs: number;
  seed: number;
  wasmPath?: string;
  /** Called every `progressEvery` inputs with the number done. */
  onProgress?: (done: number) => void;
  progressEvery?: number;
}

const zero = (): FuzzCounts => ({ inputs: 0, traps: 0, refusedWithoutDiagnostic: 0, stateChanged: 0, accepted: 0, corruptedAccepted: 0, controlRefused: 0 });
const MAX_SAMPLES_PER_FAILURE = 5;

/** The baseline the fuzzed kernel returns to: two open positions, two idle slots. */
function setUp(mod: RawKernelModule): RawInstance {
  const r = mod.create(FUZZ_CONFIG);
  const k = r.kernel;
  const steps: Outcome[] = [
    k.processIntent({ kind: "ENTER", intentId: "e0", tsUs: 1, slotId: 0, tradeId: "t0", symbol: "FET-USDT", side: "LONG", quantity: "1000", orderType: "MARKET", leverage: 3 }),
    k.onVenueEvent({ kind: "FULL_FILL", eventId: "f0", tsUs: 2, symbol: "FET-USDT", clientOrderId: "d2-t0-e1", venueOrderId: "9001", fillQty: "1000", fillPrice: "0.2", feeUsdt: "0.1" }),
    k.processIntent({ kind: "ENTER", intentId: "e1", tsUs: 3, slotId: 1, tradeId: "t1", symbol: "BTC-USDT", side: "SHORT", quantity: "0.5", orderType: "MARKET", leverage: 2 }),
    k.onVenueEvent({ kind: "FULL_FILL", eventId: "f1", tsUs: 4, symbol: "BTC-USDT", clientOrderId: "d2-t1-e1", venueOrderId: "9002", fillQty: "0.5", fillPrice: "60000", feeUsdt: "1" }),
  ];
  const bad = steps.find((o) => !o.accepted);
  if (bad) throw new Error(`fuzz baseline setup refused: ${bad.code} ${bad.message}`);
  return r;
}

/** Send one case to the kernel (binding method or raw export). Throws what the call throws. */
function send(r: RawInstance, c: FuzzCase): Outcome {
  if (c.path === "raw") return r.outcome(c.method, c.input as string | Uint8Array);
  const k = r.kernel;
  const v = c.input as never;
  switch (c.method) {
    case "processIntent": return k.processIntent(v as Intent);
    case "onVenueEvent": return k.onVenueEvent(v as VenueEvent);
    case "markPrice": return k.markPrice(v as MarkPrice);
    case "onAccountEvent": return k.onAccountEvent(v as AccountEvent);
    case "reconcile": return k.reconcile(v as ReconcileReport);
    case "restoreState": return k.restoreState(v as string);
    case "anchorToExchange": {
      const a = c.input as { walletBalanceUsdt?: string; availableMarginUsdt?: string; eventSeq: number };
      return k.anchorToExchange(a.walletBalanceUsdt, a.availableMarginUsdt, a.eventSeq);
    }
  }
}

/** A refusal's diagnostic: a message, and for validation codes the field it names. */
function hasDiagnostic(o: Outcome): boolean {
  if (typeof o.message !== "string" || o.message.length === 0) return false;
  if (VALIDATION_CODES.has(o.code)) return typeof o.details?.field === "string";
  return true;
}

/** Failure kinds a fuzz input can produce (FuzzCounts keys). */
export type FuzzFailure = FuzzSample["failure"];

/**
 * Judge one input's outcome: the failures it shows (empty = fine). `unchanged`: saveState bytes
 * equal to the ones before the call. A parked UNRESOLVED_SLOT counts as taken (the input is kept
 * for replay by design), so it is judged like an accepted input.
 */
export function judge(c: Pick<FuzzCase, "mustRefuse" | "mustAccept">, o: Outcome, unchanged: boolean): FuzzFailure[] {
  const out: FuzzFailure[] = [];
  if (o.accepted || o.details?.parked === true) {
    if (c.mustRefuse) out.push("corruptedAccepted");
    return out;
  }
  if (!hasDiagnostic(o)) out.push("refusedWithoutDiagnostic");
  if (!unchanged) out.push("stateChanged");
  // A definitely invalid input refused for a state reason (DUPLICATE_EVENT, UNRESOLVED_SLOT ...)
  // got past validation: that is a corrupted input accepted by the validator.
  if (c.mustRefuse && !VALIDATION_CODES.has(o.code)) out.push("corruptedAccepted");
  if (c.mustAccept) out.push("controlRefused");
  return out;
}

/** Run the fuzzer; resolves to the report (ok = every failure count is 0). */
export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const mod = await loadRawKernel(opts.wasmPath ? { wasmPath: opts.wasmPath } : {});
  let r = setUp(mod);
  const baselineText = r.kernel.saveState();
  let ref = Buffer.from(r.savedStateView());
  const gen = new FuzzGenerator(opts.seed, baselineText);
  const total = zero();
  const byClass = Object.fromEntries(FUZZ_CLASSES.map((c) => [c, zero()])) as Record<FuzzClass, FuzzCounts>;
  const samples: FuzzSample[] = [];
  const sampled: Record<string, number> = {};
  let viaBinding = 0;
  let resets = 0;
  const fail = (kind: FuzzSample["failure"], c: FuzzCase, got: string) => {
    total[kind]++;
    byClass[c.cls][kind]++;
    if ((sampled[kind] = (sampled[kind] ?? 0) + 1) <= MAX_SAMPLES_PER_FAILURE) samples.push({ failure: kind, cls: c.cls, method: c.method, path: c.path, what: c.what, got: got.slice(0, 300) });
  };
  const reset = () => {
    resets++;
    const o = r.kernel.restoreState(baselineText);
    if (!o.accepted || !Buffer.from(r.savedStateView()).equals(ref)) {
      r = setUp(mod);
      ref = Buffer.from(r.savedStateView());
    }
  };
  const every = opts.progressEvery ?? 10_000;
  for (let i = 0; i < opts.inputs; i++) {
    const c = gen.next();
    total.inputs++;
    byClass[c.cls].inputs++;
    if (c.path === "binding") viaBinding++;
    let o: Outcome;
    try {
      o = send(r, c);
    } catch (err) {
      fail("traps", c, `${(err as Error)?.name}: ${(err as Error)?.message}`);
      r = setUp(mod);
      ref = Buffer.from(r.savedStateView());
      continue;
    }
    const unchanged = Buffer.from(r.savedStateView()).equals(ref);
    if (o.accepted || o.details?.parked === true) {
      total.accepted++;
      byClass[c.cls].accepted++;
    }
    for (const f of judge(c, o, unchanged)) fail(f, c, f === "refusedWithoutDiagnostic" ? JSON.stringify(o) : `${o.accepted ? "accepted " : ""}${o.code} ${o.details?.parked === true ? "(parked) " : ""}${o.message}`);
    if (!unchanged) reset();
    if (opts.onProgress && (i + 1) % every === 0) opts.onProgress(i + 1);
  }
  const failures = total.traps + total.refusedWithoutDiagnostic + total.stateChanged + total.corruptedAccepted + total.controlRefused;
  return { ok: failures === 0, ...total, seed: opts.seed, byClass, viaBinding, viaRaw: total.inputs - viaBinding, resets, samples };
}
