/**
 * The run observer checks that the RunRecord agrees with the trace it summarises (issue 12:
 * "an observer that derives the RunRecord from the trace or asserts that the two agree").
 */
import { describe, expect, it } from "vitest";
import type { Intent, Outcome } from "../kernel/types.js";
import { mkVenue } from "../venues/bingx/test-util.js";
import { DEFAULT_CONTRACTS } from "../venues/bingx/contracts.js";
import { RunObserver } from "./observer.js";
import { TraceRecorder } from "./trace.js";
import type { VenueJournalEntry } from "../venues/bingx/journal.js";

const intent = { kind: "CANCEL", intentId: "i1", tsUs: 1, slotId: 0 } as Intent;
const outcome = { accepted: true, code: "OK", message: "", transitions: [], commands: [], ledgerSeq: 0 } as unknown as Outcome;

function observer(): RunObserver {
  const o = new RunObserver(new TraceRecorder(false), mkVenue(), 1_000_000, { contracts: [...DEFAULT_CONTRACTS], initialBalanceUsdt: "100000" });
  o.record(1, "ledger", { final: true }); // the run's final ledger row
  return o;
}

describe("RunObserver.verifyAgainstTrace", () => {
  it("passes when every record intent has its trace row", () => {
    const o = observer();
    o.record(1, "intent", intent);
    o.record(1, "kernel.out", outcome); // the kernel's answer row, as sim/kernel-host.ts writes it
    o.diagnostics.add("OK");
    o.intent(1, intent, outcome);
    expect(() => o.verifyAgainstTrace()).not.toThrow();
  });

  it("throws naming the field when the record has an intent the trace lacks", () => {
    const o = observer();
    o.intent(1, intent, outcome);
    expect(() => o.verifyAgainstTrace()).toThrow(/RunRecord\.intents has 1 entries but the trace has 0/);
  });

  it("throws when a ledger row has no ledger sample in the record", () => {
    const o = observer();
    o.record(1, "ledger", { cause: "X" });
    expect(() => o.verifyAgainstTrace()).toThrow(/RunRecord\.ledgerSamples has 0 entries but the trace has 1/);
  });

  it("throws when an idempotency probe row has no probe in the record", () => {
    const o = observer();
    o.record(1, "idem.probe", { frame: 1 });
    expect(() => o.verifyAgainstTrace()).toThrow(/RunRecord\.probes/);
  });
});

