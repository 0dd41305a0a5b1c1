/**
 * History row → what the replay does with it (docs/history-schema.md "Kinds"): the kernel input a
 * fed kind becomes, the recorded order an INTENT carries, or the figure a compared kind holds.
 * Every per-kind requirement is checked here: a required column that is null, a payload that is
 * not the documented JSON, a payload field contradicting a column → HistoryError naming the row's
 * seq and the column (exit 2). Nothing is defaulted: an absent optional figure stays absent.
 */
import type { AccountEvent, Intent, KernelConfig, MarkPrice, ReconcileReport, VenueEvent, VenueEventKind } from "../kernel/types.js";
import { HistoryError, VENUE_KINDS, type HistoryRow } from "./schema.js";

/** How the window starts (CONFIG payload "start"; docs/history-schema.md "Window start"). */
export type WindowStart = "flat" | "restore" | "reconcile";

/** The order production sent for an intent (INTENT row columns), compared with the kernel's command. */
export interface RecordedOrder {
  clientOrderId: string | null;
  side: string | null;
  orderType: string | null;
  qty: string | null;
  limitPrice: string | null;
}

/** A decoded row. */
export type Decoded =
  | { t: "config"; config: KernelConfig; start: WindowStart }
  | { t: "intent"; intent: Intent; recorded: RecordedOrder | null }
  | { t: "venue"; ev: VenueEvent }
  | { t: "account"; ev: AccountEvent }
  | { t: "anchor"; walletUsdt?: string; availableUsdt?: string; eventSeq: number }
  | { t: "mark"; mark: MarkPrice }
  | { t: "restart"; state?: string }
  | { t: "reconcile"; report: ReconcileReport }
  | { t: "ws"; tsUs: number; body: string }
  | { t: "rest"; tsUs: number; method: string; path: string; params: Record<string, string>; httpStatus: number; body: string }
  | { t: "booked"; tradeId: string; legIndex?: number; realizedUsdt: string; feeUsdt?: string; note?: string }
  | { t: "position"; symbol: string; side: "LONG" | "SHORT" | null; qty: string };

type Obj = Record<string, unknown>;

function need<K extends keyof HistoryRow>(r: HistoryRow, col: K): NonNullable<HistoryRow[K]> {
  const v = r[col];
  if (v === null || v === undefined) throw new HistoryError(r.seq, col, `required for kind ${r.kind}, got null`);
  return v as NonNullable<HistoryRow[K]>;
}

function opt<K extends keyof HistoryRow>(r: HistoryRow, col: K): NonNullable<HistoryRow[K]> | undefined {
  const v = r[col];
  return v === null || v === undefined ? undefined : (v as NonNullable<HistoryRow[K]>);
}

