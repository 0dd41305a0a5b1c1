/**
 * Kernel-level flaw tests: each reproduces one seed flaw's trigger with exact inputs through the
 * real WASM kernel (kernel/index.ts binding) and asserts the fixed behaviour of the contract
 * (kernel/types.ts). Test names start with the flaw IDs (scenarios/README.md maps every ID), so a
 * mutant run can say which test caught it: `npx vitest run scenarios/kernel-flaws.test.ts -t "A1"`.
 *
 * Fixture: FET-USDT (tick 0.0001, step 1), a SHORT of 1,000 at 0.1878 unless a test says
 * otherwise; 1,000 × (0.1878 − 0.1866) = 1.2 USDT realized, leverage-free (docs/accounting.md §0.1).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadKernel } from "../kernel/index.js";
import type { Outcome, SlotImage } from "../kernel/types.js";
import { D, KernelDriver, cancelOf, config, expectOk, kernelModule, submitOf } from "./kernel-harness.js";

beforeAll(async () => {
  await kernelModule();
});

/** Exact decimal assertion with a readable diff. */
function dec(actual: string | undefined, expected: string, what = "value"): void {
  expect(actual, `${what} is missing`).toBeDefined();
  expect(new D(actual as string).toString(), what).toBe(new D(expected).toString());
}
function refused(o: Outcome, code: string, field?: string): void {
  expect(o.accepted, `${code} expected, got accepted ${o.code} ${o.message}`).toBe(false);
  expect(o.code, o.message).toBe(code);
  expect(o.commands).toEqual([]);
  if (field !== undefined) {
    const f = String(o.details.field);
    expect(f === field || f.startsWith(`${field}[`) || f.startsWith(`${field}.`), `details.field ${f} of "${o.message}" should name ${field}`).toBe(true);
  }
}
function stageOf(d: KernelDriver, i = 0): string {
  return d.slot(i).stage;
}
/** Objects inside a parsed saved state that look like slot images (have slotId and stage). */
function slotImagesIn(v: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(v)) v.forEach((x) => slotImagesIn(x, out));
  else if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if ("slotId" in o && "stage" in o) out.push(o);
    else Object.values(o).forEach((x) => slotImagesIn(x, out));
  }
  return out;
}
async function fresh(): Promise<KernelDriver> {
  return KernelDriver.create();
}
/** A SHORT 1,000 FET at 0.1878, open on slot 0. */
async function openShort(ratios?: string[]): Promise<KernelDriver> {
  const d = await fresh();
  d.open(0, "t1", "SHORT", "1000", "0.1878", ratios ? { exitLegRatios: ratios } : {});
  expect(stageOf(d)).toBe("POSITION_OPEN");
  return d;
}