describe("RunObserver.verifyAgainstTrace: content, not only counts (issue 12)", () => {
  const transition = { slotId: 0, from: "IDLE", to: "ORDER_REQUESTED", tradeId: "t1s0" };
  const withTransition = { ...outcome, transitions: [transition] } as unknown as Outcome;
  const fill = { kind: "FULL_FILL", eventId: "e1", clientOrderId: "c1", tsUs: 1 };

  function agreeing(): RunObserver {
    const o = observer();
    o.record(1, "intent", intent);
    o.record(1, "kernel.out", withTransition);
    o.diagnostics.add("OK");
    o.intent(1, intent, withTransition);
    o.rec.transitions.push(transition as never);
    return o;
  }

  it("passes when intents, outcomes, transitions and codes are what the trace rows say", () => {
    expect(() => agreeing().verifyAgainstTrace()).not.toThrow();
  });

  it("throws when the record's intent outcome differs from the kernel.out row (same counts)", () => {
    const o = observer();
    o.record(1, "intent", intent);
    o.record(1, "kernel.out", outcome);
    o.diagnostics.add("OK");
    o.intent(1, intent, { ...outcome, code: "DUPLICATE_EVENT" } as Outcome);
    expect(() => o.verifyAgainstTrace()).toThrow(/RunRecord\.intents \(1 entries\) does not match/);
  });

  it("throws when the record lacks a transition the trace shows", () => {
    const o = agreeing();
    o.rec.transitions.pop();
    expect(() => o.verifyAgainstTrace()).toThrow(/RunRecord\.transitions \(0 entries\) does not match what the trace rows say \(1 entries\)/);
  });

  it("throws when a fill's outcome code in the record differs from the trace", () => {
    const o = agreeing();
    o.record(2, "kernel.venue", fill);
    o.record(2, "kernel.out", outcome);
    o.rec.fills.push({ tUs: 2, eventId: "e1", clientOrderId: "c1", changedSlots: [], code: "DUPLICATE_EVENT" } as never);
    expect(() => o.verifyAgainstTrace()).toThrow(/RunRecord\.fills/);
  });

  it("throws when a ledger sample's ledger differs from its ledger row", () => {
    const o = agreeing();
    o.record(3, "ledger", { cause: "FULL_FILL", ledger: { capitalUsdt: "100", eventSeq: 1 } });
    o.rec.ledgerSamples.push({ tUs: 3, cause: "FULL_FILL", ledger: { capitalUsdt: "101", eventSeq: 1 } } as never);
    expect(() => o.verifyAgainstTrace()).toThrow(/RunRecord\.ledgerSamples \(1 entries\) does not match/);
  });

  it("throws when the record's diagnostics lack a code of a kernel.out row", () => {
    const o = agreeing();
    o.record(4, "kernel.venue", { kind: "ORDER_ACK", eventId: "e2" });
    o.record(4, "kernel.out", { ...outcome, accepted: false, code: "UNRESOLVED_SLOT" });
    expect(() => o.verifyAgainstTrace()).toThrow(/RunRecord\.diagnostics \[OK\] differ from the outcome codes in the trace \[OK, UNRESOLVED_SLOT\]/);
  });

  it("throws when a first SUBMIT reached the venue but the record does not list it", () => {
    const o = agreeing();
    o.record(5, "venue.req", { method: "POST", path: "/openApi/swap/v2/trade/order", params: { clientOrderID: "c9", symbol: "FET-USDT" }, requestId: "r1" });
    expect(() => o.verifyAgainstTrace()).toThrow(/RunRecord\.venueSubmittedClientOrderIds/);
    o.submittedAtVenueOnce("c9");
    expect(() => o.verifyAgainstTrace()).not.toThrow();
  });

  it("fold mode (entries compared as they come, SeqMatch): passes when they agree, throws naming the field when an intent's outcome, a transition or a ledger sample differs", () => {
    const folding = (): RunObserver => {
      const o = new RunObserver(new TraceRecorder(false), mkVenue(), 1_000_000, { contracts: [...DEFAULT_CONTRACTS], initialBalanceUsdt: "100000" }, true);
      o.record(1, "ledger", { final: true });
      return o;
    };
    const good = folding();
    good.record(1, "intent", intent);
    good.intent(1, intent, withTransition);
    good.record(1, "kernel.out", withTransition);
    good.transition(transition as never);
    good.diagnostics.add("OK");
    expect(() => good.verifyAgainstTrace()).not.toThrow();

    const badOutcome = folding();
    badOutcome.record(1, "intent", intent);
    badOutcome.intent(1, intent, { ...withTransition, code: "DUPLICATE_EVENT" } as Outcome);
    badOutcome.record(1, "kernel.out", withTransition);
    badOutcome.transition(transition as never);
    badOutcome.diagnostics.add("OK");
    expect(() => badOutcome.verifyAgainstTrace()).toThrow(/RunRecord\.intents \(1 entries\) does not match what the trace rows say \(1 entries\)/);

    const lostTransition = folding();
    lostTransition.record(1, "intent", intent);
    lostTransition.intent(1, intent, withTransition);
    lostTransition.record(1, "kernel.out", withTransition);
    lostTransition.diagnostics.add("OK");
    expect(() => lostTransition.verifyAgainstTrace()).toThrow(/RunRecord\.transitions \(0 entries\) does not match what the trace rows say \(1 entries\)/);

    const badLedger = folding();
    badLedger.ledgerSample({ tUs: 3, cause: "FULL_FILL", ledger: { capitalUsdt: "101", eventSeq: 1 } } as never);
    badLedger.record(3, "ledger", { cause: "FULL_FILL", ledger: { capitalUsdt: "100", eventSeq: 1 } });
    expect(() => badLedger.verifyAgainstTrace()).toThrow(/RunRecord\.ledgerSamples \(1 entries\) does not match/);
  });

  it("refuses a trace that already has rows the observer did not see", () => {
    const t = new TraceRecorder(false);
    t.record(0, "run", {});
    expect(() => new RunObserver(t, mkVenue(), 1_000_000, { contracts: [...DEFAULT_CONTRACTS], initialBalanceUsdt: "100000" })).toThrow(/must see every row/);
  });
});

