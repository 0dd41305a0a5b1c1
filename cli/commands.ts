/**
 * The scenario-level subcommands of `dita`: list, run, golden, chaos, mutants. Each returns a
 * CommandOutput (exit code, the JSON document, the human text) and never writes to stdout itself;
 * cli/main.ts prints one or the other. JSON fields follow docs/architecture.md §The `dita` command.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { Scenario } from "../sim/types.js";
import { nextCounterDir, runId, sweepStaging } from "../reports/write.js";
import { writeChaosSummary } from "../reports/chaos-page.js";
import { EnvironmentError, EXIT_CHECK_FAILED, EXIT_INTERRUPTED, EXIT_OK, UsageError } from "./errors.js";
import { interrupted } from "./interrupt.js";
import { runOne, type RunCommandResult, type RunCommandTask } from "./run-one.js";
import { RUN_RESOURCE_LIMITS } from "./heap-policy.js";
import { runPool } from "../sim/pool.js";
import { textTable } from "./run-output.js";
import { log, startProgress } from "./io.js";
import { loadExport, loadRunChaos, loadRunGolden, loadRunMutants, loadScenarios, REPO_ROOT } from "./modules.js";
import { checkIntents, checkPriceInputs } from "./preflight.js";
import { seedRangeProblem } from "./args.js";

/** What a subcommand produces: exit code, the `--json` document, the human-readable text. */
export interface CommandOutput {
  code: number;
  doc: unknown;
  text: string;
}

/**
 * Wraps a subcommand's action for commander (cli/main.ts buildProgram): runs it, guards stdout
 * under `--json`, and hands its CommandOutput to the program's sink.
 */
export type CommandWrap = <A extends unknown[]>(fn: (...args: A) => Promise<CommandOutput>) => (...args: A) => Promise<void>;

/**
 * Root folder of run and gate reports: $DITA_REPORTS_DIR, else <repo>/reports; created if missing.
 * @throws EnvironmentError when it names something that is not a folder or cannot be created.
 */
