/**
 * The scenario-level subcommands of `dita`: list, run, golden, chaos, mutants. Each returns a
 * CommandOutput (exit code, the JSON document, the human text) and never writes to stdout itself;
 * cli/main.ts prints one or the other. JSON fields follow DESIGN.md "The `dita` command".
 */
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { RunResult, Scenario } from "../sim/types.js";
import { runId, writeRunReport } from "../reports/write.js";
import { EXIT_CHECK_FAILED, EXIT_OK, UsageError } from "./errors.js";
import { log, startProgress } from "./io.js";
import { loadExport, loadRunChaos, loadRunGolden, loadRunMutants, loadRunScenario, loadScenarios, REPO_ROOT } from "./modules.js";

/** What a subcommand produces: exit code, the `--json` document, the human-readable text. */
export interface CommandOutput {
  code: number;
  doc: unknown;
  text: string;
}

/** Root folder of run and gate reports: $DITA_REPORTS_DIR, else <repo>/reports. */
export function reportsRoot(): string {
  return resolve(process.env.DITA_REPORTS_DIR ?? join(REPO_ROOT, "reports"));
}

/** Left-pad-free fixed-width table for the terminal. */
export function textTable(headers: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? "—" : String(c))))];
  const widths = headers.map((_, i) => Math.min(60, Math.max(...cells.map((r) => (r[i] ?? "").length))));
  const fmt = (r: string[]) => r.map((c, i) => (c.length > widths[i] ? c.slice(0, widths[i] - 1) + "…" : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [fmt(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(fmt)].join("\n");
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
  /** Also export the run's kernel inputs as a history Arrow file here (docs/history-schema.md). */
  history?: string;
}

/**
 * Resolve the scenario of `dita run`: by name from the library, or from `--file` (validated by
 * scenarios/index.ts loadScenarioFile; a bad field → UsageError naming it, exit 2).
 * @throws UsageError for neither/both-but-different, an unknown name, an unreadable or malformed file.
 */
export async function resolveScenario(name: string | undefined, file: string | undefined): Promise<{ scenario: Scenario; repro: (seed: number) => string }> {
  const mod = await loadScenarios();
  if (file !== undefined) {
    const path = resolve(file);
    if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`--file ${file}: no such file`);
    let scenario: Scenario;
    try {
      scenario = mod.loadScenarioFile(path);
    } catch (err) {
      throw new UsageError(`--file ${file}: ${(err as Error).message}`);
    }
    if (name !== undefined && name !== scenario.name) {
      throw new UsageError(`scenario name "${name}" does not match the name "${scenario.name}" in --file ${file}; give one or the other`);
    }
    return { scenario, repro: (seed) => `npx dita run --file ${file} --seed ${seed}` };
  }
  if (name === undefined) throw new UsageError("run needs a scenario name or --file F (`dita list` shows the names)");
  const scenario = mod.getScenario(name);
  if (!scenario) throw new UsageError(`unknown scenario "${name}" (\`dita list\` shows the names)`);
  return { scenario, repro: (seed) => `npx dita run ${name} --seed ${seed}` };
}

/** The `dita run --json` document (DESIGN.md fields plus expectations, trades, venue ledger). */
export function runDoc(r: RunResult): Record<string, unknown> {
  return {
    scenario: r.scenario,
    seed: r.seed,
    ok: r.ok,
    traceHash: r.traceHash,
    events: r.events,
    simTimeUs: r.simTimeUs,
    wallMs: r.wallMs,
    invariants: r.invariants,
    expectations: r.expectations,
    ledger: r.ledger,
    venueLedger: r.venueLedger,
    trades: r.trades,
    anomalies: r.final?.anomalies ?? [],
    faults: r.faults.length,
    report: r.report,
    trace: r.trace,
  };
}

/** Human summary of one run. */
export function runText(r: RunResult): string {
  const lines = [
    `${r.ok ? "PASS" : "FAIL"}  ${r.scenario}  seed ${r.seed}`,
    `trace hash ${r.traceHash}  events ${r.events}  simulated ${(r.simTimeUs / 1e6).toFixed(1)} s  wall ${Math.round(r.wallMs)} ms`,
    "",
    textTable(["invariant", "ok", "detail"], r.invariants.map((i) => [i.name, i.ok ? "ok" : "FAIL", i.detail])),
  ];
  if (r.expectations?.length) lines.push("", textTable(["expectation", "ok", "detail"], r.expectations.map((e) => [e.name, e.ok ? "ok" : "FAIL", e.detail])));
  lines.push("", `capital ${r.ledger.capitalUsdt} USDT (${r.ledger.capitalSource}), venue wallet ${r.venueLedger?.walletBalanceUsdt ?? "?"} USDT, ${r.trades.length} trades, ${r.ledger.anomalyCount} anomalies`);
  if (r.report) lines.push(`report: ${join(r.report, "index.html")}`);
  return lines.join("\n");
}

/**
 * Run one scenario with one seed, write reports/<scenario>-seed<seed>/ (trace, summary, page).
 * Exit 0 when every invariant and expectation holds, 1 otherwise.
 */
export async function runOne(scenario: Scenario, seed: number, reportDir: string, repro: string): Promise<RunResult> {
  const runScenario = await loadRunScenario();
  const traceFile = join(reportDir, "trace.arrow");
  mkdirSync(reportDir, { recursive: true });
  const result = await runScenario(scenario, { seed, traceFile });
  if (!result.trace && existsSync(traceFile)) result.trace = traceFile;
  writeRunReport(result, reportDir, { repro });
  return result;
}

/** `dita run [name] [--seed N] [--file F]`. */
export async function runCommand(name: string | undefined, opts: RunOptions): Promise<CommandOutput> {
  const { scenario, repro } = await resolveScenario(name, opts.file);
  const dir = join(reportsRoot(), runId(scenario.name, opts.seed));
  log(`running ${scenario.name} with seed ${opts.seed} …`);
  const r = await runOne(scenario, opts.seed, dir, repro(opts.seed));
  const doc = runDoc(r);
  let text = runText(r);
  if (opts.history !== undefined) {
    const { exportRunHistory } = await import("../replay/command.js");
    const { kernelConfigFor } = await import("../sim/run.js");
    if (!r.trace) throw new Error("run --history: the run wrote no trace file to derive the history from");
    const rows = await exportRunHistory(r.trace, opts.history, runId(scenario.name, opts.seed), kernelConfigFor(scenario), r.final);
    doc.history = resolve(opts.history);
    text += `\nhistory: ${resolve(opts.history)} (${rows} rows; replay with \`npx dita replay --arrow ${opts.history}\`)`;
  }
  return { code: r.ok ? EXIT_OK : EXIT_CHECK_FAILED, doc, text };
}

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

/** `dita chaos [--seeds N] [--from S]`: `{ok, runs, failures:[{seed, invariant, detail, faultMix, repro}]}`. */
export async function chaosCommand(opts: { seeds: number; from: number }): Promise<CommandOutput> {
  const runChaos = await loadRunChaos();
  const bar = startProgress("chaos", opts.seeds);
  const t0 = performance.now();
  let res: Awaited<ReturnType<typeof runChaos>>;
  try {
    res = await runChaos({ seeds: opts.seeds, from: opts.from, onProgress: (done, total) => bar.update(done, total) });
  } finally {
    bar.stop();
  }
  const wallMs = Math.round(performance.now() - t0);
  const doc = { ok: res.ok, runs: res.runs, from: opts.from, failures: res.failures, wallMs };
  const lines = [`${res.ok ? "PASS" : "FAIL"}  chaos: ${res.runs} seeds from ${opts.from}, ${res.failures.length} failures, ${(wallMs / 1000).toFixed(1)} s`];
  for (const f of res.failures) {
    lines.push("", `seed ${f.seed}: ${f.invariant}: ${f.detail}`, `  fault mix: ${JSON.stringify(f.faultMix)}`, `  reproduce: ${f.repro}`);
  }
  return { code: res.ok ? EXIT_OK : EXIT_CHECK_FAILED, doc, text: lines.join("\n") };
}

// ─────────────────────────── mutants ───────────────────────────

/**
 * `dita mutants [--only ids]`: `{total, caught, mutants:[{id, flaw, caught, caughtBy}]}`; exit 0 when
 * every mutant run is caught. `only`: mutant ids (scenarios/mutants.ts MUTANTS) to run instead of
 * all; an unknown id is a UsageError (exit 2) naming it, before anything is built.
 */
export async function mutantsCommand(opts: { only?: string[] } = {}): Promise<CommandOutput> {
  const runMutants = await loadRunMutants();
  const known = await loadExport<{ id: string }[]>("scenarios/mutants.ts", "MUTANTS");
  for (const id of opts.only ?? []) {
    if (!known.some((m) => m.id === id)) throw new UsageError(`--only: unknown mutant id "${id}" (dita mutants --json lists the ids)`);
  }
  const bar = startProgress("mutants", 1);
  let res: Awaited<ReturnType<typeof runMutants>>;
  try {
    res = await runMutants({ only: opts.only, onProgress: (done, total, id) => bar.update(done, total, id ?? "") });
  } finally {
    bar.stop();
  }
  const doc = { ok: res.caught === res.total, total: res.total, caught: res.caught, mutants: res.mutants };
  const rows = res.mutants.map((m) => [m.id, m.flaw, m.caught ? "caught" : "SURVIVED", Array.isArray(m.caughtBy) ? m.caughtBy.join(", ") : m.caughtBy ?? ""]);
  const text = `${textTable(["mutant", "flaw", "result", "caught by"], rows)}\n\n${res.caught}/${res.total} mutants caught`;
  return { code: doc.ok ? EXIT_OK : EXIT_CHECK_FAILED, doc, text };
}