function payloadObject(r: HistoryRow, required: boolean): Obj | undefined {
  if (r.payload === null) {
    if (required) throw new HistoryError(r.seq, "payload", `required for kind ${r.kind}, got null`);
    return undefined;
  }
  let v: unknown;
  try {
    v = JSON.parse(r.payload);
  } catch (e) {
    throw new HistoryError(r.seq, "payload", `not JSON: ${(e as Error).message}`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new HistoryError(r.seq, "payload", "must be a JSON object");
  return v as Obj;
}

function onlyKeys(r: HistoryRow, o: Obj, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new HistoryError(r.seq, "payload", `unknown field ${JSON.stringify(k)} for kind ${r.kind} (allowed: ${allowed.join(", ") || "none"})`);
}

/** The kernel-input time of a row: event_ts_us when recorded, else ts_us (docs/history-schema.md). */
export function inputTsUs(r: HistoryRow): number {
  return r.event_ts_us ?? r.ts_us;
}

function forbid(r: HistoryRow, cols: readonly (keyof HistoryRow)[]): void {
  for (const c of cols) if (r[c] !== null) throw new HistoryError(r.seq, c, `must be null for kind ${r.kind} (it is not an input of this kind)`);
}

const MONEY_COLS = ["qty", "price", "fee_usdt", "realized_pnl_usdt", "amount_usdt", "wallet_usdt", "available_usdt"] as const;

/**
 * Decode one (already shape-checked, canonicalised) row: by its kind's decoder below, or as a
 * venue event (VENUE_KINDS).
 * @throws HistoryError naming seq and column.
 */
export function decodeRow(r: HistoryRow): Decoded {
  const ts = inputTsUs(r);
  const decode = Object.hasOwn(DECODERS, r.kind) ? DECODERS[r.kind] : undefined;
  if (decode) return decode(r, ts);
  if ((VENUE_KINDS as readonly string[]).includes(r.kind)) return { t: "venue", ev: venueEvent(r, ts) };
  throw new HistoryError(r.seq, "kind", `unknown kind ${JSON.stringify(r.kind)}`);
}

/** The decoder of each non-venue row kind (docs/history-schema.md); `ts` is the row's input time (inputTsUs). */
const DECODERS: Record<string, (r: HistoryRow, ts: number) => Decoded> = {
  CONFIG: decodeConfig,
  INTENT: decodeIntent,
  FILL_SETTLED: decodeFillSettled,
  FUNDING: decodeFunding,
  BALANCE: decodeBalance,
  MARK: decodeMark,
  RESTART: decodeRestart,
  RECONCILE: decodeReconcile,
  WS_RAW: decodeWsRaw,
  REST_RAW: decodeRestRaw,
  BOOKED: decodeBooked,
  POSITION: decodePosition,
};

/** CONFIG: the kernel configuration and how the replay starts (flat, restore, reconcile). */
function decodeConfig(r: HistoryRow, ts: number): Decoded {
  const p = payloadObject(r, true)!;
  onlyKeys(r, p, ["kernelConfig", "start"]);
  const cfg = p.kernelConfig;
  if (typeof cfg !== "object" || cfg === null || Array.isArray(cfg)) throw new HistoryError(r.seq, "payload", "kernelConfig must be a KernelConfig object (kernel/types.ts)");
  const start = p.start;
  if (start !== "flat" && start !== "restore" && start !== "reconcile") throw new HistoryError(r.seq, "payload", `start must be "flat", "restore" or "reconcile", got ${JSON.stringify(start)}`);
  return { t: "config", config: cfg as KernelConfig, start };
}

/**
 * INTENT: the intent in the payload; its id, slot, time (and an ENTER's trade and symbol) must
 * match the columns. The recorded order columns come along for comparison.
 */
function decodeIntent(r: HistoryRow, ts: number): Decoded {
  const p = payloadObject(r, true)!;
  const intent = p as unknown as Intent;
  if (!["ENTER", "EXIT", "EXIT_RESIDUAL", "CANCEL"].includes(String(p.kind))) throw new HistoryError(r.seq, "payload", `kind ${JSON.stringify(p.kind)} is not an intent kind`);
  if (p.intentId !== need(r, "intent_id")) throw new HistoryError(r.seq, "intent_id", `${r.intent_id} differs from the payload's intentId ${JSON.stringify(p.intentId)}`);
  if (p.slotId !== need(r, "slot_id")) throw new HistoryError(r.seq, "slot_id", `${r.slot_id} differs from the payload's slotId ${JSON.stringify(p.slotId)}`);
  if (p.tsUs !== ts) throw new HistoryError(r.seq, "event_ts_us", `input time ${ts} differs from the payload's tsUs ${JSON.stringify(p.tsUs)}`);
  if (p.kind === "ENTER") {
    if (r.trade_id !== null && p.tradeId !== r.trade_id) throw new HistoryError(r.seq, "trade_id", `${r.trade_id} differs from the payload's tradeId ${JSON.stringify(p.tradeId)}`);
    if (r.symbol !== null && p.symbol !== r.symbol) throw new HistoryError(r.seq, "symbol", `${r.symbol} differs from the payload's symbol ${JSON.stringify(p.symbol)}`);
  }
  const recorded: RecordedOrder = { clientOrderId: r.client_order_id, side: r.side, orderType: r.order_type, qty: r.qty, limitPrice: r.price };
  const none = Object.values(recorded).every((v) => v === null);
  return { t: "intent", intent, recorded: none ? null : recorded };
}

/**
 * FILL_SETTLED: an exchange settlement of a fill (realized PnL and fee), with its order ids and
 * cumulative quantity when recorded.
 */
function decodeFillSettled(r: HistoryRow, ts: number): Decoded {
  forbid(r, ["price", "amount_usdt", "wallet_usdt", "available_usdt"]);
  if (r.payload !== null) throw new HistoryError(r.seq, "payload", "must be null for FILL_SETTLED");
  const ev: AccountEvent = { kind: "FILL_SETTLED", eventId: need(r, "event_id"), tsUs: ts, symbol: need(r, "symbol"), realizedPnlUsdt: need(r, "realized_pnl_usdt"), feeUsdt: need(r, "fee_usdt") };
  if (r.trade_id !== null) ev.tradeId = r.trade_id;
  if (r.venue_order_id !== null) ev.venueOrderId = r.venue_order_id;
  if (r.client_order_id !== null) ev.clientOrderId = r.client_order_id;
  if (r.qty !== null) ev.cumQty = r.qty;
  return { t: "account", ev };
}

/** FUNDING: a funding payment on a symbol. */
function decodeFunding(r: HistoryRow, ts: number): Decoded {
  forbid(r, ["qty", "price", "fee_usdt", "realized_pnl_usdt", "wallet_usdt", "available_usdt", "payload"]);
  return { t: "account", ev: { kind: "FUNDING", eventId: need(r, "event_id"), tsUs: ts, symbol: need(r, "symbol"), amountUsdt: need(r, "amount_usdt") } };
}

/**
 * BALANCE: with payload anchorEventSeq an exchange anchor (wallet, available margin), else a
 * BALANCE account event.
 */
function decodeBalance(r: HistoryRow, ts: number): Decoded {
  forbid(r, ["qty", "price", "fee_usdt", "realized_pnl_usdt", "amount_usdt"]);
  const p = payloadObject(r, false);
  if (p !== undefined) {
    onlyKeys(r, p, ["anchorEventSeq"]);
    const n = p.anchorEventSeq;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) throw new HistoryError(r.seq, "payload", `anchorEventSeq must be a non-negative integer, got ${JSON.stringify(n)}`);
    if (r.event_id !== null) throw new HistoryError(r.seq, "event_id", "must be null for an anchor (payload anchorEventSeq); a BALANCE event carries event_id instead");
    return { t: "anchor", walletUsdt: opt(r, "wallet_usdt"), availableUsdt: opt(r, "available_usdt"), eventSeq: n };
  }
  const ev: AccountEvent = { kind: "BALANCE", eventId: need(r, "event_id"), tsUs: ts };
  if (r.wallet_usdt !== null) ev.walletBalanceUsdt = r.wallet_usdt;
  if (r.available_usdt !== null) ev.availableMarginUsdt = r.available_usdt;
  return { t: "account", ev };
}

/** MARK: a mark price. */
function decodeMark(r: HistoryRow, ts: number): Decoded {
  forbid(r, ["qty", "fee_usdt", "realized_pnl_usdt", "amount_usdt", "wallet_usdt", "available_usdt", "payload"]);
  return { t: "mark", mark: { tsUs: ts, symbol: need(r, "symbol"), markPrice: need(r, "price") } };
}

/** RESTART: a process restart, from the saved state in the payload or from nothing. */
function decodeRestart(r: HistoryRow, ts: number): Decoded {
  forbid(r, MONEY_COLS);
  const p = payloadObject(r, false);
  if (p === undefined) return { t: "restart" };
  onlyKeys(r, p, ["state"]);
  if (typeof p.state !== "string" || p.state === "") throw new HistoryError(r.seq, "payload", "state must be the kernel's saveState() text");
  return { t: "restart", state: p.state };
}

/** RECONCILE: a ReconcileReport in the payload, at the row's input time. */
function decodeReconcile(r: HistoryRow, ts: number): Decoded {
  forbid(r, MONEY_COLS);
  const p = payloadObject(r, true)!;
  onlyKeys(r, p, ["tsUs", "positions", "orders"]);
  if (p.tsUs !== ts) throw new HistoryError(r.seq, "event_ts_us", `input time ${ts} differs from the report's tsUs ${JSON.stringify(p.tsUs)}`);
  if (!Array.isArray(p.positions) || !Array.isArray(p.orders)) throw new HistoryError(r.seq, "payload", "a ReconcileReport needs positions[] and orders[] (kernel/types.ts)");
  return { t: "reconcile", report: p as unknown as ReconcileReport };
}

/** WS_RAW: a raw user-stream frame (live recording) to go through the adapter. */
function decodeWsRaw(r: HistoryRow, ts: number): Decoded {
  forbid(r, MONEY_COLS);
  return { t: "ws", tsUs: ts, body: need(r, "payload") };
}

/** REST_RAW: a raw REST request and its reply (live recording); never a secret in its params. */
function decodeRestRaw(r: HistoryRow, ts: number): Decoded {
  forbid(r, MONEY_COLS);
  const p = payloadObject(r, true)!;
  onlyKeys(r, p, ["method", "path", "params", "httpStatus", "body"]);
  if (typeof p.method !== "string" || typeof p.path !== "string") throw new HistoryError(r.seq, "payload", "method and path must be strings");
  if (typeof p.httpStatus !== "number" || !Number.isInteger(p.httpStatus)) throw new HistoryError(r.seq, "payload", `httpStatus must be an integer, got ${JSON.stringify(p.httpStatus)}`);
  if (typeof p.body !== "string") throw new HistoryError(r.seq, "payload", "body must be the reply's raw text");
  const params = (p.params ?? {}) as Record<string, string>;
  if (typeof params !== "object" || Array.isArray(params) || Object.values(params).some((v) => typeof v !== "string")) throw new HistoryError(r.seq, "payload", "params must be an object of strings");
  if ("signature" in params || "apiKey" in params || "listenKey" in params) throw new HistoryError(r.seq, "payload", "params must not carry secrets (signature, apiKey, listenKey)");
  return { t: "rest", tsUs: ts, method: p.method, path: p.path, params, httpStatus: p.httpStatus, body: p.body };
}

/**
 * BOOKED: a figure the recorded kernel booked for a trade (and leg), to compare with the replay.
 */
function decodeBooked(r: HistoryRow, ts: number): Decoded {
  forbid(r, ["qty", "price", "amount_usdt", "wallet_usdt", "available_usdt"]);
  const p = payloadObject(r, false);
  let legIndex: number | undefined;
  let note: string | undefined;
  if (p !== undefined) {
    onlyKeys(r, p, ["legIndex", "note"]);
    if (p.legIndex !== undefined) {
      if (typeof p.legIndex !== "number" || !Number.isSafeInteger(p.legIndex) || p.legIndex < 0) throw new HistoryError(r.seq, "payload", `legIndex must be a non-negative integer, got ${JSON.stringify(p.legIndex)}`);
      legIndex = p.legIndex;
    }
    if (p.note !== undefined) note = String(p.note);
  }
  return { t: "booked", tradeId: need(r, "trade_id"), legIndex, realizedUsdt: need(r, "realized_pnl_usdt"), feeUsdt: opt(r, "fee_usdt"), note };
}

/** POSITION: the exchange position of a symbol (side null when flat, with qty 0). */
function decodePosition(r: HistoryRow, ts: number): Decoded {
  forbid(r, ["price", "fee_usdt", "realized_pnl_usdt", "amount_usdt", "wallet_usdt", "available_usdt", "payload"]);
  const side = r.side;
  if (side !== null && side !== "LONG" && side !== "SHORT") throw new HistoryError(r.seq, "side", `must be LONG, SHORT or null (flat), got ${JSON.stringify(side)}`);
  const qty = need(r, "qty");
  if (side === null && qty !== "0") throw new HistoryError(r.seq, "side", `null (flat) needs qty 0, got ${qty}`);
  return { t: "position", symbol: need(r, "symbol"), side, qty };
}

function venueEvent(r: HistoryRow, ts: number): VenueEvent {
  forbid(r, ["realized_pnl_usdt", "amount_usdt", "wallet_usdt", "available_usdt"]);
  const kind = r.kind as VenueEventKind;
  const ev: VenueEvent = { kind, eventId: need(r, "event_id"), tsUs: ts, symbol: need(r, "symbol") };
  if (r.venue_order_id !== null) ev.venueOrderId = r.venue_order_id;
  if (r.client_order_id !== null) ev.clientOrderId = r.client_order_id;
  if (r.slot_id !== null) ev.slotHint = r.slot_id;
  const isFill = kind === "PARTIAL_FILL" || kind === "FULL_FILL";
  if (isFill) ev.fillQty = need(r, "qty");
  // A CANCEL_ACK may state the order's terminal executed quantity (cumulative: WS z / REST
  // executedQty, with the payload's quantityMode CUMULATIVE), which the kernel books before ending
  // the order (F15/F16, chaos seed 7050).
  else if (kind === "CANCEL_ACK" && r.qty !== null) ev.fillQty = r.qty;
  else if (r.qty !== null) throw new HistoryError(r.seq, "qty", `must be null for ${kind} (only fills and a CANCEL_ACK's terminal executed quantity carry a quantity)`);
  if (r.price !== null) ev.fillPrice = r.price;
  if (r.fee_usdt !== null) ev.feeUsdt = r.fee_usdt;
  if (r.venue_code !== null) ev.venueCode = r.venue_code;
  if (r.reason !== null) ev.reason = r.reason;
  if (r.retry_after_ms !== null) ev.retryAfterMs = r.retry_after_ms;
  const p = payloadObject(r, false);
  if (p !== undefined) {
    onlyKeys(r, p, ["quantityMode", "feeMode"]);
    for (const k of ["quantityMode", "feeMode"] as const) {
      if (p[k] === undefined) continue;
      if (p[k] !== "INCREMENTAL" && p[k] !== "CUMULATIVE") throw new HistoryError(r.seq, "payload", `${k} must be INCREMENTAL or CUMULATIVE, got ${JSON.stringify(p[k])}`);
      ev[k] = p[k] as "INCREMENTAL" | "CUMULATIVE";
    }
  }
  return ev;
}
