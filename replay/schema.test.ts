/**
 * The history schema's bad-history rules (docs/history-schema.md "Bad history"): each case is
 * exit-2 material naming seq and column; duplicates are counted and dropped, never fed twice.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Table, tableToIPC, vectorFromArray, Utf8 } from "apache-arrow";
import { writeFileSync } from "node:fs";
import { loadKernel } from "../kernel/index.js";
import { readHistoryArrow } from "./arrow-source.js";
import { replayRows } from "./engine.js";
import { configRow } from "./export-run.js";
import { HistoryError, canonicalDecimal, emptyRow, historyTableDdl, writeHistoryArrow, type HistoryRow } from "./schema.js";

const dir = mkdtempSync(join(tmpdir(), "dita-history-"));
const CONFIG = { slotCount: 2, initialCapitalUsdt: "10000", instruments: [{ symbol: "FET-USDT", tickSize: "0.0001", stepSize: "1", minQty: "1" }] };

function balance(seq: number, ts: number, wallet: string): HistoryRow {
  return { ...emptyRow("r1", seq, ts, "BALANCE", "test"), event_id: `b${seq}`, wallet_usdt: wallet, available_usdt: wallet };
}

async function replayFile(rows: HistoryRow[]) {
  const f = join(dir, `h${Math.abs(rows.length * 7919 + rows[rows.length - 1].seq)}-${rows.map((r) => r.seq).join("_")}.arrow`);
  await writeHistoryArrow(f, rows);
  return replayRows(await loadKernel(), readHistoryArrow(f));
}

async function historyError(rows: HistoryRow[]): Promise<HistoryError> {
  const err = await replayFile(rows).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(HistoryError);
  return err as HistoryError;
}

describe("history schema (docs/history-schema.md)", () => {
  it("canonicalises decimals and refuses what Decimal(76,18) cannot hold", () => {
    expect(canonicalDecimal("0.18780", 1, "price")).toBe("0.1878");
    expect(canonicalDecimal("-0.000", 1, "qty")).toBe("0");
    expect(canonicalDecimal("007", 1, "qty")).toBe("7");
    expect(() => canonicalDecimal("1e5", 4, "qty")).toThrow(/seq 4: column qty/);
    expect(() => canonicalDecimal("0.1234567890123456789", 4, "price")).toThrow(/more than 18 decimal places/);
  });

  it("the DDL stores money as Decimal(76, 18) and refuses a table name that is not an identifier", () => {
    expect(historyTableDdl()).toMatch(/realized_pnl_usdt Nullable\(Decimal\(76, 18\)\)/);
    expect(() => historyTableDdl("x; DROP TABLE y")).toThrow(/table/);
  });

  it("a bad decimal is exit-2 material naming seq and column (the writer refuses it too)", async () => {
    const bad = { ...balance(2, 2, "10000"), wallet_usdt: "12,5" };
    const f = join(dir, "baddec.arrow");
    await expect(writeHistoryArrow(f, [configRow("r1", 1, "test", CONFIG), bad])).rejects.toThrow(/seq 2: column wallet_usdt/);
  });

  it("time going backwards names the seq and ts_us", async () => {
    const e = await historyError([configRow("r1", 10, "test", CONFIG), balance(1, 20, "10000"), balance(2, 15, "10000")]);
    expect(e.seq).toBe(2);
    expect(e.column).toBe("ts_us");
  });

  it("an unknown kind names the seq and kind", async () => {
    const e = await historyError([configRow("r1", 10, "test", CONFIG), { ...balance(1, 20, "1"), kind: "TELEPORT" as HistoryRow["kind"] }]).catch((x) => x);
    expect(String(e.message ?? e)).toMatch(/seq 1: column kind: unknown kind "TELEPORT"/);
  });

  it("a missing column names the column", async () => {
    const f = join(dir, "missing.arrow");
    const t = new Table({ run_id: vectorFromArray(["r1"], new Utf8()) });
    writeFileSync(f, tableToIPC(t, "file"));
    await expect(replayRows(await loadKernel(), readHistoryArrow(f))).rejects.toThrow(/column seq: missing column/);
  });

  it("a required column left null is named (FILL_SETTLED without realized_pnl_usdt)", async () => {
    const e = await historyError([configRow("r1", 10, "test", CONFIG), { ...emptyRow("r1", 1, 20, "FILL_SETTLED", "test"), event_id: "s1", symbol: "FET-USDT", fee_usdt: "0" }]);
    expect(e.message).toMatch(/seq 1: column realized_pnl_usdt: required for kind FILL_SETTLED/);
  });

  it("the first row must be CONFIG; nothing is defaulted", async () => {
    const e = await historyError([balance(1, 20, "10000")]);
    expect(e.column).toBe("kind");
  });

  it("duplicated rows are counted and dropped, never double-booked (funding booked once)", async () => {
    const funding: HistoryRow = { ...emptyRow("r1", 2, 30, "FUNDING", "test"), event_id: "f1", symbol: "FET-USDT", amount_usdt: "-1.5" };
    const res = await replayFile([configRow("r1", 10, "test", CONFIG), balance(1, 20, "10000"), funding, funding, { ...funding }]);
    expect(res.rows.duplicates).toBe(2);
    expect(res.rows.fed).toBe(2);
    expect(res.ledger.fundingUsdt).toBe("-1.5");
  });

  it("the same seq with different content is exit-2 material", async () => {
    const a: HistoryRow = { ...emptyRow("r1", 2, 30, "FUNDING", "test"), event_id: "f1", symbol: "FET-USDT", amount_usdt: "-1.5" };
    const e = await historyError([configRow("r1", 10, "test", CONFIG), a, { ...a, amount_usdt: "-2" }]);
    expect(e.seq).toBe(2);
    expect(e.column).toBe("seq");
  });

  it("BALANCE rows report the drift of kernel capital against the exchange wallet", async () => {
    const res = await replayFile([configRow("r1", 10, "test", CONFIG), balance(1, 20, "10000"), { ...emptyRow("r1", 2, 30, "FUNDING", "test"), event_id: "f1", symbol: "FET-USDT", amount_usdt: "-1.5" }, balance(3, 40, "10000")]);
    expect(res.balances.map((b) => b.driftUsdt)).toEqual(["0", "-1.5"]);
  });
});

describe("window start and command divergence (docs/history-schema.md)", () => {
  const enter = { kind: "ENTER", intentId: "i1", tsUs: 30, slotId: 0, tradeId: "t1", symbol: "FET-USDT", side: "LONG", quantity: "100", orderType: "MARKET", leverage: 2 };
  const intentRow = (recordedQty: string): HistoryRow => ({
    ...emptyRow("r1", 2, 30, "INTENT", "test"), intent_id: "i1", slot_id: 0, trade_id: "t1", symbol: "FET-USDT", payload: JSON.stringify(enter),
    client_order_id: "d2-t1-e1", side: "BUY", order_type: "MARKET", qty: recordedQty,
  });

  it("a replayed SUBMIT equal to the recorded order is no divergence", async () => {
    const res = await replayFile([configRow("r1", 10, "test", CONFIG), balance(1, 20, "10000"), intentRow("100")]);
    expect(res.divergences).toEqual([]);
  });

  it("a replayed SUBMIT differing from the recorded order is COMMAND_DIVERGENCE with the row's seq", async () => {
    const res = await replayFile([configRow("r1", 10, "test", CONFIG), balance(1, 20, "10000"), intentRow("90")]);
    expect(res.divergences.map((d) => [d.kind, d.seq])).toEqual([["COMMAND_DIVERGENCE", 2]]);
    expect(res.divergences[0].detail).toMatch(/quantity recorded 90, kernel 100/);
    expect(res.ok).toBe(false);
  });

  it("a window declared to start from a saved state must begin with RESTART carrying it; the state is restored", async () => {
    const k = (await loadKernel()).create(CONFIG);
    k.anchorToExchange("10000", "10000", 1);
    k.onAccountEvent({ kind: "FUNDING", eventId: "f0", tsUs: 5, symbol: "FET-USDT", amountUsdt: "-2" });
    const state = k.saveState();
    k.dispose();
    const restoreCfg = { ...configRow("r1", 10, "test", CONFIG), payload: JSON.stringify({ kernelConfig: CONFIG, start: "restore" }) };
    const bad = await historyError([restoreCfg, balance(1, 20, "10000")]);
    expect([bad.seq, bad.column]).toEqual([1, "kind"]);
    const res = await replayFile([restoreCfg, { ...emptyRow("r1", 1, 20, "RESTART", "test"), payload: JSON.stringify({ state }) }]);
    expect(res.ledger.fundingUsdt).toBe("-2");
  });

  it("a window declared to start from RECONCILE must begin with a RECONCILE row", async () => {
    const cfg = { ...configRow("r1", 10, "test", CONFIG), payload: JSON.stringify({ kernelConfig: CONFIG, start: "reconcile" }) };
    const e = await historyError([cfg, balance(1, 20, "10000")]);
    expect(e.message).toMatch(/first fed row must be RECONCILE/);
  });
});
