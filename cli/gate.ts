/**
 * `dita gate` (and `npm start`): the pre-deploy gate. Steps, each a report section:
 * 1. build — the kernel from source (`npm run build`);
 * 2. scenarios — every named scenario once (seed from the baseline), all invariants and
 *    expectations must hold; each run's report lands in reports/gate-<n>/runs/;
 * 3. golden — every golden replay passes, and its outputs equal the baseline's values exactly;
 * 4. chaos — a swarm budget (seeds from the baseline) with no failure;
 * 5. bench — `dita bench --quick`; figures normalised by the native kernel of the same run must
 *    stay within the baseline's tolerance, RSS growth within its bound;
 * 6. mutants — only with --mutants: every mutant caught.
 * Writes reports/gate-<n>/ (index.html + summary.json); exit 0 = GO, 1 = NO-GO.
 */
import { spawnSync } from "node:child_process";
import { join, relative } from "node:path";
import { gateReasons, type GateCell, type GateResult, type GateSection } from "../reports/gate-page.js";
import { nextCounterDir, runId, writeGateReport } from "../reports/write.js";
import { ChaosTimer, runBench, type BenchOptions, type BenchResult } from "./bench.js";
import { BASELINE_PATH, DEFAULT_BASELINE, diffPaths, canonicalJson, loadBaseline, normalise, saveBaseline, type Baseline } from "./baseline.js";
import { reportsRoot, textTable, type CommandOutput } from "./commands.js";
import type { SuiteRunSummary, SuiteRunTask } from "./run-one.js";
import { fileURLToPath } from "node:url";
import { defaultJobs, runPool } from "../sim/pool.js";
import { EXIT_CHECK_FAILED, EXIT_OK } from "./errors.js";
import { hostInfo } from "./bench.js";
import { log, startProgress } from "./io.js";
import { loadRunChaos, loadRunGolden, loadRunMutants, loadScenarios, REPO_ROOT, type GoldenCase } from "./modules.js";

/** The gate's chaos sweep as the bench reads it (BenchOptions.chaos): its wall time, start-up and half-way marks. */
type ChaosTiming = NonNullable<BenchOptions["chaos"]>;

/** The gate re-executes 1 run in this many (scenarios and chaos seeds) to check determinism (invariant 12). */
export const GATE_DETERMINISM_EVERY = 10;

/** Options of `dita gate`. */
export interface GateOptions {
  chaosSeeds?: number;
  /** Worker threads for scenarios, chaos and mutants (sim/pool.ts); default every core. */
  jobs?: number;
  skipBuild: boolean;
  mutants: boolean;
  updateBaseline: boolean;
}

async function timed(name: string, fn: () => Promise<Omit<GateSection, "name" | "durationMs">>): Promise<GateSection> {
  const t0 = performance.now();
  log(`gate: ${name} …`);
  let s: Omit<GateSection, "name" | "durationMs">;
  try {
    s = await fn();
  } catch (e) {
    const err = e as Error;
    s = { ok: false, reasons: [`${err.name === "NotAvailableError" ? "" : "error: "}${err.message}`] };
  }
  const section = { name, durationMs: Math.round(performance.now() - t0), ...s };
  log(`gate: ${name}: ${section.skipped ? "skipped" : section.ok ? "go" : "NO-GO"} (${(section.durationMs / 1000).toFixed(1)} s)${section.ok ? "" : " — " + section.reasons.join("; ")}`);
  return section;
}

function buildSection(): Omit<GateSection, "name" | "durationMs"> {
  // Build output goes to stderr so that stdout stays one JSON document under --json.
  const r = spawnSync(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "build"], { cwd: REPO_ROOT, stdio: ["ignore", 2, 2] });
  if (r.error) return { ok: false, reasons: [`npm run build could not start: ${r.error.message}`] };
  if (r.status !== 0) return { ok: false, reasons: [`npm run build exited with ${r.status ?? r.signal}`] };
  return { ok: true, reasons: ["kernel built from source (npm run build)"] };
}

