/**
 * The boundary between the runtime (simulator, replayer, live shadow) and a venue.
 *
 * Everything crossing it is wire-level: REST requests as BingX would receive them (method, path,
 * string parameters) and REST / WebSocket payloads as raw JSON text, exactly as BingX sends them
 * (19-digit order ids as JSON numbers, decimals as strings). The same adapter
 * (`venues/bingx/adapter.ts`) turns kernel commands into requests and raw payloads into kernel
 * inputs for the mock venue and for live BingX VST, so the mock cannot drift from the wire
 * (docs/architecture.md §Kernel reference 9 "Adapter rule", docs/bingx-protocol.md).
 *
 * Time is virtual, integer microseconds; the mock venue never reads a clock.
 */

/** A REST request as BingX receives it. Parameters are strings, as in a query string. */
export interface RestRequest {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** e.g. "/openApi/swap/v2/trade/order" (docs/bingx-protocol.md §4). */
  path: string;
  params: Record<string, string>;
  /** Correlates the response with the kernel command that caused it (runtime bookkeeping). */
  requestId: string;
}

/** A REST response: HTTP status and the raw JSON body text (envelope {code,msg,data} or bare). */
export interface RestResponse {
  requestId: string;
  httpStatus: number;
  body: string;
}

/** A user-data stream frame (ORDER_TRADE_UPDATE, ACCOUNT_UPDATE, listenKeyExpired, ...), raw text. */
export interface WsMessage {
  /** Virtual time the venue emitted it. */
  tsUs: number;
  body: string;
}

/** A market price observation driving the venue's matching (trade price / mid). */
export interface MarketTick {
  tsUs: number;
  symbol: string;
  priceUsdt: string; // tick-size aligned decimal string
}

/**
 * A venue the runtime can drive in virtual time. Implemented by the BingX mock
 * (`venues/bingx/mock-venue.ts`). Calls must be made with non-decreasing `nowUs`.
 */
export interface SimVenue {
  /** Handle one REST request arriving at the venue at `nowUs`. Never throws for bad input: it
   * answers with the BingX error envelope, as the real venue does. */
  handleRest(req: RestRequest, nowUs: number): RestResponse;
  /** Apply a market tick: resting orders fill, MARKET depth moves, mark price updates. Returns
   * the stream frames the venue emits as a consequence. */
  onMarketTick(tick: MarketTick): WsMessage[];
  /** Advance the venue's own time-driven processes (funding at 00/08/16 UTC, listen-key
   * expiry, rate-limit bucket refill) to `nowUs`. Returns the frames emitted. */
  advanceTo(nowUs: number): WsMessage[];
  /** Frames produced by handleRest calls since the last drain (fills of MARKET orders, order
   * updates), in emission order. */
  drainStream(): WsMessage[];
  /** The venue's own ledger, for the conservation invariant (decimal strings, USDT). */
  ledger(): VenueLedger;
  /** Per-symbol signed position quantity in one-way mode (positive long, negative short). */
  positions(): Record<string, string>;
}

export interface VenueLedger {
  initialBalanceUsdt: string;
  walletBalanceUsdt: string;
  realizedPnlUsdt: string; // Σ realized
  feesPaidUsdt: string; // Σ fees paid (positive)
  fundingUsdt: string; // Σ funding received (+) / paid (−)
}
