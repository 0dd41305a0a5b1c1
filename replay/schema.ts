/**
 * The history schema: one row per kernel input, replayed in `(ts_us, seq)` order; identical in
 * Arrow (this module's writer) and in ClickHouse (historyTableDdl). Documented, with what each
 * kind does to the kernel, in docs/history-schema.md; the replay engine is replay/engine.ts.
 *
 * Encodings: money, prices and quantities are decimal strings in Arrow (Utf8) and Decimal(76,18)
 * in ClickHouse, so a value has at most 18 decimal places and 58 integer digits; money is never
 * computed in SQL (chdb's Decimal(38,18) multiplication was seen to return a wrong value
 * silently). Every decimal is canonicalised when read (trailing zeros dropped, "-0" → "0"), so
 * both engines hand the kernel the same text. Integers: seq, ts_us, event_ts_us,
 * retry_after_ms are int64; slot_id and venue_code int32. Every column except run_id, seq, ts_us,
 * kind and source is nullable; a null is "not recorded", never a default value.
 *
 * This module is shared: the replay (replay/), the run export (`dita run --history`), the BingX
 * importer and the shadow recorder (docs/shadow.md) write rows through {@link HistoryArrowWriter}.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { Field, Int32, Int64, RecordBatch, RecordBatchFileWriter, Schema, Struct, Utf8, makeData, vectorFromArray, type Vector } from "apache-arrow";

/** Every history kind (docs/history-schema.md "Kinds"). */
export const HISTORY_KINDS = [
  "CONFIG",
  "INTENT",
  "ORDER_ACK",
  "PARTIAL_FILL",
  "FULL_FILL",
  "CANCEL_ACK",
  "CANCEL_REJECT",
  "ORDER_REJECT",
  "RATE_LIMITED",
  "FILL_SETTLED",
  "FUNDING",
  "BALANCE",
  "MARK",
  "RESTART",
  "RECONCILE",
  "WS_RAW",
  "REST_RAW",
  "BOOKED",
  "POSITION",
] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];

/** Kinds fed to the kernel as a normalised VenueEvent (kernel/types.ts VenueEventKind). */
export const VENUE_KINDS = ["ORDER_ACK", "PARTIAL_FILL", "FULL_FILL", "CANCEL_ACK", "CANCEL_REJECT", "ORDER_REJECT", "RATE_LIMITED"] as const;
/** Kinds compared with the kernel's books, never fed (docs/history-schema.md "Compared kinds"). */
export const COMPARED_KINDS = ["BOOKED", "POSITION"] as const;

/** One history row. Decimal columns are decimal strings; null = not recorded. */
export interface HistoryRow {
  /** Recording this row belongs to (a run, a shadow session, an import). */
  run_id: string;
  /** Row number within the run, strictly increasing in (ts_us, seq) order; a repeated seq is a duplicate. */
  seq: number;
  /** When the kernel received the input, µs since the Unix epoch (UTC). */
  ts_us: number;
  kind: HistoryKind;
  /** Where the row came from: "sim", "golden", "bingx-export", "shadow", "dataset", ... */
  source: string;
  /** Time the input itself carries (kernel input tsUs: the venue's emission time for stream frames); null = ts_us. */
  event_ts_us: number | null;
  symbol: string | null;
  slot_id: number | null;
  trade_id: string | null;
  intent_id: string | null;
  event_id: string | null;
  venue_order_id: string | null;
  client_order_id: string | null;
  side: string | null;
  order_type: string | null;
  qty: string | null;
  price: string | null;
  /** The MARKET order's bound (protective) price: evidence only, never fed as a fill price (spec §0.2). */
  nominal_price: string | null;
  fee_usdt: string | null;
  realized_pnl_usdt: string | null;
  amount_usdt: string | null;
  wallet_usdt: string | null;
  available_usdt: string | null;
  venue_code: number | null;
  reason: string | null;
  retry_after_ms: number | null;
  /** Raw frame text (WS_RAW), request+reply JSON (REST_RAW) or the kind's JSON object. */
  payload: string | null;
}

/** Column types. */
export type ColumnType = "string" | "int64" | "int32" | "decimal" | "kind";

/** The columns, in order, with their type and whether they may be null. */
export const HISTORY_COLUMNS: readonly { name: keyof HistoryRow; type: ColumnType; nullable: boolean }[] = [
  { name: "run_id", type: "string", nullable: false },
  { name: "seq", type: "int64", nullable: false },
  { name: "ts_us", type: "int64", nullable: false },
  { name: "kind", type: "kind", nullable: false },
  { name: "source", type: "string", nullable: false },
  { name: "event_ts_us", type: "int64", nullable: true },
  { name: "symbol", type: "string", nullable: true },
  { name: "slot_id", type: "int32", nullable: true },
  { name: "trade_id", type: "string", nullable: true },
  { name: "intent_id", type: "string", nullable: true },
  { name: "event_id", type: "string", nullable: true },
  { name: "venue_order_id", type: "string", nullable: true },
  { name: "client_order_id", type: "string", nullable: true },
  { name: "side", type: "string", nullable: true },
  { name: "order_type", type: "string", nullable: true },
  { name: "qty", type: "decimal", nullable: true },
  { name: "price", type: "decimal", nullable: true },
  { name: "nominal_price", type: "decimal", nullable: true },
  { name: "fee_usdt", type: "decimal", nullable: true },
  { name: "realized_pnl_usdt", type: "decimal", nullable: true },
  { name: "amount_usdt", type: "decimal", nullable: true },
  { name: "wallet_usdt", type: "decimal", nullable: true },
  { name: "available_usdt", type: "decimal", nullable: true },
  { name: "venue_code", type: "int32", nullable: true },
  { name: "reason", type: "string", nullable: true },
  { name: "retry_after_ms", type: "int64", nullable: true },
  { name: "payload", type: "string", nullable: true },
];

