/**
 * Scenario validator: the one gate every scenario passes through, whether it comes from the
 * built-in library (scenarios/library/) or from a JSON file (`dita run --file F`,
 * `loadScenarioFile`). Checks the shape of sim/types.ts `Scenario` field by field, rejects unknown
 * fields at every level (the seeds' Q2 lesson: a misspelt field must not silently default), and
 * throws a ScenarioError naming the bad field path and value. It never repairs or defaults input.
 *
 * What it does NOT judge: the content of scripted intents beyond field names and JSON types.
 * Scenarios deliberately send malformed intents (leverage 0, unknown symbol, NaN quantity) to prove
 * the kernel's diagnostics (A8, F3, Flaw 8); judging those values is the kernel's job.
 */
import type { DiagnosticCode, LedgerSnapshot, Stage } from "../kernel/types.js";
import type { FaultProfile, Scenario } from "../sim/types.js";
import { FAULT_PROBABILITY_FIELDS } from "../sim/faults.js";
import { fieldChecks, showValue, type Obj } from "../sim/field-check.js";

/** A scenario that does not match the schema. `field` is a path such as `driver.intents[3].atUs`. */
export class ScenarioError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    reason: string,
  ) {
    super(`scenario field ${field}: ${reason} (got ${showValue(value)})`);
    this.name = "ScenarioError";
  }
}

/** Slot stages (kernel/types.ts Stage), as a runtime list. */
export const STAGES = [
  "IDLE",
  "ORDER_REQUESTED",
  "ENTRY_WORKING",
  "POSITION_OPEN",
  "EXIT_REQUESTED",
  "EXIT_WORKING",
  "CLOSED",
  "STALE_STATE_RECONCILING",
] as const satisfies readonly Stage[];
type MissingStage = Exclude<Stage, (typeof STAGES)[number]>;
const stagesComplete: MissingStage extends never ? true : false = true;

/** Diagnostic codes (kernel/types.ts DiagnosticCode), as a runtime list. */
export const DIAGNOSTIC_CODES = [
  "OK",
  "INVALID_INTENT",
  "INVALID_EVENT",
  "INVALID_SLOT",
  "SLOT_BUSY",
  "DUPLICATE_TRADE_ID",
  "NO_ACTIVE_ORDER",
  "NO_POSITION",
  "ZERO_SIZE_EXIT",
  "INVALID_TRANSITION",
  "DUPLICATE_EVENT",
  "UNRESOLVED_SLOT",
  "STALE_EVENT",
  "OVERFILL",
  "STALE_STATE",
  "VENUE_REJECTED",
  "RATE_LIMITED",
  "ANCHOR_REJECTED",
  "PNL_ANOMALY",
  "RECONCILE_MISMATCH",
  "INVALID_STATE",
  "DISPOSED",
  "INTERNAL",
] as const satisfies readonly DiagnosticCode[];
type MissingCode = Exclude<DiagnosticCode, (typeof DIAGNOSTIC_CODES)[number]>;
const codesComplete: MissingCode extends never ? true : false = true;

const LEDGER_FIELDS = [
  "eventSeq",
  "capitalUsdt",
  "equityUsdt",
  "peakCapitalUsdt",
  "realizedPnlUsdt",
  "unrealizedPnlUsdt",
  "feesPaidUsdt",
  "fundingUsdt",
  "tradeSeq",
  "capitalSource",
  "eWalletBalanceUsdt",
  "eAvailableMarginUsdt",
  "anchorCapitalUsdt",
  "anomalyCount",
  "evictedTrades",
  "evictedRealizedUsdt",
  "evictedFeesUsdt",
] as const satisfies readonly (keyof LedgerSnapshot)[];
type MissingLedger = Exclude<keyof LedgerSnapshot, (typeof LEDGER_FIELDS)[number]>;
const ledgerComplete: MissingLedger extends never ? true : false = true;
void stagesComplete;
void codesComplete;
void ledgerComplete;

const NAME = /^[a-z0-9][a-z0-9-]{0,79}$/;

