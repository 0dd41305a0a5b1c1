/**
 * Each of the 12 invariants passes on a consistent record and FAILS on a doctored one
 * (COMMON rules: no test that cannot fail). The doctored records reproduce the seed flaws each
 * invariant exists to catch.
 */
import { describe, expect, it } from "vitest";
import type { LedgerSnapshot, Outcome, TradeRecord } from "../kernel/types.js";
import type { RunRecord } from "./record.js";
import type { LedgerSample } from "./record.js";
import * as inv from "./invariants.js";

function ledger(over: Partial<LedgerSnapshot> = {}): LedgerSnapshot {
  return {
    eventSeq: 1, capitalUsdt: "10000", equityUsdt: "10000", peakCapitalUsdt: "10000", realizedPnlUsdt: "0", unrealizedPnlUsdt: "0",
    feesPaidUsdt: "0", fundingUsdt: "0", tradeSeq: 0, capitalSource: "e_anchored", eWalletBalanceUsdt: "10000",
    eAvailableMarginUsdt: "10000", anchorCapitalUsdt: "10000", anomalyCount: 0, evictedTrades: 0, evictedRealizedUsdt: "0", evictedFeesUsdt: "0", ...over,
  };
}

const okOutcome = (commands: Outcome["commands"] = []): Outcome => ({
  accepted: true, code: "OK", severity: "INFO", message: "", details: {}, transitions: [], commands, ledgerSeq: 1,
});

function fetTrade(over: Partial<TradeRecord> = {}): TradeRecord {
  return {
    tradeId: "fet", slotId: 0, symbol: "FET-USDT", side: "SHORT", leverage: 3, entryVwap: "0.1878", exitVwap: "0.1866",
    quantity: "202276", exitedQty: "202276",
    legs: [
      { legIndex: 0, clientOrderId: "x0", quantity: "26007", exitNotionalUsdt: "4852.9062", pricedQty: "26007", realizedPnlUsdt: "31.2084", exchangeRealizedPnlUsdt: "31.2084", feesUsdt: "0", realizedSkippedNoPrice: false },
      { legIndex: 1, clientOrderId: "x1", quantity: "176269", exitNotionalUsdt: "32891.7954", pricedQty: "176269", realizedPnlUsdt: "211.5228", exchangeRealizedPnlUsdt: "211.5228", feesUsdt: "0", realizedSkippedNoPrice: false },
    ],
    realizedGrossUsdt: "242.7312", kernelEstimateUsdt: "242.7312", exchangeRealizedUsdt: "242.7312", feesUsdt: "0",
    realizedNetUsdt: "242.7312", pnlSource: "exchange", flags: [], closed: true, ...over,
  };
}

