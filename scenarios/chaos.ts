/**
 * Swarm chaos (docs/architecture.md §The simulator, issue 5 "Chaos and properties"): for each seed, the
 * built-in scenario "chaos" — a seeded random trader on FET-USDT and BTC-USDT across several slots —
 * runs with a fault mix the simulator draws from that same seed (sim/faults.ts drawFaultMix: each
 * fault on with probability 1/2, loss ≤ 30 %, duplicates ≤ 50 %, reordering, delay, rate-limit
 * storms, outages, restarts, stale reads, handler errors), a safety phase with faults on and a
 * liveness phase with faults healed, judged by all 12 invariants (and the scenario's forbidden
 * diagnostics).
 *
 * Every failure carries the seed, the drawn fault mix, the violated invariant and one command that
 * reproduces it exactly: `npx dita run chaos --seed <S>` (the scenario's `swarm: true` makes
 * runScenario draw the same mix from S).
 */
import type { KernelModule } from "../kernel/index.js";
import { runScenario } from "../sim/run.js";
import type { FaultProfile, Scenario } from "../sim/types.js";
import { getScenario } from "./index.js";

/** Name of the swarm scenario that `dita run chaos --seed S` reproduces. */
export const CHAOS_SCENARIO = "chaos";

export interface ChaosFailure {
  seed: number;
  /** Invariant (or expectation) name, e.g. "position-parity", or "run" when the run threw. */
  invariant: string;
  detail: string;
  faultMix: FaultProfile | undefined;
  /** One command that reproduces this failure exactly. */
  repro: string;
}

export interface ChaosResult {
  ok: boolean;
  runs: number;
  failures: ChaosFailure[];
  /** Seeds that failed (each once, in order). */
  failedSeeds: number[];
  /** True when `shouldStop` ended the run early; `runs` then counts the seeds finished. */
  interrupted?: boolean;
}

export interface ChaosOptions {
  /** Number of seeds to run (a positive integer). */
  seeds: number;
  /** First seed (a safe integer); seeds are from, from+1, …, from+seeds−1. */
  from: number;
  /** Called after each seed with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /** A loaded kernel module to share (default: the simulator's shared module). */
  kernelModule?: KernelModule;
  /** Override the scenario (tests use a shorter one); default getScenario("chaos"). */
  scenario?: Scenario;
  /** Asked before each seed; true stops the run there (Ctrl-C), keeping the seeds finished. */
  shouldStop?: () => boolean;
}

/** The command that reproduces one chaos seed. */
export function chaosRepro(seed: number, scenarioName = CHAOS_SCENARIO): string {
  return `npx dita run ${scenarioName} --seed ${seed}`;
}

/** A human-readable block for one failure: seed, fault mix, invariant, detail, repro command. */
export function formatChaosFailure(f: ChaosFailure): string {
  return [`chaos seed ${f.seed}: ${f.invariant} violated`, `  fault mix: ${JSON.stringify(f.faultMix ?? {})}`, `  detail: ${f.detail}`, `  reproduce: ${f.repro}`].join("\n");
}

/**
 * Run swarm chaos over `seeds` seeds starting at `from`.
 * @throws Error naming the option when `seeds` or `from` is not a valid integer, or when the
 *   "chaos" scenario is missing or not a swarm scenario.
 */
export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  if (!Number.isSafeInteger(opts.seeds) || opts.seeds < 1) throw new Error(`runChaos: seeds must be a positive integer, got ${String(opts.seeds)}`);
  if (!Number.isSafeInteger(opts.from)) throw new Error(`runChaos: from must be a safe integer, got ${String(opts.from)}`);
  if (!Number.isSafeInteger(opts.from + opts.seeds - 1)) throw new Error(`runChaos: from + seeds overflows the safe integer range`);
  const scenario = opts.scenario ?? getScenario(CHAOS_SCENARIO);
  if (!scenario) throw new Error(`runChaos: scenario "${CHAOS_SCENARIO}" is not registered in scenarios/index.ts`);
  if (scenario.swarm !== true) throw new Error(`runChaos: scenario "${scenario.name}" must set swarm: true (fault mix drawn from the seed)`);
  const failures: ChaosFailure[] = [];
  const failedSeeds: number[] = [];
  let done = 0;
  for (let i = 0; i < opts.seeds; i++) {
    if (opts.shouldStop) {
      // Runs are synchronous inside: let the event loop deliver a pending signal (Ctrl-C) first.
      await new Promise<void>((r) => setImmediate(r));
      if (opts.shouldStop()) return { ok: failures.length === 0, runs: done, failures, failedSeeds, interrupted: true };
    }
    const seed = opts.from + i;
    const repro = chaosRepro(seed, scenario.name);
    let found: ChaosFailure[];
    try {
      const r = await runScenario(scenario, { seed, ...(opts.kernelModule ? { kernelModule: opts.kernelModule } : {}) });
      const violated = new Set(scenario.expect?.expectViolations ?? []);
      found = [...r.invariants, ...r.expectations]
        .filter((x) => !x.ok && !violated.has(x.name))
        .map((x) => ({ seed, invariant: x.name, detail: x.detail, faultMix: r.faultMix, repro }));
      if (found.length === 0 && !r.ok) found.push({ seed, invariant: "run", detail: "runScenario reported ok=false with no failing check", faultMix: r.faultMix, repro });
    } catch (err) {
      // A crash of the run is a finding like any other: report it with its seed, never swallow it.
      found = [{ seed, invariant: "run", detail: `threw: ${(err as Error).stack ?? String(err)}`, faultMix: undefined, repro }];
    }
    if (found.length > 0) {
      failures.push(...found);
      failedSeeds.push(seed);
    }
    done = i + 1;
    opts.onProgress?.(done, opts.seeds);
  }
  return { ok: failures.length === 0, runs: opts.seeds, failures, failedSeeds };
}
