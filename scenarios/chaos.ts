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
import { fileURLToPath } from "node:url";
import { loadKernel, type KernelModule } from "../kernel/index.js";
import { runScenario } from "../sim/run.js";
import { checkJobs, defaultJobs, runPool } from "../sim/pool.js";
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
  /** How many seeds were executed twice (determinism checked). */
  determinismChecked: number;
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
  /** A loaded kernel module to share (default: the simulator's shared module); only with jobs 1. */
  kernelModule?: KernelModule;
  /** Path of a kernel .wasm (with its .json manifest) every worker loads instead of the default (mutant chaos). */
  kernelWasm?: string;
  /** Worker threads (sim/pool.ts); default every core (os.availableParallelism()). */
  jobs?: number;
  /** Override the scenario (tests use a shorter one); default getScenario("chaos"). */
  scenario?: Scenario;
  /**
   * Sampled determinism check (invariant 12): the seeds at positions 0, k, 2k, … of the range are
   * executed twice and their trace hashes compared; the others once ("not checked"). Absent or 0:
   * no seed is re-executed. The gate uses k = 10.
   */
  determinismEvery?: number;
  /** Called as pool workers become ready to take seeds (sim/pool.ts `onReady`); the bench times start-up with it. */
  onReady?: (ready: number, workers: number) => void;
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

/** One chaos task (a seed) as the pool hands it to chaosSeedTask. */
export interface ChaosTask {
  seed: number;
  checkDeterminism: boolean;
}

/** What every chaos task shares: the scenario and, optionally, a kernel .wasm to load instead of the default. */
export interface ChaosTaskInit {
  scenario: Scenario;
  kernelWasm?: string;
}

const kernels = new Map<string, Promise<KernelModule>>();
function kernelAt(path: string): Promise<KernelModule> {
  let k = kernels.get(path);
  if (!k) {
    k = loadKernel({ wasmPath: path }) as Promise<KernelModule>;
    kernels.set(path, k);
  }
  return k;
}

/**
 * Run one chaos seed and return its failures (empty when it passes). A crash of the run is a
 * finding like any other: reported as invariant "run" with the stack, never swallowed. Exported
 * for the worker pool (sim/pool.ts); `kernelModule` only in this thread.
 */
export async function chaosSeedTask(task: ChaosTask, init: ChaosTaskInit, kernelModule?: KernelModule): Promise<ChaosFailure[]> {
  const { scenario } = init;
  const seed = task.seed;
  const repro = chaosRepro(seed, scenario.name);
  try {
    const mod = kernelModule ?? (init.kernelWasm ? await kernelAt(init.kernelWasm) : undefined);
    // The trace hash is read only by the determinism check (a failing seed is re-run with its
    // trace written for its report, cli/commands.ts chaosSeedReports): other seeds skip it.
    const r = await runScenario(scenario, { seed, checkDeterminism: task.checkDeterminism, hashTrace: task.checkDeterminism, ...(mod ? { kernelModule: mod } : {}) });
    const violated = new Set(scenario.expect?.expectViolations ?? []);
    const found: ChaosFailure[] = [...r.invariants, ...r.expectations]
      .filter((x) => !x.ok && !violated.has(x.name))
      .map((x) => ({ seed, invariant: x.name, detail: x.detail, faultMix: r.faultMix, repro }));
    if (found.length === 0 && !r.ok) found.push({ seed, invariant: "run", detail: "runScenario reported ok=false with no failing check", faultMix: r.faultMix, repro });
    return found;
  } catch (err) {
    return [{ seed, invariant: "run", detail: `threw: ${(err as Error).stack ?? String(err)}`, faultMix: undefined, repro }];
  }
}

/**
 * Run swarm chaos over `seeds` seeds starting at `from`, on `jobs` worker threads (default every
 * core). The result lists failures in seed order whatever `jobs` is (byte-identical JSON).
 * @throws Error naming the option when `seeds`, `from`, `jobs` or `determinismEvery` is not a valid
 *   integer, when `kernelModule` is combined with jobs > 1 (a loaded module cannot cross threads:
 *   use `kernelWasm`), or when the "chaos" scenario is missing or not a swarm scenario.
 */
export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  if (!Number.isSafeInteger(opts.seeds) || opts.seeds < 1) throw new Error(`runChaos: seeds must be a positive integer, got ${String(opts.seeds)}`);
  if (!Number.isSafeInteger(opts.from)) throw new Error(`runChaos: from must be a safe integer, got ${String(opts.from)}`);
  if (!Number.isSafeInteger(opts.from + opts.seeds - 1)) throw new Error(`runChaos: from + seeds overflows the safe integer range`);
  const jobs = checkJobs(opts.jobs ?? defaultJobs(), "runChaos: jobs");
  if (opts.kernelModule && jobs > 1) throw new Error("runChaos: kernelModule works only with jobs 1 (give kernelWasm to use another kernel on workers)");
  const scenario = opts.scenario ?? getScenario(CHAOS_SCENARIO);
  if (!scenario) throw new Error(`runChaos: scenario "${CHAOS_SCENARIO}" is not registered in scenarios/index.ts`);
  if (scenario.swarm !== true) throw new Error(`runChaos: scenario "${scenario.name}" must set swarm: true (fault mix drawn from the seed)`);
  const every = opts.determinismEvery ?? 0;
  if (!Number.isSafeInteger(every) || every < 0) throw new Error(`runChaos: determinismEvery must be a non-negative integer, got ${String(opts.determinismEvery)}`);
  const tasks: ChaosTask[] = [];
  for (let i = 0; i < opts.seeds; i++) tasks.push({ seed: opts.from + i, checkDeterminism: every > 0 && i % every === 0 });
  const init: ChaosTaskInit = opts.kernelWasm ? { scenario, kernelWasm: opts.kernelWasm } : { scenario };
  let perSeed: ChaosFailure[][];
  if (opts.kernelModule) {
    opts.onReady?.(1, 1);
    perSeed = [];
    for (const [i, t] of tasks.entries()) {
      if (opts.shouldStop) {
        // Runs are synchronous inside: let the event loop deliver a pending signal (Ctrl-C) first.
        await new Promise<void>((r) => setImmediate(r));
        if (opts.shouldStop()) break;
      }
      perSeed.push(await chaosSeedTask(t, init, opts.kernelModule));
      opts.onProgress?.(i + 1, tasks.length);
    }
  } else {
    perSeed = await runPool<ChaosTask, ChaosFailure[]>({ module: fileURLToPath(import.meta.url), fn: "chaosSeedTask", tasks, jobs, bundle: true, init, onReady: opts.onReady, onProgress: opts.onProgress, shouldStop: opts.shouldStop });
  }
  // Interrupted (Ctrl-C): the seeds finished form a prefix of the range; the rest never started.
  let runs = 0;
  while (runs < tasks.length && perSeed[runs] !== undefined) runs++;
  const finished = perSeed.slice(0, runs);
  const failures = finished.flat();
  const failedSeeds = tasks.filter((_, i) => i < runs && finished[i].length > 0).map((t) => t.seed);
  const determinismChecked = tasks.filter((t, i) => i < runs && t.checkDeterminism).length;
  const interrupted = runs < tasks.length;
  return { ok: failures.length === 0, runs, failures, failedSeeds, determinismChecked, ...(interrupted ? { interrupted } : {}) };
}
