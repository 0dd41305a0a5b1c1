/**
 * The end-to-end oracle (sim/oracle.ts): each invariant holds on a consistent record and FAILS on
 * a doctored one (COMMON rules: no test that cannot fail), with located evidence; a missing record
 * field is a violation, never 0. The record: one FET-USDT long (entry 1000 @ 0.2, exit 1000 @ 0.21)
 * as the venue journaled it, booked identically by the kernel.
 */
import { describe, expect, it } from "vitest";
import type { LedgerSnapshot, TradeRecord } from "../kernel/types.js";
import type { JournalFill, JournalOrder, VenueJournalEntry } from "../venues/bingx/journal.js";
import { defaultContract } from "../venues/bingx/contracts.js";
import type { RunRecord } from "./record.js";
import * as oracle from "./oracle.js";
import { Dec, shown } from "./num.js";
import { expectShortNumbers } from "./test-util.js";

const FET = defaultContract("FET-USDT");

function ledger(over: Partial<LedgerSnapshot> = {}): LedgerSnapshot {
  return {
    eventSeq: 1, capitalUsdt: "100009.795", equityUsdt: "100009.795", peakCapitalUsdt: "100009.795", realizedPnlUsdt: "10", unrealizedPnlUsdt: "0",
    feesPaidUsdt: "0.205", fundingUsdt: "0", tradeSeq: 1, capitalSource: "e_anchored", eWalletBalanceUsdt: "100009.795",
    eAvailableMarginUsdt: "100009.795", anchorCapitalUsdt: "100009.795", anomalyCount: 0, evictedTrades: 0, evictedRealizedUsdt: "0", evictedFeesUsdt: "0", ...over,
  };
}

function order(tUs: number, orderId: string, cid: string, side: "BUY" | "SELL", qty: string, reduceOnly: boolean): JournalOrder {
  return { kind: "order", tUs, orderId, clientOrderId: cid, symbol: "FET-USDT", side, positionSide: "BOTH", type: "MARKET", tif: "GTC", reduceOnly, origQty: qty, limitPrice: "0", markPrice: "0.2", status: "NEW" };
}

function fill(tUs: number, o: JournalOrder, qty: string, price: string, fee: string, rp: string, before: string, after: string, entryBefore: string, entryAfter: string, wallet: string): JournalFill {
  return {
    kind: "fill", tUs, orderId: o.orderId, clientOrderId: o.clientOrderId, symbol: o.symbol, side: o.side, positionSide: "BOTH", orderType: "MARKET", tif: "GTC",
    reduceOnly: o.reduceOnly, limitPrice: "0", origQty: o.origQty, maker: false, qty, price, feeRate: "0.0005", feeUsdt: fee, realizedUsdt: rp, realizedExactUsdt: rp,
    positionBeforeQty: before, entryBeforePrice: entryBefore, positionAfterQty: after, entryAfterPrice: entryAfter, executedQty: qty, markPrice: price, walletAfterUsdt: wallet,
  };
}

function trade(over: Partial<TradeRecord> = {}): TradeRecord {
  return {
    tradeId: "t1", slotId: 0, symbol: "FET-USDT", side: "LONG", leverage: 1, entryVwap: "0.2", exitVwap: "0.21", quantity: "1000", exitedQty: "1000",
    legs: [{ legIndex: 0, clientOrderId: "d2-t1-x1", quantity: "1000", exitNotionalUsdt: "210", pricedQty: "1000", realizedPnlUsdt: "10", exchangeRealizedPnlUsdt: "10", feesUsdt: "0.105", realizedSkippedNoPrice: false }],
    realizedGrossUsdt: "10", kernelEstimateUsdt: "10", exchangeRealizedUsdt: "10", feesUsdt: "0.205", realizedNetUsdt: "9.795", pnlSource: "exchange", flags: [], closed: true,
    closedAtUs: 30, ...over,
  };
}

