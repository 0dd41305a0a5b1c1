/**
 * Venue conformance: the BingX rules the mock venue follows, stated as properties and checked on
 * every venue step (issue 12 "A venue conformance suite"). The checker keeps its OWN model of
 * orders, positions and the wallet, built only from the venue's journal (venues/bingx/journal.ts)
 * and the contracts table, and re-derives every figure by the documented rule; the runtime calls
 * {@link VenueConformance.observe} after each venue call, and a violation fails the run through
 * the `venue-conformance` invariant (sim/oracle.ts). Property tests on the venue alone:
 * venues/bingx/conformance.test.ts (fast-check).
 *
 * Sources: docs/bingx-protocol.md §4.1 (reduceOnly, positionSide), §4.2 (statuses), §8 (101290
 * reduce-only would increase, 101215 PostOnly would take), §9 (fees taker/maker, funding at
 * 00/08/16 UTC, rate > 0: longs pay), §10 (tick/step truncation, minimums).
 */
import type { ContractSpec } from "../types.js";
import { contractTable, isStepAligned, isTickAligned } from "./contracts.js";
import { Dec, ZERO, fmt, toPlaces } from "./dec.js";
import type { JournalFill, JournalFunding, JournalOrder, JournalStatus, VenueJournalEntry, VenueOrderStatus } from "./journal.js";

/** One conformance rule: id, the property, where it comes from. */
export interface ConformanceRule {
  id: string;
  property: string;
  source: string;
}

/** The rules checked, in the order they are reported. */
export const CONFORMANCE_RULES: readonly ConformanceRule[] = [
  { id: "order-precision", property: "an accepted order's quantity is a positive multiple of the step ≥ tradeMinQuantity; a LIMIT price is a positive multiple of the tick", source: "docs/bingx-protocol.md §10" },
  { id: "fill-precision", property: "a fill's quantity is a positive multiple of the step and its price a positive multiple of the tick", source: "docs/bingx-protocol.md §10" },
  { id: "fill-within-order", property: "an order's fills never exceed its quantity; the reported cumulative quantity is the sum of its fills", source: "docs/bingx-protocol.md §4.2 executedQty" },
  { id: "fill-known-order", property: "a fill or status change belongs to an order the venue accepted, on the order's symbol", source: "docs/bingx-protocol.md §4.2" },
  { id: "reduce-only", property: "a reduce-only fill never opens, increases or flips a position: it needs an opposite position and at most its size", source: "docs/bingx-protocol.md §4.1 reduceOnly, §8 101290" },
  { id: "position-arithmetic", property: "position after a fill = position before ± fill quantity (BUY +, SELL −); the journal's before/after agree with the checker's own position", source: "docs/bingx-protocol.md §4.4 positionAmt" },
  { id: "entry-price", property: "entry price = VWAP of the fills that opened the position; unchanged by a reducing fill; the fill price after a flip", source: "docs/bingx-protocol.md §4.4 avgPrice" },
  { id: "fee", property: "fee = quantity × price × rate (maker rate for a resting fill, taker otherwise), rounded half-up to 8 dp", source: "docs/bingx-protocol.md §9" },
  { id: "realized", property: "realized = closed quantity × (price − entry) × direction, rounded half-up to 8 dp; 0 for an opening fill", source: "docs/bingx-protocol.md §9, docs/accounting.md" },
  { id: "limit-price", property: "a resting LIMIT fills at its limit price; a marketable LIMIT never fills worse than its limit; a PostOnly order never takes", source: "docs/bingx-protocol.md §4.1 timeInForce, §8 101215" },
  { id: "status-edges", property: "status moves only NEW → PARTIALLY_FILLED → FILLED, or to CANCELLED / EXPIRED from NEW or PARTIALLY_FILLED; FILLED ⇔ executed = quantity; terminal statuses never change", source: "docs/bingx-protocol.md §4.2" },
  { id: "no-resting-taker", property: "a MARKET, IOC or FOK order is terminal at the end of the step that placed it; a FOK order fills completely or not at all", source: "docs/bingx-protocol.md §4.1 timeInForce" },
  { id: "wallet", property: "wallet after each fill = before + realized − fee; after each funding payment = before + amount", source: "docs/bingx-protocol.md §9, DESIGN invariant 1" },
  { id: "funding", property: "funding is paid only at 00/08/16 UTC, amount = −signed position × mark × rate rounded half-up to 8 dp", source: "docs/bingx-protocol.md §9" },
];