async function scenariosSection(gateDir: string, seed: number, jobs: number | undefined): Promise<Omit<GateSection, "name" | "durationMs">> {
  const { listScenarios } = await loadScenarios();
  const all = listScenarios();
  const bar = startProgress("scenarios", all.length);
  const rows: GateCell[][] = [];
  const reasons: string[] = [];
  const tasks: SuiteRunTask[] = all.map((sc, i) => ({
    scenario: sc,
    seed,
    reportDir: join(gateDir, "runs", runId(sc.name, seed)),
    repro: `npx dita run ${sc.name} --seed ${seed}`,
    checkDeterminism: i % GATE_DETERMINISM_EVERY === 0,
  }));
  let done: SuiteRunSummary[];
  try {
    done = await runPool<SuiteRunTask, SuiteRunSummary>({
      module: fileURLToPath(new URL("./run-one.ts", import.meta.url)),
      fn: "suiteRunTask",
      tasks,
      jobs: jobs ?? defaultJobs(),
      bundle: true,
      onProgress: (d, t) => bar.update(d, t),
    });
  } finally {
    bar.stop();
  }
  for (const [i, r] of done.entries()) {
    if (!r.ok) reasons.push(`${r.name} (seed ${seed}): ${r.failed.join(", ") || "not ok"}`);
    const href = relative(gateDir, join(tasks[i].reportDir, "index.html"));
    rows.push([r.name, r.ok, r.failed.join(", "), r.events, r.traceHash === null ? "not computed" : r.traceHash.slice(0, 16), { href, text: href }]);
  }
  const okCount = rows.filter((r) => r[1] === true).length;
  return {
    ok: reasons.length === 0 && all.length > 0,
    reasons: all.length === 0 ? ["no scenarios found"] : reasons.length ? reasons : [`${okCount}/${all.length} scenarios pass`],
    table: { headers: ["scenario", "ok", "failed checks", "events", "trace hash", "report"], rows },
    data: { runs: all.length, ok: okCount, seed },
  };
}

async function goldenSection(baseline: Baseline | undefined, actuals: Record<string, unknown>): Promise<Omit<GateSection, "name" | "durationMs">> {
  const runGolden = await loadRunGolden();
  const res = await runGolden({ print: (t) => log(t) });
  const reasons: string[] = [];
  const rows: (string | number | boolean | null)[][] = [];
  const base = baseline?.golden ?? {};
  const seen = new Set<string>();
  for (const c of res.cases as GoldenCase[]) {
    seen.add(c.name);
    actuals[c.name] = c.actual;
    if (!c.ok) reasons.push(`case ${c.name} fails its own expected values${c.diff ? `: ${c.diff.split("\n").slice(0, 3).join(" | ")}` : ""}`);
    let vsBaseline: boolean | null = null;
    if (c.name in base) {
      vsBaseline = canonicalJson(base[c.name]) === canonicalJson(c.actual);
      if (!vsBaseline) reasons.push(`case ${c.name} differs from ${BASELINE_PATH}: ${diffPaths(base[c.name], c.actual).join("; ")}`);
    } else {
      reasons.push(`case ${c.name} is not in ${BASELINE_PATH} (review it, then \`dita gate --update-baseline\`)`);
    }
    rows.push([c.name, c.ok, vsBaseline, canonicalJson(c.actual).slice(0, 120)]);
  }
  for (const name of Object.keys(base)) if (!seen.has(name)) reasons.push(`baseline case ${name} no longer exists in golden/`);
  if (res.cases.length === 0) reasons.push("no golden cases found");
  return {
    ok: reasons.length === 0,
    reasons: reasons.length ? reasons : [`${res.cases.length}/${res.cases.length} golden cases pass and equal the baseline exactly`],
    table: { headers: ["case", "own expected", "= baseline", "actual (canonical, truncated)"], rows },
  };
}

async function chaosSection(seeds: number, from: number, jobs: number | undefined, timing?: ChaosTiming): Promise<Omit<GateSection, "name" | "durationMs">> {
  const runChaos = await loadRunChaos();
  const bar = startProgress("chaos", seeds);
  let res: Awaited<ReturnType<typeof runChaos>>;
  const timer = new ChaosTimer();
  try {
    res = await runChaos({ seeds, from, jobs, determinismEvery: GATE_DETERMINISM_EVERY, onProgress: (d, t) => (bar.update(d, t), timer.onProgress(d, t)), onReady: timer.onReady });
  } finally {
    bar.stop();
  }
  // The bench's chaos figure is this sweep (seeds per minute with every core), not a second one.
  if (timing) Object.assign(timing, { wallMs: timer.elapsedMs(), jobs: jobs ?? defaultJobs(), ok: res.ok, seeds: res.runs, startupMs: timer.startupMs, halfMs: timer.halfMs, halfSeeds: timer.halfSeeds });
  return {
    ok: res.ok && res.runs === seeds,
    reasons: res.failures.length
      ? res.failures.map((f) => `seed ${f.seed}: ${f.invariant}: ${f.detail} — reproduce: ${f.repro}`)
      : res.runs !== seeds
        ? [`ran ${res.runs} of ${seeds} seeds`]
        : [`${res.runs} seeds from ${from}, no failure (determinism checked on ${res.determinismChecked}, not checked on ${res.runs - res.determinismChecked})`],
    table: { headers: ["seed", "invariant", "detail", "reproduce"], rows: res.failures.map((f) => [f.seed, f.invariant, f.detail, f.repro]) },
    data: { runs: res.runs, from, failures: res.failures, determinismChecked: res.determinismChecked },
  };
}