function journal(): VenueJournalEntry[] {
  const e = order(10, "101", "d2-t1-e1", "BUY", "1000", false);
  const x = order(20, "102", "d2-t1-x1", "SELL", "1000", true);
  return [
    e, fill(10, e, "1000", "0.2", "0.1", "0", "0", "1000", "0", "0.2", "99999.9"), { kind: "status", tUs: 10, orderId: "101", symbol: "FET-USDT", from: "NEW", to: "FILLED" },
    x, fill(20, x, "1000", "0.21", "0.105", "10", "1000", "0", "0.2", "0", "100009.795"), { kind: "status", tUs: 20, orderId: "102", symbol: "FET-USDT", from: "NEW", to: "FILLED" },
  ];
}

function goodRecord(): RunRecord {
  const final = ledger();
  return {
    scenario: "doctored", seed: 1, initialBalanceUsdt: "100000", pnlAnomalyToleranceUsdt: "0.5",
    intents: [], venueSubmittedClientOrderIds: ["d2-t1-e1", "d2-t1-x1"], transitions: [], slotSamples: [],
    ledgerSamples: [
      { tUs: 0, cause: "anchor", anchoredWalletUsdt: "100000", ledger: ledger({ capitalUsdt: "100000", realizedPnlUsdt: "0", feesPaidUsdt: "0" }) },
      { tUs: 21, cause: "anchor", anchoredWalletUsdt: "100009.795", ledger: final },
    ],
    venueWallets: ["100000", "99999.9", "100009.795"], venueLedgers: [], fills: [], probes: [], parity: [],
    liveness: { healUs: 40, boundUs: 50, quiescentAtUs: [40], stagesAtBound: ["CLOSED"] },
    final: { slots: [], ledger: final, trades: [trade()], anomalies: [] },
    finalVenueLedger: { initialBalanceUsdt: "100000", walletBalanceUsdt: "100009.795", realizedPnlUsdt: "10", feesPaidUsdt: "0.205", fundingUsdt: "0" },
    hashes: ["h"],
    faultFree: true,
    contracts: [FET],
    venueJournal: journal(),
    conformance: { steps: 4, entries: 6, violations: [] },
    venueSymbolBooks: { "FET-USDT": { realizedPnlUsdt: "10", realizedRoundingUsdt: "0", feesPaidUsdt: "0.205", fundingUsdt: "0", positionQty: "0" } },
    orderOwners: { "d2-t1-e1": { slotId: 0, tradeId: "t1", symbol: "FET-USDT", purpose: "ENTRY" }, "d2-t1-x1": { slotId: 0, tradeId: "t1", symbol: "FET-USDT", purpose: "EXIT" } },
    restores: [],
  };
}

const get = (rec: RunRecord, name: string) => oracle.checkOracle(rec).find((r) => r.name === name)!;

