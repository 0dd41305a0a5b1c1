/**
 * The shadow session's recording as history rows (docs/history-schema.md; replay/schema.ts), so
 * `dita replay --arrow <session>/history.arrow` replays the session through the same kernel and
 * adapter. Rows are built as the session feeds its kernel, in feeding order:
 * CONFIG first; INTENT (with the order the kernel sent); stream frames as **WS_RAW** (the raw
 * frame text; the replay decodes it through the adapter, stamped with the frame's venue time);
 * SUBMIT replies and balance reads as **REST_RAW** (method, path, params without secrets, status,
 * raw body); every other input (cancel / query replies, the connector's reconcile-round balance)
 * as its typed row (venue event, FILL_SETTLED, BALANCE, …); RECONCILE; MARK; and at the end the
 * kernel's final books as BOOKED / POSITION rows, which the replay compares.
 * Secrets: REST_RAW params never carry a signature (it is added by the transport), an API key or a
 * listen key (listen-key calls are not kernel inputs and are not recorded here).
 */
import type { AccountEvent, Intent, KernelConfig, KernelSnapshot, MarkPrice, Outcome, ReconcileReport, VenueEvent } from "../kernel/types.js";
import type { RestRequest, RestResponse } from "../venues/venue.js";
import { HistoryArrowWriter, emptyRow, type HistoryKind, type HistoryRow } from "../replay/schema.js";
import { accountEventRow, configRow, finalBooksRows, intentRow, venueEventRow } from "../replay/export-run.js";

/** `source` column of shadow rows. */
export const SHADOW_SOURCE = "shadow";

/** Collects a session's history rows. */
export class ShadowHistory {
  readonly rows: HistoryRow[] = [];
  private seq = 0;
  private lastTs = 0;

  constructor(readonly runId: string) {}

  private base(tsUs: number, kind: HistoryKind, inputTs?: number): HistoryRow {
    this.lastTs = Math.max(this.lastTs, tsUs);
    const r = emptyRow(this.runId, ++this.seq, this.lastTs, kind, SHADOW_SOURCE);
    r.event_ts_us = inputTs === undefined || inputTs === this.lastTs ? null : inputTs;
    return r;
  }

  config(tsUs: number, cfg: KernelConfig): void {
    this.lastTs = tsUs;
    this.rows.push(configRow(this.runId, tsUs, SHADOW_SOURCE, cfg, "flat"));
  }

  intent(tsUs: number, it: Intent, out: Outcome): void {
    this.rows.push(intentRow(this.base(tsUs, "INTENT", it.tsUs), it, out));
  }

  venue(tsUs: number, ev: VenueEvent): void {
    this.rows.push(venueEventRow(this.base(tsUs, ev.kind, ev.tsUs), ev));
  }

  account(tsUs: number, ev: AccountEvent): void {
    this.rows.push(accountEventRow(this.base(tsUs, ev.kind, ev.tsUs), ev));
  }

  mark(tsUs: number, m: MarkPrice): void {
    this.rows.push({ ...this.base(tsUs, "MARK", m.tsUs), symbol: m.symbol, price: m.markPrice });
  }

  reconcile(tsUs: number, why: string, report: ReconcileReport): void {
    this.rows.push({ ...this.base(tsUs, "RECONCILE", report.tsUs), reason: why, payload: JSON.stringify(report) });
  }

  /** A stream frame as received; `venueTsUs` = its `E` (the time the adapter stamps its events with). */
  wsRaw(tsUs: number, venueTsUs: number, text: string): void {
    this.rows.push({ ...this.base(tsUs, "WS_RAW", venueTsUs), payload: text });
  }

  /** A REST reply the kernel was fed from (params as built by the adapter: no signature). */
  restRaw(tsUs: number, req: RestRequest, resp: RestResponse): void {
    const params = { ...req.params };
    for (const secret of ["signature", "apiKey", "listenKey"]) delete params[secret];
    this.rows.push({ ...this.base(tsUs, "REST_RAW"), payload: JSON.stringify({ method: req.method, path: req.path, params, httpStatus: resp.httpStatus, body: resp.body }) });
  }

  /** BOOKED / POSITION rows of the final books. */
  final(tsUs: number, snap: KernelSnapshot): void {
    const rows = finalBooksRows(this.runId, SHADOW_SOURCE, this.seq + 1, Math.max(this.lastTs, tsUs), snap);
    this.seq += rows.length;
    this.rows.push(...rows);
  }

  /** Write the rows as a history Arrow file. */
  async write(path: string): Promise<void> {
    const w = new HistoryArrowWriter(path);
    for (const r of this.rows) w.write(r);
    await w.close();
  }
}