/** Column names in order. */
export const COLUMN_NAMES = HISTORY_COLUMNS.map((c) => c.name);

/** Decimal(76,18): at most this many fraction digits and integer digits. */
export const MAX_FRACTION_DIGITS = 18;
export const MAX_INTEGER_DIGITS = 58;

/**
 * Bad history: exit 2 (docs/history-schema.md "Bad history"), naming the row's seq and the column.
 * `seq` is undefined when the row has no readable seq (the message then says which row number).
 */
export class HistoryError extends Error {
  override name = "HistoryError";
  constructor(
    readonly seq: number | undefined,
    readonly column: string,
    readonly detail: string,
  ) {
    super(`history row seq ${seq ?? "?"}: column ${column}: ${detail}`);
  }
}

const DECIMAL_RE = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * Canonical text of a decimal string: no leading zeros, no trailing fraction zeros, "-0" → "0".
 * @throws HistoryError (seq, column) for a non-decimal text or one that Decimal(76,18) cannot hold.
 */
export function canonicalDecimal(text: string, seq: number | undefined, column: string): string {
  const m = DECIMAL_RE.exec(text);
  if (!m) throw new HistoryError(seq, column, `${JSON.stringify(text)} is not a decimal string (e.g. "0.1878")`);
  const int = m[2].replace(/^0+(?=\d)/, "");
  const frac = (m[3] ?? "").replace(/0+$/, "");
  if (frac.length > MAX_FRACTION_DIGITS) {
    throw new HistoryError(seq, column, `${text} has more than ${MAX_FRACTION_DIGITS} decimal places (Decimal(76,18))`);
  }
  if (int.length > MAX_INTEGER_DIGITS) throw new HistoryError(seq, column, `${text} has more than ${MAX_INTEGER_DIGITS} integer digits (Decimal(76,18))`);
  const body = frac === "" ? int : `${int}.${frac}`;
  return m[1] === "-" && body !== "0" ? `-${body}` : body;
}

/** An empty row of `kind` (every nullable column null); fill what the kind needs. */
export function emptyRow(runId: string, seq: number, tsUs: number, kind: HistoryKind, source: string): HistoryRow {
  return {
    run_id: runId, seq, ts_us: tsUs, kind, source, event_ts_us: null, symbol: null, slot_id: null, trade_id: null, intent_id: null,
    event_id: null, venue_order_id: null, client_order_id: null, side: null, order_type: null, qty: null, price: null,
    nominal_price: null, fee_usdt: null, realized_pnl_usdt: null, amount_usdt: null, wallet_usdt: null, available_usdt: null,
    venue_code: null, reason: null, retry_after_ms: null, payload: null,
  };
}

// ───────────────────────────── Arrow ─────────────────────────────

/** The Arrow schema of a history file (docs/history-schema.md "Arrow schema"). */
export function historyArrowSchema(): Schema {
  return new Schema(
    HISTORY_COLUMNS.map((c) => new Field(c.name, c.type === "int64" ? new Int64() : c.type === "int32" ? new Int32() : new Utf8(), c.nullable)),
  );
}

function columnVector(rows: readonly HistoryRow[], c: (typeof HISTORY_COLUMNS)[number]): Vector {
  if (c.type === "int64") {
    const vals = rows.map((r) => {
      const v = r[c.name] as number | null;
      return v === null ? null : BigInt(v);
    });
    return vectorFromArray(vals, new Int64());
  }
  if (c.type === "int32") return vectorFromArray(rows.map((r) => r[c.name] as number | null), new Int32());
  return vectorFromArray(rows.map((r) => r[c.name] as string | null), new Utf8());
}

/** One Arrow record batch of `rows` in the history schema. */
export function historyRecordBatch(rows: readonly HistoryRow[]): RecordBatch {
  const schema = historyArrowSchema();
  const children = HISTORY_COLUMNS.map((c) => columnVector(rows, c).data[0]);
  const data = makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children });
  return new RecordBatch(schema, data);
}

/**
 * Streaming writer of an Arrow IPC **file** of history rows: rows are buffered and written as a
 * record batch every `batchRows` rows, so memory stays flat for any length. Call `close()` to
 * finish the file (it is not a valid Arrow file before).
 *
 * Usage (shadow, run export, importer): `const w = new HistoryArrowWriter(path); w.write(row); …;
 * await w.close();`. Rows are validated with {@link checkRowShape} as they are written.
 * @throws HistoryError for a malformed row (nothing of it is written).
 */
