/**
 * Small builders for the scenario library: they only assemble sim/types.ts `Scenario` objects
 * (plain JSON data, the same shape `dita run --file` loads); nothing here runs anything.
 *
 * Times: every time in a Scenario is absolute virtual time, integer µs since the Unix epoch
 * (price points `tUs`, scripted `atUs`, `restartAtUs`). The builders take offsets in seconds from
 * START_US and convert.
 */
import { defaultContract } from "../../venues/bingx/contracts.js";
import type { ContractSpec, FaultProfile, PricePath, Scenario, ScenarioExpectations, ScriptedIntent } from "../../sim/types.js";

/** 2026-06-11T00:00:00Z, the FET incident day (docs/accounting.md §0), in µs since the epoch. */
export const START_US = 1_781_136_000_000_000;
const US = 1_000_000;

/** µs time of an offset in seconds from START_US. */
export function at(sec: number): number {
  return START_US + Math.round(sec * US);
}

/** FET-USDT as traded in the incident: 4 price decimals (tick 0.0001), whole-coin quantities. */
export const FET: ContractSpec = defaultContract("FET-USDT");

/** BTC-USDT (docs/bingx-protocol.md §4.4 example row): tick 0.1, step 0.0001. */
export const BTC: ContractSpec = defaultContract("BTC-USDT");

/** The incident quantity: entry fills 195,259 + 7,017 = 202,276 FET (docs/accounting.md §7). */
export const FET_QTY = "202276";

/** A "points" price path from [offsetSec, price] pairs. */
export function path(symbol: string, steps: [number, string][]): PricePath {
  return { kind: "points", symbol, points: steps.map(([s, p]) => ({ tUs: at(s), priceUsdt: p })) };
}

/**
 * The FET incident tape: 0.1878 while entering, 0.1866 from `exitFromSec` on (one tick per
 * second so MARKET orders always see a fresh price).
 */
export function fetIncidentPath(exitFromSec: number, endSec: number): PricePath {
  const steps: [number, string][] = [];
  for (let s = 0; s <= endSec; s += 1) steps.push([s, s < exitFromSec ? "0.1878" : "0.1866"]);
  return path("FET-USDT", steps);
}

/** A piecewise-constant path: each [fromSec, price] holds until the next; one tick per second. */
export function stepsPath(symbol: string, segments: [number, string][], endSec: number): PricePath {
  const steps: [number, string][] = [];
  let k = 0;
  for (let s = 0; s <= endSec; s += 1) {
    while (k + 1 < segments.length && segments[k + 1][0] <= s) k++;
    steps.push([s, segments[k][1]]);
  }
  return path(symbol, steps);
}

type IntentFields = Record<string, unknown>;

/** Scripted ENTER at `sec`. Defaults: MARKET, the scenario's leverage (sim default) unless given. */
export function enter(
  sec: number,
  slotId: number,
  tradeId: string,
  side: "LONG" | "SHORT",
  quantity: string,
  extra: IntentFields = {},
  symbol = "FET-USDT",
): ScriptedIntent {
  return { atUs: at(sec), intent: { kind: "ENTER", slotId, tradeId, symbol, side, quantity, orderType: "MARKET", leverage: 3, ...extra } };
}

/** Scripted EXIT (next leg) at `sec`. */
export function exit(sec: number, slotId: number, extra: IntentFields = {}): ScriptedIntent {
  return { atUs: at(sec), intent: { kind: "EXIT", slotId, orderType: "MARKET", ...extra } };
}

/** Scripted EXIT_RESIDUAL at `sec` (G1). */
export function exitResidual(sec: number, slotId: number, extra: IntentFields = {}): ScriptedIntent {
  return { atUs: at(sec), intent: { kind: "EXIT_RESIDUAL", slotId, orderType: "MARKET", ...extra } };
}

/** Scripted CANCEL at `sec`. */
export function cancel(sec: number, slotId: number): ScriptedIntent {
  return { atUs: at(sec), intent: { kind: "CANCEL", slotId } };
}

/** Diagnostics no healthy scenario may ever produce (a bug caught at the boundary, a misroute). */
export const NEVER = ["INTERNAL", "INVALID_STATE"];

export interface ScenarioSpec {
  name: string;
  description: string;
  flaws?: string[];
  tags?: string[];
  durationSec: number;
  livenessBoundSec?: number;
  contracts?: ContractSpec[];
  initialBalanceUsdt?: string;
  slotCount?: number;
  leverage?: number;
  prices: PricePath[];
  intents: ScriptedIntent[];
  faults?: FaultProfile;
  venue?: Scenario["venue"];
  expect?: ScenarioExpectations;
}

/** Assemble a scripted scenario (FET-only, 10 slots, 100,000 USDT unless told otherwise). */
export function scripted(spec: ScenarioSpec): Scenario {
  const s: Scenario = {
    name: spec.name,
    description: spec.description,
    flaws: spec.flaws ?? [],
    tags: spec.tags ?? [],
    startUs: START_US,
    durationUs: Math.round(spec.durationSec * US),
    livenessBoundUs: Math.round((spec.livenessBoundSec ?? 120) * US),
    contracts: spec.contracts ?? [FET],
    initialBalanceUsdt: spec.initialBalanceUsdt ?? "100000",
    slotCount: spec.slotCount ?? 4,
    leverage: spec.leverage ?? 3,
    prices: spec.prices,
    driver: { kind: "scripted", intents: spec.intents },
  };
  if (spec.faults) s.faults = spec.faults;
  s.venue = { depthLevels: 1, slippageBps: 0, ...(spec.venue ?? {}) };
  if (spec.expect) s.expect = spec.expect;
  return s;
}
