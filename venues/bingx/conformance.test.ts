/**
 * Venue conformance (venues/bingx/conformance.ts): property tests on the mock venue alone
 * (fast-check drives random order / cancel / tick / funding sequences; every venue step must obey
 * every BingX rule), and each rule FAILS on a doctored journal (no test that cannot fail). The
 * venue flaw mutant venue_reduce_only_no_clamp is caught by the reduce-only property.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_CONTRACTS } from "./contracts.js";
import { Dec } from "./dec.js";
import { CONFORMANCE_RULES, VenueConformance, type ConformanceViolation } from "./conformance.js";
import type { JournalFill, JournalOrder, VenueJournalEntry } from "./journal.js";
import { setVenueMutant, type BingxMockVenue } from "./mock-venue.js";
import { T0, call, mkVenue, openKey, place } from "./test-util.js";

const CONTRACTS = [...DEFAULT_CONTRACTS];
const FUNDING_US = 28_800_000_000;

afterEach(() => setVenueMutant(null));

/** A venue with a conformance checker fed after every call, like the runtime does. */
function checked(seed: string) {
  const v = mkVenue({}, seed);
  const c = new VenueConformance({ contracts: CONTRACTS, initialBalanceUsdt: "100000" });
  const found: ConformanceViolation[] = [];
  const step = () => found.push(...c.observe(v.drainJournal()));
  return { v, c, found, step };
}

type Op =
  | { k: "order"; sym: "FET-USDT" | "BTC-USDT"; side: "BUY" | "SELL"; type: "MARKET" | "LIMIT"; tif: "GTC" | "IOC" | "FOK" | "PostOnly"; qtyScale: number; offBps: number; reduceOnly: boolean }
  | { k: "cancel"; pick: number }
  | { k: "tick"; sym: "FET-USDT" | "BTC-USDT"; moveBps: number }
  | { k: "wait"; us: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    k: fc.constant("order" as const), sym: fc.constantFrom("FET-USDT" as const, "BTC-USDT" as const), side: fc.constantFrom("BUY" as const, "SELL" as const),
    type: fc.constantFrom("MARKET" as const, "LIMIT" as const), tif: fc.constantFrom("GTC" as const, "IOC" as const, "FOK" as const, "PostOnly" as const),
    qtyScale: fc.integer({ min: 1, max: 400 }), offBps: fc.integer({ min: -80, max: 80 }), reduceOnly: fc.boolean(),
  }),
  fc.record({ k: fc.constant("cancel" as const), pick: fc.nat(50) }),
  fc.record({ k: fc.constant("tick" as const), sym: fc.constantFrom("FET-USDT" as const, "BTC-USDT" as const), moveBps: fc.integer({ min: -60, max: 60 }) }),
  fc.record({ k: fc.constant("wait" as const), us: fc.integer({ min: 1_000_000, max: 3 * 3_600_000_000 }) }),
);

/** Apply random operations to a venue, checking conformance after each call. */
const seen = { fill: 0, funding: 0, status: 0, reduceOnlyFill: 0 };
function drive(ops: Op[], seed: string): ConformanceViolation[] {
  const { v, c, found } = checked(seed);
  const step = () => {
    const j = v.drainJournal();
    for (const e of j) {
      if (e.kind === "fill" || e.kind === "funding" || e.kind === "status") seen[e.kind]++;
      if (e.kind === "fill" && e.reduceOnly) seen.reduceOnlyFill++;
    }
    found.push(...c.observe(j));
  };
  let now = T0;
  const price = { "FET-USDT": 0.1878, "BTC-USDT": 60000 };
  const ids: string[] = [];
  openKey(v, now);
  v.onMarketTick({ tsUs: now, symbol: "FET-USDT", priceUsdt: "0.1878" });
  v.onMarketTick({ tsUs: now, symbol: "BTC-USDT", priceUsdt: "60000.0" });
  step();
  for (const op of ops) {
    now += 250_000;
    if (op.k === "tick") {
      price[op.sym] = Math.max(price[op.sym] * (1 + op.moveBps / 10_000), 0.01);
      v.onMarketTick({ tsUs: now, symbol: op.sym, priceUsdt: price[op.sym].toFixed(op.sym === "FET-USDT" ? 4 : 1) });
    } else if (op.k === "wait") {
      now += op.us;
      v.advanceTo(now);
    } else if (op.k === "cancel") {
      if (ids.length > 0) call(v, "DELETE", "/openApi/swap/v2/trade/order", { symbol: ids[op.pick % ids.length]!.split("|")[0]!, orderId: ids[op.pick % ids.length]!.split("|")[1]! }, now);
    } else {
      const qty = op.sym === "FET-USDT" ? String(op.qtyScale * 500) : (op.qtyScale / 1000).toFixed(4);
      const p: Record<string, string> = { symbol: op.sym, side: op.side, type: op.type, quantity: qty, reduceOnly: String(op.reduceOnly) };
      if (op.type === "LIMIT") {
        p.price = (price[op.sym] * (1 + op.offBps / 10_000)).toFixed(op.sym === "FET-USDT" ? 4 : 1);
        p.timeInForce = op.tif;
      }
      const r = place(v, now, p);
      if (r.code === 0) ids.push(`${op.sym}|${String(r.data.order.orderId.value ?? r.data.order.orderId)}`);
    }
    step();
  }
  return found;
}

