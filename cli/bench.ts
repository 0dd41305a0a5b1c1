/**
 * `dita bench`: the project's benchmark figures, with the host description and the kernel .wasm
 * hash (NautilusTrader's bench files record host, binary hash and noise band; we do the same).
 *
 * Figures (JSON fields):
 * - wasmEventsPerSec / nativeEventsPerSec / ratio: kernel venue events per second on one event
 *   stream, through the WASM binding vs the native crate (kernel/bench.ts + the Rust bench
 *   binary, kernel engineer); ratio = wasm / native.
 * - simEventsPerSec: end-to-end simulator events per second (sim/run.ts runScenario, tinybench).
 * - simSpeedup: simulated time / wall time of a 48 h soak (one run; --quick: 2 h).
 * - chaosRunsPerMin: swarm chaos seeds per minute (scenarios/chaos.ts runChaos, every core), the
 *   pool's start-up included. `chaos` says what was measured: seeds, wall time, `startupMs` (until
 *   every worker could take a seed), `halfMs` (until half of the seeds were done) and
 *   `steadyRunsPerMin` (seeds per minute over the second half: after the start-up and the JIT's
 *   warm-up, the rate a long sweep approaches). The full budget runs 400 seeds (40 before session
 *   8, when start-up was most of the figure: 479/min against 1,129–1,208/min over 10,000-seed
 *   sweeps); the process start of the `dita` command itself (node and the CLI, about a second) is
 *   outside it. On 2026-12-02 the 400-seed figure was 1,305–1,333/min while a 10,000-seed sweep
 *   (seeds 150001–160000) ran at 1,613/min: the first seeds of each worker pay the JIT's warm-up.
 * - rssGrowthMb: RSS growth of one kernel from 100k to 1M entry+exit round trips (cli/rss-probe.ts
 *   in a child process with RSS_PROBE_NODE_FLAGS: forced GC and V8's young generation pinned at
 *   its grown size, see cli/rss-probe-flags.ts; --quick: 10k to 50k). Raw process RSS at both
 *   checkpoints is in `rss`, with the kernel's WASM linear memory beside it.
 * --quick also shortens the kernel stream to 100k records (see BUDGETS).
 * Wall-clock timing lives here only (never on the simulation path).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { Bench } from "tinybench";
import type { HostInfo } from "../reports/gate-page.js";
import type { Scenario } from "../sim/types.js";
import type { CommandOutput } from "./commands.js";
import { textTable } from "./commands.js";
import { EXIT_OK, EXIT_USAGE, NotAvailableError } from "./errors.js";
import { log, startProgress } from "./io.js";
import { loadRunChaos, loadRunScenario, loadScenarios, REPO_ROOT } from "./modules.js";
import { type KernelCallFigure, measureKernelCalls, measureKernelThroughput } from "./kernel-bench.js";
import { RSS_PROBE_NODE_FLAGS } from "./rss-probe-flags.js";
import { measureRunPeakRss, type RunPeakRss } from "./run-rss.js";

/** Repository-relative path of the kernel module the binding loads. */
export const WASM_PATH = "kernel/pkg/dita_kernel.wasm";

/** Host description: os, cpu model, cores, node version, memory. */
export function hostInfo(): HostInfo {
  const cpus = os.cpus();
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model?.trim() ?? "unknown",
    cores: typeof os.availableParallelism === "function" ? os.availableParallelism() : cpus.length,
    nodeVersion: process.version,
    totalMemMb: Math.round(os.totalmem() / 1048576),
  };
}

/** SHA-256 (hex) of the kernel .wasm in the checkout. @throws NotAvailableError when not built. */
export function wasmHash(): string {
  const p = join(REPO_ROOT, WASM_PATH);
  if (!existsSync(p)) throw new NotAvailableError(WASM_PATH, "run `npm run build`");
  return createHash("sha256").update(readFileSync(p)).digest("hex");
}

/** Budgets of one bench run. */
export interface BenchBudget {
  /** tinybench iterations of the end-to-end sim run. */
  simIterations: number;
  /** Soak length in simulated hours. */
  soakHours: number;
  /** Chaos seeds timed for runs per minute. */
  chaosSeeds: number;
  /** RSS checkpoints (trades): growth = rss(last) − rss(first). */
  rssCheckpoints: [number, number];
  /** Kernel stream records and repetitions per engine (WASM vs native). */
  kernelEvents: number;
  kernelReps: number;
  /** Simulated hours of the `dita run` whose peak RSS is measured (cli/run-rss.ts); null: not run. */
  runRssHours: number | null;
}

