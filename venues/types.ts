/**
 * Venue-side types shared by the mock venue, the wire adapter, the connector and the simulator.
 * They live here (not in sim/) so that venues/ never imports the simulator (the import rule is
 * enforced by venues/imports.test.ts).
 */

/** One instrument of the venue's contracts table (BingX /quote/contracts row, docs/bingx-protocol.md §contracts). */
export interface ContractSpec {
  symbol: string; // "FET-USDT"
  pricePrecision: number; // decimals; tick = 10^-pricePrecision
  quantityPrecision: number; // decimals; step = 10^-quantityPrecision
  tradeMinQuantity: string;
  tradeMinUSDT: string;
  takerFeeRate: string; // "0.0005"
  makerFeeRate: string; // "0.0002"
  maxLeverage: number;
}

/** Venue quirk switches (docs/bingx-protocol.md §quirks); observed behaviour is the default. */
export interface VenueQuirks {
  marketBoundPrice?: boolean; // MARKET price/p carries a protective bound (default true)
  omitWsClientOrderId?: boolean; // WS often omits `c` (default true)
  omitWalletBalance?: number; // probability an ACCOUNT_UPDATE lacks wb
  /** Probability a WS fill frame lacks `ap` (no true price: the kernel books 0 and flags the leg
   * realized_skipped_no_price until FILL_SETTLED repairs it; accounting spec §0.1, §5.2) [0]. */
  omitWsAvgPrice?: number;
  newErrorCodes?: boolean; // post-2025-10-16 numbering (default true)
  hedgeMode?: boolean;
  depthLevels?: number; // MARKET orders walk this many levels (several fills)
  slippageBps?: number;
  /** POST /trade/order reply: "vst" (default) already shows FILLED + avgPrice + executedQty
   * (real VST, docs/bingx-protocol.md §place order); "documented" = the 7 documented fields only, so MARKET fills
   * reach the kernel only through the user stream (the async ACK-then-fill path). */
  ackShape?: "vst" | "documented";
}
