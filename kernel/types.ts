/**
 * The DITAv2 kernel contract: every shape that crosses the WebAssembly boundary.
 *
 * This file is the single source of truth shared by the Rust crate (serde mirrors it field by
 * field, `deny_unknown_fields` on every input), the TypeScript binding, the simulator, the venue
 * adapter, the golden replays and the scenario suites. Change it here and in `kernel/src` together.
 *
 * Conventions (docs/architecture.md §The kernel is sans-IO):
 * - JSON field names are camelCase; enum values are SCREAMING_SNAKE strings.
 * - Every quantity, price and money figure is a **decimal string** (`"0.1878"`, `"-242.7312"`),
 *   never a JSON number: values cross the boundary losslessly and the kernel computes with exact
 *   decimals (rust_decimal, 28 significant digits). Quantities are base-coin units (BingX
 *   `quantity`), prices and money are USDT. Units are in the names (`Qty`, `Price`, `Usdt`).
 * - Time is an integer number of microseconds (`tsUs`) carried by every input; the kernel has
 *   no clock.
 * - Venue order ids are decimal strings (BingX ids are 19-digit integers above 2^53).
 * - Inputs with an unknown field, an unknown enum value, NaN/Inf, a non-positive size or price,
 *   an absurd magnitude (> 1e15) or an empty id are refused with INVALID_INTENT / INVALID_EVENT
 *   naming the field, and change nothing (flaws G7, F3, A8, Q2, Q7, H6).
 */

/** Decimal number encoded as a string, e.g. "202276" or "0.1878". */
export type DecimalString = string;

/** Slot life-cycle stages (docs/architecture.md §Kernel reference 5, plus ORDER_REQUESTED / EXIT_REQUESTED). */
export type Stage =
  | "IDLE" // free; ENTER allowed
  | "ORDER_REQUESTED" // ENTER accepted, SUBMIT command emitted, no venue ACK yet
  | "ENTRY_WORKING" // entry order acknowledged by the venue, not fully filled
  | "POSITION_OPEN" // entry filled (fully, or partially then the remainder cancelled)
  | "EXIT_REQUESTED" // EXIT accepted, SUBMIT (reduce-only) emitted, no ACK yet
  | "EXIT_WORKING" // exit order acknowledged, not fully filled
  | "CLOSED" // position fully exited; ENTER (re-entry with a new tradeId) allowed
  | "STALE_STATE_RECONCILING"; // after restore with orders in flight; intents refused until reconcile

export type PositionSide = "LONG" | "SHORT";
export type OrderSide = "BUY" | "SELL";
export type OrderType = "MARKET" | "LIMIT";
export type TimeInForce = "GTC" | "IOC" | "FOK" | "POST_ONLY";
export type Severity = "INFO" | "WARNING" | "ERROR" | "CRITICAL";

/** Diagnostic codes (docs/architecture.md §Kernel reference 11 error surface, docs/accounting.md §6.1). */
export type DiagnosticCode =
  | "OK"
  | "INVALID_INTENT" // malformed intent; details.field names the field
  | "INVALID_EVENT" // malformed venue / account / mark input; details.field names the field
  | "INVALID_SLOT" // slotId out of range
  | "SLOT_BUSY" // ENTER on a slot that is not IDLE/CLOSED
  | "DUPLICATE_TRADE_ID" // ENTER with a tradeId already live in another slot (E7)
  | "NO_ACTIVE_ORDER" // CANCEL with nothing to cancel (Flaws 1-2, E9, G10)
  | "NO_POSITION" // EXIT on a slot without an open position
  | "ZERO_SIZE_EXIT" // exit leg would be 0 after step-size rounding (I2, F3)
  | "INVALID_TRANSITION" // input not allowed in the current stage
  | "DUPLICATE_EVENT" // eventId already seen for this trade: no-op (Flaw 10, M6, I10)
  | "UNRESOLVED_SLOT" // event matches no order of any slot: nothing mutated (G13, J8)
  | "STALE_EVENT" // event for an order no longer live (stale ORDER_REJECT, stray fill on CLOSED: M9, I13)
  | "OVERFILL" // fill beyond the order/position quantity: clamped, flagged (I8, A3)
  | "STALE_STATE" // intent refused while STALE_STATE_RECONCILING
  | "VENUE_REJECTED" // ORDER_REJECT / CANCEL_REJECT applied
  | "RATE_LIMITED" // retryable; details.retryable=true, retryAfterMs or releaseEta (I21)
  | "ANCHOR_REJECTED" // wallet balance missing / zero / negative / NaN (L5)
  | "PNL_ANOMALY" // |kernel estimate - exchange| beyond tolerance: recorded, not re-booked (spec §5.2)
  | "RECONCILE_MISMATCH" // venue truth disagrees with the slot (size / orders); details say how
  | "INVALID_STATE" // restore / reconcile image rejected (Flaw 11, G8, J7, G14)
  | "DISPOSED" // binding-side: call after dispose() (F20, G30, P1)
  | "INTERNAL"; // a bug caught at the boundary instead of a trap (G2, P2, P4)