/**
 * Full budgets (`dita bench`) and quick budgets (`dita bench --quick`, the gate). The quick kernel
 * stream (100k records × 3 per engine) and soak (2 h) were cut from 300k and 6 h to give the gate's
 * time to its chaos budget (issue 12): measured alternately at load ≈ 10 on 2 cores, wasm/native was
 * 0.45–0.48 at 100k against 0.46–0.62 at 300k, and the soak's speedup per native event/s 6.1k–7.9k
 * at 2 h against 7.5k–10.4k at 6 h — a spread and a shift (≤ 20 % each) well inside the gate's
 * tolerance (≥ 40 % of the baseline, cli/baseline.json).
 */
export const BUDGETS: Record<"full" | "quick", BenchBudget> = {
  full: { simIterations: 10, soakHours: 48, chaosSeeds: 400, rssCheckpoints: [100_000, 1_000_000], kernelEvents: 1_000_000, kernelReps: 3, runRssHours: 48 },
  quick: { simIterations: 5, soakHours: 2, chaosSeeds: 12, rssCheckpoints: [10_000, 50_000], kernelEvents: 100_000, kernelReps: 3, runRssHours: null },
};

/** Options of one bench run. */
export interface BenchOptions {
  /**
   * A chaos sweep already timed by the caller (the gate's chaos section: runChaos over its seed
   * budget with every core): its seeds per minute become the chaos figure and the bench does not
   * run a second sweep. `seeds` counts seeds (a seed re-executed for determinism counts once).
   */
  chaos?: { seeds: number; wallMs: number; ok: boolean; jobs: number; startupMs?: number; halfMs?: number; halfSeeds?: number };
}

/** The bench JSON document (`dita bench --json`); absent figures are listed in `unavailable`. */
export interface BenchResult {
  host: HostInfo;
  wasmSha256: string | null;
  budget: "full" | "quick";
  wasmEventsPerSec: number | null;
  nativeEventsPerSec: number | null;
  /** wasm / native on the same stream. */
  ratio: number | null;
  kernelStream: { events: number; description: string; wasmBand: [number, number]; nativeBand: [number, number] } | null;
  /** Per-call micro-benchmark through the binding (µs per call, tinybench rme and min..max band). */
  kernelCalls?: KernelCallFigure[] | null;
  /** Load average (1, 5, 15 min) when the bench started and ended: the machine is shared. */
  loadAvg?: { start: number[]; end: number[] } | null;
  simEventsPerSec: number | null;
  simScenario: string | null;
  /**
   * What simEventsPerSec measured: `runs` timed runs of the scenario (seeds 2, 3, ...) after
   * `warmupRuns` untimed ones, `meanEvents` events per timed run, all in this process (so the JIT's
   * warm-up of the simulator's code is in the figure; sim/README.md "Measured speed").
   */
  simRuns?: { runs: number; warmupRuns: number; meanEvents: number; simMinutes: number } | null;
  /** Simulated time / wall time of the soak. */
  simSpeedup: number | null;
  soak: { scenario: string; simHours: number; wallMs: number; events: number; ok: boolean } | null;
  chaosRunsPerMin: number | null;
  /**
   * `jobs`: worker threads of the chaos figure (runChaos default: every core). `from`: "gate" when
   * the figure is the gate's own chaos section (same runChaos, every core, its seed budget), timed
   * there instead of running a second, smaller chaos sweep inside the bench.
   */
  chaos: {
    seeds: number;
    wallMs: number;
    ok: boolean;
    jobs?: number;
    from?: "gate";
    /** ms from the start of runChaos until every pool worker had loaded its module and could take a seed (part of wallMs). */
    startupMs?: number;
    /** ms from the start of runChaos until half of the seeds (`halfSeeds`, rounded up) were done (part of wallMs). */
    halfMs?: number;
    /**
     * Seeds per minute over the second half of the sweep, (seeds − halfSeeds) / (wallMs − halfMs):
     * the rate once the pool is up and its workers' JIT is warm (what a long sweep approaches).
     * Until 2026-12-02 this was seeds / (wallMs − startupMs), which still carried the warm-up.
     */
    steadyRunsPerMin?: number;
    /** What the figure measured, in words (budget, start-up, what is outside it). */
    description?: string;
  } | null;
  /**
   * Wall time of each bench part, ms (where the bench's own time goes). In the gate the RSS probe
   * runs alongside the sim and soak parts, so `rss` is only the wait for it after the soak.
   */
  sectionMs?: Record<string, number>;
  rssGrowthMb: number | null;
  /**
   * Peak RSS of a `dita run --file` of the bench scenario over BUDGETS.runRssHours (48 h) with its
   * report and trace, in a child process (cli/run-rss.ts); null with --quick (not run: a 48 h run).
   */
  runPeakRss?: RunPeakRss | null;
  /** Raw process RSS of the probe at both checkpoints, and the kernel's WASM linear memory there. */
  rss: { fromTrades: number; toTrades: number; fromMb: number; toMb: number; wasmFromMb: number; wasmToMb: number; tradesPerSec: number } | null;
  /** [trades, rssMb] samples of the probe (also when it failed part-way). */
  rssCurve: [number, number][];
  /** Relative noise band of the sim events/s (tinybench relative margin of error, %). */
  simNoisePct: number | null;
  /** Figures that could not be measured, with the reason (a missing module, a failed probe). */
  unavailable: { figure: string; reason: string }[];
  wallMs: number;
}