/** One broken rule at one venue step. */
export interface ConformanceViolation {
  rule: string;
  detail: string;
  tUs: number;
  symbol?: string;
  orderId?: string;
  clientOrderId?: string;
}

interface OrderModel {
  o: JournalOrder;
  executed: Dec;
  status: VenueOrderStatus;
  /** `o.origQty` / `o.limitPrice` parsed at first use (they never change; issue 12 profile). */
  origQtyDec?: Dec;
  limitPriceDec?: Dec;
}

/** The order's quantity as a Decimal, parsed once (throws as num on a malformed entry). */
function origQtyOf(m: OrderModel): Dec {
  return (m.origQtyDec ??= num(m.o.origQty, "origQty"));
}

/** The order's limit price as a Decimal, parsed once (throws as num on a malformed entry). */
function limitPriceOf(m: OrderModel): Dec {
  return (m.limitPriceDec ??= num(m.o.limitPrice, "limitPrice"));
}

interface PositionModel {
  qty: Dec;
  entry: Dec;
}

/** How a fill moves the checker's position (checkFillPosition): before and after, the quantity it closes, the direction closed (+1 long, −1 short). */
interface FillMove {
  pos: PositionModel;
  before: Dec;
  after: Dec;
  closeQ: Dec;
  dir: number;
}

const FUNDING_PERIOD_US = 28_800_000_000;
const TERMINAL: readonly VenueOrderStatus[] = ["FILLED", "CANCELLED", "EXPIRED"];
const EDGES: Record<VenueOrderStatus, readonly VenueOrderStatus[]> = {
  NEW: ["PARTIALLY_FILLED", "FILLED", "CANCELLED", "EXPIRED"],
  PARTIALLY_FILLED: ["FILLED", "CANCELLED", "EXPIRED"],
  FILLED: [],
  CANCELLED: [],
  EXPIRED: [],
};

const r8 = (d: Dec): Dec => toPlaces(d, 8, Dec.ROUND_HALF_UP);

/**
 * The checker of one venue. `observe(entries)` takes the journal entries of ONE venue step (one
 * REST call, tick, time advance or hook) and returns the violations found in it; its model
 * carries over to the next step. Throws only on a malformed journal entry (a decimal that does
 * not parse, naming the field).
 */
export class VenueConformance {
  private readonly contracts: Map<string, ContractSpec>;
  private readonly orders = new Map<string, OrderModel>();
  private readonly positions = new Map<string, PositionModel>();
  private wallet: Dec;
  /** Venue steps observed, and journal entries checked. */
  steps = 0;
  entries = 0;

  constructor(opts: { contracts: ContractSpec[]; initialBalanceUsdt: string }) {
    this.contracts = contractTable(opts.contracts);
    this.wallet = num(opts.initialBalanceUsdt, "initialBalanceUsdt");
  }

