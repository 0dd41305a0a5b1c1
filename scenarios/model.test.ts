/**
 * Model-based test (fast-check `fc.commands` + `fc.modelRun`): a small TypeScript reference model
 * of slot stages, sizes, realized PnL, fees and the ledger (decimal.js, exact) runs side by side
 * with the real WASM kernel. Every command is applied to both, then stages, sizes, realized,
 * fees, capital and tradeSeq must agree exactly; shrinking yields the minimal command sequence.
 *
 * Interleaving across slots: every command names its slot, and fast-check draws the sequence, so
 * events of slot 0 and slot 1 interleave in every order the seed produces (our own seeded
 * interleaving; the kernel is synchronous, so fc.scheduler's promise scheduling adds nothing).
 *
 * Replay a failure: the report prints `seed` and `path`; run
 *   DITA_MODEL_SEED=<seed> DITA_MODEL_PATH=<path> npx vitest run scenarios/model.test.ts
 * Budget: DITA_MODEL_RUNS (default 200 sequences of up to 80 commands).
 *
 * Model simplifications (documented, so the model never guesses where the contract is silent):
 * - one entry price per trade (entry VWAP stays exact; multi-price VWAP is tested exactly in
 *   kernel-flaws.test.ts E10); cumulative exit fills only while the order's fills share one price;
 * - after an exit CANCEL_ACK / ORDER_REJECT the next-leg index is re-read from the kernel (the
 *   contract does not say whether a partly filled leg counts as consumed); everything else is
 *   predicted, not read back.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Outcome, VenueEvent } from "../kernel/types.js";
import { D, type KernelApi, FET_SPEC, config, kernelModule, submitOf, cancelOf } from "./kernel-harness.js";

const SLOTS = 2;
/** The CI seed (the FET incident date). */
const DEFAULT_SEED = 20260611;
const TAKER = new D("0.0005");
const RATIO_SETS: string[][] = [["1"], ["0.5", "0.5"], ["0.25", "0.25", "0.5"]];
const REFUSALS = new Set(["INVALID_INTENT", "INVALID_EVENT", "INVALID_SLOT", "SLOT_BUSY", "DUPLICATE_TRADE_ID", "NO_ACTIVE_ORDER", "NO_POSITION", "ZERO_SIZE_EXIT", "INVALID_TRANSITION", "DUPLICATE_EVENT", "UNRESOLVED_SLOT", "STALE_EVENT", "STALE_STATE", "ANCHOR_REJECTED", "INVALID_STATE", "DISPOSED", "INTERNAL"]);

interface MOrder {
  purpose: "ENTRY" | "EXIT";
  cid: string;
  qty: D;
  filled: D;
  notional: D;
  fees: D;
  realized: D;
  acked: boolean;
  cancelRequested: boolean;
  /** Realized and fee of each fill, in order (FILL_SETTLED settles one fill: rp + n). */
  fills: { realized: D; fee: D }[];
  /** How many of `fills` have been sent as FILL_SETTLED. */
  settled: number;
  /** The single price of all fills so far, or null once prices differ. */
  uniformPx: D | null | undefined;
}
interface MSlot {
  stage: string;
  tradeId: string;
  side: 1 | -1;
  entryPx: D;
  size: D;
  initial: D;
  realized: D;
  fees: D;
  ratios: D[];
  legIndex: number;
  order?: MOrder;
  legs: MOrder[];
  lastEvent?: VenueEvent;
}
interface Model {
  slots: MSlot[];
  capital: D;
  realized: D;
  fees: D;
  tradeSeq: number;
  trades: number;
  events: number;
  mark?: D;
}
interface Real {
  k: KernelApi;
  tUs: number;
}

