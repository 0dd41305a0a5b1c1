/**
 * Historical replay reproduces what the kernel did (issue 13 "Done when"):
 * - every golden case exported to the history schema replays to exactly its golden figures
 *   (242.7312, 204.8651328, …): every trade's figures and the final ledger;
 * - for every named scenario at seed 1, `dita run --history` then `dita replay` reproduces the
 *   run's kernel ledger and trades exactly, and the replay's own BOOKED comparison passes.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadKernel, type KernelModule } from "../kernel/index.js";
import { decimalEquals } from "../golden/compare.js";
import { loadCases } from "../golden/runner.js";
import type { ExpectedTrade } from "../golden/schema.js";
import { listScenarios } from "../scenarios/index.js";
import { kernelConfigFor, runScenario } from "../sim/run.js";
import { readHistoryArrow } from "./arrow-source.js";
import { exportRunHistory } from "./command.js";
import { replayRows, type ReplayTrade } from "./engine.js";
import { historyFromGolden } from "./export-golden.js";
import { writeHistoryArrow } from "./schema.js";

const dir = mkdtempSync(join(tmpdir(), "dita-replay-"));
let mod: KernelModule;
const kernel = async () => (mod ??= await loadKernel());

/** The replay's trade in the golden projection's terms (fields the replay reports). */
function asGolden(t: ReplayTrade): Record<string, unknown> {
  return {
    tradeId: t.tradeId, side: t.side, entryVwap: t.entryVwap, exitVwap: t.exitVwap, quantity: t.quantity, exitedQty: t.exitedQty,
    realizedGrossUsdt: t.kernelUsdt, kernelEstimateUsdt: t.kernelEstimateUsdt, exchangeRealizedUsdt: t.exchangeUsdt ?? undefined,
    feesUsdt: t.feesUsdt, realizedNetUsdt: t.realizedNetUsdt, pnlSource: t.pnlSource, flags: t.flags, closed: t.closed,
    legs: t.legs.map((l) => ({ legIndex: l.legIndex, quantity: l.quantity, realizedPnlUsdt: l.kernelUsdt, feesUsdt: l.feesUsdt, realizedSkippedNoPrice: l.realizedSkippedNoPrice, exchangeRealizedPnlUsdt: l.exchangeUsdt ?? undefined })),
  };
}

function expectSameFigures(actual: Record<string, unknown>, expected: Record<string, unknown>, path: string): void {
  for (const [k, v] of Object.entries(expected)) {
    if (k === "leverage" || k === "tradeRealizedUsdt") continue; // not part of the replay's trade view
    const a = actual[k];
    if (Array.isArray(v)) {
      expect(Array.isArray(a), `${path}.${k}`).toBe(true);
      if (k === "flags") expect([...(a as string[])].sort(), `${path}.${k}`).toEqual([...(v as string[])].sort());
      else {
        expect((a as unknown[]).length, `${path}.${k}.length`).toBe(v.length);
        v.forEach((x, i) => expectSameFigures((a as Record<string, unknown>[])[i], x as Record<string, unknown>, `${path}.${k}[${i}]`));
      }
    } else if (typeof v === "string" && /^-?\d/.test(v)) {
      expect(typeof a === "string" && decimalEquals(a, v), `${path}.${k}: replay ${String(a)}, golden ${v}`).toBe(true);
    } else expect(a, `${path}.${k}`).toEqual(v);
  }
}

describe("golden cases exported to the history schema replay to their golden figures", () => {
  for (const { case: c } of loadCases()) {
    it(`${c.name}`, async () => {
      const m = await kernel();
      const f = join(dir, `${c.name}.arrow`);
      await writeHistoryArrow(f, historyFromGolden(m, c));
      const r = await replayRows(m, readHistoryArrow(f));
      expect(r.trades.length).toBe(c.expected.trades.length);
      for (const et of c.expected.trades) {
        const t = r.trades.find((x) => x.tradeId === et.tradeId);
        expect(t, `trade ${et.tradeId}`).toBeDefined();
        expectSameFigures(asGolden(t!), et as unknown as Record<string, unknown>, et.tradeId);
      }
      const fin = c.expected.checkpoints.final.ledger as unknown as Record<string, unknown>;
      expectSameFigures(r.ledger as unknown as Record<string, unknown>, fin, "final ledger");
    });
  }

  it("the FET golden figures are among them: fet-short-clean books 242.7312, fet-fee-only-in-settlement ends at 10204.8651328", async () => {
    const m = await kernel();
    const byName = new Map(loadCases().map((x) => [x.case.name, x.case]));
    const clean = historyFromGolden(m, byName.get("fet-short-clean")!);
    const r1 = await replayRows(m, [clean]);
    expect(r1.trades.map((t) => t.kernelUsdt)).toEqual(["242.7312"]);
    const fee = await replayRows(m, [historyFromGolden(m, byName.get("fet-fee-only-in-settlement")!)]);
    expect(fee.ledger.capitalUsdt).toBe("10204.8651328");
  });
});

describe("every named scenario at seed 1: run --history, then replay, reproduces the kernel ledger exactly", () => {
  for (const s of listScenarios()) {
    it(s.name, async () => {
      const m = await kernel();
      const trace = join(dir, `${s.name}.trace.arrow`);
      const run = await runScenario(s, { seed: 1, traceFile: trace, checkDeterminism: false });
      const hist = join(dir, `${s.name}.history.arrow`);
      await exportRunHistory(trace, hist, `${s.name}-seed1`, kernelConfigFor(s), run.final);
      const r = await replayRows(m, readHistoryArrow(hist));
      expect(r.ledger).toEqual(run.final.ledger);
      expect(r.trades.map((t) => [t.tradeId, t.kernelUsdt, t.feesUsdt, t.exchangeUsdt, t.pnlSource])).toEqual(
        run.final.trades.map((t) => [t.tradeId, t.realizedGrossUsdt, t.feesUsdt, t.exchangeRealizedUsdt ?? null, t.pnlSource]),
      );
      expect(r.anomalies).toEqual(run.final.anomalies);
      expect(r.divergences).toEqual([]);
      expect(r.ok).toBe(true);
    });
  }
});