describe("RunObserver.fullySettledOrders (invariant 3 kernel-vs-exchange, docs/accounting.md §5.2)", () => {
  const fillOf = (orderId: string, clientOrderId: string) => ({ kind: "fill", orderId, clientOrderId, qty: "1", price: "1", realizedUsdt: "0" }) as unknown as VenueJournalEntry;

  it("an order with a venue fill for which the venue emitted no settlement frame is not fully settled (listen key expired, frame lost: chaos seed 9580)", () => {
    const o = observer();
    o.venueIdToClient.set("v1", "c1");
    o.venueIdToClient.set("v2", "c2");
    o.venueIdToClient.set("v3", "c3");
    // v1: two venue fills, one settlement emitted and fed (the second fill came while the venue pushed nothing).
    o.rec.venueJournal.push(fillOf("v1", "c1"), fillOf("v1", "c1"));
    o.noteEmittedSettle("ws:v1:TRADE:1:PARTIALLY_FILLED:settled", "v1");
    o.fedSettles.add("ws:v1:TRADE:1:PARTIALLY_FILLED:settled");
    // v2: one fill, its settlement emitted and fed: complete.
    o.rec.venueJournal.push(fillOf("v2", "c2"));
    o.noteEmittedSettle("ws:v2:TRADE:1:FILLED:settled", "v2");
    o.fedSettles.add("ws:v2:TRADE:1:FILLED:settled");
    // v3: one fill, its settlement emitted but lost before the kernel.
    o.rec.venueJournal.push(fillOf("v3", "c3"));
    o.noteEmittedSettle("ws:v3:TRADE:1:FILLED:settled", "v3");
    expect(o.fullySettledOrders()).toEqual(["c2"]);
  });
});

describe("RunObserver.ledgerSample", () => {
  it("records every sample with its values unchanged when consecutive samples share field values", () => {
    const o = observer();
    const a = { capitalUsdt: "100", feesPaidUsdt: "0.5", eventSeq: 1 };
    const b = { capitalUsdt: String(99 + 2), feesPaidUsdt: ["0", "5"].join("."), eventSeq: 2 }; // equal fee, built apart
    o.ledgerSample({ tUs: 1, cause: "anchor", anchoredWalletUsdt: "100", ledger: a } as never);
    o.ledgerSample({ tUs: 2, cause: "FULL_FILL", ledger: b } as never);
    expect(o.rec.ledgerSamples).toEqual([
      { tUs: 1, cause: "anchor", anchoredWalletUsdt: "100", ledger: { capitalUsdt: "100", feesPaidUsdt: "0.5", eventSeq: 1 } },
      { tUs: 2, cause: "FULL_FILL", ledger: { capitalUsdt: "101", feesPaidUsdt: "0.5", eventSeq: 2 } },
    ]);
  });
});

describe("RunObserver.sampleSeries", () => {
  it("a point takes the previous point's equal values (same array/object), and the series keeps every value", () => {
    const o = observer();
    const sym = DEFAULT_CONTRACTS[0].symbol;
    const short = { slotId: 0, stage: "POSITION_OPEN", symbol: sym, side: "SHORT", sizeQty: "2" };
    const idle = { slotId: 1, stage: "IDLE", symbol: "", side: "", sizeQty: "0" };
    o.sampleSeries(1_000_000, () => [short, idle] as never, () => "100", DEFAULT_CONTRACTS);
    o.sampleSeries(2_000_000, () => [{ ...short }, { ...idle }] as never, () => String(99 + 1), DEFAULT_CONTRACTS);
    o.sampleSeries(3_000_000, () => [{ ...short, sizeQty: "1" }, idle] as never, () => "100", DEFAULT_CONTRACTS);
    const [a, b, c] = o.series;
    expect(o.series.map((p) => [p.tUs, p.kernelCapitalUsdt, p.slotSizes, p.kernelPositions?.[sym]])).toEqual([
      [1_000_000, "100", ["-2", "0"], "-2"],
      [2_000_000, "100", ["-2", "0"], "-2"],
      [3_000_000, "100", ["-1", "0"], "-1"],
    ]);
    expect(b.slotSizes).toBe(a.slotSizes);
    expect(b.kernelPositions).toBe(a.kernelPositions);
    expect(b.venuePositions).toBe(a.venuePositions);
    expect(c.slotSizes).not.toBe(b.slotSizes);
    expect(c.kernelPositions).not.toBe(b.kernelPositions);
  });
});
