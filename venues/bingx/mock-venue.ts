/**
 * The BingX USDT-M perpetual ("swap v2") mock venue: a SimVenue (venues/venue.ts) that answers
 * REST requests and emits user-stream frames exactly as BingX puts them on the wire
 * (docs/bingx-protocol.md), in virtual time, with all randomness drawn from the caller's seeded stream.
 *
 * Model summary (details in venues/README.md):
 * - Contracts table with truncation of over-precise price/quantity, minimums (101400), unknown
 *   symbol (109400 / 80014) (docs/bingx-protocol.md §10, §8).
 * - One-way mode (positionSide BOTH, reduceOnly) by default, hedge mode (LONG/SHORT) as an option;
 *   leverage per symbol and side; cross margin with an initial-margin check (101204).
 * - MARKET orders walk `depthLevels` price levels (`slippageBps` apart, each `levelDepthUsdt`
 *   deep with seeded jitter, the last level unlimited): several fills at different prices. The
 *   order's `price`/`p` is the protective bound price ≈20-25 % adverse (docs/bingx-protocol.md §12, switch
 *   `marketBoundPrice`); `avgPrice`/`ap` and `executedQty`/`z` are true; `cumQuote` is rounded
 *   to an integer (docs/bingx-protocol.md §4.2).
 * - LIMIT orders: marketable part takes (taker), the rest rests (REST PENDING, WS NEW) with a
 *   risk-averse queue: fills happen only after the quantity queued ahead has traded; GTC, IOC,
 *   FOK, PostOnly (101215); price band around the mark (101211).
 * - Fees taker/maker from the contract (negative `n`/`commission` = paid), funding every 8 h at
 *   00/08/16 UTC, income rows with tranId, token-bucket rate limits (docs/bingx-protocol.md §7), listen keys
 *   expiring after 60 min without extension.
 * - Ledger: wallet = initial + Σ realized − Σ fees + Σ funding, exactly (docs/architecture.md §Ledger invariants 1).
 *
 * Simulator hooks (not BingX endpoints): {@link BingxMockVenue.injectRateLimitStorm},
 * {@link BingxMockVenue.injectOutage}, {@link BingxMockVenue.injectListenKeyExpiry},
 * {@link BingxMockVenue.setFundingRate}.
 */
import type { ContractSpec, VenueQuirks } from "../types.js";
import type { MarketTick, RestRequest, RestResponse, SimVenue, VenueLedger, WsMessage } from "../venue.js";
import { contractTable, roundPriceToTick, tickSize, truncatePrice, truncateQty } from "./contracts.js";
import { Dec, ZERO, canonicalPlain, fixed, fmt, parseDecimal, scaledInteger, toPlaces } from "./dec.js";
import { CODE, errorCode, type GenerationalError } from "./errors.js";
import { RawNumber, jsonString, toJsonText, type JsonValue } from "./json.js";
import { DEFAULT_RATE_LIMITS, RateLimiter, type EndpointLimit, type RateLimitConfig } from "./rate-limit.js";
import type { SymbolBooks, VenueJournalEntry } from "./journal.js";

/**
 * Venue flaw mutants (scenarios/mutants.ts only; never set by default or by the runtime).
 * - "venue_reduce_only_no_clamp": a reduce-only order is neither refused when it exceeds the open
 *   position (101290) nor clamped to it when it fills, so the position flips through zero
 *   (docs/bingx-protocol.md §8 101290; the venue conformance property "reduce-only never increases
 *   or flips a position" catches it).
 */
export type VenueMutant = "venue_reduce_only_no_clamp";
let venueMutant: VenueMutant | null = null;
/** Switch a venue flaw mutant on (or off with null). Used only by the mutant runner (scenarios/mutants.ts). */
export function setVenueMutant(id: VenueMutant | null): void {
  venueMutant = id;
}

/** Venue quirk switches (venues/types.ts VenueQuirks); docs/bingx-protocol.md §12 behaviour is the default. */
export type BingxQuirks = VenueQuirks;

/** Model parameters beyond the scenario quirk switches. Every field optional; defaults in brackets. */
export interface BingxMockModel {
  /** Depth of one MARKET price level in USDT, jittered ×[0.5,1.5) per order ["20000"]. */
  levelDepthUsdt?: string;
  /** Fixed protective-bound offset (fraction, e.g. 0.2194); default: drawn per order in [0.20, 0.25). */
  boundPct?: number;
  /** Limit price band around the mark price (fraction) for 101211 ["0.10"] (docs/bingx-protocol.md §10). */
  priceBandPct?: string;
  /** Queue ahead of a new resting order, in level depths ×[0.5,1.5) [1]. */
  queueAheadFactor?: number;
  /** A tick this many ticks through a resting limit fills it completely [3]. */
  fullFillTicksThrough?: number;
  /** Funding rate per 8 h for every symbol ["0.0001"]; > 0 means longs pay (docs/bingx-protocol.md §9). */
  fundingRate?: string;
  /** Per-symbol funding rates overriding `fundingRate`. */
  fundingRates?: Record<string, string>;
  /** Leverage before any POST /trade/leverage [20, VST default "20X"; docs/bingx-protocol.md §1]. */
  defaultLeverage?: number;
  /** Margin asset name in balance rows and B[].a ["USDT"; VST shows "VST"]. */
  marginAsset?: string;
  /** POST /trade/order reply: "vst" = echo + status/avgPrice/executedQty (real VST), "documented" = 7 fields ["vst"]; quirks.ackShape wins. */
  ackShape?: "vst" | "documented";
  /** Client order id key in REST order objects ["clientOrderId"] (docs/bingx-protocol.md §4.1 spelling variance). */
  clientOrderIdSpelling?: "clientOrderId" | "clientOrderID";
  /** v3 balance row spelling: "docs" realisedProfit/freezedMargin, "vst" realizedProfit/frozenMargin ["vst"]. */
  balanceV3Spelling?: "docs" | "vst";
  /** Cancel of a FILLED order answers "already filled" (109422/80018) or "order not exist" (109421/80016) ["ALREADY_FILLED"]. */
  cancelFilledAnswer?: "ALREADY_FILLED" | "NOT_EXIST";
  /** User-stream frames are emitted only while a listen key is valid [true] (docs/bingx-protocol.md §6). */
  requireListenKey?: boolean;
  /** Signed endpoints require `timestamp` within recvWindow (default 5000 ms) of venue time [true]; 100421. */
  checkTimestamp?: boolean;
  /** Rate-limit figures (docs/bingx-protocol.md §7). */
  rateLimits?: Partial<RateLimitConfig>;
  /** HTTP status of a throttled reply [200: HTTP 200 + code, as BingX business errors; 429 possible]. */
  rateLimitHttpStatus?: number;
  /** Account id shown in balance rows ["1000000001"]. */
  userId?: string;
}

/** Options of {@link createBingxMockVenue}. */
export interface BingxMockOptions {
  contracts: ContractSpec[];
  /** Initial wallet balance, USDT decimal string > 0. */
  initialBalanceUsdt: string;
  /** Virtual start time, µs since the Unix epoch. */
  startUs: number;
  /** Seeded uniform [0,1) stream from sim/rng.ts; the venue's only source of randomness. */
  rng: () => number;
  quirks?: VenueQuirks;
  model?: BingxMockModel;
}

/** The mock venue: SimVenue plus simulator hooks. */
export interface BingxMockVenue extends SimVenue {
  /** Until `untilUs`, every rate-limited endpoint answers 109429 (100410 with old codes), msg "unblocked after <untilUs ms>". */
  injectRateLimitStorm(untilUs: number): void;
  /** Until `untilUs`, every REST call answers HTTP 503 + code 100500 and changes nothing (matching and funding go on). */
  injectOutage(untilUs: number): void;
  /** Expire every listen key now: emits listenKeyExpired frames; the stream stops until a new key exists. */
  injectListenKeyExpiry(nowUs: number): WsMessage[];
  /** Set the funding rate of `symbol` for the next settlements (decimal string, e.g. "-0.0003"). */
  setFundingRate(symbol: string, rate: string): void;
  /** Current venue time (µs). */
  nowUs(): number;
  /** Last traded (= mark) price of `symbol`, or undefined before the first tick. */
  lastPrice(symbol: string): string | undefined;
  /** Valid listen keys (for tests and the runtime's bookkeeping). */
  listenKeys(): string[];
  /**
   * The venue's journal since the last drain: every order created, fill, order status change and
   * funding payment, in the order the venue applied them (venues/bingx/journal.ts). The runtime
   * drains it after every venue call and feeds the conformance checker (venues/bingx/conformance.ts).
   */
  drainJournal(): VenueJournalEntry[];
  /** Per-symbol books (realized, its 8-dp rounding, fees, funding, net position), by symbol, sorted. */
  symbolBooks(): Record<string, SymbolBooks>;
}

// ───────────────────────────── internal state ─────────────────────────────

type Side = "BUY" | "SELL";
type PosSide = "BOTH" | "LONG" | "SHORT";
type Tif = "GTC" | "IOC" | "FOK" | "PostOnly";

/** A contract's order minimums and taker fee rate, as Decimals (MockVenue.specLimits). */
interface SpecLimits {
  minQty: Dec;
  minUsdt: Dec;
  takerFeeRate: Dec;
}

/** A place-order request after its parameters were parsed and checked (MockVenue.parsePlaceRequest). */
interface PlaceRequest {
  spec: ContractSpec;
  limits: SpecLimits;
  side: Side;
  type: "MARKET" | "LIMIT";
  positionSide: PosSide;
  reduceOnly: boolean;
  /** Truncated to the step size. */
  qty: Dec;
  /** Truncated to the tick size; 0 for MARKET. */
  limitPrice: Dec;
  tif: Tif;
  /** Lower-cased, "" when none was sent. */
  clientOrderId: string;
}
type Status = "NEW" | "PARTIALLY_FILLED" | "FILLED" | "CANCELLED" | "EXPIRED";

interface Order {
  orderId: string;
  orderIdBig: bigint;
  clientOrderId: string;
  symbol: string;
  side: Side;
  positionSide: PosSide;
  type: "MARKET" | "LIMIT";
  tif: Tif;
  origQty: Dec;
  limitPrice: Dec; // 0 for MARKET
  nominalPrice: Dec; // REST price / WS p: bound (or near-fill) for MARKET, limit for LIMIT
  reduceOnly: boolean;
  executedQty: Dec;
  notional: Dec; // Σ fill qty × fill price, exact
  fee: Dec; // Σ fees, positive = paid
  profit: Dec; // Σ realized
  status: Status;
  timeMs: number;
  updateMs: number;
  queueAheadQty: Dec;
  leverage: number;
  /** fmt of origQty, limitPrice and nominalPrice, which never change: printed once (issue 12 profile). */
  origQtyText: string;
  limitPriceText: string;
  nominalPriceText: string;
  /**
   * The last avgPrice text and the executedQty / notional Decimals it was computed from (Decimals
   * are immutable and replaced on every fill, so the same two objects give the same text: an
   * order's average is printed for each reply and frame, issue 12 profile), at the same pricePrecision.
   */
  avgMemo: { executedQty: Dec; notional: Dec; pricePrecision: number; text: string } | undefined;
  /** LIMIT: the limit price in ticks (an integer, scaledInteger), undefined beyond 15 digits or for MARKET. */
  limitTicks: number | undefined;
}

/** A symbol's mark: the last tick's text as sent, its fmt text, its price (parsed at first read: markOf) and its tick count. */
interface Mark {
  raw: string;
  text: string;
  price: Dec | undefined;
  /** The price in ticks (scaledInteger of text), undefined beyond 15 digits. */
  ticks: number | undefined;
}