/** The shared case-file field checks (sim/field-check.ts), failing with a ScenarioError. */
const { obj, only, str, bool, int, num, decimal, arr, strings, oneOf } = fieldChecks((f, v, reason) => {
  throw new ScenarioError(f, v, reason);
});
function prob(v: unknown, f: string): number {
  return num(v, f, 0, 1);
}

/** Intent fields a scripted driver may set per kind (kernel/types.ts Intent minus tsUs/intentId). */
const INTENT_FIELDS: Record<string, Record<string, "string" | "number" | "strings">> = {
  ENTER: {
    tradeId: "string",
    symbol: "string",
    side: "string",
    quantity: "string",
    orderType: "string",
    limitPrice: "string",
    timeInForce: "string",
    leverage: "number",
    exitLegRatios: "strings",
  },
  EXIT: { orderType: "string", limitPrice: "string", timeInForce: "string", ratio: "string" },
  EXIT_RESIDUAL: { orderType: "string", limitPrice: "string", timeInForce: "string" },
  CANCEL: {},
};

function validateIntent(v: unknown, f: string, slotCount: number): void {
  const o = obj(v, f);
  const kind = oneOf(o.kind, `${f}.kind`, ["ENTER", "EXIT", "EXIT_RESIDUAL", "CANCEL"] as const);
  const fields = INTENT_FIELDS[kind];
  only(o, f, ["kind", "slotId", ...Object.keys(fields)]);
  // slotId may deliberately be out of range (INVALID_SLOT scenarios), but must be an integer.
  int(o.slotId, `${f}.slotId`, -1, Math.max(slotCount, 64) + 1);
  for (const [name, type] of Object.entries(fields)) {
    if (o[name] === undefined) continue;
    const ff = `${f}.${name}`;
    if (type === "string" && typeof o[name] !== "string") throw new ScenarioError(ff, o[name], "expected a string");
    if (type === "number" && typeof o[name] !== "number") throw new ScenarioError(ff, o[name], "expected a number");
    if (type === "strings") strings(o[name], ff);
  }
}

function validateContract(v: unknown, f: string): void {
  const o = obj(v, f);
  only(o, f, ["symbol", "pricePrecision", "quantityPrecision", "tradeMinQuantity", "tradeMinUSDT", "takerFeeRate", "makerFeeRate", "maxLeverage"]);
  const symbol = str(o.symbol, `${f}.symbol`);
  if (!/^[A-Z0-9]{1,20}-USDT$/.test(symbol)) throw new ScenarioError(`${f}.symbol`, symbol, "expected BingX form such as \"FET-USDT\"");
  int(o.pricePrecision, `${f}.pricePrecision`, 0, 12);
  int(o.quantityPrecision, `${f}.quantityPrecision`, 0, 12);
  decimal(o.tradeMinQuantity, `${f}.tradeMinQuantity`, { nonNegative: true });
  decimal(o.tradeMinUSDT, `${f}.tradeMinUSDT`, { nonNegative: true });
  decimal(o.takerFeeRate, `${f}.takerFeeRate`, { nonNegative: true });
  decimal(o.makerFeeRate, `${f}.makerFeeRate`);
  int(o.maxLeverage, `${f}.maxLeverage`, 1, 1000);
}

function validatePrice(v: unknown, f: string, symbols: string[]): void {
  const o = obj(v, f);
  const kind = oneOf(o.kind, `${f}.kind`, ["points", "gbm", "arrow"] as const);
  const symbol = str(o.symbol, `${f}.symbol`);
  if (!symbols.includes(symbol)) throw new ScenarioError(`${f}.symbol`, symbol, `not in contracts (${symbols.join(", ")})`);
  if (kind === "points") {
    only(o, f, ["kind", "symbol", "points"]);
    let last = -1;
    arr(o.points, `${f}.points`, true).forEach((p, i) => {
      const pf = `${f}.points[${i}]`;
      const po = obj(p, pf);
      only(po, pf, ["tUs", "priceUsdt"]);
      const t = int(po.tUs, `${pf}.tUs`, 0);
      if (t < last) throw new ScenarioError(`${pf}.tUs`, t, `must be >= the previous point's tUs ${last}`);
      last = t;
      decimal(po.priceUsdt, `${pf}.priceUsdt`, { positive: true });
    });
  } else if (kind === "gbm") {
    only(o, f, ["kind", "symbol", "startPriceUsdt", "volatility", "drift", "jumpsPerDay", "jumpStdev", "stepUs"]);
    decimal(o.startPriceUsdt, `${f}.startPriceUsdt`, { positive: true });
    num(o.volatility, `${f}.volatility`, 0, 100);
    if (o.drift !== undefined) num(o.drift, `${f}.drift`, -100, 100);
    if (o.jumpsPerDay !== undefined) num(o.jumpsPerDay, `${f}.jumpsPerDay`, 0, 1e6);
    if (o.jumpStdev !== undefined) num(o.jumpStdev, `${f}.jumpStdev`, 0, 10);
    int(o.stepUs, `${f}.stepUs`, 1);
  } else {
    only(o, f, ["kind", "symbol", "file"]);
    str(o.file, `${f}.file`);
  }
}

