/**
 * Restart at an event boundary: run the first k steps of a case, then save → dispose → new
 * kernel → restore → reconcile (against the venue truth implied by those k steps) → the rest.
 * The final ledger and trade records must equal the uninterrupted run's
 * (docs/accounting.md §0.3, §7 golden 3; issue 3 "restart at every event boundary").
 */
import { Dec } from "../sim/num.js";
import type { KernelModule } from "../kernel/index.js";
import type { LedgerSnapshot, PositionSide, ReconcileReport } from "../kernel/types.js";
import { applyStep, captureTrades, startReplay, type ReplayOptions } from "./replay.js";
import { ORDER_REF_PREFIX, type ExpectedTrade, type GoldenCase, type GoldenStep } from "./schema.js";

/** Final state of a replay, for comparison between an uninterrupted and a restarted run. */
export interface FinalState {
  trades: ExpectedTrade[];
  /** The whole ledger snapshot except eventSeq (restore / reconcile may count their own mutations). */
  ledger: Omit<LedgerSnapshot, "eventSeq">;
  outcomes: string[];
}

/**
 * The venue's truth after the first `k` steps of a case, as a ReconcileReport: every order the
 * case submitted so far with its cumulative fills, and the open position. An order submitted but
 * not yet acknowledged in the prefix is reported NEW with the venue order id its (later) ACK
 * carries: the venue assigned it at submission. Only venue fill events of the prefix count.
 * @throws Error when the case uses a step kind this derivation does not model (bingxWs, restore).
 */
export function venueTruthAfter(c: GoldenCase, k: number, tsUs: number): ReconcileReport {
  const venueOrderIdOf = new Map<string, string>(); // intentId → venueOrderId (whole case: lookahead)
  for (const s of c.steps) {
    if (s.op === "venue" && s.event.kind === "ORDER_ACK" && s.event.venueOrderId !== undefined && s.event.clientOrderId?.startsWith(ORDER_REF_PREFIX))
      venueOrderIdOf.set(s.event.clientOrderId.slice(ORDER_REF_PREFIX.length), s.event.venueOrderId);
  }
  interface OrderTruth {
    intentId: string;
    symbol: string;
    entry: boolean;
    side: PositionSide;
    venueOrderId: string;
    qty: Dec;
    pricedQty: Dec;
    notional: Dec;
    fee: Dec;
    full: boolean;
  }
  const orders: OrderTruth[] = [];
  const byVenueId = new Map<string, OrderTruth>();
  const slotTrade = new Map<number, { symbol: string; side: PositionSide }>();
  for (const s of c.steps.slice(0, k) as GoldenStep[]) {
    if (s.op === "bingxWs" || s.op === "restore") throw new Error(`venueTruthAfter: step op ${s.op} is not modelled`);
    if (s.op === "intent") {
      const it = s.intent;
      if (it.kind === "CANCEL") continue;
      if (it.kind === "ENTER") slotTrade.set(it.slotId, { symbol: it.symbol, side: it.side });
      const tr = slotTrade.get(it.slotId);
      const voi = venueOrderIdOf.get(it.intentId);
      if (tr === undefined || voi === undefined) continue;
      const o: OrderTruth = { intentId: it.intentId, symbol: tr.symbol, entry: it.kind === "ENTER", side: tr.side, venueOrderId: voi, qty: new Dec(0), pricedQty: new Dec(0), notional: new Dec(0), fee: new Dec(0), full: false };
      orders.push(o);
      byVenueId.set(voi, o);
    } else if (s.op === "venue" && (s.event.kind === "PARTIAL_FILL" || s.event.kind === "FULL_FILL")) {
      const o = s.event.venueOrderId === undefined ? undefined : byVenueId.get(s.event.venueOrderId);
      if (o === undefined) throw new Error(`venueTruthAfter: fill ${s.event.eventId} names no submitted order`);
      if (s.event.quantityMode === "CUMULATIVE") throw new Error(`venueTruthAfter: fill ${s.event.eventId}: CUMULATIVE fills are not modelled`);
      const q = new Dec(s.event.fillQty ?? "0");
      const p = new Dec(s.event.fillPrice ?? "0");
      o.qty = o.qty.plus(q);
      if (p.gt(0)) {
        o.pricedQty = o.pricedQty.plus(q);
        o.notional = o.notional.plus(q.mul(p));
      }
      o.fee = o.fee.plus(s.event.feeUsdt ?? "0");
      if (s.event.kind === "FULL_FILL") o.full = true;
    }
  }
  const position = new Map<string, { side: PositionSide; qty: Dec }>();
  for (const o of orders) {
    const cur = position.get(o.symbol) ?? { side: o.side, qty: new Dec(0) };
    cur.qty = o.entry ? cur.qty.plus(o.qty) : cur.qty.minus(o.qty);
    if (o.entry) cur.side = o.side;
    position.set(o.symbol, cur);
  }
  const text = (d: Dec): string => (d.isZero() ? "0" : d.toFixed());
  return {
    tsUs,
    positions: [...position.entries()]
      .filter(([, p]) => !p.qty.isZero())
      .map(([symbol, p]) => ({ symbol, positionSide: p.side, quantity: text(p.qty) })),
    orders: orders.map((o) => ({
      symbol: o.symbol,
      venueOrderId: o.venueOrderId,
      clientOrderId: `${ORDER_REF_PREFIX}${o.intentId}`,
      status: o.full ? "FILLED" : o.qty.gt(0) ? "PARTIALLY_FILLED" : "NEW",
      executedQty: text(o.qty),
      avgPrice: o.pricedQty.isZero() ? "0" : text(o.notional.div(o.pricedQty)),
      feeUsdt: text(o.fee),
    })),
  };
}

