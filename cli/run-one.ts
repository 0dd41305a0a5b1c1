/**
 * One scenario run with its report (`dita run`, failing chaos seeds' reports, the gate's scenario
 * suite). Its imports are all written out, so the gate's suite pool loads this module as one
 * JavaScript bundle without tsx (sim/pool-bundle.ts; issue 12: about a second of CPU less per
 * worker than ~100 TypeScript modules through tsx's loader hooks).
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { isMainThread, resourceLimits } from "node:worker_threads";
import { loadKernel, type KernelModule } from "../kernel/index.js";
import { stagingDir, writeRunReport } from "../reports/write.js";
import { kernelConfigFor, runScenario } from "../sim/run.js";
import type { RunResult, Scenario } from "../sim/types.js";
import { runDoc, runText } from "./run-output.js";

/**
 * Run one scenario with one seed into `reportDir` (trace, summary, page, and `extraFiles` such as
 * scenario.json): written in a staging folder, renamed into place when complete.
 */
export async function runOne(
  scenario: Scenario,
  seed: number,
  reportDir: string,
  repro: string,
  opts: { checkDeterminism?: boolean; extraFiles?: Record<string, string>; kernelModule?: unknown } = {},
): Promise<RunResult> {
  const staging = stagingDir(reportDir);
  const traceFile = join(staging, "trace.arrow");
  const result = await runScenario(scenario, { seed, traceFile, checkDeterminism: opts.checkDeterminism === true, ...(opts.kernelModule ? { kernelModule: opts.kernelModule as KernelModule } : {}) });
  if (!result.trace && existsSync(traceFile)) result.trace = traceFile;
  result.repro = repro;
  writeRunReport(result, reportDir, { repro, staging, extraFiles: opts.extraFiles });
  return result;
}

/** One scenario run of a suite (gate): what the pool hands a worker. */
export interface SuiteRunTask {
  scenario: Scenario;
  seed: number;
  reportDir: string;
  repro: string;
  checkDeterminism: boolean;
}

/** What a suite run reports back (a compact, cloneable summary; the full result is in reportDir). */
export interface SuiteRunSummary {
  name: string;
  ok: boolean;
  failed: string[];
  events: number;
  /** null: not computed (RunResult.traceHash). */
  traceHash: string | null;
}

/** Run one scenario of a suite and write its report (sim/pool.ts task function for `--jobs`). */
export async function suiteRunTask(t: SuiteRunTask): Promise<SuiteRunSummary> {
  const r = await runOne(t.scenario, t.seed, t.reportDir, t.repro, { checkDeterminism: t.checkDeterminism });
  const failed = [...r.invariants, ...(r.expectations ?? [])].filter((c) => !c.ok).map((c) => c.name);
  return { name: t.scenario.name, ok: r.ok, failed, events: r.events, traceHash: r.traceHash };
}

/** One `dita run` (cli/commands.ts runCommand) as a task of a worker thread (cli/heap-policy.ts). */
export interface RunCommandTask {
  scenario: Scenario;
  seed: number;
  reportDir: string;
  repro: string;
  checkDeterminism: boolean;
  /** Files put into the report beside the run's own (scenario.json of a --file run). */
  extraFiles?: Record<string, string>;
  /** `--kernel`: absolute path of the kernel artifact to run; undefined: kernel/pkg's. */
  kernelPath?: string;
  /** `--history`: write the run's kernel inputs as a history Arrow file here (docs/history-schema.md). */
  history?: { out: string; runId: string };
  absoluteTime: boolean;
}

/** What a `dita run` task returns: the run's verdict, its `--json` document and its summary text. */
export interface RunCommandResult {
  ok: boolean;
  doc: Record<string, unknown>;
  text: string;
  /** The young-generation limit (MB) of the thread that ran it; null: no limit (not a worker). */
  youngGenerationMb: number | null;
}

/**
 * Run one scenario, write its report and build what `dita run` prints (cli/run-output.ts), with
 * `--history` exported from the trace. Runs in a worker thread with the run's heap limits, so only
 * the printed output crosses back (cli/heap-policy.ts, issue 12: peak RSS of a 48 h run).
 * @throws Error when the kernel artifact does not load or the run wrote no trace for `--history`.
 */
export async function runCommandTask(t: RunCommandTask): Promise<RunCommandResult> {
  const kernelModule = t.kernelPath !== undefined ? await loadKernel({ wasmPath: t.kernelPath }) : undefined;
  const r = await runOne(t.scenario, t.seed, t.reportDir, t.repro, { checkDeterminism: t.checkDeterminism, extraFiles: t.extraFiles, kernelModule });
  const doc = runDoc(r);
  let text = runText(r, { absoluteTime: t.absoluteTime });
  if (t.history !== undefined) {
    const { exportRunHistory } = await import("../replay/command.js");
    if (!r.trace) throw new Error("run --history: the run wrote no trace file to derive the history from");
    const out = resolve(t.history.out);
    const rows = await exportRunHistory(r.trace, t.history.out, t.history.runId, kernelConfigFor(t.scenario), r.final);
    doc.history = out;
    text += `\nhistory: ${out} (${rows} rows; replay with \`npx dita replay --arrow ${t.history.out}\`)`;
  }
  return { ok: r.ok, doc, text, youngGenerationMb: isMainThread ? null : (resourceLimits.maxYoungGenerationSizeMb ?? null) };
}
