/**
 * `dita import bingx`: the exchange's own exports → history rows (docs/history-schema.md,
 * docs/bingx-protocol.md §4.2 order object, §4.4 income). Inputs are the REST replies as saved
 * (envelope `{code, msg, data}`, order ids as 19-digit JSON numbers, read losslessly):
 * - order history (`GET /openApi/swap/v2/trade/allOrders`: `data.orders[]`, the §4.2 order
 *   object) → ORDER_ACK at `time`, and CANCEL_ACK at `updateTime` for CANCELLED / EXPIRED orders;
 * - fills (`GET /openApi/swap/v2/trade/fillHistory`: `data.fill_history_orders[]`, or
 *   `allFillOrders`: `data.fill_orders[]`; per fill `qty` (or `volume`), `price`, `commission`
 *   (negative = paid), `orderId`, `tradeId`, and a time `filledTm` / `filledTime` / `time`, as
 *   ms or as text with an explicit offset such as `2026-06-11T20:00:08.000+08:00` — the export's
 *   +08:00 timestamps are converted to UTC µs; a time without an offset is refused) →
 *   PARTIAL_FILL / FULL_FILL (INCREMENTAL: this fill's qty, true price, fee = −commission), the
 *   order's last fill being FULL_FILL when the order is FILLED;
 * - income (`GET /openApi/swap/v2/user/income`: `data[]` rows `{symbol, incomeType, income,
 *   asset, info, time, tranId, tradeId}`): REALIZED_PNL + TRADING_FEE of one tradeId →
 *   FILL_SETTLED (rp, fee = −income, venue order and cumQty from the fill of that tradeId);
 *   FUNDING_FEE → FUNDING. A TRADING_FEE with no REALIZED_PNL (an opening fill) is already the
 *   fill's commission and is counted, not fed twice; other income types (TRANSFER, …) are not
 *   kernel inputs and are counted in the summary;
 * - the bot's decision rows, when the operator has them (JSON lines `{"intent": Intent,
 *   "clientOrderId"?: string}`) → INTENT rows whose recorded order is the history's order of
 *   that client order id.
 * Every row is checked; a missing or malformed field is an ImportError naming the file, the row
 * and the field (exit 2). Rows are sorted by time (a stable kind order within the same µs).
 */
import { readFileSync } from "node:fs";
import type { Intent, KernelConfig } from "../kernel/types.js";
import { isWireNumber, isWireObject, parseJsonLossless, type Wire } from "../venues/bingx/json.js";
import { Dec } from "../sim/num.js";
import { configRow } from "./export-run.js";
import { canonicalDecimal, emptyRow, type HistoryKind, type HistoryRow } from "./schema.js";

/** A bad export: names the file, the row and the field. */
export class ImportError extends Error {
  override name = "ImportError";
}

/** Source column of imported rows. */
export const BINGX_SOURCE = "bingx-export";

type Obj = { [k: string]: Wire };

function fail(where: string, field: string, detail: string): never {
  throw new ImportError(`${where}: field ${field}: ${detail}`);
}

function text(o: Obj, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "string") return v;
  if (isWireNumber(v)) return v.value;
  return fail(where, key, `expected a string or number, got ${JSON.stringify(v)}`);
}

function req(o: Obj, keys: string[], where: string): string {
  for (const k of keys) {
    const v = text(o, k, where);
    if (v !== undefined) return v;
  }
  return fail(where, keys.join(" | "), "missing");
}

function decimal(o: Obj, keys: string[], where: string): string {
  const v = req(o, keys, where);
  try {
    return canonicalDecimal(v, undefined, keys[0]);
  } catch (e) {
    return fail(where, keys[0], (e as Error).message);
  }
}

/**
 * A BingX export time → µs UTC: integer ms, or ISO-8601 text with an explicit offset
 * (`+08:00`, `+0800`, `Z`). Text without an offset is refused (never assumed UTC or +08:00).
 */
export function bingxTimeUs(v: string, where: string, field: string): number {
  if (/^\d{10,}$/.test(v)) return Number(v) * 1000;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})$/.exec(v);
  if (!m) return fail(where, field, `${JSON.stringify(v)} is neither ms since the epoch nor a time with an explicit offset (e.g. 2026-06-11T20:00:08.000+08:00)`);
  const off = m[4] === "Z" ? "Z" : m[4].includes(":") ? m[4] : `${m[4].slice(0, 3)}:${m[4].slice(3)}`;
  const ms = Date.parse(`${m[1]}T${m[2]}${off}`);
  if (!Number.isFinite(ms)) return fail(where, field, `${JSON.stringify(v)} is not a valid time`);
  const frac = (m[3] ?? "").slice(1).padEnd(6, "0");
  return ms * 1000 + Number(frac || "0");
}

