/**
 * One raw record from a history source (an Arrow batch row, a ClickHouse JSON row) → a
 * {@link HistoryRow} with canonical decimals (schema.ts canonicalDecimal), so every engine hands
 * the replay byte-identical rows. Integers may arrive as bigint (Arrow Int64), number or decimal
 * text (ClickHouse quotes 64-bit integers); anything else is a HistoryError naming seq and column.
 */
import { HISTORY_COLUMNS, HistoryError, canonicalDecimal, checkRowShape, type HistoryRow } from "./schema.js";

function toInt(v: unknown, seq: number | undefined, col: string): number {
  let n: number;
  if (typeof v === "bigint") {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new HistoryError(seq, col, `${v} is beyond ±2^53`);
    n = Number(v);
  } else if (typeof v === "number") n = v;
  else if (typeof v === "string" && /^-?\d+$/.test(v)) n = Number(v);
  else throw new HistoryError(seq, col, `${JSON.stringify(v)} is not an integer`);
  if (!Number.isSafeInteger(n)) throw new HistoryError(seq, col, `${String(v)} is not a safe integer`);
  return n;
}

/**
 * Build a row from `get(column)` (undefined = the source has no such column → "missing column").
 * @throws HistoryError naming seq and column.
 */
export function normaliseRow(get: (col: string) => unknown, has: (col: string) => boolean): HistoryRow {
  const rawSeq = has("seq") ? get("seq") : undefined;
  // The seq used to name the row in errors; a bad seq itself is reported when its column is read.
  const seqText = typeof rawSeq === "bigint" || typeof rawSeq === "number" || typeof rawSeq === "string" ? String(rawSeq) : "";
  const seq = /^-?\d+$/.test(seqText) && Number.isSafeInteger(Number(seqText)) ? Number(seqText) : undefined;
  const out: Record<string, unknown> = {};
  for (const c of HISTORY_COLUMNS) {
    if (!has(c.name)) throw new HistoryError(seq, c.name, "missing column");
    const v = get(c.name);
    if (v === null || v === undefined) {
      if (!c.nullable) throw new HistoryError(seq, c.name, "must not be null");
      out[c.name] = null;
      continue;
    }
    if (c.type === "int64" || c.type === "int32") out[c.name] = toInt(v, seq, c.name);
    else if (c.type === "decimal") {
      if (typeof v !== "string") throw new HistoryError(seq, c.name, `${JSON.stringify(v)} is not a decimal string`);
      out[c.name] = canonicalDecimal(v, seq, c.name);
    } else {
      if (typeof v !== "string") throw new HistoryError(seq, c.name, `${JSON.stringify(v)} is not a string`);
      out[c.name] = v;
    }
  }
  const row = out as unknown as HistoryRow;
  checkRowShape(row);
  return row;
}