describe("end-to-end oracle (sim/oracle.ts)", () => {
  it("every oracle invariant holds on a consistent record, in ORACLE_NAMES order", () => {
    const res = oracle.checkOracle(goodRecord());
    expect(res.map((r) => r.name)).toEqual([...oracle.ORACLE_NAMES]);
    for (const r of res) expect(r, r.detail).toMatchObject({ ok: true });
    // No restart happened: the exit-leg check could not be judged and says so.
    expect(get(goodRecord(), "restart-exit-legs").status).toBe("not-checked");
  });

  it("symbol-books and trade-vs-venue are always judged: no strict mode left (issue 12)", () => {
    const rec = goodRecord();
    delete rec.venueJournal; // trade-vs-venue needs it: judged, so it fails naming the field
    const res = oracle.checkOracle(rec);
    expect(res.find((r) => r.name === "trade-vs-venue")).toMatchObject({ ok: false, detail: expect.stringMatching(/venueJournal/) });
    const books = oracle.checkOracle(goodRecord()).find((r) => r.name === "symbol-books")!;
    expect(books.status).not.toBe("not-checked");
    expect("STRICT_ORACLE_NAMES" in oracle).toBe(false);
  });

  it("a missing record field is a violation naming the field, never 0 (issue 12)", () => {
    const rec = goodRecord();
    delete rec.venueJournal;
    expect(get(rec, "trade-vs-venue")).toMatchObject({ ok: false, detail: expect.stringMatching(/venueJournal is missing/) });
    const rec2 = goodRecord();
    rec2.venueSymbolBooks = { "FET-USDT": { ...rec2.venueSymbolBooks!["FET-USDT"]!, feesPaidUsdt: "" } };
    expect(get(rec2, "symbol-books")).toMatchObject({ ok: false, detail: expect.stringMatching(/feesPaidUsdt is missing/) });
  });

  it("venue-conformance fails on a recorded violation, with its trace row as evidence", () => {
    const rec = goodRecord();
    rec.conformance!.violations.push({ rule: "reduce-only", detail: "reduce-only SELL 1500 took the position 1000 → -500 (flipped through zero)", tUs: 20, symbol: "FET-USDT", orderId: "102", traceSeq: 77 });
    const r = get(rec, "venue-conformance");
    expect(r.ok).toBe(false);
    expect(r.evidence![0]).toMatchObject({ symbol: "FET-USDT", tUs: 20, traceSeq: [77] });
  });

  it("symbol-books fails when a flat symbol's kernel fees are below the venue's (stream fees lost, adapter event ids without z)", () => {
    const rec = goodRecord();
    rec.final.trades = [trade({ feesUsdt: "0.1" })];
    const r = get(rec, "symbol-books");
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/kernel fees 0.1 != venue fees 0.205/);
    expect(r.evidence![0]!.symbol).toBe("FET-USDT");
  });

  it("symbol-books fails when the kernel's realized on a flat symbol differs from the venue's beyond rounding", () => {
    const rec = goodRecord();
    rec.final.trades = [trade({ realizedGrossUsdt: "10.01" })];
    expect(get(rec, "symbol-books")).toMatchObject({ ok: false, detail: expect.stringMatching(/kernel realized 10.01 .* != venue 10/) });
  });

  it("symbol-books subtracts the venue's recorded 8-dp rounding: an exact kernel figure passes", () => {
    const rec = goodRecord();
    rec.venueSymbolBooks!["FET-USDT"] = { ...rec.venueSymbolBooks!["FET-USDT"]!, realizedPnlUsdt: "10.00000001", realizedRoundingUsdt: "0.00000001" };
    expect(get(rec, "symbol-books").ok).toBe(true);
  });

  it("symbol-books fails when kernel funding has the wrong sign (funding booked as received while the venue charged it)", () => {
    const rec = goodRecord();
    rec.venueSymbolBooks!["FET-USDT"]!.fundingUsdt = "-0.02";
    rec.final.ledger = { ...rec.final.ledger, fundingUsdt: "0.02" };
    expect(get(rec, "symbol-books")).toMatchObject({ ok: false, detail: expect.stringMatching(/kernel funding 0.02 != venue funding -0.02/) });
  });

  it("symbol-books does not compare a symbol whose venue position is open (not checked, never a pass)", () => {
    const rec = goodRecord();
    rec.venueSymbolBooks!["FET-USDT"]!.positionQty = "5";
    const r = get(rec, "symbol-books");
    expect(r).toMatchObject({ ok: true, status: "not-checked" });
    expect(r.detail).toMatch(/not compared: FET-USDT \(venue position 5\)/);
  });

  it("trade-vs-venue fails when the kernel's entry VWAP is not the venue fills' VWAP (a plain mean of two fill prices)", () => {
    const rec = goodRecord();
    const e = rec.venueJournal![0] as JournalOrder;
    // Two entry fills: 900 @ 0.2 and 100 @ 0.21 → VWAP 0.201; the plain mean would be 0.205.
    rec.venueJournal!.splice(1, 1, fill(10, e, "900", "0.2", "0.09", "0", "0", "900", "0", "0.2", "99999.91"), { ...fill(10, e, "100", "0.21", "0.0105", "0", "900", "1000", "0.2", "0.201", "99999.8995"), executedQty: "1000" });
    rec.final.trades = [trade({ entryVwap: "0.205", realizedGrossUsdt: "5", kernelEstimateUsdt: "5" })];
    const r = get(rec, "trade-vs-venue");
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/entry VWAP 0.205 != venue fills' VWAP 0.201/);
    expect(r.evidence![0]).toMatchObject({ tradeId: "t1", slotId: 0, symbol: "FET-USDT", tUs: 30 });
  });

  it("trade-vs-venue fails on a PNL_ANOMALY in a fault-free run, and not with faults on when netting explains it", () => {
    const rec = goodRecord();
    rec.final.anomalies = [{ seq: 1, tsUs: 20, code: "PNL_ANOMALY", tradeId: "t1", detail: "fill 0 of leg 0: kernel estimate 10 vs exchange 4" }];
    expect(get(rec, "trade-vs-venue")).toMatchObject({ ok: false, detail: expect.stringMatching(/PNL_ANOMALY recorded in a fault-free run/) });
    rec.faultFree = false;
    expect(get(rec, "trade-vs-venue").ok).toBe(true);
  });

  it("trade-vs-venue judges K against the slot truth: one-way netting moves E, not K (two trades netted on one symbol)", () => {
    const rec = goodRecord();
    // Trade t2 entered 1000 @ 0.22 while t1 was open: the venue's blended entry is 0.21, so each
    // exit's rp is off the slot figure by ±10 (netting), while Σ rp = Σ slot truth.
    const e2 = order(15, "103", "d2-t2-e1", "BUY", "1000", false);
    const x1 = order(20, "102", "d2-t1-x1", "SELL", "1000", true);
    const x2 = order(25, "104", "d2-t2-x1", "SELL", "1000", true);
    const e1 = rec.venueJournal![0] as JournalOrder;
    rec.venueJournal = [
      e1, fill(10, e1, "1000", "0.2", "0.1", "0", "0", "1000", "0", "0.2", "99999.9"),
      e2, fill(15, e2, "1000", "0.22", "0.11", "0", "1000", "2000", "0.2", "0.21", "99999.79"),
      x1, fill(20, x1, "1000", "0.23", "0.115", "20", "2000", "1000", "0.21", "0.21", "100019.675"),
      x2, fill(25, x2, "1000", "0.23", "0.115", "20", "1000", "0", "0.21", "0", "100039.56"),
    ];
    rec.orderOwners = { ...rec.orderOwners, "d2-t1-x1": { slotId: 0, tradeId: "t1", symbol: "FET-USDT", purpose: "EXIT" }, "d2-t2-e1": { slotId: 1, tradeId: "t2", symbol: "FET-USDT", purpose: "ENTRY" }, "d2-t2-x1": { slotId: 1, tradeId: "t2", symbol: "FET-USDT", purpose: "EXIT" } };
    const leg = (cid: string, rp: string, exch: string) => [{ legIndex: 0, clientOrderId: cid, quantity: "1000", exitNotionalUsdt: "230", pricedQty: "1000", realizedPnlUsdt: rp, exchangeRealizedPnlUsdt: exch, feesUsdt: "0.115", realizedSkippedNoPrice: false }];
    rec.final.trades = [
      trade({ exitVwap: "0.23", legs: leg("d2-t1-x1", "30", "20"), realizedGrossUsdt: "30", kernelEstimateUsdt: "30", exchangeRealizedUsdt: "20", feesUsdt: "0.215" }),
      trade({ tradeId: "t2", slotId: 1, entryVwap: "0.22", exitVwap: "0.23", legs: leg("d2-t2-x1", "10", "20"), realizedGrossUsdt: "10", kernelEstimateUsdt: "10", exchangeRealizedUsdt: "20", feesUsdt: "0.225" }),
    ];
    rec.faultFree = false;
    const r = get(rec, "trade-vs-venue");
    expect(r, r.detail).toMatchObject({ ok: true });
    expect(r.detail).toMatch(/largest netting \|E − slot truth\| 10/);
    // The same books, but t1 booked the exchange's netted figure without a repair flag: caught.
    rec.final.trades[0] = { ...rec.final.trades[0]!, realizedGrossUsdt: "20", kernelEstimateUsdt: "20" };
    expect(get(rec, "trade-vs-venue")).toMatchObject({ ok: false, detail: expect.stringMatching(/t1: booked realized 20 != venue slot truth 30/) });
  });

  it("trade-vs-venue fails on an exit booked without a price and never repaired", () => {
    const rec = goodRecord();
    rec.final.trades = [trade({ realizedGrossUsdt: "0", kernelEstimateUsdt: "0", flags: ["realized_skipped_no_price"] })];
    expect(get(rec, "trade-vs-venue")).toMatchObject({ ok: false, detail: expect.stringMatching(/never repaired/) });
  });

  it("capital-vs-wallet fails when the kernel books fills the anchored wallet already held (double count)", () => {
    const rec = goodRecord();
    rec.final.ledger = ledger({ capitalUsdt: "100019.59", capitalSource: "k_bridged" });
    const r = get(rec, "capital-vs-wallet");
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/final capital 100019.59 != venue wallet 100009.795/);
  });

  it("capital-vs-wallet fails when capital was never anchored to a venue wallet", () => {
    const rec = goodRecord();
    rec.ledgerSamples = [];
    expect(get(rec, "capital-vs-wallet")).toMatchObject({ ok: false, detail: expect.stringMatching(/never anchored/) });
  });

  it("restart-exit-legs fails when a restore forgets an exit leg the venue filled and the kernel booked", () => {
    const rec = goodRecord();
    const restore = (idx: number) => ({ tUs: 22, traceSeq: 9, slots: [{ slotId: 0, tradeId: "t1", symbol: "FET-USDT", restoredExitLegIndex: idx, bookedLegs: [{ legIndex: 0, clientOrderId: "d2-t1-x1", quantity: "1000" }] }] });
    rec.restores = [restore(1)];
    expect(get(rec, "restart-exit-legs")).toMatchObject({ ok: true, status: "checked" });
    rec.restores = [restore(0)];
    const r = get(rec, "restart-exit-legs");
    expect(r.ok).toBe(false);
    expect(r.evidence![0]).toMatchObject({ slotId: 0, tradeId: "t1", tUs: 22, traceSeq: [9] });
  });
});