function latency(v: unknown, f: string): void {
  const o = obj(v, f);
  only(o, f, ["medianUs", "p99Us"]);
  const m = num(o.medianUs, `${f}.medianUs`, Number.MIN_VALUE, 1e12);
  const p = num(o.p99Us, `${f}.p99Us`, Number.MIN_VALUE, 1e12);
  if (p < m) throw new ScenarioError(`${f}.p99Us`, p, `must be >= medianUs ${m}`);
}
function window(v: unknown, f: string): void {
  const o = obj(v, f);
  only(o, f, ["probability", "durationUs"]);
  prob(o.probability, `${f}.probability`);
  int(o.durationUs, `${f}.durationUs`, 1);
}

/** Validate a FaultProfile (sim/types.ts); exported for chaos.ts, which checks drawn mixes too. */
export function validateFaults(v: unknown, f: string, slotCount = 64): void {
  const o = obj(v, f);
  only(o, f, FAULT_FIELDS);
  if (o.restLatencyUs !== undefined) latency(o.restLatencyUs, `${f}.restLatencyUs`);
  if (o.wsLatencyUs !== undefined) latency(o.wsLatencyUs, `${f}.wsLatencyUs`);
  for (const k of FAULT_PROBABILITY_FIELDS) {
    if (o[k] !== undefined) prob(o[k], `${f}.${k}`);
  }
  if (o.listenKeyExpiry !== undefined) num(o.listenKeyExpiry, `${f}.listenKeyExpiry`, 0, 3600);
  if (o.wsDelay !== undefined) {
    const d = obj(o.wsDelay, `${f}.wsDelay`);
    only(d, `${f}.wsDelay`, ["probability", "maxUs"]);
    prob(d.probability, `${f}.wsDelay.probability`);
    int(d.maxUs, `${f}.wsDelay.maxUs`, 1);
  }
  if (o.rateLimitStorm !== undefined) window(o.rateLimitStorm, `${f}.rateLimitStorm`);
  if (o.outage !== undefined) window(o.outage, `${f}.outage`);
  if (o.restartAtUs !== undefined) arr(o.restartAtUs, `${f}.restartAtUs`).forEach((t, i) => int(t, `${f}.restartAtUs[${i}]`, 0));
  if (o.listenKeyExpiryAtUs !== undefined) arr(o.listenKeyExpiryAtUs, `${f}.listenKeyExpiryAtUs`).forEach((t, i) => int(t, `${f}.listenKeyExpiryAtUs[${i}]`, 0));
  if (o.restartOnStage !== undefined) {
    arr(o.restartOnStage, `${f}.restartOnStage`).forEach((r, i) => {
      const rf = `${f}.restartOnStage[${i}]`;
      const ro = obj(r, rf);
      only(ro, rf, ["slotId", "stage"]);
      int(ro.slotId, `${rf}.slotId`, 0, slotCount - 1);
      oneOf(ro.stage, `${rf}.stage`, STAGES);
    });
  }
}