/** Kernel configuration (create). */
export interface KernelConfig {
  /** Number of slots, 1..=64. Default 10. */
  slotCount?: number;
  /** Seed capital before the first exchange anchor (capitalSource = "seed"). */
  initialCapitalUsdt: DecimalString;
  /** Instruments the kernel may trade; ENTER on another symbol is INVALID_INTENT (Flaw 8). */
  instruments: InstrumentSpec[];
  /** Exit leg ratios used when ENTER gives none (each in (0,1], sum == 1; G18, I20). Default ["1"]. */
  defaultExitLegRatios?: DecimalString[];
  /** |kernel estimate − exchange realized| above which FILL_SETTLED records PNL_ANOMALY. Default "0.5". */
  pnlAnomalyToleranceUsdt?: DecimalString;
  /** Kernel-side exchange-leverage cap (G12). Default 125. */
  maxLeverage?: number;
  /**
   * Closed trades kept for lookup (trades(), tradeRealized, FILL_SETTLED repair / comparison,
   * stray-event protection), 1..=10,000,000. Default 10,000. Beyond it the oldest trade is
   * evicted: its booked realized and fees move into the ledger's evicted totals (capital is
   * unchanged), its trade id stays taken (E7), and a later FILL_SETTLED or stray event for it is
   * UNRESOLVED_SLOT with nothing mutated — so a settlement arriving after `archiveCapacity` newer
   * trades closed can no longer repair its trade. Bounds the kernel's memory (~2 KB per trade).
   */
  archiveCapacity?: number;
}

export interface InstrumentSpec {
  symbol: string; // BingX form "FET-USDT"
  tickSize: DecimalString; // 10^-pricePrecision
  stepSize: DecimalString; // 10^-quantityPrecision; exit legs are rounded DOWN to it
  minQty?: DecimalString; // tradeMinQuantity
}

// ───────────────────────────── intents ─────────────────────────────

interface IntentBase {
  /** Unique per intent (idempotency of the intent itself; used to derive command ids). */
  intentId: string;
  tsUs: number;
  slotId: number;
}

/** Open a position in an IDLE or CLOSED slot. Emits one SUBMIT; stage → ORDER_REQUESTED. */
export interface EnterIntent extends IntentBase {
  kind: "ENTER";
  tradeId: string; // [A-Za-z0-9_-]{1,24}; unique among live slots (E7)
  symbol: string;
  side: PositionSide;
  quantity: DecimalString; // exchange quantity (base coin), > 0, aligned down to stepSize
  orderType: OrderType;
  limitPrice?: DecimalString; // required for LIMIT, forbidden for MARKET (Flaw 6, E3, M18)
  timeInForce?: TimeInForce; // default GTC
  leverage: number; // exchange leverage, integer 1..=maxLeverage (G12); never enters PnL
  exitLegRatios?: DecimalString[];
}