/** A consistent record: one FET short round trip, anchored before and after. */
function goodRecord(): RunRecord {
  const final = ledger({ capitalUsdt: "10242.7312", realizedPnlUsdt: "242.7312", eWalletBalanceUsdt: "10242.7312", anchorCapitalUsdt: "10242.7312" });
  const exitCmd = {
    kind: "SUBMIT" as const, commandId: "c1", slotId: 0, tradeId: "fet", purpose: "EXIT" as const, clientOrderId: "x0", symbol: "FET-USDT",
    side: "BUY" as const, positionSide: "BOTH" as const, orderType: "MARKET" as const, quantity: "26007", reduceOnly: true, timeInForce: "GTC" as const,
  };
  return {
    scenario: "doctored", seed: 1, initialBalanceUsdt: "10000", pnlAnomalyToleranceUsdt: "0.5",
    intents: [{ tUs: 5, intent: { kind: "EXIT", intentId: "i1", tsUs: 5, slotId: 0, orderType: "MARKET" }, outcome: okOutcome([exitCmd]) }],
    venueSubmittedClientOrderIds: ["e0", "x0"],
    transitions: [
      { slotId: 0, tradeId: "fet", from: "IDLE", to: "ORDER_REQUESTED", trigger: "ENTER", tsUs: 1 },
      { slotId: 0, tradeId: "fet", from: "EXIT_WORKING", to: "CLOSED", trigger: "FULL_FILL", tsUs: 9 },
    ],
    slotSamples: [{ tUs: 3, slotId: 0, tradeId: "fet", stage: "POSITION_OPEN", sizeQty: "202276", initialSizeQty: "202276" }],
    ledgerSamples: [
      { tUs: 0, cause: "anchor", anchoredWalletUsdt: "10000", ledger: ledger() },
      { tUs: 8, cause: "FILL", ledger: ledger({ capitalUsdt: "10242.7312", realizedPnlUsdt: "242.7312", capitalSource: "k_bridged" }) },
      { tUs: 9, cause: "anchor", anchoredWalletUsdt: "10242.7312", ledger: final },
    ],
    venueWallets: ["10000", "10242.7312"],
    venueLedgers: [{ tUs: 9, ledger: { initialBalanceUsdt: "10000", walletBalanceUsdt: "10242.7312", realizedPnlUsdt: "242.7312", feesPaidUsdt: "0", fundingUsdt: "0" } }],
    fills: [{ tUs: 7, eventId: "f1", clientOrderId: "x0", venueOrderId: "1", expectedSlot: 3, changedSlots: [3], code: "OK" }],
    probes: [{ tUs: 7, what: "dup", beforeSha: "a", afterSha: "a", codes: ["DUPLICATE_EVENT"] }],
    parity: [{ tUs: 10, label: "quiescent", kernel: { "FET-USDT": "0" }, venue: { "FET-USDT": "0" } }],
    liveness: { healUs: 100, boundUs: 50, quiescentAtUs: [120, 100], stagesAtBound: ["CLOSED", "IDLE"] },
    final: { slots: [], ledger: final, trades: [fetTrade()], anomalies: [] },
    finalVenueLedger: { initialBalanceUsdt: "10000", walletBalanceUsdt: "10242.7312", realizedPnlUsdt: "242.7312", feesPaidUsdt: "0", fundingUsdt: "0" },
    hashes: ["h", "h"],
  };
}

const get = (rec: RunRecord, name: string) => inv.checkInvariants(rec).find((r) => r.name === name);