/** Field lists of the schema objects; the type checks below fail to compile when sim/types.ts grows. */
const SCENARIO_FIELDS = [
  "name", "description", "flaws", "tags", "startUs", "durationUs", "livenessBoundUs", "contracts",
  "initialBalanceUsdt", "slotCount", "leverage", "prices", "driver", "faults", "swarm", "swarmWindow", "venue", "expect",
] as const satisfies readonly (keyof Scenario)[];
const FAULT_FIELDS = [
  "restLatencyUs", "wsLatencyUs", "wsDuplicate", "wsReorder", "wsDelay", "wsLoss", "restLoss",
  "rateLimitStorm", "cancelFillRace", "outage", "staleSnapshot", "listenKeyExpiry", "restart",
  "handlerError", "wsFillPriceLoss", "restartAtUs", "restartOnStage", "listenKeyExpiryAtUs",
] as const satisfies readonly (keyof FaultProfile)[];
const VENUE_FIELDS = [
  "marketBoundPrice", "omitWsClientOrderId", "omitWalletBalance", "omitWsAvgPrice", "newErrorCodes", "hedgeMode", "depthLevels", "slippageBps", "ackShape",
] as const satisfies readonly (keyof NonNullable<Scenario["venue"]>)[];
const schemaComplete: [
  Exclude<keyof Scenario, (typeof SCENARIO_FIELDS)[number]>,
  Exclude<keyof FaultProfile, (typeof FAULT_FIELDS)[number]>,
  Exclude<keyof NonNullable<Scenario["venue"]>, (typeof VENUE_FIELDS)[number]>,
] extends [never, never, never] ? true : false = true;
void schemaComplete;

function validateVenue(v: unknown, f: string): void {
  const o = obj(v, f);
  only(o, f, VENUE_FIELDS);
  if (o.ackShape !== undefined) oneOf(o.ackShape, `${f}.ackShape`, ["vst", "documented"] as const);
  for (const k of ["marketBoundPrice", "omitWsClientOrderId", "newErrorCodes", "hedgeMode"]) {
    if (o[k] !== undefined) bool(o[k], `${f}.${k}`);
  }
  if (o.omitWalletBalance !== undefined) prob(o.omitWalletBalance, `${f}.omitWalletBalance`);
  if (o.omitWsAvgPrice !== undefined) prob(o.omitWsAvgPrice, `${f}.omitWsAvgPrice`);
  if (o.depthLevels !== undefined) int(o.depthLevels, `${f}.depthLevels`, 1, 100);
  if (o.slippageBps !== undefined) num(o.slippageBps, `${f}.slippageBps`, 0, 10_000);
}

function validateExpect(v: unknown, f: string, slotCount: number): void {
  const o = obj(v, f);
  only(o, f, ["finalStages", "diagnostics", "forbiddenDiagnostics", "trades", "ledger", "expectViolations"]);
  if (o.finalStages !== undefined) {
    const st = obj(o.finalStages, `${f}.finalStages`);
    for (const [k, stage] of Object.entries(st)) {
      if (!/^[0-9]+$/.test(k) || Number(k) >= slotCount) throw new ScenarioError(`${f}.finalStages.${k}`, k, `slot id must be an integer in [0, ${slotCount - 1}]`);
      oneOf(stage, `${f}.finalStages.${k}`, STAGES);
    }
  }
  for (const k of ["diagnostics", "forbiddenDiagnostics"]) {
    if (o[k] !== undefined) arr(o[k], `${f}.${k}`).forEach((c, i) => oneOf(c, `${f}.${k}[${i}]`, DIAGNOSTIC_CODES));
  }
  if (o.trades !== undefined) {
    arr(o.trades, `${f}.trades`).forEach((t, i) => {
      const tf = `${f}.trades[${i}]`;
      const to = obj(t, tf);
      only(to, tf, ["tradeId", "realizedGrossUsdt", "realizedNetUsdt", "pnlSource", "flags"]);
      str(to.tradeId, `${tf}.tradeId`);
      if (to.realizedGrossUsdt !== undefined) decimal(to.realizedGrossUsdt, `${tf}.realizedGrossUsdt`);
      if (to.realizedNetUsdt !== undefined) decimal(to.realizedNetUsdt, `${tf}.realizedNetUsdt`);
      if (to.pnlSource !== undefined) oneOf(to.pnlSource, `${tf}.pnlSource`, ["exchange", "kernel_estimate"] as const);
      if (to.flags !== undefined) strings(to.flags, `${tf}.flags`);
    });
  }
  if (o.ledger !== undefined) {
    const l = obj(o.ledger, `${f}.ledger`);
    for (const [k, val] of Object.entries(l)) {
      oneOf(k, `${f}.ledger.${k}`, LEDGER_FIELDS);
      if (typeof val !== "string" && typeof val !== "number") throw new ScenarioError(`${f}.ledger.${k}`, val, "expected a string or a number");
    }
  }
  if (o.expectViolations !== undefined) strings(o.expectViolations, `${f}.expectViolations`);
}