function readReply(file: string, what: string): Wire {
  let w: Wire;
  try {
    w = parseJsonLossless(readFileSync(file, "utf8"));
  } catch (e) {
    throw new ImportError(`${what} ${file}: not JSON: ${(e as Error).message}`);
  }
  if (!isWireObject(w)) throw new ImportError(`${what} ${file}: expected the REST reply object {code, msg, data}`);
  const code = w["code"];
  if (code !== undefined && !(isWireNumber(code) && code.value === "0")) throw new ImportError(`${what} ${file}: field code: the saved reply is an error (${JSON.stringify(code)} ${JSON.stringify(w["msg"])})`);
  return w["data"];
}

function list(data: Wire, keys: string[], file: string, what: string): Obj[] {
  let arr: Wire | undefined = data;
  if (isWireObject(data)) arr = keys.map((k) => data[k]).find((v) => v !== undefined);
  if (!Array.isArray(arr)) throw new ImportError(`${what} ${file}: field data${keys.length ? `.${keys.join(" | data.")}` : ""}: expected an array`);
  return arr.map((r, i) => (isWireObject(r) ? r : fail(`${what} ${file} row ${i}`, "(row)", "expected an object")));
}

interface Order {
  venueOrderId: string;
  clientOrderId?: string;
  symbol: string;
  side: string;
  type: string;
  origQty?: string;
  price?: string;
  status: string;
  executedQty?: string;
  timeUs: number;
  updateUs?: number;
}

interface Fill {
  tradeId: string;
  venueOrderId: string;
  symbol: string;
  qty: string;
  price: string;
  feeUsdt: string;
  timeUs: number;
  cumQty?: string;
  last?: boolean;
}

/** Inputs of an import. */
export interface BingxImportInput {
  runId: string;
  config: KernelConfig;
  orders?: string;
  fills?: string;
  income?: string;
  intents?: string;
  /** Wallet at the start of the window: an anchor BALANCE row before the first row. */
  startWalletUsdt?: string;
}

/** What an import produced. */
export interface BingxImportResult {
  rows: HistoryRow[];
  counts: Record<string, number>;
  /** Export rows that are not kernel inputs and were not imported, by reason. */
  skipped: Record<string, number>;
}

const KIND_ORDER: HistoryKind[] = ["BALANCE", "INTENT", "ORDER_ACK", "PARTIAL_FILL", "FULL_FILL", "FILL_SETTLED", "FUNDING", "CANCEL_ACK"];