/**
 * Compare a bench result with the baseline: every normalised figure ≥ (1 − tol) × baseline, RSS
 * growth ≤ (1 + rel) × baseline + slack. Pure; returns the section body.
 */
export function compareBench(r: BenchResult, baseline: Baseline | undefined): Omit<GateSection, "name" | "durationMs"> {
  const reasons: string[] = [];
  const rows: (string | number | boolean | null)[][] = [];
  for (const u of r.unavailable) reasons.push(`${u.figure} not measured: ${u.reason}`);
  const norm = normalise(r);
  const b = baseline?.bench ?? null;
  const tol = baseline?.tolerance ?? DEFAULT_BASELINE.tolerance;
  if (!b) reasons.push(`no bench figures in ${BASELINE_PATH} (run \`dita gate --update-baseline\` on a reference run)`);
  const fmt = (v: number) => Number(v.toPrecision(4));
  if (norm && b) {
    for (const key of ["wasmPerNative", "simPerNative", "soakPerNative", "chaosPerNative"] as const) {
      const floor = b[key] * (1 - tol.perfRatio);
      const ok = norm[key] >= floor;
      rows.push([key, fmt(norm[key]), fmt(b[key]), `≥ ${fmt(floor)}`, ok]);
      if (!ok) reasons.push(`${key} = ${fmt(norm[key])} is below ${fmt(floor)} (baseline ${fmt(b[key])} − ${tol.perfRatio * 100}%)`);
    }
  }
  if (r.rssGrowthMb !== null && b) {
    const ceil = b.rssGrowthMb * (1 + tol.rssGrowthRel) + tol.rssGrowthSlackMb;
    const ok = r.rssGrowthMb <= ceil;
    rows.push(["rssGrowthMb", r.rssGrowthMb, b.rssGrowthMb, `≤ ${fmt(ceil)}`, ok]);
    if (!ok) reasons.push(`RSS growth ${r.rssGrowthMb} MB exceeds ${fmt(ceil)} MB (baseline ${b.rssGrowthMb} MB)`);
  }
  rows.push(
    ["wasmEventsPerSec (raw)", r.wasmEventsPerSec, null, "", null],
    ["nativeEventsPerSec (raw)", r.nativeEventsPerSec, null, "", null],
    ["simEventsPerSec (raw)", r.simEventsPerSec, null, "", null],
    ["simSpeedup 48 h soak (raw)", r.simSpeedup, null, "", null],
    ["chaosRunsPerMin (raw)", r.chaosRunsPerMin, null, "", null],
  );
  return {
    ok: reasons.length === 0,
    reasons: reasons.length ? reasons : [`all figures within tolerance (each ≥ ${Math.round((1 - tol.perfRatio) * 100)}% of the native-normalised baseline)`],
    table: { headers: ["figure", "this run", "baseline", "bound", "ok"], rows },
    data: r,
  };
}

async function mutantsSection(jobs: number | undefined): Promise<Omit<GateSection, "name" | "durationMs">> {
  const runMutants = await loadRunMutants();
  const bar = startProgress("mutants", 1);
  let res: Awaited<ReturnType<typeof runMutants>>;
  try {
    res = await runMutants({ jobs, onProgress: (d, t, id) => bar.update(d, t, id ?? "") });
  } finally {
    bar.stop();
  }
  const survivors = res.mutants.filter((m) => !m.caught);
  return {
    ok: survivors.length === 0 && res.total > 0,
    reasons: survivors.length ? survivors.map((m) => `mutant ${m.id} (${m.flaw}) survived`) : [`${res.caught}/${res.total} mutants caught`],
    table: { headers: ["mutant", "flaw", "caught", "caught by"], rows: res.mutants.map((m) => [m.id, m.flaw, m.caught, Array.isArray(m.caughtBy) ? m.caughtBy.join(", ") : m.caughtBy ?? null]) },
  };
}