describe("invariant checker", () => {
  it("all twelve hold on a consistent record, each named", () => {
    const res = inv.checkInvariants(goodRecord());
    expect(res.map((r) => r.name)).toEqual([...inv.INVARIANT_NAMES]);
    for (const r of res) expect(r, r.detail).toMatchObject({ ok: true });
  });

  it("1 venue-conservation fails when the venue wallet drifts from initial + realized − fees + funding", () => {
    const rec = goodRecord();
    rec.finalVenueLedger = { ...rec.finalVenueLedger, walletBalanceUsdt: "10242.7313" };
    expect(get(rec, "venue-conservation")).toMatchObject({ ok: false });
  });

  it("2 capital-exchange-anchored fails on the FET mis-book (capital moves by more than bridged realized)", () => {
    const rec = goodRecord();
    rec.ledgerSamples[1].ledger = ledger({ capitalUsdt: "15990.90", realizedPnlUsdt: "242.7312" });
    expect(get(rec, "capital-exchange-anchored")).toMatchObject({ ok: false });
    const rec2 = goodRecord();
    rec2.ledgerSamples[2].anchoredWalletUsdt = "0"; // L5: anchoring on a missing wb
    expect(get(rec2, "capital-exchange-anchored")?.ok).toBe(false);
    const rec3 = goodRecord(); // spec §0.3: a restart that re-settles carried PnL into capital
    rec3.ledgerSamples.splice(2, 0, { tUs: 8, cause: "restore", ledger: ledger({ capitalUsdt: "10485.4624", realizedPnlUsdt: "485.4624", capitalSource: "k_bridged" }) });
    expect(get(rec3, "capital-exchange-anchored")?.detail).toMatch(/after restore/);
  });

  it("3 kernel-vs-exchange fails when |K − E| over settled legs is beyond tolerance without an anomaly, or on a silent re-book", () => {
    const rec = goodRecord();
    rec.final.trades = [fetTrade({ exchangeRealizedUsdt: "164" })]; // the FET mis-book gap, 2 settled fills
    rec.settlementCounts = { x0: 1, x1: 1 };
    expect(get(rec, "kernel-vs-exchange")?.ok).toBe(false);
    rec.fullySettledOrders = ["x0"]; // leg x1's settlement never reached the kernel: not compared
    expect(get(rec, "kernel-vs-exchange")?.ok).toBe(true);
    rec.fullySettledOrders = ["x0", "x1"];
    rec.final.anomalies = [{ seq: 1, tsUs: 9, code: "PNL_ANOMALY", tradeId: "fet", detail: "" }];
    expect(get(rec, "kernel-vs-exchange")?.ok).toBe(true);
    const rec2 = goodRecord();
    rec2.final.trades = [fetTrade({ realizedGrossUsdt: "164", kernelEstimateUsdt: "242.7312", exchangeRealizedUsdt: "164" })];
    expect(get(rec2, "kernel-vs-exchange")?.detail).toMatch(/silent re-book/);
  });

  it("3 kernel-vs-exchange fails when a repaired trade books beyond tolerance of the exchange, or an unpriced leg misses a settlement's rp even with an anomaly recorded (spec §5.2)", () => {
    // The FET poisoned exit: both legs booked without a price, repaired with rp 31.2084 + 132.7916.
    const repaired = (leg1RealizedUsdt: string) =>
      fetTrade({
        legs: [
          { legIndex: 0, clientOrderId: "x0", quantity: "26007", exitNotionalUsdt: "0", pricedQty: "0", realizedPnlUsdt: "31.2084", exchangeRealizedPnlUsdt: "31.2084", feesUsdt: "0", realizedSkippedNoPrice: false },
          { legIndex: 1, clientOrderId: "x1", quantity: "176269", exitNotionalUsdt: "0", pricedQty: "0", realizedPnlUsdt: leg1RealizedUsdt, exchangeRealizedPnlUsdt: "132.7916", feesUsdt: "0", realizedSkippedNoPrice: false },
        ],
        realizedGrossUsdt: String(31.2084 + Number(leg1RealizedUsdt)),
        kernelEstimateUsdt: "0",
        exchangeRealizedUsdt: "164",
        flags: ["repaired_from_exchange"],
      });
    const rec = goodRecord();
    rec.settlementCounts = { x0: 1, x1: 2 };
    rec.fullySettledOrders = ["x0", "x1"];
    rec.final.trades = [repaired("132.7916")];
    expect(get(rec, "kernel-vs-exchange")?.ok).toBe(true);
    // leg x1 was booked merged and "repaired" with one of its two settlements only (arrival-order pairing)
    rec.final.trades = [repaired("100")];
    expect(get(rec, "kernel-vs-exchange")?.detail).toMatch(/booked \(repaired\) 131.2084 − E 164/);
    rec.final.anomalies = [{ seq: 1, tsUs: 9, code: "PNL_ANOMALY", tradeId: "fet", detail: "" }];
    expect(get(rec, "kernel-vs-exchange")?.detail).toMatch(/fet leg 1: unpriced leg booked 100 != exchange rp 132.7916/);
    rec.fullySettledOrders = ["x0"]; // x1's second settlement never reached the kernel: nothing to demand
    expect(get(rec, "kernel-vs-exchange")?.ok).toBe(true);
  });

  it("4 no-double-settlement fails when a restart re-settles carried PnL (spec §0.3)", () => {
    const rec = goodRecord();
    rec.final.ledger = { ...rec.final.ledger, realizedPnlUsdt: "485.4624" };
    expect(get(rec, "no-double-settlement")).toMatchObject({ ok: false });
  });

  it("4 no-double-settlement fails when the kernel books more fees than the venue charged (spec §3.1, A7: one fee, several reports)", () => {
    const rec = goodRecord();
    expect(get(rec, "no-double-settlement")?.ok).toBe(true);
    const charged = rec.finalVenueLedger.feesPaidUsdt;
    const fees = (Number(charged) + 1).toString();
    rec.final.trades = rec.final.trades.map((x) => ({ ...x, feesUsdt: x === rec.final.trades[0] ? fees : x.feesUsdt }));
    rec.final.ledger = { ...rec.final.ledger, feesPaidUsdt: rec.final.trades.reduce((a, x) => a + Number(x.feesUsdt), 0).toString() };
    expect(get(rec, "no-double-settlement")?.detail).toMatch(/a fee booked twice/);
  });

  it("4 no-double-settlement fails when the kernel books fewer fees than the venue charged (two-sided; i10-duplicates-across-restarts under-booked 11.82), with evidence", () => {
    const rec = goodRecord();
    rec.finalVenueLedger = { ...rec.finalVenueLedger, feesPaidUsdt: "11.82", walletBalanceUsdt: "10230.9112" };
    const r = get(rec, "no-double-settlement");
    expect(r?.ok).toBe(false);
    expect(r?.detail).toMatch(/ledger fees 0 < venue fees charged 11\.82 by 11\.82 \(a fee never booked\)/);
    expect(r?.evidence?.[0]?.detail).toMatch(/a fee never booked/);
  });

  it("issue 12: a missing field is a violation, never 0 (a leg without pricedQty fails dual-leverage naming the field)", () => {
    const rec = goodRecord();
    const t = fetTrade();
    const { pricedQty: _dropped, ...leg } = t.legs[0]!;
    t.legs[0] = leg as typeof t.legs[0];
    rec.final.trades = [t];
    const r = get(rec, "dual-leverage");
    expect(r?.ok).toBe(false);
    expect(r?.detail).toMatch(/missing field leg\.pricedQty/);
  });

  it("evidence: position-parity and kernel-vs-exchange violations are located (symbol and time; trade, slot and close time)", () => {
    const rec = goodRecord();
    rec.parity = [{ label: "quiescent", tUs: 77, kernel: { "FET-USDT": "160982" }, venue: { "FET-USDT": "80128" } }];
    expect(get(rec, "position-parity")?.evidence).toEqual([{ detail: "quiescent t=77 FET-USDT: kernel 160982 != venue 80128", symbol: "FET-USDT", tUs: 77 }]);
    const t = { ...fetTrade(), exchangeRealizedUsdt: "240", closedAtUs: 99 };
    rec.final.trades = [t];
    const e = get(rec, "kernel-vs-exchange")?.evidence?.[0];
    expect(e).toMatchObject({ tradeId: t.tradeId, slotId: t.slotId, symbol: t.symbol, tUs: 99 });
  });

  it("5 dual-leverage fails when PnL is multiplied by exchange leverage (spec §0.1)", () => {
    const rec = goodRecord();
    const t = fetTrade();
    t.legs[0] = { ...t.legs[0], realizedPnlUsdt: "93.6252" }; // × 3
    rec.final.trades = [t];
    expect(get(rec, "dual-leverage")?.detail).toMatch(/ratio 3/);
  });

  it("5 dual-leverage skips a leg repaired from the exchange (unpriced quantity, spec §5.2) and still checks the priced legs", () => {
    const rec = goodRecord();
    const t = fetTrade();
    // leg 0 was booked without a price (exit notional 0) and FILL_SETTLED rp 164 repaired it.
    t.legs[0] = { ...t.legs[0], exitNotionalUsdt: "0", pricedQty: "0", realizedPnlUsdt: "164" };
    rec.final.trades = [t];
    expect(get(rec, "dual-leverage")).toMatchObject({ ok: true, detail: "1 priced legs equal quantity × Δprice" });
    t.legs[1] = { ...t.legs[1], realizedPnlUsdt: "634.5684" }; // × 3 on the priced leg
    expect(get(rec, "dual-leverage")?.detail).toMatch(/x1|leg 1: realized 634.5684/);
  });

  it("6 position-parity fails when kernel and venue disagree after quiescence", () => {
    const rec = goodRecord();
    rec.parity[0].venue["FET-USDT"] = "-26007";
    expect(get(rec, "position-parity")).toMatchObject({ ok: false });
    rec.parity = [];
    expect(get(rec, "position-parity")).toMatchObject({ ok: false });
  });

  it("7 size-bounds fails on oversell (Flaw 4 / A1) and on a CLOSED slot reopening (I13)", () => {
    const rec = goodRecord();
    rec.slotSamples.push({ tUs: 4, slotId: 0, tradeId: "fet", stage: "EXIT_WORKING", sizeQty: "-1", initialSizeQty: "202276" });
    expect(get(rec, "size-bounds")).toMatchObject({ ok: false });
    const rec2 = goodRecord();
    rec2.transitions.push({ slotId: 0, tradeId: "fet", from: "CLOSED", to: "POSITION_OPEN", trigger: "PARTIAL_FILL", tsUs: 11 });
    expect(get(rec2, "size-bounds")?.detail).toMatch(/reopened/);
    const rec3 = goodRecord();
    rec3.final.trades = [fetTrade({ exitedQty: "202277" })];
    expect(get(rec3, "size-bounds")?.detail).toMatch(/oversell/);
  });

  it("8 exits-never-skipped fails when an accepted EXIT emits no order or its order never reaches the venue", () => {
    const rec = goodRecord();
    rec.intents[0].outcome = okOutcome([]);
    expect(get(rec, "exits-never-skipped")).toMatchObject({ ok: false });
    const rec2 = goodRecord();
    rec2.venueSubmittedClientOrderIds = ["e0"];
    expect(get(rec2, "exits-never-skipped")?.detail).toMatch(/never reached the venue/);
  });

  it("9 idempotency fails when a duplicate changes the state (Flaw 10, I10)", () => {
    const rec = goodRecord();
    rec.probes[0].afterSha = "b";
    expect(get(rec, "idempotency")).toMatchObject({ ok: false });
  });

  it("10 routing fails on the slot-0 fallback (spec §6.1) and on UNRESOLVED_SLOT that mutated", () => {
    const rec = goodRecord();
    rec.fills[0].changedSlots = [0];
    expect(get(rec, "routing")?.detail).toMatch(/slot-0 fallback/);
    const rec2 = goodRecord();
    rec2.fills[0] = { ...rec2.fills[0], code: "UNRESOLVED_SLOT", changedSlots: [2] };
    expect(get(rec2, "routing")).toMatchObject({ ok: false });
  });

  it("11 liveness fails on a stuck slot (F16 ORDER_REQUESTED stall) and on a late one", () => {
    const rec = goodRecord();
    rec.liveness = { healUs: 100, boundUs: 50, quiescentAtUs: [null, 120], stagesAtBound: ["ORDER_REQUESTED", "IDLE"] };
    expect(get(rec, "liveness")?.detail).toMatch(/ORDER_REQUESTED/);
    rec.liveness = { healUs: 100, boundUs: 50, quiescentAtUs: [151, 120], stagesAtBound: ["CLOSED", "IDLE"] };
    expect(get(rec, "liveness")).toMatchObject({ ok: false });
  });

  it("12 determinism fails when two executions hash differently", () => {
    const rec = goodRecord();
    rec.hashes = ["h", "g"];
    expect(get(rec, "determinism")).toMatchObject({ ok: false, status: "checked" });
    expect(get(rec, "determinism")?.evidence).toEqual([{ detail: "execution 2 hash g != h" }]);
  });

  it("12 determinism of a run executed once is not-checked (ok stays true, never a pass), and checked when repeated", () => {
    const rec = goodRecord();
    rec.hashes = ["h"];
    expect(get(rec, "determinism")).toMatchObject({ ok: true, status: "not-checked" });
    expect(get(rec, "determinism")?.detail).toMatch(/^not checked/);
    rec.hashes = ["h", "h"];
    expect(get(rec, "determinism")).toMatchObject({ ok: true, status: "checked" });
  });

  it("12 determinism not re-executed is 'not-checked' (ok, but never shown or counted as a pass)", () => {
    const rec = goodRecord();
    rec.hashes = ["h"];
    expect(get(rec, "determinism")).toMatchObject({ ok: true, status: "not-checked" });
    expect(get(goodRecord(), "determinism")).toMatchObject({ ok: true, status: "checked" });
  });
});

