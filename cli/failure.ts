/**
 * Where and why a run failed, for the terminal and for `--json` (issue 15): each failed invariant
 * or expectation with its full detail and every located violation (slot, trade, symbol, time since
 * the scenario start — absolute on request — and trace rows), the diagnostics (non-OK kernel
 * outcomes), and the repro command first. One builder serves both outputs so they never disagree.
 */
import type { DiagnosticRow, InvariantResult, RunResult } from "../sim/types.js";
import { isoUs, sinceStart } from "../reports/html.js";

export { sinceStart };

/** One located violation in the JSON document: evidence plus both time forms. */
export interface FailureEvidenceDoc {
  detail: string;
  slotId?: number;
  tradeId?: string;
  symbol?: string;
  tUs?: number;
  /** Seconds since the scenario start. */
  tSinceStartS?: number;
  /** ISO-8601 UTC of tUs. */
  tIso?: string;
  traceSeq?: number[];
}

/** One failed check in the JSON document. */
export interface FailureDoc {
  kind: "invariant" | "expectation";
  name: string;
  detail: string;
  evidence: FailureEvidenceDoc[];
}

/**
 * Invariants a scenario expects to fail (expect.expectViolations), read back from the expectation
 * results `expect.violation[<name>]` that held.
 */
export function expectedViolations(r: RunResult): string[] {
  return (r.expectations ?? []).flatMap((e) => {
    const m = /^expect\.violation\[(.+)\]$/.exec(e.name);
    return m && e.ok ? [m[1]] : [];
  });
}

/** Failed invariants (not expected to fail by the scenario) and failed expectations, with evidence. */
export function failureDocs(r: RunResult, expected: readonly string[] = expectedViolations(r)): FailureDoc[] {
  const start = r.startUs ?? 0;
  const doc = (kind: FailureDoc["kind"], i: InvariantResult): FailureDoc => ({
    kind,
    name: i.name,
    detail: i.detail,
    evidence: (i.evidence ?? []).map((e) => ({
      ...e,
      ...(e.tUs !== undefined ? { tSinceStartS: (e.tUs - start) / 1e6, tIso: isoUs(e.tUs) } : {}),
    })),
  });
  const skip = new Set(expected);
  return [
    ...r.invariants.filter((i) => !i.ok && !skip.has(i.name)).map((i) => doc("invariant", i)),
    ...(r.expectations ?? []).filter((e) => !e.ok).map((e) => doc("expectation", e)),
  ];
}

/** Options of the terminal rendering. */
export interface FailureTextOptions {
  /** Show absolute times (ISO-8601 UTC) beside the seconds since start. */
  absoluteTime?: boolean;
  /** Most evidence lines per check (the rest are counted). */
  maxEvidence?: number;
  /** Most diagnostics lines (the rest are counted). */
  maxDiagnostics?: number;
}

function timeText(tUs: number | undefined, startUs: number, abs: boolean): string {
  if (tUs === undefined) return "";
  return abs ? `${sinceStart(tUs, startUs)} (${isoUs(tUs)})` : sinceStart(tUs, startUs);
}

/** "slot 0 · trade fet-1 · FET-USDT · +70.000 s · trace rows 812, 813" (only the parts known). */
export function whereText(e: { slotId?: number; tradeId?: string; symbol?: string; tUs?: number; traceSeq?: number[] }, startUs: number, abs = false): string {
  const parts: string[] = [];
  if (e.slotId !== undefined) parts.push(`slot ${e.slotId}`);
  if (e.tradeId) parts.push(`trade ${e.tradeId}`);
  if (e.symbol) parts.push(e.symbol);
  if (e.tUs !== undefined) parts.push(timeText(e.tUs, startUs, abs));
  if (e.traceSeq?.length) parts.push(`trace rows ${e.traceSeq.join(", ")}`);
  return parts.join(" · ");
}

/** The diagnostics block: one line per non-OK kernel outcome (code, slot, time, input, rows). */
export function diagnosticsText(rows: readonly DiagnosticRow[], total: number, startUs: number, opts: FailureTextOptions = {}): string[] {
  if (total === 0) return ["diagnostics: none (every kernel call answered OK)"];
  const max = opts.maxDiagnostics ?? 10;
  const byCode = new Map<string, number>();
  for (const d of rows) byCode.set(d.code, (byCode.get(d.code) ?? 0) + 1);
  const counts = [...byCode].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([c, n]) => `${c} ${n}`).join(", ");
  const lines = [`diagnostics: ${total} kernel call(s) answered other than OK (${counts}${total > rows.length ? `, in the first ${rows.length}` : ""})`];
  for (const d of rows.slice(0, max)) {
    const input = d.input.length > 160 ? d.input.slice(0, 159) + "…" : d.input;
    lines.push(
      `  ${d.code}  ${whereText({ slotId: d.slotId, tUs: d.tUs }, startUs, opts.absoluteTime)} · trace rows ${d.inputSeq ?? "?"}→${d.seq}  ${d.message}`,
      `      input ${d.inputKind}: ${input}`,
    );
  }
  if (total > Math.min(max, rows.length)) lines.push(`  … ${total - Math.min(max, rows.length)} more (report: Diagnostics table; summary.json .diagnostics)`);
  return lines;
}

/**
 * The terminal block of a failed run: repro command first, then each failed check with its full
 * detail (never cut) and its located violations, then the diagnostics. Empty for a passing run.
 */
export function failureText(r: RunResult, failures: FailureDoc[], opts: FailureTextOptions = {}): string[] {
  if (failures.length === 0) return [];
  const start = r.startUs ?? 0;
  const max = opts.maxEvidence ?? 10;
  const lines: string[] = [];
  if (r.repro) lines.push(`reproduce: ${r.repro}`);
  for (const f of failures) {
    lines.push("", `FAILED ${f.kind} ${f.name}`, `  ${f.detail}`);
    for (const e of f.evidence.slice(0, max)) {
      const where = whereText(e, start, opts.absoluteTime);
      lines.push(`  - ${where ? `${where}: ` : ""}${e.detail}`);
    }
    if (f.evidence.length > max) lines.push(`  … ${f.evidence.length - max} more (summary.json)`);
  }
  lines.push("", ...diagnosticsText(r.diagnostics ?? [], r.diagnosticsTotal ?? 0, start, opts));
  return lines;
}