describe("Flaws 1-13 (docs/flaws.md)", () => {
  it("Flaw 1 / E9 / F1: CANCEL of a working entry emits a cancel for the entry order; the stage changes only on CANCEL_ACK", async () => {
    const d = await fresh();
    const sub = submitOf(d.enter(0, "t1", "LONG", "1000", { orderType: "LIMIT", limitPrice: "0.1800" }));
    expectOk(d.ack(sub), "ack");
    expect(stageOf(d)).toBe("ENTRY_WORKING");
    const o = d.cancel(0);
    expect(o.accepted).toBe(true);
    expect(o.code).toBe("OK");
    const c = cancelOf(o);
    expect(c.clientOrderId).toBe(sub.clientOrderId);
    expect(c.venueOrderId).toBe(d.venueId(sub.clientOrderId));
    expect(stageOf(d)).toBe("ENTRY_WORKING");
  });

  it("Flaw 1: CANCEL in ORDER_REQUESTED (no ACK yet) also emits the entry cancel", async () => {
    const d = await fresh();
    const sub = submitOf(d.enter(0, "t1", "LONG", "1000", { orderType: "LIMIT", limitPrice: "0.1800" }));
    expect(stageOf(d)).toBe("ORDER_REQUESTED");
    const c = cancelOf(d.cancel(0));
    expect(c.clientOrderId).toBe(sub.clientOrderId);
    expect(c.symbol).toBe("FET-USDT");
  });

  it("Flaw 2: CANCEL_ACK of an unfilled entry returns the slot to IDLE and the slot accepts a new ENTER", async () => {
    const d = await fresh();
    const sub = submitOf(d.enter(0, "t1", "LONG", "1000", { orderType: "LIMIT", limitPrice: "0.1800" }));
    d.ack(sub);
    d.cancel(0);
    const o = d.cancelAck(sub);
    expect(o.accepted).toBe(true);
    expect(stageOf(d)).toBe("IDLE");
    expect(o.transitions.some((t) => t.from === "ENTRY_WORKING" && t.to === "IDLE")).toBe(true);
    dec(d.slot(0).sizeQty, "0", "size");
    expectOk(d.enter(0, "t2", "LONG", "1000"), "re-ENTER after entry cancel");
  });

  it("Flaw 2: CANCEL_ACK after a partial entry fill keeps the filled part as the position (POSITION_OPEN, size 400)", async () => {
    const d = await fresh();
    const sub = submitOf(d.enter(0, "t1", "LONG", "1000", { orderType: "LIMIT", limitPrice: "0.1800" }));
    d.ack(sub);
    expectOk(d.fill(sub, "400", "0.1800", { kind: "PARTIAL_FILL" }), "partial");
    d.cancel(0);
    expectOk(d.cancelAck(sub), "cancel ack");
    const s = d.slot(0);
    expect(s.stage).toBe("POSITION_OPEN");
    dec(s.sizeQty, "400", "size");
    dec(s.initialSizeQty, "400", "initial size");
    dec(s.entryPrice, "0.18", "entry basis");
  });

  it("Flaw 3 / Flaw 12 / F6 / J5 / Q9: every outcome's transitions chain from the true previous stage to the current one, each with its trigger and the input's tsUs", async () => {
    const d = await fresh();
    const checks: { before: string; o: Outcome; after: string; tsUs: number }[] = [];
    const run = (f: () => Outcome) => {
      const before = stageOf(d);
      const o = f();
      checks.push({ before, o, after: stageOf(d), tsUs: d.tUs });
      return o;
    };
    const sub = submitOf(run(() => d.enter(0, "t1", "SHORT", "1000", { orderType: "LIMIT", limitPrice: "0.1880" })));
    run(() => d.ack(sub));
    run(() => d.fill(sub, "400", "0.1880", { kind: "PARTIAL_FILL" }));
    run(() => d.fill(sub, "600", "0.1880"));
    const ex = submitOf(run(() => d.exit(0, { ratio: "0.5" })));
    run(() => d.ack(ex));
    run(() => d.fill(ex, "500", "0.1866"));
    const ex2 = submitOf(run(() => d.exitResidual(0)));
    run(() => d.fill(ex2, "500", "0.1866"));
    run(() => d.ack(ex2));
    for (const { before, o, after, tsUs } of checks) {
      const ts = o.transitions.filter((t) => t.slotId === 0 && t.from !== t.to);
      if (before !== after) expect(ts.length, `${o.code}: stage ${before} → ${after} without a transition`).toBeGreaterThan(0);
      if (ts.length > 0) {
        expect(ts[0].from).toBe(before);
        expect(ts[ts.length - 1].to).toBe(after);
        for (let i = 1; i < ts.length; i++) expect(ts[i].from).toBe(ts[i - 1].to);
      }
      for (const t of o.transitions) {
        expect(t.trigger.length).toBeGreaterThan(0);
        expect(t.tsUs).toBe(tsUs);
        expect(t.tradeId).toBe("t1");
      }
    }
    expect(stageOf(d)).toBe("CLOSED");
  });

  it("Flaw 4 / G4 / M13: the final leg closes exactly once: one transition to CLOSED, tradeSeq +1, realized settled once", async () => {
    const d = await openShort(["0.5", "0.5"]);
    const l1 = d.closeLeg(0, "0.1866");
    dec(l1.quantity, "500", "leg 1");
    expect(stageOf(d)).toBe("POSITION_OPEN");
    const l2 = d.closeLeg(0, "0.1866");
    dec(l2.quantity, "500", "leg 2");
    expect(stageOf(d)).toBe("CLOSED");
    const closes = d.outcomes.flatMap((o) => o.transitions).filter((t) => t.to === "CLOSED" && t.from !== "CLOSED");
    expect(closes.length).toBe(1);
    const l = d.k.ledger();
    expect(l.tradeSeq).toBe(1);
    dec(l.realizedPnlUsdt, "1.2", "ledger realized");
    dec(d.slot(0).realizedPnlUsdt, "1.2", "slot realized");
    dec(d.slot(0).sizeQty, "0", "size");
    const before = d.state();
    const again = d.exit(0);
    expect(again.accepted).toBe(false);
    expect(again.commands).toEqual([]);
    expect(d.state()).toBe(before);
  });

  it("Flaw 5: a partial exit fill settles its realized into published capital at once, while still EXIT_WORKING", async () => {
    const d = await openShort();
    const ex = submitOf(d.exit(0));
    d.ack(ex);
    expectOk(d.fill(ex, "300", "0.1866", { kind: "PARTIAL_FILL" }), "partial exit");
    expect(stageOf(d)).toBe("EXIT_WORKING");
    const l = d.k.ledger();
    dec(l.realizedPnlUsdt, "0.36", "ledger realized after 300");
    dec(l.capitalUsdt, "100000.36", "capital after 300");
    dec(d.slot(0).settledRealizedUsdt, "0.36", "settle baseline");
    expectOk(d.fill(ex, "700", "0.1866"), "rest");
    dec(d.k.ledger().capitalUsdt, "100001.2", "capital after close");
  });

  it("Flaw 6 / E3 / M18 / L11 / H7 / M11: a LIMIT ENTER reaches the venue command as LIMIT with its price and time in force", async () => {
    const d = await fresh();
    const sub = submitOf(d.enter(0, "t1", "LONG", "1000", { orderType: "LIMIT", limitPrice: "0.1850", timeInForce: "IOC" }));
    expect(sub.orderType).toBe("LIMIT");
    dec(sub.limitPrice, "0.185", "limit price");
    expect(sub.timeInForce).toBe("IOC");
    expect(sub.side).toBe("BUY");
    expect(sub.reduceOnly).toBe(false);
    expect(sub.purpose).toBe("ENTRY");
    dec(sub.quantity, "1000", "quantity");
    const m = submitOf(d.enter(1, "t2", "SHORT", "1000"));
    expect(m.orderType).toBe("MARKET");
    expect(m.limitPrice).toBeUndefined();
    expect(m.side).toBe("SELL");
  });

  it("Flaw 6 / E3: LIMIT without a limit price, or MARKET with one, is INVALID_INTENT naming limitPrice", async () => {
    const d = await fresh();
    const before = d.state();
    refused(d.enter(0, "t1", "LONG", "1000", { orderType: "LIMIT" }), "INVALID_INTENT", "limitPrice");
    refused(d.enter(0, "t1", "LONG", "1000", { orderType: "MARKET", limitPrice: "0.1850" }), "INVALID_INTENT", "limitPrice");
    expect(d.state()).toBe(before);
  });

  it("Flaw 8 / E16: ENTER on a symbol the kernel was not configured with is INVALID_INTENT naming symbol; emitted limit prices lie on the tick grid", async () => {
    const d = await fresh();
    const before = d.state();
    refused(d.enter(0, "t1", "LONG", "1000", { symbol: "DOGE-USDT" }), "INVALID_INTENT", "symbol");
    expect(d.state()).toBe(before);
    const o = d.enter(0, "t2", "LONG", "1000", { orderType: "LIMIT", limitPrice: "0.18505" });
    if (o.accepted) {
      const p = new D(submitOf(o).limitPrice as string);
      expect(p.mod("0.0001").isZero(), `limit price ${p} off the 0.0001 tick grid`).toBe(true);
    } else {
      refused(o, "INVALID_INTENT", "limitPrice");
    }
  });

  it("Flaw 9 / M17 / E14: a CANCEL command carries the order's own symbol and client order id, never the trade id as symbol", async () => {
    const d = await fresh();
    d.open(0, "fet-trade", "SHORT", "1000", "0.1878");
    const sub = submitOf(d.enter(1, "btc-trade", "LONG", "0.0100", { symbol: "BTC-USDT", orderType: "LIMIT", limitPrice: "58000.0" }));
    d.ack(sub);
    const c = cancelOf(d.cancel(1));
    expect(c.symbol).toBe("BTC-USDT");
    expect(c.slotId).toBe(1);
    expect(c.tradeId).toBe("btc-trade");
    expect(c.clientOrderId).toBe(sub.clientOrderId);
    expectOk(d.cancelAck(sub), "cancel ack");
    expect(stageOf(d, 1)).toBe("IDLE");
    expect(stageOf(d, 0)).toBe("POSITION_OPEN");
  });

  it("Flaw 10 / M6: dedup never forgets an event of a live trade: after 300 distinct fills the first one replayed is DUPLICATE_EVENT", async () => {
    const d = await fresh();
    const sub = submitOf(d.enter(0, "t1", "LONG", "1000", { orderType: "LIMIT", limitPrice: "0.1800" }));
    d.ack(sub);
    for (let i = 1; i <= 300; i++) expectOk(d.fill(sub, "1", "0.1800", { kind: "PARTIAL_FILL", eventId: `fill-${i}` }), `fill ${i}`);
    dec(d.slot(0).sizeQty, "300", "size after 300 fills");
    const before = d.state();
    for (const i of [1, 2, 64, 65, 256, 257, 300]) {
      const o = d.fill(sub, "1", "0.1800", { kind: "PARTIAL_FILL", eventId: `fill-${i}` });
      expect(o.code, `replay of fill-${i}`).toBe("DUPLICATE_EVENT");
      expect(o.commands).toEqual([]);
    }
    expect(d.state()).toBe(before);
  });

  it("Flaw 11 / G8 / J7 / G14 / A15: restoreState refuses inconsistent slot images with INVALID_STATE and changes nothing", async () => {
    const src = await openShort();
    const saved = src.k.saveState();
    const parsed = JSON.parse(saved) as unknown;
    const slots = slotImagesIn(parsed);
    expect(slots.length, "saved state holds slot images").toBeGreaterThan(0);
    const open = slots.find((s) => s.stage === "POSITION_OPEN");
    expect(open, "saved state has the POSITION_OPEN slot").toBeDefined();
    const idle = slots.find((s) => s.stage === "IDLE");
    const mutations: [string, (s: Record<string, unknown>, all: Record<string, unknown>[]) => void][] = [
      ["POSITION_OPEN with size 0", (s) => (s.sizeQty = "0")],
      ["negative size", (s) => (s.sizeQty = "-5")],
      ["size above initial size", (s) => (s.sizeQty = "5000")],
      ["CLOSED with size 5", (s) => (s.stage = "CLOSED")],
      ["unknown stage", (s) => (s.stage = "OPEN")],
      ["POSITION_OPEN without trade id", (s) => (s.tradeId = "")],
      ["slot id out of range", (s) => (s.slotId = 99)],
      ["duplicate trade id in another slot", (_s, all) => {
        const other = all.find((x) => x.stage === "IDLE");
        if (other) Object.assign(other, JSON.parse(JSON.stringify(_s)), { slotId: other.slotId });
      }],
    ];
    for (const [what, mutate] of mutations) {
      if (what.startsWith("duplicate") && !idle) continue;
      const copy = JSON.parse(saved) as unknown;
      const cs = slotImagesIn(copy);
      mutate(cs.find((s) => s.stage === "POSITION_OPEN") as Record<string, unknown>, cs);
      const target = await fresh();
      const before = target.state();
      const o = target.k.restoreState(JSON.stringify(copy));
      expect(o.accepted, `restore with ${what} must be refused`).toBe(false);
      expect(o.code, what).toBe("INVALID_STATE");
      expect(target.state(), `${what}: state unchanged`).toBe(before);
    }
    const broken = await fresh();
    const before = broken.state();
    refused(broken.k.restoreState("{not json"), "INVALID_STATE");
    expect(broken.state()).toBe(before);
    const ok = await fresh();
    expectOk(ok.k.restoreState(saved), "restore of a consistent image");
    expect(ok.slot(0).stage).toBe("POSITION_OPEN");
    dec(ok.slot(0).sizeQty, "1000", "restored size");
  });

  it("Flaw 11 / I14: reconcile refuses a malformed report and changes nothing", async () => {
    const d = await openShort();
    const before = d.state();
    const bad = [
      { tsUs: d.tUs + 1, positions: [{ symbol: "FET-USDT", positionSide: "BOTH", quantity: "NaN" }], orders: [] },
      { tsUs: d.tUs + 1, positions: [], orders: [{ symbol: "FET-USDT", venueOrderId: "1", status: "WHATEVER", executedQty: "0", avgPrice: "0" }] },
      { tsUs: d.tUs + 1, positions: [], orders: [{ symbol: "FET-USDT", venueOrderId: "1", status: "FILLED", executedQty: "-5", avgPrice: "0" }] },
      { tsUs: d.tUs + 1, positions: [], orders: [], extra: 1 },
    ];
    for (const r of bad) {
      const o = d.k.reconcile(r as never);
      expect(o.accepted, JSON.stringify(r)).toBe(false);
      expect(["INVALID_STATE", "INVALID_EVENT"]).toContain(o.code);
      expect(d.state()).toBe(before);
    }
  });

  it("Flaw 13: after a partial exit ENTER on the same slot is SLOT_BUSY and the realized stays booked", async () => {
    const d = await openShort();
    d.closeLeg(0, "0.1866", { ratio: "0.5" });
    dec(d.k.ledger().realizedPnlUsdt, "0.6", "realized after half");
    const before = d.state();
    refused(d.enter(0, "t2", "SHORT", "1000"), "SLOT_BUSY");
    expect(d.state()).toBe(before);
    const ex = submitOf(d.exitResidual(0));
    dec(ex.quantity, "500", "residual");
    d.ack(ex);
    d.fill(ex, "500", "0.1866");
    dec(d.k.ledger().realizedPnlUsdt, "1.2", "realized after close");
    expectOk(d.enter(0, "t2", "SHORT", "1000"), "re-entry after close");
    dec(d.k.ledger().realizedPnlUsdt, "1.2", "realized kept after re-entry");
  });
});

