/**
 * Golden replay case schema and validator.
 *
 * A golden case is data (golden/cases/<name>.json): a kernel configuration, an input event
 * sequence (intents, venue events, account events, mark prices, exchange anchors,
 * save / restore / reconcile steps, each carrying its tsUs) and the exact expected outputs
 * (per-step outcome codes, per-trade realized gross / fees / net, flags, pnlSource, and the
 * ledger at chosen checkpoints). Every money / price / quantity figure is a decimal string and is
 * compared exactly by value (no tolerance; "242.7312" equals "242.73120", nothing else does).
 *
 * Source of the rules: docs/accounting.md §7 "Golden replay tests", issue 3 "golden/".
 *
 * Order references: a `clientOrderId` anywhere in a step may be written `"@intent:<intentId>"`;
 * the runner replaces it by the clientOrderId of the SUBMIT command that intent produced (the kernel
 * derives client order ids itself, so a case must not hard-code them).
 */
import type {
  AccountEvent,
  CapitalSource,
  DecimalString,
  Intent,
  KernelConfig,
  MarkPrice,
  PositionSide,
  ReconcileReport,
  VenueEvent,
} from "../kernel/types.js";
import { fieldChecks, showValue, type FieldChecks, type Obj } from "../sim/field-check.js";

/** Prefix of an order reference in a clientOrderId field: "@intent:<intentId>". */
export const ORDER_REF_PREFIX = "@intent:";

/** Fields every step may carry. */
export interface StepCommon {
  /** Human label shown in diffs ("exit leg 1 fill"). */
  label?: string;
  /**
   * After this step, capture the ledger under this name; the expected figures live in
   * `expected.checkpoints[name]`. Names are unique within a case.
   */
  checkpoint?: string;
}

/** processIntent(intent). */
export interface IntentStep extends StepCommon {
  op: "intent";
  intent: Intent;
}

/** onVenueEvent(event) — a normalised venue event, i.e. the adapter's output. */
export interface VenueStep extends StepCommon {
  op: "venue";
  event: VenueEvent;
}

/**
 * A raw BingX user-stream frame (WS ORDER_TRADE_UPDATE text, as the venue sends it) passed
 * through the BingX adapter (venues/bingx/adapter.ts); each kernel input the adapter yields is fed
 * to the kernel. Proves the adapter half of docs/accounting.md §0.2 (a fill never carries the bound price).
 */
export interface BingxWsStep extends StepCommon {
  op: "bingxWs";
  tsUs: number;
  /** Raw frame text (order ids as JSON numbers, decimals as strings, exactly as on the wire). */
  body: string;
  /**
   * The exact kernel inputs the adapter must produce from this frame (after @intent: resolution),
   * compared field by field before they are fed to the kernel.
   */
  expectKernelInputs: ({ venueEvent: VenueEvent } | { accountEvent: AccountEvent })[];
}

/** markPrice(mark). */
export interface MarkStep extends StepCommon {
  op: "mark";
  mark: MarkPrice;
}

/** onAccountEvent(event): BALANCE, FILL_SETTLED, FUNDING. */
export interface AccountStep extends StepCommon {
  op: "account";
  event: AccountEvent;
}

/** anchorToExchange(walletBalanceUsdt, availableMarginUsdt, eventSeq) (docs/accounting.md §3.1). */
export interface AnchorStep extends StepCommon {
  op: "anchor";
  tsUs: number;
  walletBalanceUsdt: DecimalString;
  availableMarginUsdt: DecimalString;
  eventSeq: number;
}

/** saveState(): the image is kept by the runner under `image`. */
export interface SaveStep extends StepCommon {
  op: "save";
  tsUs: number;
  image: string;
}

/**
 * Process restart: dispose() the running kernel, create a new one with the case's config and
 * restoreState(image) (docs/accounting.md §0.3, §7 case 3). A reconcile step normally follows.
 */
export interface RestoreStep extends StepCommon {
  op: "restore";
  tsUs: number;
  image: string;
}

/** reconcile(report): venue truth after a restart (Flaw 11, I14). */
export interface ReconcileStep extends StepCommon {
  op: "reconcile";
  report: ReconcileReport;
}

