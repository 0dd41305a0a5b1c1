/**
 * Trace recording (docs/architecture.md §The simulator): every kernel input and output, every venue
 * request, response and stream message, every fault firing and ledger snapshot becomes one row.
 * The SHA-256 trace hash is computed incrementally over the canonical row text, so it costs no
 * memory. With an Arrow sink (`ArrowTraceStream`) rows are flushed to the file as record batches
 * of TRACE_BATCH_ROWS rows while the run goes, so memory stays flat for any run length; rows are
 * kept in memory only when a caller asks for them (tests).
 *
 * Arrow IPC file schema (record batches of up to TRACE_BATCH_ROWS rows, readable by pyarrow
 * `pa.ipc.open_file`, and by DuckDB's `read_arrow` once the `nanoarrow` community extension is
 * loaded — sim/README.md "Trace"), all columns plain Utf8 except the two integers:
 *   seq    int64  row number, from 0, in recording order
 *   t_us   int64  virtual time of the row, µs since the Unix epoch
 *   kind   utf8   row kind (see TraceKind)
 *   body   utf8   canonical JSON of the row's payload (keys sorted, no whitespace)
 *
 * Canonical row text hashed: `${seq}\t${t_us}\t${kind}\t${body}\n`, UTF-8.
 */
import { createHash, type Hash } from "node:crypto";
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import type { RecordBatch, RecordBatchFileWriter, Table, Vector } from "apache-arrow";
import { arrow } from "./arrow-lazy.js";

/** Rows per Arrow record batch of a streamed trace. */
export const TRACE_BATCH_ROWS = 8192;

/** Row kinds. */
export type TraceKind =
  | "run" // run header: scenario, seed, fault mix
  | "phase" // safety / liveness / flatten / end
  | "intent" // an intent given to the kernel
  | "kernel.venue" // a VenueEvent given to the kernel
  | "kernel.account" // an AccountEvent given to the kernel
  | "kernel.mark" // a MarkPrice given to the kernel (its outcome is recorded only when not OK)
  | "kernel.reconcile" // ReconcileReport given to the kernel
  | "kernel.restore" // restoreState after a restart
  | "kernel.out" // the Outcome of the preceding kernel call
  | "venue.req" // RestRequest arriving at the venue
  | "venue.resp" // RestResponse the venue produced
  | "venue.ws" // stream frame the venue emitted
  | "net.resp" // a REST response delivered to the runtime
  | "net.ws" // a stream frame delivered to the runtime
  | "adapter.missing" // wire fields a delivered frame lacked, whose figure the adapter did not emit
  | "adapter.skipped" // a delivered frame of an unknown event type, skipped (issue 15)
  | "market" // market tick given to the venue
  | "fault" // a fault that fired
  | "handler.error" // an input handler threw mid-batch (F15)
  | "idem.probe" // duplicate re-fed to the kernel: state before/after
  | "ledger" // kernel ledger + venue ledger snapshot
  | "check" // runtime-side observation used by invariants
  | "WS_RAW" // live session: a user-stream frame as received (redacted), with its receive time
  | "REST_RAW"; // live session: a REST request as sent and its reply as received (redacted)

export interface TraceRow {
  seq: number;
  tUs: number;
  kind: TraceKind;
  body: string;
}

/**
 * Canonical JSON: object keys sorted, undefined dropped, no whitespace. Exactly the text of
 * `JSON.stringify(sortKeys(value))` (the definition, kept as {@link canonicalJsonReference}),
 * written directly without building a sorted copy of the value (hot path: one per trace row).
 * As in that definition, integer-like keys ("0", "17") come first in ascending numeric order
 * (a JS object enumerates them so), then the other keys in code-unit order; `toJSON` methods are
 * not called (a Date or class instance is written as its own enumerable keys). A property test in
 * trace.test.ts checks equality with the reference. Returns undefined for undefined/function/symbol
 * (as JSON.stringify does); throws TypeError on a BigInt or a cycle (too deep).
 */
export function canonicalJson(value: unknown): string {
  return encodeCanonical(value) as string;
}