/** Import the given export files. @throws ImportError naming the file, row and field. */
export function importBingx(inp: BingxImportInput): BingxImportResult {
  const orders = new Map<string, Order>();
  const byClient = new Map<string, Order>();
  if (inp.orders) {
    list(readReply(inp.orders, "orders"), ["orders"], inp.orders, "orders").forEach((o, i) => {
      const where = `orders ${inp.orders} row ${i}`;
      const ord: Order = {
        venueOrderId: req(o, ["orderId", "orderID"], where),
        symbol: req(o, ["symbol"], where),
        side: req(o, ["side"], where),
        type: req(o, ["type"], where),
        status: req(o, ["status"], where),
        timeUs: bingxTimeUs(req(o, ["time"], where), where, "time"),
      };
      const cid = text(o, "clientOrderId", where) ?? text(o, "clientOrderID", where);
      if (cid) ord.clientOrderId = cid.toLowerCase();
      if (text(o, "origQty", where)) ord.origQty = decimal(o, ["origQty"], where);
      if (ord.type === "LIMIT") ord.price = decimal(o, ["price"], where);
      if (text(o, "executedQty", where)) ord.executedQty = decimal(o, ["executedQty"], where);
      const up = text(o, "updateTime", where);
      if (up) ord.updateUs = bingxTimeUs(up, where, "updateTime");
      orders.set(ord.venueOrderId, ord);
      if (ord.clientOrderId) byClient.set(ord.clientOrderId, ord);
    });
  }
  const fills: Fill[] = [];
  const fillByTrade = new Map<string, Fill>();
  if (inp.fills) {
    list(readReply(inp.fills, "fills"), ["fill_history_orders", "fill_orders", "fills"], inp.fills, "fills").forEach((f, i) => {
      const where = `fills ${inp.fills} row ${i}`;
      const fill: Fill = {
        tradeId: req(f, ["tradeId", "tradeID"], where),
        venueOrderId: req(f, ["orderId", "orderID"], where),
        symbol: req(f, ["symbol"], where),
        qty: decimal(f, ["qty", "volume"], where),
        price: decimal(f, ["price"], where),
        feeUsdt: new Dec(decimal(f, ["commission"], where)).neg().toFixed(),
        timeUs: bingxTimeUs(req(f, ["filledTm", "filledTime", "time"], where), where, "filledTm"),
      };
      if (!orders.has(fill.venueOrderId)) fail(where, "orderId", `${fill.venueOrderId} is not in the order history (give --orders with it)`);
      if (fillByTrade.has(fill.tradeId)) fail(where, "tradeId", `${fill.tradeId} appears twice`);
      fills.push(fill);
      fillByTrade.set(fill.tradeId, fill);
    });
  }
  // Cumulative quantity per order, in time order; the last fill of a FILLED order is FULL_FILL.
  const cum = new Map<string, InstanceType<typeof Dec>>();
  const sortedFills = [...fills].sort((a, b) => a.timeUs - b.timeUs || (a.tradeId < b.tradeId ? -1 : 1));
  for (const f of sortedFills) {
    const c = (cum.get(f.venueOrderId) ?? new Dec(0)).plus(f.qty);
    cum.set(f.venueOrderId, c);
    f.cumQty = c.toFixed();
  }
  for (const f of sortedFills) {
    const o = orders.get(f.venueOrderId)!;
    f.last = o.status === "FILLED" && f.cumQty === cum.get(f.venueOrderId)!.toFixed() && (o.executedQty === undefined || new Dec(o.executedQty).eq(f.cumQty!));
  }

  type Pending = { ts: number; kind: HistoryKind; fill: (r: HistoryRow) => HistoryRow };
  const out: Pending[] = [];
  const counts: Record<string, number> = {};
  const skipped: Record<string, number> = {};
  for (const o of orders.values()) {
    out.push({ ts: o.timeUs, kind: "ORDER_ACK", fill: (r) => ({ ...r, event_id: `order:${o.venueOrderId}:ack`, symbol: o.symbol, venue_order_id: o.venueOrderId, client_order_id: o.clientOrderId ?? null }) });
    if (o.status === "CANCELLED" || o.status === "CANCELED" || o.status === "EXPIRED") {
      if (o.updateUs === undefined) fail(`orders ${inp.orders} order ${o.venueOrderId}`, "updateTime", `required for a ${o.status} order (the cancel time)`);
      out.push({ ts: o.updateUs, kind: "CANCEL_ACK", fill: (r) => ({ ...r, event_id: `order:${o.venueOrderId}:cancel`, symbol: o.symbol, venue_order_id: o.venueOrderId, client_order_id: o.clientOrderId ?? null, reason: o.status }) });
    }
  }
  for (const f of sortedFills) {
    out.push({
      ts: f.timeUs,
      kind: f.last ? "FULL_FILL" : "PARTIAL_FILL",
      fill: (r) => ({ ...r, event_id: `fill:${f.tradeId}`, symbol: f.symbol, venue_order_id: f.venueOrderId, qty: f.qty, price: f.price, fee_usdt: f.feeUsdt, payload: '{"quantityMode":"INCREMENTAL","feeMode":"INCREMENTAL"}' }),
    });
  }
  if (inp.income) {
    const rows = list(readReply(inp.income, "income"), [], inp.income, "income");
    const byTrade = new Map<string, { rp?: string; fee?: string; ts: number; symbol: string }>();
    rows.forEach((r, i) => {
      const where = `income ${inp.income} row ${i}`;
      const type = req(r, ["incomeType"], where);
      const income = decimal(r, ["income"], where);
      const ts = bingxTimeUs(req(r, ["time"], where), where, "time");
      const isInput = type === "FUNDING_FEE" || type === "REALIZED_PNL" || type === "TRADING_FEE";
      const symbol = isInput ? req(r, ["symbol"], where) : "";
      if (type === "FUNDING_FEE") {
        const tran = req(r, ["tranId", "tradeId"], where);
        out.push({ ts, kind: "FUNDING", fill: (x) => ({ ...x, event_id: `income:funding:${tran}`, symbol, amount_usdt: income }) });
      } else if (type === "REALIZED_PNL" || type === "TRADING_FEE") {
        const tid = req(r, ["tradeId"], where);
        const e = byTrade.get(tid) ?? { ts, symbol };
        if (type === "REALIZED_PNL") e.rp = income;
        else e.fee = new Dec(income).neg().toFixed();
        e.ts = Math.max(e.ts, ts);
        byTrade.set(tid, e);
      } else skipped[`income ${type} (not a kernel input)`] = (skipped[`income ${type} (not a kernel input)`] ?? 0) + 1;
    });
    for (const [tid, e] of byTrade) {
      if (e.rp === undefined) {
        skipped["income TRADING_FEE without REALIZED_PNL (an opening fill's fee: already its commission)"] = (skipped["income TRADING_FEE without REALIZED_PNL (an opening fill's fee: already its commission)"] ?? 0) + 1;
        continue;
      }
      const f = fillByTrade.get(tid);
      if (!f) fail(`income ${inp.income} tradeId ${tid}`, "tradeId", "no fill with this tradeId in --fills (the settlement needs its order)");
      out.push({ ts: Math.max(e.ts, f.timeUs), kind: "FILL_SETTLED", fill: (x) => ({ ...x, event_id: `income:${tid}`, symbol: e.symbol, venue_order_id: f.venueOrderId, realized_pnl_usdt: e.rp!, fee_usdt: e.fee ?? "0", qty: f.cumQty! }) });
    }
  }
  if (inp.intents) {
    readFileSync(inp.intents, "utf8").split("\n").forEach((line, i) => {
      if (line.trim() === "") return;
      const where = `intents ${inp.intents} line ${i + 1}`;
      let d: { intent?: Intent; clientOrderId?: string };
      try {
        d = JSON.parse(line) as typeof d;
      } catch (e) {
        return fail(where, "(line)", `not JSON: ${(e as Error).message}`);
      }
      const it = d.intent;
      if (!it || typeof it !== "object" || typeof it.tsUs !== "number" || typeof it.intentId !== "string") return fail(where, "intent", "expected {intent: Intent with intentId and tsUs, clientOrderId?}");
      const ord = d.clientOrderId === undefined ? undefined : byClient.get(d.clientOrderId.toLowerCase());
      if (d.clientOrderId !== undefined && !ord) fail(where, "clientOrderId", `${d.clientOrderId} is not in the order history`);
      out.push({
        ts: it.tsUs,
        kind: "INTENT",
        fill: (r) => ({
          ...r, intent_id: it.intentId, slot_id: it.slotId, payload: JSON.stringify(it),
          trade_id: it.kind === "ENTER" ? it.tradeId : null, symbol: it.kind === "ENTER" ? it.symbol : ord?.symbol ?? null,
          client_order_id: ord?.clientOrderId ?? null, side: ord && it.kind !== "CANCEL" ? ord.side : null, order_type: ord && it.kind !== "CANCEL" ? ord.type : null,
          qty: ord && it.kind !== "CANCEL" ? (ord.origQty ?? null) : null, price: ord && it.kind !== "CANCEL" ? (ord.price ?? null) : null,
        }),
      });
    });
  }
  out.sort((a, b) => a.ts - b.ts || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
  const first = out[0]?.ts ?? 0;
  const rows: HistoryRow[] = [configRow(inp.runId, first, BINGX_SOURCE, inp.config)];
  let seq = 1;
  if (inp.startWalletUsdt !== undefined) {
    const w = canonicalDecimal(inp.startWalletUsdt, undefined, "--start-wallet");
    rows.push({ ...emptyRow(inp.runId, seq++, first, "BALANCE", BINGX_SOURCE), wallet_usdt: w, available_usdt: w, payload: JSON.stringify({ anchorEventSeq: 1 }), reason: "wallet at the start of the window (operator)" });
  }
  for (const p of out) {
    rows.push(p.fill({ ...emptyRow(inp.runId, seq++, p.ts, p.kind, BINGX_SOURCE) }));
    counts[p.kind] = (counts[p.kind] ?? 0) + 1;
  }
  return { rows, counts, skipped };
}