function emptySlot(): MSlot {
  return { stage: "IDLE", tradeId: "", side: 1, entryPx: new D(0), size: new D(0), initial: new D(0), realized: new D(0), fees: new D(0), ratios: [new D(1)], legIndex: 0, legs: [] };
}
function freshModel(): Model {
  return { slots: Array.from({ length: SLOTS }, emptySlot), capital: new D("100000"), realized: new D(0), fees: new D(0), tradeSeq: 0, trades: 0, events: 0 };
}
function vid(cid: string): string {
  let h = 0n;
  for (const ch of cid) h = (h * 131n + BigInt(ch.charCodeAt(0))) % 1_000_000_000_000_000n;
  return (1_800_000_000_000_000_000n + h).toString();
}
function next(r: Real): number {
  r.tUs += 1000;
  return r.tUs;
}
function state(r: Real): string {
  return JSON.stringify(r.k.snapshot());
}
function eq(actual: string, expected: D, what: string): void {
  expect(new D(actual).toString(), what).toBe(expected.toString());
}
function checkOutcome(o: Outcome): void {
  if (o.code.startsWith("INVALID_") || o.code === "DISPOSED" || o.code === "INTERNAL") expect(o.accepted, `L1: ${o.code} must not be accepted`).toBe(false);
  if (o.accepted) expect(REFUSALS.has(o.code) && o.code !== "DUPLICATE_EVENT", `L1: accepted with refusal code ${o.code}`).toBe(false);
  expect(o.code, `INTERNAL: ${o.message}`).not.toBe("INTERNAL");
}
/** Compare every slot and the ledger with the model. */
function agree(m: Model, r: Real): void {
  for (let i = 0; i < SLOTS; i++) {
    const s = r.k.slot(i);
    const ms = m.slots[i];
    expect(s.stage, `slot ${i} stage`).toBe(ms.stage);
    eq(s.sizeQty, ms.size, `slot ${i} size`);
    expect(new D(s.sizeQty).gte(0) && new D(s.sizeQty).lte(s.initialSizeQty), `slot ${i}: 0 <= size <= initial (invariant 7)`).toBe(true);
    if (ms.stage !== "IDLE") {
      eq(s.initialSizeQty, ms.initial, `slot ${i} initial size`);
      eq(s.realizedPnlUsdt, ms.realized, `slot ${i} realized`);
      eq(s.feesUsdt, ms.fees, `slot ${i} fees`);
      expect(s.tradeId, `slot ${i} trade id`).toBe(ms.tradeId);
    }
  }
  const l = r.k.ledger();
  eq(l.realizedPnlUsdt, m.realized, "ledger realized (no double settlement, invariant 4)");
  eq(l.feesPaidUsdt, m.fees, "ledger fees");
  eq(l.capitalUsdt, m.capital, "ledger capital");
  expect(l.tradeSeq, "tradeSeq").toBe(m.tradeSeq);
}

type Cmd = fc.Command<Model, Real>;

/** How often each command actually ran (not just was generated): guards against a vacuous run. */
const ran = new Map<string, number>();
function count(c: object): void {
  const n = c.constructor.name;
  ran.set(n, (ran.get(n) ?? 0) + 1);
}

