/**
 * Report writer: puts a run's (or the gate's) summary.json, Arrow trace and self-contained
 * index.html into one directory (reports/<run-id>/, reports/gate-<n>/).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { RunResult } from "../sim/types.js";
import { renderGateReport, type GateResult } from "./gate-page.js";
import { renderRunReport } from "./run-page.js";

/** File names inside a report directory. */
export const REPORT_FILES = { summary: "summary.json", html: "index.html", trace: "trace.arrow" } as const;

/**
 * Deterministic run id from scenario name and seed: `<scenario>-seed<seed>`, with every character
 * outside [A-Za-z0-9._-] replaced by "_" (so a scenario name can never escape the reports folder).
 * @throws RangeError on an empty scenario name or a non-integer seed.
 */
export function runId(scenario: string, seed: number): string {
  if (!scenario) throw new RangeError("runId: empty scenario name");
  if (!Number.isSafeInteger(seed)) throw new RangeError(`runId: seed must be an integer, got ${seed}`);
  const safe = scenario.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_");
  return `${safe}-seed${seed}`;
}

/**
 * The next free counter directory `<root>/<prefix>-<n>` (n = 1 + the highest existing n). Not
 * created here.
 */
export function nextCounterDir(root: string, prefix: string): string {
  let max = 0;
  if (existsSync(root)) {
    const re = new RegExp(`^${prefix.replace(/[^A-Za-z0-9]/g, "\\$&")}-(\\d+)$`);
    for (const name of readdirSync(root)) {
      const m = re.exec(name);
      if (m) max = Math.max(max, Number(m[1]));
    }
  }
  return join(root, `${prefix}-${max + 1}`);
}

/** What {@link writeRunReport} wrote (absolute paths). */
export interface WrittenReport {
  dir: string;
  html: string;
  summary: string;
  trace?: string;
}

/**
 * Write the run report for `result` into `dir` (created if needed): the Arrow trace (copied from
 * `result.trace` unless it already is `<dir>/trace.arrow`), summary.json (the RunResult with
 * `report` and `trace` set to the paths in `dir`) and index.html. Sets `result.report` and
 * `result.trace` on the object passed in.
 * @param opts.repro command line that reproduces the run, shown on the page.
 * @throws Error when `result.trace` names a file that does not exist (never silently skipped).
 */
export function writeRunReport(result: RunResult, dir: string, opts: { repro?: string } = {}): WrittenReport {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true });
  let trace: string | undefined;
  if (result.trace) {
    const src = resolve(result.trace);
    if (!existsSync(src)) throw new Error(`writeRunReport: trace file ${result.trace} does not exist`);
    trace = join(abs, REPORT_FILES.trace);
    if (src !== trace) copyFileSync(src, trace);
  }
  result.report = abs;
  result.trace = trace;
  const summary = join(abs, REPORT_FILES.summary);
  writeFileSync(summary, JSON.stringify(result, null, 2) + "\n");
  const html = join(abs, REPORT_FILES.html);
  writeFileSync(html, renderRunReport(result, opts));
  return { dir: abs, html, summary, trace };
}

/** Write the gate report (summary.json + index.html) into `dir`; sets `gate.report`. */
export function writeGateReport(gate: GateResult, dir: string): { dir: string; html: string; summary: string } {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true });
  gate.report = abs;
  const summary = join(abs, REPORT_FILES.summary);
  writeFileSync(summary, JSON.stringify(gate, null, 2) + "\n");
  const html = join(abs, REPORT_FILES.html);
  writeFileSync(html, renderGateReport(gate));
  return { dir: abs, html, summary };
}