export type GoldenStep =
  | IntentStep
  | VenueStep
  | BingxWsStep
  | MarkStep
  | AccountStep
  | AnchorStep
  | SaveStep
  | RestoreStep
  | ReconcileStep;

export const STEP_OPS = [
  "intent",
  "venue",
  "bingxWs",
  "mark",
  "account",
  "anchor",
  "save",
  "restore",
  "reconcile",
] as const;

/** Expected figures of one exit leg (TradeRecord.legs[i]). */
export interface ExpectedLeg {
  legIndex: number;
  quantity: DecimalString;
  realizedPnlUsdt: DecimalString;
  feesUsdt: DecimalString;
  realizedSkippedNoPrice: boolean;
  /** Present iff the kernel recorded an exchange figure (FILL_SETTLED) for the leg. */
  exchangeRealizedPnlUsdt?: DecimalString;
}

/** Expected per-trade record (a projection of kernel/types.ts TradeRecord + tradeRealized()). */
export interface ExpectedTrade {
  tradeId: string;
  side: PositionSide;
  leverage: number;
  entryVwap: DecimalString;
  exitVwap: DecimalString;
  quantity: DecimalString;
  exitedQty: DecimalString;
  legs: ExpectedLeg[];
  realizedGrossUsdt: DecimalString;
  kernelEstimateUsdt: DecimalString;
  /** Present iff the kernel recorded an exchange realized figure for the trade. */
  exchangeRealizedUsdt?: DecimalString;
  feesUsdt: DecimalString;
  realizedNetUsdt: DecimalString;
  pnlSource: "exchange" | "kernel_estimate";
  /** Compared as a set (order-insensitive). */
  flags: string[];
  closed: boolean;
  /** kernel.tradeRealized(tradeId): the figure a sizer learns from (docs/accounting.md §5.1). */
  tradeRealizedUsdt: DecimalString;
}

/**
 * Expected ledger figures at a checkpoint. capitalUsdt and capitalSource are required; the other
 * fields are compared only when the case lists them (a case pins what it proves).
 */
export interface ExpectedLedger {
  capitalUsdt: DecimalString;
  capitalSource: CapitalSource;
  equityUsdt?: DecimalString;
  peakCapitalUsdt?: DecimalString;
  realizedPnlUsdt?: DecimalString;
  unrealizedPnlUsdt?: DecimalString;
  feesPaidUsdt?: DecimalString;
  fundingUsdt?: DecimalString;
  tradeSeq?: number;
  eWalletBalanceUsdt?: DecimalString;
  eAvailableMarginUsdt?: DecimalString;
  anchorCapitalUsdt?: DecimalString;
  anomalyCount?: number;
}

export const LEDGER_KEYS = [
  "capitalUsdt",
  "capitalSource",
  "equityUsdt",
  "peakCapitalUsdt",
  "realizedPnlUsdt",
  "unrealizedPnlUsdt",
  "feesPaidUsdt",
  "fundingUsdt",
  "tradeSeq",
  "eWalletBalanceUsdt",
  "eAvailableMarginUsdt",
  "anchorCapitalUsdt",
  "anomalyCount",
] as const;

/** What a checkpoint pins: the ledger, and optionally every trade record at that moment. */
export interface ExpectedCheckpoint {
  ledger: ExpectedLedger;
  /** When present: kernel.trades() at this moment (e.g. the flag before an exchange repair). */
  trades?: ExpectedTrade[];
}

/** The exact expected outputs of a case; `dita golden --update` rewrites this section only. */
export interface GoldenExpected {
  /** Outcome code of every step, in order ("OK", "DUPLICATE_EVENT", ...); save steps record "OK". */
  outcomes: string[];
  /** Every trade the kernel reports at the end (kernel.trades()), matched by tradeId. */
  trades: ExpectedTrade[];
  /** State at each named checkpoint; "final" (after the last step) is required. */
  checkpoints: Record<string, ExpectedCheckpoint>;
}

/** A figure this kernel must NOT book (regression fixture of a known defect). */
export interface MustNotBook {
  tradeId: string;
  /** Leg index, or omitted for the trade's realizedGrossUsdt. */
  legIndex?: number;
  realizedPnlUsdt: DecimalString;
  why: string;
}

/**
 * Hook for the flaw-mutant suite: a mutant listed here, run on this case, must book
 * `leg1RealizedUsdt` on the first exit leg of the case's first trade (docs/accounting.md §0 replay figure).
 */