class Enter implements Cmd {
  constructor(readonly slot: number, readonly side: 1 | -1, readonly qty: number, readonly px: number, readonly ratios: number, readonly limit: boolean) {}
  check(m: Model) {
    return m.slots[this.slot].stage === "IDLE" || m.slots[this.slot].stage === "CLOSED";
  }
  run(m: Model, r: Real) {
    count(this);
    m.trades += 1;
    const tradeId = `m${m.trades}`;
    const px = new D(this.px).div(10000);
    const o = r.k.processIntent({
      kind: "ENTER", intentId: `i-${tradeId}`, tsUs: next(r), slotId: this.slot, tradeId, symbol: "FET-USDT",
      side: this.side === 1 ? "LONG" : "SHORT", quantity: String(this.qty), leverage: 3, exitLegRatios: RATIO_SETS[this.ratios],
      ...(this.limit ? { orderType: "LIMIT", limitPrice: px.toFixed(4) } : { orderType: "MARKET" }),
    });
    checkOutcome(o);
    expect(o.accepted, `${o.code} ${o.message}`).toBe(true);
    const sub = submitOf(o);
    expect(sub.side).toBe(this.side === 1 ? "BUY" : "SELL");
    expect(sub.reduceOnly).toBe(false);
    eq(sub.quantity, new D(this.qty), "entry quantity");
    expect(o.transitions[0]?.from, "M1: true previous stage").toBe(m.slots[this.slot].stage);
    m.slots[this.slot] = {
      ...emptySlot(), stage: "ORDER_REQUESTED", tradeId, side: this.side, entryPx: px, ratios: RATIO_SETS[this.ratios].map((x) => new D(x)),
      order: { purpose: "ENTRY", cid: sub.clientOrderId, qty: new D(this.qty), filled: new D(0), notional: new D(0), fees: new D(0), realized: new D(0), acked: false, cancelRequested: false, fills: [], settled: 0, uniformPx: undefined },
    };
    agree(m, r);
  }
  toString() {
    return `Enter(s${this.slot},${this.side === 1 ? "LONG" : "SHORT"},${this.qty}@${this.px},r${this.ratios}${this.limit ? ",LIMIT" : ""})`;
  }
}

class EnterBusy implements Cmd {
  constructor(readonly slot: number) {}
  check(m: Model) {
    return !["IDLE", "CLOSED", "STALE_STATE_RECONCILING"].includes(m.slots[this.slot].stage);
  }
  run(m: Model, r: Real) {
    count(this);
    const before = state(r);
    const o = r.k.processIntent({ kind: "ENTER", intentId: `busy-${r.tUs}`, tsUs: next(r), slotId: this.slot, tradeId: "busy", symbol: "FET-USDT", side: "LONG", quantity: "10", orderType: "MARKET", leverage: 3 });
    checkOutcome(o);
    expect(o.code).toBe("SLOT_BUSY");
    expect(state(r)).toBe(before);
  }
  toString() {
    return `EnterBusy(s${this.slot})`;
  }
}

class Exit implements Cmd {
  constructor(readonly slot: number, readonly residual: boolean) {}
  check(m: Model) {
    const s = m.slots[this.slot];
    return s.stage === "POSITION_OPEN" && s.size.gt(0);
  }
  run(m: Model, r: Real) {
    count(this);
    const s = m.slots[this.slot];
    const last = this.residual || s.legIndex >= s.ratios.length - 1;
    const qty = last ? s.size : s.size.mul(s.ratios[s.legIndex]).floor();
    const before = state(r);
    const o = r.k.processIntent({ kind: this.residual ? "EXIT_RESIDUAL" : "EXIT", intentId: `x-${r.tUs}`, tsUs: next(r), slotId: this.slot, orderType: "MARKET" });
    checkOutcome(o);
    if (qty.isZero()) {
      expect(o.code, "I2").toBe("ZERO_SIZE_EXIT");
      expect(state(r)).toBe(before);
      return;
    }
    expect(o.accepted, `${o.code} ${o.message}`).toBe(true);
    const sub = submitOf(o);
    eq(sub.quantity, qty, `A1: exit leg ${s.legIndex} quantity (remaining ${s.size})`);
    expect(new D(sub.quantity).lte(s.size), "A1: leg never above the remaining size").toBe(true);
    expect(sub.reduceOnly).toBe(true);
    expect(sub.side).toBe(s.side === 1 ? "SELL" : "BUY");
    s.stage = "EXIT_REQUESTED";
    s.order = { purpose: "EXIT", cid: sub.clientOrderId, qty, filled: new D(0), notional: new D(0), fees: new D(0), realized: new D(0), acked: false, cancelRequested: false, fills: [], settled: 0, uniformPx: undefined };
    agree(m, r);
  }
  toString() {
    return `${this.residual ? "ExitResidual" : "Exit"}(s${this.slot})`;
  }
}