describe("venue conformance: properties of the mock venue alone (fast-check)", () => {
  it("every venue step of random orders, cancels, ticks and funding obeys every BingX rule (docs/bingx-protocol.md §4, §8-§10)", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 5, maxLength: 60 }), fc.integer({ min: 1, max: 1_000_000 }), (ops, seed) => {
        const found = drive(ops, `conf-${seed}`);
        expect(found, JSON.stringify(found.slice(0, 3))).toEqual([]);
      }),
      { numRuns: 60, seed: 12 },
    );
    // The generated sequences really trade: fills (reduce-only ones too), status changes, funding.
    expect(seen.fill).toBeGreaterThan(50);
    expect(seen.reduceOnlyFill).toBeGreaterThan(0);
    expect(seen.status).toBeGreaterThan(50);
    expect(seen.funding).toBeGreaterThan(0);
  });

  it("the checker really sees fills and funding: a long held across 08:00 UTC journals both and conforms", () => {
    const { v, c, found, step } = checked("funding");
    const t = T0 + FUNDING_US - 60_000_000;
    openKey(v, t);
    v.onMarketTick({ tsUs: t, symbol: "FET-USDT", priceUsdt: "0.1878" });
    place(v, t, { symbol: "FET-USDT", side: "BUY", type: "MARKET", quantity: "100000" });
    step();
    const j: VenueJournalEntry[] = [];
    v.advanceTo(T0 + FUNDING_US + 1);
    j.push(...v.drainJournal());
    found.push(...c.observe(j));
    expect(j.map((e) => e.kind)).toEqual(["funding"]);
    expect(found).toEqual([]);
    expect(c.entries).toBeGreaterThanOrEqual(4); // order, ≥ 1 fill, FILLED, funding
  });

  it("mutant venue_reduce_only_no_clamp: a reduce-only SELL larger than the long is filled whole and flips it — the reduce-only property fails", () => {
    setVenueMutant("venue_reduce_only_no_clamp");
    const { v, found, step } = checked("flip");
    openKey(v, T0);
    v.onMarketTick({ tsUs: T0, symbol: "FET-USDT", priceUsdt: "0.1878" });
    place(v, T0, { symbol: "FET-USDT", side: "BUY", type: "MARKET", quantity: "1000" });
    step();
    const r = place(v, T0 + 1, { symbol: "FET-USDT", side: "SELL", type: "MARKET", quantity: "1500", reduceOnly: "true" });
    expect(r.code).toBe(0);
    step();
    expect(v.positions()["FET-USDT"]).toBe("-500");
    expect(found.map((f) => f.rule)).toContain("reduce-only");
    expect(found.find((f) => f.rule === "reduce-only")!.detail).toMatch(/flipped through zero/);
  });

  it("without the mutant the same reduce-only SELL is refused with 101290 and the position stays long", () => {
    const { v, found, step } = checked("flip");
    openKey(v, T0);
    v.onMarketTick({ tsUs: T0, symbol: "FET-USDT", priceUsdt: "0.1878" });
    place(v, T0, { symbol: "FET-USDT", side: "BUY", type: "MARKET", quantity: "1000" });
    const r = place(v, T0 + 1, { symbol: "FET-USDT", side: "SELL", type: "MARKET", quantity: "1500", reduceOnly: "true" });
    step();
    expect(r.code).toBe(101290);
    expect(v.positions()["FET-USDT"]).toBe("1000");
    expect(found).toEqual([]);
  });
});

// ───────────────────────────── each rule can fail ─────────────────────────────