  /** Check the journal entries of one venue step; returns the violations (empty when it conforms). */
  observe(entries: readonly VenueJournalEntry[]): ConformanceViolation[] {
    this.steps++;
    const out: ConformanceViolation[] = [];
    const placed: OrderModel[] = [];
    for (const e of entries) {
      this.entries++;
      if (e.kind === "order") placed.push(this.onOrder(e, out));
      else if (e.kind === "fill") this.onFill(e, out);
      else if (e.kind === "status") this.onStatus(e, out);
      else this.onFunding(e, out);
    }
    for (const m of placed) {
      const o = m.o;
      const takerOnly = o.type === "MARKET" || o.tif === "IOC" || o.tif === "FOK";
      if (takerOnly && !TERMINAL.includes(m.status)) out.push(v("no-resting-taker", o.tUs, o, `${o.type} ${o.tif} order ${o.orderId} still ${m.status} at the end of the step that placed it`));
      if (o.tif === "FOK" && !m.executed.isZero() && !m.executed.equals(origQtyOf(m))) {
        out.push(v("no-resting-taker", o.tUs, o, `FOK order ${o.orderId} filled ${m.executed.toFixed()} of ${o.origQty} (all or nothing)`));
      }
    }
    return out;
  }

  /** Fee rates of the contracts table as Decimals, parsed once per text. */
  private readonly feeRates = new Map<string, Dec>();
  private feeRate(text: string): Dec {
    let r = this.feeRates.get(text);
    if (r === undefined) {
      r = new Dec(text);
      this.feeRates.set(text, r);
    }
    return r;
  }

  private spec(symbol: string): ContractSpec | undefined {
    return this.contracts.get(symbol);
  }

  private position(symbol: string, ps: string): PositionModel {
    const k = `${symbol}|${ps}`;
    let p = this.positions.get(k);
    if (!p) {
      p = { qty: ZERO, entry: ZERO };
      this.positions.set(k, p);
    }
    return p;
  }

  private onOrder(o: JournalOrder, out: ConformanceViolation[]): OrderModel {
    const m: OrderModel = { o, executed: ZERO, status: "NEW" };
    this.orders.set(o.orderId, m);
    const spec = this.spec(o.symbol);
    if (!spec) {
      out.push(v("order-precision", o.tUs, o, `order ${o.orderId} on ${o.symbol}, which is not in the contracts table`));
      return m;
    }
    const q = origQtyOf(m);
    if (!q.gt(0) || !isStepAligned(spec, q) || q.lt(spec.tradeMinQuantity)) out.push(v("order-precision", o.tUs, o, `order ${o.orderId} quantity ${o.origQty} is not a positive multiple of the step ≥ ${spec.tradeMinQuantity}`));
    if (o.type === "LIMIT") {
      const p = limitPriceOf(m);
      if (!p.gt(0) || !isTickAligned(spec, p)) out.push(v("order-precision", o.tUs, o, `LIMIT order ${o.orderId} price ${o.limitPrice} is not a positive multiple of the tick`));
    }
    return m;
  }

  private onStatus(s: JournalStatus, out: ConformanceViolation[]): void {
    const m = this.orders.get(s.orderId);
    if (!m) {
      out.push({ rule: "fill-known-order", tUs: s.tUs, symbol: s.symbol, orderId: s.orderId, detail: `status change ${s.from} → ${s.to} of unknown order ${s.orderId}` });
      return;
    }
    if (s.from !== m.status) out.push(v("status-edges", s.tUs, m.o, `order ${s.orderId} reported leaving ${s.from} but was ${m.status}`));
    if (!EDGES[m.status].includes(s.to)) out.push(v("status-edges", s.tUs, m.o, `order ${s.orderId}: ${m.status} → ${s.to} is not an allowed edge`));
    const q = origQtyOf(m);
    if (s.to === "FILLED" && !m.executed.equals(q)) out.push(v("status-edges", s.tUs, m.o, `order ${s.orderId} FILLED with ${m.executed.toFixed()} of ${m.o.origQty} executed`));
    if (s.to === "PARTIALLY_FILLED" && !(m.executed.gt(0) && m.executed.lt(q))) out.push(v("status-edges", s.tUs, m.o, `order ${s.orderId} PARTIALLY_FILLED with ${m.executed.toFixed()} of ${m.o.origQty} executed`));
    m.status = s.to;
  }