class Cancel implements Cmd {
  constructor(readonly slot: number) {}
  check(m: Model) {
    return m.slots[this.slot].stage !== "STALE_STATE_RECONCILING";
  }
  run(m: Model, r: Real) {
    count(this);
    const s = m.slots[this.slot];
    const before = state(r);
    const o = r.k.processIntent({ kind: "CANCEL", intentId: `c-${r.tUs}`, tsUs: next(r), slotId: this.slot });
    checkOutcome(o);
    if (!s.order) {
      expect(o.code, "A2: nothing to cancel").toBe("NO_ACTIVE_ORDER");
      expect(state(r)).toBe(before);
      return;
    }
    expect(o.accepted, `Flaw 1: ${o.code} ${o.message}`).toBe(true);
    const c = cancelOf(o);
    expect(c.clientOrderId, "Flaw 1: cancels the slot's working order").toBe(s.order.cid);
    expect(c.symbol).toBe("FET-USDT");
    expect(r.k.slot(this.slot).stage, "stage unchanged until CANCEL_ACK").toBe(s.stage);
    s.order.cancelRequested = true;
    agree(m, r);
  }
  toString() {
    return `Cancel(s${this.slot})`;
  }
}

/** The slot's order has a cancel request in flight that the venue has not answered (CancelAck / CancelReject may run). */
function cancelAwaitingAnswer(m: Model, slot: number): boolean {
  const o = m.slots[slot].order;
  return !!o && o.cancelRequested && m.slots[slot].stage !== "STALE_STATE_RECONCILING";
}

function send(m: Model, r: Real, slot: number, ev: Omit<VenueEvent, "eventId" | "tsUs">): Outcome {
  m.events += 1;
  const full = { eventId: `e${m.events}`, tsUs: next(r), ...ev } as VenueEvent;
  m.slots[slot].lastEvent = full;
  const o = r.k.onVenueEvent(full);
  checkOutcome(o);
  return o;
}
function ids(o: MOrder) {
  return { symbol: "FET-USDT", clientOrderId: o.cid, venueOrderId: vid(o.cid) };
}

class Ack implements Cmd {
  constructor(readonly slot: number) {}
  check(m: Model) {
    const o = m.slots[this.slot].order;
    return !!o && !o.acked && m.slots[this.slot].stage !== "STALE_STATE_RECONCILING";
  }
  run(m: Model, r: Real) {
    count(this);
    const s = m.slots[this.slot];
    const o = send(m, r, this.slot, { kind: "ORDER_ACK", ...ids(s.order!) });
    expect(o.accepted, `${o.code} ${o.message}`).toBe(true);
    s.order!.acked = true;
    if (s.stage === "ORDER_REQUESTED") s.stage = "ENTRY_WORKING";
    if (s.stage === "EXIT_REQUESTED") s.stage = "EXIT_WORKING";
    agree(m, r);
  }
  toString() {
    return `Ack(s${this.slot})`;
  }
}