/** Pick the scenario the sim throughput and the soak use: tag "bench", else the first random-driver scenario. */
export function pickBenchScenario(all: Scenario[]): Scenario | undefined {
  return all.find((s) => s.tags?.includes("bench")) ?? all.find((s) => s.driver.kind === "random" && !s.faults) ?? all.find((s) => s.driver.kind === "random");
}

async function timeOnce<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  let value: T | undefined;
  const b = new Bench({ iterations: 1, time: 0, warmup: false, throws: true });
  b.add("once", async () => {
    value = await fn();
  });
  await b.run();
  const r = b.tasks[0].result;
  if (r.state !== "completed") throw new Error(`bench task did not complete: ${r.state}`);
  return { value: value as T, ms: r.totalTime };
}

/** RSS samples of the probe; `failure` set when the kernel failed before the last checkpoint. */
interface RssProbeOutput {
  samples: { trades: number; rssMb: number; wasmMemoryMb: number; wallMs: number }[];
  failedAtTrade?: number;
  error?: string;
}

/**
 * Run cli/rss-probe.ts in a child process (RSS_PROBE_NODE_FLAGS: forced GC, pinned young
 * generation) over `checkpoints` trades, asynchronously.
 * @throws Error (rejects) with the probe's own error line when it prints no JSON result.
 */
function rssProbe(checkpoints: [number, number]): Promise<RssProbeOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...RSS_PROBE_NODE_FLAGS, "--import", "tsx", join(REPO_ROOT, "cli", "rss-probe.ts"), checkpoints.join(",")], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", (e) => reject(new Error(`rss-probe could not start: ${e.message}`)));
    child.on("close", (status) => {
      const lastLine = stdout.trim().split("\n").pop() ?? "";
      if (!lastLine.startsWith("{")) {
        const why = stderr.split("\n").find((l) => /^[A-Za-z]*Error: /.test(l)) ?? stderr.trim().split("\n").slice(-1)[0];
        reject(new Error(`rss-probe failed (exit ${status}): ${why}`));
        return;
      }
      try {
        resolve(JSON.parse(lastLine) as RssProbeOutput);
      } catch (e) {
        reject(new Error(`rss-probe printed a result line that is not JSON: ${(e as Error).message}`));
      }
    });
  });
}

const round = (v: number, d = 0) => Math.round(v * 10 ** d) / 10 ** d;

/**
 * Times a chaos sweep for its bench figure (wall clock: the bench and the gate only, never the
 * simulation path). Give `onReady` and `onProgress` to runChaos; `startupMs` is set when every
 * pool worker can take a seed, `halfMs` when half of the seeds (rounded up) are done.
 */