export interface MutantExpectation {
  mutants: string[];
  leg1RealizedUsdt: DecimalString;
  formula: string;
  note?: string;
}

export interface GoldenCase {
  /** Equals the file stem. [a-z0-9-]+ */
  name: string;
  description: string;
  /** Spec sections and flaw IDs the case proves (e.g. "docs/accounting.md §7.1", "Flaw 5"). */
  proves: string[];
  /** How the expected figures were computed by hand (independently of the kernel). */
  derivation: string[];
  config: KernelConfig;
  steps: GoldenStep[];
  expected: GoldenExpected;
  mustNotBook?: MustNotBook[];
  mutantExpectation?: MutantExpectation;
}

/** A case file that does not match the schema. `field` is a JSON path like "steps[3].event.fillQty". */
export class GoldenCaseError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly detail: string,
  ) {
    super(`golden case ${file}: field ${field}: ${detail}`);
    this.name = "GoldenCaseError";
  }
}

/**
 * Validate a parsed case file. Checks the golden layer (structure, decimal strings, order
 * references, checkpoint names, expected section); the kernel inputs themselves are checked for
 * shape (kind, tsUs, decimal figures) but their business rules are the kernel's to judge. The
 * field checks are the ones scenario files use (sim/field-check.ts).
 * @throws GoldenCaseError naming the first bad field and its value.
 */
export function validateGoldenCase(raw: unknown, file: string): GoldenCase {
  const k = fieldChecks((field, value, reason) => {
    throw new GoldenCaseError(file, field, `${reason}, got ${showValue(value)}`);
  });
  const c = k.obj(raw, "(root)");
  k.only(c, "", ["name", "description", "proves", "derivation", "config", "steps", "expected", "mustNotBook", "mutantExpectation"]);
  const name = k.str(c.name, "name");
  if (!/^[a-z0-9-]+$/.test(name)) k.fail("name", name, "must match [a-z0-9-]+");
  k.str(c.description, "description");
  k.strings(c.proves, "proves");
  k.strings(c.derivation, "derivation");
  checkConfig(k, c.config);
  const steps = new StepChecker(k);
  const stepCount = steps.all(c.steps);
  checkExpected(k, c.expected, steps.checkpoints, stepCount);
  if ("mustNotBook" in c) checkMustNotBook(k, c.mustNotBook);
  if ("mutantExpectation" in c) checkMutantExpectation(k, c.mutantExpectation);
  return raw as GoldenCase;
}

/** `config`: starting capital and at least one instrument with its tick and step size. */
function checkConfig(k: FieldChecks, v: unknown): void {
  const config = k.obj(v, "config");
  k.decimal(config.initialCapitalUsdt, "config.initialCapitalUsdt");
  k.arr(config.instruments, "config.instruments", true).forEach((ins, i) => {
    const o = k.obj(ins, `config.instruments[${i}]`);
    k.str(o.symbol, `config.instruments[${i}].symbol`);
    k.decimal(o.tickSize, `config.instruments[${i}].tickSize`);
    k.decimal(o.stepSize, `config.instruments[${i}].stepSize`);
  });
}

/** Fields every step may carry (StepCommon). */
const STEP_COMMON_FIELDS = ["op", "label", "checkpoint"];

/** The fields a step of each op carries beside the common ones. */
const STEP_OWN_FIELDS: Record<(typeof STEP_OPS)[number], readonly string[]> = {
  intent: ["intent"],
  venue: ["event"],
  bingxWs: ["tsUs", "body", "expectKernelInputs"],
  mark: ["mark"],
  account: ["event"],
  anchor: ["tsUs", "walletBalanceUsdt", "availableMarginUsdt", "eventSeq"],
  save: ["tsUs", "image"],
  restore: ["tsUs", "image"],
  reconcile: ["report"],
};

/** A key whose value is a money, price, quantity or ratio figure (a decimal string in a case). */
const FIGURE_KEY = /(Usdt|Qty|Price|quantity|executedQty|avgPrice|limitPrice|ratio)$/;

/**
 * The steps, in order: each step's shape by its op, order references that name an earlier intent,
 * unique checkpoint names ("final" reserved), restores of an image an earlier save produced.
 */