class Fill implements Cmd {
  constructor(readonly slot: number, readonly fraction: number, readonly px: number, readonly cumulative: boolean) {}
  check(m: Model) {
    const o = m.slots[this.slot].order;
    return !!o && o.filled.lt(o.qty) && m.slots[this.slot].stage !== "STALE_STATE_RECONCILING";
  }
  run(m: Model, r: Real) {
    count(this);
    const s = m.slots[this.slot];
    const ord = s.order!;
    const remaining = ord.qty.minus(ord.filled);
    const q = D.max(1, remaining.mul(this.fraction).floor());
    const full = q.eq(remaining);
    let px = ord.purpose === "ENTRY" ? s.entryPx : new D(this.px).div(10000);
    const cumulative = this.cumulative && (ord.uniformPx === undefined || (ord.uniformPx !== null && ord.uniformPx.eq(px)));
    const fee = q.mul(px).mul(TAKER);
    const o = send(m, r, this.slot, {
      kind: full ? "FULL_FILL" : "PARTIAL_FILL", ...ids(ord),
      fillQty: (cumulative ? ord.filled.plus(q) : q).toString(), quantityMode: cumulative ? "CUMULATIVE" : "INCREMENTAL",
      fillPrice: px.toFixed(4), feeUsdt: fee.toString(), feeMode: "INCREMENTAL",
    });
    expect(o.accepted, `${o.code} ${o.message}`).toBe(true);
    ord.uniformPx = ord.uniformPx === undefined ? px : ord.uniformPx !== null && ord.uniformPx.eq(px) ? px : null;
    ord.filled = ord.filled.plus(q);
    ord.notional = ord.notional.plus(q.mul(px));
    ord.fees = ord.fees.plus(fee);
    s.fees = s.fees.plus(fee);
    m.fees = m.fees.plus(fee);
    m.capital = m.capital.minus(fee);
    if (ord.purpose === "ENTRY") {
      s.size = s.size.plus(q);
      s.initial = s.initial.plus(q);
      if (full) {
        s.stage = "POSITION_OPEN";
        s.order = undefined;
      } else if (s.stage === "ORDER_REQUESTED") s.stage = "ENTRY_WORKING";
    } else {
      const pnl = q.mul(px.minus(s.entryPx)).mul(s.side);
      ord.realized = ord.realized.plus(pnl);
      ord.fills.push({ realized: pnl, fee });
      s.size = s.size.minus(q);
      s.realized = s.realized.plus(pnl);
      m.realized = m.realized.plus(pnl);
      m.capital = m.capital.plus(pnl);
      if (full) {
        s.legs.push(ord);
        s.order = undefined;
        s.legIndex += 1;
        if (s.size.isZero()) {
          s.stage = "CLOSED";
          m.tradeSeq += 1;
        } else s.stage = "POSITION_OPEN";
      } else if (s.stage === "EXIT_REQUESTED") s.stage = "EXIT_WORKING";
    }
    agree(m, r);
  }
  toString() {
    return `Fill(s${this.slot},${this.fraction.toFixed(2)},@${this.px}${this.cumulative ? ",cum" : ""})`;
  }
}

class Duplicate implements Cmd {
  constructor(readonly slot: number) {}
  check(m: Model) {
    return !!m.slots[this.slot].lastEvent;
  }
  run(m: Model, r: Real) {
    count(this);
    const before = state(r);
    const o = r.k.onVenueEvent(m.slots[this.slot].lastEvent!);
    checkOutcome(o);
    expect(o.accepted, `Flaw 10 / I10: duplicate ${o.code}`).toBe(false);
    expect(["DUPLICATE_EVENT", "STALE_EVENT", "UNRESOLVED_SLOT"]).toContain(o.code);
    expect(state(r), "invariant 9: a duplicate changes nothing").toBe(before);
  }
  toString() {
    return `Duplicate(s${this.slot})`;
  }
}

class CancelAck implements Cmd {
  constructor(readonly slot: number) {}
  check(m: Model) {
    return cancelAwaitingAnswer(m, this.slot);
  }
  run(m: Model, r: Real) {
    count(this);
    const s = m.slots[this.slot];
    const ord = s.order!;
    const o = send(m, r, this.slot, { kind: "CANCEL_ACK", ...ids(ord) });
    expect(o.accepted, `Flaw 2: ${o.code} ${o.message}`).toBe(true);
    if (ord.purpose === "ENTRY") s.stage = ord.filled.gt(0) ? "POSITION_OPEN" : "IDLE";
    else {
      if (ord.filled.gt(0)) s.legs.push(ord);
      s.stage = s.size.isZero() ? "CLOSED" : "POSITION_OPEN";
      if (s.size.isZero()) m.tradeSeq += 1;
      s.legIndex = r.k.slot(this.slot).exitLegIndex;
    }
    s.order = undefined;
    agree(m, r);
  }
  toString() {
    return `CancelAck(s${this.slot})`;
  }
}