interface Position {
  symbol: string;
  positionSide: PosSide;
  positionId: string;
  qty: Dec; // BOTH: signed; LONG/SHORT: >= 0
  entry: Dec; // full-precision VWAP
  realized: Dec; // cumulative realized of this position record (cr)
  updateMs: number;
  /** fmt of qty and entry, and entry at pricePrecision + 4 decimals (ep / avgPrice), each kept for the Decimal it was printed from. */
  qtyText: FmtMemo;
  entryText: FmtMemo;
  entryWire: FmtMemo;
}

interface IncomeRow {
  symbol: string;
  incomeType: "REALIZED_PNL" | "TRADING_FEE" | "FUNDING_FEE";
  income: Dec;
  info: string;
  timeMs: number;
  tranId: string;
  tradeId: string;
}

interface Route {
  key: string;
  limit: EndpointLimit;
  signed: boolean;
  handler: (p: Record<string, string>) => Reply;
}

interface Reply {
  httpStatus: number;
  body: string;
}

const FUNDING_PERIOD_US = 28_800_000_000; // 8 h; 00/08/16 UTC are multiples of 8 h since the epoch
const LISTEN_KEY_TTL_US = 3_600_000_000; // 60 min (docs/bingx-protocol.md §6)
const SEVEN_DAYS_MS = 7 * 24 * 3_600_000;

const ONE = new Dec(1);
const round8 = (d: Dec): Dec => toPlaces(d, 8, Dec.ROUND_HALF_UP);

/**
 * Decimals of an order's average price on the wire beyond the contract's pricePrecision (REST
 * avgPrice, WS ap; rounded half-up, trailing zeros dropped). A consumer pricing fills from it
 * inherits up to half a unit of that last decimal per unit of quantity (sim/oracle.ts bounds).
 */
export const AVG_PRICE_EXTRA_DECIMALS = 4;
const money = (d: Dec): string => fmt(round8(d));
const msOf = (us: number): number => Math.floor(us / 1000);
/** Number of decimals of a plain decimal text ("0.1878" → 4, "12" → 0). */
const decimalsOf = (text: string): number => {
  const dot = text.indexOf(".");
  return dot < 0 ? 0 : text.length - dot - 1;
};

/**
 * `format(d)` of the last Decimal object asked for (fmt unless given), reused while the same object
 * is asked again (Decimals are immutable; a position's or the wallet's figure is printed by the
 * journal, the frames and the replies of one step).
 */
class FmtMemo {
  private d: Dec | undefined;
  private text = "";
  constructor(private readonly format: (d: Dec) => string = fmt) {}
  of(d: Dec): string {
    if (d !== this.d) {
      this.text = this.format(d);
      this.d = d;
    }
    return this.text;
  }
}

class VenueError {
  constructor(
    public readonly code: number,
    public readonly msg: string,
  ) {}
}

/** The venue quirks a mock runs with: BingxQuirks with its defaults filled in. */
type ResolvedQuirks = Required<Pick<BingxQuirks, "marketBoundPrice" | "omitWsClientOrderId" | "omitWalletBalance" | "omitWsAvgPrice" | "newErrorCodes" | "hedgeMode" | "depthLevels" | "slippageBps">>;
/** The venue model a mock runs with: BingxMockModel with its defaults filled in. */
type ResolvedModel = Required<Omit<BingxMockModel, "boundPct" | "fundingRates" | "rateLimits">> & { boundPct?: number };

/** `qk` with the defaults filled in. @throws Error naming the quirk and value when one is out of range. */
function resolveQuirks(qk: BingxQuirks): ResolvedQuirks {
  const q: ResolvedQuirks = {
    marketBoundPrice: qk.marketBoundPrice ?? true,
    omitWsClientOrderId: qk.omitWsClientOrderId ?? true,
    omitWalletBalance: qk.omitWalletBalance ?? 0.1,
    omitWsAvgPrice: qk.omitWsAvgPrice ?? 0,
    newErrorCodes: qk.newErrorCodes ?? true,
    hedgeMode: qk.hedgeMode ?? false,
    depthLevels: qk.depthLevels ?? 3,
    slippageBps: qk.slippageBps ?? 2,
  };
  if (!(q.omitWalletBalance >= 0 && q.omitWalletBalance <= 1)) throw new Error(`createBingxMockVenue: quirks.omitWalletBalance must be in [0,1], got ${q.omitWalletBalance}`);
  if (!(q.omitWsAvgPrice >= 0 && q.omitWsAvgPrice <= 1)) throw new Error(`createBingxMockVenue: quirks.omitWsAvgPrice must be in [0,1], got ${q.omitWsAvgPrice}`);
  if (!Number.isInteger(q.depthLevels) || q.depthLevels < 1 || q.depthLevels > 100) throw new Error(`createBingxMockVenue: quirks.depthLevels must be an integer in [1,100], got ${q.depthLevels}`);
  if (!(q.slippageBps >= 0 && q.slippageBps <= 10_000)) throw new Error(`createBingxMockVenue: quirks.slippageBps must be in [0,10000], got ${q.slippageBps}`);
  return q;
}

/**
 * `md` with the defaults filled in (`ackShape` may also come from the quirks). @throws Error
 * naming the field and value when `ackShape` is neither "vst" nor "documented".
 */
function resolveModel(md: BingxMockModel, qk: BingxQuirks): ResolvedModel {
  const m: ResolvedModel = {
    levelDepthUsdt: md.levelDepthUsdt ?? "20000",
    boundPct: md.boundPct,
    priceBandPct: md.priceBandPct ?? "0.10",
    queueAheadFactor: md.queueAheadFactor ?? 1,
    fullFillTicksThrough: md.fullFillTicksThrough ?? 3,
    fundingRate: md.fundingRate ?? "0.0001",
    defaultLeverage: md.defaultLeverage ?? 20,
    marginAsset: md.marginAsset ?? "USDT",
    ackShape: qk.ackShape ?? md.ackShape ?? "vst",
    clientOrderIdSpelling: md.clientOrderIdSpelling ?? "clientOrderId",
    balanceV3Spelling: md.balanceV3Spelling ?? "vst",
    cancelFilledAnswer: md.cancelFilledAnswer ?? "ALREADY_FILLED",
    requireListenKey: md.requireListenKey ?? true,
    checkTimestamp: md.checkTimestamp ?? true,
    rateLimitHttpStatus: md.rateLimitHttpStatus ?? 200,
    userId: md.userId ?? "1000000001",
  };
  if (m.ackShape !== "vst" && m.ackShape !== "documented") throw new Error(`createBingxMockVenue: ackShape must be "vst" or "documented", got ${JSON.stringify(m.ackShape)}`);
  return m;
}

/** What a fill did to a position: realized PnL before and after the 8-dp rounding, and whether it reduced the position. */
interface PositionMove {
  exact: Dec;
  realized: Dec;
  closing: boolean;
}

/**
 * A fill of `qty` at `price` on a one-way (BOTH) position: a fill against the position realizes
 * (closed quantity × Δprice, sign of the position) and may flip it through zero (the new entry is
 * the fill price); a fill with it moves the entry to the blended VWAP. Mutates `pos`.
 */
function moveOneWay(pos: Position, side: "BUY" | "SELL", qty: Dec, price: Dec, fillNotional: Dec): PositionMove {
  const delta = side === "BUY" ? qty : qty.neg();
  if (!pos.qty.isZero() && pos.qty.isNeg() !== delta.isNeg()) {
    const closeQ = Dec.min(qty, pos.qty.abs());
    const exact = closeQ.mul(price.minus(pos.entry)).mul(pos.qty.isNeg() ? -1 : 1);
    const nq = pos.qty.plus(delta);
    if (nq.isZero()) pos.entry = ZERO;
    else if (nq.isNeg() !== pos.qty.isNeg()) pos.entry = price; // flipped through zero
    pos.qty = nq;
    return { exact, realized: round8(exact), closing: true };
  }
  const nq = pos.qty.plus(delta);
  pos.entry = pos.qty.abs().mul(pos.entry).plus(fillNotional).div(nq.abs());
  pos.qty = nq;
  return { exact: ZERO, realized: ZERO, closing: false };
}

/**
 * A fill on a hedge-mode (LONG / SHORT) position: BUY on LONG and SELL on SHORT open (blended
 * VWAP entry), the others close and realize qty × Δprice in the position's direction. Mutates `pos`.
 */
function moveHedged(pos: Position, o: Order, qty: Dec, price: Dec, fillNotional: Dec): PositionMove {
  const opens = (o.positionSide === "LONG" && o.side === "BUY") || (o.positionSide === "SHORT" && o.side === "SELL");
  if (opens) {
    const nq = pos.qty.plus(qty);
    pos.entry = pos.qty.mul(pos.entry).plus(fillNotional).div(nq);
    pos.qty = nq;
    return { exact: ZERO, realized: ZERO, closing: false };
  }
  const exact = qty.mul(price.minus(pos.entry)).mul(o.positionSide === "LONG" ? 1 : -1);
  pos.qty = pos.qty.minus(qty);
  if (pos.qty.isZero()) pos.entry = ZERO;
  return { exact, realized: round8(exact), closing: true };
}

/**
 * Create a BingX mock venue. Throws an Error naming the option on bad options (contracts via
 * ContractSpecError, initialBalanceUsdt, startUs, quirk ranges). Deterministic: the same options,
 * the same rng stream and the same call sequence give byte-identical replies and frames.
 */
export function createBingxMockVenue(opts: BingxMockOptions): BingxMockVenue {
  return new MockVenue(opts);
}

class MockVenue implements BingxMockVenue {
  private readonly contracts: Map<string, ContractSpec>;
  private readonly rng: () => number;
  private readonly q: ResolvedQuirks;
  private readonly m: ResolvedModel;
  private readonly limiter: RateLimiter;
  private readonly rlCfg: RateLimitConfig;
  /** Routes by path, then method (paths are the adapter's constant strings: their hashes are cached). */
  private readonly routes: Map<string, Map<string, Route>>;

  private now: number;
  private readonly initial: Dec;
  private wallet: Dec;
  private sumRealized = ZERO;
  private sumFees = ZERO;
  private sumFunding = ZERO;