  /**
   * One fill, against the checker's own models: it belongs to a known order on its symbol, sits on
   * the step and tick and within the order, moves the position by its quantity (reduce-only never
   * opens, increases or flips), books the entry VWAP and the realized PnL, charges the fee, honours
   * the limit price, and moves the wallet by realized − fee.
   */
  private onFill(f: JournalFill, out: ConformanceViolation[]): void {
    const m = this.orders.get(f.orderId);
    const spec = this.spec(f.symbol);
    if (!m || m.o.symbol !== f.symbol || !spec) {
      out.push({ rule: "fill-known-order", tUs: f.tUs, symbol: f.symbol, orderId: f.orderId, detail: `fill of ${f.qty} @ ${f.price} for ${m ? `an order on ${m.o.symbol}` : "an unknown order"} ${f.orderId}` });
      return;
    }
    const qty = num(f.qty, "qty");
    const price = num(f.price, "price");
    this.checkFillQty(f, m, spec, qty, price, out);
    const move = this.checkFillPosition(f, m.o, qty, out);
    const realized = this.checkFillEntry(f, m.o, move, qty, price, out);
    const fee = this.checkFillFee(f, m.o, spec, qty, price, out);
    this.checkFillLimitPrice(f, m, price, out);
    this.wallet = this.wallet.plus(realized).minus(fee);
    if (!equalsText(this.wallet, f.walletAfterUsdt, "walletAfterUsdt")) {
      out.push(v("wallet", f.tUs, m.o, `wallet after the fill ${f.walletAfterUsdt} != before + realized ${realized.toFixed()} − fee ${fee.toFixed()} = ${this.wallet.toFixed()}`));
      this.wallet = num(f.walletAfterUsdt, "walletAfterUsdt");
    }
  }

  /** Step/tick alignment, no fill after a terminal status, the order's executed quantity within it and as reported. */
  private checkFillQty(f: JournalFill, m: OrderModel, spec: ContractSpec, qty: Dec, price: Dec, out: ConformanceViolation[]): void {
    const o = m.o;
    if (!qty.gt(0) || !isStepAligned(spec, qty) || !price.gt(0) || !isTickAligned(spec, price)) out.push(v("fill-precision", f.tUs, o, `fill ${f.qty} @ ${f.price} of order ${o.orderId} off the step/tick`));
    if (TERMINAL.includes(m.status)) out.push(v("status-edges", f.tUs, o, `fill of order ${o.orderId} after it was ${m.status}`));
    m.executed = m.executed.plus(qty);
    if (m.executed.gt(origQtyOf(m))) out.push(v("fill-within-order", f.tUs, o, `order ${o.orderId} filled ${m.executed.toFixed()} > its quantity ${o.origQty}`));
    if (!equalsText(m.executed, f.executedQty, "executedQty")) out.push(v("fill-within-order", f.tUs, o, `order ${o.orderId} reports executed ${f.executedQty}, its fills sum to ${m.executed.toFixed()}`));
  }