describe("detail lines show derived figures to at most 20 significant digits (sim/num.ts shown)", () => {
  it("shown: a 60-digit quotient to 20 significant digits, a quotient's residue in exponent notation, exact short figures unchanged", () => {
    expect(shown(new Dec(610).dividedBy(3000))).toBe("0.20333333333333333333");
    expect(shown(new Dec("6.0649978700000000000000000000000000000000000000000000001"))).toBe("6.06499787");
    expect(shown(new Dec("0.00000000000000000000000000000000000000000000000000000001647"))).toBe("1.647e-56");
    expect(shown(new Dec("-0.000000123"))).toBe("-1.23e-7");
    expect(shown(new Dec("0.00000123"))).toBe("0.00000123");
    expect(shown(new Dec("-66.31840571"))).toBe("-66.31840571");
    expect(shown(new Dec(0))).toBe("0");
    expect(shown(new Dec("1.23456"), 3)).toBe("1.23");
    expect(() => shown(new Dec(1), 21)).toThrow(/shown: digits 21 must be an integer in \[1, 20\]/);
  });

  it("trade-vs-venue: the venue slot truth and netting from a repeating entry VWAP (610 / 3000) are shown short; the comparison stays exact", () => {
    const rec = goodRecord();
    // Entry 1000 @ 0.2 + 1000 @ 0.2 + 1000 @ 0.21: VWAP 0.20333… (a 60-digit quotient); exit 3000 @ 0.22.
    const e = order(10, "101", "d2-t1-e1", "BUY", "3000", false);
    const x = order(20, "102", "d2-t1-x1", "SELL", "3000", true);
    rec.venueJournal = [
      e, fill(10, e, "1000", "0.2", "0.1", "0", "0", "1000", "0", "0.2", "99999.9"),
      fill(10, e, "1000", "0.2", "0.1", "0", "1000", "2000", "0.2", "0.2", "99999.8"),
      fill(10, e, "1000", "0.21", "0.105", "0", "2000", "3000", "0.2", "0.20333333333333333333", "99999.695"),
      x, fill(20, x, "3000", "0.22", "0.33", "50", "3000", "0", "0.20333333333333333333", "0", "100049.365"),
    ];
    const leg = [{ legIndex: 0, clientOrderId: "d2-t1-x1", quantity: "3000", exitNotionalUsdt: "660", pricedQty: "3000", realizedPnlUsdt: "49", exchangeRealizedPnlUsdt: "50", feesUsdt: "0.33", realizedSkippedNoPrice: false }];
    // The kernel booked 49 where the slot truth is 50: a violation whose detail carries the quotients.
    rec.final.trades = [trade({ quantity: "3000", exitedQty: "3000", entryVwap: "0.2033333333333333", exitVwap: "0.22", legs: leg, realizedGrossUsdt: "49", kernelEstimateUsdt: "49", exchangeRealizedUsdt: "50", feesUsdt: "0.635" })];
    const r = get(rec, "trade-vs-venue");
    expect(r.ok).toBe(false);
    const truth = new Dec(660).minus(new Dec(3000).times(new Dec(610).dividedBy(3000)));
    expect(truth.equals(50)).toBe(false); // the exact figure is a 60-digit residue away from 50 …
    expect(r.detail).toContain(`booked realized 49 != venue slot truth ${shown(truth)} (gap ${shown(new Dec(49).minus(truth))}`); // … and shown short
    expect(r.detail).toMatch(/venue slot truth 50 \(gap -1 > bound /);
    expect(r.detail).toMatch(/; K − E -1, netting E − truth -?\d(\.\d+)?e-5\d/);
    expectShortNumbers(r.detail);
  });
});

describe("TruthsCache (issue 12 speed): one computation of the venue truths per check pass", () => {
  it("a pass sharing one cache judges exactly as passes computing the truths each time (good and doctored records)", async () => {
    const { checkInvariants } = await import("./invariants.js");
    const doctored = goodRecord();
    doctored.final.trades = [trade({ exitVwap: "0.22", realizedGrossUsdt: "20", kernelEstimateUsdt: "20", realizedNetUsdt: "20" })];
    for (const rec of [goodRecord(), doctored]) {
      const shared = new oracle.TruthsCache();
      const together = [...checkInvariants(rec, shared), ...oracle.checkOracle(rec, shared)];
      const apart = [...checkInvariants(rec), ...oracle.checkOracle(rec)];
      expect(together).toEqual(apart);
    }
    expect(oracle.checkOracle(doctored).find((r) => r.name === "trade-vs-venue")?.ok).toBe(false);
  });

  it("reuses the truths only for the same journal, owners and trades objects; a throw is not kept", () => {
    const rec = goodRecord();
    const cache = new oracle.TruthsCache();
    const a = cache.get(rec.venueJournal!, rec.orderOwners!, rec.final.trades);
    expect(cache.get(rec.venueJournal!, rec.orderOwners!, rec.final.trades)).toBe(a);
    const other = [...rec.final.trades];
    const b = cache.get(rec.venueJournal!, rec.orderOwners!, other);
    expect(b).not.toBe(a);
    expect(b).toEqual(a);
    const bad = journal().map((e) => (e.kind === "fill" ? { ...e, qty: "not a number" } : e)) as VenueJournalEntry[];
    const thrown = (() => {
      try {
        oracle.tradeTruths(bad as never, rec.orderOwners!, rec.final.trades);
        return "";
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(thrown).not.toBe("");
    expect(() => cache.get(bad as never, rec.orderOwners!, rec.final.trades)).toThrow(thrown);
    expect(() => cache.get(bad as never, rec.orderOwners!, rec.final.trades)).toThrow(thrown);
    expect(cache.get(rec.venueJournal!, rec.orderOwners!, rec.final.trades)).toEqual(a);
  });
});
