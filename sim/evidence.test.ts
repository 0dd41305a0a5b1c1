/**
 * Failure evidence and diagnostics of a streamed trace (sim/evidence.ts; issue 12 "memory stays
 * flat for a run of any length"): diagnostics folded from the rows as they are written (the
 * recorder's tap) give the same diagnostics, linked evidence and trace excerpt as a full read-back
 * of trace.arrow and as the rows kept in memory; and a run whose diagnostics name no frame row
 * and which has no evidence to link is not read back at all.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { getScenario } from "../scenarios/index.js";
import { DiagnosticsCollector, collectDiagnostics, evidenceFromTraceFile, linkEvidence, rowsBySeq } from "./evidence.js";
import { drawFaultMix } from "./faults.js";
import { executeOnce, sharedKernel } from "./run.js";
import type { KernelModule } from "./runtime.js";
import type { DiagnosticRow, InvariantResult } from "./types.js";
import { ArrowTraceStream, TRACE_BATCH_ROWS, traceRowsWithSeqs, writeTraceArrow, type TraceRow } from "./trace.js";

/** Excerpt seqs as sim/run.ts builds them: evidence rows, each diagnostic and its input row. */
const excerptSeqs = (judged: InvariantResult[]) => (diag: DiagnosticRow[]) => {
  const seqs = judged.flatMap((i) => (i.evidence ?? []).flatMap((e) => e.traceSeq ?? []));
  for (const d of diag) seqs.push(d.seq, ...(d.inputSeq !== undefined ? [d.inputSeq] : []));
  return seqs;
};

describe("evidence from a streamed trace", () => {
  it("live diagnostics + read-back only where needed = full read-back = rows in memory (chaos seed 7 mix: adapter findings, kernel diagnostics, linked evidence)", async () => {
    const scenario = getScenario("chaos")!;
    const kernel = (await sharedKernel()) as KernelModule;
    const file = join(mkdtempSync(join(tmpdir(), "dita-evidence-")), "trace.arrow");
    const live = new DiagnosticsCollector();
    const out = executeOnce(scenario, 7, drawFaultMix(7), kernel, true, file, (seq, tUs, kind, body) => live.row(seq, tUs, kind, body));
    const rows = out.trace.rows!;
    const inMemory = collectDiagnostics(rows);
    expect(inMemory.rows.some((d) => d.code === "ADAPTER_MISSING_FIELD")).toBe(true); // an adapter finding needs its frame row
    expect(inMemory.rows.some((d) => d.code !== "ADAPTER_MISSING_FIELD")).toBe(true);
    // A failed check whose evidence must be linked by time and trade id.
    const trade = out.final.trades[0];
    const tUs = rows.find((r) => r.body.includes(`"${trade.tradeId}"`))!.tUs;
    const failed = (): InvariantResult[] => [{ name: "x", ok: false, detail: "", evidence: [{ detail: "d", tradeId: trade.tradeId, tUs }, { detail: "e", tradeId: trade.tradeId }] }];

    const a = failed();
    linkEvidence(a, rows);
    const aExcerpt = rowsBySeq(rows, excerptSeqs(a)(inMemory.rows));
    const b = failed();
    const fromFile = await evidenceFromTraceFile(file, b, excerptSeqs(b));
    const c = failed();
    const fromLive = await evidenceFromTraceFile(file, c, excerptSeqs(c), live);

    expect(a[0].evidence![0].traceSeq!.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(fromFile.diagnostics).toEqual(inMemory);
    expect(fromLive.diagnostics).toEqual(inMemory);
    expect(fromFile.excerpt).toEqual(aExcerpt);
    expect(fromLive.excerpt).toEqual(aExcerpt);
  }, 120_000);

  it("a run with kernel diagnostics only and nothing to link is not read back (the trace file may be gone)", async () => {
    const live = new DiagnosticsCollector();
    live.row(0, 10, "run", "{}");
    live.row(1, 20, "intent", '{"kind":"ENTER","slotId":2}');
    live.row(2, 20, "kernel.out", '{"accepted":false,"code":"SLOT_BUSY","message":"slot 2 is busy"}');
    live.row(3, 30, "market", '{"priceUsdt":"1","symbol":"FET-USDT","tsUs":30}');
    const ok: InvariantResult[] = [{ name: "routing", ok: true, detail: "" }];
    const res = await evidenceFromTraceFile("/nonexistent/trace.arrow", ok, excerptSeqs(ok), live);
    expect(res.diagnostics.total).toBe(1);
    expect(res.diagnostics.rows[0]).toMatchObject({ seq: 2, inputSeq: 1, code: "SLOT_BUSY", slotId: 2 });
    expect(res.excerpt.map((r) => r.seq)).toEqual([1, 2]);
    // Without the live collector the same call must read the file (and fails naming it).
    await expect(evidenceFromTraceFile("/nonexistent/trace.arrow", ok, excerptSeqs(ok))).rejects.toThrow(/nonexistent/);
  });

  it("traceRowsWithSeqs returns exactly the rows asked for, from a streamed file (read at its batches) and from a one-batch file (scanned)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dita-evidence-"));
    const rows: TraceRow[] = Array.from({ length: 2 * TRACE_BATCH_ROWS + 500 }, (_, i) => ({ seq: i, tUs: 1_000 + i, kind: i % 2 ? "market" : "kernel.mark", body: `{"i":${i}}` }));
    const streamed = join(dir, "streamed.arrow");
    const sink = new ArrowTraceStream(streamed);
    for (const r of rows) sink.push(r);
    sink.close();
    const oneBatch = join(dir, "one-batch.arrow");
    writeTraceArrow(oneBatch, rows);
    const want = new Set([rows.length - 1, 0, 5, TRACE_BATCH_ROWS, TRACE_BATCH_ROWS + 8_000, rows.length + 10]);
    const expected = [rows[0], rows[5], rows[TRACE_BATCH_ROWS], rows[TRACE_BATCH_ROWS + 8_000], rows[rows.length - 1]];
    expect(await traceRowsWithSeqs(streamed, want)).toEqual(expected);
    expect(await traceRowsWithSeqs(oneBatch, want)).toEqual(expected);
    expect(await traceRowsWithSeqs(streamed, new Set())).toEqual([]);
  });
});