/**
 * Submit the next exit leg. Leg size = floor_step(remaining × ratio), the last leg (or ratio 1)
 * is exactly the remaining size; never above remaining (A1/E8, Flaw 4, G4). Emits one reduce-only
 * SUBMIT; stage → EXIT_REQUESTED. A leg that rounds to 0 → ZERO_SIZE_EXIT, nothing emitted (I2).
 */
export interface ExitIntent extends IntentBase {
  kind: "EXIT";
  orderType: OrderType;
  limitPrice?: DecimalString;
  timeInForce?: TimeInForce;
  /** Overrides the configured leg ratio for this leg, in (0,1]. */
  ratio?: DecimalString;
}

/** Close whatever size remains, in one reduce-only order (G1). */
export interface ExitResidualIntent extends IntentBase {
  kind: "EXIT_RESIDUAL";
  orderType: OrderType;
  limitPrice?: DecimalString;
  timeInForce?: TimeInForce;
}

/**
 * Cancel the slot's working order (entry or exit). Outcome OK means "cancel command emitted";
 * the slot changes only on CANCEL_ACK / CANCEL_REJECT. Nothing to cancel → NO_ACTIVE_ORDER.
 * Recorded as a transition (trigger "CANCEL", stage unchanged) (Flaws 1-2, M2, F1).
 */
export interface CancelIntent extends IntentBase {
  kind: "CANCEL";
}

export type Intent = EnterIntent | ExitIntent | ExitResidualIntent | CancelIntent;

// ───────────────────────────── venue events ─────────────────────────────

export type VenueEventKind =
  | "ORDER_ACK"
  | "PARTIAL_FILL"
  | "FULL_FILL"
  | "CANCEL_ACK"
  | "CANCEL_REJECT"
  | "ORDER_REJECT"
  | "RATE_LIMITED";

/**
 * A normalised venue event (produced by the adapter from BingX REST/WS payloads).
 * Routing: venueOrderId, then clientOrderId, then (only when both are absent) the stage of
 * slotHint's slot (docs/accounting.md §6.1-6.2). Nothing matches → UNRESOLVED_SLOT, nothing mutated.
 */
export interface VenueEvent {
  kind: VenueEventKind;
  /** Dedup key, unique per distinct venue fact; a duplicate is a no-op (Flaw 10, I10, F26). */
  eventId: string;
  tsUs: number;
  symbol: string;
  venueOrderId?: string;
  clientOrderId?: string;
  /** Routing hint used only when the event carries no order identity (BingX WS omits `c`). */
  slotHint?: number;
  /**
   * Fill quantity. INCREMENTAL: this fill's quantity (BingX `l` / a fill row).
   * CUMULATIVE: the order's total filled so far (`z` / `executedQty`); the kernel applies only
   * the part beyond what it already booked for that order (I1, E10). Required for fills.
   * CANCEL_ACK (optional, CUMULATIVE only): the order's executed quantity when it ended (WS `z`
   * of the CANCELED/EXPIRED frame, a cancel reply's executedQty), with `fillPrice` its average
   * price; any part beyond what the order booked is booked as a fill before the order ends (a
   * fill whose frame was lost never leaves the venue's position unbooked: chaos seed 7050).
   */
  fillQty?: DecimalString;
  quantityMode?: "INCREMENTAL" | "CUMULATIVE";
  /**
   * True fill price: INCREMENTAL → this fill's price; CUMULATIVE → the order's average price
   * (`ap` / `avgPrice`), the increment's price being derived from the notional difference.
   * "0" or absent = no true price known (never the order's nominal/bound price: docs/accounting.md §0.2):
   * entry → entry_basis_missing; exit → size reduced, 0 booked, realized_skipped_no_price.
   */
  fillPrice?: DecimalString;
  /** Fee in USDT, positive = paid (BingX `n` sign flipped by the adapter). */
  feeUsdt?: DecimalString;
  /**
   * INCREMENTAL (default when quantityMode is INCREMENTAL): this event's fee, booked once per
   * distinct eventId. CUMULATIVE: the order's total fee so far; the kernel books the part beyond
   * what it already booked for that order. The adapter sends WS `n` as INCREMENTAL with a
   * CUMULATIVE `z`; REST order replies carry no fee; reconcile carries cumulative fees.
   */
  feeMode?: "INCREMENTAL" | "CUMULATIVE";
  /** Venue error code (ORDER_REJECT / CANCEL_REJECT / RATE_LIMITED), e.g. 101400, 109429. */
  venueCode?: number;
  reason?: string;
  /** RATE_LIMITED: milliseconds until the venue unblocks, when the venue says so. */
  retryAfterMs?: number;
}