  /**
   * The position move, from the checker's own model (one-way BOTH signed; hedge sides ≥ 0): the
   * position before and after as the venue reports them, and reduce-only. Returns the move with
   * the quantity it closes and the direction of the position closed (+1 long, −1 short); the
   * model's position is updated by checkFillEntry.
   */
  private checkFillPosition(f: JournalFill, o: JournalOrder, qty: Dec, out: ConformanceViolation[]): FillMove {
    const pos = this.position(f.symbol, o.positionSide);
    const before = pos.qty;
    if (!equalsText(before, f.positionBeforeQty, "positionBeforeQty")) out.push(v("position-arithmetic", f.tUs, o, `position before the fill ${f.positionBeforeQty} != checker's ${before.toFixed()}`));
    const buy = o.side === "BUY";
    let delta: Dec;
    let closeQ = ZERO;
    let dir = 1;
    if (o.positionSide === "BOTH") {
      delta = buy ? qty : qty.neg();
      if (!before.isZero() && before.isNeg() !== delta.isNeg()) {
        closeQ = Dec.min(qty, before.abs());
        dir = before.isNeg() ? -1 : 1;
      }
    } else {
      const opens = (o.positionSide === "LONG") === buy;
      delta = opens ? qty : qty.neg();
      if (!opens) {
        closeQ = qty;
        dir = o.positionSide === "LONG" ? 1 : -1;
      }
    }
    const after = before.plus(delta);
    if (o.reduceOnly) {
      const reduces = !before.isZero() && (buy ? before.isNeg() : before.gt(0));
      if (!reduces || qty.gt(before.abs())) {
        out.push(v("reduce-only", f.tUs, o, `reduce-only ${o.side} ${f.qty} of order ${o.orderId} took the position ${before.toFixed()} → ${after.toFixed()}${reduces ? " (flipped through zero)" : " (opened / increased)"}`));
      }
    }
    if (o.positionSide !== "BOTH" && after.isNeg()) out.push(v("reduce-only", f.tUs, o, `hedge ${o.positionSide} position went negative: ${before.toFixed()} → ${after.toFixed()}`));
    if (!equalsText(after, f.positionAfterQty, "positionAfterQty")) out.push(v("position-arithmetic", f.tUs, o, `position after the fill ${f.positionAfterQty} != before ${before.toFixed()} ${buy ? "+" : "−"} ${f.qty} = ${after.toFixed()}`));
    return { pos, before, after, closeQ, dir };
  }

  /**
   * Entry price before and after the fill (VWAP of an increase, kept on a reduce, the fill price
   * after a one-way flip, 0 when flat) and the realized PnL (closed quantity × (price − entry) ×
   * direction, half-up to 8 dp); updates the model's position. Returns the realized PnL.
   */
  private checkFillEntry(f: JournalFill, o: JournalOrder, move: FillMove, qty: Dec, price: Dec, out: ConformanceViolation[]): Dec {
    const { pos, before, after, closeQ, dir } = move;
    const entry = pos.entry;
    if (!equalsText(entry, f.entryBeforePrice, "entryBeforePrice")) out.push(v("entry-price", f.tUs, o, `entry before the fill ${f.entryBeforePrice} != checker's VWAP ${entry.toFixed()}`));
    const realized = r8(closeQ.mul(price.minus(entry)).mul(dir));
    if (!equalsText(realized, f.realizedUsdt, "realizedUsdt")) out.push(v("realized", f.tUs, o, `realized ${f.realizedUsdt} != ${closeQ.toFixed()} × (${f.price} − ${entry.toFixed()}) × ${dir} rounded = ${realized.toFixed()}`));
    let newEntry: Dec;
    if (after.isZero()) newEntry = ZERO;
    else if (closeQ.isZero()) newEntry = before.abs().mul(entry).plus(qty.mul(price)).div(after.abs());
    else if (after.isNeg() !== before.isNeg() && o.positionSide === "BOTH") newEntry = price;
    else newEntry = entry;
    if (!equalsText(newEntry, f.entryAfterPrice, "entryAfterPrice")) out.push(v("entry-price", f.tUs, o, `entry after the fill ${f.entryAfterPrice} != ${newEntry.toFixed()}`));
    pos.qty = after;
    pos.entry = newEntry;
    return realized;
  }

  /** The fee: quantity × price × the maker or taker rate, half-up to 8 dp. Returns it. */
  private checkFillFee(f: JournalFill, o: JournalOrder, spec: ContractSpec, qty: Dec, price: Dec, out: ConformanceViolation[]): Dec {
    const rate = this.feeRate(f.maker ? spec.makerFeeRate : spec.takerFeeRate);
    const fee = r8(qty.mul(price).mul(rate));
    if (!equalsText(fee, f.feeUsdt, "feeUsdt")) out.push(v("fee", f.tUs, o, `fee ${f.feeUsdt} != ${f.qty} × ${f.price} × ${rate.toFixed()} (${f.maker ? "maker" : "taker"}) rounded = ${fee.toFixed()}`));
    return fee;
  }

