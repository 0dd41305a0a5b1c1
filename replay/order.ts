/**
 * Row order and duplicates (docs/history-schema.md "Bad history"): rows must come in strictly
 * increasing `(ts_us, seq)` order within one run_id. A row repeating an earlier row's seq with
 * identical content is a duplicate: counted and dropped, never fed twice. Anything else out of
 * order (time going backwards, a seq repeated with other content, a second run_id) is a
 * HistoryError naming the row's seq and the column.
 *
 * Duplicates are recognised against the last {@link DUP_WINDOW} distinct rows (bounded memory, so
 * a 1,000,000-row replay stays flat); an identical row further back is reported as time going
 * backwards — loudly, never fed twice.
 */
import { COLUMN_NAMES, HistoryError, type HistoryRow } from "./schema.js";

/** How many recent rows a duplicate is recognised against. */
export const DUP_WINDOW = 1024;

/** True when two rows hold the same value in every column. */
export function sameRow(a: HistoryRow, b: HistoryRow): boolean {
  return COLUMN_NAMES.every((c) => a[c] === b[c]);
}

/** Checks order and drops duplicates, row by row. */
export class RowOrder {
  #runId: string | undefined;
  #lastTs = -Infinity;
  #lastSeq = -Infinity;
  #recent = new Map<number, HistoryRow>();
  /** Duplicated rows dropped so far. */
  duplicates = 0;

  /**
   * Accept `r` (true: feed it; false: a duplicate, dropped).
   * @throws HistoryError for a row out of order, a conflicting repeated seq, or a second run_id.
   */
  accept(r: HistoryRow): boolean {
    if (this.#runId === undefined) this.#runId = r.run_id;
    else if (r.run_id !== this.#runId) throw new HistoryError(r.seq, "run_id", `${JSON.stringify(r.run_id)} differs from the replayed run ${JSON.stringify(this.#runId)} (select one run)`);
    const seen = this.#recent.get(r.seq);
    if (seen !== undefined) {
      if (sameRow(seen, r)) {
        this.duplicates++;
        return false;
      }
      throw new HistoryError(r.seq, "seq", "repeats the seq of an earlier row with different content");
    }
    if (r.ts_us < this.#lastTs) throw new HistoryError(r.seq, "ts_us", `time goes backwards: ${r.ts_us} after ${this.#lastTs} (seq ${this.#lastSeq})`);
    if (r.ts_us === this.#lastTs && r.seq < this.#lastSeq) throw new HistoryError(r.seq, "seq", `out of (ts_us, seq) order: seq ${r.seq} after seq ${this.#lastSeq} at the same ts_us ${r.ts_us}`);
    if (r.seq < this.#lastSeq) throw new HistoryError(r.seq, "seq", `seq goes backwards: ${r.seq} after ${this.#lastSeq} (ts_us ${r.ts_us} is later; seq must increase with time)`);
    this.#lastTs = r.ts_us;
    this.#lastSeq = r.seq;
    this.#recent.set(r.seq, r);
    if (this.#recent.size > DUP_WINDOW) this.#recent.delete(this.#recent.keys().next().value as number);
    return true;
  }
}