export class HistoryArrowWriter {
  readonly #out: WriteStream;
  readonly #writer: RecordBatchFileWriter;
  #buf: HistoryRow[] = [];
  #count = 0;
  #closed = false;

  constructor(
    readonly path: string,
    readonly batchRows = 8192,
  ) {
    this.#out = createWriteStream(path);
    this.#writer = new RecordBatchFileWriter();
    this.#writer.pipe(this.#out);
    this.#writer.reset(undefined, historyArrowSchema());
  }

  /** Rows written so far. */
  get count(): number {
    return this.#count;
  }

  /** Append one row (validated for shape: types, decimals, kind). */
  write(row: HistoryRow): void {
    if (this.#closed) throw new Error(`HistoryArrowWriter ${this.path}: write after close`);
    checkRowShape(row);
    this.#buf.push(row);
    this.#count++;
    if (this.#buf.length >= this.batchRows) this.#flush();
  }

  #flush(): void {
    if (this.#buf.length === 0) return;
    this.#writer.write(historyRecordBatch(this.#buf));
    this.#buf = [];
  }

  /** Write the last batch and the file footer; resolves when the file is on disk. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#flush();
    const done = new Promise<void>((res, rej) => {
      this.#out.on("finish", () => res());
      this.#out.on("error", rej);
    });
    this.#writer.finish();
    this.#writer.close();
    await done;
  }
}

/** Write `rows` as a history Arrow file (convenience over {@link HistoryArrowWriter}). */
export async function writeHistoryArrow(path: string, rows: Iterable<HistoryRow>): Promise<number> {
  const w = new HistoryArrowWriter(path);
  for (const r of rows) w.write(r);
  await w.close();
  return w.count;
}

/**
 * Shape check of one row: every column present with its type, kind known, decimals decimal,
 * integers safe integers, non-nullable columns set. Returns nothing; throws HistoryError naming
 * seq and column. (Per-kind requirements are checked by replay/validate.ts.)
 */
export function checkRowShape(row: HistoryRow): void {
  const seq = typeof row.seq === "number" ? row.seq : undefined;
  for (const c of HISTORY_COLUMNS) {
    if (!(c.name in row)) throw new HistoryError(seq, c.name, "missing column");
    const v = row[c.name];
    if (v === null || v === undefined) {
      if (!c.nullable || v === undefined) throw new HistoryError(seq, c.name, v === undefined ? "missing column" : "must not be null");
      continue;
    }
    switch (c.type) {
      case "int64":
      case "int32":
        if (typeof v !== "number" || !Number.isSafeInteger(v)) throw new HistoryError(seq, c.name, `${JSON.stringify(v)} is not an integer`);
        if (c.type === "int32" && (v < -2147483648 || v > 2147483647)) throw new HistoryError(seq, c.name, `${v} does not fit int32`);
        break;
      case "kind":
        if (!(HISTORY_KINDS as readonly string[]).includes(v as string)) throw new HistoryError(seq, c.name, `unknown kind ${JSON.stringify(v)} (one of ${HISTORY_KINDS.join(", ")})`);
        break;
      case "decimal":
        if (typeof v !== "string") throw new HistoryError(seq, c.name, `${JSON.stringify(v)} is not a decimal string`);
        canonicalDecimal(v, seq, c.name);
        break;
      case "string":
        if (typeof v !== "string") throw new HistoryError(seq, c.name, `${JSON.stringify(v)} is not a string`);
        if (!c.nullable && v === "") throw new HistoryError(seq, c.name, "must not be empty");
        break;
    }
  }
}

// ───────────────────────────── ClickHouse ─────────────────────────────

/** ClickHouse type of a column. */
export function clickhouseType(c: (typeof HISTORY_COLUMNS)[number]): string {
  const base = c.type === "int64" ? "Int64" : c.type === "int32" ? "Int32" : c.type === "decimal" ? "Decimal(76, 18)" : c.type === "kind" ? "LowCardinality(String)" : "String";
  return c.nullable ? `Nullable(${base})` : base;
}

/** A table name we accept in DDL and queries (identifiers cannot be bound as parameters). */
export const TABLE_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;

/**
 * CREATE TABLE statement of the history table (docs/history-schema.md "ClickHouse DDL").
 * @throws Error when `table` is not a plain identifier (db.table allowed).
 */
export function historyTableDdl(table = "dita_history"): string {
  if (!TABLE_NAME_RE.test(table)) throw new Error(`table: ${JSON.stringify(table)} must be an identifier like dita_history or db.dita_history`);
  const cols = HISTORY_COLUMNS.map((c) => `  ${c.name} ${clickhouseType(c)}`).join(",\n");
  return `CREATE TABLE IF NOT EXISTS ${table}\n(\n${cols}\n)\nENGINE = MergeTree\nORDER BY (run_id, ts_us, seq)`;
}