const O = (over: Partial<JournalOrder> = {}): JournalOrder => ({
  kind: "order", tUs: T0, orderId: "1", clientOrderId: "c1", symbol: "FET-USDT", side: "BUY", positionSide: "BOTH", type: "MARKET", tif: "GTC",
  reduceOnly: false, origQty: "1000", limitPrice: "0", markPrice: "0.2", status: "NEW", ...over,
});
const F = (over: Partial<JournalFill> = {}): JournalFill => ({
  kind: "fill", tUs: T0, orderId: "1", clientOrderId: "c1", symbol: "FET-USDT", side: "BUY", positionSide: "BOTH", orderType: "MARKET", tif: "GTC", reduceOnly: false,
  limitPrice: "0", origQty: "1000", maker: false, qty: "1000", price: "0.2", feeRate: "0.0005", feeUsdt: "0.1", realizedUsdt: "0", realizedExactUsdt: "0",
  positionBeforeQty: "0", entryBeforePrice: "0", positionAfterQty: "1000", entryAfterPrice: "0.2", executedQty: "1000", markPrice: "0.2", walletAfterUsdt: "99999.9", ...over,
});
const filled = { kind: "status" as const, tUs: T0, orderId: "1", symbol: "FET-USDT", from: "NEW" as const, to: "FILLED" as const };

function rulesOf(...steps: VenueJournalEntry[][]): string[] {
  const c = new VenueConformance({ contracts: CONTRACTS, initialBalanceUsdt: "100000" });
  return steps.flatMap((s) => c.observe(s)).map((x) => x.rule);
}

