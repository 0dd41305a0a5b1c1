/**
 * The mock venue's journal: what the venue did, one entry per fact, in the order it applied them
 * (orders created, fills, order status changes, funding payments). It is the venue's own account
 * of each step, read by the venue conformance checker (venues/bingx/conformance.ts) after every
 * venue call and by the end-to-end oracle (sim/oracle.ts) through the run record.
 *
 * Units: decimals are strings (quantities in base coin, prices and money in USDT); `tUs` is the
 * venue's virtual time in µs since the Unix epoch. Signed position quantities: + long, − short
 * (one-way mode BOTH); hedge-mode LONG/SHORT positions are ≥ 0 per side.
 */

/** Order statuses as the venue keeps them (REST spelling; WS spells CANCELLED with one L). */
export type VenueOrderStatus = "NEW" | "PARTIALLY_FILLED" | "FILLED" | "CANCELLED" | "EXPIRED";

/** An order the venue accepted. */
export interface JournalOrder {
  kind: "order";
  tUs: number;
  orderId: string;
  /** Lower-cased as the venue stores it ("" when none was sent). */
  clientOrderId: string;
  symbol: string;
  side: "BUY" | "SELL";
  positionSide: "BOTH" | "LONG" | "SHORT";
  type: "MARKET" | "LIMIT";
  tif: "GTC" | "IOC" | "FOK" | "PostOnly";
  reduceOnly: boolean;
  origQty: string;
  /** "0" for MARKET. */
  limitPrice: string;
  /** The venue's last trade (= mark) price when the order arrived. */
  markPrice: string;
  status: "NEW";
}

/** One fill, with the position and wallet around it. */
export interface JournalFill {
  kind: "fill";
  tUs: number;
  orderId: string;
  clientOrderId: string;
  symbol: string;
  side: "BUY" | "SELL";
  positionSide: "BOTH" | "LONG" | "SHORT";
  orderType: "MARKET" | "LIMIT";
  tif: "GTC" | "IOC" | "FOK" | "PostOnly";
  reduceOnly: boolean;
  limitPrice: string;
  origQty: string;
  /** Maker (resting order matched by a tick) or taker (marketable on arrival). */
  maker: boolean;
  qty: string;
  price: string;
  feeRate: string;
  /** Fee paid, positive, as booked (8 dp, half-up). */
  feeUsdt: string;
  /** Realized PnL as booked (8 dp, half-up); 0 for an opening fill. */
  realizedUsdt: string;
  /** The same before rounding: closed quantity × (price − position entry) × direction. */
  realizedExactUsdt: string;
  positionBeforeQty: string;
  /** Position entry price (full precision, blended across every fill that opened it). */
  entryBeforePrice: string;
  positionAfterQty: string;
  entryAfterPrice: string;
  /** The order's cumulative filled quantity after this fill. */
  executedQty: string;
  markPrice: string;
  walletAfterUsdt: string;
}

/** An order status change (only real changes are journaled). */
export interface JournalStatus {
  kind: "status";
  tUs: number;
  orderId: string;
  symbol: string;
  from: VenueOrderStatus;
  to: VenueOrderStatus;
}

/** One funding payment of one position (+ received, − paid; rate > 0: longs pay). */
export interface JournalFunding {
  kind: "funding";
  tUs: number;
  symbol: string;
  positionSide: "BOTH" | "LONG" | "SHORT";
  positionQty: string;
  markPrice: string;
  rate: string;
  amountUsdt: string;
  walletAfterUsdt: string;
}

export type VenueJournalEntry = JournalOrder | JournalFill | JournalStatus | JournalFunding;

/**
 * The venue's books of one symbol (what the venue booked on it since the start): realized as
 * booked (Σ per-fill 8-dp rounded), the total rounding of it (booked − exact), fees, funding, and
 * the net position (+ long, − short).
 */
export interface SymbolBooks {
  realizedPnlUsdt: string;
  realizedRoundingUsdt: string;
  feesPaidUsdt: string;
  fundingUsdt: string;
  positionQty: string;
}