class CancelReject implements Cmd {
  constructor(readonly slot: number) {}
  check(m: Model) {
    return cancelAwaitingAnswer(m, this.slot);
  }
  run(m: Model, r: Real) {
    count(this);
    const s = m.slots[this.slot];
    const o = send(m, r, this.slot, { kind: "CANCEL_REJECT", ...ids(s.order!), venueCode: 109414 });
    expect(o.code, "I15 / E17").toBe("VENUE_REJECTED");
    s.order!.cancelRequested = false;
    agree(m, r);
  }
  toString() {
    return `CancelReject(s${this.slot})`;
  }
}

class Reject implements Cmd {
  constructor(readonly slot: number) {}
  check(m: Model) {
    const o = m.slots[this.slot].order;
    return !!o && o.filled.isZero() && m.slots[this.slot].stage !== "STALE_STATE_RECONCILING";
  }
  run(m: Model, r: Real) {
    count(this);
    const s = m.slots[this.slot];
    const ord = s.order!;
    const o = send(m, r, this.slot, { kind: "ORDER_REJECT", ...ids(ord), venueCode: 101400 });
    expect(o.code, "I5").toBe("VENUE_REJECTED");
    s.stage = ord.purpose === "ENTRY" ? "IDLE" : "POSITION_OPEN";
    s.order = undefined;
    if (ord.purpose === "EXIT") s.legIndex = r.k.slot(this.slot).exitLegIndex;
    agree(m, r);
  }
  toString() {
    return `Reject(s${this.slot})`;
  }
}

class Mark implements Cmd {
  constructor(readonly px: number) {}
  check() {
    return true;
  }
  run(m: Model, r: Real) {
    count(this);
    const mark = new D(this.px).div(10000);
    const o = r.k.markPrice({ tsUs: next(r), symbol: "FET-USDT", markPrice: mark.toFixed(4) });
    checkOutcome(o);
    m.mark = mark;
    let total = new D(0);
    for (let i = 0; i < SLOTS; i++) {
      const s = m.slots[i];
      const u = s.stage === "IDLE" || s.initial.isZero() ? new D(0) : s.size.mul(mark.minus(s.entryPx)).mul(s.side);
      eq(r.k.slot(i).unrealizedPnlUsdt, u, `slot ${i} unrealized (A4, J4: leverage-free)`);
      total = total.plus(u);
    }
    const l = r.k.ledger();
    eq(l.unrealizedPnlUsdt, total, "ledger unrealized (J2)");
    eq(l.equityUsdt, new D(l.capitalUsdt).plus(total), "equity = capital + Σ unrealized");
    agree(m, r);
  }
  toString() {
    return `Mark(${this.px})`;
  }
}

class Anchor implements Cmd {
  constructor(readonly cents: number) {}
  check() {
    return true;
  }
  run(m: Model, r: Real) {
    count(this);
    const wb = new D(this.cents).div(100);
    const o = r.k.anchorToExchange(wb.toFixed(2), wb.div(2).toFixed(2), m.events + 1);
    checkOutcome(o);
    expect(o.accepted, `${o.code} ${o.message}`).toBe(true);
    m.capital = wb;
    expect(r.k.ledger().capitalSource).toBe("e_anchored");
    agree(m, r);
  }
  toString() {
    return `Anchor(${this.cents})`;
  }
}

