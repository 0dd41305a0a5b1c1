/**
 * The BingX wire adapter, shared by the mock venue and the live VST connection
 * (docs/architecture.md §Kernel reference 9 "Adapter rule": map actual BingX payloads into kernel contracts, never a
 * separate semantic model).
 *
 * Directions:
 * - kernel VenueCommand → RestRequest ({@link commandToRequest}); MARKET sends no price.
 * - RestResponse of a command → VenueEvent[] ({@link parseCommandResponse}).
 * - WS frame → VenueEvent[] + AccountEvent[] + control signal ({@link parseWsMessage}).
 * - Reconcile: requests ({@link reconcileRequests}) and replies → ReconcileReport ({@link parseReconcile}).
 * - Balance / income / contracts / listen-key replies.
 *
 * Normalisation rules (docs/accounting.md §0.2, §5.2, §6; docs/bingx-protocol.md §3-§12):
 * - True fill price only from `avgPrice`/`ap`; never from `price`/`p`/`cumQuote` (the MARKET
 *   protective bound). No true price → fillPrice "0" (the kernel flags the leg).
 * - Fill quantity is the CUMULATIVE `executedQty`/`z`; WS fee `n` is INCREMENTAL and its sign is
 *   flipped (negative `n` = paid → positive feeUsdt).
 * - A missing `wb` never becomes a balance (L5); `cw` is not available margin (L4).
 * - Ids are read losslessly from raw text (19-digit numbers > 2^53); `clientOrderId` and
 *   `clientOrderID`, `realisedProfit`/`realizedProfit`, `freezedMargin`/`frozenMargin`, REST
 *   `CANCELLED` / WS `CANCELED`, and both error-code generations are accepted (docs/bingx-protocol.md §11).
 * - Event ids are derived from the payload, so a duplicated frame gets the same id (Flaw 10, I10);
 *   a funding payment has one id for its stream frame and its income row ({@link fundingEventId},
 *   docs/bingx-protocol.md §9.1).
 * - Unknown statuses / enum values are AdapterErrors naming the field (H6, H8). An unknown
 *   user-stream event type is skipped and reported (`unknownEventType`), never fatal: one new
 *   frame type from the venue must not end a session (issue 15).
 */
import * as nodeCrypto from "node:crypto";
import { createHash, createHmac } from "node:crypto";
import type { AccountEvent, ReconcileReport, VenueCommand, VenueEvent } from "../../kernel/types.js";
import type { ContractSpec } from "../types.js";
import type { RestRequest, RestResponse, WsMessage } from "../venue.js";
import { parseContractSpec } from "./contracts.js";
import { isPositiveText, negText, normDecimal } from "./dec.js";
import { classifyCode } from "./errors.js";
import { isWireNumber, isWireObject, parseJsonLossless, type Wire } from "./json.js";
import { deepFreeze } from "../../kernel/freeze.js";

/** A payload or command the adapter cannot map; `field` names the offending field (H6, H8). */
/**
 * Adapter flaw mutants (scenarios/mutants.ts only; never set by default or by the runtime).
 * - "adapter_bound_price": WS fill price taken from `p` (the MARKET bound price) instead of `ap` (FET trio, docs/accounting.md §0.2).
 * - "adapter_fee_sign": the fee sign is not flipped (`n` negative = paid read as a rebate; docs/accounting.md §5.2, A7).
 * - "adapter_missing_wb_zero": a B row without `wb` becomes a balance of 0 (L5).
 * - "adapter_cumulative_as_incremental": cumulative `z` is sent as an incremental quantity (I1).
 */
export type AdapterMutant =
  | "adapter_bound_price"
  | "adapter_fee_sign"
  | "adapter_missing_wb_zero"
  | "adapter_cumulative_as_incremental"
  | "adapter_settlement_no_cum_qty"
  /** issue 12: WS event ids drop the cumulative quantity z (partial fills of one order share an id, their fees are deduplicated away). */
  | "adapter_event_id_no_cum_qty";
let adapterMutant: AdapterMutant | null = null;
/** Switch an adapter flaw mutant on (or off with null). Used only by the mutant runner (scenarios/mutants.ts). */
export function setAdapterMutant(id: AdapterMutant | null): void {
  adapterMutant = id;
}

export class AdapterError extends Error {
  constructor(
    public readonly field: string,
    public readonly value: string,
    detail: string,
  ) {
    super(adapterErrorMessage(field, value, detail));
    this.name = "AdapterError";
  }
}

/** The message of an AdapterError for (field, value, detail). */
function adapterErrorMessage(field: string, value: string, detail: string): string {
  return `bingx adapter: ${field}=${value.length > 80 ? value.slice(0, 80) + "…" : value}: ${detail}`;
}

export const PATHS = {
  order: "/openApi/swap/v2/trade/order",
  openOrders: "/openApi/swap/v2/trade/openOrders",
  positions: "/openApi/swap/v2/user/positions",
  balanceV2: "/openApi/swap/v2/user/balance",
  balanceV3: "/openApi/swap/v3/user/balance",
  income: "/openApi/swap/v2/user/income",
  leverage: "/openApi/swap/v2/trade/leverage",
  contracts: "/openApi/swap/v2/quote/contracts",
  listenKey: "/openApi/user/auth/userDataStream",
} as const;

/** Per-request context: the runtime's request id and the virtual send time. */
export interface RequestContext {
  requestId: string;
  /** Send time, µs; `timestamp` = floor(nowUs / 1000) ms (docs/bingx-protocol.md §2). */
  nowUs: number;
  /** Venue in hedge mode: positionSide LONG/SHORT, no reduceOnly (docs/bingx-protocol.md §4.1). */
  hedgeMode?: boolean;
  recvWindowMs?: number;
}

// ───────────────────────────── wire reading helpers ─────────────────────────────