export class ChaosTimer {
  private readonly t0 = performance.now();
  startupMs: number | undefined;
  halfMs: number | undefined;
  halfSeeds: number | undefined;
  /** runChaos `onReady`. */
  readonly onReady = (ready: number, workers: number): void => {
    if (ready === workers && this.startupMs === undefined) this.startupMs = performance.now() - this.t0;
  };
  /** runChaos `onProgress` (seeds done, seeds in the sweep). */
  readonly onProgress = (done: number, total: number): void => {
    if (this.halfMs !== undefined || done < Math.ceil(total / 2)) return;
    this.halfMs = performance.now() - this.t0;
    this.halfSeeds = done;
  };
  /** ms since the timer was made (just before runChaos was called). */
  elapsedMs(): number {
    return performance.now() - this.t0;
  }
}

/** The marks a ChaosTimer took during a sweep (BenchOptions.chaos carries them from the gate). */
type ChaosMarks = Pick<ChaosTimer, "startupMs" | "halfMs" | "halfSeeds">;

/** The parts of BenchResult.chaos derived from a sweep's marks: start-up, half-way, steady rate and description. */
type ChaosFigureParts = Pick<NonNullable<BenchResult["chaos"]>, "startupMs" | "halfMs" | "steadyRunsPerMin"> & { description: string };

/** The start-up, half-way and steady parts of a chaos figure (see BenchResult.chaos), and a description. */
export function chaosFigureParts(seeds: number, wallMs: number, t: Partial<ChaosMarks>, what: string): ChaosFigureParts {
  const tail = "; wallMs and chaosRunsPerMin include the pool's start-up (bundle lookup, worker spawn, module import, kernel load: startupMs) and the JIT's warm-up, not the start of the dita process itself; steadyRunsPerMin is the rate over the second half of the seeds (after halfMs)";
  const out: ChaosFigureParts = { description: what + tail };
  if (t.startupMs !== undefined) out.startupMs = round(t.startupMs);
  if (t.halfMs !== undefined && t.halfSeeds !== undefined && t.halfSeeds < seeds && wallMs > t.halfMs) {
    out.halfMs = round(t.halfMs);
    out.steadyRunsPerMin = round(((seeds - t.halfSeeds) / (wallMs - t.halfMs)) * 60_000, 1);
  }
  return out;
}

/**
 * Run every benchmark with the given budget. A figure whose module is missing or whose probe
 * fails is null and listed in `unavailable` (never a made-up number).
 */
export async function runBench(budgetName: "full" | "quick", opts: BenchOptions = {}): Promise<BenchResult> {
  const budget = BUDGETS[budgetName];
  const t0 = performance.now();
  const run = new BenchSections(emptyBenchResult(budgetName));
  const res = run.res;
  const kernelPresent = existsSync(join(REPO_ROOT, "kernel", "index.ts"));
  // With the gate's chaos figure, the parts after the kernel stream are single-threaded, so the
  // RSS probe (a memory figure; its trades/s is not compared) runs alongside them on the second
  // core instead of after them. It starts after the kernel stream, so that the native events/s
  // every figure is divided by is measured without it. Standalone, it runs last, after the chaos
  // sweep that uses every core. The promise is settled into a value, so that a failure is not an
  // unhandled rejection while it waits for the RSS part, which reports it.
  let probeEarly: Promise<{ out: RssProbeOutput } | { err: unknown }> | undefined;
  const bar = startProgress("bench", 5);
  try {
    await run.section("wasmSha256", undefined, () => {
      res.wasmSha256 = wasmHash();
    });
    bar.update(0, undefined, "kernel wasm vs native");
    await run.section("wasmEventsPerSec/nativeEventsPerSec", "kernelStream", () => benchKernelStream(res, budget));
    if (opts.chaos !== undefined && kernelPresent) probeEarly = rssProbe(budget.rssCheckpoints).then((out) => ({ out }), (err: unknown) => ({ err }));
    await run.section("kernelCalls", "kernelCalls", async () => {
      res.kernelCalls = await measureKernelCalls(budgetName === "quick" ? 200 : 500);
    });
    bar.update(1, undefined, "end-to-end sim");
    let scenario: Scenario | undefined;
    await run.section("simEventsPerSec", "sim", async () => {
      scenario = await loadBenchScenario();
      res.simScenario = scenario.name;
      await benchSim(res, budget, scenario);
    });
    bar.update(2, undefined, `${budget.soakHours} h soak`);
    await run.section("simSpeedup", "soak", () => benchSoak(res, budget, scenario));
    if (budget.runRssHours !== null) {
      const hours = budget.runRssHours;
      bar.update(2, undefined, `${hours} h dita run: peak RSS`);
      await run.section("runPeakRss", "runRss", async () => {
        if (!scenario) throw new Error("no scenario to run (see simEventsPerSec)");
        res.runPeakRss = await measureRunPeakRss(scenario, hours);
      });
    }
    bar.update(3, undefined, "chaos");
    await run.section("chaosRunsPerMin", "chaos", () => benchChaos(res, budget, opts.chaos));
    bar.update(4, undefined, "RSS growth");
    await run.section("rssGrowthMb", "rss", async () => {
      if (!kernelPresent) throw new NotAvailableError("kernel/index.ts");
      const settled = probeEarly ? await probeEarly : { out: await rssProbe(budget.rssCheckpoints) };
      if ("err" in settled) throw settled.err;
      benchRssFigures(res, budget, settled.out);
    });
    bar.update(5);
  } finally {
    bar.stop();
  }
  res.wallMs = round(performance.now() - t0);
  if (res.loadAvg) res.loadAvg.end = os.loadavg().map((x) => round(x, 2));
  return res;
}

