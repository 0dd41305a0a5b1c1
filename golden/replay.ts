/**
 * Drives one golden case through the kernel binding and projects the kernel's outputs onto the
 * golden schema (golden/schema.ts): per-step outcome codes, trades, ledger checkpoints.
 *
 * The replay is pure with respect to the case: no clock, no randomness; the same case gives the
 * same outputs on every run (docs/architecture.md §Determinism).
 */
import type { KernelModule, Kernel } from "../kernel/index.js";
import type { AccountEvent, LedgerSnapshot, Outcome, TradeRecord, VenueCommand, VenueEvent } from "../kernel/types.js";
import {
  LEDGER_KEYS,
  ORDER_REF_PREFIX,
  type BingxWsStep,
  type ExpectedCheckpoint,
  type ExpectedLedger,
  type ExpectedTrade,
  type GoldenCase,
  type GoldenExpected,
  type GoldenStep,
} from "./schema.js";

/**
 * Turns one raw BingX WS frame into kernel inputs (the BingX adapter's job,
 * venues/bingx/adapter.ts). Injected so the replay does not depend on the venue package when a
 * case has no adapter-level step.
 */
export type BingxWsNormaliser = (body: string, ctx: { tsUs: number }) => ({ venueEvent: VenueEvent } | { accountEvent: AccountEvent })[];

/** Mutable state of one replay: the running kernel, saved images, order references. */
export interface ReplayState {
  kernel: Kernel;
  images: Map<string, string>;
  /** intentId → clientOrderId of the SUBMIT it produced. */
  clientOrderIds: Map<string, string>;
  outcomes: string[];
  checkpoints: Record<string, ExpectedCheckpoint>;
  /** Problems that are not value differences (adapter output mismatch, unresolved reference). */
  problems: string[];
}

/** Options of a replay. */
export interface ReplayOptions {
  /** Needed only when the case has bingxWs steps. */
  bingxWs?: BingxWsNormaliser;
  /** Which checkpoints pin trades too (from the expected section); others capture the ledger. */
  tradesAt?: Set<string>;
  /** Ledger keys to capture per checkpoint (default: every key of LEDGER_KEYS). */
  ledgerKeysAt?: Map<string, readonly string[]>;
}

/** Start a replay: a fresh kernel with the case's config. */
export function startReplay(mod: KernelModule, c: GoldenCase): ReplayState {
  return {
    kernel: mod.create(c.config),
    images: new Map(),
    clientOrderIds: new Map(),
    outcomes: [],
    checkpoints: {},
    problems: [],
  };
}

/**
 * Replace every `"@intent:<id>"` clientOrderId in `v` (deeply) by the resolved client order id.
 * @throws Error naming the reference when the intent produced no SUBMIT.
 */
export function resolveRefs<T>(v: T, ids: Map<string, string>): T {
  const go = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(go);
    if (typeof x === "object" && x !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(x)) {
        if (k === "clientOrderId" && typeof val === "string" && val.startsWith(ORDER_REF_PREFIX)) {
          const id = val.slice(ORDER_REF_PREFIX.length);
          const coid = ids.get(id);
          if (coid === undefined) throw new Error(`order reference ${val}: intent ${id} produced no SUBMIT command`);
          out[k] = coid;
        } else out[k] = go(val);
      }
      return out;
    }
    return x;
  };
  return go(v) as T;
}

function recordCommands(st: ReplayState, intentId: string, commands: VenueCommand[]): void {
  for (const cmd of commands) if (cmd.kind === "SUBMIT") st.clientOrderIds.set(intentId, cmd.clientOrderId);
}

/**
 * Apply one step to the running kernel, recording its outcome code and its checkpoint.
 * @param mod needed by restore steps (a new kernel is created).
 */
export function applyStep(mod: KernelModule, c: GoldenCase, st: ReplayState, step: GoldenStep, opts: ReplayOptions = {}): void {
  const code = runStep(mod, c, st, step, opts);
  st.outcomes.push(code);
  if (step.checkpoint !== undefined) st.checkpoints[step.checkpoint] = capture(st.kernel, step.checkpoint, opts);
}

function runStep(mod: KernelModule, c: GoldenCase, st: ReplayState, step: GoldenStep, opts: ReplayOptions): string {
  const k = st.kernel;
  switch (step.op) {
    case "intent": {
      const o = k.processIntent(step.intent);
      recordCommands(st, step.intent.intentId, o.commands);
      return o.code;
    }
    case "venue":
      return k.onVenueEvent(resolveRefs(step.event, st.clientOrderIds)).code;
    case "mark":
      return k.markPrice(step.mark).code;
    case "account":
      return k.onAccountEvent(resolveRefs(step.event, st.clientOrderIds)).code;
    case "anchor":
      return k.anchorToExchange(step.walletBalanceUsdt, step.availableMarginUsdt, step.eventSeq).code;
    case "save":
      st.images.set(step.image, k.saveState());
      return "OK";
    case "restore": {
      const image = st.images.get(step.image);
      if (image === undefined) throw new Error(`restore step: no saved image ${step.image}`);
      k.dispose();
      st.kernel = mod.create(c.config);
      return st.kernel.restoreState(image).code;
    }
    case "reconcile":
      return k.reconcile(resolveRefs(step.report, st.clientOrderIds)).code;
    case "bingxWs":
      return runBingxWs(st, step, opts);
  }
}

/**
 * Adapter-level step: the raw frame goes through the BingX adapter; its output must equal
 * `expectKernelInputs` exactly (docs/accounting.md §0.2: a fill never carries the bound price), then each input
 * is fed to the kernel. The recorded code is the last kernel outcome's, or ADAPTER_MISMATCH.
 */