function parseBody(text: string, field: string): Wire {
  try {
    return parseJsonLossless(text);
  } catch (e) {
    throw new AdapterError(field, text, `not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

function obj(v: Wire | undefined, path: string): { [k: string]: Wire } {
  if (!isWireObject(v)) throw new AdapterError(path, show(v), "expected an object");
  return v;
}

function arr(v: Wire | undefined, path: string): Wire[] {
  if (!Array.isArray(v)) throw new AdapterError(path, show(v), "expected an array");
  return v;
}

function show(v: Wire | undefined): string {
  if (v === undefined) return "(missing)";
  if (isWireNumber(v)) return v.value;
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** A string or a JSON number as text; undefined when absent/null. */
function optText(o: { [k: string]: Wire }, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (isWireNumber(v)) return v.value;
  throw new AdapterError(`${path}.${key}`, show(v), "expected a string or number");
}

function reqText(o: { [k: string]: Wire }, key: string, path: string): string {
  const t = optText(o, key, path);
  if (t === undefined) throw new AdapterError(`${path}.${key}`, "(missing)", "required");
  return t;
}

/** A plain decimal (string or number text), normalised ("1.50" → "1.5"). */
function decText(o: { [k: string]: Wire }, key: string, path: string): string {
  const t = reqText(o, key, path);
  const d = normDecimal(t);
  if (d === undefined) throw new AdapterError(`${path}.${key}`, t, "not a decimal");
  return d;
}

function optDecText(o: { [k: string]: Wire }, key: string, path: string): string | undefined {
  const t = optText(o, key, path);
  if (t === undefined || t === "") return undefined;
  const d = normDecimal(t);
  if (d === undefined) throw new AdapterError(`${path}.${key}`, t, "not a decimal");
  return d;
}

/** An order id (19-digit number or digit string), exact. */
function idText(o: { [k: string]: Wire }, keys: string[], path: string): string | undefined {
  let found: string | undefined;
  for (const k of keys) {
    const t = optText(o, k, path);
    if (t === undefined || t === "") continue;
    if (!/^\d{1,20}$/.test(t)) throw new AdapterError(`${path}.${k}`, t, "order id must be an integer");
    if (found !== undefined && found !== t) throw new AdapterError(`${path}.${k}`, t, `disagrees with the other id spelling (${found})`);
    found = t;
  }
  return found;
}

function clientId(o: { [k: string]: Wire }, path: string): string | undefined {
  const a = optText(o, "clientOrderId", path);
  const b = optText(o, "clientOrderID", path);
  if (a && b && a !== b) throw new AdapterError(`${path}.clientOrderID`, b, `disagrees with clientOrderId ${a}`);
  const c = a || b;
  return c ? c : undefined;
}

function neg(text: string): string {
  return negText(text);
}

function positive(text: string | undefined): boolean {
  return isPositiveText(text);
}

/** A parsed REST envelope. */
type Envelope = { code: number; msg: string; data: Wire };

/**
 * Envelopes already parsed, by body text (issue 12 profile): a reply is classified
 * (venues/connector/wire.ts classifyReply) and then read by its handler, and both get the one
 * parse of its text; and replies repeat (an empty open-order list, the same income page swept
 * again, the same refusal of a retried request: about a quarter of a chaos run's replies), so the
 * same text parses to the same envelope. Deep-frozen, since readers share them. Bounded: emptied
 * when it reaches ENVELOPES_BY_TEXT_MAX texts or ENVELOPES_TEXT_BUDGET_CHARS characters of text
 * (a text parsed again after that gets an equal envelope; the memory stays small for a 48 h run).
 * One map keyed by text, not a WeakMap per response as well: a WeakMap entry per reply costs its
 * insertion and ephemeron work in every GC.
 */
const envelopesByText = new Map<string, Envelope>();
const ENVELOPES_BY_TEXT_MAX = 512;
/** Characters of body text kept at most (a full income page is ~150 kB): the map is emptied before it would hold more. */
const ENVELOPES_TEXT_BUDGET_CHARS = 1_000_000;
let envelopesTextChars = 0;

/**
 * The {code,msg,data} envelope of a REST body (docs/bingx-protocol.md §3), deep-frozen and shared
 * by every reader of the same response (never mutate it). Throws AdapterError when absent (a
 * failed parse is not remembered: each call throws the same error).
 */
export function parseEnvelope(res: RestResponse): Envelope {
  const r = tryParseEnvelope(res);
  if ("problem" in r) throw new AdapterError(r.problem.field, r.problem.value, r.problem.detail);
  return r.env;
}

/**
 * {@link parseEnvelope} for a reader that only asks whether there is one (venues/connector/wire.ts
 * classifyReply): a JSON object without an envelope code (a bare listen-key reply, `{}`) comes back
 * as `problem` — the fields of the AdapterError parseEnvelope throws, and its `message` — instead
 * of a thrown error (issue 12 profile: building that error's stack per listen-key reply). Still
 * throws AdapterError for a body that is not a JSON object or has a malformed code/msg.
 */
export function tryParseEnvelope(res: RestResponse): { env: Envelope } | { problem: { field: string; value: string; detail: string; message: string } } {
  const same = envelopesByText.get(res.body);
  if (same !== undefined) return { env: same };
  const body = obj(parseBody(res.body, "body"), "body");
  const codeText = optText(body, "code", "body");
  if (codeText === undefined || !/^-?\d+$/.test(codeText)) {
    const field = "body.code";
    const value = show(body["code"]);
    const detail = `no envelope code (HTTP ${res.httpStatus})`;
    return { problem: { field, value, detail, message: adapterErrorMessage(field, value, detail) } };
  }
  const msg = optText(body, "msg", "body") ?? "";
  const env: Envelope = deepFreeze({ code: Number(codeText), msg, data: body["data"] ?? null });
  if (envelopesByText.size >= ENVELOPES_BY_TEXT_MAX || envelopesTextChars + res.body.length > ENVELOPES_TEXT_BUDGET_CHARS) {
    envelopesByText.clear();
    envelopesTextChars = 0;
  }
  envelopesByText.set(res.body, env);
  envelopesTextChars += res.body.length;
  return { env };
}

/** Milliseconds until the venue unblocks, from "unblocked after <ms>" / "retry after time: <ms>" in msg. */
export function retryAfterMsFromMsg(msg: string, responseUs: number): number | undefined {
  const m = /unblocked after (\d{10,16})/.exec(msg) ?? /retry after time:\s*(\d{10,16})/.exec(msg);
  if (!m) return undefined;
  return Math.max(0, Number(m[1]) - Math.floor(responseUs / 1000));
}

// ───────────────────────────── commands → requests ─────────────────────────────

const TIF: Record<string, string> = { GTC: "GTC", IOC: "IOC", FOK: "FOK", POST_ONLY: "PostOnly" };
const SYMBOL_RE = /^[A-Z0-9]{1,20}-[A-Z]{2,10}$/;

function checkCtx(ctx: RequestContext): void {
  if (!Number.isSafeInteger(ctx.nowUs) || ctx.nowUs < 0) throw new AdapterError("ctx.nowUs", String(ctx.nowUs), "must be a non-negative integer (µs)");
  if (typeof ctx.requestId !== "string" || ctx.requestId === "") throw new AdapterError("ctx.requestId", String(ctx.requestId), "must be a non-empty string");
}

function signedBase(ctx: RequestContext): Record<string, string> {
  const p: Record<string, string> = { timestamp: String(Math.floor(ctx.nowUs / 1000)) };
  if (ctx.recvWindowMs !== undefined) p["recvWindow"] = String(ctx.recvWindowMs);
  return p;
}

/** `{ ...signedBase(ctx), symbol }` (same keys in the same order), without the intermediate object. */
function withSymbol(ctx: RequestContext, symbol: string): Record<string, string> {
  const p = signedBase(ctx);
  p["symbol"] = symbol;
  return p;
}

/**
 * Kernel VenueCommand → BingX REST request (docs/bingx-protocol.md §4.1). SUBMIT → POST /trade/order with
 * string params; MARKET sends no price; reduceOnly only in one-way mode; in hedge mode the
 * positionSide is derived from side and purpose. CANCEL → DELETE /trade/order by orderId when
 * known, else by clientOrderId (the order's own symbol, never a trade id: Flaw 9).
 * Throws AdapterError naming the field for a malformed command.
 */
export function commandToRequest(cmd: VenueCommand, ctx: RequestContext): RestRequest {
  checkCtx(ctx);
  if (typeof cmd.symbol !== "string" || !SYMBOL_RE.test(cmd.symbol)) throw new AdapterError("command.symbol", String(cmd.symbol), "must look like FET-USDT");
  if (typeof cmd.clientOrderId !== "string" || !/^[a-z0-9_-]{1,40}$/.test(cmd.clientOrderId))
    throw new AdapterError("command.clientOrderId", String(cmd.clientOrderId), "must be 1-40 lower-case [a-z0-9_-] (BingX lower-cases ids)");
  const params = signedBase(ctx);
  params["symbol"] = cmd.symbol;
  if (cmd.kind === "CANCEL") {
    if (cmd.venueOrderId !== undefined) {
      if (!/^\d{1,20}$/.test(cmd.venueOrderId)) throw new AdapterError("command.venueOrderId", cmd.venueOrderId, "must be an integer id");
      params["orderId"] = cmd.venueOrderId;
    } else params["clientOrderId"] = cmd.clientOrderId;
    return { method: "DELETE", path: PATHS.order, params, requestId: ctx.requestId };
  }
  if (cmd.kind !== "SUBMIT") throw new AdapterError("command.kind", String((cmd as { kind: unknown }).kind), "unknown command kind");
  if (cmd.side !== "BUY" && cmd.side !== "SELL") throw new AdapterError("command.side", String(cmd.side), "must be BUY or SELL");
  const q = normDecimal(cmd.quantity);
  if (q === undefined || !isPositiveText(q)) throw new AdapterError("command.quantity", String(cmd.quantity), "must be a positive decimal string");
  params["side"] = cmd.side;
  if (ctx.hedgeMode) {
    // open long = BUY+LONG, close long = SELL+LONG, open short = SELL+SHORT, close short = BUY+SHORT
    const long = cmd.purpose === "ENTRY" ? cmd.side === "BUY" : cmd.side === "SELL";
    params["positionSide"] = long ? "LONG" : "SHORT";
  } else {
    params["positionSide"] = "BOTH";
    params["reduceOnly"] = cmd.reduceOnly ? "true" : "false";
  }
  params["type"] = cmd.orderType;
  params["quantity"] = q;
  if (cmd.orderType === "LIMIT") {
    const p = cmd.limitPrice === undefined ? undefined : normDecimal(cmd.limitPrice);
    if (p === undefined || !isPositiveText(p)) throw new AdapterError("command.limitPrice", String(cmd.limitPrice), "LIMIT needs a positive decimal price");
    params["price"] = p;
    const tif = TIF[cmd.timeInForce];
    if (!tif) throw new AdapterError("command.timeInForce", String(cmd.timeInForce), "unknown time in force");
    params["timeInForce"] = tif;
  } else if (cmd.orderType === "MARKET") {
    if (cmd.limitPrice !== undefined) throw new AdapterError("command.limitPrice", cmd.limitPrice, "MARKET sends no price");
  } else throw new AdapterError("command.orderType", String(cmd.orderType), "must be MARKET or LIMIT");
  params["clientOrderId"] = cmd.clientOrderId;
  return { method: "POST", path: PATHS.order, params, requestId: ctx.requestId };
}

/** POST /trade/leverage (docs/bingx-protocol.md §4.3); side BOTH in one-way mode, LONG/SHORT in hedge mode. */
export function leverageRequest(symbol: string, leverage: number, side: "BOTH" | "LONG" | "SHORT", ctx: RequestContext): RestRequest {
  checkCtx(ctx);
  if (!Number.isInteger(leverage) || leverage < 1) throw new AdapterError("leverage", String(leverage), "must be a positive integer");
  return { method: "POST", path: PATHS.leverage, params: { ...signedBase(ctx), symbol, side, leverage: String(leverage) }, requestId: ctx.requestId };
}

/**
 * The reply to {@link leverageRequest}: the leverage now set, or an AdapterError naming the venue
 * code — kept apart from order rejects so a leverage failure is never reported as an order
 * failure (E15, F18). Field `body.code` carries the venue code (e.g. 101414 above max).
 */
export function parseLeverageReply(res: RestResponse): { symbol: string; leverage: number } {
  const env = parseEnvelope(res);
  if (env.code !== 0) throw new AdapterError("body.code", String(env.code), `leverage not set: ${env.msg}`);
  const d = obj(env.data, "data");
  const lv = reqText(d, "leverage", "data");
  if (!/^\d{1,4}$/.test(lv)) throw new AdapterError("data.leverage", lv, "must be an integer");
  return { symbol: reqText(d, "symbol", "data"), leverage: Number(lv) };
}

/** Listen-key create / extend / delete (docs/bingx-protocol.md §6): header-only, no timestamp. */
export function listenKeyRequest(op: "create" | "extend" | "delete", ctx: RequestContext, listenKey?: string): RestRequest {
  checkCtx(ctx);
  if (op === "create") return { method: "POST", path: PATHS.listenKey, params: {}, requestId: ctx.requestId };
  if (!listenKey) throw new AdapterError("listenKey", String(listenKey), `required to ${op}`);
  return { method: op === "extend" ? "PUT" : "DELETE", path: PATHS.listenKey, params: { listenKey }, requestId: ctx.requestId };
}

/** The key from a create reply: bare {"listenKey": "..."} (also accepted inside an envelope's data). */
export function parseListenKeyReply(res: RestResponse): string {
  const body = obj(parseBody(res.body, "body"), "body");
  const direct = optText(body, "listenKey", "body");
  if (direct) return direct;
  if (isWireObject(body["data"])) {
    const k = optText(body["data"], "listenKey", "body.data");
    if (k) return k;
  }
  throw new AdapterError("body.listenKey", res.body, `no listen key (HTTP ${res.httpStatus})`);
}

/** GET balance request (v2: data.balance object; v3: data = rows). */
export function balanceRequest(version: "v2" | "v3", ctx: RequestContext): RestRequest {
  checkCtx(ctx);
  return { method: "GET", path: version === "v2" ? PATHS.balanceV2 : PATHS.balanceV3, params: signedBase(ctx), requestId: ctx.requestId };
}

/** GET income request; times in ms (docs/bingx-protocol.md §4.4). */
export function incomeRequest(ctx: RequestContext, q: { symbol?: string; incomeType?: string; startTimeMs?: number; endTimeMs?: number; limit?: number } = {}): RestRequest {
  checkCtx(ctx);
  const p = signedBase(ctx);
  if (q.symbol) p["symbol"] = q.symbol;
  if (q.incomeType) p["incomeType"] = q.incomeType;
  if (q.startTimeMs !== undefined) p["startTime"] = String(q.startTimeMs);
  if (q.endTimeMs !== undefined) p["endTime"] = String(q.endTimeMs);
  if (q.limit !== undefined) p["limit"] = String(q.limit);
  return { method: "GET", path: PATHS.income, params: p, requestId: ctx.requestId };
}

// ───────────────────────────── REST replies → kernel events ─────────────────────────────

const REST_STATUSES = ["NEW", "PENDING", "PARTIALLY_FILLED", "FILLED", "CANCELLED", "CANCELED", "EXPIRED"] as const;
type RestStatus = "NEW" | "PENDING" | "PARTIALLY_FILLED" | "FILLED" | "CANCELLED" | "EXPIRED";

/** REST order status, CANCELED folded into CANCELLED; anything else is an error (H8). */
function restStatus(t: string, path: string): RestStatus {
  if (!(REST_STATUSES as readonly string[]).includes(t)) throw new AdapterError(path, t, "unknown order status");
  return t === "CANCELED" ? "CANCELLED" : (t as RestStatus);
}

/** An order object (place / cancel / query / open orders), normalised. */
export interface BingxOrder {
  symbol: string;
  venueOrderId: string;
  clientOrderId?: string;
  status?: RestStatus;
  executedQty?: string;
  avgPrice?: string;
  /** Cumulative fee, positive = paid (from `commission`, negative on the wire). */
  feeUsdt?: string;
}

/** Parse one BingX order object (docs/bingx-protocol.md §4.2). Never reads price/cumQuote for fills. */
export function parseOrderObject(v: Wire | undefined, path: string): BingxOrder {
  const o = obj(v, path);
  const venueOrderId = idText(o, ["orderId", "orderID"], path);
  if (!venueOrderId) throw new AdapterError(`${path}.orderId`, "(missing)", "required");
  const st = optText(o, "status", path);
  const commission = optDecText(o, "commission", path);
  const out: BingxOrder = { symbol: reqText(o, "symbol", path), venueOrderId };
  const cid = clientId(o, path);
  if (cid) out.clientOrderId = cid;
  if (st !== undefined) out.status = restStatus(st, `${path}.status`);
  const ex = optDecText(o, "executedQty", path);
  if (ex !== undefined) out.executedQty = ex;
  const ap = optDecText(o, "avgPrice", path);
  if (ap !== undefined) out.avgPrice = ap;
  if (commission !== undefined) out.feeUsdt = adapterMutant === "adapter_fee_sign" ? commission : neg(commission);
  return out;
}

function errorEvents(kind: "ORDER_REJECT" | "CANCEL_REJECT", cmd: VenueCommand, res: RestResponse, env: { code: number; msg: string }, tsUs: number): VenueEvent[] {
  const base = { tsUs, symbol: cmd.symbol, clientOrderId: cmd.clientOrderId, slotHint: cmd.slotId, venueCode: env.code } as const;
  const cls = classifyCode(env.code);
  const ids = cmd.kind === "CANCEL" && cmd.venueOrderId ? { venueOrderId: cmd.venueOrderId } : {};
  if (cls === "RATE_LIMITED") {
    const ev: VenueEvent = { kind: "RATE_LIMITED", eventId: `rest:ratelimited:${cmd.commandId}:${res.requestId}`, ...base, ...ids, reason: env.msg };
    const r = retryAfterMsFromMsg(env.msg, tsUs);
    if (r !== undefined) ev.retryAfterMs = r;
    return [ev];
  }
  // Normalised reason prefix: the same meaning whichever code generation sent it (E17, F17).
  const prefix = cls === "ORDER_NOT_EXIST" ? "ORDER_NOT_EXIST" : cls === "ORDER_ALREADY_FILLED" ? "ORDER_NOT_CANCELLABLE" : cls;
  return [{ kind, eventId: `rest:${kind === "ORDER_REJECT" ? "reject" : "cancelreject"}:${cmd.commandId}:${res.requestId}`, ...base, ...ids, reason: `${prefix}: ${env.msg}` }];
}

/**
 * A CANCEL_ACK carrying the CANCELED/EXPIRED frame's cumulative executed quantity `z` as a
 * CUMULATIVE `fillQty`, and its average price `ap` as `fillPrice` when positive (never `p`, spec
 * §0.2). With it the kernel books, in the same input, any part of the order's fills whose frames
 * it never applied (lost, or their handler failed) before ending the order
 * (docs/bingx-protocol.md §user stream; chaos seed 7050). A zero or absent quantity leaves the ack
 * as it is. A REST reply's CANCEL_ACK carries its executedQty / avgPrice the same way (the fill event
 * before it is a separate input, chaos seed 899).
 */
function withTerminalFill(ack: VenueEvent, executedQty: string | undefined, avgPrice: string | undefined): VenueEvent {
  if (!positive(executedQty)) return ack;
  const ev: VenueEvent = { ...ack, fillQty: executedQty!, quantityMode: "CUMULATIVE" };
  if (positive(avgPrice)) ev.fillPrice = avgPrice!;
  return ev;
}

function fillFromOrder(o: BingxOrder, origin: string, tsUs: number, slotHint: number): VenueEvent | undefined {
  if (!positive(o.executedQty)) return undefined;
  const ev: VenueEvent = {
    kind: o.status === "FILLED" ? "FULL_FILL" : "PARTIAL_FILL",
    eventId: `rest:${o.venueOrderId}:${o.executedQty}`,
    tsUs,
    symbol: o.symbol,
    venueOrderId: o.venueOrderId,
    slotHint,
    fillQty: o.executedQty!,
    quantityMode: "CUMULATIVE",
    fillPrice: positive(o.avgPrice) ? o.avgPrice! : "0", // never price/cumQuote (spec §0.2)
    reason: origin,
  };
  if (o.clientOrderId) ev.clientOrderId = o.clientOrderId;
  return ev;
}

/**
 * The reply to an order query (GET /trade/order) → the order's cumulative fill: executedQty at
 * avgPrice (quantityMode CUMULATIVE, never price/cumQuote, spec §0.2), or undefined when nothing
 * executed. The connector asks for it when the stream delivered a fill without `ap`, so the kernel
 * prices that quantity exactly (docs/accounting.md §Missing prices). Throws AdapterError for an
 * error reply (the field `body.code`, its code and message) or a malformed order object.
 */
export function parseOrderQueryFill(res: RestResponse, tsUs: number): VenueEvent | undefined {
  return parseOrderQueryReply(res, tsUs).fill;
}

/**
 * {@link parseOrderQueryFill} plus whether the order is final: `terminal` is true for FILLED,
 * CANCELLED and EXPIRED (its executedQty and avgPrice will not change again). A reply for an order
 * still working (NEW, PENDING, PARTIALLY_FILLED) may cover less than the stream already delivered,
 * so the connector asks again (docs/accounting.md §Missing prices). Throws as parseOrderQueryFill.
 */
export function parseOrderQueryReply(res: RestResponse, tsUs: number): { fill?: VenueEvent; terminal: boolean } {
  const env = parseEnvelope(res);
  if (env.code !== 0) throw new AdapterError("body.code", String(env.code), `order query failed: ${env.msg}`);
  const o = parseOrderObject(obj(env.data, "data")["order"], "data.order");
  const ev = fillFromOrder(o, "rest-order-query", tsUs, 0);
  if (ev) delete ev.slotHint; // the order's identity routes it, never a guessed slot
  const terminal = o.status === "FILLED" || o.status === "CANCELLED" || o.status === "EXPIRED";
  return ev ? { fill: ev, terminal } : { terminal };
}

/**
 * The reply to a command's request → kernel venue events, stamped `tsUs` (the response time).
 * SUBMIT ok → ORDER_ACK (+ CUMULATIVE fill when executedQty > 0, + CANCEL_ACK when the reply is
 * already CANCELLED/EXPIRED); CANCEL ok → (cumulative fill if the order had fills) + CANCEL_ACK;
 * errors → RATE_LIMITED (retryAfterMs from "unblocked after <ms>") or ORDER_REJECT / CANCEL_REJECT
 * with venueCode and a normalised reason. Throws AdapterError for a reply it cannot map.
 */
export function parseCommandResponse(cmd: VenueCommand, res: RestResponse, tsUs: number): VenueEvent[] {
  let env: { code: number; msg: string; data: Wire };
  try {
    env = parseEnvelope(res);
  } catch (e) {
    if (e instanceof AdapterError && (res.httpStatus === 429 || res.httpStatus === 418))
      return [{ kind: "RATE_LIMITED", eventId: `rest:ratelimited:${cmd.commandId}:${res.requestId}`, tsUs, symbol: cmd.symbol, clientOrderId: cmd.clientOrderId, slotHint: cmd.slotId, reason: `HTTP ${res.httpStatus}` }];
    throw e;
  }
  if (env.code !== 0) return errorEvents(cmd.kind === "SUBMIT" ? "ORDER_REJECT" : "CANCEL_REJECT", cmd, res, env, tsUs);
  const o = parseOrderObject(obj(env.data, "data")["order"], "data.order");
  if (o.symbol !== cmd.symbol) throw new AdapterError("data.order.symbol", o.symbol, `reply for another symbol than the command's ${cmd.symbol}`);
  if (o.clientOrderId && o.clientOrderId !== cmd.clientOrderId) throw new AdapterError("data.order.clientOrderId", o.clientOrderId, `differs from the command's ${cmd.clientOrderId}`);
  o.clientOrderId = cmd.clientOrderId;
  const out: VenueEvent[] = [];
  if (cmd.kind === "SUBMIT") {
    out.push({ kind: "ORDER_ACK", eventId: `rest:ack:${o.venueOrderId}`, tsUs, symbol: o.symbol, venueOrderId: o.venueOrderId, clientOrderId: cmd.clientOrderId, slotHint: cmd.slotId });
  } else if (cmd.venueOrderId && cmd.venueOrderId !== o.venueOrderId) {
    throw new AdapterError("data.order.orderId", o.venueOrderId, `cancel reply for another order than ${cmd.venueOrderId}`);
  }
  const f = fillFromOrder(o, "rest-order-reply", tsUs, cmd.slotId);
  if (f) out.push(f);
  if (cmd.kind === "CANCEL" || o.status === "CANCELLED" || o.status === "EXPIRED") {
    if (cmd.kind === "CANCEL" && o.status !== undefined && o.status !== "CANCELLED" && o.status !== "EXPIRED")
      throw new AdapterError("data.order.status", o.status, "cancel succeeded but the order is not CANCELLED");
    // The ack itself carries executedQty / avgPrice too: the fill event before it is a separate
    // input a failing handler can drop (F15), and the ack would then end the order short (chaos
    // seed 899: an exit leg's 10141 FET lost this way, the next exit over-sold the slot).
    const ack: VenueEvent = { kind: "CANCEL_ACK", eventId: `rest:cancel:${o.venueOrderId}`, tsUs, symbol: o.symbol, venueOrderId: o.venueOrderId, clientOrderId: cmd.clientOrderId, slotHint: cmd.slotId, reason: o.status ?? "CANCELLED" };
    out.push(withTerminalFill(ack, o.executedQty, o.avgPrice));
  }
  return out;
}

// ───────────────────────────── WS frames → kernel events ─────────────────────────────

/** The result of one stream frame. */
export interface WsParseResult {
  venueEvents: VenueEvent[];
  accountEvents: AccountEvent[];
  /** LISTEN_KEY_EXPIRED: the stream stopped, get a new key and reconcile (L14: a signal, not a throw). */
  control?: { kind: "LISTEN_KEY_EXPIRED"; listenKey: string } | { kind: "PING" };
  /** Frame types deliberately ignored (ACCOUNT_CONFIG_UPDATE), or skipped as unknown. */
  ignored?: string;
  /** An event type this adapter does not know (`frame.e`): the frame was skipped, nothing emitted. */
  unknownEventType?: string;
  /**
   * Wire fields this frame lacked (or carried only as a sentinel) whose figure the adapter
   * therefore did not emit or emitted as "no price" (never a guessed figure, "Nothing is lost"):
   * `frame.o.rp` → no FILL_SETTLED (the exchange realized PnL is unknown; reconcile / income reads
   * supply it); `frame.o.n` → the fill carries no fee; `frame.o.ap` → the fill carries no true
   * price (fillPrice "0", the kernel's "unpriced" marker: booked 0 and flagged until a settlement
   * repairs it, docs/accounting.md §Missing prices); `frame.a.B[i].wb` → no BALANCE for that row
   * (L5). Absent when nothing was missing.
   */
  missing?: string[];
}

/**
 * Symbol of a FUNDING event from a cross-margin ACCOUNT_UPDATE, which names no symbol (B only,
 * docs/bingx-protocol.md §6): the payment is account-wide. Income FUNDING_FEE rows carry the real symbol.
 */
export const ACCOUNT_WIDE_SYMBOL = "*";

/** Width of the window a funding payment's time is rounded into for its identity: one hour, ms. */
export const FUNDING_KEY_WINDOW_MS = 3_600_000;

/**
 * The identity of one funding payment, shared by its stream frame and its income row so the
 * kernel (which dedups account events by eventId and saves the ids with its state) books the
 * payment once whichever copy comes first, however often, across restarts (issue 12;
 * docs/bingx-protocol.md §9.1; docs/accounting.md §3.1).
 *
 * `funding:<asset>:<hourMs>:<amount>` plus `#<n>` for the n-th (n ≥ 2) payment with the same
 * triple. Only fields both copies carry can be used: a cross-margin `ACCOUNT_UPDATE m=FUNDING_FEE`
 * has `B[].a` (asset), `B[].bc` (amount) and `E` (ms) but no symbol and no tranId; the income row
 * has `asset`, `income`, `time` (and `symbol`, `tranId`). `hourMs` is the payment's time rounded
 * to the nearest full UTC hour: BingX settles funding on full hours (00/08/16 UTC, per-symbol
 * off-grid hours possible), and both copies are stamped by the same settlement, seconds apart at
 * most. The occurrence number exists because two payments can share the triple (two symbols, the
 * same amount, the same hour): the stream cannot tell them apart (its frames all get n = 1, the
 * second one is a DUPLICATE_EVENT in the kernel), the income rows can, and book the n ≥ 2 ones.
 *
 * @param asset margin asset (`USDT`, `VST`)
 * @param timeMs the payment's time, ms since the epoch (frame `E`, income `time`)
 * @param amountUsdt signed amount as plain decimal text (normalised here: "1.50" and "1.5" agree)
 * @param occurrence 1 for the first payment with this triple, 2 for the second, …
 * @throws AdapterError naming `funding.eventId` when the identity would exceed the kernel's 64-character id limit
 */
export function fundingEventId(asset: string, timeMs: number, amountUsdt: string, occurrence: number): string {
  const amount = normDecimal(amountUsdt);
  if (amount === undefined) throw new AdapterError("funding.amountUsdt", amountUsdt, "not a decimal");
  if (!Number.isSafeInteger(timeMs) || timeMs < 0) throw new AdapterError("funding.timeMs", String(timeMs), "must be a non-negative integer ms");
  if (!Number.isSafeInteger(occurrence) || occurrence < 1) throw new AdapterError("funding.occurrence", String(occurrence), "must be an integer ≥ 1");
  const hourMs = Math.round(timeMs / FUNDING_KEY_WINDOW_MS) * FUNDING_KEY_WINDOW_MS;
  const id = `funding:${asset}:${hourMs}:${amount}${occurrence > 1 ? `#${occurrence}` : ""}`;
  if (id.length > 64) throw new AdapterError("funding.eventId", id, "longer than the kernel's 64-character event id limit");
  return id;
}

const WS_X = ["NEW", "CANCELED", "CALCULATED", "EXPIRED", "TRADE"] as const;
const WS_STATUS = ["NEW", "PARTIALLY_FILLED", "FILLED", "CANCELED", "CANCELLED", "EXPIRED"] as const;
const ACCOUNT_REASONS = ["DEPOSIT", "WITHDRAW", "ORDER", "FUNDING_FEE", "ASSET_TRANSFER"] as const;

const oneShotHash: ((algorithm: string, data: string, encoding: "hex") => string) | undefined = typeof nodeCrypto.hash === "function" ? nodeCrypto.hash : undefined;

function bodyHash(body: string): string {
  // node:crypto's one-shot hash (node ≥ 20.12) gives the same hex as createHash, at half the cost.
  return (oneShotHash !== undefined ? oneShotHash("sha256", body, "hex") : createHash("sha256").update(body).digest("hex")).slice(0, 20);
}

/**
 * One user-stream frame (raw text, docs/bingx-protocol.md §6) → kernel inputs, stamped with the frame's
 * venue emission time `msg.tsUs` (J5: the exchange's time, not the local clock).
 * ORDER_TRADE_UPDATE: x=NEW → ORDER_ACK; x=TRADE/CALCULATED → PARTIAL_FILL/FULL_FILL (fillQty=z
 * CUMULATIVE, fillPrice=ap, feeUsdt=−n INCREMENTAL) + FILL_SETTLED (rp, −n, cumQty=z); x=CANCELED/EXPIRED →
 * CANCEL_ACK. ACCOUNT_UPDATE: BALANCE per B row with `wb` (none without: L5), FUNDING of `bc` when
 * m=FUNDING_FEE (symbol from a single P row, else {@link ACCOUNT_WIDE_SYMBOL}). listenKeyExpired → control. Throws AdapterError on unknown types/values.
 */
export function parseWsMessage(msg: WsMessage): WsParseResult {
  if (msg.body === "Ping") return { venueEvents: [], accountEvents: [], control: { kind: "PING" } };
  const f = obj(parseBody(msg.body, "frame"), "frame");
  const e = reqText(f, "e", "frame");
  const tsUs = msg.tsUs;
  if (e === "listenKeyExpired") return { venueEvents: [], accountEvents: [], control: { kind: "LISTEN_KEY_EXPIRED", listenKey: reqText(f, "listenKey", "frame") } };
  if (e === "ACCOUNT_CONFIG_UPDATE") return { venueEvents: [], accountEvents: [], ignored: e };
  if (e === "ORDER_TRADE_UPDATE" || e === "TRADE_UPDATE") return parseOrderTradeUpdate(obj(f["o"], "frame.o"), tsUs);
  if (e === "ACCOUNT_UPDATE") return parseAccountUpdate(obj(f["a"], "frame.a"), msg.body, tsUs, optText(f, "E", "frame"));
  // An event type added by the venue after this adapter was written: skip it and say so (issue 15).
  return { venueEvents: [], accountEvents: [], ignored: e, unknownEventType: e };
}

function parseOrderTradeUpdate(o: { [k: string]: Wire }, tsUs: number): WsParseResult {
  const P = "frame.o";
  const symbol = reqText(o, "s", P);
  const venueOrderId = idText(o, ["i"], P);
  if (!venueOrderId) throw new AdapterError(`${P}.i`, "(missing)", "order id required");
  const x = reqText(o, "x", P);
  if (!(WS_X as readonly string[]).includes(x)) throw new AdapterError(`${P}.x`, x, "unknown execution type");
  const Xraw = reqText(o, "X", P);
  if (!(WS_STATUS as readonly string[]).includes(Xraw)) throw new AdapterError(`${P}.X`, Xraw, "unknown order status");
  const X = Xraw === "CANCELLED" ? "CANCELED" : Xraw;
  const zWire = optDecText(o, "z", P);
  const z = zWire ?? "0";
  const c = optText(o, "c", P);
  const ids: { venueOrderId: string; clientOrderId?: string } = { venueOrderId };
  if (c) ids.clientOrderId = c; // often absent on this deployment (spec §6.2)
  const eventId = adapterMutant === "adapter_event_id_no_cum_qty" ? `ws:${venueOrderId}:${x}:${X}` : `ws:${venueOrderId}:${x}:${z}:${X}`;
  if (x === "NEW") {
    if (X !== "NEW") throw new AdapterError(`${P}.X`, X, "x=NEW with a status other than NEW");
    return { venueEvents: [{ kind: "ORDER_ACK", eventId, tsUs, symbol, ...ids }], accountEvents: [] };
  }
  if (x === "CANCELED" || x === "EXPIRED") {
    // The terminal frame states the order's final executed quantity (z) and average price (ap):
    // the kernel books any part of it whose fill frame it never saw (chaos seed 7050).
    const ap = optDecText(o, "ap", P);
    return { venueEvents: [withTerminalFill({ kind: "CANCEL_ACK", eventId, tsUs, symbol, ...ids, reason: x }, z, ap)], accountEvents: [] };
  }
  // TRADE / CALCULATED: a fill.
  if (X !== "PARTIALLY_FILLED" && X !== "FILLED") throw new AdapterError(`${P}.X`, X, `x=${x} with a status that is not a fill status`);
  if (!positive(zWire)) throw new AdapterError(`${P}.z`, zWire ?? "(missing)", "a fill must carry a positive cumulative quantity");
  const ap = optDecText(o, "ap", P);
  const n = optDecText(o, "n", P);
  const rp = optDecText(o, "rp", P);
  const missing: string[] = [];
  if (!positive(ap)) missing.push(`${P}.ap`); // absent or the sentinel 0: no true price (spec §0.2)
  if (n === undefined) missing.push(`${P}.n`);
  if (rp === undefined) missing.push(`${P}.rp`);
  // negative n = paid → positive fee (docs/accounting.md §5.2); no n → no fee figure (not a fee of 0).
  const feeUsdt = n === undefined ? undefined : adapterMutant === "adapter_fee_sign" ? n : neg(n);
  const boundPrice = adapterMutant === "adapter_bound_price" ? optDecText(o, "p", P) : undefined;
  const fill: VenueEvent = {
    kind: X === "FILLED" ? "FULL_FILL" : "PARTIAL_FILL",
    eventId,
    tsUs,
    symbol,
    ...ids,
    fillQty: z,
    quantityMode: adapterMutant === "adapter_cumulative_as_incremental" ? "INCREMENTAL" : "CUMULATIVE",
    fillPrice: positive(boundPrice) ? boundPrice! : positive(ap) ? ap! : "0", // true price only from ap (spec §0.2), never p
    ...(feeUsdt === undefined ? {} : { feeUsdt, feeMode: "INCREMENTAL" as const }),
  };
  if (rp === undefined) return { venueEvents: [fill], accountEvents: [], missing };
  const named = missing.length ? { missing } : {};
  // Without n the settlement's fee is "0", which is neutral: the kernel books, per order, the
  // larger of the fills' and the settlements' fee figures (kernel README "Fees").
  // cumQty = z pairs the settlement with the fill it settles even when frames arrive reordered.
  const settled: AccountEvent = { kind: "FILL_SETTLED", eventId: `${eventId}:settled`, tsUs, symbol, ...ids, realizedPnlUsdt: rp, feeUsdt: feeUsdt ?? "0", ...(adapterMutant === "adapter_settlement_no_cum_qty" ? {} : { cumQty: z }) };
  return { venueEvents: [fill], accountEvents: [settled], ...named };
}

function parseAccountUpdate(a: { [k: string]: Wire }, body: string, tsUs: number, frameE: string | undefined): WsParseResult {
  const P = "frame.a";
  const m = reqText(a, "m", P);
  if (!(ACCOUNT_REASONS as readonly string[]).includes(m)) throw new AdapterError(`${P}.m`, m, "unknown ACCOUNT_UPDATE reason");
  let frameTimeMs = 0;
  if (m === "FUNDING_FEE") {
    // The payment's time is part of its identity (fundingEventId): required, in ms.
    if (frameE === undefined || !/^\d{1,16}$/.test(frameE)) throw new AdapterError("frame.E", frameE ?? "(missing)", "a FUNDING_FEE frame needs its event time in ms");
    frameTimeMs = Number(frameE);
  }
  const h = bodyHash(body);
  const rows = a["B"] === undefined ? [] : arr(a["B"], `${P}.B`);
  const positions = a["P"] === undefined ? [] : arr(a["P"], `${P}.P`);
  const out: AccountEvent[] = [];
  const missing: string[] = [];
  rows.forEach((rv, i) => {
    const r = obj(rv, `${P}.B[${i}]`);
    const asset = reqText(r, "a", `${P}.B[${i}]`);
    const wb = optDecText(r, "wb", `${P}.B[${i}]`);
    const wbRead = wb === undefined && adapterMutant === "adapter_missing_wb_zero" ? "0" : wb;
    if (wb === undefined) missing.push(`${P}.B[${i}].wb`);
    if (wbRead !== undefined) out.push({ kind: "BALANCE", eventId: `ws:acct:${h}:${i}:${asset}`, tsUs, walletBalanceUsdt: wbRead }); // no wb → no balance (L5); cw is not available margin (L4)
    if (m === "FUNDING_FEE") {
      const bc = decText(r, "bc", `${P}.B[${i}]`);
      let symbol = ACCOUNT_WIDE_SYMBOL; // cross margin: B only, no symbol on the wire (docs/bingx-protocol.md §6)
      if (positions.length === 1) symbol = reqText(obj(positions[0], `${P}.P[0]`), "s", `${P}.P[0]`); // isolated: B + that P
      // Identity shared with the payment's income row (fundingEventId): asset, E, bc.
      out.push({ kind: "FUNDING", eventId: fundingEventId(asset, frameTimeMs, bc, 1), tsUs, symbol, amountUsdt: bc });
    }
  });
  return { venueEvents: [], accountEvents: out, ...(missing.length ? { missing } : {}) };
}

// ───────────────────────────── balance, income, contracts ─────────────────────────────

/** A balance reply (v2 object or v3 rows; both spellings) → BALANCE of `asset` (USDT, or VST on demo). */
export function parseBalanceReply(res: RestResponse, tsUs: number, asset?: string): AccountEvent {
  const env = parseEnvelope(res);
  if (env.code !== 0) throw new AdapterError("body.code", String(env.code), `balance query failed: ${env.msg}`);
  let row: { [k: string]: Wire };
  let path: string;
  if (Array.isArray(env.data)) {
    const rows = env.data.map((r, i) => obj(r, `data[${i}]`));
    const want = asset ? [asset] : ["USDT", "VST"];
    const i = rows.findIndex((r) => want.includes(optText(r, "asset", "data[]") ?? ""));
    if (i < 0) throw new AdapterError("data[].asset", want.join("|"), "no balance row for the margin asset");
    row = rows[i]!;
    path = `data[${i}]`;
  } else {
    row = obj(obj(env.data, "data")["balance"], "data.balance");
    path = "data.balance";
    const a = optText(row, "asset", path);
    if (asset && a !== asset) throw new AdapterError(`${path}.asset`, String(a), `expected ${asset}`);
  }
  const balance = decText(row, "balance", path);
  const ev: AccountEvent = { kind: "BALANCE", eventId: `rest:balance:${res.requestId}`, tsUs, walletBalanceUsdt: balance, availableMarginUsdt: decText(row, "availableMargin", path) };
  return ev;
}

/** Normalised realised-profit / frozen-margin of a balance row, accepting both spellings (docs/bingx-protocol.md §4.4). */
export function balanceRowExtras(row: { [k: string]: Wire }, path: string): { realizedProfitUsdt?: string; frozenMarginUsdt?: string } {
  const out: { realizedProfitUsdt?: string; frozenMarginUsdt?: string } = {};
  const rp = optDecText(row, "realisedProfit", path) ?? optDecText(row, "realizedProfit", path);
  const fm = optDecText(row, "freezedMargin", path) ?? optDecText(row, "frozenMargin", path);
  if (rp !== undefined) out.realizedProfitUsdt = rp;
  if (fm !== undefined) out.frozenMarginUsdt = fm;
  return out;
}

/** One income row, normalised. */
export interface IncomeRow {
  symbol: string;
  incomeType: "TRANSFER" | "REALIZED_PNL" | "FUNDING_FEE" | "TRADING_FEE" | "INSURANCE_CLEAR" | "TRIAL_FUND" | "ADL" | "SYSTEM_DEDUCTION";
  incomeUsdt: string; // signed
  asset: string;
  info: string;
  timeMs: number;
  tranId: string;
  tradeId: string;
}
const INCOME_TYPES = ["TRANSFER", "REALIZED_PNL", "FUNDING_FEE", "TRADING_FEE", "INSURANCE_CLEAR", "TRIAL_FUND", "ADL", "SYSTEM_DEDUCTION"];

/**
 * Income reply → rows plus the FUNDING account events its FUNDING_FEE rows imply
 * ({@link incomeFundingEvents}: the identity shared with the stream frame, {@link fundingEventId};
 * the recovery path for funding frames lost on the stream).
 */
export function parseIncomeReply(res: RestResponse, tsUs: number): { rows: IncomeRow[]; funding: AccountEvent[] } {
  const env = parseEnvelope(res);
  if (env.code !== 0) throw new AdapterError("body.code", String(env.code), `income query failed: ${env.msg}`);
  const rows = (env.data === null ? [] : arr(env.data, "data")).map((v, i) => {
    const P = `data[${i}]`;
    const r = obj(v, P);
    const t = reqText(r, "incomeType", P);
    if (!INCOME_TYPES.includes(t)) throw new AdapterError(`${P}.incomeType`, t, "unknown income type");
    const time = reqText(r, "time", P);
    if (!/^\d{1,16}$/.test(time)) throw new AdapterError(`${P}.time`, time, "must be ms");
    return {
      symbol: optText(r, "symbol", P) ?? "",
      incomeType: t as IncomeRow["incomeType"],
      incomeUsdt: decText(r, "income", P),
      asset: optText(r, "asset", P) ?? "",
      info: optText(r, "info", P) ?? "",
      timeMs: Number(time),
      tranId: reqText(r, "tranId", P),
      tradeId: optText(r, "tradeId", P) ?? "",
    };
  });
  return { rows, funding: incomeFundingEvents(rows, tsUs) };
}

/**
 * FUNDING account events of the FUNDING_FEE rows among `rows` (other types are skipped), in row
 * order, each with {@link fundingEventId}: the n-th row (by position in `rows`) with the same
 * (asset, hour, amount) gets occurrence n, so pass every row of a sweep at once (pages merged,
 * duplicates by tranId removed) for the count to be the venue's.
 * @param tsUs time stamped on the events (the reply's receipt time), µs
 * @param symbols configured symbols: a row of another symbol is booked account-wide
 *   ({@link ACCOUNT_WIDE_SYMBOL}, as its stream frame would be); omitted ⇒ the row's symbol
 */
export function incomeFundingEvents(rows: readonly IncomeRow[], tsUs: number, symbols?: readonly string[]): AccountEvent[] {
  const seen = new Map<string, number>();
  const out: AccountEvent[] = [];
  for (const r of rows) {
    if (r.incomeType !== "FUNDING_FEE") continue;
    if (r.asset === "") throw new AdapterError("data[].asset", `(missing, tranId ${r.tranId})`, "a FUNDING_FEE row needs its asset: it is part of the funding identity");
    const base = fundingEventId(r.asset, r.timeMs, r.incomeUsdt, 1);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    const symbol = symbols === undefined || symbols.includes(r.symbol) ? r.symbol : ACCOUNT_WIDE_SYMBOL;
    out.push({ kind: "FUNDING", eventId: fundingEventId(r.asset, r.timeMs, r.incomeUsdt, n), tsUs, symbol, amountUsdt: r.incomeUsdt });
  }
  return out;
}

/** Contracts reply (numbers or strings) → validated ContractSpec[] (for the live VST connection). */
export function parseContractsReply(res: RestResponse): ContractSpec[] {
  const env = parseEnvelope(res);
  if (env.code !== 0) throw new AdapterError("body.code", String(env.code), `contracts query failed: ${env.msg}`);
  return arr(env.data, "data").map((v, i) => {
    const P = `data[${i}]`;
    const r = obj(v, P);
    const int = (k: string) => {
      const t = reqText(r, k, P);
      if (!/^\d+$/.test(t)) throw new AdapterError(`${P}.${k}`, t, "must be an integer");
      return Number(t);
    };
    return parseContractSpec({
      symbol: reqText(r, "symbol", P),
      pricePrecision: int("pricePrecision"),
      quantityPrecision: int("quantityPrecision"),
      tradeMinQuantity: decText(r, "tradeMinQuantity", P),
      tradeMinUSDT: decText(r, "tradeMinUSDT", P),
      takerFeeRate: decText(r, "takerFeeRate", P),
      makerFeeRate: decText(r, "makerFeeRate", P),
      maxLeverage: Math.min(int("maxLongLeverage"), int("maxShortLeverage")),
    });
  });
}

// ───────────────────────────── reconcile ─────────────────────────────

/**
 * venueOrderId of a NOT_FOUND reconcile row queried by client order id only (the order was never
 * placed, e.g. a lost SUBMIT reply for a request the venue refused). BingX ids are never 0; the
 * kernel contract requires a non-empty id, so "0" stands for "no venue order".
 */
export const UNKNOWN_VENUE_ORDER_ID = "0";

/** An order the kernel may still care about (identity as the kernel knows it). */
export interface TrackedOrder {
  symbol: string;
  venueOrderId?: string;
  clientOrderId?: string;
}

/**
 * The REST reads for a reconcile (Flaw 11, I14; E13/F19: fresh reads, never a cached snapshot):
 * positions, open orders per symbol, and one query per tracked order (by orderId when known,
 * else by clientOrderId: the I11 lost-response case). Request ids are `<requestIdPrefix>:<n>`.
 */
export function reconcileRequests(symbols: string[], orders: TrackedOrder[], ctx: RequestContext): RestRequest[] {
  checkCtx(ctx);
  // Request ids `<ctx.requestId>:<index>` (the index of the request in the list).
  const reqs: RestRequest[] = [{ method: "GET", path: PATHS.positions, params: signedBase(ctx), requestId: `${ctx.requestId}:0` }];
  for (const s of [...new Set(symbols)].sort()) reqs.push({ method: "GET", path: PATHS.openOrders, params: withSymbol(ctx, s), requestId: `${ctx.requestId}:${reqs.length}` });
  for (const o of orders) {
    const p = withSymbol(ctx, o.symbol);
    if (o.venueOrderId) p["orderId"] = o.venueOrderId;
    else if (o.clientOrderId) p["clientOrderId"] = o.clientOrderId;
    else throw new AdapterError("orders[].venueOrderId", "(missing)", "a tracked order needs an order id or a client order id");
    reqs.push({ method: "GET", path: PATHS.order, params: p, requestId: `${ctx.requestId}:${reqs.length}` });
  }
  return reqs;
}

/** A reconcile report's order row from a REST order object (status NEW, executedQty / avgPrice "0" when absent). */
function reconcileOrderRow(o: BingxOrder): ReconcileReport["orders"][number] {
  const r: ReconcileReport["orders"][number] = {
    symbol: o.symbol,
    venueOrderId: o.venueOrderId,
    status: o.status ?? "NEW",
    executedQty: o.executedQty ?? "0",
    avgPrice: positive(o.avgPrice) ? o.avgPrice! : "0",
  };
  if (o.clientOrderId) r.clientOrderId = o.clientOrderId;
  if (o.feeUsdt !== undefined) r.feeUsdt = o.feeUsdt;
  return r;
}

/**
 * Replies of {@link reconcileRequests} → kernel ReconcileReport. Query replies give each tracked
 * order's status, cumulative executedQty, avgPrice and fee; "order not exist" (109421 / 80016)
 * gives NOT_FOUND (venueOrderId {@link UNKNOWN_VENUE_ORDER_ID} when only the client order id was
 * known: the venue never accepted that order, I11); open orders not
 * queried are added; requested symbols without a position row get quantity "0". Any other error
 * reply (rate limit, outage) throws AdapterError: a partial picture must not pass for the truth.
 */
export function parseReconcile(replies: { request: RestRequest; response: RestResponse }[], tsUs: number, symbols: string[]): ReconcileReport {
  const report: ReconcileReport = { tsUs, positions: [], orders: [] };
  const seen = new Set<string>();
  const seenPos = new Set<string>();
  const queries = replies.filter((r) => r.request.path === PATHS.order && r.request.method === "GET");
  const others = replies.filter((r) => !(r.request.path === PATHS.order && r.request.method === "GET"));
  for (const { request, response } of [...queries, ...others]) {
    const env = parseEnvelope(response);
    if (env.code !== 0) {
      if (request.path === PATHS.order && classifyCode(env.code) === "ORDER_NOT_EXIST") {
        const r: ReconcileReport["orders"][number] = { symbol: request.params["symbol"] ?? "", venueOrderId: request.params["orderId"] ?? UNKNOWN_VENUE_ORDER_ID, status: "NOT_FOUND", executedQty: "0", avgPrice: "0" };
        if (request.params["clientOrderId"]) r.clientOrderId = request.params["clientOrderId"];
        report.orders.push(r);
        continue;
      }
      throw new AdapterError(`reply(${request.method} ${request.path}).code`, String(env.code), `reconcile read failed: ${env.msg}`);
    }
    if (request.path === PATHS.order) {
      const o = parseOrderObject(obj(env.data, "data")["order"], "data.order");
      if (!seen.has(o.venueOrderId)) report.orders.push(reconcileOrderRow(o));
      seen.add(o.venueOrderId);
    } else if (request.path === PATHS.openOrders) {
      arr(obj(env.data, "data")["orders"], "data.orders").forEach((v, i) => {
        const o = parseOrderObject(v, `data.orders[${i}]`);
        if (!seen.has(o.venueOrderId)) report.orders.push(reconcileOrderRow(o));
        seen.add(o.venueOrderId);
      });
    } else if (request.path === PATHS.positions) {
      (env.data === null ? [] : arr(env.data, "data")).forEach((v, i) => {
        const P = `data[${i}]`;
        const r = obj(v, P);
        const ps = reqText(r, "positionSide", P);
        if (ps !== "BOTH" && ps !== "LONG" && ps !== "SHORT") throw new AdapterError(`${P}.positionSide`, ps, "unknown position side");
        const symbol = reqText(r, "symbol", P);
        seenPos.add(symbol);
        report.positions.push({ symbol, positionSide: ps, quantity: decText(r, "positionAmt", P) });
      });
    } else throw new AdapterError("request.path", request.path, "not a reconcile read");
  }
  for (const s of [...new Set(symbols)].sort()) if (!seenPos.has(s)) report.positions.push({ symbol: s, positionSide: "BOTH", quantity: "0" });
  return report;
}

// ───────────────────────────── signing (live VST) ─────────────────────────────

/**
 * Sign request parameters for BingX (docs/bingx-protocol.md §2): the parameter string is `k=v` pairs sorted
 * a–z joined by `&` (values URL-encoded only when they contain characters outside
 * [A-Za-z0-9._-], as sent), signature = lowercase hex HMAC-SHA256(secretKey, parameter string),
 * appended as `&signature=`. Returns the query to send and the signature. Throws an Error that
 * never contains the secret when the secret is empty or `signature` is already present.
 */
export function signParams(params: Record<string, string>, secretKey: string): { query: string; signature: string } {
  if (typeof secretKey !== "string" || secretKey.length === 0) throw new Error("signParams: secretKey is empty");
  if ("signature" in params) throw new Error("signParams: params already contain a signature");
  const enc = (v: string) => (/^[A-Za-z0-9._-]*$/.test(v) ? v : encodeURIComponent(v));
  const query = Object.keys(params)
    .sort()
    .map((k) => {
      const v = params[k];
      if (typeof v !== "string") throw new Error(`signParams: parameter ${k} must be a string`);
      return `${k}=${enc(v)}`;
    })
    .join("&");
  const signature = createHmac("sha256", secretKey).update(query).digest("hex");
  return { query: `${query}&signature=${signature}`, signature };
}
