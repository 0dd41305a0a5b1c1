/**
 * `--arrow F`: stream a history Arrow IPC file record batch by record batch (apache-arrow
 * RecordBatchReader over a random-access file handle), so memory stays flat for any file size.
 * Yields one lazy row iterable per record batch, in file order; ordering and duplicates are judged by replay/order.ts.
 */
import { open } from "node:fs/promises";
import { RecordBatchReader, type RecordBatch } from "apache-arrow";
import { normaliseRow } from "./normalise.js";
import { COLUMN_NAMES, HistoryError, type HistoryRow } from "./schema.js";

/** The columns of a batch that are not in the history schema (an unknown column is refused). */
function unknownColumns(batch: RecordBatch): string[] {
  return batch.schema.fields.map((f) => f.name).filter((n) => !(COLUMN_NAMES as string[]).includes(n));
}

/**
 * Rows of one record batch, built one at a time as they are consumed (a row object dies young
 * instead of 8,192 of them being promoted together: flat memory on long replays).
 * @throws HistoryError naming seq and column (when the bad row is reached).
 */
export function* rowsOfBatch(batch: RecordBatch): Generator<HistoryRow> {
  const extra = unknownColumns(batch);
  if (extra.length) throw new HistoryError(undefined, extra[0], "unknown column (not in the history schema, docs/history-schema.md)");
  const cols = new Map<string, ReturnType<RecordBatch["getChildAt"]>>();
  batch.schema.fields.forEach((f, i) => cols.set(f.name, batch.getChildAt(i)));
  let i = 0;
  const get = (c: string): unknown => cols.get(c)?.get(i);
  const has = (c: string): boolean => cols.has(c);
  for (; i < batch.numRows; i++) yield normaliseRow(get, has);
}

/**
 * Read the history file `path` batch by batch.
 * @throws HistoryError (exit 2) for a bad row; Error when the file is not an Arrow IPC file.
 */
export async function* readHistoryArrow(path: string): AsyncGenerator<Iterable<HistoryRow>> {
  const fh = await open(path, "r");
  try {
    const reader = await RecordBatchReader.from(fh);
    await reader.open();
    for await (const batch of reader) yield rowsOfBatch(batch);
  } finally {
    await fh.close();
  }
}
