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

const DECIMAL_RE = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

type Obj = Record<string, unknown>;

/**
 * Validate a parsed case file. Checks the golden layer (structure, decimal strings, order
 * references, checkpoint names, expected section); the kernel inputs themselves are checked for
 * shape (kind, tsUs, decimal figures) but their business rules are the kernel's to judge.
 * @throws GoldenCaseError naming the first bad field and its value.
 */
export function validateGoldenCase(raw: unknown, file: string): GoldenCase {
  const bad = (field: string, detail: string): never => {
    throw new GoldenCaseError(file, field, detail);
  };
  const show = (v: unknown): string => JSON.stringify(v) ?? String(v);
  const obj = (v: unknown, f: string): Obj =>
    typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : bad(f, `must be an object, got ${show(v)}`);
  const arr = (v: unknown, f: string): unknown[] => (Array.isArray(v) ? v : bad(f, `must be an array, got ${show(v)}`));
  const str = (v: unknown, f: string): string =>
    typeof v === "string" && v.length > 0 ? v : bad(f, `must be a non-empty string, got ${show(v)}`);
  const int = (v: unknown, f: string): number =>
    typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : bad(f, `must be a non-negative integer, got ${show(v)}`);
  const bool = (v: unknown, f: string): boolean => (typeof v === "boolean" ? v : bad(f, `must be a boolean, got ${show(v)}`));
  const dec = (v: unknown, f: string): string =>
    typeof v === "string" && DECIMAL_RE.test(v) ? v : bad(f, `must be a decimal string like "0.1878", got ${show(v)}`);
  const optDec = (o: Obj, k: string, f: string): void => {
    if (k in o) dec(o[k], `${f}.${k}`);
  };
  const oneOf = <T extends string>(v: unknown, allowed: readonly T[], f: string): T =>
    typeof v === "string" && (allowed as readonly string[]).includes(v)
      ? (v as T)
      : bad(f, `must be one of ${allowed.join(" | ")}, got ${show(v)}`);
  const onlyKeys = (o: Obj, allowed: readonly string[], f: string): void => {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) bad(`${f}.${k}`, `unknown field`);
  };

  const c = obj(raw, "(root)");
  onlyKeys(c, ["name", "description", "proves", "derivation", "config", "steps", "expected", "mustNotBook", "mutantExpectation"], "(root)");
  const name = str(c.name, "name");
  if (!/^[a-z0-9-]+$/.test(name)) bad("name", `must match [a-z0-9-]+, got ${show(name)}`);
  str(c.description, "description");
  arr(c.proves, "proves").forEach((p, i) => str(p, `proves[${i}]`));
  arr(c.derivation, "derivation").forEach((p, i) => str(p, `derivation[${i}]`));

  const config = obj(c.config, "config");
  dec(config.initialCapitalUsdt, "config.initialCapitalUsdt");
  const instruments = arr(config.instruments, "config.instruments");
  if (instruments.length === 0) bad("config.instruments", "must list at least one instrument");
  instruments.forEach((ins, i) => {
    const o = obj(ins, `config.instruments[${i}]`);
    str(o.symbol, `config.instruments[${i}].symbol`);
    dec(o.tickSize, `config.instruments[${i}].tickSize`);
    dec(o.stepSize, `config.instruments[${i}].stepSize`);
  });

  // Steps: shape, order references resolvable to an earlier intent, checkpoint names unique.
  const intentIds = new Set<string>();
  const checkpoints = new Set<string>();
  const images = new Set<string>();
  const checkRef = (v: unknown, f: string): void => {
    if (typeof v === "string" && v.startsWith(ORDER_REF_PREFIX)) {
      const id = v.slice(ORDER_REF_PREFIX.length);
      if (!intentIds.has(id)) bad(f, `order reference ${show(v)} names no earlier intent`);
    }
  };
  const checkFigures = (o: Obj, f: string): void => {
    for (const [k, v] of Object.entries(o)) {
      if (/(Usdt|Qty|Price|quantity|executedQty|avgPrice|limitPrice|ratio)$/.test(k) && typeof v !== "object") dec(v, `${f}.${k}`);
      if (k === "clientOrderId") checkRef(v, `${f}.${k}`);
    }
  };
  const steps = arr(c.steps, "steps");
  if (steps.length === 0) bad("steps", "must contain at least one step");
  steps.forEach((s, i) => {
    const f = `steps[${i}]`;
    const st = obj(s, f);
    const op = oneOf(st.op, STEP_OPS, `${f}.op`);
    if ("label" in st) str(st.label, `${f}.label`);
    if ("checkpoint" in st) {
      const cp = str(st.checkpoint, `${f}.checkpoint`);
      if (cp === "final") bad(`${f}.checkpoint`, `"final" is reserved (captured after the last step)`);
      if (checkpoints.has(cp)) bad(`${f}.checkpoint`, `duplicate checkpoint name ${show(cp)}`);
      checkpoints.add(cp);
    }
    const common = ["op", "label", "checkpoint"];
    switch (op) {
      case "intent": {
        onlyKeys(st, [...common, "intent"], f);
        const it = obj(st.intent, `${f}.intent`);
        oneOf(it.kind, ["ENTER", "EXIT", "EXIT_RESIDUAL", "CANCEL"], `${f}.intent.kind`);
        const id = str(it.intentId, `${f}.intent.intentId`);
        if (intentIds.has(id)) bad(`${f}.intent.intentId`, `duplicate intentId ${show(id)}`);
        int(it.tsUs, `${f}.intent.tsUs`);
        int(it.slotId, `${f}.intent.slotId`);
        checkFigures(it, `${f}.intent`);
        intentIds.add(id);
        break;
      }
      case "venue": {
        onlyKeys(st, [...common, "event"], f);
        const ev = obj(st.event, `${f}.event`);
        oneOf(ev.kind, ["ORDER_ACK", "PARTIAL_FILL", "FULL_FILL", "CANCEL_ACK", "CANCEL_REJECT", "ORDER_REJECT", "RATE_LIMITED"], `${f}.event.kind`);
        str(ev.eventId, `${f}.event.eventId`);
        int(ev.tsUs, `${f}.event.tsUs`);
        checkFigures(ev, `${f}.event`);
        break;
      }
      case "bingxWs": {
        onlyKeys(st, [...common, "tsUs", "body", "expectKernelInputs"], f);
        int(st.tsUs, `${f}.tsUs`);
        const body = str(st.body, `${f}.body`);
        try {
          JSON.parse(body);
        } catch (e) {
          bad(`${f}.body`, `must be JSON text: ${(e as Error).message}`);
        }
        arr(st.expectKernelInputs, `${f}.expectKernelInputs`).forEach((x, j) => {
          const o = obj(x, `${f}.expectKernelInputs[${j}]`);
          const key = "venueEvent" in o ? "venueEvent" : "accountEvent" in o ? "accountEvent" : bad(`${f}.expectKernelInputs[${j}]`, "must hold venueEvent or accountEvent");
          checkFigures(obj(o[key], `${f}.expectKernelInputs[${j}].${key}`), `${f}.expectKernelInputs[${j}].${key}`);
        });
        break;
      }
      case "mark": {
        onlyKeys(st, [...common, "mark"], f);
        const m = obj(st.mark, `${f}.mark`);
        int(m.tsUs, `${f}.mark.tsUs`);
        str(m.symbol, `${f}.mark.symbol`);
        dec(m.markPrice, `${f}.mark.markPrice`);
        break;
      }
      case "account": {
        onlyKeys(st, [...common, "event"], f);
        const ev = obj(st.event, `${f}.event`);
        oneOf(ev.kind, ["BALANCE", "FILL_SETTLED", "FUNDING"], `${f}.event.kind`);
        str(ev.eventId, `${f}.event.eventId`);
        int(ev.tsUs, `${f}.event.tsUs`);
        checkFigures(ev, `${f}.event`);
        optDec(ev, "amountUsdt", `${f}.event`);
        break;
      }
      case "anchor": {
        onlyKeys(st, [...common, "tsUs", "walletBalanceUsdt", "availableMarginUsdt", "eventSeq"], f);
        int(st.tsUs, `${f}.tsUs`);
        // Anchors may deliberately carry a bad balance (L5 rejection), so only require a string.
        if (typeof st.walletBalanceUsdt !== "string") bad(`${f}.walletBalanceUsdt`, `must be a string, got ${show(st.walletBalanceUsdt)}`);
        if (typeof st.availableMarginUsdt !== "string") bad(`${f}.availableMarginUsdt`, `must be a string, got ${show(st.availableMarginUsdt)}`);
        int(st.eventSeq, `${f}.eventSeq`);
        break;
      }
      case "save": {
        onlyKeys(st, [...common, "tsUs", "image"], f);
        int(st.tsUs, `${f}.tsUs`);
        images.add(str(st.image, `${f}.image`));
        break;
      }
      case "restore": {
        onlyKeys(st, [...common, "tsUs", "image"], f);
        int(st.tsUs, `${f}.tsUs`);
        const img = str(st.image, `${f}.image`);
        if (!images.has(img)) bad(`${f}.image`, `no earlier save step produced image ${show(img)}`);
        break;
      }
      case "reconcile": {
        onlyKeys(st, [...common, "report"], f);
        const r = obj(st.report, `${f}.report`);
        int(r.tsUs, `${f}.report.tsUs`);
        arr(r.positions, `${f}.report.positions`).forEach((p, j) => checkFigures(obj(p, `${f}.report.positions[${j}]`), `${f}.report.positions[${j}]`));
        arr(r.orders, `${f}.report.orders`).forEach((o, j) => {
          const oo = obj(o, `${f}.report.orders[${j}]`);
          str(oo.venueOrderId, `${f}.report.orders[${j}].venueOrderId`);
          checkFigures(oo, `${f}.report.orders[${j}]`);
        });
        break;
      }
    }
  });

  // Expected section.
  const ex = obj(c.expected, "expected");
  onlyKeys(ex, ["outcomes", "trades", "checkpoints"], "expected");
  const outcomes = arr(ex.outcomes, "expected.outcomes");
  if (outcomes.length !== steps.length) bad("expected.outcomes", `must have one code per step (${steps.length}), got ${outcomes.length}`);
  outcomes.forEach((o, i) => str(o, `expected.outcomes[${i}]`));
  const checkTrades = (v: unknown, base: string): void => {
    const seenTrades = new Set<string>();
    arr(v, base).forEach((t, i) => {
      const f = `${base}[${i}]`;
      const tr = obj(t, f);
      onlyKeys(tr, ["tradeId", "side", "leverage", "entryVwap", "exitVwap", "quantity", "exitedQty", "legs", "realizedGrossUsdt", "kernelEstimateUsdt", "exchangeRealizedUsdt", "feesUsdt", "realizedNetUsdt", "pnlSource", "flags", "closed", "tradeRealizedUsdt"], f);
      const id = str(tr.tradeId, `${f}.tradeId`);
      if (seenTrades.has(id)) bad(`${f}.tradeId`, `duplicate tradeId ${show(id)}`);
      seenTrades.add(id);
      oneOf(tr.side, ["LONG", "SHORT"], `${f}.side`);
      int(tr.leverage, `${f}.leverage`);
      for (const k of ["entryVwap", "exitVwap", "quantity", "exitedQty", "realizedGrossUsdt", "kernelEstimateUsdt", "feesUsdt", "realizedNetUsdt", "tradeRealizedUsdt"]) dec(tr[k], `${f}.${k}`);
      optDec(tr, "exchangeRealizedUsdt", f);
      oneOf(tr.pnlSource, ["exchange", "kernel_estimate"], `${f}.pnlSource`);
      arr(tr.flags, `${f}.flags`).forEach((x, j) => str(x, `${f}.flags[${j}]`));
      bool(tr.closed, `${f}.closed`);
      arr(tr.legs, `${f}.legs`).forEach((l, j) => {
        const lf = `${f}.legs[${j}]`;
        const lo = obj(l, lf);
        onlyKeys(lo, ["legIndex", "quantity", "realizedPnlUsdt", "feesUsdt", "realizedSkippedNoPrice", "exchangeRealizedPnlUsdt"], lf);
        int(lo.legIndex, `${lf}.legIndex`);
        for (const k of ["quantity", "realizedPnlUsdt", "feesUsdt"]) dec(lo[k], `${lf}.${k}`);
        optDec(lo, "exchangeRealizedPnlUsdt", lf);
        bool(lo.realizedSkippedNoPrice, `${lf}.realizedSkippedNoPrice`);
      });
    });
  };
  checkTrades(ex.trades, "expected.trades");
  const cps = obj(ex.checkpoints, "expected.checkpoints");
  for (const cp of checkpoints) if (!(cp in cps)) bad(`expected.checkpoints.${cp}`, "missing (a step declares this checkpoint)");
  if (!("final" in cps)) bad("expected.checkpoints.final", "missing (captured after the last step)");
  for (const [cp, v] of Object.entries(cps)) {
    const f = `expected.checkpoints.${cp}`;
    if (cp !== "final" && !checkpoints.has(cp)) bad(f, "no step declares this checkpoint");
    const cpo = obj(v, f);
    onlyKeys(cpo, ["ledger", "trades"], f);
    if ("trades" in cpo) checkTrades(cpo.trades, `${f}.trades`);
    const lf = `${f}.ledger`;
    const l = obj(cpo.ledger, lf);
    onlyKeys(l, LEDGER_KEYS, lf);
    dec(l.capitalUsdt, `${lf}.capitalUsdt`);
    oneOf(l.capitalSource, ["seed", "e_anchored", "k_bridged"], `${lf}.capitalSource`);
    for (const k of LEDGER_KEYS) {
      if (!(k in l) || k === "capitalUsdt" || k === "capitalSource") continue;
      if (k === "tradeSeq" || k === "anomalyCount") int(l[k], `${lf}.${k}`);
      else dec(l[k], `${lf}.${k}`);
    }
  }

  if ("mustNotBook" in c) {
    arr(c.mustNotBook, "mustNotBook").forEach((m, i) => {
      const o = obj(m, `mustNotBook[${i}]`);
      str(o.tradeId, `mustNotBook[${i}].tradeId`);
      if ("legIndex" in o) int(o.legIndex, `mustNotBook[${i}].legIndex`);
      dec(o.realizedPnlUsdt, `mustNotBook[${i}].realizedPnlUsdt`);
      str(o.why, `mustNotBook[${i}].why`);
    });
  }
  if ("mutantExpectation" in c) {
    const m = obj(c.mutantExpectation, "mutantExpectation");
    const ms = arr(m.mutants, "mutantExpectation.mutants");
    if (ms.length === 0) bad("mutantExpectation.mutants", "must name at least one mutant");
    ms.forEach((x, i) => str(x, `mutantExpectation.mutants[${i}]`));
    dec(m.leg1RealizedUsdt, "mutantExpectation.leg1RealizedUsdt");
    str(m.formula, "mutantExpectation.formula");
  }
  return raw as GoldenCase;
}