/**
 * The bench's sections in turn: each one's time goes to `sectionMs` (since the previous timed
 * section ended), and a section that throws leaves its figure null and is listed in `unavailable`
 * with the reason (logged too); the next section runs either way.
 */
export class BenchSections {
  private tPart = performance.now();
  constructor(readonly res: BenchResult) {}

  /** Run `fn` for `figure`; `part` names its entry in sectionMs (undefined: not timed apart). */
  async section(figure: string, part: string | undefined, fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      const reason = (e as Error)?.message ?? String(e);
      this.res.unavailable.push({ figure, reason });
      log(`bench: ${figure}: unavailable: ${reason}`);
    }
    if (part === undefined) return;
    const now = performance.now();
    (this.res.sectionMs ??= {})[part] = round(now - this.tPart);
    this.tPart = now;
  }
}

/** A bench result with every figure still null (the sections fill them in). */
export function emptyBenchResult(budgetName: "full" | "quick"): BenchResult {
  return {
    host: hostInfo(),
    wasmSha256: null,
    budget: budgetName,
    wasmEventsPerSec: null,
    nativeEventsPerSec: null,
    ratio: null,
    kernelStream: null,
    kernelCalls: null,
    loadAvg: { start: os.loadavg().map((x) => round(x, 2)), end: [] },
    simEventsPerSec: null,
    simScenario: null,
    simRuns: null,
    simSpeedup: null,
    soak: null,
    chaosRunsPerMin: null,
    chaos: null,
    rssGrowthMb: null,
    runPeakRss: null,
    rss: null,
    rssCurve: [],
    simNoisePct: null,
    unavailable: [],
    sectionMs: {},
    wallMs: 0,
  };
}

/** Kernel events/s through WASM and native on the same stream, and their ratio. */
async function benchKernelStream(res: BenchResult, budget: BenchBudget): Promise<void> {
  const k = await measureKernelThroughput(budget.kernelEvents, budget.kernelReps);
  res.wasmEventsPerSec = round(k.wasmEventsPerSec);
  res.nativeEventsPerSec = round(k.nativeEventsPerSec);
  res.ratio = round(k.wasmEventsPerSec / k.nativeEventsPerSec, 4);
  res.kernelStream = { events: k.events, description: k.description, wasmBand: k.wasmBand, nativeBand: k.nativeBand };
}

/** The scenario the sim, soak and peak-RSS figures run (pickBenchScenario over scenarios/). */
async function loadBenchScenario(): Promise<Scenario> {
  const { listScenarios } = await loadScenarios();
  const sc = pickBenchScenario(listScenarios());
  if (!sc) throw new Error("no random-driver scenario in scenarios/ to benchmark");
  return sc;
}

/**
 * End-to-end simulator events/s: `budget.simIterations` runs of `sc` (seeds 2, 3, ...) after one
 * warm-up run (seed 1), with tinybench, in this process (the JIT's warm-up is in the figure).
 */
