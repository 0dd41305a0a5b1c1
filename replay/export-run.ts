/**
 * `dita run … --history F.arrow`: a run's kernel inputs as history rows, derived from the run's
 * trace (sim/trace.ts: every kernel input is a trace row `intent` / `kernel.venue` /
 * `kernel.account` / `kernel.mark` / `kernel.reconcile` / `kernel.restore`, each followed by its
 * `kernel.out`), never from a parallel bookkeeping. The trace file is read batch by batch.
 *
 * Mapping (docs/history-schema.md "From a simulator run"): ts_us = the trace row's time (when the
 * kernel got the input), event_ts_us = the input's own tsUs when it differs (stream frames carry
 * the venue's emission time); an intent's recorded order = the command of its `kernel.out`; a
 * restart = RESTART without state (the replay saves and restores its own kernel, as the runtime
 * did). After the inputs, the run's final books are appended as BOOKED rows (per trade and per
 * leg) and its final positions as POSITION rows, so `dita replay` itself proves the reproduction.
 */
import { open } from "node:fs/promises";
import { RecordBatchReader } from "apache-arrow";
import type { AccountEvent, Intent, KernelConfig, KernelSnapshot, MarkPrice, Outcome, ReconcileReport, VenueEvent } from "../kernel/types.js";
import type { TraceRow } from "../sim/trace.js";
import { Dec } from "../sim/num.js";
import { emptyRow, type HistoryRow } from "./schema.js";

/** Source column value of rows exported from a simulator run. */
export const SIM_SOURCE = "sim";

/** Stream the rows of a trace Arrow file (sim/trace.ts schema: seq, t_us, kind, body). */
export async function* readTraceArrow(path: string): AsyncGenerator<TraceRow> {
  const fh = await open(path, "r");
  try {
    const reader = await RecordBatchReader.from(fh);
    await reader.open();
    for await (const b of reader) {
      const [seq, tUs, kind, body] = ["seq", "t_us", "kind", "body"].map((n) => b.getChild(n));
      if (!seq || !tUs || !kind || !body) throw new Error(`trace ${path}: not a trace file (needs columns seq, t_us, kind, body)`);
      for (let i = 0; i < b.numRows; i++) {
        yield { seq: Number(seq.get(i)), tUs: Number(tUs.get(i)), kind: kind.get(i), body: body.get(i) };
      }
    }
  } finally {
    await fh.close();
  }
}

/** Rows of a venue event (ORDER_ACK … RATE_LIMITED). */
export function venueEventRow(base: HistoryRow, ev: VenueEvent): HistoryRow {
  const r: HistoryRow = { ...base, kind: ev.kind, event_id: ev.eventId, symbol: ev.symbol };
  r.venue_order_id = ev.venueOrderId ?? null;
  r.client_order_id = ev.clientOrderId ?? null;
  r.slot_id = ev.slotHint ?? null;
  r.qty = ev.fillQty ?? null;
  r.price = ev.fillPrice ?? null;
  r.fee_usdt = ev.feeUsdt ?? null;
  r.venue_code = ev.venueCode ?? null;
  r.reason = ev.reason ?? null;
  r.retry_after_ms = ev.retryAfterMs ?? null;
  const modes: Record<string, string> = {};
  if (ev.quantityMode !== undefined) modes.quantityMode = ev.quantityMode;
  if (ev.feeMode !== undefined) modes.feeMode = ev.feeMode;
  r.payload = Object.keys(modes).length ? JSON.stringify(modes) : null;
  return r;
}

/** Row of an account event (FILL_SETTLED / FUNDING / BALANCE event). */
export function accountEventRow(base: HistoryRow, ev: AccountEvent): HistoryRow {
  const r: HistoryRow = { ...base, kind: ev.kind, event_id: ev.eventId };
  if (ev.kind === "FILL_SETTLED") {
    r.symbol = ev.symbol;
    r.trade_id = ev.tradeId ?? null;
    r.venue_order_id = ev.venueOrderId ?? null;
    r.client_order_id = ev.clientOrderId ?? null;
    r.realized_pnl_usdt = ev.realizedPnlUsdt;
    r.fee_usdt = ev.feeUsdt;
    r.qty = ev.cumQty ?? null;
  } else if (ev.kind === "FUNDING") {
    r.symbol = ev.symbol;
    r.amount_usdt = ev.amountUsdt;
  } else {
    r.wallet_usdt = ev.walletBalanceUsdt ?? null;
    r.available_usdt = ev.availableMarginUsdt ?? null;
  }
  return r;
}

/** Row of an intent with the order the kernel sent for it (its Outcome's command). */
export function intentRow(base: HistoryRow, it: Intent, out: Outcome | undefined): HistoryRow {
  const r: HistoryRow = { ...base, kind: "INTENT", intent_id: it.intentId, slot_id: it.slotId, payload: JSON.stringify(it) };
  if (it.kind === "ENTER") {
    r.trade_id = it.tradeId;
    r.symbol = it.symbol;
  }
  const cmd = out?.commands[0];
  if (cmd?.kind === "SUBMIT") {
    r.client_order_id = cmd.clientOrderId;
    r.side = cmd.side;
    r.order_type = cmd.orderType;
    r.qty = cmd.quantity;
    r.price = cmd.limitPrice ?? null;
    r.trade_id = cmd.tradeId;
    r.symbol = cmd.symbol;
  } else if (cmd?.kind === "CANCEL") {
    r.client_order_id = cmd.clientOrderId;
    r.trade_id = cmd.tradeId;
    r.symbol = cmd.symbol;
  }
  return r;
}