/**
 * Validate `value` as a Scenario (sim/types.ts) and return it typed. Pure: never modifies or
 * defaults the input. Throws ScenarioError naming the first bad field and its value.
 */
export function validateScenario(value: unknown): Scenario {
  const o = obj(value, "(scenario)");
  only(o, "", SCENARIO_FIELDS);
  const name = str(o.name, "name");
  if (!NAME.test(name)) throw new ScenarioError("name", name, "expected lower-case letters, digits and '-' (<= 80 chars)");
  str(o.description, "description");
  if (o.flaws !== undefined) strings(o.flaws, "flaws");
  if (o.tags !== undefined) strings(o.tags, "tags");
  const startUs = int(o.startUs, "startUs", 0);
  const durationUs = int(o.durationUs, "durationUs", 1);
  if (o.livenessBoundUs !== undefined) int(o.livenessBoundUs, "livenessBoundUs", 1);
  const contracts = arr(o.contracts, "contracts", true);
  contracts.forEach((c, i) => validateContract(c, `contracts[${i}]`));
  const symbols = contracts.map((c) => (c as Obj).symbol as string);
  const dup = symbols.find((s, i) => symbols.indexOf(s) !== i);
  if (dup) throw new ScenarioError("contracts", dup, "duplicate symbol");
  decimal(o.initialBalanceUsdt, "initialBalanceUsdt", { positive: true });
  const slotCount = o.slotCount === undefined ? 10 : int(o.slotCount, "slotCount", 1, 64);
  if (o.leverage !== undefined) int(o.leverage, "leverage", 1, 1000);
  arr(o.prices, "prices", true).forEach((p, i) => validatePrice(p, `prices[${i}]`, symbols));
  const driver = obj(o.driver, "driver");
  const dkind = oneOf(driver.kind, "driver.kind", ["scripted", "random"] as const);
  if (dkind === "scripted") {
    only(driver, "driver", ["kind", "intents"]);
    arr(driver.intents, "driver.intents").forEach((si, i) => {
      const f = `driver.intents[${i}]`;
      const so = obj(si, f);
      only(so, f, ["atUs", "intent"]);
      int(so.atUs, `${f}.atUs`, startUs, startUs + durationUs);
      validateIntent(so.intent, `${f}.intent`, slotCount);
    });
  } else {
    only(driver, "driver", ["kind", "symbols", "maxSlots", "intentsPerHour"]);
    strings(driver.symbols, "driver.symbols").forEach((s, i) => {
      if (!symbols.includes(s)) throw new ScenarioError(`driver.symbols[${i}]`, s, "not in contracts");
    });
    int(driver.maxSlots, "driver.maxSlots", 1, slotCount);
    num(driver.intentsPerHour, "driver.intentsPerHour", Number.MIN_VALUE, 1e7);
  }
  if (o.faults !== undefined) validateFaults(o.faults, "faults", slotCount);
  if (o.swarm !== undefined) bool(o.swarm, "swarm");
  if (o.swarmWindow !== undefined) {
    const w = obj(o.swarmWindow, "swarmWindow");
    only(w, "swarmWindow", ["minDurationUs", "maxDurationUs"]);
    const lo = int(w.minDurationUs, "swarmWindow.minDurationUs", 180_000_000, 86_400_000_000);
    int(w.maxDurationUs, "swarmWindow.maxDurationUs", lo, 86_400_000_000);
    if (o.swarm !== true) throw new ScenarioError("swarmWindow", o.swarmWindow, "needs swarm: true (the window is drawn from the run seed)");
  }
  if (o.venue !== undefined) validateVenue(o.venue, "venue");
  if (o.expect !== undefined) validateExpect(o.expect, "expect", slotCount);
  return value as Scenario;
}