function runBingxWs(st: ReplayState, step: BingxWsStep, opts: ReplayOptions): string {
  if (opts.bingxWs === undefined) throw new Error("bingxWs step: no BingX adapter normaliser was provided");
  const produced = opts.bingxWs(step.body, { tsUs: step.tsUs });
  const expected = resolveRefs(step.expectKernelInputs, st.clientOrderIds);
  const a = JSON.stringify(produced);
  const e = JSON.stringify(expected);
  if (a !== e) {
    st.problems.push(`bingxWs step at tsUs ${step.tsUs}: adapter produced ${a}, expected ${e}`);
    return "ADAPTER_MISMATCH";
  }
  let code = "OK";
  for (const input of produced) {
    const o: Outcome = "venueEvent" in input ? st.kernel.onVenueEvent(input.venueEvent) : st.kernel.onAccountEvent(input.accountEvent);
    code = o.code;
  }
  return code;
}

/** Project a kernel trade record (+ tradeRealized) onto the golden schema. */
export function projectTrade(t: TradeRecord, tradeRealizedUsdt: string): ExpectedTrade {
  const out: ExpectedTrade = {
    tradeId: t.tradeId,
    side: t.side,
    leverage: t.leverage,
    entryVwap: t.entryVwap,
    exitVwap: t.exitVwap,
    quantity: t.quantity,
    exitedQty: t.exitedQty,
    legs: t.legs.map((l) => {
      const leg: ExpectedTrade["legs"][number] = {
        legIndex: l.legIndex,
        quantity: l.quantity,
        realizedPnlUsdt: l.realizedPnlUsdt,
        feesUsdt: l.feesUsdt,
        realizedSkippedNoPrice: l.realizedSkippedNoPrice,
      };
      if (l.exchangeRealizedPnlUsdt !== undefined) leg.exchangeRealizedPnlUsdt = l.exchangeRealizedPnlUsdt;
      return leg;
    }),
    realizedGrossUsdt: t.realizedGrossUsdt,
    kernelEstimateUsdt: t.kernelEstimateUsdt,
    feesUsdt: t.feesUsdt,
    realizedNetUsdt: t.realizedNetUsdt,
    pnlSource: t.pnlSource,
    flags: [...t.flags].sort(),
    closed: t.closed,
    tradeRealizedUsdt,
  };
  if (t.exchangeRealizedUsdt !== undefined) out.exchangeRealizedUsdt = t.exchangeRealizedUsdt;
  return out;
}

/**
 * kernel.tradeRealized(tradeId).realizedNetUsdt — the figure a sizer learns from (docs/accounting.md §5.1).
 * A binding error or an unknown trade is returned as a readable non-decimal text, so the case
 * fails with a diff naming it instead of aborting the whole golden run.
 */
export function tradeRealizedOf(k: Kernel, tradeId: string): string {
  let r: ReturnType<Kernel["tradeRealized"]>;
  try {
    r = k.tradeRealized(tradeId);
  } catch (e) {
    return `(tradeRealized threw: ${(e as Error).message})`;
  }
  return r === undefined ? "(tradeRealized: unknown trade)" : r.realizedNetUsdt;
}

/** Every trade the kernel reports, projected, ordered by tradeId. */
export function captureTrades(k: Kernel): ExpectedTrade[] {
  return k
    .trades()
    .map((t: TradeRecord) => projectTrade(t, tradeRealizedOf(k, t.tradeId)))
    .sort((a: ExpectedTrade, b: ExpectedTrade) => (a.tradeId < b.tradeId ? -1 : a.tradeId > b.tradeId ? 1 : 0));
}

/** Project the ledger snapshot onto `keys` (capitalUsdt and capitalSource always). */
export function projectLedger(l: LedgerSnapshot, keys: readonly string[] = LEDGER_KEYS): ExpectedLedger {
  const out: Record<string, unknown> = { capitalUsdt: l.capitalUsdt, capitalSource: l.capitalSource };
  for (const key of LEDGER_KEYS) if (keys.includes(key)) out[key] = (l as unknown as Record<string, unknown>)[key];
  return out as unknown as ExpectedLedger;
}

function capture(k: Kernel, name: string, opts: ReplayOptions): ExpectedCheckpoint {
  const cp: ExpectedCheckpoint = { ledger: projectLedger(k.ledger(), opts.ledgerKeysAt?.get(name)) };
  if (opts.tradesAt?.has(name)) cp.trades = captureTrades(k);
  return cp;
}

/**
 * Run a whole case and return the actual outputs in the shape of `expected`.
 * The kernel is disposed at the end. Throws only on a harness problem (bad reference, missing
 * adapter); kernel refusals are outcome codes, not exceptions.
 */
export function replayCase(mod: KernelModule, c: GoldenCase, opts: ReplayOptions = {}): { actual: GoldenExpected; problems: string[] } {
  const st = startReplay(mod, c);
  try {
    for (const step of c.steps) applyStep(mod, c, st, step, opts);
    st.checkpoints.final = capture(st.kernel, "final", opts);
    return { actual: { outcomes: st.outcomes, trades: captureTrades(st.kernel), checkpoints: st.checkpoints }, problems: st.problems };
  } finally {
    st.kernel.dispose();
  }
}

/** Replay options that capture exactly what a case's expected section pins. */
export function optionsFor(c: GoldenCase, bingxWs?: BingxWsNormaliser): ReplayOptions {
  const tradesAt = new Set<string>();
  const ledgerKeysAt = new Map<string, readonly string[]>();
  for (const [name, cp] of Object.entries(c.expected.checkpoints)) {
    if (cp.trades !== undefined) tradesAt.add(name);
    ledgerKeysAt.set(name, Object.keys(cp.ledger));
  }
  return { bingxWs, tradesAt, ledgerKeysAt };
}
