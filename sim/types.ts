/**
 * Scenario schema and run result: the contract between scenarios/, sim/, golden/, cli/ and the
 * report writer. `dita run --file F` loads a JSON document of type `Scenario`; `dita run --json`
 * prints a `RunResult` (docs/architecture.md §The `dita` command).
 *
 * Units: time in integer microseconds (`…Us`), money in USDT decimal strings (`…Usdt`),
 * quantities in base-coin decimal strings (`…Qty`).
 */
import type { KernelSnapshot, LedgerSnapshot, TradeRecord } from "../kernel/types.js";
import type { ContractSpec, VenueQuirks } from "../venues/types.js";

export type { ContractSpec, VenueQuirks } from "../venues/types.js";

/** Price path of one symbol. */
export type PricePath =
  | {
      /** Explicit ticks (e.g. the FET incident path 0.1878 → 0.1866). */
      kind: "points";
      symbol: string;
      points: { tUs: number; priceUsdt: string }[];
    }
  | {
      /** Seeded geometric Brownian motion with jumps, tick-size aligned. */
      kind: "gbm";
      symbol: string;
      startPriceUsdt: string;
      /** Annualised volatility, e.g. 0.8. */
      volatility: number;
      /** Annualised drift, e.g. 0. */
      drift?: number;
      /** Jumps per day (Poisson) and jump size stdev (log). */
      jumpsPerDay?: number;
      jumpStdev?: number;
      stepUs: number;
    }
  | {
      /** Recorded series from an Apache Arrow IPC file (columns ts_us:int64, symbol:utf8, price:utf8). */
      kind: "arrow";
      symbol: string;
      file: string;
    };

/** A timed intent of a scripted driver; fields as in kernel Intent minus tsUs/intentId. */
export interface ScriptedIntent {
  atUs: number;
  intent: Record<string, unknown> & { kind: "ENTER" | "EXIT" | "EXIT_RESIDUAL" | "CANCEL"; slotId: number };
}

/**
 * Fault profile. Every field is optional; absent means off. Probabilities are in [0,1].
 * Each fault draws from its own seeded stream (sim/rng.ts), so switching one fault on does not
 * perturb the draws of another.
 */
export interface FaultProfile {
  /** REST and WS latency distributions, microseconds (lognormal by median and p99). */
  restLatencyUs?: { medianUs: number; p99Us: number };
  wsLatencyUs?: { medianUs: number; p99Us: number };
  wsDuplicate?: number; // probability a WS frame is delivered twice (≤ 0.5 in swarm)
  wsReorder?: number; // probability a WS frame is held back behind the next ones
  wsDelay?: { probability: number; maxUs: number };
  wsLoss?: number; // probability a WS frame is lost (recoverable only by REST reconcile; ≤ 0.3)
  restLoss?: number; // probability a REST response is lost after the venue acted (I11)
  rateLimitStorm?: { probability: number; durationUs: number }; // venue answers 109429/100410
  cancelFillRace?: number; // probability a cancel arrives just after the order fills
  outage?: { probability: number; durationUs: number }; // venue unreachable windows
  staleSnapshot?: number; // probability a REST read returns the previous snapshot (E13, F19)
  listenKeyExpiry?: number; // probability per hour the listen key expires
  restart?: number; // probability per intent that the process restarts (save → new → restore → reconcile)
  handlerError?: number; // probability a batch handler throws mid-batch (F15): the rest must still apply
  wsFillPriceLoss?: number; // probability a WS fill frame lacks ap (venue quirk omitWsAvgPrice for the run)
  /** Deterministic restarts (save → new kernel → restore → reconcile) at these virtual times. */
  restartAtUs?: number[];
  /**
   * Deterministic listen-key expiries at these virtual times (safety phase): the venue expires
   * every key, as `listenKeyExpiry` does at random times (docs/bingx-protocol.md §6).
   */
  listenKeyExpiryAtUs?: number[];
  /**
   * Deterministic restarts triggered by state: each entry fires once, right after the kernel call
   * that first puts `slotId` in `stage` (scenarios' "restart in every stage", docs/architecture.md §Kernel reference 12).
   */
  restartOnStage?: { slotId: number; stage: string }[];
}

/** What a scenario expects beyond the invariants (each checked and reported by name). */
export interface ScenarioExpectations {
  /** Final stage per slot id. */
  finalStages?: Record<string, string>;
  /** Diagnostic codes that must have been produced at least once. */
  diagnostics?: string[];
  /** Diagnostic codes that must never be produced. */
  forbiddenDiagnostics?: string[];
  /** Exact per-trade realized gross / net / source. */
  trades?: { tradeId: string; realizedGrossUsdt?: string; realizedNetUsdt?: string; pnlSource?: string; flags?: string[] }[];
  /** Exact ledger fields at the end. */
  ledger?: Partial<Record<keyof LedgerSnapshot, string | number>>;
  /** Invariants expected to FAIL (for scenarios that demonstrate a detector). Normally absent. */
  expectViolations?: string[];
}