export function reportsRoot(): string {
  const fromEnv = process.env.DITA_REPORTS_DIR;
  const root = resolve(fromEnv ?? join(REPO_ROOT, "reports"));
  const what = fromEnv !== undefined ? `DITA_REPORTS_DIR=${fromEnv}` : `reports folder ${root}`;
  if (existsSync(root) && !statSync(root).isDirectory()) throw new EnvironmentError(`${what} is a file, not a folder; point DITA_REPORTS_DIR at a folder`);
  try {
    mkdirSync(root, { recursive: true });
  } catch (err) {
    throw new EnvironmentError(`${what}: cannot create the folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return root;
}

// ─────────────────────────── list ───────────────────────────

/** `dita list`: `[{name, tags, description, flaws}]`, exit 0. */
export async function listCommand(): Promise<CommandOutput> {
  const { listScenarios } = await loadScenarios();
  const doc = listScenarios().map((s) => ({ name: s.name, tags: s.tags ?? [], description: s.description, flaws: s.flaws ?? [] }));
  const text = textTable(
    ["name", "tags", "flaws", "description"],
    doc.map((s) => [s.name, s.tags.join(","), s.flaws.join(","), s.description]),
  );
  return { code: EXIT_OK, doc, text: `${text}\n\n${doc.length} scenarios` };
}

// ─────────────────────────── run ───────────────────────────

/** Options of `dita run`. */
export interface RunOptions {
  seed: number;
  file?: string;
  /** Execute the run twice and compare trace hashes (invariant 12); default: once, "not checked". */
  checkDeterminism?: boolean;
  /** Also export the run's kernel inputs as a history Arrow file here (docs/history-schema.md). */
  history?: string;
}

/** A resolved `dita run` scenario: the scenario, its report folder name, its repro command. */
export interface ResolvedScenario {
  scenario: Scenario;
  /** Report folder name: `<scenario>-seed<N>` (library), `<scenario>-seed<N>-<file hash>` (--file). */
  runId: (seed: number) => string;
  /** One command that reproduces the run (absolute paths). */
  repro: (seed: number) => string;
  /** The scenario file's text, copied into the report as scenario.json (--file only). */
  fileText?: string;
}

/**
 * Resolve the scenario of `dita run`: by name from the library, or from `--file` (validated by
 * scenarios/index.ts loadScenarioFile, then cli/preflight.ts: intents the kernel would refuse,
 * price files; a bad field → UsageError naming it, exit 2). A file run's report folder carries the
 * first 8 hex digits of the file's SHA-256, so two files with the same scenario name never share
 * (or race for) one folder; its repro names the file by absolute path.
 * @throws UsageError for neither/both-but-different, an unknown name, an unreadable, malformed or
 *   refused file; EnvironmentError when the kernel binary is missing or stale.
 */
export async function resolveScenario(name: string | undefined, file: string | undefined, kernel?: unknown): Promise<ResolvedScenario> {
  const mod = await loadScenarios();
  if (file !== undefined) {
    const path = resolve(file);
    if (!existsSync(path)) throw new UsageError(`--file ${file}: no such file`);
    if (statSync(path).isDirectory()) throw new UsageError(`--file ${file}: is a directory, not a scenario file (give the path of a .json file inside it)`);
    if (!statSync(path).isFile()) throw new UsageError(`--file ${file}: not a regular file`);
    let scenario: Scenario;
    try {
      scenario = mod.loadScenarioFile(path);
    } catch (err) {
      throw new UsageError(`--file ${file}: ${(err as Error).message}`);
    }
    if (name !== undefined && name !== scenario.name) {
      throw new UsageError(`scenario name "${name}" does not match the name "${scenario.name}" in --file ${file}; give one or the other`);
    }
    const fileText = readFileSync(path, "utf8");
    const tag = createHash("sha256").update(fileText).digest("hex").slice(0, 8);
    checkPriceInputs(scenario, `--file ${file}`);
    await preflightIntents(scenario, `--file ${file}`, kernel);
    return { scenario, fileText, runId: (seed) => `${runId(scenario.name, seed)}-${tag}`, repro: (seed) => `npx dita run --file ${path} --seed ${seed}` };
  }
  if (name === undefined) throw new UsageError("run needs a scenario name or --file F (`dita list` shows the names)");
  const scenario = mod.getScenario(name);
  if (!scenario) throw new UsageError(`unknown scenario "${name}" (\`dita list\` shows the names)`);
  checkPriceInputs(scenario, `scenario ${name}`);
  return { scenario, runId: (seed) => runId(scenario.name, seed), repro: (seed) => `npx dita run ${name} --seed ${seed}` };
}

/** Show each ENTER of a file scenario to a fresh kernel before the run (cli/preflight.ts). */
async function preflightIntents(scenario: Scenario, source: string, kernel?: unknown): Promise<void> {
  const { kernelConfigFor } = await import("../sim/run.js");
  const k = kernel ?? (await loadCliKernel());
  checkIntents(scenario, source, k as Parameters<typeof checkIntents>[2], kernelConfigFor(scenario));
}

/**
 * The kernel a command runs: `wasmPath` (`--kernel`, e.g. a flaw mutant kernel/pkg/mutants/<id>.wasm
 * built by `dita mutants`) or the checkout's kernel/pkg/dita_kernel.wasm.
 * @throws UsageError when `wasmPath` does not exist; EnvironmentError when the binary is stale or
 *   missing its manifest.
 */
export async function loadCliKernel(wasmPath?: string): Promise<unknown> {
  const { sharedKernel } = await import("../sim/run.js");
  if (wasmPath === undefined) return loadKernelOrEnvError(sharedKernel);
  const abs = resolve(wasmPath);
  if (!existsSync(abs) || !statSync(abs).isFile()) throw new UsageError(`--kernel ${wasmPath}: no such file`);
  const { loadKernel } = await import("../kernel/index.js");
  return loadKernelOrEnvError(() => loadKernel({ wasmPath: abs }));
}

/**
 * Load the kernel; a missing or stale binary (KernelError MISSING_BINARY / STALE_BINARY) is an
 * environment problem (exit 2) naming the command that fixes it.
 */
export async function loadKernelOrEnvError<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "MISSING_BINARY" || code === "STALE_BINARY") throw new EnvironmentError((err as Error).message);
    throw err;
  }
}

