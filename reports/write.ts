/**
 * Report writer: puts a run's (or the gate's) summary.json, Arrow trace and self-contained
 * index.html into one directory (reports/<run-id>/, reports/gate-<n>/).
 */
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { RunResult } from "../sim/types.js";
import { renderGateReport, type GateResult } from "./gate-page.js";
import { renderRunReport } from "./run-page.js";
import { writeJsonFile } from "./json-file.js";

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

/** Prefix of staging folders (a report being written; renamed into place when complete). */
export const STAGING_PREFIX = ".staging-";

/**
 * A fresh, empty staging folder beside `finalDir` (same file system, so the rename is atomic):
 * `<parent>/.staging-<name>-<pid>-<random>`. Concurrent runs never share one.
 */
export function stagingDir(finalDir: string): string {
  const abs = resolve(finalDir);
  mkdirSync(dirname(abs), { recursive: true });
  const dir = join(dirname(abs), `${STAGING_PREFIX}${basename(abs)}-${process.pid}-${randomBytes(4).toString("hex")}`);
  mkdirSync(dir);
  return dir;
}

/**
 * Put a complete staging folder in place of `finalDir`: rename the old report (if any) aside, rename
 * the staging folder into place, then delete the old one. A reader sees either the old complete
 * report or the new one, never a half-written folder.
 */
export function commitDir(staging: string, finalDir: string): void {
  const abs = resolve(finalDir);
  if (existsSync(abs)) {
    const old = `${staging}.old`;
    renameSync(abs, old);
    renameSync(staging, abs);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(staging, abs);
  }
}

/**
 * Remove staging folders under `root` left by processes that no longer exist (a run killed by
 * Ctrl-C). Returns the paths removed.
 */
export function sweepStaging(root: string): string[] {
  if (!existsSync(root) || !statSync(root).isDirectory()) return [];
  const removed: string[] = [];
  for (const name of readdirSync(root)) {
    if (!name.startsWith(STAGING_PREFIX)) continue;
    const m = /-(\d+)-[0-9a-f]{8}(\.old)?$/.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    rmSync(join(root, name), { recursive: true, force: true });
    removed.push(join(root, name));
  }
  return removed;
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // ESRCH: no such process; EPERM: it exists but is not ours.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
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
 * The files are written into a staging folder (`opts.staging`, or a fresh one beside `dir`) and
 * renamed into place when complete (commitDir), so `dir` never holds a half-written report.
 * @param opts.repro command line that reproduces the run, shown under the verdict.
 * @param opts.staging a staging folder from {@link stagingDir} that already holds the trace.
 * @param opts.extraFiles more files to put in the report (name → content), e.g. scenario.json.
 * @throws Error when `result.trace` names a file that does not exist (never silently skipped).
 */
export function writeRunReport(
  result: RunResult,
  dir: string,
  opts: { repro?: string; staging?: string; extraFiles?: Record<string, string> } = {},
): WrittenReport {
  const abs = resolve(dir);
  const stage = opts.staging ?? stagingDir(abs);
  let trace: string | undefined;
  if (result.trace) {
    const src = resolve(result.trace);
    if (!existsSync(src)) throw new Error(`writeRunReport: trace file ${result.trace} does not exist`);
    const staged = join(stage, REPORT_FILES.trace);
    if (src !== staged) copyFileSync(src, staged);
    trace = join(abs, REPORT_FILES.trace);
  }
  result.report = abs;
  result.trace = trace;
  if (opts.repro && !result.repro) result.repro = opts.repro;
  for (const [name, content] of Object.entries(opts.extraFiles ?? {})) writeFileSync(join(stage, name), content);
  // Written in pieces, never as one string (a 48 h run's summary is ~15 MB): same bytes.
  writeJsonFile(join(stage, REPORT_FILES.summary), result);
  writeFileSync(join(stage, REPORT_FILES.html), renderRunReport(result, { repro: opts.repro }));
  commitDir(stage, abs);
  return { dir: abs, html: join(abs, REPORT_FILES.html), summary: join(abs, REPORT_FILES.summary), trace };
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
