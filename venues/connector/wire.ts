/**
 * The connector's use of the BingX wire adapter (venues/bingx/adapter.ts, the same code the live VST
 * connection uses): builds requests for kernel commands and reads, and sorts each REST reply into
 * what the runtime must do with it (feed the kernel, retry the same request, resolve by a query).
 * Payload → kernel input mapping is entirely the adapter's; this module only decides retries.
 */
import type { AccountEvent, VenueCommand, VenueEvent } from "../../kernel/types.js";
import type { RestRequest, RestResponse } from "../venue.js";
import {
  PATHS, commandToRequest, leverageRequest, listenKeyRequest, balanceRequest, parseBalanceReply, parseCommandResponse, tryParseEnvelope,
  parseListenKeyReply, parseOrderQueryFill, parseOrderQueryReply, parseWsMessage, reconcileRequests, retryAfterMsFromMsg, type TrackedOrder,
} from "../bingx/adapter.js";
import { classifyCode, type CodeClass } from "../bingx/errors.js";

export type Submit = Extract<VenueCommand, { kind: "SUBMIT" }>;
export type Cancel = Extract<VenueCommand, { kind: "CANCEL" }>;

/** One kernel input decoded from a venue payload. */
export type KernelInput = { k: "venue"; ev: VenueEvent } | { k: "account"; ev: AccountEvent };

/** The class of a REST reply (docs/bingx-protocol.md §3, §7, §8). */
export interface ReplyClass {
  /** Envelope code (0 = success); undefined for a body without an envelope. */
  code?: number;
  msg: string;
  cls: CodeClass | "OK";
  /** Throttled (109429 / 100410 / HTTP 429): retry after this many ms when the venue says so. */
  rateLimited: boolean;
  retryAfterMs?: number;
  /** Venue unavailable or system error (HTTP 5xx, 100500, 109500 / 80012): retry the same request. */
  unavailable: boolean;
  /** SUBMIT answered "clientOrderID unique check failed" (real VST: 101400; documented 101481). */
  duplicateClientOrderId: boolean;
}

/** Classify a REST reply without interpreting its data. Never throws. */
export function classifyReply(resp: RestResponse, nowUs: number): ReplyClass {
  let code: number | undefined;
  let msg = "";
  try {
    const r = tryParseEnvelope(resp);
    if ("env" in r) {
      code = r.env.code;
      msg = r.env.msg;
    } else msg = `no envelope: ${r.problem.message}`; // the text parseEnvelope's AdapterError carries
  } catch (e) {
    // A bare body (listenKey create) or garbage; judged by the HTTP status below.
    msg = `no envelope: ${(e as Error).message}`;
  }
  const cls: CodeClass | "OK" = code === 0 ? "OK" : code === undefined ? "OTHER" : classifyCode(code);
  const rateLimited = cls === "RATE_LIMITED" || resp.httpStatus === 429 || resp.httpStatus === 418;
  const out: ReplyClass = {
    code,
    msg,
    cls,
    rateLimited,
    unavailable: !rateLimited && (resp.httpStatus >= 500 || cls === "SYSTEM_ERROR"),
    duplicateClientOrderId: (code === 101400 || code === 101481) && /clientOrderI[dD].*(unique|repeat)/i.test(msg),
  };
  if (rateLimited) {
    const r = retryAfterMsFromMsg(msg, nowUs);
    if (r !== undefined) out.retryAfterMs = r;
  }
  return out;
}

const ctx = (nowUs: number, requestId: string, hedgeMode: boolean) => ({ nowUs, requestId, hedgeMode });

/** Requests for kernel commands and runtime reads. */
export class Wire {
  constructor(private readonly hedgeMode: boolean) {}

  command(cmd: VenueCommand, nowUs: number, requestId: string): RestRequest {
    return commandToRequest(cmd, ctx(nowUs, requestId, this.hedgeMode));
  }

  /** GET /trade/order by client order id (the I11 resolution of a lost SUBMIT reply). */
  queryOrder(symbol: string, clientOrderId: string, nowUs: number, requestId: string): RestRequest {
    const reqs = reconcileRequests([], [{ symbol, clientOrderId }], ctx(nowUs, requestId, this.hedgeMode));
    const q = reqs.find((r) => r.path === PATHS.order && r.method === "GET");
    if (!q) throw new Error(`wire: the adapter built no order query for ${symbol}/${clientOrderId}`);
    return { ...q, requestId };
  }

  /** GET /trade/order by venue order id when known, else by client order id (a price query). */
  queryOrderBy(order: TrackedOrder, nowUs: number, requestId: string): RestRequest {
    const q = reconcileRequests([], [order], ctx(nowUs, requestId, this.hedgeMode)).find((r) => r.path === PATHS.order && r.method === "GET");
    if (!q) throw new Error(`wire: the adapter built no order query for ${order.symbol}/${order.venueOrderId ?? order.clientOrderId}`);
    return { ...q, requestId };
  }

  /** The reads of a full reconciliation (positions, open orders, one query per tracked order). */
  reconcileReads(symbols: string[], orders: TrackedOrder[], nowUs: number, requestId: string): RestRequest[] {
    return reconcileRequests(symbols, orders, ctx(nowUs, requestId, this.hedgeMode));
  }

  balance(nowUs: number, requestId: string): RestRequest {
    return balanceRequest("v2", ctx(nowUs, requestId, this.hedgeMode));
  }

  setLeverage(symbol: string, leverage: number, nowUs: number, requestId: string): RestRequest[] {
    const sides = this.hedgeMode ? (["LONG", "SHORT"] as const) : (["BOTH"] as const);
    return sides.map((s, i) => leverageRequest(symbol, leverage, s, ctx(nowUs, `${requestId}-${i}`, this.hedgeMode)));
  }

  createListenKey(nowUs: number, requestId: string): RestRequest {
    return listenKeyRequest("create", ctx(nowUs, requestId, this.hedgeMode));
  }

  extendListenKey(listenKey: string, nowUs: number, requestId: string): RestRequest {
    return listenKeyRequest("extend", ctx(nowUs, requestId, this.hedgeMode), listenKey);
  }
}

/** Re-stamp a signed read for a retry: a fresh `timestamp` (docs/bingx-protocol.md §2) and request id. */
export function restamp(req: RestRequest, nowUs: number, requestId: string): RestRequest {
  const params = { ...req.params };
  if ("timestamp" in params) params["timestamp"] = String(Math.floor(nowUs / 1000));
  return { ...req, params, requestId };
}

export { parseBalanceReply, parseCommandResponse, parseListenKeyReply, parseOrderQueryFill, parseOrderQueryReply, parseWsMessage, PATHS };
export type { TrackedOrder };
