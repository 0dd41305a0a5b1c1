/**
 * What `dita run` prints: the `--json` document and the human summary of one RunResult
 * (docs/architecture.md §The `dita` command), and the terminal table both use. Pure functions of the
 * result, so the run's worker thread (cli/run-one.ts runCommandTask) builds them where the result
 * is, and only the output crosses to the main thread.
 */
import { join } from "node:path";
import type { RunResult } from "../sim/types.js";
import { failureDocs, failureText } from "./failure.js";

/** Left-pad-free fixed-width table for the terminal. */
export function textTable(headers: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  // Columns are padded to at most 60 characters; the last column is never cut (issue 15: details
  // such as an invariant's numbers must reach the terminal whole).
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? "—" : String(c))))];
  const last = headers.length - 1;
  const widths = headers.map((_, i) => Math.min(60, Math.max(...cells.map((r) => (r[i] ?? "").length))));
  const fmt = (r: string[]) => r.map((c, i) => (i === last ? c : c.length > widths[i] ? c.slice(0, widths[i] - 1) + "…" : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [fmt(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(fmt)].join("\n");
}

/** The `dita run --json` document (docs/architecture.md fields plus expectations, trades, venue ledger). */
export function runDoc(r: RunResult): Record<string, unknown> {
  return {
    scenario: r.scenario,
    seed: r.seed,
    ok: r.ok,
    traceHash: r.traceHash,
    events: r.events,
    simTimeUs: r.simTimeUs,
    wallMs: r.wallMs,
    repro: r.repro,
    startUs: r.startUs,
    failures: failureDocs(r),
    invariants: r.invariants,
    expectations: r.expectations,
    diagnostics: r.diagnostics ?? [],
    diagnosticsTotal: r.diagnosticsTotal ?? 0,
    ledger: r.ledger,
    venueLedger: r.venueLedger,
    trades: r.trades,
    anomalies: r.final?.anomalies ?? [],
    faults: r.faults.length,
    report: r.report,
    trace: r.trace,
  };
}

/** Result cell of an invariant: ok, FAIL, or "not checked" (never shown as a pass). */
export function invariantState(i: { ok: boolean; status?: string }): string {
  if (i.status === "not-checked") return "not checked";
  return i.ok ? "ok" : "FAIL";
}

/**
 * Human summary of one run. A failed run starts with the verdict and the repro command, then each
 * failed check in full with its slot, trade, time and trace rows, and the diagnostics.
 */
export function runText(r: RunResult, opts: { absoluteTime?: boolean } = {}): string {
  const checked = r.invariants.filter((i) => i.status !== "not-checked");
  const notChecked = r.invariants.length - checked.length;
  const lines = [
    `${r.ok ? "PASS" : "FAIL"}  ${r.scenario}  seed ${r.seed}  (${checked.filter((i) => i.ok).length}/${checked.length} invariants hold${notChecked ? `, ${notChecked} not checked` : ""})`,
    ...(r.ok ? [] : failureText(r, failureDocs(r), { absoluteTime: opts.absoluteTime })),
    "",
    `trace hash ${r.traceHash ?? "not computed"}  events ${r.events}  simulated ${(r.simTimeUs / 1e6).toFixed(1)} s  wall ${Math.round(r.wallMs)} ms`,
    "",
    textTable(["invariant", "result", "detail"], r.invariants.map((i) => [i.name, invariantState(i), i.detail])),
  ];
  if (r.expectations?.length) lines.push("", textTable(["expectation", "result", "detail"], r.expectations.map((e) => [e.name, e.ok ? "ok" : "FAIL", e.detail])));
  lines.push("", `capital ${r.ledger.capitalUsdt} USDT (${r.ledger.capitalSource}), venue wallet ${r.venueLedger?.walletBalanceUsdt ?? "?"} USDT, ${r.trades.length} trades, ${r.ledger.anomalyCount} anomalies, ${r.diagnosticsTotal ?? 0} diagnostics`);
  if (r.report) lines.push(`report: ${join(r.report, "index.html")}`);
  if (r.repro) lines.push(`reproduce: ${r.repro}`);
  return lines.join("\n");
}