describe("venue conformance: each rule fails on a doctored journal", () => {
  it("a consistent step conforms", () => {
    expect(rulesOf([O(), F(), filled])).toEqual([]);
  });
  it("order-precision / fill-precision: quantities off the step, prices off the tick", () => {
    expect(rulesOf([O({ origQty: "1000.5" })])).toContain("order-precision");
    expect(rulesOf([O(), F({ price: "0.20001" })])).toContain("fill-precision");
  });
  it("fill-within-order: fills beyond the order quantity", () => {
    expect(rulesOf([O(), F({ qty: "1200", executedQty: "1200", positionAfterQty: "1200", feeUsdt: "0.12", walletAfterUsdt: "99999.88" })])).toContain("fill-within-order");
  });
  it("fill-known-order: a fill of an order the venue never accepted", () => {
    expect(rulesOf([F()])).toContain("fill-known-order");
  });
  it("reduce-only: a reduce-only fill that flips the position", () => {
    const long = [O(), F(), filled];
    const sell = O({ orderId: "2", clientOrderId: "c2", side: "SELL", reduceOnly: true, origQty: "1500" });
    const flip = F({ orderId: "2", clientOrderId: "c2", side: "SELL", reduceOnly: true, origQty: "1500", qty: "1500", executedQty: "1500", positionBeforeQty: "1000", positionAfterQty: "-500", entryBeforePrice: "0.2", entryAfterPrice: "0.2", feeUsdt: "0.15", walletAfterUsdt: "99999.75" });
    expect(rulesOf(long, [sell, flip])).toContain("reduce-only");
  });
  it("position-arithmetic and entry-price: a fill whose position or entry does not add up", () => {
    expect(rulesOf([O(), F({ positionAfterQty: "900" }), filled])).toContain("position-arithmetic");
    expect(rulesOf([O(), F({ entryAfterPrice: "0.21" }), filled])).toContain("entry-price");
  });
  it("fee: a fee not equal to qty × price × rate rounded half-up to 8 dp (taker; maker rate for a resting fill)", () => {
    expect(rulesOf([O(), F({ feeUsdt: "0.04", walletAfterUsdt: "99999.96" }), filled])).toContain("fee");
  });
  it("realized: a closing fill whose rp is not closed qty × (price − entry)", () => {
    const sell = O({ orderId: "2", clientOrderId: "c2", side: "SELL" });
    const close = F({ orderId: "2", clientOrderId: "c2", side: "SELL", price: "0.21", positionBeforeQty: "1000", positionAfterQty: "0", entryBeforePrice: "0.2", entryAfterPrice: "0", feeUsdt: "0.105", realizedUsdt: "12", walletAfterUsdt: "100011.795" });
    expect(rulesOf([O(), F(), filled], [sell, close])).toContain("realized");
  });
  it("limit-price: a resting LIMIT filled off its limit price", () => {
    const lim = O({ type: "LIMIT", limitPrice: "0.19" });
    expect(rulesOf([lim], [F({ orderType: "LIMIT", limitPrice: "0.19", maker: true, price: "0.2", feeUsdt: "0.04", walletAfterUsdt: "99999.96" })])).toContain("limit-price");
  });
  it("status-edges: a terminal order that changes status, and FILLED with quantity left", () => {
    expect(rulesOf([O(), F(), filled], [{ ...filled, from: "FILLED", to: "CANCELLED" }])).toContain("status-edges");
    expect(rulesOf([O(), { ...filled }])).toContain("status-edges");
  });
  it("no-resting-taker: a MARKET order still NEW at the end of the step that placed it", () => {
    expect(rulesOf([O()])).toContain("no-resting-taker");
  });
  it("wallet: a wallet that moves by other than realized − fee", () => {
    expect(rulesOf([O(), F({ walletAfterUsdt: "99999.8" }), filled])).toContain("wallet");
  });
  it("funding: a payment off the 00/08/16 UTC grid, or with the wrong sign", () => {
    const pay = { kind: "funding" as const, tUs: T0 + FUNDING_US, symbol: "FET-USDT", positionSide: "BOTH" as const, positionQty: "1000", markPrice: "0.2", rate: "0.0001", amountUsdt: "-0.02", walletAfterUsdt: "99999.88" };
    expect(rulesOf([O(), F(), filled], [pay])).toEqual([]);
    expect(rulesOf([O(), F(), filled], [{ ...pay, tUs: pay.tUs + 1 }])).toContain("funding");
    expect(rulesOf([O(), F(), filled], [{ ...pay, amountUsdt: "0.02", walletAfterUsdt: "99999.92" }])).toContain("funding");
  });
  it("every rule id is stated with its property and its docs/ source", () => {
    for (const r of CONFORMANCE_RULES) expect(r.source).toMatch(/docs\/|DESIGN/);
    expect(new Set(CONFORMANCE_RULES.map((r) => r.id)).size).toBe(CONFORMANCE_RULES.length);
  });

  it("a fill figure written another way (trailing zeros) is the same figure; a wallet one unit of 8 dp off is a violation (docs/bingx-protocol.md §9)", () => {
    const v = mkVenue({}, "equal-texts");
    openKey(v, T0);
    v.onMarketTick({ tsUs: T0, symbol: "FET-USDT", priceUsdt: "0.1878" });
    expect(place(v, T0, { symbol: "FET-USDT", side: "BUY", type: "MARKET", quantity: "60000", positionSide: "BOTH", reduceOnly: "false" }).code).toBe(0);
    v.onMarketTick({ tsUs: T0 + 1000, symbol: "FET-USDT", priceUsdt: "0.19" });
    expect(place(v, T0 + 1000, { symbol: "FET-USDT", side: "SELL", type: "MARKET", quantity: "20000", positionSide: "BOTH", reduceOnly: "true" }).code).toBe(0);
    const journal = v.drainJournal();
    const fills = journal.filter((e): e is JournalFill => e.kind === "fill");
    expect(fills.length).toBeGreaterThan(1);
    expect(fills.some((f) => f.realizedUsdt !== "0")).toBe(true);
    const pad = (t: string) => (t.includes(".") ? `${t}00` : `${t}.000`);
    const rewrite = (f: (e: JournalFill) => Partial<JournalFill>) => journal.map((e) => (e.kind === "fill" ? { ...e, ...f(e) } : e));
    const fresh = () => new VenueConformance({ contracts: CONTRACTS, initialBalanceUsdt: "100000" });
    expect(fresh().observe(journal)).toEqual([]);
    const padded = rewrite((e) => ({
      executedQty: pad(e.executedQty), positionBeforeQty: pad(e.positionBeforeQty), positionAfterQty: pad(e.positionAfterQty), entryBeforePrice: pad(e.entryBeforePrice),
      entryAfterPrice: pad(e.entryAfterPrice), realizedUsdt: pad(e.realizedUsdt), feeUsdt: pad(e.feeUsdt), walletAfterUsdt: pad(e.walletAfterUsdt),
    }));
    expect(fresh().observe(padded)).toEqual([]);
    const last = fills[fills.length - 1]!;
    const off = journal.map((e) => (e === last ? { ...last, walletAfterUsdt: new Dec(last.walletAfterUsdt).plus("0.00000001").toFixed() } : e));
    expect(fresh().observe(off).map((x) => x.rule)).toEqual(["wallet"]);
    const malformed = journal.map((e) => (e === last ? { ...last, feeUsdt: "1,5" } : e));
    expect(() => fresh().observe(malformed)).toThrow(/field feeUsdt is not a decimal/);
  });
});

export type { BingxMockVenue };