async function benchSim(res: BenchResult, budget: BenchBudget, sc: Scenario): Promise<void> {
  const runScenario = await loadRunScenario();
  const eventsPerRun: number[] = [];
  let seed = 1;
  const warmupRuns = 1;
  const b = new Bench({ iterations: budget.simIterations, time: 0, warmupIterations: warmupRuns, throws: true });
  b.add("sim run", async () => {
    const r = await runScenario(sc, { seed: seed++ });
    eventsPerRun.push(r.events);
  });
  await b.run();
  const r = b.tasks[0].result;
  if (r.state !== "completed") throw new Error(`sim bench did not complete: ${r.state}`);
  // the measured runs are the last samplesCount calls (warmup runs come first)
  const measured = eventsPerRun.slice(-r.latency.samplesCount);
  const meanEvents = measured.reduce((a, v) => a + v, 0) / measured.length;
  res.simEventsPerSec = round(meanEvents / (r.latency.mean / 1000));
  res.simRuns = { runs: measured.length, warmupRuns, meanEvents: round(meanEvents), simMinutes: round(sc.durationUs / 60_000_000, 2) };
  res.simNoisePct = round(r.latency.rme, 1);
}

/** The soak: the bench scenario over `budget.soakHours`, one execution, timed whole. */
async function benchSoak(res: BenchResult, budget: BenchBudget, scenario: Scenario | undefined): Promise<void> {
  if (!scenario) throw new Error("no scenario to soak (see simEventsPerSec)");
  const runScenario = await loadRunScenario();
  const soakScenario: Scenario = { ...scenario, name: `${scenario.name}-soak${budget.soakHours}h`, durationUs: budget.soakHours * 3_600_000_000 };
  const { value: r, ms } = await timeOnce(() => runScenario(soakScenario, { seed: 1 }));
  res.simSpeedup = round(r.simTimeUs / 1000 / ms);
  res.soak = { scenario: soakScenario.name, simHours: round(r.simTimeUs / 3_600_000_000, 2), wallMs: round(ms), events: r.events, ok: r.ok };
}

/** Chaos seed-runs per minute: the gate's own chaos section when given, else runChaos over budget.chaosSeeds seeds with every core. */
async function benchChaos(res: BenchResult, budget: BenchBudget, gate: BenchOptions["chaos"]): Promise<void> {
  if (gate) {
    res.chaosRunsPerMin = round((gate.seeds / gate.wallMs) * 60_000, 1);
    res.chaos = { seeds: gate.seeds, wallMs: round(gate.wallMs), ok: gate.ok, jobs: gate.jobs, from: "gate", ...chaosFigureParts(gate.seeds, gate.wallMs, gate, `the gate's own chaos section (${gate.seeds} seeds, 1 in 10 executed twice for determinism, --jobs ${gate.jobs})`) };
    return;
  }
  const runChaos = await loadRunChaos();
  const jobs = os.availableParallelism();
  let timer: ChaosTimer | undefined;
  const { value: r, ms } = await timeOnce(() => {
    timer = new ChaosTimer();
    return runChaos({ seeds: budget.chaosSeeds, from: 1, jobs, onReady: timer.onReady, onProgress: timer.onProgress });
  });
  res.chaosRunsPerMin = round((r.runs / ms) * 60_000, 1);
  res.chaos = { seeds: r.runs, wallMs: round(ms), ok: r.ok, jobs, ...chaosFigureParts(r.runs, ms, timer ?? {}, `runChaos over seeds 1–${budget.chaosSeeds} with --jobs ${jobs}, in the bench's process`) };
}

/** RSS growth between the budget's two checkpoints of the probe, its curve, and the raw figures. @throws Error when the probe failed or missed a checkpoint. */
function benchRssFigures(res: BenchResult, budget: BenchBudget, out: RssProbeOutput): void {
  const [from, to] = budget.rssCheckpoints;
  const a = out.samples.find((x) => x.trades === from);
  const last = out.samples[out.samples.length - 1];
  res.rssCurve = out.samples.map((x) => [x.trades, x.rssMb]);
  if (out.error || !a || !last || last.trades !== to) {
    throw new Error(
      `kernel failed at trade ${out.failedAtTrade ?? "?"} of ${to}: ${out.error ?? "no sample"}` +
        (a && last ? ` (RSS ${a.rssMb} MB at ${a.trades} trades, ${last.rssMb} MB at ${last.trades} trades)` : ""),
    );
  }
  res.rss = { fromTrades: a.trades, toTrades: last.trades, fromMb: a.rssMb, toMb: last.rssMb, wasmFromMb: a.wasmMemoryMb, wasmToMb: last.wasmMemoryMb, tradesPerSec: Math.round((last.trades / last.wallMs) * 1000) };
  res.rssGrowthMb = round(last.rssMb - a.rssMb, 1);
}