  /**
   * Per symbol: the text of the last market tick and its price (the mark), parsed only when read
   * (markOf): a tick that no resting order of its symbol can match builds no Decimal (issue 12
   * profile: most ticks come between two venue calls that read the mark).
   */
  private readonly marks = new Map<string, Mark>();
  private readonly fundingRates = new Map<string, Dec>();
  private readonly leverage = new Map<string, number>(); // `${symbol}|LONG` / `|SHORT`
  private hedgeMode: boolean;
  private readonly orders = new Map<string, Order>(); // by orderId
  private readonly byClientId = new Map<string, Order>();
  private readonly resting: Order[] = []; // ascending orderId
  private readonly positionsMap = new Map<string, Position>();
  /** The same positions by symbol, then side (position(): no key string built per lookup; issue 12 profile). */
  private readonly positionsBySymbol = new Map<string, Record<PosSide, Position | undefined>>();
  private readonly income: IncomeRow[] = [];
  /** The same rows by income type (getIncome with incomeType), in the same time order. */
  private readonly incomeByType = new Map<IncomeRow["incomeType"], IncomeRow[]>();
  private readonly keys = new Map<string, number>(); // listenKey -> expiresUs
  private soonestKeyStale = true;
  private soonestKeyExpUs = Number.POSITIVE_INFINITY;
  private soonestKey: string | undefined;
  private readonly outbox: WsMessage[] = [];
  private nextOrderIdBig: bigint;
  private nextTranId = 1_000_000_001;
  private nextTradeId = 1;
  private nextPositionId = 1;
  private lastFundingUs: number;
  private stormUntilUs = -1;
  private outageUntilUs = -1;
  private readonly journal: VenueJournalEntry[] = [];
  private readonly books = new Map<string, { realized: Dec; rounding: Dec; fees: Dec; funding: Dec }>();
  /** Texts of the ledger figures (ledger()), each kept for the Decimal it was printed from. */
  private readonly ledgerText = { initial: new FmtMemo(), wallet: new FmtMemo(), realized: new FmtMemo(), fees: new FmtMemo(), funding: new FmtMemo() };
  /** money(wallet): the wallet as frames and balance replies print it, kept for the Decimal it was printed from. */
  private readonly walletMoney = new FmtMemo(money);
  private readonly feeRates = new Map<string, { dec: Dec; text: string }>();
  /** The contracts' minimum quantity, minimum notional and taker fee rate as Decimals, by symbol (parsed once; were parsed per order). */
  private readonly specLimits = new Map<string, SpecLimits>();
  /** LIMIT price band factors 1 + priceBandPct and 1 − priceBandPct (docs/bingx-protocol.md §10). */
  private readonly band: { hi: Dec; lo: Dec };
  /** model.fundingRate as a Decimal (the rate of symbols without their own). */
  private readonly defaultFundingRate: Dec;
  /** getPositions' liquidation price factors per leverage (liqFactor). */
  private readonly liqFactors = new Map<number, { long: Dec; short: Dec }>();
  /** planTaker's price factor per depth level (levelFactor). */
  private readonly levelFactors: { up: Dec; down: Dec }[] = [];
  /** model.levelDepthUsdt parsed once (Decimals are immutable; issue 12 profile). */
  private readonly levelDepth: Dec;
  /** Tick size 10^-pricePrecision per symbol, computed once (Dec.pow per market tick was 0.7 % of a soak). */
  private readonly tickBySymbol = new Map<string, Dec>();

  constructor(opts: BingxMockOptions) {
    if (typeof opts.rng !== "function") throw new Error("createBingxMockVenue: rng must be a seeded () => number stream");
    if (!Number.isSafeInteger(opts.startUs) || opts.startUs < 0) throw new Error(`createBingxMockVenue: startUs must be a non-negative integer, got ${opts.startUs}`);
    const init = parseDecimal(opts.initialBalanceUsdt);
    if (!init || init.lte(0)) throw new Error(`createBingxMockVenue: initialBalanceUsdt must be a positive decimal string, got ${JSON.stringify(opts.initialBalanceUsdt)}`);
    this.contracts = contractTable(opts.contracts);
    this.rng = opts.rng;
    const qk = opts.quirks ?? {};
    this.q = resolveQuirks(qk);
    const md = opts.model ?? {};
    this.m = resolveModel(md, qk);
    const depth = parseDecimal(this.m.levelDepthUsdt);
    if (!depth || depth.lte(0)) throw new Error(`createBingxMockVenue: model.levelDepthUsdt must be a positive decimal, got ${this.m.levelDepthUsdt}`);
    this.levelDepth = depth;
    for (const [sym, spec] of this.contracts) this.tickBySymbol.set(sym, tickSize(spec));
    if (this.m.boundPct !== undefined && !(this.m.boundPct > 0 && this.m.boundPct < 1)) throw new Error(`createBingxMockVenue: model.boundPct must be in (0,1), got ${this.m.boundPct}`);
    const band = parseDecimal(this.m.priceBandPct);
    if (!band) throw new Error(`createBingxMockVenue: model.priceBandPct must be a decimal, got ${this.m.priceBandPct}`);
    this.band = { hi: band.plus(1), lo: ONE.minus(band) };
    const fundingRate = parseDecimal(this.m.fundingRate);
    if (!fundingRate) throw new Error(`createBingxMockVenue: model.fundingRate must be a decimal, got ${this.m.fundingRate}`);
    this.defaultFundingRate = fundingRate;
    for (const [sym, spec] of this.contracts) this.specLimits.set(sym, { minQty: new Dec(spec.tradeMinQuantity), minUsdt: new Dec(spec.tradeMinUSDT), takerFeeRate: new Dec(spec.takerFeeRate) });
    for (const [sym, r] of Object.entries(md.fundingRates ?? {})) this.setFundingRate(sym, r);
    this.hedgeMode = this.q.hedgeMode;
    this.now = opts.startUs;
    this.lastFundingUs = opts.startUs;
    this.initial = init;
    this.wallet = init;
    this.rlCfg = { ...DEFAULT_RATE_LIMITS, ...(md.rateLimits ?? {}) };
    for (const [k, v] of Object.entries(this.rlCfg)) if (!Number.isInteger(v) || v <= 0) throw new Error(`createBingxMockVenue: model.rateLimits.${k} must be a positive integer, got ${v}`);
    this.limiter = new RateLimiter(this.rlCfg, opts.startUs);
    // 19-digit order ids above 2^53 (docs/bingx-protocol.md §3), seeded start.
    this.nextOrderIdBig = 1_870_000_000_000_000_000n + BigInt(Math.floor(this.rng() * 1e15));
    this.routes = this.buildRoutes();
  }

  // ───────────────────────────── SimVenue ─────────────────────────────

  handleRest(req: RestRequest, nowUs: number): RestResponse {
    this.advanceInto(nowUs);
    const reply = this.dispatch(req);
    return { requestId: req.requestId, httpStatus: reply.httpStatus, body: reply.body };
  }

  onMarketTick(tick: MarketTick): WsMessage[] {
    const mark = this.outbox.length;
    this.advanceInto(tick.tsUs);
    const spec = this.contracts.get(tick.symbol);
    if (!spec) throw new Error(`onMarketTick: symbol ${JSON.stringify(tick.symbol)} is not in the contracts table`);
    // The same price text as the symbol's last tick is the same (already checked) price: Decimals
    // are immutable, so the last one is kept (a 1 s tick often repeats the price; issue 12 profile).
    const raw = tick.priceUsdt;
    let m = this.marks.get(tick.symbol);
    if (m === undefined || m.raw !== raw) {
      if (m === undefined) this.marks.set(tick.symbol, (m = { raw: "", text: "", price: undefined, ticks: undefined }));
      const canon = canonicalPlain(raw);
      if (canon !== undefined && canon !== "0" && decimalsOf(canon) <= spec.pricePrecision) {
        // Fast path, same value as below: a positive plain text within the tick needs no
        // truncation (truncatePrice would return an equal Decimal) and cannot truncate to 0; its
        // canonical form is what fmt prints for it, and it is parsed when first read (markOf).
        m.price = undefined;
        m.text = canon;
      } else {
        const p = parseDecimal(raw);
        if (!p || p.lte(0)) throw new Error(`onMarketTick: priceUsdt must be a positive decimal string, got ${JSON.stringify(raw)}`);
        const price = truncatePrice(spec, p);
        if (price.lte(0)) throw new Error(`onMarketTick: priceUsdt ${raw} truncates to 0 at pricePrecision ${spec.pricePrecision}`);
        m.price = price;
        m.text = fmt(price);
      }
      m.raw = raw;
      m.ticks = scaledInteger(m.text, spec.pricePrecision);
    }
    if (this.resting.length > 0) this.matchResting(spec, m);
    return this.outbox.splice(mark);
  }

  advanceTo(nowUs: number): WsMessage[] {
    const mark = this.outbox.length;
    this.advanceInto(nowUs);
    return this.outbox.splice(mark);
  }

  drainStream(): WsMessage[] {
    return this.outbox.splice(0);
  }

  ledger(): VenueLedger {
    // The simulator reads the ledger after every venue step; its figures change only on fills
    // and funding. Decimals are immutable and replaced on change, so the text of the same
    // Decimal object is reused (same text as fmt: issue 12 profile).
    const t = this.ledgerText;
    return {
      initialBalanceUsdt: t.initial.of(this.initial),
      walletBalanceUsdt: t.wallet.of(this.wallet),
      realizedPnlUsdt: t.realized.of(this.sumRealized),
      feesPaidUsdt: t.fees.of(this.sumFees),
      fundingUsdt: t.funding.of(this.sumFunding),
    };
  }