/** `dita run [name] [--seed N] [--file F] [--check-determinism] [--history F] [--abs-time] [--kernel W]`. */
export async function runCommand(name: string | undefined, opts: RunOptions & { absoluteTime?: boolean; kernel?: string }): Promise<CommandOutput> {
  const root = reportsRoot();
  const kernel = await loadCliKernel(opts.kernel);
  const resolved = await resolveScenario(name, opts.file, kernel);
  sweepStaging(root);
  const dir = join(root, resolved.runId(opts.seed));
  log(`running ${resolved.scenario.name} with seed ${opts.seed} …`);
  const extra = resolved.fileText !== undefined ? { "scenario.json": resolved.fileText } : undefined;
  // A file run's repro names the copy inside the report, which stays as it was run.
  const base = resolved.fileText !== undefined ? `npx dita run --file ${join(dir, "scenario.json")} --seed ${opts.seed}` : resolved.repro(opts.seed);
  const repro = opts.kernel ? `${base} --kernel ${resolve(opts.kernel)}` : base;
  const task: RunCommandTask = {
    scenario: resolved.scenario,
    seed: opts.seed,
    reportDir: dir,
    repro,
    checkDeterminism: opts.checkDeterminism === true,
    extraFiles: extra,
    kernelPath: opts.kernel !== undefined ? resolve(opts.kernel) : undefined,
    history: opts.history !== undefined ? { out: opts.history, runId: resolved.runId(opts.seed) } : undefined,
    absoluteTime: opts.absoluteTime === true,
  };
  // The run in a worker thread with a capped young generation (cli/heap-policy.ts).
  const [r] = await runPool<RunCommandTask, RunCommandResult>({ module: join(REPO_ROOT, "cli", "run-one.ts"), fn: "runCommandTask", tasks: [task], jobs: 1, bundle: true, isolate: true, resourceLimits: RUN_RESOURCE_LIMITS });
  // Peak RSS of this whole process (main and run thread), Linux maxRSS in KiB.
  const memory = { peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), youngGenerationMb: r.youngGenerationMb };
  const young = memory.youngGenerationMb === null ? "no young-generation limit" : `run thread's young generation ${memory.youngGenerationMb} MB`;
  return { code: r.ok ? EXIT_OK : EXIT_CHECK_FAILED, doc: { ...r.doc, memory }, text: `${r.text}\npeak RSS ${memory.peakRssMb} MB (${young})` };
}

export { invariantState, runDoc, runText, textTable } from "./run-output.js";
export { suiteRunTask, type SuiteRunSummary, type SuiteRunTask } from "./run-one.js";

// ─────────────────────────── golden ───────────────────────────

const short = (v: unknown, n = 70): string => {
  const s = typeof v === "string" ? v : JSON.stringify(v) ?? String(v);
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
};

/** `dita golden [--update]`: `{ok, cases:[{name, ok, expected, actual}]}`; exit 0 when all ok. */
export async function goldenCommand(opts: { update?: boolean }): Promise<CommandOutput> {
  const runGolden = await loadRunGolden();
  const res = await runGolden({ update: !!opts.update, print: (t) => log(t) });
  const doc = { ok: res.ok, cases: res.cases };
  const rows = res.cases.map((c) => [c.name, c.ok ? "ok" : "FAIL", c.updated ? "re-blessed" : "", c.ok ? "" : short(c.diff ?? "")]);
  const okCount = res.cases.filter((c) => c.ok).length;
  const text = `${textTable(["case", "ok", "update", "diff"], rows)}\n\n${okCount}/${res.cases.length} golden cases ok${res.ok ? "" : " — FAIL"}`;
  return { code: res.ok ? EXIT_OK : EXIT_CHECK_FAILED, doc, text };
}

// ─────────────────────────── chaos ───────────────────────────

/**
 * `dita chaos [--seeds N] [--from S]`: `{ok, runs, from, interrupted, failures:[{seed, invariant,
 * detail, faultMix, repro, report}], report, wallMs}`. Each failing seed is re-run with its trace
 * kept and gets its own run report under reports/chaos-<n>/runs/; reports/chaos-<n>/index.html
 * lists the failing seeds (reports/chaos-page.ts). Ctrl-C stops after the seed in hand: the seeds
 * finished are reported with `"interrupted": true` and exit 130.
 * @throws UsageError when the seed range leaves the seeds `dita run --seed` accepts.
 */