  /** A resting LIMIT fills at its limit, a taker LIMIT never worse than it, PostOnly never takes, MARKET never makes. */
  private checkFillLimitPrice(f: JournalFill, m: OrderModel, price: Dec, out: ConformanceViolation[]): void {
    const o = m.o;
    if (o.type !== "LIMIT") {
      if (f.maker) out.push(v("limit-price", f.tUs, o, `MARKET order ${o.orderId} filled as a maker`));
      return;
    }
    const lp = limitPriceOf(m);
    if (f.maker && !price.equals(lp)) out.push(v("limit-price", f.tUs, o, `resting LIMIT ${o.orderId} filled at ${f.price}, its limit is ${o.limitPrice}`));
    if (o.side === "BUY" ? price.gt(lp) : price.lt(lp)) out.push(v("limit-price", f.tUs, o, `LIMIT ${o.side} ${o.orderId} filled at ${f.price}, worse than its limit ${o.limitPrice}`));
    if (o.tif === "PostOnly" && !f.maker) out.push(v("limit-price", f.tUs, o, `PostOnly order ${o.orderId} took liquidity at ${f.price}`));
  }

  private onFunding(e: JournalFunding, out: ConformanceViolation[]): void {
    const at = { tUs: e.tUs, symbol: e.symbol };
    if (e.tUs % FUNDING_PERIOD_US !== 0) out.push({ rule: "funding", ...at, detail: `funding paid at ${e.tUs} µs, not at 00/08/16 UTC` });
    const pos = this.position(e.symbol, e.positionSide);
    if (!equalsText(pos.qty, e.positionQty, "positionQty")) out.push({ rule: "funding", ...at, detail: `funding on a position of ${e.positionQty}, checker's position is ${pos.qty.toFixed()}` });
    const signed = e.positionSide === "SHORT" ? pos.qty.neg() : pos.qty;
    const amount = r8(signed.mul(num(e.markPrice, "markPrice")).mul(num(e.rate, "rate")).neg());
    if (!equalsText(amount, e.amountUsdt, "amountUsdt")) out.push({ rule: "funding", ...at, detail: `funding ${e.amountUsdt} != −${signed.toFixed()} × ${e.markPrice} × ${e.rate} rounded = ${amount.toFixed()}` });
    this.wallet = this.wallet.plus(amount);
    if (!equalsText(this.wallet, e.walletAfterUsdt, "walletAfterUsdt")) {
      out.push({ rule: "wallet", ...at, detail: `wallet after funding ${e.walletAfterUsdt} != before + ${amount.toFixed()} = ${this.wallet.toFixed()}` });
      this.wallet = num(e.walletAfterUsdt, "walletAfterUsdt");
    }
  }
}

function v(rule: string, tUs: number, o: JournalOrder, detail: string): ConformanceViolation {
  return { rule, detail, tUs, symbol: o.symbol, orderId: o.orderId, ...(o.clientOrderId ? { clientOrderId: o.clientOrderId } : {}) };
}

function num(text: string, field: string): Dec {
  try {
    return new Dec(text);
  } catch (e) {
    throw new Error(`venue journal: field ${field} is not a decimal: ${JSON.stringify(text)} (${(e as Error).message})`);
  }
}

/**
 * `d.equals(num(text, field))`, without parsing `text` when it is fmt(d): fmt prints a finite
 * Decimal's exact value, so that text parses back to an equal Decimal (NaN never equals anything). Any other text (another value, or the
 * same value written otherwise) is parsed and compared, and throws as num for a malformed one
 * (issue 12 profile: parsing a fill's ten journal figures was 0.7 % of chaos CPU; a print is ~5×
 * cheaper than a parse).
 */
function equalsText(d: Dec, text: string, field: string): boolean {
  return (d.isFinite() && fmt(d) === text) || d.equals(num(text, field));
}