function finalState(st: ReturnType<typeof startReplay>): FinalState {
  const { eventSeq: _ignored, ...ledger } = st.kernel.ledger();
  return { trades: captureTrades(st.kernel), ledger, outcomes: st.outcomes };
}

/** Run the case without interruption and return its final state. */
export function replayUninterrupted(mod: KernelModule, c: GoldenCase, opts: ReplayOptions = {}): FinalState {
  const st = startReplay(mod, c);
  try {
    for (const s of c.steps) applyStep(mod, c, st, s, opts);
    return finalState(st);
  } finally {
    st.kernel.dispose();
  }
}

/**
 * Run steps [0, k), restart (save → dispose → new kernel → restore → reconcile with
 * venueTruthAfter(k)), then steps [k, n). Returns the final state and the outcome codes of the
 * restore and the reconcile.
 */
export function replayWithRestartAt(mod: KernelModule, c: GoldenCase, k: number, opts: ReplayOptions = {}): FinalState & { restoreCode: string; reconcileCode: string } {
  if (!Number.isInteger(k) || k < 0 || k > c.steps.length) throw new Error(`replayWithRestartAt: k=${k} outside 0..${c.steps.length}`);
  const st = startReplay(mod, c);
  try {
    for (const s of c.steps.slice(0, k)) applyStep(mod, c, st, s, opts);
    const prevTs = k === 0 ? 0 : stepTs(c.steps[k - 1]);
    applyStep(mod, c, st, { op: "save", tsUs: prevTs, image: "restart" }, opts);
    applyStep(mod, c, st, { op: "restore", tsUs: prevTs, image: "restart" }, opts);
    const restoreCode = st.outcomes[st.outcomes.length - 1];
    applyStep(mod, c, st, { op: "reconcile", report: venueTruthAfter(c, k, prevTs) }, opts);
    const reconcileCode = st.outcomes[st.outcomes.length - 1];
    for (const s of c.steps.slice(k)) applyStep(mod, c, st, s, opts);
    return { ...finalState(st), restoreCode, reconcileCode };
  } finally {
    st.kernel.dispose();
  }
}

/** The tsUs a step carries. */
export function stepTs(s: GoldenStep): number {
  switch (s.op) {
    case "intent":
      return s.intent.tsUs;
    case "venue":
    case "account":
      return s.event.tsUs;
    case "mark":
      return s.mark.tsUs;
    case "reconcile":
      return s.report.tsUs;
    default:
      return s.tsUs;
  }
}