export async function chaosCommand(opts: { seeds: number; from: number; determinismEvery?: number; jobs?: number; kernel?: string }): Promise<CommandOutput> {
  const problem = seedRangeProblem(opts.from, opts.seeds);
  if (problem) throw new UsageError(problem);
  const runChaos = await loadRunChaos();
  const root = reportsRoot();
  sweepStaging(root);
  const kernel = await loadCliKernel(opts.kernel);
  const bar = startProgress("chaos", opts.seeds);
  const t0 = performance.now();
  let res: Awaited<ReturnType<typeof runChaos>>;
  try {
    res = await runChaos({
      seeds: opts.seeds,
      from: opts.from,
      determinismEvery: opts.determinismEvery,
      jobs: opts.jobs,
      onProgress: (done, total) => bar.update(done, total),
      shouldStop: interrupted,
      ...(opts.kernel ? { kernelWasm: resolve(opts.kernel) } : {}),
    });
  } finally {
    bar.stop();
  }
  const stopped = !!res.interrupted;
  const reportDir = res.failures.length > 0 ? nextCounterDir(root, "chaos") : undefined;
  const kernelFlag = opts.kernel ? ` --kernel ${resolve(opts.kernel)}` : "";
  const withKernel = res.failures.map((f) => ({ ...f, repro: f.repro + kernelFlag }));
  const reports = reportDir && !interrupted() ? await chaosSeedReports(withKernel, reportDir, opts.kernel ? kernel : undefined) : new Map<number, string>();
  const wallMs = Math.round(performance.now() - t0);
  const failures = withKernel.map((f) => ({ ...f, ...(reports.has(f.seed) ? { report: reports.get(f.seed) } : {}) }));
  let page: string | undefined;
  if (reportDir) {
    const seeds = [...new Set(failures.map((f) => f.seed))].map((seed) => {
      const fs = failures.filter((f) => f.seed === seed);
      return { seed, checks: fs.map((f) => ({ invariant: f.invariant, detail: f.detail })), faultMix: fs[0].faultMix, repro: fs[0].repro, reportHref: reports.has(seed) ? `runs/${basename(reports.get(seed)!)}` : undefined };
    });
    page = writeChaosSummary({ ok: res.ok, from: opts.from, runs: res.runs, requested: opts.seeds, interrupted: stopped, seeds }, reportDir);
  }
  // No wall time in the JSON: the document is byte-identical for every --jobs N (the time is in the text and on stderr).
  log(`chaos: ${res.runs} seeds in ${(wallMs / 1000).toFixed(1)} s`);
  const doc = { ok: res.ok, runs: res.runs, from: opts.from, requested: opts.seeds, interrupted: stopped, failures, determinismChecked: res.determinismChecked, report: reportDir };
  const det = res.determinismChecked > 0 ? `determinism checked on ${res.determinismChecked} seeds` : "determinism not checked";
  const lines = [
    `${res.ok ? "PASS" : "FAIL"}  chaos: ${res.runs} seeds from ${opts.from}${stopped ? ` (interrupted after ${res.runs} of ${opts.seeds})` : ""}, ${res.failures.length} failures, ${det}, ${(wallMs / 1000).toFixed(1)} s`,
  ];
  for (const f of failures) {
    lines.push("", `seed ${f.seed}: ${f.invariant}: ${f.detail}`, `  reproduce: ${f.repro}`, `  fault mix: ${JSON.stringify(f.faultMix)}`);
    if (f.report) lines.push(`  report: ${join(f.report, "index.html")}`);
  }
  if (page) lines.push("", `summary: ${page}`);
  const code = stopped ? EXIT_INTERRUPTED : res.ok ? EXIT_OK : EXIT_CHECK_FAILED;
  return { code, doc, text: lines.join("\n") };
}

/** Re-run each failing chaos seed with its trace kept and write its run report; seed → folder. */
async function chaosSeedReports(failures: { seed: number; repro: string }[], reportDir: string, kernelModule?: unknown): Promise<Map<number, string>> {
  const { getScenario } = await import("../scenarios/index.js");
  const { CHAOS_SCENARIO } = await import("../scenarios/chaos.js");
  const scenario = getScenario(CHAOS_SCENARIO);
  const out = new Map<number, string>();
  if (!scenario) return out;
  for (const f of failures) {
    if (out.has(f.seed) || interrupted()) continue;
    const dir = join(reportDir, "runs", runId(scenario.name, f.seed));
    log(`chaos: writing the report of failing seed ${f.seed} …`);
    await runOne(scenario, f.seed, dir, f.repro, { kernelModule });
    out.set(f.seed, dir);
  }
  return out;
}