/** The CONFIG row that opens every history. */
export function configRow(runId: string, tsUs: number, source: string, config: KernelConfig, start: "flat" | "restore" | "reconcile" = "flat"): HistoryRow {
  return { ...emptyRow(runId, 0, tsUs, "CONFIG", source), payload: JSON.stringify({ kernelConfig: config, start }) };
}

/**
 * The BOOKED (per trade and per leg) and POSITION (per symbol) rows of a final kernel snapshot:
 * what the run's kernel booked, for the replay to compare (never fed).
 */
export function finalBooksRows(runId: string, source: string, firstSeq: number, tsUs: number, final: KernelSnapshot): HistoryRow[] {
  const out: HistoryRow[] = [];
  let seq = firstSeq;
  for (const t of final.trades) {
    out.push({ ...emptyRow(runId, seq++, tsUs, "BOOKED", source), trade_id: t.tradeId, symbol: t.symbol, realized_pnl_usdt: t.realizedGrossUsdt, fee_usdt: t.feesUsdt });
    for (const l of t.legs) {
      out.push({ ...emptyRow(runId, seq++, tsUs, "BOOKED", source), trade_id: t.tradeId, symbol: t.symbol, realized_pnl_usdt: l.realizedPnlUsdt, fee_usdt: l.feesUsdt, payload: JSON.stringify({ legIndex: l.legIndex }) });
    }
  }
  const net = new Map<string, InstanceType<typeof Dec>>();
  for (const s of final.slots) {
    if (s.symbol === "" || s.side === undefined) continue;
    const size = new Dec(s.sizeQty);
    net.set(s.symbol, (net.get(s.symbol) ?? new Dec(0)).plus(s.side === "LONG" ? size : size.neg()));
  }
  for (const [symbol, q] of [...net].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.push({ ...emptyRow(runId, seq++, tsUs, "POSITION", source), symbol, side: q.isZero() ? null : q.isNeg() ? "SHORT" : "LONG", qty: q.abs().toFixed() });
  }
  return out;
}

/**
 * History rows of one run, from its trace rows (in trace order). The first row is CONFIG
 * (`config`, window start flat); `final` adds the closing BOOKED / POSITION rows.
 * @throws Error when the trace has a kernel input the mapping does not know.
 */
export async function* historyFromTrace(
  trace: AsyncIterable<TraceRow> | Iterable<TraceRow>,
  opts: { runId: string; config: KernelConfig; source?: string; final?: KernelSnapshot },
): AsyncGenerator<HistoryRow> {
  const source = opts.source ?? SIM_SOURCE;
  let seq = 1;
  let lastTs = 0;
  let pending: { tUs: number; intent: Intent } | undefined;
  let first = true;
  const base = (tUs: number, inputTs: number | undefined): HistoryRow => {
    const r = emptyRow(opts.runId, seq++, tUs, "CONFIG", source);
    r.event_ts_us = inputTs === undefined || inputTs === tUs ? null : inputTs;
    return r;
  };
  for await (const t of trace) {
    if (first) {
      first = false;
      yield configRow(opts.runId, t.tUs, source, opts.config);
    }
    lastTs = t.tUs;
    if (pending && t.kind === "kernel.out") {
      yield intentRow(base(pending.tUs, pending.intent.tsUs), pending.intent, JSON.parse(t.body) as Outcome);
      pending = undefined;
      continue;
    }
    if (pending) throw new Error(`trace row ${t.seq}: the intent at ${pending.tUs} has no kernel.out row after it`);
    switch (t.kind) {
      case "intent":
        pending = { tUs: t.tUs, intent: JSON.parse(t.body) as Intent };
        break;
      case "kernel.venue": {
        const ev = JSON.parse(t.body) as VenueEvent;
        yield venueEventRow(base(t.tUs, ev.tsUs), ev);
        break;
      }
      case "kernel.account": {
        const ev = JSON.parse(t.body) as AccountEvent;
        yield accountEventRow(base(t.tUs, ev.tsUs), ev);
        break;
      }
      case "kernel.mark": {
        const m = JSON.parse(t.body) as MarkPrice;
        yield { ...base(t.tUs, m.tsUs), kind: "MARK", symbol: m.symbol, price: m.markPrice };
        break;
      }
      case "kernel.reconcile": {
        const b = JSON.parse(t.body) as { why: string; report: ReconcileReport };
        yield { ...base(t.tUs, b.report.tsUs), kind: "RECONCILE", reason: b.why, payload: JSON.stringify(b.report) };
        break;
      }
      case "kernel.restore":
        yield { ...base(t.tUs, undefined), kind: "RESTART", reason: "process restart (save → new kernel → restore)" };
        break;
      default:
        break; // not a kernel input (venue traffic, ledger samples, checks, outcomes)
    }
  }
  if (pending) throw new Error(`trace: the last intent (at ${pending.tUs}) has no kernel.out row`);
  if (opts.final) yield* finalBooksRows(opts.runId, source, seq, lastTs, opts.final);
}