describe("A series (docs/flaws.md)", () => {
  it("A1 / E8 / E4: each exit leg is sized from the remaining size and never exceeds it", async () => {
    const d = await openShort();
    const l1 = d.closeLeg(0, "0.1866", { ratio: "0.6" });
    dec(l1.quantity, "600", "leg 1 = floor(1000 × 0.6)");
    const l2 = d.closeLeg(0, "0.1866", { ratio: "0.6" });
    dec(l2.quantity, "240", "leg 2 = floor(400 × 0.6), not 600");
    const l3 = submitOf(d.exitResidual(0));
    dec(l3.quantity, "160", "residual");
    d.ack(l3);
    d.fill(l3, "160", "0.1866");
    expect(stageOf(d)).toBe("CLOSED");
    dec(d.k.ledger().realizedPnlUsdt, "1.2", "realized");
  });

  it("A1 / G4: with configured ratios 0.6 / 0.4 the last leg is exactly the remaining size", async () => {
    const d = await openShort(["0.6", "0.4"]);
    dec(d.closeLeg(0, "0.1866").quantity, "600", "leg 1");
    dec(d.closeLeg(0, "0.1866").quantity, "400", "last leg = remaining");
    expect(stageOf(d)).toBe("CLOSED");
  });

  it("A2 / G10 / E9: CANCEL with nothing to cancel is NO_ACTIVE_ORDER (IDLE slot and open position alike), nothing emitted", async () => {
    const d = await fresh();
    let before = d.state();
    refused(d.cancel(0), "NO_ACTIVE_ORDER");
    expect(d.state()).toBe(before);
    d.open(0, "t1", "SHORT", "1000", "0.1878");
    before = d.state();
    refused(d.cancel(0), "NO_ACTIVE_ORDER");
    expect(d.state()).toBe(before);
  });

  it("A3 / L2: an exit overfill closes the slot without a negative size and is flagged OVERFILL; realized uses the position size", async () => {
    const d = await openShort();
    const ex = submitOf(d.exit(0));
    d.ack(ex);
    const o = d.fill(ex, "1200", "0.1866");
    expect(o.code).toBe("OVERFILL");
    const s = d.slot(0);
    dec(s.sizeQty, "0", "size clamped at 0");
    expect(s.stage).toBe("CLOSED");
    expect(s.flags.overfill).toBe(true);
    dec(d.k.ledger().realizedPnlUsdt, "1.2", "realized on 1000, not 1200");
  });

  it("A4 / spec §0.1: a mark price before the fill never becomes the entry basis", async () => {
    const d = await fresh();
    const sub = submitOf(d.enter(0, "t1", "SHORT", "1000"));
    d.mark("0.1900");
    dec(d.slot(0).entryPrice, "0", "no basis before a fill");
    dec(d.slot(0).unrealizedPnlUsdt, "0", "no unrealized before a fill");
    d.ack(sub);
    d.mark("0.1910");
    d.fill(sub, "1000", "0.1878");
    dec(d.slot(0).entryPrice, "0.1878", "basis = fill");
    d.mark("0.1900");
    dec(d.slot(0).unrealizedPnlUsdt, "-2.2", "unrealized = 1000 × (0.1878 − 0.19)");
  });

  it("A5 / E22 / G23 / E20: a trade's realized is its own legs only, whatever other slots settle in between", async () => {
    const d = await fresh();
    d.open(0, "t0", "SHORT", "1000", "0.1878", { exitLegRatios: ["0.5", "0.5"] });
    d.open(1, "t1", "LONG", "0.0100", "60000.0", { symbol: "BTC-USDT" });
    d.closeLeg(0, "0.1866");
    d.closeLeg(1, "60500.0");
    d.closeLeg(0, "0.1860");
    const trades = d.k.trades();
    const t0 = trades.find((t) => t.tradeId === "t0")!;
    const t1 = trades.find((t) => t.tradeId === "t1")!;
    dec(t0.realizedGrossUsdt, "1.5", "t0 = 500 × 0.0012 + 500 × 0.0018");
    dec(t1.realizedGrossUsdt, "5", "t1 = 0.01 × 500");
    expect(t0.legs.length).toBe(2);
    dec(t0.legs[0].realizedPnlUsdt, "0.6", "t0 leg 1");
    dec(t0.legs[1].realizedPnlUsdt, "0.9", "t0 leg 2");
    dec(d.k.ledger().realizedPnlUsdt, "6.5", "ledger realized");
  });

  it("A5 / spec §5.1: tradeRealized(tradeId) gives the trade's own booked figure (the sizer's input)", async () => {
    const d = await fresh();
    d.open(0, "t0", "SHORT", "1000", "0.1878", { exitLegRatios: ["0.5", "0.5"] }, "0.0939");
    d.open(1, "t1", "LONG", "0.0100", "60000.0", { symbol: "BTC-USDT" });
    d.closeLeg(0, "0.1866", {}, "0.04665");
    d.closeLeg(1, "60500.0");
    d.account({ kind: "FUNDING", symbol: "FET-USDT", amountUsdt: "25" });
    const r = d.k.tradeRealized("t0");
    expect(r).toBeDefined();
    dec(r?.realizedGrossUsdt, "0.6", "t0 gross: leg 1 only, not t1's 5 nor the funding");
    dec(r?.feesUsdt, "0.14055", "t0 fees");
    dec(r?.realizedNetUsdt, "0.45945", "t0 net");
    expect(r?.closed).toBe(false);
    expect(d.k.tradeRealized("nobody")).toBeUndefined();
  });

  it("A6 / L4 / spec §3.1: anchorToExchange sets capital to the wallet balance and keeps available margin separate", async () => {
    const d = await openShort();
    const o = d.k.anchorToExchange("100500.25", "90000.5", 7);
    expect(o.accepted).toBe(true);
    const l = d.k.ledger();
    dec(l.capitalUsdt, "100500.25", "capital");
    dec(l.eWalletBalanceUsdt, "100500.25", "wallet");
    dec(l.eAvailableMarginUsdt, "90000.5", "available margin (not the wallet, L4)");
    dec(l.anchorCapitalUsdt, "100500.25", "anchor capital");
    expect(l.capitalSource).toBe("e_anchored");
    d.closeLeg(0, "0.1866", {}, "0.0933");
    const l2 = d.k.ledger();
    dec(l2.capitalUsdt, "100501.3567", "bridged: 100500.25 + 1.2 − 0.0933");
    expect(l2.capitalSource).toBe("k_bridged");
  });

  it("A7 / E18: fees are booked on every fill and subtracted: net = gross − fees, capital = seed + gross − fees", async () => {
    const d = await fresh();
    d.open(0, "t1", "SHORT", "1000", "0.1878", {}, "0.0939");
    dec(d.k.ledger().capitalUsdt, "99999.9061", "capital after entry fee");
    d.closeLeg(0, "0.1866", {}, "0.0933");
    const t = d.k.trades().find((x) => x.tradeId === "t1")!;
    dec(t.realizedGrossUsdt, "1.2", "gross");
    dec(t.feesUsdt, "0.1872", "fees");
    dec(t.realizedNetUsdt, "1.0128", "net");
    const l = d.k.ledger();
    dec(l.feesPaidUsdt, "0.1872", "ledger fees");
    dec(l.capitalUsdt, "100001.0128", "capital");
  });

  it("A8 / G12 / F3: leverage 0, negative, fractional or above maxLeverage is INVALID_INTENT naming leverage, never a silent 1x", async () => {
    const d = await KernelDriver.create({ maxLeverage: 50 });
    const before = d.state();
    for (const leverage of [0, -1, 1.5, 51, 126]) refused(d.enter(0, "t1", "LONG", "1000", { leverage }), "INVALID_INTENT", "leverage");
    expect(d.state()).toBe(before);
    expectOk(d.enter(0, "t1", "LONG", "1000", { leverage: 50 }), "leverage 50");
    expect(d.slot(0).leverage).toBe(50);
  });

  it("A9: a FULL_FILL before the ORDER_ACK opens the position; the late ACK changes nothing", async () => {
    const d = await fresh();
    const sub = submitOf(d.enter(0, "t1", "SHORT", "1000"));
    expectOk(d.fill(sub, "1000", "0.1878"), "fill before ack");
    expect(stageOf(d)).toBe("POSITION_OPEN");
    const before = JSON.stringify({ ...d.slot(0), seenEventIds: [] });
    d.ack(sub);
    const after = d.slot(0);
    expect(after.stage).toBe("POSITION_OPEN");
    dec(after.sizeQty, "1000", "size after late ack");
    expect(JSON.stringify({ ...after, seenEventIds: [], entryOrder: undefined })).toBe(JSON.stringify({ ...JSON.parse(before), entryOrder: undefined }));
  });

  it("A12 / I17: slot images and snapshots are values: mutating one never changes the kernel", async () => {
    const d = await openShort();
    const s = d.slot(0) as SlotImage & Record<string, unknown>;
    s.sizeQty = "999999";
    s.stage = "IDLE";
    const snap = d.k.snapshot();
    snap.ledger.capitalUsdt = "1";
    dec(d.slot(0).sizeQty, "1000", "size");
    expect(stageOf(d)).toBe("POSITION_OPEN");
    dec(d.k.ledger().capitalUsdt, "100000", "capital");
  });

  it("A13 / E23 / G21: the trade record's exit VWAP is the true exit price across legs, not the entry price", async () => {
    const d = await openShort(["0.5", "0.5"]);
    d.closeLeg(0, "0.1866");
    d.closeLeg(0, "0.1860");
    const t = d.k.trades().find((x) => x.tradeId === "t1")!;
    dec(t.entryVwap, "0.1878", "entry VWAP");
    dec(t.exitVwap, "0.1863", "exit VWAP = (500 × 0.1866 + 500 × 0.1860) / 1000");
    dec(t.exitedQty, "1000", "exited");
    expect(t.closed).toBe(true);
    expect(t.closedAtUs).toBe(d.tUs);
  });
});