/** Human table of a bench result. */
export function benchText(r: BenchResult): string {
  const f = (v: number | null, unit = "") => (v === null ? "n/a" : `${v.toLocaleString("en-US")}${unit}`);
  const rows: (string | null)[][] = [
    ["kernel events/s (WASM)", f(r.wasmEventsPerSec), r.kernelStream?.description ?? null],
    ["kernel events/s (native)", f(r.nativeEventsPerSec), r.kernelStream ? `${r.kernelStream.events} events` : null],
    ["WASM / native", f(r.ratio), null],
    ["sim events/s (end to end)", f(r.simEventsPerSec), r.simScenario ? `${r.simScenario}${r.simRuns ? `: ${r.simRuns.runs} runs of ${r.simRuns.simMinutes} min (${r.simRuns.meanEvents} events each) after ${r.simRuns.warmupRuns} warm-up run, JIT warm-up included` : ""}, ±${r.simNoisePct}%` : null],
    ["48 h soak: simulated / wall", f(r.simSpeedup, "x"), r.soak ? `${r.soak.events} events in ${r.soak.wallMs} ms` : null],
    ["chaos runs / minute", f(r.chaosRunsPerMin), r.chaos ? `${r.chaos.seeds} seeds in ${r.chaos.wallMs} ms, --jobs ${r.chaos.jobs ?? 1}${r.chaos.startupMs !== undefined ? `; start-up ${r.chaos.startupMs} ms` : ""}${r.chaos.steadyRunsPerMin !== undefined ? `; second half ${r.chaos.steadyRunsPerMin}/min` : ""}` : null],
    ["peak RSS of a dita run (MB)", r.runPeakRss ? f(r.runPeakRss.peakRssMb) : "not run", r.runPeakRss ? `${r.runPeakRss.scenario}: ${r.runPeakRss.events} events with report and trace in ${r.runPeakRss.wallMs} ms` : r.budget === "quick" ? "measured by the full bench only" : null],
    ["RSS growth (MB)", f(r.rssGrowthMb), r.rss ? `${r.rss.fromTrades} → ${r.rss.toTrades} trades: ${r.rss.fromMb} → ${r.rss.toMb} MB (kernel WASM memory ${r.rss.wasmFromMb} → ${r.rss.wasmToMb} MB), ${r.rss.tradesPerSec} trades/s` : null],
  ];
  for (const c of r.kernelCalls ?? []) rows.splice(3 + (r.kernelCalls ?? []).indexOf(c), 0, [`kernel call: ${c.name} (µs, median)`, f(c.medianUs), `mean ${c.meanUs} ±${c.rmePct}%, band ${c.bandUs[0]}..${c.bandUs[1]} µs`]);
  const lines = [
    textTable(["figure", "value", "note"], rows),
    "",
    `host: ${r.host.os}, ${r.host.cpuModel}, ${r.host.cores} cores, node ${r.host.nodeVersion}`,
    `kernel wasm sha256: ${r.wasmSha256 ?? "n/a"}`,
    `load average (1/5/15 min): start ${r.loadAvg?.start.join(" ") ?? "n/a"}, end ${r.loadAvg?.end.join(" ") ?? "n/a"}`,
  ];
  if (r.rssCurve.length) lines.push(`RSS curve (trades: MB): ${r.rssCurve.map(([t, m]) => `${t}: ${m}`).join(", ")}`);
  for (const u of r.unavailable) lines.push(`unavailable: ${u.figure}: ${u.reason}`);
  return lines.join("\n");
}

/** `dita bench [--quick]`: exit 0 when every figure was measured, 2 when a part is missing. */
export async function benchCommand(opts: { quick: boolean; replay?: boolean }): Promise<CommandOutput> {
  if (opts.replay) return (await import("../replay/command.js")).replayBenchCommand({ quick: opts.quick, host: hostInfo() });
  const r = await runBench(opts.quick ? "quick" : "full");
  return { code: r.unavailable.length ? EXIT_USAGE : EXIT_OK, doc: r, text: benchText(r) };
}