describe("every violation carries where it is (issue 15: slot, trade, symbol, time)", () => {
  it("dual-leverage (FET trio 2): slot, trade, symbol and close time of the trade", () => {
    const rec = goodRecord();
    const t = fetTrade({ closedAtUs: 9 });
    t.legs[0] = { ...t.legs[0], realizedPnlUsdt: "93.6252" };
    rec.final.trades = [t];
    expect(get(rec, "dual-leverage")?.evidence).toEqual([{ slotId: 0, tradeId: "fet", symbol: "FET-USDT", tUs: 9, detail: expect.stringMatching(/^fet leg 0: realized 93.6252/) }]);
  });
  it("size-bounds (A1 oversell, I13 reopen): slot, trade and time of the sample or transition", () => {
    const rec = goodRecord();
    rec.slotSamples.push({ tUs: 4, slotId: 0, tradeId: "fet", stage: "EXIT_WORKING", sizeQty: "-1", initialSizeQty: "202276" });
    rec.transitions.push({ slotId: 0, tradeId: "fet", from: "CLOSED", to: "POSITION_OPEN", trigger: "PARTIAL_FILL", tsUs: 11 });
    expect(get(rec, "size-bounds")?.evidence).toEqual([
      { tUs: 4, slotId: 0, tradeId: "fet", detail: expect.stringContaining("size -1 < 0") },
      { tUs: 11, slotId: 0, tradeId: "fet", detail: expect.stringContaining("reopened") },
    ]);
  });
  it("position-parity: symbol and time; routing (spec §6.1): the slot it landed on; liveness (F16): the stuck slot at the bound", () => {
    const rec = goodRecord();
    rec.parity[0].venue["FET-USDT"] = "-26007";
    rec.fills[0].changedSlots = [0];
    rec.liveness = { healUs: 100, boundUs: 50, quiescentAtUs: [null, 120], stagesAtBound: ["ORDER_REQUESTED", "IDLE"] };
    expect(get(rec, "position-parity")?.evidence?.[0]).toMatchObject({ tUs: 10, symbol: "FET-USDT" });
    expect(get(rec, "routing")?.evidence?.[0]).toMatchObject({ tUs: 7, slotId: 0 });
    expect(get(rec, "liveness")?.evidence?.[0]).toMatchObject({ slotId: 0, tUs: 150 });
  });
  it("exits-never-skipped, idempotency, capital-exchange-anchored, kernel-vs-exchange: time (and slot / trade where known)", () => {
    const rec = goodRecord();
    rec.intents[0].outcome = okOutcome([]);
    rec.probes[0].afterSha = "b";
    rec.ledgerSamples[2] = { ...rec.ledgerSamples[2], anchoredWalletUsdt: "10242.7313" };
    rec.final.trades = [fetTrade({ kernelEstimateUsdt: "250", realizedGrossUsdt: "250", closedAtUs: 9 })];
    expect(get(rec, "exits-never-skipped")?.evidence?.[0]).toMatchObject({ tUs: 5, slotId: 0 });
    expect(get(rec, "idempotency")?.evidence?.[0]).toMatchObject({ tUs: 7 });
    expect(get(rec, "capital-exchange-anchored")?.evidence?.[0]).toMatchObject({ tUs: 9 });
    expect(get(rec, "kernel-vs-exchange")?.evidence?.[0]).toMatchObject({ slotId: 0, tradeId: "fet", tUs: 9 });
  });
  it("a passing invariant has no evidence and says it was checked", () => {
    for (const r of inv.checkInvariants(goodRecord())) {
      expect(r.evidence).toBeUndefined();
      expect(r.status).toBe("checked");
    }
  });
});