class StepChecker {
  readonly intentIds = new Set<string>();
  /** Checkpoint names the steps declare. */
  readonly checkpoints = new Set<string>();
  private readonly images = new Set<string>();

  constructor(private readonly k: FieldChecks) {}

  /** Check every step; returns the number of steps. */
  all(v: unknown): number {
    const steps = this.k.arr(v, "steps", true);
    steps.forEach((s, i) => this.step(s, `steps[${i}]`));
    return steps.length;
  }

  private step(s: unknown, f: string): void {
    const { k } = this;
    const st = k.obj(s, f);
    const op = k.oneOf(st.op, `${f}.op`, STEP_OPS);
    if ("label" in st) k.str(st.label, `${f}.label`);
    if ("checkpoint" in st) this.checkpoint(k.str(st.checkpoint, `${f}.checkpoint`), `${f}.checkpoint`);
    k.only(st, f, [...STEP_COMMON_FIELDS, ...STEP_OWN_FIELDS[op]]);
    this[op](st, f);
  }

  private checkpoint(cp: string, f: string): void {
    if (cp === "final") this.k.fail(f, cp, `"final" is reserved (captured after the last step)`);
    if (this.checkpoints.has(cp)) this.k.fail(f, cp, "duplicate checkpoint name");
    this.checkpoints.add(cp);
  }

  /** Figures are decimal strings; a clientOrderId that is an order reference names an earlier intent. */
  private figures(o: Obj, f: string): void {
    for (const [key, v] of Object.entries(o)) {
      if (FIGURE_KEY.test(key) && typeof v !== "object") this.k.decimal(v, `${f}.${key}`);
      if (key === "clientOrderId" && typeof v === "string" && v.startsWith(ORDER_REF_PREFIX) && !this.intentIds.has(v.slice(ORDER_REF_PREFIX.length))) {
        this.k.fail(`${f}.${key}`, v, "order reference names no earlier intent");
      }
    }
  }

  private intent(st: Obj, f: string): void {
    const { k } = this;
    const it = k.obj(st.intent, `${f}.intent`);
    k.oneOf(it.kind, `${f}.intent.kind`, ["ENTER", "EXIT", "EXIT_RESIDUAL", "CANCEL"]);
    const id = k.str(it.intentId, `${f}.intent.intentId`);
    if (this.intentIds.has(id)) k.fail(`${f}.intent.intentId`, id, "duplicate intentId");
    k.int(it.tsUs, `${f}.intent.tsUs`);
    k.int(it.slotId, `${f}.intent.slotId`);
    this.figures(it, `${f}.intent`);
    this.intentIds.add(id);
  }

  private venue(st: Obj, f: string): void {
    const ev = this.k.obj(st.event, `${f}.event`);
    this.k.oneOf(ev.kind, `${f}.event.kind`, ["ORDER_ACK", "PARTIAL_FILL", "FULL_FILL", "CANCEL_ACK", "CANCEL_REJECT", "ORDER_REJECT", "RATE_LIMITED"]);
    this.k.str(ev.eventId, `${f}.event.eventId`);
    this.k.int(ev.tsUs, `${f}.event.tsUs`);
    this.figures(ev, `${f}.event`);
  }

  private bingxWs(st: Obj, f: string): void {
    const { k } = this;
    k.int(st.tsUs, `${f}.tsUs`);
    const body = k.str(st.body, `${f}.body`);
    try {
      JSON.parse(body);
    } catch (e) {
      k.fail(`${f}.body`, body, `must be JSON text: ${(e as Error).message}`);
    }
    k.arr(st.expectKernelInputs, `${f}.expectKernelInputs`).forEach((x, j) => {
      const xf = `${f}.expectKernelInputs[${j}]`;
      const o = k.obj(x, xf);
      const key = "venueEvent" in o ? "venueEvent" : "accountEvent" in o ? "accountEvent" : k.fail(xf, o, "must hold venueEvent or accountEvent");
      this.figures(k.obj(o[key], `${xf}.${key}`), `${xf}.${key}`);
    });
  }

  private mark(st: Obj, f: string): void {
    const m = this.k.obj(st.mark, `${f}.mark`);
    this.k.int(m.tsUs, `${f}.mark.tsUs`);
    this.k.str(m.symbol, `${f}.mark.symbol`);
    this.k.decimal(m.markPrice, `${f}.mark.markPrice`);
  }