describe("E and F series (docs/flaws.md)", () => {
  it("E2 / T2: the ledger is published as an immutable snapshot whose eventSeq moves with every mutation", async () => {
    const d = await fresh();
    const l0 = d.k.ledger();
    const copy = JSON.stringify(l0);
    const o = d.open(0, "t1", "SHORT", "1000", "0.1878", {}, "0.0939");
    expect(JSON.stringify(l0)).toBe(copy);
    const l1 = d.k.ledger();
    expect(l1.eventSeq).toBeGreaterThan(l0.eventSeq);
    expect(d.outcomes[d.outcomes.length - 1].ledgerSeq).toBe(l1.eventSeq);
    void o;
    const l2 = d.k.ledger();
    expect(l2).toEqual(l1);
  });

  it("E5: decimals are exact: three fills of 0.1 BTC at 60000.1 give size 0.3 and notional 18000.03 exactly", async () => {
    const d = await fresh();
    const sub = submitOf(d.enter(0, "t1", "LONG", "0.3", { symbol: "BTC-USDT", orderType: "LIMIT", limitPrice: "60000.1" }));
    d.ack(sub);
    d.fill(sub, "0.1", "60000.1", { kind: "PARTIAL_FILL" });
    d.fill(sub, "0.1", "60000.1", { kind: "PARTIAL_FILL" });
    d.fill(sub, "0.1", "60000.1");
    const s = d.slot(0);
    expect(s.sizeQty.replace(/0+$/, "")).toBe("0.3");
    dec(s.entryNotionalUsdt, "18000.03", "notional");
    dec(s.entryPrice, "60000.1", "VWAP");
  });

  it("E6 / F20 / G30 / G33 / J10 / P1 / H12 / O10 / P8: dispose releases the instance, later calls fail clearly, disposing twice is harmless, other kernels are unaffected", async () => {
    const a = await fresh();
    const b = await fresh();
    b.open(0, "t1", "SHORT", "1000", "0.1878");
    a.k.dispose();
    let threw: unknown;
    let out: Outcome | undefined;
    try {
      out = a.k.processIntent({ kind: "CANCEL", intentId: "x", tsUs: 1, slotId: 0 });
    } catch (err) {
      threw = err;
    }
    if (threw) expect(String((threw as Error).message)).toMatch(/dispos/i);
    else {
      expect(out?.accepted).toBe(false);
      expect(out?.code).toBe("DISPOSED");
    }
    expect(() => a.k.dispose()).not.toThrow();
    expect(b.slot(0).stage).toBe("POSITION_OPEN");
    dec(b.slot(0).sizeQty, "1000", "other kernel untouched");
  });

  it("E7: ENTER with a trade id live in another slot is DUPLICATE_TRADE_ID and changes nothing", async () => {
    const d = await fresh();
    d.open(0, "t1", "SHORT", "1000", "0.1878");
    const before = d.state();
    refused(d.enter(1, "t1", "SHORT", "1000"), "DUPLICATE_TRADE_ID");
    expect(d.state()).toBe(before);
  });

  it("E10 / I1 / G11: incremental entry partial fills accumulate (300 + 400 = 700) and the basis is their VWAP", async () => {
    const d = await fresh();
    const sub = submitOf(d.enter(0, "t1", "LONG", "1000", { orderType: "LIMIT", limitPrice: "0.1880" }));
    d.ack(sub);
    d.fill(sub, "300", "0.1870", { kind: "PARTIAL_FILL" });
    d.fill(sub, "400", "0.1877", { kind: "PARTIAL_FILL" });
    const s = d.slot(0);
    dec(s.sizeQty, "700", "size");
    dec(s.entryNotionalUsdt, "131.18", "notional 300 × 0.187 + 400 × 0.1877");
    dec(s.entryPrice, new D("131.18").div(700).toString(), "VWAP");
    dec(s.entryOrder?.filledQty, "700", "order filled");
    dec(s.entryOrder?.quantity, "1000", "order quantity unchanged (G11)");
    dec(s.targetQty, "1000", "target unchanged (G11)");
  });

  it("E10 / I1: cumulative fills (z / executedQty) apply only the part beyond what was booked", async () => {
    const d = await fresh();
    const sub = submitOf(d.enter(0, "t1", "LONG", "1000", { orderType: "LIMIT", limitPrice: "0.1880" }));
    d.ack(sub);
    d.fill(sub, "300", "0.1870", { kind: "PARTIAL_FILL", mode: "CUMULATIVE" });
    d.fill(sub, "700", "0.1874", { kind: "PARTIAL_FILL", mode: "CUMULATIVE" });
    dec(d.slot(0).sizeQty, "700", "size after cumulative 300 → 700");
    dec(d.slot(0).entryNotionalUsdt, "131.18", "notional = 700 × 0.1874 (avg price)");
    d.fill(sub, "1000", "0.1875", { mode: "CUMULATIVE" });
    dec(d.slot(0).sizeQty, "1000", "size after cumulative 1000");
    expect(stageOf(d)).toBe("POSITION_OPEN");
    dec(d.slot(0).entryPrice, "0.1875", "VWAP = avg price of the order");
  });

  it("E12 / L3 / I3 / spec §0.1: an entry fill without a true price flags entry_basis_missing and books no PnL from a mark", async () => {
    const d = await fresh();
    const sub = submitOf(d.enter(0, "t1", "SHORT", "1000"));
    d.ack(sub);
    d.fill(sub, "1000", "0");
    const s = d.slot(0);
    expect(s.stage).toBe("POSITION_OPEN");
    expect(s.flags.entryBasisMissing).toBe(true);
    dec(s.entryPrice, "0", "no basis");
    d.mark("0.1900");
    dec(d.slot(0).unrealizedPnlUsdt, "0", "no unrealized without a basis");
  });

  it("E12 / L3 / spec §0.1: an exit fill without a true price reduces size, books 0 and flags realized_skipped_no_price", async () => {
    const d = await openShort(["0.5", "0.5"]);
    d.closeLeg(0, "0");
    const s = d.slot(0);
    dec(s.sizeQty, "500", "size reduced");
    dec(s.realizedPnlUsdt, "0", "nothing booked");
    expect(s.flags.realizedSkippedNoPrice).toBe(true);
    expect(s.legs[0].realizedSkippedNoPrice).toBe(true);
    dec(d.k.ledger().realizedPnlUsdt, "0", "ledger");
    d.closeLeg(0, "0.1866");
    const t = d.k.trades().find((x) => x.tradeId === "t1")!;
    expect(t.flags).toContain("realized_skipped_no_price");
    dec(t.realizedGrossUsdt, "0.6", "only the priced leg");
  });

  it("E14: a CANCEL_ACK is routed by order identity, not by a stale slot hint", async () => {
    const d = await fresh();
    d.open(0, "t0", "SHORT", "1000", "0.1878");
    const sub = submitOf(d.enter(1, "t1", "LONG", "1000", { orderType: "LIMIT", limitPrice: "0.1800" }));
    d.ack(sub);
    d.cancel(1);
    const o = d.event({ kind: "CANCEL_ACK", ...d.ref(sub), slotHint: 0 });
    expect(o.accepted).toBe(true);
    expect(stageOf(d, 1)).toBe("IDLE");
    expect(stageOf(d, 0)).toBe("POSITION_OPEN");
  });

  it("E17 / F17 / I15: CANCEL_REJECT of an exit cancel keeps the exit working (VENUE_REJECTED); its fill then closes the slot", async () => {
    const d = await openShort();
    const ex = submitOf(d.exit(0, { orderType: "LIMIT", limitPrice: "0.1866" }));
    d.ack(ex);
    d.cancel(0);
    const o = d.cancelReject(ex);
    expect(o.code).toBe("VENUE_REJECTED");
    expect(stageOf(d)).toBe("EXIT_WORKING");
    expect(d.slot(0).exitOrder?.clientOrderId).toBe(ex.clientOrderId);
    const again = cancelOf(d.cancel(0));
    expect(again.clientOrderId).toBe(ex.clientOrderId);
    expectOk(d.fill(ex, "1000", "0.1866"), "fill after cancel reject");
    expect(stageOf(d)).toBe("CLOSED");
    dec(d.k.ledger().realizedPnlUsdt, "1.2", "realized");
  });

  it("E17 / I15: CANCEL_ACK of an exit returns the slot to POSITION_OPEN with the unfilled size", async () => {
    const d = await openShort();
    const ex = submitOf(d.exit(0, { orderType: "LIMIT", limitPrice: "0.1866" }));
    d.ack(ex);
    d.fill(ex, "250", "0.1866", { kind: "PARTIAL_FILL" });
    d.cancel(0);
    expectOk(d.cancelAck(ex), "cancel ack");
    expect(stageOf(d)).toBe("POSITION_OPEN");
    dec(d.slot(0).sizeQty, "750", "size");
    dec(d.k.ledger().realizedPnlUsdt, "0.3", "realized of the filled part");
  });

  it("F2 / spec §0.3 / §7.3: the settle baseline survives save → new kernel → restore: the next fill settles only its increment", async () => {
    const a = await openShort();
    const ex = submitOf(a.exit(0));
    a.ack(ex);
    a.fill(ex, "300", "0.1866", { kind: "PARTIAL_FILL" });
    const saved = a.k.saveState();
    const ledgerBefore = a.k.ledger();
    const b = await fresh();
    b.tUs = a.tUs;
    expectOk(b.k.restoreState(saved), "restore");
    expect(b.k.ledger().realizedPnlUsdt).toBe(ledgerBefore.realizedPnlUsdt);
    expect(b.k.ledger().capitalUsdt).toBe(ledgerBefore.capitalUsdt);
    dec(b.slot(0).settledRealizedUsdt, "0.36", "baseline restored");
    if (b.slot(0).stage === "STALE_STATE_RECONCILING") {
      expectOk(
        b.k.reconcile({
          tsUs: b.tUs + 1,
          positions: [{ symbol: "FET-USDT", positionSide: "BOTH", quantity: "-700" }],
          orders: [{ symbol: "FET-USDT", venueOrderId: a.venueId(ex.clientOrderId), clientOrderId: ex.clientOrderId, status: "PARTIALLY_FILLED", executedQty: "300", avgPrice: "0.1866" }],
        }),
        "reconcile",
      );
    }
    expect(b.slot(0).stage).toBe("EXIT_WORKING");
    b.fill(ex, "700", "0.1866", { eventId: "after-restart" });
    dec(b.k.ledger().realizedPnlUsdt, "1.2", "total settled = uninterrupted run, not 1.56");
    dec(b.k.ledger().capitalUsdt, "100001.2", "capital");
    expect(b.slot(0).stage).toBe("CLOSED");
  });

  it("F3 / Q8 / G7: zero or negative quantity and non-positive limit price are INVALID_INTENT naming the field", async () => {
    const d = await fresh();
    const before = d.state();
    refused(d.enter(0, "t1", "LONG", "0"), "INVALID_INTENT", "quantity");
    refused(d.enter(0, "t1", "LONG", "-5"), "INVALID_INTENT", "quantity");
    refused(d.enter(0, "t1", "LONG", "1000", { orderType: "LIMIT", limitPrice: "0" }), "INVALID_INTENT", "limitPrice");
    refused(d.enter(0, "t1", "LONG", "1000", { orderType: "LIMIT", limitPrice: "-0.1" }), "INVALID_INTENT", "limitPrice");
    expect(d.state()).toBe(before);
  });

  it("F4: an accepted ENTER / EXIT emits exactly one SUBMIT; a refused intent emits none", async () => {
    const d = await fresh();
    expect(d.enter(0, "t1", "SHORT", "1000").commands.length).toBe(1);
    expect(d.enter(0, "t2", "SHORT", "1000").commands.length).toBe(0);
  });

  it("F7 / I14: a reconcile report that agrees with the kernel produces no transition and no mismatch", async () => {
    const d = await openShort();
    const before = d.state();
    const o = d.k.reconcile({ tsUs: d.tUs + 1, positions: [{ symbol: "FET-USDT", positionSide: "BOTH", quantity: "-1000" }], orders: [] });
    expect(o.accepted).toBe(true);
    expect(o.code).not.toBe("RECONCILE_MISMATCH");
    expect(o.transitions.filter((t) => t.from !== t.to)).toEqual([]);
    expect(JSON.parse(d.state()).slots).toEqual(JSON.parse(before).slots);
  });

  it("F22: loading a missing .wasm fails loudly instead of falling back", async () => {
    await expect(loadKernel({ wasmPath: "/nonexistent/dita_kernel.wasm" })).rejects.toThrow();
  });

  it("F23: ORDER_ACK never changes the size (size comes from fills only)", async () => {
    const d = await fresh();
    const sub = submitOf(d.enter(0, "t1", "LONG", "1000"));
    d.ack(sub);
    dec(d.slot(0).sizeQty, "0", "size after ack");
  });

  it("F26 / I13: after close and re-entry the new trade's dedup set starts empty and a replay of the old trade's fill changes nothing", async () => {
    const d = await fresh();
    const sub = submitOf(d.enter(0, "t1", "SHORT", "1000"));
    d.ack(sub);
    d.fill(sub, "1000", "0.1878", { eventId: "old-entry-fill" });
    d.closeLeg(0, "0.1866");
    d.open(0, "t2", "SHORT", "1000", "0.1866");
    expect(d.slot(0).seenEventIds).not.toContain("old-entry-fill");
    const before = d.state();
    const o = d.fill(sub, "1000", "0.1878", { eventId: "old-entry-fill" });
    expect(o.accepted).toBe(false);
    expect(["STALE_EVENT", "DUPLICATE_EVENT", "UNRESOLVED_SLOT"]).toContain(o.code);
    expect(d.state()).toBe(before);
  });
});