describe("fold verdict reuse (issue 12 speed): same results as computing every sample afresh", () => {
  const figure = ["0", "1.5", "-2.25", "10000", "10001.5", "9998.5", "3.3333333333333333"] as const;
  const pick = (i: number) => figure[i % figure.length];

  it("2 capital-exchange-anchored: a fold reusing verdicts equals one computing each (anchors, restores, repeats, violations)", async () => {
    const fc = (await import("fast-check")).default;
    const sample = fc.record({
      cause: fc.constantFrom("anchor", "restore", "PARTIAL_FILL", "FULL_FILL", "mark", "mark"),
      cap: fc.nat(), real: fc.nat(), fees: fc.nat(), fund: fc.nat(), repeat: fc.boolean(),
    });
    let reused = 0;
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 60 }), (raw) => {
        const samples: LedgerSample[] = [];
        raw.forEach((r, i) => {
          const prev = samples[samples.length - 1];
          // Half the samples repeat the previous figures (what the verdict reuse serves).
          const l = r.repeat && prev ? prev.ledger : ledger({ capitalUsdt: pick(r.cap), realizedPnlUsdt: pick(r.real), feesPaidUsdt: pick(r.fees), fundingUsdt: pick(r.fund) });
          samples.push({ tUs: i + 1, cause: r.cause, ledger: { ...l }, ...(r.cause === "anchor" ? { anchoredWalletUsdt: pick(r.cap + 1) } : {}) });
          if (r.repeat && prev && r.cause !== "anchor" && r.cause !== "restore") reused++;
        });
        const rec = { ...goodRecord(), initialBalanceUsdt: "10000", venueWallets: figure.slice(0, 4) } as RunRecord;
        const fast = new inv.CapitalAnchoredFold("10000");
        const reference = new inv.CapitalAnchoredFold("10000", false);
        for (const s of samples) (fast.ledgerSample(s), reference.ledgerSample(s));
        expect(fast.finish(rec)).toEqual(reference.finish(rec));
      }),
      { numRuns: 400 },
    );
    expect(reused).toBeGreaterThan(200);
  });
});