// ─────────────────────────── shrink ───────────────────────────

/**
 * `dita shrink --seed S [--out F] [--kernel-wasm P]`: shrink a failing chaos seed to a minimal
 * scenario file (scenarios/shrink.ts); the repro command is the first line (and the first JSON
 * field). Exit 0 when a repro was written; a seed that does not fail is bad input (exit 2).
 */
export async function shrinkCommand(opts: { seed: number; out?: string; kernelWasm?: string }): Promise<CommandOutput> {
  const shrink = await loadExport<(o: { seed: number; out: string; kernelWasm?: string; log?: (l: string) => void }) => Promise<{ repro: string } & Record<string, unknown>>>("scenarios/shrink.ts", "shrinkChaosSeed");
  const out = resolve(opts.out ?? join(reportsRoot(), `chaos-seed${opts.seed}-shrunk.json`));
  mkdirSync(join(out, ".."), { recursive: true });
  let res: { repro: string } & Record<string, unknown>;
  try {
    res = await shrink({ seed: opts.seed, out, kernelWasm: opts.kernelWasm ? resolve(opts.kernelWasm) : undefined, log });
  } catch (err) {
    const msg = (err as Error).message;
    if (/does not fail|cannot shrink/.test(msg)) throw new UsageError(`--seed ${opts.seed}: ${msg}`);
    throw err;
  }
  const { repro, ...rest } = res;
  const doc = { repro, ...rest };
  const r = rest as { target: string; original: { faults: string[]; durationUs: number }; shrunk: { faults: string[]; durationUs: number }; runs: number; file: string };
  const text = [
    `reproduce: ${repro}`,
    `fails ${r.target}; faults ${r.original.faults.length} → ${r.shrunk.faults.length} (${r.shrunk.faults.join(", ") || "none"}); safety phase ${Number((r.original.durationUs / 60e6).toFixed(2))} → ${Number((r.shrunk.durationUs / 60e6).toFixed(2))} min; ${r.runs} runs`,
    `scenario file: ${r.file}`,
  ].join("\n");
  return { code: EXIT_OK, doc, text };
}

// ─────────────────────────── mutants ───────────────────────────

/**
 * `dita mutants [--only ids]`: `{total, caught, mutants:[{id, flaw, caught, caughtBy}]}`; exit 0 when
 * every mutant run is caught. `only`: mutant ids (scenarios/mutants.ts MUTANTS) to run instead of
 * all; an unknown id is a UsageError (exit 2) naming it, before anything is built.
 */
export async function mutantsCommand(opts: { only?: string[]; jobs?: number } = {}): Promise<CommandOutput> {
  const runMutants = await loadRunMutants();
  const known = await loadExport<{ id: string }[]>("scenarios/mutants.ts", "MUTANTS");
  for (const id of opts.only ?? []) {
    if (!known.some((m) => m.id === id)) throw new UsageError(`--only: unknown mutant id "${id}" (dita mutants --json lists the ids)`);
  }
  const bar = startProgress("mutants", 1);
  let res: Awaited<ReturnType<typeof runMutants>>;
  try {
    res = await runMutants({ only: opts.only, jobs: opts.jobs, onProgress: (done, total, id) => bar.update(done, total, id ?? "") });
  } finally {
    bar.stop();
  }
  const doc = { ok: res.caught === res.total, total: res.total, caught: res.caught, mutants: res.mutants };
  const rows = res.mutants.map((m) => [m.id, m.flaw, m.caught ? "caught" : "SURVIVED", Array.isArray(m.caughtBy) ? m.caughtBy.join(", ") : m.caughtBy ?? ""]);
  const text = `${textTable(["mutant", "flaw", "result", "caught by"], rows)}\n\n${res.caught}/${res.total} mutants caught`;
  return { code: doc.ok ? EXIT_OK : EXIT_CHECK_FAILED, doc, text };
}