/** Run the gate; returns the GateResult (report written). */
export async function runGate(opts: GateOptions): Promise<GateResult> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const gateDir = nextCounterDir(reportsRoot(), "gate");
  const baseline = loadBaseline();
  const budgets = baseline?.budgets ?? DEFAULT_BASELINE.budgets;
  const chaosSeeds = opts.chaosSeeds ?? budgets.chaosSeeds;
  const sections: GateSection[] = [];
  if (!baseline) log(`gate: no ${BASELINE_PATH}: golden and bench comparisons will say no-go`);

  if (opts.skipBuild) sections.push({ name: "build", ok: true, skipped: true, durationMs: 0, reasons: ["--skip-build: using the .wasm in the checkout"] });
  else sections.push(await timed("build", async () => buildSection()));
  const built = sections[0].ok;
  const skipRest = (name: string): GateSection => ({ name, ok: false, skipped: true, durationMs: 0, reasons: ["not run: the kernel build failed"] });

  const goldenActuals: Record<string, unknown> = {};
  let bench: BenchResult | undefined;
  if (!built) {
    sections.push(skipRest("scenarios"), skipRest("golden"), skipRest("chaos"), skipRest("bench"));
  } else {
    sections.push(await timed("scenarios", () => scenariosSection(gateDir, budgets.scenarioSeed, opts.jobs)));
    sections.push(await timed("golden", () => goldenSection(baseline, goldenActuals)));
    const chaosTiming: ChaosTiming = { wallMs: 0, jobs: 0, ok: false, seeds: 0 };
    sections.push(await timed("chaos", () => chaosSection(chaosSeeds, budgets.chaosFrom, opts.jobs, chaosTiming)));
    sections.push(
      await timed("bench", async () => {
        bench = await runBench("quick", chaosTiming.seeds > 0 ? { chaos: chaosTiming } : {});
        return compareBench(bench, baseline);
      }),
    );
    if (opts.mutants) sections.push(await timed("mutants", () => mutantsSection(opts.jobs)));
  }

  if (opts.updateBaseline) {
    const next: Baseline = { ...(baseline ?? DEFAULT_BASELINE) };
    if (Object.keys(goldenActuals).length) next.golden = goldenActuals;
    const norm = bench ? normalise(bench) : undefined;
    if (bench && norm && bench.rssGrowthMb !== null) {
      next.bench = { ...norm, rssGrowthMb: bench.rssGrowthMb, recorded: { host: bench.host, wasmSha256: bench.wasmSha256, raw: { ...bench, host: undefined, unavailable: undefined } as Partial<BenchResult> } };
    }
    saveBaseline(next);
    log(`gate: wrote ${BASELINE_PATH} from this run (review \`git diff ${BASELINE_PATH}\` before committing)`);
  }

  const gate: GateResult = {
    ok: sections.every((s) => s.ok),
    durationMs: Math.round(performance.now() - t0),
    sections,
    baseline: BASELINE_PATH,
    host: hostInfo(),
    startedAt,
  };
  writeGateReport(gate, gateDir);
  return gate;
}

/** `dita gate`: `{ok, sections, report, ...}`; exit 0 = GO, 1 = NO-GO. */
export async function gateCommand(opts: GateOptions): Promise<CommandOutput> {
  const g = await runGate(opts);
  const reasons = gateReasons(g);
  const text = [
    textTable(["section", "result", "seconds", "notes"], g.sections.map((s) => [s.name, s.skipped ? "skipped" : s.ok ? "go" : "NO-GO", (s.durationMs / 1000).toFixed(1), s.reasons.slice(0, 2).join("; ")])),
    "",
    g.ok ? "GO — every section holds" : `NO-GO — ${reasons.length} reason(s):\n${reasons.map((r) => `  - ${r}`).join("\n")}`,
    `gate took ${(g.durationMs / 1000).toFixed(1)} s`,
    `report: ${join(g.report as string, "index.html")}`,
  ].join("\n");
  return { code: g.ok ? EXIT_OK : EXIT_CHECK_FAILED, doc: g, text };
}