describe("G series", () => {
  it("G1: EXIT_RESIDUAL closes exactly the remaining size in one reduce-only order", async () => {
    const d = await openShort();
    d.closeLeg(0, "0.1866", { ratio: "0.3" });
    const r = submitOf(d.exitResidual(0));
    dec(r.quantity, "700", "residual");
    expect(r.reduceOnly).toBe(true);
    expect(r.purpose).toBe("EXIT");
  });

  it("G3 / M1: EXIT while an exit is working is INVALID_TRANSITION; no transition ever goes backwards", async () => {
    const d = await openShort();
    const ex = submitOf(d.exit(0, { orderType: "LIMIT", limitPrice: "0.1866" }));
    d.ack(ex);
    const before = d.state();
    refused(d.exit(0), "INVALID_TRANSITION");
    refused(d.exitResidual(0), "INVALID_TRANSITION");
    expect(d.state()).toBe(before);
  });

  it("M1: a re-entry's transition starts from CLOSED, the true previous stage (not a hard-coded IDLE)", async () => {
    const d = await openShort();
    d.closeLeg(0, "0.1866");
    const o = d.enter(0, "t2", "SHORT", "1000");
    expect(o.transitions[0].from).toBe("CLOSED");
    expect(o.transitions[0].to).toBe("ORDER_REQUESTED");
    expect(o.transitions[0].tradeId).toBe("t2");
  });

  it("G9 / L16: the exit ORDER_ACK records its venue order id on the exit order, and the exit cancel carries it", async () => {
    const d = await openShort();
    const ex = submitOf(d.exit(0, { orderType: "LIMIT", limitPrice: "0.1866" }));
    d.ack(ex);
    const s = d.slot(0);
    expect(s.exitOrder?.venueOrderId).toBe(d.venueId(ex.clientOrderId));
    expect(s.entryOrder?.venueOrderId ?? d.venueId(s.entryOrder?.clientOrderId ?? "")).not.toBe(d.venueId(ex.clientOrderId));
    const c = cancelOf(d.cancel(0));
    expect(c.venueOrderId).toBe(d.venueId(ex.clientOrderId));
    expect(c.clientOrderId).toBe(ex.clientOrderId);
  });

  it("G13 / J8: a fill that matches no order of any slot is UNRESOLVED_SLOT and mutates nothing (never slot 0)", async () => {
    const d = await openShort();
    const before = d.state();
    const o = d.event({ kind: "FULL_FILL", symbol: "FET-USDT", venueOrderId: "1999999999999999999", clientOrderId: "foreign-1", fillQty: "50", fillPrice: "0.1870", quantityMode: "INCREMENTAL" });
    expect(o.accepted).toBe(false);
    expect(o.code).toBe("UNRESOLVED_SLOT");
    expect(d.state()).toBe(before);
    const o2 = d.event({ kind: "ORDER_ACK", symbol: "FET-USDT", venueOrderId: "1999999999999999998" });
    expect(o2.code).toBe("UNRESOLVED_SLOT");
    expect(d.state()).toBe(before);
  });

  it("G13 / spec §6.2: an id-less fill is routed by the hinted slot's stage only when it carries no order identity", async () => {
    const d = await fresh();
    const sub = submitOf(d.enter(2, "t1", "SHORT", "1000"));
    d.ack(sub);
    const o = d.event({ kind: "FULL_FILL", symbol: "FET-USDT", slotHint: 2, fillQty: "1000", fillPrice: "0.1878", quantityMode: "INCREMENTAL" });
    expect(o.accepted).toBe(true);
    expect(stageOf(d, 2)).toBe("POSITION_OPEN");
    expect(stageOf(d, 0)).toBe("IDLE");
  });

  it("G13 / J8 / spec §6.2: a stale id-less frame of a finished order (venue id already known) is never routed by stage onto the next trade's order (chaos seed 147)", async () => {
    const d = await fresh();
    const a = submitOf(d.enter(0, "t1", "LONG", "1000", { orderType: "LIMIT", limitPrice: "0.1800", timeInForce: "IOC" }));
    expectOk(d.ack(a), "ack of the first order");
    const oldVenueId = d.venueId(a.clientOrderId);
    expect(d.slot(0).entryOrder?.venueOrderId).toBe(oldVenueId);
    expectOk(d.cancelAck(a), "IOC expired");
    expect(stageOf(d)).toBe("IDLE");
    const b = submitOf(d.enter(0, "t2", "LONG", "1000", { orderType: "LIMIT", limitPrice: "0.1800" }));
    expect(stageOf(d)).toBe("ORDER_REQUESTED");
    const before = d.state();
    // BingX WS frames carry `i` but often no `c`: the late NEW of the expired order.
    const o = d.event({ kind: "ORDER_ACK", symbol: "FET-USDT", venueOrderId: oldVenueId });
    expect(o.accepted, `${o.code} ${o.message}`).toBe(false);
    expect(["STALE_EVENT", "UNRESOLVED_SLOT"]).toContain(o.code);
    expect(d.state(), "the new order must not adopt the old venue order id").toBe(before);
    expectOk(d.ack(b), "the real ACK of the new order");
    expect(d.slot(0).entryOrder?.venueOrderId).toBe(d.venueId(b.clientOrderId));
    expect(stageOf(d)).toBe("ENTRY_WORKING");
  });

  it("G14 / J9 / H9 / P5: an out-of-range slot id is INVALID_SLOT (an intent) or a thrown KernelError naming it (a getter), never a silent null", async () => {
    const d = await fresh();
    const before = d.state();
    refused(d.enter(99, "t1", "SHORT", "1000"), "INVALID_SLOT");
    refused(d.cancel(-1), "INVALID_SLOT");
    expect(d.state()).toBe(before);
    expect(() => d.slot(99)).toThrow(/slot|INVALID_SLOT|99/i);
  });

  it("K18: every stage of the enum is reachable and handled (IDLE, ORDER_REQUESTED, ENTRY_WORKING, POSITION_OPEN, EXIT_REQUESTED, EXIT_WORKING, CLOSED, STALE_STATE_RECONCILING)", async () => {
    const d = await fresh();
    const seen = new Set<string>([stageOf(d)]);
    const note = () => seen.add(stageOf(d));
    const sub = submitOf(d.enter(0, "t1", "SHORT", "1000", { orderType: "LIMIT", limitPrice: "0.1880" }));
    note();
    d.ack(sub);
    note();
    d.fill(sub, "1000", "0.1880");
    note();
    const ex = submitOf(d.exit(0, { orderType: "LIMIT", limitPrice: "0.1866" }));
    note();
    d.ack(ex);
    note();
    const b = await fresh();
    expectOk(b.k.restoreState(d.k.saveState()), "restore with an exit in flight");
    seen.add(b.slot(0).stage);
    d.fill(ex, "1000", "0.1866");
    note();
    expect([...seen].sort()).toEqual(["CLOSED", "ENTRY_WORKING", "EXIT_REQUESTED", "EXIT_WORKING", "IDLE", "ORDER_REQUESTED", "POSITION_OPEN", "STALE_STATE_RECONCILING"]);
  });

  it("G15 / E16 / G18: create refuses a bad configuration naming the field", async () => {
    const m = await kernelModule();
    const bad: [string, unknown][] = [
      ["slotCount", config({ slotCount: 0 })],
      ["slotCount", config({ slotCount: 65 })],
      ["initialCapitalUsdt", config({ initialCapitalUsdt: "NaN" })],
      ["stepSize", config({ instruments: [{ symbol: "FET-USDT", tickSize: "0.0001", stepSize: "0" }] })],
      ["tickSize", config({ instruments: [{ symbol: "FET-USDT", tickSize: "-1", stepSize: "1" }] })],
      ["defaultExitLegRatios", config({ defaultExitLegRatios: ["0.5", "0.6"] })],
      ["defaultExitLegRatios", config({ defaultExitLegRatios: ["0"] })],
    ];
    for (const [field, cfg] of bad) expect(() => m.create(cfg as never), `${field}: ${JSON.stringify(cfg)}`).toThrow(new RegExp(field));
  });

  it("G18 / I20: ENTER exit leg ratios must each be in (0,1] and sum to 1; an accepted list is never empty", async () => {
    const d = await fresh();
    const before = d.state();
    refused(d.enter(0, "t1", "SHORT", "1000", { exitLegRatios: ["0.6", "0.6"] }), "INVALID_INTENT", "exitLegRatios");
    refused(d.enter(0, "t1", "SHORT", "1000", { exitLegRatios: ["0", "1"] }), "INVALID_INTENT", "exitLegRatios");
    refused(d.enter(0, "t1", "SHORT", "1000", { exitLegRatios: ["1.5"] }), "INVALID_INTENT", "exitLegRatios");
    expect(d.state()).toBe(before);
    const o = d.enter(0, "t1", "SHORT", "1000", { exitLegRatios: [] });
    if (o.accepted) {
      const r = d.slot(0).exitLegRatios;
      expect(r.length).toBeGreaterThan(0);
      expect(r.reduce((a, x) => a.plus(x), new D(0)).toString()).toBe("1");
    } else refused(o, "INVALID_INTENT", "exitLegRatios");
  });

  it("G24 / A15: trades keep their trade ids and figures across save → restore", async () => {
    const a = await openShort();
    a.closeLeg(0, "0.1866");
    const b = await fresh();
    expectOk(b.k.restoreState(a.k.saveState()), "restore");
    expect(b.k.trades().map((t) => t.tradeId)).toEqual(["t1"]);
    dec(b.k.trades()[0].realizedGrossUsdt, "1.2", "realized");
    expect(b.k.ledger()).toEqual(a.k.ledger());
  });
});

