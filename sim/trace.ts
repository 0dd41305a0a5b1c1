/**
 * Trace recording (docs/architecture.md §The simulator): every kernel input and output, every venue
 * request, response and stream message, every fault firing and ledger snapshot becomes one row.
 * The SHA-256 trace hash is computed incrementally over the canonical row text, so it costs no
 * memory; rows are kept in memory only when an Arrow file is wanted.
 *
 * Arrow IPC file schema (one record batch, readable by pyarrow `pa.ipc.open_file`, and by DuckDB's
 * `read_arrow` once the `nanoarrow` community extension is loaded — sim/README.md "Trace"), all
 * columns plain Utf8 except the two integers:
 *   seq    int64  row number, from 0, in recording order
 *   t_us   int64  virtual time of the row, µs since the Unix epoch
 *   kind   utf8   row kind (see TraceKind)
 *   body   utf8   canonical JSON of the row's payload (keys sorted, no whitespace)
 *
 * Canonical row text hashed: `${seq}\t${t_us}\t${kind}\t${body}\n`, UTF-8.
 */
import { createHash, type Hash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { Table, Utf8, makeVector, tableToIPC, vectorFromArray } from "apache-arrow";

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
  | "check"; // runtime-side observation used by invariants

export interface TraceRow {
  seq: number;
  tUs: number;
  kind: TraceKind;
  body: string;
}

/** Canonical JSON: object keys sorted, undefined dropped, no whitespace. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) {
      if (o[k] !== undefined) out[k] = sortKeys(o[k]);
    }
    return out;
  }
  return v;
}

export class TraceRecorder {
  private readonly hash: Hash = createHash("sha256");
  private n = 0;
  readonly rows: TraceRow[] | undefined;

  /** @param keepRows keep rows in memory (needed to write the Arrow file). */
  constructor(keepRows: boolean) {
    this.rows = keepRows ? [] : undefined;
  }

  /** Number of rows recorded. */
  get count(): number {
    return this.n;
  }

  /** Record one row; `payload` is canonicalised (or taken as-is when already a string). */
  record(tUs: number, kind: TraceKind, payload: unknown): void {
    const body = typeof payload === "string" ? payload : canonicalJson(payload);
    const seq = this.n++;
    this.hash.update(`${seq}\t${tUs}\t${kind}\t${body}\n`);
    if (this.rows) this.rows.push({ seq, tUs, kind, body });
  }

  /** The SHA-256 hex digest over all rows so far (the recorder stays usable). */
  digest(): string {
    return this.hash.copy().digest("hex");
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
  const seq = makeVector(BigInt64Array.from(rows, (r) => BigInt(r.seq)));
  const tUs = makeVector(BigInt64Array.from(rows, (r) => BigInt(r.tUs)));
  const kind = vectorFromArray(rows.map((r) => r.kind), new Utf8());
  const body = vectorFromArray(rows.map((r) => r.body), new Utf8());
  return new Table({ seq, t_us: tUs, kind, body });
}

/** Write the trace as an Arrow IPC file (file format, not stream). Throws on an I/O error. */
export function writeTraceArrow(file: string, rows: readonly TraceRow[]): void {
  writeFileSync(file, tableToIPC(traceTable(rows), "file"));
}