class Settled implements Cmd {
  constructor(readonly slot: number) {}
  check(m: Model) {
    return m.slots[this.slot].legs.some((l) => l.settled < l.fills.length) && m.slots[this.slot].stage !== "STALE_STATE_RECONCILING";
  }
  run(m: Model, r: Real) {
    count(this);
    const s = m.slots[this.slot];
    const leg = s.legs.find((l) => l.settled < l.fills.length)!;
    const fill = leg.fills[leg.settled];
    leg.settled += 1;
    m.events += 1;
    const ev = { kind: "FILL_SETTLED" as const, eventId: `fs${m.events}`, tsUs: next(r), symbol: "FET-USDT", tradeId: s.tradeId, clientOrderId: leg.cid, venueOrderId: vid(leg.cid), realizedPnlUsdt: fill.realized.toString(), feeUsdt: fill.fee.toString() };
    const o = r.k.onAccountEvent(ev);
    checkOutcome(o);
    expect(o.accepted, `${o.code} ${o.message}`).toBe(true);
    expect(o.code, "estimate == exchange: no anomaly").not.toBe("PNL_ANOMALY");
    agree(m, r);
    const before = state(r);
    expect(r.k.onAccountEvent(ev).code, "duplicate FILL_SETTLED").toBe("DUPLICATE_EVENT");
    expect(state(r)).toBe(before);
  }
  toString() {
    return `Settled(s${this.slot})`;
  }
}

/** save → new kernel → restore → reconcile from the model's venue truth (restart, I10, I14, docs/accounting.md §0.3). */
class Restart implements Cmd {
  check() {
    return true;
  }
  run(m: Model, r: Real) {
    count(this);
    const saved = r.k.saveState();
    const ledgerBefore = r.k.ledger();
    const fresh = moduleRef!.create(config({ slotCount: SLOTS, instruments: [FET_SPEC] }));
    const o = fresh.restoreState(saved);
    checkOutcome(o);
    expect(o.accepted, `restore: ${o.code} ${o.message}`).toBe(true);
    r.k.dispose();
    r.k = fresh;
    const positions = m.slots.filter((s) => s.size.gt(0));
    const net = positions.reduce((a, s) => a.plus(s.size.mul(s.side)), new D(0));
    const orders = m.slots.flatMap((s) =>
      s.order
        ? [{ symbol: "FET-USDT", venueOrderId: vid(s.order.cid), clientOrderId: s.order.cid, status: (s.order.filled.gt(0) ? "PARTIALLY_FILLED" : s.order.acked ? "NEW" : "PENDING") as "NEW", executedQty: s.order.filled.toString(), avgPrice: s.order.filled.gt(0) ? s.order.notional.div(s.order.filled).toDecimalPlaces(12).toString() : "0", feeUsdt: s.order.fees.toString() }]
        : [],
    );
    if (Array.from({ length: SLOTS }, (_, i) => r.k.slot(i).stage).includes("STALE_STATE_RECONCILING")) {
      const rec = r.k.reconcile({ tsUs: next(r), positions: [{ symbol: "FET-USDT", positionSide: "BOTH", quantity: net.toString() }], orders });
      checkOutcome(rec);
      expect(rec.accepted, `reconcile: ${rec.code} ${rec.message}`).toBe(true);
    }
    expect(r.k.ledger().realizedPnlUsdt).toBe(ledgerBefore.realizedPnlUsdt);
    // The venue knows every placed order, so reconcile may count an un-ACKed order as acknowledged
    // (the contract leaves it open): accept *_REQUESTED → *_WORKING here and nothing else.
    for (let i = 0; i < SLOTS; i++) {
      const s = m.slots[i];
      const stage = r.k.slot(i).stage;
      if ((s.stage === "ORDER_REQUESTED" && stage === "ENTRY_WORKING") || (s.stage === "EXIT_REQUESTED" && stage === "EXIT_WORKING")) {
        s.stage = stage;
        s.order!.acked = true;
      }
    }
    agree(m, r);
  }
  toString() {
    return "Restart";
  }
}

let moduleRef: { create: (c: ReturnType<typeof config>) => KernelApi } | undefined;