  positions(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const sym of [...this.contracts.keys()].sort()) {
      let net = ZERO;
      for (const ps of ["BOTH", "LONG", "SHORT"] as const) {
        const p = this.positionsMap.get(`${sym}|${ps}`);
        if (!p) continue;
        net = ps === "SHORT" ? net.minus(p.qty) : net.plus(p.qty);
      }
      out[sym] = fmt(net);
    }
    return out;
  }

  // ───────────────────────────── simulator hooks ─────────────────────────────

  injectRateLimitStorm(untilUs: number): void {
    if (!Number.isSafeInteger(untilUs)) throw new Error(`injectRateLimitStorm: untilUs must be an integer, got ${untilUs}`);
    this.stormUntilUs = Math.max(this.stormUntilUs, untilUs);
  }

  injectOutage(untilUs: number): void {
    if (!Number.isSafeInteger(untilUs)) throw new Error(`injectOutage: untilUs must be an integer, got ${untilUs}`);
    this.outageUntilUs = Math.max(this.outageUntilUs, untilUs);
  }

  injectListenKeyExpiry(nowUs: number): WsMessage[] {
    const mark = this.outbox.length;
    this.advanceInto(nowUs);
    for (const k of [...this.keys.keys()]) this.expireKey(k);
    return this.outbox.splice(mark);
  }

  setFundingRate(symbol: string, rate: string): void {
    if (!this.contracts.has(symbol)) throw new Error(`setFundingRate: symbol ${JSON.stringify(symbol)} is not in the contracts table`);
    const r = parseDecimal(rate);
    if (!r || r.abs().gt("0.03")) throw new Error(`setFundingRate: rate must be a decimal in [-0.03, 0.03], got ${JSON.stringify(rate)}`);
    this.fundingRates.set(symbol, r);
  }

  nowUs(): number {
    return this.now;
  }

  lastPrice(symbol: string): string | undefined {
    const p = this.markOf(symbol);
    return p ? fmt(p) : undefined;
  }

  listenKeys(): string[] {
    return [...this.keys.keys()];
  }

  drainJournal(): VenueJournalEntry[] {
    return this.journal.splice(0);
  }

  symbolBooks(): Record<string, SymbolBooks> {
    const out: Record<string, SymbolBooks> = {};
    const pos = this.positions();
    for (const sym of [...this.contracts.keys()].sort()) {
      const b = this.book(sym);
      out[sym] = { realizedPnlUsdt: fmt(b.realized), realizedRoundingUsdt: fmt(b.rounding), feesPaidUsdt: fmt(b.fees), fundingUsdt: fmt(b.funding), positionQty: pos[sym] ?? "0" };
    }
    return out;
  }

  private book(symbol: string): { realized: Dec; rounding: Dec; fees: Dec; funding: Dec } {
    let b = this.books.get(symbol);
    if (!b) {
      b = { realized: ZERO, rounding: ZERO, fees: ZERO, funding: ZERO };
      this.books.set(symbol, b);
    }
    return b;
  }

  private setStatus(o: Order, to: Status): void {
    if (o.status === to) return;
    this.journal.push({ kind: "status", tUs: this.now, orderId: o.orderId, symbol: o.symbol, from: o.status, to });
    o.status = to;
  }

  /** fmt of the mark of `symbol` (undefined before its first tick). */
  private markText(symbol: string): string | undefined {
    return this.marks.get(symbol)?.text;
  }

  /** The mark (last tick price) of `symbol`, undefined before its first tick; parsed at its first read. */
  private markOf(symbol: string): Dec | undefined {
    const m = this.marks.get(symbol);
    if (m === undefined) return undefined;
    return m.price ?? (m.price = new Dec(m.text));
  }

  // ───────────────────────────── time ─────────────────────────────

  private advanceInto(nowUs: number): void {
    if (!Number.isSafeInteger(nowUs)) throw new Error(`venue time must be an integer µs, got ${nowUs}`);
    if (nowUs < this.now) throw new Error(`venue time must not go backwards: ${nowUs} < ${this.now}`);
    for (;;) {
      const nextFunding = (Math.floor(this.lastFundingUs / FUNDING_PERIOD_US) + 1) * FUNDING_PERIOD_US;
      if (this.soonestKeyStale) this.findSoonestKey();
      const nextExpiry = this.soonestKeyExpUs;
      const expKey = this.soonestKey;
      const next = Math.min(nextFunding, nextExpiry);
      if (next > nowUs) break;
      this.now = next;
      if (nextFunding <= nextExpiry) {
        this.lastFundingUs = nextFunding;
        this.settleFunding();
      } else if (expKey !== undefined) this.expireKey(expKey);
    }
    this.now = nowUs;
  }

  /**
   * The listen key expiring first (the first in insertion order among equal times), kept between
   * calls and found again only after `keys` changed (advanceInto runs on every tick and call;
   * issue 12 profile). Every `keys.set` / `keys.delete` sets soonestKeyStale.
   */
  private findSoonestKey(): void {
    let nextExpiry = Number.POSITIVE_INFINITY;
    let expKey: string | undefined;
    for (const [k, exp] of this.keys) if (exp < nextExpiry) (nextExpiry = exp), (expKey = k);
    this.soonestKeyExpUs = nextExpiry;
    this.soonestKey = expKey;
    this.soonestKeyStale = false;
  }

  private expireKey(key: string): void {
    this.keys.delete(key);
    this.soonestKeyStale = true;
    // Sent on the stream of the expired key itself, then the stream stops (docs/bingx-protocol.md §6).
    this.outbox.push({ tsUs: this.now, body: toJsonText({ e: "listenKeyExpired", E: new RawNumber(String(msOf(this.now))), listenKey: key }) });
  }

  private settleFunding(): void {
    for (const key of [...this.positionsMap.keys()].sort()) {
      const pos = this.positionsMap.get(key)!;
      if (pos.qty.isZero()) continue;
      const mark = this.markOf(pos.symbol);
      if (!mark) continue;
      const rate = this.fundingRates.get(pos.symbol) ?? this.defaultFundingRate;
      const longQty = pos.positionSide === "SHORT" ? pos.qty.neg() : pos.qty; // signed exposure
      const amount = round8(longQty.mul(mark).mul(rate).neg()); // rate > 0: longs pay
      if (amount.isZero()) continue;
      this.wallet = this.wallet.plus(amount);
      this.sumFunding = this.sumFunding.plus(amount);
      const b = this.book(pos.symbol);
      b.funding = b.funding.plus(amount);
      this.journal.push({ kind: "funding", tUs: this.now, symbol: pos.symbol, positionSide: pos.positionSide, positionQty: pos.qtyText.of(pos.qty), markPrice: this.markText(pos.symbol) ?? fmt(mark), rate: fmt(rate), amountUsdt: fmt(amount), walletAfterUsdt: this.ledgerText.wallet.of(this.wallet) });
      this.addIncome(pos.symbol, "FUNDING_FEE", amount, "Funding Fee", "");
      this.emitAccountUpdate("FUNDING_FEE", amount, []);
    }
  }

  // ───────────────────────────── REST dispatch ─────────────────────────────

  private env(code: number, msg: string, data: JsonValue, httpStatus = 200): Reply {
    return { httpStatus, body: toJsonText({ code, msg, data }) };
  }

  private ok(data: JsonValue): Reply {
    return this.env(0, "", data);
  }

  /**
   * The refusal of a bad parameter: 109400 (80014 with old codes) and `msg`. A method, not a
   * closure per call: the bundle names every closure it builds (esbuild keepNames), which cost
   * a property definition per request (issue 12 profile).
   */
  private invalid(msg: string): VenueError {
    return new VenueError(this.gen("INVALID_PARAMETER"), msg);
  }

  /** Integer ms parameter `k` of `p` (1-16 digits), undefined when absent or empty; else refused as invalid naming `k`. */
  private msParam(p: Record<string, string>, k: string): number | undefined {
    const v = p[k];
    if (v === undefined || v === "") return undefined;
    if (!/^\d{1,16}$/.test(v)) throw this.invalid(`parameter ${k} is invalid: ${v}`);
    return Number(v);
  }

  private gen(kind: GenerationalError): number {
    return errorCode(kind, this.q.newErrorCodes);
  }

  private dispatch(req: RestRequest): Reply {
    if (this.now < this.outageUntilUs) return this.env(CODE.INTERNAL_ERROR, "Internal server error: service unavailable", null, 503);
    const route = this.routes.get(req.path)?.get(req.method); // by path, then method: no key string built per request
    if (!route) return this.env(CODE.INVALID_ARGUMENTS, `api ${req.method} ${req.path} not found`, null, 404);
    const limited = route.limit.uidPerSec !== undefined || route.limit.ipGroup !== undefined;
    if (limited && this.now < this.stormUntilUs) return this.rateLimited(this.stormUntilUs);
    if (limited) {
      const t = this.limiter.check(route.key, route.limit, this.now);
      if (t) return this.rateLimited(t.unblockUs);
    }
    const p = req.params ?? {};
    for (const k of Object.keys(p)) if (typeof p[k] !== "string") return this.env(this.gen("INVALID_PARAMETER"), `parameter ${k} must be a string`, {});
    if (route.signed && this.m.checkTimestamp) {
      const ts = p["timestamp"];
      const rw = p["recvWindow"] !== undefined ? Number(p["recvWindow"]) : 5000;
      if (ts === undefined || !/^\d{1,16}$/.test(ts) || !Number.isFinite(rw) || Math.abs(Number(ts) - msOf(this.now)) > rw)
        return this.env(CODE.TIMESTAMP_MISMATCH, "Null timestamp or timestamp mismatch", {});
    }
    try {
      return route.handler(p);
    } catch (e) {
      if (e instanceof VenueError) return this.env(e.code, e.msg, {});
      throw e;
    }
  }

  private rateLimited(unblockUs: number): Reply {
    const ms = Math.ceil(unblockUs / 1000);
    const code = this.gen("RATE_LIMITED");
    return this.env(code, `The request rate is too high; you are in the disabled period and will be unblocked after ${ms}`, {}, this.m.rateLimitHttpStatus);
  }

  private buildRoutes(): Map<string, Map<string, Route>> {
    const r = new Map<string, Map<string, Route>>();
    const add = (method: string, path: string, limit: EndpointLimit, signed: boolean, handler: Route["handler"]) => {
      let byMethod = r.get(path);
      if (byMethod === undefined) r.set(path, (byMethod = new Map()));
      byMethod.set(method, { key: `${method} ${path}`, limit, signed, handler });
    };
    const rl = this.rlCfg;
    add("GET", "/openApi/swap/v2/server/time", { ipGroup: 1 }, false, () => this.ok({ serverTime: new RawNumber(String(msOf(this.now))) }));
    add("GET", "/openApi/swap/v2/quote/contracts", { ipGroup: 1 }, false, (p) => this.getContracts(p));
    add("GET", "/openApi/swap/v2/quote/premiumIndex", { ipGroup: 1 }, false, (p) => this.getPremiumIndex(p));
    add("POST", "/openApi/swap/v2/trade/order", { uidPerSec: rl.placeOrderPerSec, ipGroup: 3 }, true, (p) => this.placeOrder(p));
    add("DELETE", "/openApi/swap/v2/trade/order", { uidPerSec: 5, ipGroup: 3 }, true, (p) => this.cancelOrder(p));
    add("GET", "/openApi/swap/v2/trade/order", { uidPerSec: 5, ipGroup: 2 }, true, (p) => this.queryOrder(p));
    add("GET", "/openApi/swap/v2/trade/openOrders", { uidPerSec: 5, ipGroup: 3 }, true, (p) => this.openOrders(p));
    add("GET", "/openApi/swap/v2/user/positions", { uidPerSec: 5, ipGroup: 3 }, true, (p) => this.getPositions(p));
    add("GET", "/openApi/swap/v2/user/balance", { uidPerSec: 5, ipGroup: 3 }, true, () => this.getBalance("v2"));
    add("GET", "/openApi/swap/v3/user/balance", { uidPerSec: 5, ipGroup: 3 }, true, () => this.getBalance("v3"));
    add("GET", "/openApi/swap/v2/user/income", { uidPerSec: 5, ipGroup: 2 }, true, (p) => this.getIncome(p));
    add("GET", "/openApi/swap/v2/trade/leverage", { uidPerSec: 5, ipGroup: 2 }, true, (p) => this.getLeverage(p));
    add("POST", "/openApi/swap/v2/trade/leverage", { uidPerSec: 5, ipGroup: 2 }, true, (p) => this.setLeverage(p));
    add("GET", "/openApi/swap/v1/positionSide/dual", { uidPerSec: 2, ipGroup: 2 }, true, () => this.ok({ dualSidePosition: this.hedgeMode ? "true" : "false" }));
    add("POST", "/openApi/swap/v1/positionSide/dual", { uidPerSec: 2, ipGroup: 2 }, true, (p) => this.setPositionMode(p));
    add("POST", "/openApi/user/auth/userDataStream", {}, false, () => this.createListenKey());
    add("PUT", "/openApi/user/auth/userDataStream", {}, false, (p) => this.extendListenKey(p));
    add("DELETE", "/openApi/user/auth/userDataStream", {}, false, (p) => this.deleteListenKey(p));
    return r;
  }

  /** The contract of `symbol`; missing → 109400/80014 "parameter symbol is must", unknown → "symbol not exist". */
  private spec(symbol: string | undefined): ContractSpec {
    if (symbol === undefined || symbol === "") throw new VenueError(this.gen("INVALID_PARAMETER"), "parameter symbol is must");
    const s = this.contracts.get(symbol);
    if (!s) throw new VenueError(this.gen("INVALID_PARAMETER"), `symbol not exist: ${symbol}`);
    return s;
  }

  // ───────────────────────────── place order ─────────────────────────────

  /**
   * POST /openApi/swap/v2/trade/order: parse and check the request (BingX's error for the first bad
   * field, in the order the checks run), check it against the market, the position and the margin,
   * then create the order (journal, NEW frame) and execute it: marketable orders take liquidity
   * (planTaker), the rest rest or expire by time in force (docs/bingx-protocol.md §4-§5).
   */
  private placeOrder(p: Record<string, string>): Reply {
    const req = this.parsePlaceRequest(p);
    const { mark, refPrice, marketable } = this.checkPlaceRisk(req);
    const order = this.createOrder(req, mark);
    this.executeNewOrder(req, order, mark, marketable);
    return this.ok({ order: this.placeReply(req.spec, order) });
  }

  /** The place-order parameters, each checked as BingX checks it (throws VenueError naming the field). */
  private parsePlaceRequest(p: Record<string, string>): PlaceRequest {
    const spec = this.spec(p["symbol"]);
    const side = p["side"];
    if (side !== "BUY" && side !== "SELL") throw this.invalid(`parameter side is invalid: ${side ?? "(missing)"}`);
    const type = p["type"];
    if (type === undefined) throw this.invalid("parameter type is must");
    if (type !== "MARKET" && type !== "LIMIT") throw this.invalid(`order type ${type} is not supported`);
    const psRaw = p["positionSide"] ?? "";
    const positionSide = (psRaw === "" ? "LONG" : psRaw) as PosSide; // empty ⇒ LONG (docs/bingx-protocol.md §4.1)
    if (!["BOTH", "LONG", "SHORT"].includes(positionSide)) throw this.invalid(`parameter positionSide is invalid: ${psRaw}`);
    if (!this.hedgeMode && positionSide !== "BOTH") throw this.invalid("In the One-way mode, the positionSide must be BOTH");
    if (this.hedgeMode && positionSide === "BOTH") throw this.invalid("In the Hedge mode, the positionSide must be LONG or SHORT");
    const ro = p["reduceOnly"];
    if (ro !== undefined && ro !== "true" && ro !== "false") throw this.invalid(`parameter reduceOnly is invalid: ${ro}`);
    const reduceOnly = ro === "true";
    if (this.hedgeMode && reduceOnly) throw this.invalid("reduceOnly is not accepted in Hedge mode");
    const { qty, limits } = this.parsePlaceQty(spec, p["quantity"]);
    const limitPrice = type === "LIMIT" ? this.parseLimitPrice(spec, p["price"]) : ZERO;
    const tifRaw = p["timeInForce"] ?? "GTC";
    if (!["GTC", "IOC", "FOK", "PostOnly"].includes(tifRaw)) throw this.invalid(`parameter timeInForce is invalid: ${tifRaw}`);
    const cidRaw = p["clientOrderId"] ?? p["clientOrderID"] ?? "";
    if (cidRaw.length > 40) throw this.invalid("clientOrderId length must be 1-40");
    const clientOrderId = cidRaw.toLowerCase(); // server lower-cases it (docs/bingx-protocol.md §4.1)
    if (clientOrderId !== "" && this.byClientId.has(clientOrderId)) throw new VenueError(CODE.ORDER_SIZE_ERROR, "clientOrderID unique check failed"); // real VST (docs/bingx-protocol.md §3)
    return { spec, limits, side, type, positionSide, reduceOnly, qty, limitPrice, tif: tifRaw as Tif, clientOrderId };
  }

  /** `quantity`: required, truncated to the step size (over-precision, docs/bingx-protocol.md §10), > 0 and ≥ the minimum quantity. */
  private parsePlaceQty(spec: ContractSpec, qText: string | undefined): { qty: Dec; limits: SpecLimits } {
    if (qText === undefined || qText === "") throw this.invalid("parameter quantity is must");
    const qRaw = parseDecimal(qText);
    if (!qRaw) throw this.invalid(`parameter quantity is invalid: ${qText}`);
    const qty = truncateQty(spec, qRaw);
    if (qty.lte(0)) throw new VenueError(CODE.ORDER_SIZE_ERROR, "Order size error");
    const limits = this.specLimits.get(spec.symbol)!;
    if (qty.lt(limits.minQty)) throw new VenueError(CODE.ORDER_SIZE_ERROR, `Order size error: the minimum quantity is ${spec.tradeMinQuantity}`);
    return { qty, limits };
  }

  /** A LIMIT order's `price`: required, truncated to the tick size, > 0. */
  private parseLimitPrice(spec: ContractSpec, pText: string | undefined): Dec {
    if (pText === undefined || pText === "") throw this.invalid("parameter price is must");
    const pr = parseDecimal(pText);
    if (!pr) throw this.invalid(`parameter price is invalid: ${pText}`);
    const limitPrice = truncatePrice(spec, pr);
    if (limitPrice.lte(0)) throw this.invalid(`parameter price is invalid: ${pText}`);
    return limitPrice;
  }

  /**
   * The checks against the market, the position and the margin, in BingX's order: a mark price
   * exists, minimum notional, the limit-price band, reduce-only never opens or increases (nor,
   * unless the venue_reduce_only_no_clamp mutant is on, exceeds the position), a hedge-mode close
   * has a position, the opening part fits the available margin, PostOnly would not take.
   */
  private checkPlaceRisk(req: PlaceRequest): { mark: Dec; refPrice: Dec; marketable: boolean } {
    const { spec, limits, side, type, positionSide, reduceOnly, qty, limitPrice, tif } = req;
    const mark = this.markOf(spec.symbol);
    if (!mark) throw new VenueError(this.gen("SYSTEM_ERROR"), "system busy: no market price for this symbol yet");
    const refPrice = type === "LIMIT" ? limitPrice : mark;
    if (qty.mul(refPrice).lt(limits.minUsdt)) throw new VenueError(CODE.ORDER_SIZE_ERROR, `The minimum nominal value of an order is greater than ${spec.tradeMinUSDT}u`);
    if (type === "LIMIT") {
      const hi = mark.mul(this.band.hi);
      const lo = mark.mul(this.band.lo);
      if (limitPrice.gt(hi)) throw new VenueError(CODE.PRICE_OUT_OF_BAND, `order price should be lower than ${fmt(roundPriceToTick(spec, hi, "down"))}`);
      if (limitPrice.lt(lo)) throw new VenueError(CODE.PRICE_OUT_OF_BAND, `order price should be higher than ${fmt(roundPriceToTick(spec, lo, "up"))}`);
    }
    const pos = this.position(spec.symbol, positionSide);
    const opening = this.openingQty(side, positionSide, reduceOnly, qty, pos);
    if (reduceOnly) {
      const reduces = !pos.qty.isZero() && (side === "BUY" ? pos.qty.lt(0) : pos.qty.gt(0));
      const exceeds = qty.gt(pos.qty.abs()) && venueMutant !== "venue_reduce_only_no_clamp";
      if (!reduces || exceeds) throw new VenueError(CODE.REDUCE_ONLY_WOULD_INCREASE, "reduce-only order would open or increase a position");
    }
    if (this.hedgeMode && opening.isZero() && qty.gt(pos.qty)) throw new VenueError(CODE.NO_POSITION_TO_CLOSE, "no position to close");
    if (opening.gt(0)) {
      const lev = this.getLev(spec.symbol, positionSide, side);
      const need = opening.mul(refPrice).div(lev).plus(opening.mul(refPrice).mul(limits.takerFeeRate));
      if (need.gt(this.availableMargin())) throw new VenueError(CODE.INSUFFICIENT_MARGIN, "Insufficient margin");
    }
    const marketable = type === "MARKET" || (side === "BUY" ? limitPrice.gte(mark) : limitPrice.lte(mark));
    if (tif === "PostOnly" && type === "LIMIT" && marketable) throw new VenueError(CODE.POST_ONLY_WOULD_TAKE, "PostOnly order would immediately match and take; cancelled");
    return { mark, refPrice, marketable };
  }

  /** Create the accepted order: registered, journalled, its NEW frame emitted. */
  private createOrder(req: PlaceRequest, mark: Dec): Order {
    const { spec, side, type, positionSide, reduceOnly, qty, limitPrice, tif, clientOrderId } = req;
    const ms = msOf(this.now);
    const id = this.newOrderId();
    const nominal = type === "MARKET" ? this.marketNominalPrice(spec, side, mark) : limitPrice;
    const limitPriceText = fmt(limitPrice);
    const order: Order = {
      orderId: id.toString(),
      orderIdBig: id,
      clientOrderId,
      symbol: spec.symbol,
      side,
      positionSide,
      type,
      tif: type === "MARKET" ? "GTC" : tif,
      origQty: qty,
      limitPrice,
      nominalPrice: nominal,
      reduceOnly,
      executedQty: ZERO,
      notional: ZERO,
      fee: ZERO,
      profit: ZERO,
      status: "NEW",
      timeMs: ms,
      updateMs: ms,
      queueAheadQty: ZERO,
      leverage: this.getLev(spec.symbol, positionSide, side),
      origQtyText: fmt(qty),
      limitPriceText,
      nominalPriceText: fmt(nominal),
      avgMemo: undefined, // present from the start: every order keeps one object shape
      limitTicks: type === "LIMIT" ? scaledInteger(limitPriceText, spec.pricePrecision) : undefined,
    };
    this.orders.set(order.orderId, order);
    if (clientOrderId !== "") this.byClientId.set(clientOrderId, order);
    this.journal.push({
      kind: "order", tUs: this.now, orderId: order.orderId, clientOrderId, symbol: spec.symbol, side, positionSide, type, tif: order.tif, reduceOnly,
      origQty: order.origQtyText, limitPrice: order.limitPriceText, markPrice: this.markText(spec.symbol) ?? fmt(mark), status: "NEW",
    });
    this.emitOrderUpdate(order, "NEW", ZERO, ZERO);
    return order;
  }

  /**
   * The `price` a MARKET order reports: with quirk marketBoundPrice a protective bound through the
   * mark by the mode's boundPct, else by 20-25 % drawn from the venue's RNG; without it the mark
   * itself, near the fill (docs/bingx-protocol.md §5: live 42599.1 vs avgPrice 42599.2).
   */
  private marketNominalPrice(spec: ContractSpec, side: Side, mark: Dec): Dec {
    if (!this.q.marketBoundPrice) return mark;
    const pct = new Dec(this.m.boundPct ?? 0.2 + 0.05 * this.rng());
    return side === "BUY" ? roundPriceToTick(spec, mark.mul(pct.plus(1)), "up") : roundPriceToTick(spec, mark.mul(ONE.minus(pct)), "down");
  }

  /**
   * Execute a new order: a marketable one takes liquidity (a FOK LIMIT that cannot fill whole
   * expires untouched; what a MARKET, IOC or FOK order leaves expires; a GTC remainder rests at the
   * touch); a non-marketable IOC/FOK expires, anything else rests.
   */
  private executeNewOrder(req: PlaceRequest, order: Order, mark: Dec, marketable: boolean): void {
    const { spec, type, tif, qty, limitPrice } = req;
    if (!marketable) {
      if (tif === "IOC" || tif === "FOK") this.finish(order, "EXPIRED");
      else this.rest(order, false);
      return;
    }
    const plan = this.planTaker(spec, order, mark, type === "LIMIT" ? limitPrice : undefined);
    const planned = plan.reduce((a, f) => a.plus(f.qty), ZERO);
    if (tif === "FOK" && type === "LIMIT" && planned.lt(qty)) {
      this.finish(order, "EXPIRED");
      return;
    }
    for (const f of plan) this.fill(spec, order, f.qty, f.price, false);
    const rem = order.origQty.minus(order.executedQty);
    if (rem.gt(0)) {
      if (type === "MARKET" || tif === "IOC" || tif === "FOK") this.finish(order, "EXPIRED");
      else this.rest(order, true);
    }
  }

  private openingQty(side: Side, ps: PosSide, reduceOnly: boolean, qty: Dec, pos: Position): Dec {
    if (ps === "BOTH") {
      if (reduceOnly) return ZERO;
      const opposite = side === "BUY" ? pos.qty.lt(0) : pos.qty.gt(0);
      return opposite ? Dec.max(ZERO, qty.minus(pos.qty.abs())) : qty;
    }
    const opens = (ps === "LONG" && side === "BUY") || (ps === "SHORT" && side === "SELL");
    return opens ? qty : ZERO;
  }

  /** Plan taker fills walking the depth levels (docs/bingx-protocol.md §12 multi-fill MARKET model). */
  private planTaker(spec: ContractSpec, o: Order, mark: Dec, cap: Dec | undefined): { qty: Dec; price: Dec }[] {
    let remaining = this.fillableQty(o, o.origQty.minus(o.executedQty));
    const out: { qty: Dec; price: Dec }[] = [];
    const L = this.q.depthLevels;
    for (let k = 0; k < L && remaining.gt(0); k++) {
      const lvl = this.levelFactor(k);
      let price = o.side === "BUY" ? roundPriceToTick(spec, mark.mul(lvl.up), "up") : roundPriceToTick(spec, mark.mul(lvl.down), "down");
      if (price.lte(0)) price = this.tickBySymbol.get(spec.symbol)!; // a SELL walk never goes below one tick
      if (cap && (o.side === "BUY" ? price.gt(cap) : price.lt(cap))) break;
      let q: Dec;
      if (k === L - 1) q = remaining;
      else {
        const depth = truncateQty(spec, this.levelDepth.mul(0.5 + this.rng()).div(price));
        q = Dec.min(depth, remaining);
      }
      if (q.gt(0)) {
        out.push({ qty: q, price });
        remaining = remaining.minus(q);
      }
    }
    return out;
  }

  /**
   * Price factors of depth level k: 1 ± k × slippageBps / 10 000 (BUY walks up, SELL down), the
   * same Decimals every order computed before, kept per level (issue 12 profile).
   */
  private levelFactor(k: number): { up: Dec; down: Dec } {
    let f = this.levelFactors[k];
    if (f === undefined) {
      const off = new Dec(this.q.slippageBps).mul(k).div(10_000);
      f = { up: off.plus(1), down: new Dec(1).minus(off) };
      this.levelFactors[k] = f;
    }
    return f;
  }

  /** Reduce-only / hedge-close orders never fill beyond the position (they expire instead). */
  private fillableQty(o: Order, want: Dec): Dec {
    const pos = this.position(o.symbol, o.positionSide);
    if (o.reduceOnly) {
      const reduces = o.side === "BUY" ? pos.qty.lt(0) : pos.qty.gt(0);
      if (reduces && venueMutant === "venue_reduce_only_no_clamp") return want;
      return reduces ? Dec.min(want, pos.qty.abs()) : ZERO;
    }
    if (o.positionSide !== "BOTH") {
      const closes = (o.positionSide === "LONG" && o.side === "SELL") || (o.positionSide === "SHORT" && o.side === "BUY");
      if (closes) return Dec.min(want, pos.qty);
    }
    return want;
  }

  private rest(o: Order, atTouch: boolean): void {
    const spec = this.contracts.get(o.symbol)!;
    o.queueAheadQty = atTouch ? ZERO : truncateQty(spec, this.levelDepth.mul(this.m.queueAheadFactor).mul(0.5 + this.rng()).div(o.limitPrice));
    this.resting.push(o);
    this.resting.sort((a, b) => (a.orderIdBig < b.orderIdBig ? -1 : a.orderIdBig > b.orderIdBig ? 1 : 0));
  }

  private unrest(o: Order): void {
    const i = this.resting.indexOf(o);
    if (i >= 0) this.resting.splice(i, 1);
  }

  private finish(o: Order, status: "EXPIRED" | "CANCELLED"): void {
    this.unrest(o);
    this.setStatus(o, status);
    o.updateMs = msOf(this.now);
    const ws = status === "CANCELLED" ? "CANCELED" : "EXPIRED"; // WS single L (docs/bingx-protocol.md §4.2)
    this.emitOrderUpdate(o, ws, ZERO, ZERO);
  }

  /** Resting orders of `spec.symbol` against a new trade price (risk-averse queue model). */
  private matchResting(spec: ContractSpec, mark: Mark): void {
    if (this.resting.length === 0) return; // nothing rests: no list to build per tick
    if (mark.ticks !== undefined && !this.touchesAny(spec.symbol, mark.ticks)) return; // the loop below would skip every order
    const mine = this.resting.filter((x) => x.symbol === spec.symbol);
    if (mine.length === 0) return; // no resting order of this symbol: nothing can match
    const price = this.markOf(spec.symbol)!;
    const tick = this.tickBySymbol.get(spec.symbol)!;
    for (const o of mine) {
      const touched = o.side === "BUY" ? price.lte(o.limitPrice) : price.gte(o.limitPrice);
      if (!touched) continue;
      const remaining = o.origQty.minus(o.executedQty);
      const fillable = this.fillableQty(o, remaining);
      const ticksThrough = o.limitPrice.minus(price).abs().div(tick).toNumber();
      let q: Dec;
      if (ticksThrough >= this.m.fullFillTicksThrough) {
        o.queueAheadQty = ZERO; // the whole level traded through
        q = fillable;
      } else {
        let v = truncateQty(spec, this.levelDepth.mul(0.25 + 0.75 * this.rng()).mul(1 + ticksThrough).div(o.limitPrice));
        const c = Dec.min(o.queueAheadQty, v);
        o.queueAheadQty = o.queueAheadQty.minus(c);
        v = v.minus(c);
        q = Dec.min(v, fillable);
      }
      if (q.gt(0)) this.fill(spec, o, q, o.limitPrice, true);
      if (o.status === "FILLED") continue;
      if (o.origQty.minus(o.executedQty).gt(0) && this.fillableQty(o, remaining).isZero() && (o.reduceOnly || o.positionSide !== "BOTH")) this.finish(o, "EXPIRED");
    }
  }

  /**
   * Whether a trade at `priceTicks` ticks touches a resting order of `symbol` (BUY: price ≤ limit,
   * SELL: price ≥ limit), on integer tick counts: the same answer as matchResting's Decimal
   * comparison, since both prices are exact multiples of the tick (an order without a tick count
   * counts as touched: the Decimal path decides). A tick that touches none builds no Decimal.
   */
  private touchesAny(symbol: string, priceTicks: number): boolean {
    for (const o of this.resting) {
      if (o.symbol !== symbol) continue;
      if (o.limitTicks === undefined || (o.side === "BUY" ? priceTicks <= o.limitTicks : priceTicks >= o.limitTicks)) return true;
    }
    return false;
  }

  // ───────────────────────────── fills and ledger ─────────────────────────────

  private fill(spec: ContractSpec, o: Order, qty: Dec, price: Dec, maker: boolean): void {
    const pos = this.position(o.symbol, o.positionSide);
    const posBefore = pos.qty;
    const entryBefore = pos.entry;
    const fillNotional = qty.mul(price); // computed once: the entry VWAP, the fee and the order notional each multiplied the same two Decimals
    // exact: realized before the 8-dp rounding (the journal's realizedExactUsdt)
    const { exact, realized, closing } = o.positionSide === "BOTH" ? moveOneWay(pos, o.side, qty, price, fillNotional) : moveHedged(pos, o, qty, price, fillNotional);
    pos.realized = pos.realized.plus(realized);
    pos.updateMs = msOf(this.now);
    const feeRate = this.feeRate(maker ? spec.makerFeeRate : spec.takerFeeRate);
    const fee = round8(fillNotional.mul(feeRate.dec));
    const b = this.book(o.symbol);
    b.realized = b.realized.plus(realized);
    b.rounding = b.rounding.plus(realized.minus(exact));
    b.fees = b.fees.plus(fee);
    this.wallet = this.wallet.plus(realized).minus(fee);
    this.sumRealized = this.sumRealized.plus(realized);
    this.sumFees = this.sumFees.plus(fee);
    o.executedQty = o.executedQty.plus(qty);
    o.notional = o.notional.plus(fillNotional);
    o.fee = o.fee.plus(fee);
    o.profit = o.profit.plus(realized);
    o.updateMs = msOf(this.now);
    this.journal.push({
      kind: "fill", tUs: this.now, orderId: o.orderId, clientOrderId: o.clientOrderId, symbol: o.symbol, side: o.side, positionSide: o.positionSide,
      orderType: o.type, tif: o.tif, reduceOnly: o.reduceOnly, limitPrice: o.limitPriceText, origQty: o.origQtyText, maker, qty: fmt(qty), price: fmt(price),
      feeRate: feeRate.text, feeUsdt: fmt(fee), realizedUsdt: fmt(realized), realizedExactUsdt: fmt(exact), positionBeforeQty: pos.qtyText.of(posBefore),
      entryBeforePrice: pos.entryText.of(entryBefore), positionAfterQty: pos.qtyText.of(pos.qty), entryAfterPrice: pos.entryText.of(pos.entry), executedQty: fmt(o.executedQty),
      markPrice: this.markText(o.symbol) ?? "0", walletAfterUsdt: this.ledgerText.wallet.of(this.wallet),
    });
    this.setStatus(o, o.executedQty.gte(o.origQty) ? "FILLED" : "PARTIALLY_FILLED");
    if (o.status === "FILLED") this.unrest(o);
    const tradeId = String(this.nextTradeId++);
    if (!realized.isZero()) this.addIncome(o.symbol, "REALIZED_PNL", realized, "Realized PNL", tradeId);
    if (!fee.isZero()) this.addIncome(o.symbol, "TRADING_FEE", fee.neg(), closing ? "Closing Fee" : "Opening Fee", tradeId);
    this.emitOrderUpdate(o, "TRADE", fee, realized);
    this.emitAccountUpdate("ORDER", realized.minus(fee), [pos]);
  }

  /** A contract fee rate (text) as a Decimal and its fmt text, parsed once per text. */
  private feeRate(text: string): { dec: Dec; text: string } {
    let r = this.feeRates.get(text);
    if (r === undefined) {
      const dec = new Dec(text);
      r = { dec, text: fmt(dec) };
      this.feeRates.set(text, r);
    }
    return r;
  }

  private addIncome(symbol: string, incomeType: IncomeRow["incomeType"], income: Dec, info: string, tradeId: string): void {
    const timeMs = msOf(this.now);
    const lastMs = this.income.length > 0 ? this.income[this.income.length - 1]!.timeMs : -Infinity;
    if (timeMs < lastMs) throw new Error(`mock venue: income row at ${timeMs} ms after a row at ${lastMs} ms (the income list must stay in time order)`);
    const row: IncomeRow = { symbol, incomeType, income, info, timeMs, tranId: String(this.nextTranId++), tradeId };
    this.income.push(row);
    let ofType = this.incomeByType.get(incomeType);
    if (ofType === undefined) this.incomeByType.set(incomeType, (ofType = []));
    ofType.push(row);
  }

  /** Index of the first row of `rows` (in time order) with timeMs ≥ `startMs`, or its length. */
  private firstIncomeAtOrAfter(rows: readonly IncomeRow[], startMs: number): number {
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rows[mid]!.timeMs < startMs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private position(symbol: string, ps: PosSide): Position {
    let bySide = this.positionsBySymbol.get(symbol);
    if (bySide === undefined) this.positionsBySymbol.set(symbol, (bySide = { BOTH: undefined, LONG: undefined, SHORT: undefined }));
    let p = bySide[ps];
    if (!p) {
      const key = `${symbol}|${ps}`;
      const entryDp = this.contracts.get(symbol)!.pricePrecision + AVG_PRICE_EXTRA_DECIMALS;
      p = {
        symbol, positionSide: ps, positionId: String(1_900_000_000_000_000_000n + BigInt(this.nextPositionId++)), qty: ZERO, entry: ZERO, realized: ZERO, updateMs: msOf(this.now),
        qtyText: new FmtMemo(), entryText: new FmtMemo(), entryWire: new FmtMemo((d) => fixed(d, entryDp)),
      };
      this.positionsMap.set(key, p);
      bySide[ps] = p;
    }
    return p;
  }

  private getLev(symbol: string, ps: PosSide, side: Side): number {
    const s = ps === "BOTH" ? (side === "BUY" ? "LONG" : "SHORT") : ps;
    const spec = this.contracts.get(symbol)!;
    return this.leverage.get(`${symbol}|${s}`) ?? Math.min(this.m.defaultLeverage, spec.maxLeverage);
  }

  private posLev(p: Position): number {
    if (p.positionSide !== "BOTH") return this.getLev(p.symbol, p.positionSide, "BUY");
    return this.getLev(p.symbol, "BOTH", p.qty.isNeg() ? "SELL" : "BUY");
  }

  private unrealized(p: Position): Dec {
    const mark = this.markOf(p.symbol);
    if (!mark || p.qty.isZero()) return ZERO;
    const signed = p.positionSide === "SHORT" ? p.qty.neg() : p.qty;
    return signed.mul(mark.minus(p.entry));
  }

  private marginSums(): { unrealized: Dec; used: Dec; frozen: Dec } {
    let unrealized = ZERO;
    let used = ZERO;
    for (const p of this.positionsMap.values()) {
      if (p.qty.isZero()) continue;
      unrealized = unrealized.plus(this.unrealized(p));
      used = used.plus(p.qty.abs().mul(p.entry).div(this.posLev(p)));
    }
    let frozen = ZERO;
    for (const o of this.resting) {
      const pos = this.position(o.symbol, o.positionSide);
      const open = this.openingQty(o.side, o.positionSide, o.reduceOnly, o.origQty.minus(o.executedQty), pos);
      frozen = frozen.plus(open.mul(o.limitPrice).div(o.leverage));
    }
    return { unrealized, used, frozen };
  }

  private availableMargin(): Dec {
    const s = this.marginSums();
    return this.wallet.plus(s.unrealized).minus(s.used).minus(s.frozen);
  }

  private newOrderId(): bigint {
    const id = this.nextOrderIdBig;
    this.nextOrderIdBig += 1n + BigInt(Math.floor(this.rng() * 1000));
    return id;
  }

  // ───────────────────────────── wire shapes ─────────────────────────────

  private avgText(spec: ContractSpec, o: Order): string {
    const m = o.avgMemo;
    if (m !== undefined && m.executedQty === o.executedQty && m.notional === o.notional && m.pricePrecision === spec.pricePrecision) return m.text;
    const text = this.avgTextOf(spec, o);
    o.avgMemo = { executedQty: o.executedQty, notional: o.notional, pricePrecision: spec.pricePrecision, text };
    return text;
  }

  /** avgPrice text: notional / executedQty at pricePrecision + AVG_PRICE_EXTRA_DECIMALS, trailing zeros past pricePrecision dropped. */
  private avgTextOf(spec: ContractSpec, o: Order): string {
    if (o.executedQty.isZero()) return fixed(ZERO, Math.max(4, spec.pricePrecision));
    let s = o.notional.div(o.executedQty).toFixed(spec.pricePrecision + AVG_PRICE_EXTRA_DECIMALS, Dec.ROUND_HALF_UP);
    const dot = s.indexOf(".");
    while (s.endsWith("0") && s.length - dot - 1 > spec.pricePrecision) s = s.slice(0, -1);
    if (s.endsWith(".")) s = s.slice(0, -1);
    return s;
  }

  private restStatus(o: Order): string {
    if (o.status === "NEW") return "PENDING"; // a resting order queried on VST (docs/bingx-protocol.md §4.2)
    return o.status; // PARTIALLY_FILLED, FILLED, CANCELLED (double L), EXPIRED
  }

  private orderObject(spec: ContractSpec, o: Order): JsonValue {
    const cidKey = this.m.clientOrderIdSpelling;
    return {
      symbol: o.symbol,
      orderId: new RawNumber(o.orderId),
      side: o.side,
      positionSide: o.positionSide,
      type: o.type,
      origQty: o.origQtyText,
      price: o.nominalPriceText,
      executedQty: fmt(o.executedQty),
      avgPrice: this.avgText(spec, o),
      cumQuote: o.notional.toFixed(0, Dec.ROUND_HALF_UP), // coarse, as observed (docs/bingx-protocol.md §4.2)
      stopPrice: "",
      profit: fixed(o.profit, 4),
      commission: fmt(o.fee.neg()),
      status: this.restStatus(o),
      time: new RawNumber(String(o.timeMs)),
      updateTime: new RawNumber(String(o.updateMs)),
      [cidKey]: o.clientOrderId,
      leverage: `${o.leverage}X`,
      workingType: "MARK_PRICE",
      reduceOnly: o.reduceOnly,
      timeInForce: o.tif,
      postOnly: o.tif === "PostOnly",
    };
  }

  private placeReply(spec: ContractSpec, o: Order): JsonValue {
    const cidKey = this.m.clientOrderIdSpelling;
    if (this.m.ackShape === "documented")
      return { symbol: o.symbol, orderId: new RawNumber(o.orderId), side: o.side, positionSide: o.positionSide, type: o.type, [cidKey]: o.clientOrderId, workingType: "MARK_PRICE" };
    // Real VST reply (docs/bingx-protocol.md §4.1): echo + orderID string + status/avgPrice/executedQty.
    return {
      symbol: o.symbol,
      orderId: new RawNumber(o.orderId),
      orderID: o.orderId,
      side: o.side,
      positionSide: o.positionSide,
      type: o.type,
      [cidKey]: o.clientOrderId,
      workingType: "MARK_PRICE",
      price: o.type === "MARKET" ? new RawNumber("0") : o.limitPriceText,
      quantity: new RawNumber(o.origQtyText),
      timeInForce: o.tif,
      reduceOnly: o.reduceOnly,
      status: o.status === "NEW" ? "NEW" : o.status,
      avgPrice: this.avgText(spec, o),
      executedQty: fmt(o.executedQty),
    };
  }

  private emit(body: string): void {
    if (this.m.requireListenKey && this.keys.size === 0) return; // no stream without a valid key
    this.outbox.push({ tsUs: this.now, body });
  }

  private emitOrderUpdate(o: Order, x: string, fillFee: Dec, fillRealized: Dec): void {
    const spec = this.contracts.get(o.symbol)!;
    const ms = msOf(this.now);
    const X = o.status === "CANCELLED" ? "CANCELED" : o.status;
    // docs/bingx-protocol.md §12 "true fill price chain": a fill frame may carry no true price (the FET
    // poisoned exit, accounting spec §0.1); drawn only when the quirk is on (rng order unchanged otherwise).
    const isFill = x === "TRADE" || x === "CALCULATED";
    const omitAp = isFill && this.q.omitWsAvgPrice > 0 && this.rng() < this.q.omitWsAvgPrice;
    if (this.m.requireListenKey && this.keys.size === 0) return; // emit() would drop it: nothing to print
    // The frame's text written directly, byte for byte what toJsonText gives for
    // { e, E, o: { s, c?, i, S, o, q, p, sp, ap?, x, X, N, n, T, wt, ps, rp, z } } (issue 12 profile:
    // no value tree per frame). Strings through jsonString; E, i, T are JSON numbers.
    const q = jsonString;
    let t = '{"e":"ORDER_TRADE_UPDATE","E":' + ms + ',"o":{"s":' + q(o.symbol);
    if (!this.q.omitWsClientOrderId) t += ',"c":' + q(o.clientOrderId);
    t += ',"i":' + o.orderId + ',"S":' + q(o.side) + ',"o":' + q(o.type) + ',"q":' + q(o.origQtyText) + ',"p":' + q(o.nominalPriceText) + ',"sp":"0"';
    if (!omitAp) t += ',"ap":' + q(this.avgText(spec, o));
    t += ',"x":' + q(x) + ',"X":' + q(X) + ',"N":' + q(this.m.marginAsset);
    t += ',"n":' + q(fmt(fillFee.neg())); // negative = paid (docs/bingx-protocol.md §6, §12)
    t += ',"T":' + ms + ',"wt":"MARK_PRICE","ps":' + q(o.positionSide) + ',"rp":' + q(fmt(fillRealized)) + ',"z":' + q(fmt(o.executedQty)) + "}}";
    this.emit(t);
  }

  private emitAccountUpdate(reason: "ORDER" | "FUNDING_FEE", change: Dec, positions: Position[]): void {
    if (this.m.requireListenKey && this.keys.size === 0) return;
    const ms = msOf(this.now);
    const omitWb = this.q.omitWalletBalance > 0 && this.rng() < this.q.omitWalletBalance;
    // Written directly, byte for byte what toJsonText gives for { e, E, T, a: { m, B: [{ a, wb?, cw?,
    // bc }], P: [{ s, pa, ep, up, mt, iw, ps, cr }] } } (issue 12 profile: no value tree per frame).
    const q = jsonString;
    const wb = this.walletMoney.of(this.wallet);
    let t = '{"e":"ACCOUNT_UPDATE","E":' + ms + ',"T":' + ms + ',"a":{"m":' + q(reason) + ',"B":[{"a":' + q(this.m.marginAsset);
    if (!omitWb) t += ',"wb":' + q(wb) + ',"cw":' + q(wb);
    t += ',"bc":' + q(money(change)) + '}],"P":[';
    for (let i = 0; i < positions.length; i++) {
      const p = positions[i]!;
      t += (i === 0 ? "" : ",") + '{"s":' + q(p.symbol) + ',"pa":' + q(p.qtyText.of(p.qty)) + ',"ep":' + q(p.entryWire.of(p.entry));
      t += ',"up":' + q(money(this.unrealized(p))) + ',"mt":"cross","iw":"0","ps":' + q(p.positionSide) + ',"cr":' + q(money(p.realized)) + "}";
    }
    this.emit(t + "]}}");
  }

  // ───────────────────────────── cancel / query ─────────────────────────────

  private findOrder(p: Record<string, string>, spec: ContractSpec): Order {
    const id = p["orderId"];
    const cid = p["clientOrderId"] ?? p["clientOrderID"];
    if ((id === undefined || id === "") && (cid === undefined || cid === "")) throw new VenueError(this.gen("INVALID_PARAMETER"), "parameter orderId or clientOrderId is must");
    let o: Order | undefined;
    if (id !== undefined && id !== "") {
      if (!/^\d{1,20}$/.test(id)) throw new VenueError(this.gen("INVALID_PARAMETER"), `parameter orderId is invalid: ${id}`);
      o = this.orders.get(id);
    } else o = this.byClientId.get(cid!.toLowerCase());
    if (!o || o.symbol !== spec.symbol) throw new VenueError(this.gen("ORDER_NOT_EXIST"), "order not exist");
    return o;
  }

  private cancelOrder(p: Record<string, string>): Reply {
    const spec = this.spec(p["symbol"]);
    const o = this.findOrder(p, spec);
    if (o.status === "FILLED") {
      if (this.m.cancelFilledAnswer === "NOT_EXIST") throw new VenueError(this.gen("ORDER_NOT_EXIST"), "order not exist");
      throw new VenueError(this.gen("ORDER_ALREADY_FILLED"), "order already filled");
    }
    if (o.status === "CANCELLED" || o.status === "EXPIRED") throw new VenueError(this.gen("ORDER_ALREADY_FILLED"), `order status illegal: ${o.status}`);
    this.finish(o, "CANCELLED");
    return this.ok({ order: this.orderObject(spec, o) });
  }

  private queryOrder(p: Record<string, string>): Reply {
    const spec = this.spec(p["symbol"]);
    const o = this.findOrder(p, spec);
    return this.ok({ order: this.orderObject(spec, o) });
  }

  private openOrders(p: Record<string, string>): Reply {
    const sym = p["symbol"];
    if (sym !== undefined && sym !== "") this.spec(sym);
    const rows = this.resting.filter((o) => !sym || o.symbol === sym).map((o) => this.orderObject(this.contracts.get(o.symbol)!, o));
    return this.ok({ orders: rows });
  }

  // ───────────────────────────── account endpoints ─────────────────────────────

  private getPositions(p: Record<string, string>): Reply {
    const sym = p["symbol"];
    if (sym !== undefined && sym !== "") this.spec(sym);
    const rows: JsonValue[] = [];
    for (const key of [...this.positionsMap.keys()].sort()) {
      const pos = this.positionsMap.get(key)!;
      if (pos.qty.isZero() || (sym && pos.symbol !== sym)) continue;
      const spec = this.contracts.get(pos.symbol)!;
      const mark = this.markOf(pos.symbol) ?? pos.entry;
      const lev = this.posLev(pos);
      const long = pos.positionSide === "LONG" || (pos.positionSide === "BOTH" && pos.qty.gt(0));
      const margin = pos.qty.abs().mul(pos.entry).div(lev);
      const up = this.unrealized(pos);
      const f = this.liqFactor(lev);
      const liq = pos.entry.mul(long ? f.long : f.short);
      rows.push({
        symbol: pos.symbol,
        positionId: pos.positionId,
        positionSide: pos.positionSide,
        isolated: false,
        positionAmt: pos.qtyText.of(pos.qty),
        availableAmt: pos.qtyText.of(pos.qty),
        unrealizedProfit: money(up),
        realisedProfit: money(pos.realized),
        initialMargin: money(margin),
        margin: money(margin),
        avgPrice: pos.entryWire.of(pos.entry),
        liquidationPrice: new RawNumber(fixed(liq, spec.pricePrecision)),
        leverage: new RawNumber(String(lev)),
        positionValue: money(pos.qty.abs().mul(mark)),
        markPrice: this.markText(pos.symbol) ?? fmt(mark),
        riskRate: "0",
        maxMarginReduction: "0",
        pnlRatio: margin.isZero() ? "0" : fixed(up.div(margin), 4),
        onlyOnePosition: !this.hedgeMode,
        currency: "USDT",
        updateTime: new RawNumber(String(pos.updateMs)),
      });
    }
    return this.ok(rows);
  }

  /** Liquidation price factors at leverage `lev`: 1 − 1/lev (long) and 1 + 1/lev (short), computed once per leverage. */
  private liqFactor(lev: number): { long: Dec; short: Dec } {
    let f = this.liqFactors.get(lev);
    if (f === undefined) {
      f = { long: new Dec(1).minus(new Dec(1).div(lev)), short: new Dec(1).plus(new Dec(1).div(lev)) };
      this.liqFactors.set(lev, f);
    }
    return f;
  }

  private getBalance(version: "v2" | "v3"): Reply {
    const s = this.marginSums();
    const equity = this.wallet.plus(s.unrealized);
    const avail = equity.minus(s.used).minus(s.frozen);
    const base = {
      userId: this.m.userId,
      asset: this.m.marginAsset,
      balance: this.walletMoney.of(this.wallet),
      equity: money(equity),
      unrealizedProfit: money(s.unrealized),
    };
    if (version === "v2")
      return this.ok({ balance: { ...base, realisedProfit: money(this.sumRealized), availableMargin: money(avail), usedMargin: money(s.used), freezedMargin: money(s.frozen) } });
    const vst = this.m.balanceV3Spelling === "vst";
    const row: JsonValue = {
      ...base,
      [vst ? "realizedProfit" : "realisedProfit"]: money(this.sumRealized),
      availableMargin: money(avail),
      usedMargin: money(s.used),
      [vst ? "frozenMargin" : "freezedMargin"]: money(s.frozen),
      shortUid: this.m.userId.slice(-8),
    };
    return this.ok([row]);
  }

  private getIncome(p: Record<string, string>): Reply {
    const sym = p["symbol"];
    if (sym !== undefined && sym !== "") this.spec(sym);
    const type = p["incomeType"];
    const types = ["TRANSFER", "REALIZED_PNL", "FUNDING_FEE", "TRADING_FEE", "INSURANCE_CLEAR", "TRIAL_FUND", "ADL", "SYSTEM_DEDUCTION"];
    if (type !== undefined && type !== "" && !types.includes(type)) throw this.invalid(`parameter incomeType is invalid: ${type}`);
    const limit = p["limit"] !== undefined ? Number(p["limit"]) : 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw this.invalid(`parameter limit is invalid: ${p["limit"]} (max 1000)`);
    const end = this.msParam(p, "endTime") ?? msOf(this.now);
    const start = this.msParam(p, "startTime") ?? end - SEVEN_DAYS_MS;
    // `income` is in time order (rows are stamped with the venue clock, which never goes back;
    // addIncome checks it): binary-search the first row at or after `start`, stop after `end`
    // or `limit` rows. Same rows as filtering the whole list, without reading a long run's
    // history on every sweep (issue 12 profile: the full filter was 2.8 % of a 6 h soak).
    // With an income type, only that type's rows (the same rows in the same order: both lists
    // are appended together): a FUNDING_FEE sweep does not read every fill's rows.
    const list = type ? this.incomeByType.get(type as IncomeRow["incomeType"]) ?? [] : this.income;
    const picked: IncomeRow[] = [];
    for (let i = this.firstIncomeAtOrAfter(list, start); i < list.length && picked.length < limit; i++) {
      const r = list[i]!;
      if (r.timeMs > end) break;
      if ((!sym || r.symbol === sym) && (!type || r.incomeType === type)) picked.push(r);
    }
    const rows = picked
      .map((r) => ({
        symbol: r.symbol,
        incomeType: r.incomeType,
        income: fmt(r.income),
        asset: this.m.marginAsset,
        info: r.info,
        time: new RawNumber(String(r.timeMs)),
        tranId: r.tranId,
        tradeId: r.tradeId,
      }));
    return this.ok(rows);
  }

  private getLeverage(p: Record<string, string>): Reply {
    const spec = this.spec(p["symbol"]);
    const l = this.getLev(spec.symbol, "LONG", "BUY");
    const s = this.getLev(spec.symbol, "SHORT", "SELL");
    return this.ok({
      longLeverage: new RawNumber(String(l)),
      shortLeverage: new RawNumber(String(s)),
      maxLongLeverage: new RawNumber(String(spec.maxLeverage)),
      maxShortLeverage: new RawNumber(String(spec.maxLeverage)),
    });
  }

  private setLeverage(p: Record<string, string>): Reply {
    const spec = this.spec(p["symbol"]);
    const side = p["side"];
    if (this.hedgeMode ? side !== "LONG" && side !== "SHORT" : side !== "BOTH")
      throw this.invalid(this.hedgeMode ? "In the Hedge mode, side must be LONG or SHORT" : "In the One-way mode, side must be BOTH");
    const lv = p["leverage"];
    if (lv === undefined || !/^\d{1,4}$/.test(lv) || Number(lv) < 1) throw this.invalid(`parameter leverage is invalid: ${lv ?? "(missing)"}`);
    const n = Number(lv);
    if (n > spec.maxLeverage) throw new VenueError(CODE.LEVERAGE_ABOVE_MAX, `leverage ${n} exceeds the maximum ${spec.maxLeverage}`);
    for (const s of side === "BOTH" ? ["LONG", "SHORT"] : [side!]) this.leverage.set(`${spec.symbol}|${s}`, n);
    return this.ok({ leverage: new RawNumber(String(n)), symbol: spec.symbol });
  }

  private setPositionMode(p: Record<string, string>): Reply {
    const v = p["dualSidePosition"];
    if (v !== "true" && v !== "false") throw new VenueError(this.gen("INVALID_PARAMETER"), `parameter dualSidePosition is invalid: ${v ?? "(missing)"}`);
    const busy = this.resting.length > 0 || [...this.positionsMap.values()].some((x) => !x.qty.isZero());
    if (busy) throw new VenueError(CODE.POSITION_MODE_REFUSED, "position mode cannot be changed with open orders or positions");
    this.hedgeMode = v === "true";
    return this.ok({ dualSidePosition: v });
  }

  private getContracts(p: Record<string, string>): Reply {
    const sym = p["symbol"];
    if (sym !== undefined && sym !== "") this.spec(sym);
    const rows = [...this.contracts.values()]
      .filter((s) => !sym || s.symbol === sym)
      .map((s, i) => ({
        contractId: String(100 + i),
        symbol: s.symbol,
        size: s.tradeMinQuantity,
        quantityPrecision: new RawNumber(String(s.quantityPrecision)),
        pricePrecision: new RawNumber(String(s.pricePrecision)),
        feeRate: new RawNumber(s.takerFeeRate),
        makerFeeRate: new RawNumber(s.makerFeeRate),
        takerFeeRate: new RawNumber(s.takerFeeRate),
        tradeMinQuantity: new RawNumber(s.tradeMinQuantity),
        tradeMinUSDT: new RawNumber(s.tradeMinUSDT),
        maxLongLeverage: new RawNumber(String(s.maxLeverage)),
        maxShortLeverage: new RawNumber(String(s.maxLeverage)),
        currency: "USDT",
        asset: s.symbol.split("-")[0]!,
        status: new RawNumber("1"),
        apiStateOpen: "true",
        apiStateClose: "true",
      }));
    return this.ok(rows);
  }

  private getPremiumIndex(p: Record<string, string>): Reply {
    const spec = this.spec(p["symbol"]);
    const mark = this.markOf(spec.symbol);
    const nextFunding = (Math.floor(this.now / FUNDING_PERIOD_US) + 1) * FUNDING_PERIOD_US;
    return this.ok({
      symbol: spec.symbol,
      markPrice: mark ? fmt(mark) : "0",
      indexPrice: mark ? fmt(mark) : "0",
      lastFundingRate: fmt(this.fundingRates.get(spec.symbol) ?? new Dec(this.m.fundingRate)),
      nextFundingTime: new RawNumber(String(msOf(nextFunding))),
    });
  }

  // ───────────────────────────── listen keys ─────────────────────────────

  private createListenKey(): Reply {
    let key = "";
    for (let i = 0; i < 16; i++) key += Math.floor(this.rng() * 65536).toString(16).padStart(4, "0");
    this.keys.set(key, this.now + LISTEN_KEY_TTL_US);
    this.soonestKeyStale = true;
    return { httpStatus: 200, body: toJsonText({ listenKey: key }) }; // bare, no envelope (docs/bingx-protocol.md §3)
  }

  private extendListenKey(p: Record<string, string>): Reply {
    const key = p["listenKey"];
    if (key === undefined || key === "") return { httpStatus: 204, body: "" };
    if (!this.keys.has(key)) return { httpStatus: 404, body: toJsonText({ code: 404, msg: "listenKey not found" }) };
    this.keys.set(key, this.now + LISTEN_KEY_TTL_US);
    this.soonestKeyStale = true;
    return { httpStatus: 200, body: "{}" };
  }

  private deleteListenKey(p: Record<string, string>): Reply {
    const key = p["listenKey"];
    if (key === undefined || key === "") return { httpStatus: 204, body: "" };
    if (!this.keys.has(key)) return { httpStatus: 404, body: toJsonText({ code: 404, msg: "listenKey not found" }) };
    this.keys.delete(key);
    this.soonestKeyStale = true;
    return { httpStatus: 200, body: "{}" };
  }
}