// ───────────────────────────── market and account ─────────────────────────────

/** Mark price: updates unrealized PnL only; never becomes an entry basis (A4, docs/accounting.md §0.1). */
export interface MarkPrice {
  tsUs: number;
  symbol: string;
  markPrice: DecimalString;
}

export type AccountEvent =
  | {
      /** Exchange wallet (ACCOUNT_UPDATE B[].wb / balance endpoint): anchors capital (docs/accounting.md §3.1). */
      kind: "BALANCE";
      eventId: string;
      tsUs: number;
      walletBalanceUsdt?: DecimalString; // missing / zero / negative → ANCHOR_REJECTED (L5)
      availableMarginUsdt?: DecimalString;
    }
  | {
      /**
       * Exchange settlement of one fill (WS ORDER_TRADE_UPDATE rp + n, or income REALIZED_PNL +
       * TRADING_FEE). Repairs a leg flagged realized_skipped_no_price; otherwise records
       * pnlSource=exchange and PNL_ANOMALY when beyond tolerance (docs/accounting.md §5.2). Routed like fills.
       * Fee: booked per order as the larger (in magnitude) of the order's fill fees and its
       * FILL_SETTLED fees, so a fee reported by both is booked once and a fee reported only here
       * (fills from REST replies carry none) is still booked (docs/accounting.md §3.1, A7). A settlement naming
       * only a tradeId books what the trade's exchange fees exceed its booked fees by.
       */
      kind: "FILL_SETTLED";
      eventId: string;
      tsUs: number;
      symbol: string;
      tradeId?: string;
      venueOrderId?: string;
      clientOrderId?: string;
      realizedPnlUsdt: DecimalString; // exchange rp (gross of fees)
      feeUsdt: DecimalString; // positive = paid
      /**
       * The order's cumulative filled quantity including the settled fill (WS `z`), > 0. Pairs
       * the settlement with the booked exit fill whose range holds it, in any arrival order; a
       * fill booked merged (a cumulative frame that outran an earlier one) collects all of its
       * settlements. Absent: the k-th settlement of an order pairs with its k-th booked fill.
       */
      cumQty?: DecimalString;
    }
  | {
      /** Funding payment (income FUNDING_FEE / ACCOUNT_UPDATE m=FUNDING_FEE); + = received. */
      kind: "FUNDING";
      eventId: string;
      tsUs: number;
      symbol: string;
      amountUsdt: DecimalString;
    };

// ───────────────────────────── outputs ─────────────────────────────

/** A command for the runtime to carry to the venue (the kernel never performs I/O). */
export type VenueCommand =
  | {
      kind: "SUBMIT";
      commandId: string; // deterministic, unique per kernel instance and trade
      slotId: number;
      tradeId: string;
      purpose: "ENTRY" | "EXIT";
      clientOrderId: string; // deterministic, lower-case, <= 40 chars, unique per order (I11)
      symbol: string;
      side: OrderSide;
      positionSide: "BOTH"; // one-way mode (hedge mode is a venue option the adapter maps)
      orderType: OrderType;
      quantity: DecimalString;
      limitPrice?: DecimalString;
      reduceOnly: boolean; // true for every exit
      timeInForce: TimeInForce;
    }
  | {
      kind: "CANCEL";
      commandId: string;
      slotId: number;
      tradeId: string;
      symbol: string;
      clientOrderId: string;
      venueOrderId?: string;
    };

export interface Transition {
  slotId: number;
  tradeId: string;
  /** The TRUE previous stage (G3, M1), read before the mutation. */
  from: Stage;
  to: Stage;
  /** What caused it: an intent kind, a venue event kind, "RESTORE", "RECONCILE", ... */
  trigger: string;
  tsUs: number;
}