const slotArb = fc.integer({ min: 0, max: SLOTS - 1 });
const pxArb = fc.integer({ min: 1850, max: 1900 });
const enterArb = fc.tuple(slotArb, fc.constantFrom<1 | -1>(1, -1), fc.integer({ min: 10, max: 2000 }), pxArb, fc.integer({ min: 0, max: 2 }), fc.boolean()).map(([s, side, q, px, ra, lim]) => new Enter(s, side, q, px, ra, lim));
const fillArb = fc.tuple(slotArb, fc.constantFrom(0.1, 0.3, 0.5, 1, 1), pxArb, fc.boolean()).map(([s, f, px, cum]) => new Fill(s, f, px, cum));
const exitArb = fc.tuple(slotArb, fc.boolean()).map(([s, res]) => new Exit(s, res));
const ackArb = slotArb.map((s) => new Ack(s));
/** Weighted by repetition: the lifecycle commands come up more often than the disturbances. */
const commands = [
  enterArb, enterArb, fillArb, fillArb, fillArb, fillArb, fillArb, fillArb, exitArb, exitArb, exitArb, exitArb, ackArb, ackArb, ackArb,
  slotArb.map((s) => new EnterBusy(s)),
  slotArb.map((s) => new Cancel(s)),
  slotArb.map((s) => new Duplicate(s)),
  slotArb.map((s) => new CancelAck(s)),
  slotArb.map((s) => new CancelAck(s)),
  slotArb.map((s) => new CancelAck(s)),
  slotArb.map((s) => new CancelReject(s)),
  slotArb.map((s) => new CancelReject(s)),
  slotArb.map((s) => new Reject(s)),
  pxArb.map((px) => new Mark(px)),
  fc.integer({ min: 9_000_000, max: 11_000_000 }).map((c) => new Anchor(c)),
  slotArb.map((s) => new Settled(s)),
  slotArb.map((s) => new Settled(s)),
  slotArb.map((s) => new Settled(s)),
  slotArb.map((s) => new Settled(s)),
  fc.constant(new Restart()),
];

beforeAll(async () => {
  moduleRef = (await kernelModule()) as typeof moduleRef;
});

describe("model-based: kernel vs reference model (slot stages, sizes, ledger)", () => {
  it("Flaw 1 / Flaw 2 / Flaw 4 / Flaw 5 / Flaw 10 / Flaw 13 / A1 / A2 / A4 / A7 / E10 / I1 / I2 / I5 / I10 / I13 / I15 / J2 / H14 / L1 / M1 / M9 / T4: every command sequence agrees with the model", () => {
    // Fixed default seed: the CI gate is reproducible; DITA_MODEL_SEED=<n> explores / replays others.
    const seed = process.env.DITA_MODEL_SEED ? Number(process.env.DITA_MODEL_SEED) : DEFAULT_SEED;
    const path = process.env.DITA_MODEL_PATH;
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 80, size: "max" }), (cmds) => {
        const k = moduleRef!.create(config({ slotCount: SLOTS, instruments: [FET_SPEC] }));
        const real: Real = { k, tUs: 1_781_136_000_000_000 };
        try {
          fc.modelRun(() => ({ model: freshModel(), real }), cmds);
        } finally {
          real.k.dispose();
        }
      }),
      { numRuns: Number(process.env.DITA_MODEL_RUNS ?? 200), seed, ...(path ? { path } : {}), verbose: 1 },
    );
    if (!path) {
      // Not vacuous: every kind of command really ran against the kernel, many times.
      for (const name of ["Enter", "EnterBusy", "Exit", "Cancel", "Ack", "Fill", "Duplicate", "CancelAck", "CancelReject", "Reject", "Mark", "Anchor", "Settled", "Restart"]) {
        expect(ran.get(name) ?? 0, `${name} commands run (${JSON.stringify(Object.fromEntries(ran))})`).toBeGreaterThanOrEqual(10);
      }
    }
  });
});