describe("I series", () => {
  it("I2 / F3: an exit leg that rounds to 0 is ZERO_SIZE_EXIT, nothing emitted, stage unchanged", async () => {
    const d = await fresh();
    d.open(0, "t1", "SHORT", "5", "0.1878");
    const before = d.state();
    refused(d.exit(0, { ratio: "0.1" }), "ZERO_SIZE_EXIT");
    expect(d.state()).toBe(before);
    expect(stageOf(d)).toBe("POSITION_OPEN");
  });

  it("I5 / K3: ORDER_REJECT of an entry returns the slot to IDLE with VENUE_REJECTED (not INFO)", async () => {
    const d = await fresh();
    const sub = submitOf(d.enter(0, "t1", "SHORT", "5"));
    const o = d.reject(sub);
    expect(o.code).toBe("VENUE_REJECTED");
    expect(o.severity).not.toBe("INFO");
    expect(stageOf(d)).toBe("IDLE");
    expectOk(d.enter(0, "t2", "SHORT", "1000"), "slot usable again");
  });

  it("I5 / M9: ORDER_REJECT of an exit keeps the position and its size", async () => {
    const d = await openShort();
    const ex = submitOf(d.exit(0, { ratio: "0.001" }));
    const o = d.reject(ex);
    expect(o.code).toBe("VENUE_REJECTED");
    expect(stageOf(d)).toBe("POSITION_OPEN");
    dec(d.slot(0).sizeQty, "1000", "size intact");
  });

  it("I8 / L2: an entry overfill is clamped to the order quantity and flagged OVERFILL", async () => {
    const d = await fresh();
    const sub = submitOf(d.enter(0, "t1", "SHORT", "1000"));
    d.ack(sub);
    const o = d.fill(sub, "1200", "0.1878");
    expect(o.code).toBe("OVERFILL");
    const s = d.slot(0);
    expect(new D(s.sizeQty).lte(1000)).toBe(true);
    expect(new D(s.sizeQty).lte(s.initialSizeQty)).toBe(true);
    expect(s.flags.overfill).toBe(true);
  });

  it("I10 / spec §0.3: a duplicate event after save → restore is still DUPLICATE_EVENT (seen ids survive)", async () => {
    const a = await fresh();
    const sub = submitOf(a.enter(0, "t1", "SHORT", "1000", { orderType: "LIMIT", limitPrice: "0.1880" }));
    a.ack(sub);
    a.fill(sub, "400", "0.1880", { kind: "PARTIAL_FILL", eventId: "fill-A" });
    const b = await fresh();
    expectOk(b.k.restoreState(a.k.saveState()), "restore");
    expect(b.slot(0).seenEventIds).toContain("fill-A");
    const before = b.state();
    const o = b.fill(sub, "400", "0.1880", { kind: "PARTIAL_FILL", eventId: "fill-A" });
    expect(o.code).toBe("DUPLICATE_EVENT");
    expect(b.state()).toBe(before);
  });

  it("I11: client order ids are deterministic, unique per order, lower-case and at most 40 characters", async () => {
    const run = async () => {
      const d = await openShort(["0.5", "0.5"]);
      d.closeLeg(0, "0.1866");
      d.closeLeg(0, "0.1866");
      d.open(0, "t2", "LONG", "1000", "0.1866");
      return d.outcomes.flatMap((o) => o.commands).filter((c) => c.kind === "SUBMIT").map((c) => c.clientOrderId);
    };
    const ids1 = await run();
    const ids2 = await run();
    expect(ids1).toEqual(ids2);
    expect(new Set(ids1).size).toBe(ids1.length);
    for (const id of ids1) {
      expect(id.length).toBeLessThanOrEqual(40);
      expect(id).toBe(id.toLowerCase());
      expect(id.length).toBeGreaterThan(0);
    }
  });

  it("I13: a stray fill after CLOSED (entry or exit order, new event id) cannot reopen the slot or book again", async () => {
    const d = await fresh();
    const entry = d.open(0, "t1", "SHORT", "1000", "0.1878");
    const ex = d.closeLeg(0, "0.1866");
    expect(stageOf(d)).toBe("CLOSED");
    const before = d.state();
    for (const [cmd, kind] of [[entry, "FULL_FILL"], [ex, "FULL_FILL"], [ex, "PARTIAL_FILL"], [entry, "ORDER_ACK"]] as const) {
      const o = kind === "ORDER_ACK" ? d.ack(cmd) : d.fill(cmd, "100", "0.1850", { kind });
      expect(o.accepted, `${kind} on CLOSED`).toBe(false);
      expect(["STALE_EVENT", "DUPLICATE_EVENT"]).toContain(o.code);
    }
    expect(d.state()).toBe(before);
    expect(stageOf(d)).toBe("CLOSED");
  });

  it("I14 / Q11: restore with an order in flight → STALE_STATE_RECONCILING; intents are STALE_STATE until reconcile resumes the slot", async () => {
    const a = await fresh();
    const sub = submitOf(a.enter(0, "t1", "SHORT", "1000", { orderType: "LIMIT", limitPrice: "0.1880" }));
    a.ack(sub);
    const b = await fresh();
    b.tUs = a.tUs;
    expectOk(b.k.restoreState(a.k.saveState()), "restore");
    expect(b.slot(0).stage).toBe("STALE_STATE_RECONCILING");
    expect(b.slot(0).resumeStage).toBe("ENTRY_WORKING");
    refused(b.cancel(0), "STALE_STATE");
    refused(b.exit(0), "STALE_STATE");
    const o = b.k.reconcile({
      tsUs: b.tUs + 1,
      positions: [{ symbol: "FET-USDT", positionSide: "BOTH", quantity: "-400" }],
      orders: [{ symbol: "FET-USDT", venueOrderId: a.venueId(sub.clientOrderId), clientOrderId: sub.clientOrderId, status: "PARTIALLY_FILLED", executedQty: "400", avgPrice: "0.1880" }],
    });
    expect(o.accepted).toBe(true);
    expect(b.slot(0).stage).toBe("ENTRY_WORKING");
    dec(b.slot(0).sizeQty, "400", "missing fill applied by reconcile");
    expect(o.transitions.some((t) => t.from === "STALE_STATE_RECONCILING")).toBe(true);
  });

  it("I21 / kernel-ref §5: RATE_LIMITED is surfaced retryable with retryAfterMs, or releaseEta when the venue gives none", async () => {
    const d = await fresh();
    const sub = submitOf(d.enter(0, "t1", "SHORT", "1000"));
    const o = d.rateLimited(sub, 1500);
    expect(o.code).toBe("RATE_LIMITED");
    expect(o.severity).toBe("WARNING");
    expect(o.details.retryable).toBe(true);
    expect(Number(o.details.retryAfterMs)).toBe(1500);
    const d2 = await fresh();
    const sub2 = submitOf(d2.enter(0, "t1", "SHORT", "1000"));
    const o2 = d2.rateLimited(sub2);
    expect(o2.code).toBe("RATE_LIMITED");
    expect(o2.details.retryable).toBe(true);
    expect(String(o2.details.releaseEta ?? "").length).toBeGreaterThan(0);
  });
});