  private account(st: Obj, f: string): void {
    const ev = this.k.obj(st.event, `${f}.event`);
    this.k.oneOf(ev.kind, `${f}.event.kind`, ["BALANCE", "FILL_SETTLED", "FUNDING"]);
    this.k.str(ev.eventId, `${f}.event.eventId`);
    this.k.int(ev.tsUs, `${f}.event.tsUs`);
    this.figures(ev, `${f}.event`);
    if ("amountUsdt" in ev) this.k.decimal(ev.amountUsdt, `${f}.event.amountUsdt`);
  }

  private anchor(st: Obj, f: string): void {
    this.k.int(st.tsUs, `${f}.tsUs`);
    // Anchors may deliberately carry a bad balance (L5 rejection), so only require a string.
    this.k.str(st.walletBalanceUsdt, `${f}.walletBalanceUsdt`, false);
    this.k.str(st.availableMarginUsdt, `${f}.availableMarginUsdt`, false);
    this.k.int(st.eventSeq, `${f}.eventSeq`);
  }

  private save(st: Obj, f: string): void {
    this.k.int(st.tsUs, `${f}.tsUs`);
    this.images.add(this.k.str(st.image, `${f}.image`));
  }

  private restore(st: Obj, f: string): void {
    this.k.int(st.tsUs, `${f}.tsUs`);
    const img = this.k.str(st.image, `${f}.image`);
    if (!this.images.has(img)) this.k.fail(`${f}.image`, img, "no earlier save step produced this image");
  }

  private reconcile(st: Obj, f: string): void {
    const { k } = this;
    const r = k.obj(st.report, `${f}.report`);
    k.int(r.tsUs, `${f}.report.tsUs`);
    k.arr(r.positions, `${f}.report.positions`).forEach((p, j) => this.figures(k.obj(p, `${f}.report.positions[${j}]`), `${f}.report.positions[${j}]`));
    k.arr(r.orders, `${f}.report.orders`).forEach((o, j) => {
      const oo = k.obj(o, `${f}.report.orders[${j}]`);
      k.str(oo.venueOrderId, `${f}.report.orders[${j}].venueOrderId`);
      this.figures(oo, `${f}.report.orders[${j}]`);
    });
  }
}

/** `expected`: one outcome code per step, the trades, and a ledger for every declared checkpoint and "final". */
function checkExpected(k: FieldChecks, v: unknown, checkpoints: ReadonlySet<string>, stepCount: number): void {
  const ex = k.obj(v, "expected");
  k.only(ex, "expected", ["outcomes", "trades", "checkpoints"]);
  const outcomes = k.arr(ex.outcomes, "expected.outcomes");
  if (outcomes.length !== stepCount) k.fail("expected.outcomes", outcomes.length, `must have one code per step (${stepCount})`);
  outcomes.forEach((o, i) => k.str(o, `expected.outcomes[${i}]`));
  checkTrades(k, ex.trades, "expected.trades");
  const cps = k.obj(ex.checkpoints, "expected.checkpoints");
  for (const cp of checkpoints) if (!(cp in cps)) k.fail(`expected.checkpoints.${cp}`, undefined, "missing (a step declares this checkpoint)");
  if (!("final" in cps)) k.fail("expected.checkpoints.final", undefined, "missing (captured after the last step)");
  for (const [cp, x] of Object.entries(cps)) {
    const f = `expected.checkpoints.${cp}`;
    if (cp !== "final" && !checkpoints.has(cp)) k.fail(f, x, "no step declares this checkpoint");
    const cpo = k.obj(x, f);
    k.only(cpo, f, ["ledger", "trades"]);
    if ("trades" in cpo) checkTrades(k, cpo.trades, `${f}.trades`);
    checkLedger(k, cpo.ledger, `${f}.ledger`);
  }
}

