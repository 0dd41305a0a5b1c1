/**
 * `dita import bingx` (replay/import-bingx.ts): the exchange's exports in their documented shapes
 * (docs/bingx-protocol.md §4.2, §4.4; fillHistory with +08:00 timestamps) become history rows that
 * replay through the kernel to the exchange's figures.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadKernel } from "../kernel/index.js";
import { replayRows } from "./engine.js";
import { ImportError, bingxTimeUs, importBingx } from "./import-bingx.js";

const FIX = join(import.meta.dirname, "fixtures", "bingx-export");
const config = { slotCount: 2, initialCapitalUsdt: "10000", instruments: [{ symbol: "FET-USDT", tickSize: "0.0001", stepSize: "1", minQty: "1" }], pnlAnomalyToleranceUsdt: "0.5" };
const files = { orders: join(FIX, "orders.json"), fills: join(FIX, "fills.json"), income: join(FIX, "income.json"), intents: join(FIX, "intents.jsonl") };

describe("dita import bingx", () => {
  it("converts +08:00 export times to UTC µs and refuses a time without an offset", () => {
    expect(bingxTimeUs("2026-06-11T22:00:04.000+08:00", "t", "filledTm")).toBe(1781186404000000);
    expect(bingxTimeUs("2026-06-11T22:00:04.5+0800", "t", "filledTm")).toBe(1781186404500000);
    expect(bingxTimeUs("1781186404000", "t", "time")).toBe(1781186404000000);
    expect(() => bingxTimeUs("2026-06-11 22:00:04", "fills f row 3", "filledTm")).toThrow(/fills f row 3: field filledTm: .*explicit offset/);
  });

  it("orders + fills + income + decision rows replay to the exchange's figures (242.7312 gross, rp per leg, funding), no divergence", async () => {
    const res = importBingx({ runId: "bingx-fet", config, ...files, startWalletUsdt: "10000" });
    expect(res.counts).toEqual({ INTENT: 3, ORDER_ACK: 3, PARTIAL_FILL: 1, FULL_FILL: 3, FILL_SETTLED: 2, FUNDING: 1 });
    expect(Object.values(res.skipped)).toEqual([1, 2]); // TRANSFER; opening fees already in fills
    const fill = res.rows.find((r) => r.event_id === "fill:88003")!;
    expect([fill.ts_us, fill.venue_order_id, fill.qty, fill.price, fill.fee_usdt]).toEqual([1781186408000000, "1933000000000000002", "26007", "0.1866", "2.4264531"]);
    const intent = res.rows.find((r) => r.intent_id === "i-exit-1")!;
    expect([intent.client_order_id, intent.side, intent.order_type, intent.qty]).toEqual(["d2-fet-short-incident-x1", "BUY", "MARKET", "26007"]);
    const r = await replayRows(await loadKernel(), [res.rows]);
    expect(r.divergences).toEqual([]);
    expect(r.trades.map((t) => [t.kernelUsdt, t.exchangeUsdt, t.feesUsdt, t.pnlSource])).toEqual([["242.7312", "242.7312", "37.8660672", "exchange"]]);
    expect(r.trades[0].legs.map((l) => [l.kernelUsdt, l.exchangeUsdt])).toEqual([["31.2084", "31.2084"], ["211.5228", "211.5228"]]);
    expect(r.ledger.fundingUsdt).toBe("-1.25");
    expect(r.ledger.capitalUsdt).toBe("10203.6151328");
  });

  it("a fill missing its qty is refused naming the file, row and field", () => {
    const dir = mkdtempSync(join(tmpdir(), "dita-import-"));
    const bad = join(dir, "fills.json");
    writeFileSync(bad, '{"code":0,"msg":"","data":{"fill_history_orders":[{"symbol":"FET-USDT","orderId":1933000000000000001,"tradeId":"1","price":"0.1878","commission":"-1","filledTm":"2026-06-11T22:00:04.000+08:00"}]}}');
    expect(() => importBingx({ runId: "x", config, orders: files.orders, fills: bad })).toThrow(ImportError);
    expect(() => importBingx({ runId: "x", config, orders: files.orders, fills: bad })).toThrow(/row 0: field qty \| volume: missing/);
  });
});