describe("J, L, M series", () => {
  it("J1: exits are reduce-only on the opposite side (LONG → SELL, SHORT → BUY)", async () => {
    const d = await fresh();
    d.open(0, "long", "LONG", "1000", "0.1878");
    d.open(1, "short", "SHORT", "1000", "0.1878");
    const a = submitOf(d.exit(0));
    const b = submitOf(d.exit(1));
    expect([a.side, a.reduceOnly]).toEqual(["SELL", true]);
    expect([b.side, b.reduceOnly]).toEqual(["BUY", true]);
  });

  it("J2 / J4: equity = capital + Σ unrealized, each slot counted once; unrealized is leverage-free", async () => {
    const d = await fresh();
    d.open(0, "s0", "SHORT", "1000", "0.1878", { leverage: 1 });
    d.open(1, "s1", "SHORT", "1000", "0.1878", { leverage: 20 });
    d.mark("0.1868");
    dec(d.slot(0).unrealizedPnlUsdt, "1", "slot 0");
    dec(d.slot(1).unrealizedPnlUsdt, "1", "slot 1 (leverage 20, same unrealized)");
    const l = d.k.ledger();
    dec(l.unrealizedPnlUsdt, "2", "ledger unrealized");
    dec(l.equityUsdt, new D(l.capitalUsdt).plus(2).toString(), "equity");
  });

  it("L5 / spec §3.1: a missing, zero, negative or NaN wallet balance is ANCHOR_REJECTED and capital is unchanged", async () => {
    const d = await openShort();
    const before = JSON.stringify(d.k.ledger());
    for (const wb of ["0", "-5", "NaN"]) {
      const o = d.k.anchorToExchange(wb, "100", 1);
      expect(o.accepted, wb).toBe(false);
      expect(o.code).toBe("ANCHOR_REJECTED");
    }
    const o = d.account({ kind: "BALANCE" });
    expect(o.code).toBe("ANCHOR_REJECTED");
    expect(JSON.stringify(d.k.ledger())).toBe(before);
  });

  it("L7: event id \"0\" is a real id: applied once, its replay is DUPLICATE_EVENT", async () => {
    const d = await fresh();
    const sub = submitOf(d.enter(0, "t1", "SHORT", "1000", { orderType: "LIMIT", limitPrice: "0.1880" }));
    d.ack(sub);
    expectOk(d.fill(sub, "100", "0.1880", { kind: "PARTIAL_FILL", eventId: "0" }), "event 0");
    expect(d.fill(sub, "100", "0.1880", { kind: "PARTIAL_FILL", eventId: "0" }).code).toBe("DUPLICATE_EVENT");
    dec(d.slot(0).sizeQty, "100", "size");
  });

  it("M2: CANCEL is recorded as a transition (trigger CANCEL, stage unchanged)", async () => {
    const d = await fresh();
    const sub = submitOf(d.enter(0, "t1", "LONG", "1000", { orderType: "LIMIT", limitPrice: "0.1800" }));
    d.ack(sub);
    const o = d.cancel(0);
    const t = o.transitions.find((x) => x.trigger === "CANCEL");
    expect(t).toBeDefined();
    expect(t?.from).toBe("ENTRY_WORKING");
    expect(t?.to).toBe("ENTRY_WORKING");
  });

  it("M8: an ORDER_ACK with no matching order is not silently accepted; a duplicated ACK is DUPLICATE_EVENT", async () => {
    const d = await fresh();
    const sub = submitOf(d.enter(0, "t1", "LONG", "1000", { orderType: "LIMIT", limitPrice: "0.1800" }));
    const before = d.state();
    const o = d.event({ kind: "ORDER_ACK", symbol: "FET-USDT", clientOrderId: "nobody", venueOrderId: "1888888888888888888" });
    expect(o.accepted).toBe(false);
    expect(o.code).toBe("UNRESOLVED_SLOT");
    expect(d.state()).toBe(before);
    d.ack(sub, "ack-1");
    expect(d.ack(sub, "ack-1").code).toBe("DUPLICATE_EVENT");
  });

  it("M9: ORDER_REJECT for the already-filled entry order on POSITION_OPEN is STALE_EVENT and the position survives", async () => {
    const d = await fresh();
    const entry = d.open(0, "t1", "SHORT", "1000", "0.1878");
    const before = d.state();
    const o = d.reject(entry);
    expect(o.accepted).toBe(false);
    expect(o.code).toBe("STALE_EVENT");
    expect(d.state()).toBe(before);
    expect(stageOf(d)).toBe("POSITION_OPEN");
  });

  it("M13: tradeSeq counts closed trades", async () => {
    const d = await openShort();
    d.closeLeg(0, "0.1866");
    d.open(0, "t2", "LONG", "1000", "0.1866");
    expect(d.k.ledger().tradeSeq).toBe(1);
    d.closeLeg(0, "0.1870");
    expect(d.k.ledger().tradeSeq).toBe(2);
  });
});