/** The definition canonicalJson implements: JSON.stringify of the value with keys sorted recursively. */
export function canonicalJsonReference(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** Array-index keys (what V8 enumerates first, numerically): "0".."4294967294" in canonical form. */
const INDEX_KEY = /^(?:0|[1-9]\d{0,9})$/;

function byIndexThenCodeUnits(a: string, b: string): number {
  // Only a key starting with a digit can be an index key: two other keys compare by code units
  // at once (the regex below on every comparison was most of a sort's cost).
  const ca = a.charCodeAt(0);
  const cb = b.charCodeAt(0);
  if (!(ca >= 48 && ca <= 57) && !(cb >= 48 && cb <= 57)) return a < b ? -1 : a > b ? 1 : 0;
  const ai = INDEX_KEY.test(a) && Number(a) < 4294967295;
  const bi = INDEX_KEY.test(b) && Number(b) < 4294967295;
  if (ai && bi) return Number(a) - Number(b);
  if (ai !== bi) return ai ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A string needs JSON.stringify's escaping when it holds a quote, backslash, control or surrogate code unit. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON text of a string: quoted as-is when nothing needs escaping (same text as JSON.stringify). */
function quoteString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

/**
 * The texts that open an entry of key k: [`"k":`, `,"k":`, `"k":"`, `,"k":"`] (first entry or
 * not; the last two for a string value written without escaping). Per key seen (row keys come
 * from a small vocabulary); bounded so odd keys cannot grow it.
 */
const keyPrefixes = new Map<string, readonly [string, string, string, string]>();
const KEY_PREFIX_CACHE_MAX = 4096;

function keyPrefix(k: string): readonly [string, string, string, string] {
  let t = keyPrefixes.get(k);
  if (t === undefined) {
    const p = quoteString(k) + ":";
    t = [p, "," + p, p + '"', "," + p + '"'];
    if (keyPrefixes.size < KEY_PREFIX_CACHE_MAX) keyPrefixes.set(k, t);
  }
  return t;
}

/**
 * True when `keys` (as Object.keys gives them) are already in canonical order: strictly ascending
 * code units and none starting with a digit (an array-index key would need the index-first order;
 * keys starting with a digit are rare and take the sort, which orders them exactly).
 */
function inCanonicalOrder(keys: string[]): boolean {
  for (let i = 0; i < keys.length; i++) {
    const c = keys[i].charCodeAt(0);
    if ((c >= 48 && c <= 57) || (i > 0 && !(keys[i - 1] < keys[i]))) return false;
  }
  return true;
}

/**
 * One key list (an object's "shape", as Object.keys gives it) with its keys in canonical order and
 * each sorted key's opening texts (keyPrefix). Row payloads come in a few shapes (an outcome, a
 * ledger snapshot, a command...), so an object of a shape seen before skips the order check, the
 * sort and the per-key cache lookups: its key list is compared element by element with the cached
 * one (issue 12 profile: the encoder was 6-7 % of a soak).
 */
interface Shape {
  readonly keys: readonly string[];
  readonly sorted: readonly string[];
  readonly prefixes: readonly (readonly [string, string, string, string])[];
}

/** Shapes by first key (at most SHAPES_PER_FIRST_KEY each; bounded like keyPrefixes, odd objects are encoded uncached). */
const shapes = new Map<string, Shape[]>();
const SHAPES_PER_FIRST_KEY = 16;

/** The shape of `keys` (Object.keys of the object being encoded): cached, or built (and cached while there is room). */
function shapeOf(keys: string[]): Shape {
  const first = keys.length === 0 ? "" : keys[0];
  let list = shapes.get(first);
  if (list !== undefined) {
    for (let j = 0; j < list.length; j++) {
      const cached = list[j].keys;
      if (cached.length !== keys.length) continue;
      let i = 1;
      while (i < keys.length && cached[i] === keys[i]) i++;
      if (i >= keys.length) return list[j];
    }
  }
  const sorted = inCanonicalOrder(keys) ? keys.slice() : keys.slice().sort(byIndexThenCodeUnits);
  const shape: Shape = { keys: keys.slice(), sorted, prefixes: sorted.map(keyPrefix) };
  if (list === undefined && shapes.size < KEY_PREFIX_CACHE_MAX) shapes.set(first, (list = []));
  if (list !== undefined && list.length < SHAPES_PER_FIRST_KEY) list.push(shape);
  return shape;
}

function encodeCanonical(v: unknown): string | undefined {
  switch (typeof v) {
    case "string":
      return quoteString(v);
    case "number":
      return Number.isFinite(v) ? String(v) : "null";
    case "boolean":
      return v ? "true" : "false";
    case "object": {
      if (v === null) return "null";
      if (Array.isArray(v)) {
        if (v.length === 0) return "[]";
        let out = "[" + (encodeCanonical(v[0]) ?? "null");
        for (let i = 1; i < v.length; i++) out += "," + (encodeCanonical(v[i]) ?? "null");
        return out + "]";
      }
      const o = v as Record<string, unknown>;
      const { sorted: keys, prefixes } = shapeOf(Object.keys(o));
      let out = "{";
      let sep = 0; // 0 before the first entry written, 1 after (index into keyPrefix's texts)
      for (let i = 0; i < keys.length; i++) {
        const val = o[keys[i]];
        if (typeof val === "string" && !NEEDS_ESCAPE.test(val)) {
          // A string with nothing to escape: quoted as-is (as quoteString does), its opening
          // quote part of the key's cached text.
          out += prefixes[i][2 + sep] + val + '"';
          sep = 1;
          continue;
        }
        // undefined, functions and symbols are dropped (encodeCanonical gives undefined for them)
        const text = typeof val === "string" ? JSON.stringify(val) : encodeCanonical(val);
        if (text === undefined) continue;
        out += prefixes[i][sep] + text;
        sep = 1;
      }
      return out + "}";
    }
    case "bigint":
      return JSON.stringify(v); // throws TypeError, as JSON.stringify(sortKeys(v)) does
    default:
      return undefined; // undefined, function, symbol
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) {
      if (o[k] === undefined) continue;
      // An own "__proto__" key (JSON.parse makes one) stays an own key: `out[k] =` would set the prototype instead.
      if (k === "__proto__") Object.defineProperty(out, k, { value: sortKeys(o[k]), enumerable: true, writable: true, configurable: true });
      else out[k] = sortKeys(o[k]);
    }
    return out;
  }
  return v;
}

/** canonicalJson of a market tick {tsUs, symbol, priceUsdt}, built directly (hot path: one per tick). */
export function marketRowBody(tsUs: number, symbol: string, priceUsdt: string): string {
  return `{"priceUsdt":${quoteString(priceUsdt)},"symbol":${quoteString(symbol)},"tsUs":${tsUs}}`;
}

/** canonicalJson of a kernel mark {tsUs, symbol, markPrice}, built directly (hot path). */
export function markRowBody(tsUs: number, symbol: string, markPrice: string): string {
  return `{"markPrice":${quoteString(markPrice)},"symbol":${quoteString(symbol)},"tsUs":${tsUs}}`;
}

/** Characters of row text gathered before one SHA-256 update (fewer native calls; same digest). */
const HASH_CHUNK_CHARS = 64 * 1024;

export class TraceRecorder {
  /** The running SHA-256, or undefined when this recorder was made without a hash (see `hashed`). */
  private readonly hash: Hash | undefined;
  /** Row text not yet given to the hash: SHA-256 of a concatenation does not depend on how it is chunked. */
  private pendingText = "";
  private n = 0;
  private readonly kinds = new Map<TraceKind, number>();
  readonly rows: TraceRow[] | undefined;
  /** Sees every row as written (seq, time, kind, canonical body): sim/trace-tally.ts. */
  tap: ((seq: number, tUs: number, kind: TraceKind, body: string | undefined) => void) | undefined;
  /**
   * Whether the tap reads the body of a row, given its kind and its payload as passed to
   * {@link record} (an object, or undefined when the caller asks {@link needsBody} without one):
   * sim/trace-tally.ts tallyReadsBody. Asked only when no row text is needed otherwise (no hash,
   * no kept rows, no sink); a row it says false for is not canonicalised and the tap gets
   * `undefined` as its body. Undefined: the tap reads every row's body.
   */
  tapBodyWanted: ((kind: TraceKind, payload: unknown) => boolean) | undefined;
  /** False when made with `hash: false`: {@link digest} then throws (no trace hash exists). */
  readonly hashed: boolean;

  /**
   * @param keepRows keep every row in memory (tests; `writeTraceArrow` of the rows)
   * @param sink receives every row as it is recorded (e.g. an ArrowTraceStream writing the file)
   * @param hash compute the SHA-256 trace hash (default true). False is for runs whose hash
   *   nobody reads (a chaos seed without a determinism check): the canonical text of rows that
   *   are neither kept, streamed nor read by the tap is then never built (issue 12 profile).
   */
  constructor(keepRows: boolean, private readonly sink?: ArrowTraceStream, hash = true) {
    this.rows = keepRows ? [] : undefined;
    this.hashed = hash;
    this.hash = hash ? createHash("sha256") : undefined;
  }

  /**
   * True when the canonical body of a `kind` row is read by someone (hash, kept rows, sink or tap).
   * With its `payload` (as it will be passed to {@link record}) the answer is exact for that row;
   * without, it is true for every kind the tap may read.
   */
  needsBody(kind: TraceKind, payload?: unknown): boolean {
    return this.hashed || this.persisted || (this.tap !== undefined && this.tapReads(kind, payload));
  }

  /** The tap reads the body of this `kind` row (payload as passed to record, or undefined). */
  private tapReads(kind: TraceKind, payload: unknown): boolean {
    return this.tapBodyWanted === undefined || this.tapBodyWanted(kind, payload);
  }

  /** True when the rows go somewhere a report will read (kept in memory or streamed to a file). */
  get persisted(): boolean {
    return this.rows !== undefined || this.sink !== undefined;
  }

  /** Number of rows recorded. */
  get count(): number {
    return this.n;
  }

  /** Number of rows of `kind` recorded so far. */
  countOf(kind: TraceKind): number {
    return this.kinds.get(kind) ?? 0;
  }

  /**
   * Record one row; `payload` is canonicalised (or taken as-is when already a string). A caller
   * that builds row text itself may pass undefined when {@link needsBody} said false (the row is
   * then counted and tapped without a body).
   */
  record(tUs: number, kind: TraceKind, payload: unknown): void {
    const seq = this.n++;
    this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
    if (!this.hashed && !this.persisted) {
      // No hash and no file: only the tap reads row text, and only of the rows it wants.
      if (this.tap === undefined) return;
      const wanted = typeof payload === "string" || this.tapReads(kind, payload);
      this.tap(seq, tUs, kind, wanted ? (typeof payload === "string" ? payload : canonicalJson(payload)) : undefined);
      return;
    }
    const body = typeof payload === "string" ? payload : canonicalJson(payload);
    if (body === undefined) throw new Error(`trace: row ${seq} (${kind}) has no JSON body (payload ${typeof payload}) but the row text is hashed or kept`);
    if (this.hash !== undefined) {
      this.pendingText += `${seq}\t${tUs}\t${kind}\t${body}\n`;
      if (this.pendingText.length >= HASH_CHUNK_CHARS) this.flushHash();
    }
    this.tap?.(seq, tUs, kind, body);
    if (this.rows || this.sink) {
      const row = { seq, tUs, kind, body };
      this.rows?.push(row);
      this.sink?.push(row);
    }
  }

  /** Flush and close the sink (writes the Arrow footer). Idempotent. */
  close(): void {
    this.sink?.close();
  }

  /**
   * The SHA-256 hex digest over all rows so far (the recorder stays usable).
   * @throws Error when the recorder was made with `hash: false` (no hash was computed).
   */
  digest(): string {
    if (this.hash === undefined) throw new Error("trace: digest() of a recorder made with hash: false (no trace hash was computed)");
    this.flushHash();
    return this.hash.copy().digest("hex");
  }

  private flushHash(): void {
    if (this.pendingText.length === 0 || this.hash === undefined) return;
    this.hash.update(this.pendingText);
    this.pendingText = "";
  }
}

/** SHA-256 hex over rows given explicitly (same canonical text as TraceRecorder). */
export function hashRows(rows: readonly TraceRow[]): string {
  const h = createHash("sha256");
  for (const r of rows) h.update(`${r.seq}\t${r.tUs}\t${r.kind}\t${r.body}\n`);
  return h.digest("hex");
}

/** Build the Arrow table of the trace (schema in the module docstring). */
export function traceTable(rows: readonly TraceRow[]): Table {
  const { Table, Utf8, makeVector, vectorFromArray } = arrow();
  const seq = makeVector(BigInt64Array.from(rows, (r) => BigInt(r.seq)));
  const tUs = makeVector(BigInt64Array.from(rows, (r) => BigInt(r.tUs)));
  const kind = vectorFromArray(rows.map((r) => r.kind), new Utf8());
  const body = vectorFromArray(rows.map((r) => r.body), new Utf8());
  return new Table({ seq, t_us: tUs, kind, body });
}

/**
 * Read a trace.arrow written by `ArrowTraceStream` / `writeTraceArrow` back into rows (for the
 * failure evidence and diagnostics of a run, sim/evidence.ts).
 * @throws Error naming the file when it is not a trace Arrow file (a column missing).
 */
export function readTraceRows(file: string): TraceRow[] {
  const t = arrow().tableFromIPC(readFileSync(file));
  const [seq, tUs, kind, body] = ["seq", "t_us", "kind", "body"].map((c) => {
    const col = t.getChild(c);
    if (!col) throw new Error(`trace ${file}: column ${c} is missing`);
    return col;
  });
  const rows: TraceRow[] = new Array(t.numRows);
  for (let i = 0; i < t.numRows; i++) {
    rows[i] = { seq: Number(seq.get(i)), tUs: Number(tUs.get(i)), kind: kind.get(i) as TraceKind, body: body.get(i) as string };
  }
  return rows;
}

/**
 * The rows of a trace.arrow file, one record batch at a time (an async read of the file: only
 * one batch is in memory). Throws naming the file when a column is missing.
 */
export async function* traceRowBatches(file: string): AsyncGenerator<TraceRow[]> {
  const fh = await open(file, "r");
  try {
    const reader = await arrow().RecordBatchReader.from(fh);
    await reader.open();
    for await (const b of reader) {
      const cols = ["seq", "t_us", "kind", "body"].map((c) => {
        const col = b.getChild(c);
        if (!col) throw new Error(`trace ${file}: column ${c} is missing`);
        return col;
      });
      const [seq, tUs, kind, body] = cols;
      const rows: TraceRow[] = new Array(b.numRows);
      for (let i = 0; i < b.numRows; i++) rows[i] = { seq: Number(seq.get(i)), tUs: Number(tUs.get(i)), kind: kind.get(i) as TraceKind, body: body.get(i) as string };
      yield rows;
    }
  } finally {
    await fh.close();
  }
}

/**
 * The rows of a trace.arrow file whose seq is in `seqs`, in seq order, decoding only the wanted
 * rows' kind and body (a read-back that looks for a few rows does not turn a 48 h trace into
 * strings). A file streamed by ArrowTraceStream (batch i holds seqs i·TRACE_BATCH_ROWS onwards) is
 * read only at the batches that hold wanted rows (the footer gives random access); that layout is
 * checked on every batch read, and any other file is scanned batch by batch.
 * @throws Error naming the file when a column is missing.
 */
export async function traceRowsWithSeqs(file: string, seqs: ReadonlySet<number>): Promise<TraceRow[]> {
  if (seqs.size === 0) return [];
  const wanted = [...seqs].sort((x, y) => x - y);
  return (await rowsAtBatches(file, wanted)) ?? (await rowsByScan(file, seqs));
}

/** The four columns of a trace record batch (throws naming the file when one is missing). */
function traceColumns(b: RecordBatch, file: string): Vector[] {
  return ["seq", "t_us", "kind", "body"].map((c) => {
    const col = b.getChild(c);
    if (!col) throw new Error(`trace ${file}: column ${c} is missing`);
    return col;
  });
}

/** Random access by batch index; undefined when the file does not have the streamed layout. */
async function rowsAtBatches(file: string, wanted: number[]): Promise<TraceRow[] | undefined> {
  const fh = await open(file, "r");
  try {
    const reader = await arrow().RecordBatchReader.from(fh);
    await reader.open();
    if (!reader.isFile()) return undefined;
    const n = reader.numRecordBatches;
    const out: TraceRow[] = [];
    const read = async (i: number) => {
      const b = await reader.readRecordBatch(i);
      if (!b) return undefined;
      const cols = traceColumns(b, file);
      // The streamed layout: every batch but the last has TRACE_BATCH_ROWS rows, seq = row index.
      if (b.numRows === 0 || b.numRows > TRACE_BATCH_ROWS || Number(cols[0].get(0)) !== i * TRACE_BATCH_ROWS || (i < n - 1 && b.numRows !== TRACE_BATCH_ROWS)) return undefined;
      return { b, cols };
    };
    if (n === 0 || !(await read(n - 1))) return n === 0 ? [] : undefined;
    for (let k = 0; k < wanted.length; ) {
      const i = Math.floor(wanted[k] / TRACE_BATCH_ROWS);
      if (i >= n) break; // past the last row (the last batch was checked above)
      const got = await read(i);
      if (!got) return undefined;
      const [seq, tUs, kind, body] = got.cols;
      for (; k < wanted.length && Math.floor(wanted[k] / TRACE_BATCH_ROWS) === i; k++) {
        const j = wanted[k] - i * TRACE_BATCH_ROWS;
        if (j >= got.b.numRows) continue;
        out.push({ seq: Number(seq.get(j)), tUs: Number(tUs.get(j)), kind: kind.get(j) as TraceKind, body: body.get(j) as string });
      }
    }
    return out;
  } finally {
    await fh.close();
  }
}

/** Every batch in file order; only the wanted rows decoded. */
async function rowsByScan(file: string, seqs: ReadonlySet<number>): Promise<TraceRow[]> {
  const out: TraceRow[] = [];
  for await (const b of traceBatches(file)) {
    const [seq, tUs, kind, body] = traceColumns(b, file);
    for (let i = 0; i < b.numRows; i++) {
      const s = Number(seq.get(i));
      if (seqs.has(s)) out.push({ seq: s, tUs: Number(tUs.get(i)), kind: kind.get(i) as TraceKind, body: body.get(i) as string });
    }
  }
  return out.sort((x, y) => x.seq - y.seq);
}

/** The record batches of an Arrow file, read one at a time from a file handle. */
async function* traceBatches(file: string): AsyncGenerator<RecordBatch> {
  const fh = await open(file, "r");
  try {
    const reader = await arrow().RecordBatchReader.from(fh);
    await reader.open();
    for await (const b of reader) yield b;
  } finally {
    await fh.close();
  }
}

/**
 * Streams trace rows into an Arrow IPC **file** as they are recorded: every TRACE_BATCH_ROWS rows
 * become one record batch written to disk at once (memory holds at most one batch); `close()`
 * writes the last batch and the footer. Throws on an I/O error, naming the file.
 */
export class ArrowTraceStream {
  private readonly fd: number;
  private readonly writer: RecordBatchFileWriter = new (arrow().RecordBatchFileWriter)();
  private pending: TraceRow[] = [];
  private closed = false;

  constructor(readonly file: string) {
    this.fd = openSync(file, "w");
  }

  push(row: TraceRow): void {
    if (this.closed) throw new Error(`trace ${this.file}: row ${row.seq} recorded after the trace was closed`);
    this.pending.push(row);
    if (this.pending.length >= TRACE_BATCH_ROWS) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    for (const batch of traceTable(this.pending).batches) this.writer.write(batch);
    this.pending = [];
    this.drain();
  }

  /** Move the bytes the writer produced to the file (the writer's sink is an in-memory queue). */
  private drain(): void {
    const queued = (this.writer as unknown as { _sink?: { _values?: Uint8Array[] } })._sink?._values;
    if (!Array.isArray(queued)) throw new Error(`trace ${this.file}: apache-arrow's writer queue is not where this code expects it (apache-arrow upgrade?)`);
    for (const chunk of queued.splice(0)) writeSync(this.fd, chunk);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.writer.finish();
    this.drain();
    this.closed = true;
    closeSync(this.fd);
  }
}

/** Write the trace as an Arrow IPC file (file format, not stream). Throws on an I/O error. */
export function writeTraceArrow(file: string, rows: readonly TraceRow[]): void {
  writeFileSync(file, arrow().tableToIPC(traceTable(rows), "file"));
}