export interface Scenario {
  name: string;
  description: string;
  /** Seed flaw IDs this scenario targets, e.g. ["Flaw 4", "A1", "E8"]. */
  flaws?: string[];
  tags?: string[];
  /** Simulated start time (µs since the Unix epoch), e.g. 2026-06-11T00:00:00Z. */
  startUs: number;
  /** Safety-phase length; the liveness phase follows with faults healed. */
  durationUs: number;
  /** Liveness bound: every slot must be quiescent within this after faults heal. */
  livenessBoundUs?: number;
  contracts: ContractSpec[];
  initialBalanceUsdt: string;
  slotCount?: number;
  leverage?: number;
  prices: PricePath[];
  driver:
    | { kind: "scripted"; intents: ScriptedIntent[] }
    | { kind: "random"; symbols: string[]; maxSlots: number; intentsPerHour: number };
  faults?: FaultProfile;
  /**
   * Swarm mode: the fault mix is drawn from the run seed (sim drawFaultMix, VOPR-style rates) and
   * `faults` is ignored; RunResult.faultMix reports the drawn mix. `dita run chaos --seed S`
   * reproduces chaos seed S through this flag.
   */
  swarm?: boolean;
  /**
   * Swarm only: the run's start and safety-phase length are drawn from the seed (stream
   * `<seed>/swarm-window`, sim/faults.ts drawSwarmWindow) so that a funding time (00/08/16 UTC,
   * docs/bingx-protocol.md §9) falls inside the safety phase: the length uniform in
   * [minDurationUs, maxDurationUs] (whole seconds), a funding time of the day of `startUs` picked,
   * and the start placed 60 s to length − 60 s before it. `startUs` / `durationUs` are then ignored.
   */
  swarmWindow?: { minDurationUs: number; maxDurationUs: number };
  /** Venue quirk switches (docs/bingx-protocol.md §12); observed behaviour is the default. */
  venue?: VenueQuirks;

  expect?: ScenarioExpectations;
}

export interface InvariantResult {
  name: string; // e.g. "venue-conservation" (docs/architecture.md §Ledger invariants 1-12)
  ok: boolean;
  detail: string;
  /**
   * "checked" (default when absent) or "not-checked": an invariant that could not be judged on
   * this run (e.g. determinism when the run was not repeated) says so and never counts as a pass.
   */
  status?: "checked" | "not-checked";
  /** Where each violation is: the slot, trade, symbol, simulated time and trace rows that break it. */
  evidence?: InvariantEvidence[];
}

/** One located violation of an invariant (for reports and terminal output). */
export interface InvariantEvidence {
  detail: string;
  slotId?: number;
  tradeId?: string;
  symbol?: string;
  /** Simulated time of the violation, µs since the Unix epoch (reports show it as seconds since start). */
  tUs?: number;
  /** Trace row sequence numbers (the `seq` column of trace.arrow) that show the violation. */
  traceSeq?: number[];
}

/** A fault that actually fired, for the report's timeline. */
export interface FaultMark {
  tUs: number;
  fault: keyof FaultProfile | string;
  detail: string;
}

/** One sample of the run's time series (for plots). */
export interface SeriesPoint {
  tUs: number;
  kernelCapitalUsdt: string;
  venueWalletUsdt: string;
  /** Slot sizes, signed (+ long, − short), by slot id. */
  slotSizes: string[];
  /** Kernel position per symbol (Σ signed slot sizes), for the kernel-vs-venue position plot. */
  kernelPositions?: Record<string, string>;
  /** Venue position per symbol, signed (+ long, − short). */
  venuePositions?: Record<string, string>;
}

/**
 * One kernel call whose outcome was not OK (issue 15's diagnostics table): the `kernel.out` trace
 * row, its input row, the code and the slot it concerns.
 */
export interface DiagnosticRow {
  /** `seq` of the kernel.out row in trace.arrow. */
  seq: number;
  /** `seq` of the input row (intent / kernel.venue / kernel.account / kernel.mark / ...). */
  inputSeq?: number;
  /** Simulated time, µs since the Unix epoch. */
  tUs: number;
  /** Trace kind of the input row, e.g. "intent", "kernel.venue". */
  inputKind: string;
  /** The input's canonical JSON (the trace row body). */
  input: string;
  /** Kernel DiagnosticCode, e.g. "INVALID_INTENT", "RECONCILE_MISMATCH". */
  code: string;
  message: string;
  slotId?: number;
}

export interface RunResult {
  scenario: string;
  seed: number;
  ok: boolean;
  /** SHA-256 hex over the canonical trace; null: not computed (runScenario `hashTrace: false`, a chaos seed without a determinism check) — displays say "not computed". */
  traceHash: string | null;
  events: number; // events processed by the simulator
  simTimeUs: number;
  wallMs: number; // measured outside the simulation path; not part of the hash
  invariants: InvariantResult[];
  expectations: InvariantResult[];
  ledger: LedgerSnapshot;
  venueLedger: import("../venues/venue.js").VenueLedger;
  trades: TradeRecord[];
  final: KernelSnapshot;
  faults: FaultMark[];
  faultMix?: FaultProfile;
  series: SeriesPoint[];
  /** Scenario start (µs since the Unix epoch): reports show times as seconds since it. */
  startUs?: number;
  /** Kernel calls with a non-OK outcome (first MAX_DIAGNOSTICS, sim/evidence.ts); present when the trace was kept. */
  diagnostics?: DiagnosticRow[];
  /**
   * The trace rows that evidence and diagnostics point at (seq, tUs, kind, body as in trace.arrow),
   * so a report can show them without reading the Arrow file.
   */
  traceExcerpt?: { seq: number; tUs: number; kind: string; body: string }[];
  /** How many non-OK outcomes the run had in all (diagnostics may hold fewer). */
  diagnosticsTotal?: number;
  /** Command line that reproduces the run (absolute paths), when the CLI ran it. */
  repro?: string;
  /** Path of the report directory, when one was written. */
  report?: string;
  /** Path of the Arrow IPC trace file, when one was written. */
  trace?: string;
}