describe("FET incident (docs/accounting.md §0, §7)", () => {
  /** The incident trade: entry fills 195,259 + 7,017 at 0.1878, exit legs 26,007 + 176,269. */
  async function fet(leverage: number, leg1Price: string) {
    const d = await fresh();
    const sub = submitOf(d.enter(0, "fet", "SHORT", "202276", { leverage, exitLegRatios: ["0.1285719", "0.8714281"] }));
    d.ack(sub);
    d.fill(sub, "195259", "0.1878", { kind: "PARTIAL_FILL" });
    d.fill(sub, "7017", "0.1878");
    dec(d.slot(0).entryPrice, "0.1878", "entry VWAP");
    const leg1 = submitOf(d.exit(0, { ratio: "0.1285719" }));
    dec(leg1.quantity, "26007", "leg 1 = floor(202,276 × 0.1285719)");
    d.ack(leg1);
    d.fill(leg1, "26007", leg1Price);
    const leg2 = submitOf(d.exitResidual(0));
    dec(leg2.quantity, "176269", "leg 2 = remaining");
    d.ack(leg2);
    d.fill(leg2, "176269", "0.1866");
    return d;
  }

  it("spec §7.1 / §7.5 / FET leverage: clean prices realize 242.7312 exactly at exchange leverage 1 and 3 alike", async () => {
    for (const lev of [1, 3]) {
      const d = await fet(lev, "0.1866");
      dec(d.k.trades()[0].realizedGrossUsdt, "242.7312", `leverage ${lev}`);
      dec(d.k.ledger().realizedPnlUsdt, "242.7312", `ledger, leverage ${lev}`);
      expect(d.slot(0).stage).toBe("CLOSED");
    }
  });

  it("spec §0 (FET leverage / bound price): a 0.229 price reaching leg 1 books qty × Δprice = −1,071.4884, never the incident's 3,214.4652", async () => {
    const d = await fet(3, "0.229");
    const legs = d.k.trades()[0].legs;
    dec(legs[0].realizedPnlUsdt, "-1071.4884", "leg 1 = 26,007 × (0.1878 − 0.229)");
    expect(new D(legs[0].realizedPnlUsdt).abs().equals("3214.4652")).toBe(false);
  });

  it("spec §0.2 / §5.2: a price-less leg 1 books 0 + realized_skipped_no_price; FILL_SETTLED repairs it once (pnlSource exchange)", async () => {
    const d = await fet(3, "0");
    const leg1 = d.k.trades()[0].legs[0];
    expect(leg1.realizedSkippedNoPrice).toBe(true);
    dec(d.k.trades()[0].realizedGrossUsdt, "211.5228", "only leg 2 = 176,269 × 0.0012");
    const settle = { kind: "FILL_SETTLED", symbol: "FET-USDT", tradeId: "fet", clientOrderId: leg1.clientOrderId, realizedPnlUsdt: "31.2084", feeUsdt: "0" };
    expectOk(d.account({ ...settle, eventId: "settle-1" }), "FILL_SETTLED");
    const t = d.k.trades()[0];
    dec(t.realizedGrossUsdt, "242.7312", "repaired");
    expect(t.pnlSource).toBe("exchange");
    dec(d.k.ledger().realizedPnlUsdt, "242.7312", "ledger settles only the increment");
    const before = d.state();
    expect(d.account({ ...settle, eventId: "settle-1" }).code).toBe("DUPLICATE_EVENT");
    expect(d.state()).toBe(before);
  });
});