/** Expected trade records: unique trade ids, every figure a decimal string, legs with their figures. */
function checkTrades(k: FieldChecks, v: unknown, base: string): void {
  const seen = new Set<string>();
  k.arr(v, base).forEach((t, i) => {
    const f = `${base}[${i}]`;
    const tr = k.obj(t, f);
    k.only(tr, f, ["tradeId", "side", "leverage", "entryVwap", "exitVwap", "quantity", "exitedQty", "legs", "realizedGrossUsdt", "kernelEstimateUsdt", "exchangeRealizedUsdt", "feesUsdt", "realizedNetUsdt", "pnlSource", "flags", "closed", "tradeRealizedUsdt"]);
    const id = k.str(tr.tradeId, `${f}.tradeId`);
    if (seen.has(id)) k.fail(`${f}.tradeId`, id, "duplicate tradeId");
    seen.add(id);
    k.oneOf(tr.side, `${f}.side`, ["LONG", "SHORT"]);
    k.int(tr.leverage, `${f}.leverage`);
    for (const key of ["entryVwap", "exitVwap", "quantity", "exitedQty", "realizedGrossUsdt", "kernelEstimateUsdt", "feesUsdt", "realizedNetUsdt", "tradeRealizedUsdt"]) k.decimal(tr[key], `${f}.${key}`);
    if ("exchangeRealizedUsdt" in tr) k.decimal(tr.exchangeRealizedUsdt, `${f}.exchangeRealizedUsdt`);
    k.oneOf(tr.pnlSource, `${f}.pnlSource`, ["exchange", "kernel_estimate"]);
    k.strings(tr.flags, `${f}.flags`);
    k.bool(tr.closed, `${f}.closed`);
    k.arr(tr.legs, `${f}.legs`).forEach((l, j) => {
      const lf = `${f}.legs[${j}]`;
      const lo = k.obj(l, lf);
      k.only(lo, lf, ["legIndex", "quantity", "realizedPnlUsdt", "feesUsdt", "realizedSkippedNoPrice", "exchangeRealizedPnlUsdt"]);
      k.int(lo.legIndex, `${lf}.legIndex`);
      for (const key of ["quantity", "realizedPnlUsdt", "feesUsdt"]) k.decimal(lo[key], `${lf}.${key}`);
      if ("exchangeRealizedPnlUsdt" in lo) k.decimal(lo.exchangeRealizedPnlUsdt, `${lf}.exchangeRealizedPnlUsdt`);
      k.bool(lo.realizedSkippedNoPrice, `${lf}.realizedSkippedNoPrice`);
    });
  });
}

/** A checkpoint's ledger: LEDGER_KEYS only; capital and its source required, the rest when present. */
function checkLedger(k: FieldChecks, v: unknown, lf: string): void {
  const l = k.obj(v, lf);
  k.only(l, lf, LEDGER_KEYS);
  k.decimal(l.capitalUsdt, `${lf}.capitalUsdt`);
  k.oneOf(l.capitalSource, `${lf}.capitalSource`, ["seed", "e_anchored", "k_bridged"]);
  for (const key of LEDGER_KEYS) {
    if (!(key in l) || key === "capitalUsdt" || key === "capitalSource") continue;
    if (key === "tradeSeq" || key === "anomalyCount") k.int(l[key], `${lf}.${key}`);
    else k.decimal(l[key], `${lf}.${key}`);
  }
}

/** `mustNotBook`: figures a case proves the kernel never books (trade, optional leg, amount, why). */
function checkMustNotBook(k: FieldChecks, v: unknown): void {
  k.arr(v, "mustNotBook").forEach((m, i) => {
    const o = k.obj(m, `mustNotBook[${i}]`);
    k.str(o.tradeId, `mustNotBook[${i}].tradeId`);
    if ("legIndex" in o) k.int(o.legIndex, `mustNotBook[${i}].legIndex`);
    k.decimal(o.realizedPnlUsdt, `mustNotBook[${i}].realizedPnlUsdt`);
    k.str(o.why, `mustNotBook[${i}].why`);
  });
}

/** `mutantExpectation`: the mutants a case must catch and the leg-1 figure they book instead. */
function checkMutantExpectation(k: FieldChecks, v: unknown): void {
  const m = k.obj(v, "mutantExpectation");
  k.arr(m.mutants, "mutantExpectation.mutants", true).forEach((x, i) => k.str(x, `mutantExpectation.mutants[${i}]`));
  k.decimal(m.leg1RealizedUsdt, "mutantExpectation.leg1RealizedUsdt");
  k.str(m.formula, "mutantExpectation.formula");
}
