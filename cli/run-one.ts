/**
 * One scenario run with its report (`dita run`, failing chaos seeds' reports, the gate's scenario
 * suite). Its imports are all written out, so the gate's suite pool loads this module as one
 * JavaScript bundle without tsx (sim/pool-bundle.ts; issue 12: about a second of CPU less per
 * worker than ~100 TypeScript modules through tsx's loader hooks).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { KernelModule } from "../kernel/index.js";
import { stagingDir, writeRunReport } from "../reports/write.js";
import { runScenario } from "../sim/run.js";
import type { RunResult, Scenario } from "../sim/types.js";

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