/** The result of every kernel call. */
export interface Outcome {
  accepted: boolean;
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  /** Machine-readable details: field, value, retryable, retryAfterMs, releaseEta, ... */
  details: Record<string, string | number | boolean>;
  transitions: Transition[];
  commands: VenueCommand[];
  /** The ledger's eventSeq after this call. */
  ledgerSeq: number;
  /**
   * Slots this call wrote to, ascending (kernel model::Slots): a slot not listed is unchanged, so
   * a cached SlotImage of it is still current. May list a slot written with equal values.
   * The stage changes among them are in `transitions`. Always set on outcomes from the kernel;
   * optional only so hand-built outcomes (tests, fixtures) need not carry it.
   */
  changedSlots?: number[];
}

// ───────────────────────────── state images ─────────────────────────────

export interface OrderImage {
  purpose: "ENTRY" | "EXIT";
  clientOrderId: string;
  venueOrderId?: string;
  side: OrderSide;
  orderType: OrderType;
  quantity: DecimalString;
  limitPrice?: DecimalString;
  filledQty: DecimalString; // booked so far
  filledNotionalUsdt: DecimalString; // Σ qty × true price of booked fills (0-price fills add 0)
  acked: boolean;
  cancelRequested: boolean;
  exitLegIndex?: number;
}

export interface ExitLeg {
  legIndex: number;
  clientOrderId: string;
  quantity: DecimalString; // filled quantity of the leg
  exitNotionalUsdt: DecimalString; // Σ qty × true price over the priced quantity
  pricedQty: DecimalString; // quantity booked with a true price (< quantity when a fill had none)
  realizedPnlUsdt: DecimalString; // side-signed qty × (exit − entry VWAP), no leverage factor
  feesUsdt: DecimalString;
  exchangeRealizedPnlUsdt?: DecimalString; // from FILL_SETTLED
  realizedSkippedNoPrice: boolean;
}

export interface SlotImage {
  slotId: number;
  stage: Stage;
  /** Stage to resume after STALE_STATE_RECONCILING. */
  resumeStage?: Stage;
  tradeId: string; // "" when IDLE and never used
  symbol: string;
  side?: PositionSide;
  leverage: number;
  targetQty: DecimalString; // ENTER quantity
  sizeQty: DecimalString; // current position size (exchange quantity), 0 <= size <= initialSizeQty
  initialSizeQty: DecimalString; // total entry filled quantity
  entryNotionalUsdt: DecimalString;
  entryPrice: DecimalString; // entry VWAP; "0" when no priced entry fill
  markPrice: DecimalString;
  realizedPnlUsdt: DecimalString; // Σ legs (after exchange repairs)
  unrealizedPnlUsdt: DecimalString;
  feesUsdt: DecimalString; // entry + exit fees of this trade
  settledRealizedUsdt: DecimalString; // settle baseline (realized already moved into the ledger)
  settledFeesUsdt: DecimalString;
  entryOrder?: OrderImage;
  exitOrder?: OrderImage;
  exitLegRatios: DecimalString[];
  exitLegIndex: number; // next leg to submit
  legs: ExitLeg[];
  seenEventIds: string[]; // of the current trade; survives save/restore (I10, F26)
  flags: {
    entryBasisMissing: boolean;
    realizedSkippedNoPrice: boolean;
    overfill: boolean;
  };
  rateLimit?: { retryAfterMs?: number; releaseEta?: string; untilUs?: number };
  openedAtUs?: number;
  closedAtUs?: number;
  /**
   * Finished orders of this trade — and of earlier trades of this slot archived before it — with
   * fills whose fee the venue has not confirmed (no reconcile / order query stated its commission
   * at a terminal status for the booked quantity); absent when none. Stream frames cannot prove a fee complete (a lost frame's fee is invisible), so the
   * runtime queries these in its next reconcile (scenario i10-duplicates-across-restarts).
   */
  feeUnconfirmedOrders?: { symbol: string; clientOrderId: string; venueOrderId?: string }[];
}

export type CapitalSource = "seed" | "e_anchored" | "k_bridged";

/** The one account ledger, published as an immutable versioned snapshot (docs/accounting.md §3-4, T2). */
export interface LedgerSnapshot {
  eventSeq: number; // +1 per ledger mutation
  capitalUsdt: DecimalString;
  equityUsdt: DecimalString; // capital + Σ unrealized
  peakCapitalUsdt: DecimalString;
  realizedPnlUsdt: DecimalString; // Σ settled realized increments (gross)
  unrealizedPnlUsdt: DecimalString;
  feesPaidUsdt: DecimalString;
  fundingUsdt: DecimalString;
  tradeSeq: number; // +1 per closed trade (M13)
  capitalSource: CapitalSource;
  eWalletBalanceUsdt: DecimalString; // last anchored wallet, "0" before any anchor
  eAvailableMarginUsdt: DecimalString;
  /** Capital at the last anchor; capital − anchorCapital = bridged realized − fees since then. */
  anchorCapitalUsdt: DecimalString;
  anomalyCount: number;
  /** Closed trades evicted from the archive (KernelConfig.archiveCapacity). */
  evictedTrades: number;
  /** Σ booked realized / fees of the evicted trades: Σ trades() + evicted = realizedPnlUsdt / feesPaidUsdt. */
  evictedRealizedUsdt: DecimalString;
  evictedFeesUsdt: DecimalString;
}

/** Per-trade record (docs/accounting.md §5.1-5.2; E23, G21, A13: exit VWAP is the true exit price). */
export interface TradeRecord {
  tradeId: string;
  slotId: number;
  symbol: string;
  side: PositionSide;
  leverage: number;
  entryVwap: DecimalString;
  exitVwap: DecimalString; // "0" if no priced exit fill
  quantity: DecimalString; // entry filled quantity
  exitedQty: DecimalString;
  legs: ExitLeg[];
  realizedGrossUsdt: DecimalString; // booked figure (kernel estimate, or exchange after repair)
  kernelEstimateUsdt: DecimalString;
  exchangeRealizedUsdt?: DecimalString;
  feesUsdt: DecimalString;
  realizedNetUsdt: DecimalString; // gross − fees
  pnlSource: "exchange" | "kernel_estimate";
  flags: string[]; // e.g. "realized_skipped_no_price", "entry_basis_missing", "repaired_from_exchange", "repriced_from_order" (docs/accounting.md §Missing prices)
  closed: boolean;
  openedAtUs?: number;
  closedAtUs?: number;
}

export interface Anomaly {
  seq: number;
  tsUs: number;
  code: DiagnosticCode;
  tradeId?: string;
  detail: string;
  kernelEstimateUsdt?: DecimalString;
  exchangeUsdt?: DecimalString;
}

export interface KernelSnapshot {
  slots: SlotImage[];
  ledger: LedgerSnapshot;
  trades: TradeRecord[];
  anomalies: Anomaly[];
}

/**
 * Venue truth for reconcile (after restore, or when the runtime suspects lost messages):
 * REST positions + the state of every order the kernel may still care about.
 * The kernel applies missing fills as cumulative fills (idempotent), resolves cancels,
 * resumes STALE_STATE_RECONCILING slots, and reports RECONCILE_MISMATCH for any residual
 * disagreement instead of overwriting silently (Flaw 11, I14).
 */
export interface ReconcileReport {
  tsUs: number;
  positions: { symbol: string; positionSide: "BOTH" | "LONG" | "SHORT"; quantity: DecimalString }[];
  orders: {
    symbol: string;
    venueOrderId: string;
    clientOrderId?: string;
    status: "NEW" | "PENDING" | "PARTIALLY_FILLED" | "FILLED" | "CANCELLED" | "EXPIRED" | "NOT_FOUND";
    executedQty: DecimalString;
    avgPrice: DecimalString; // "0" when unknown
    feeUsdt?: DecimalString; // cumulative, positive = paid
  }[];
}
