/**
 * Failure evidence from the trace (issue 15): which trace rows show an invariant's violation, and
 * every kernel call whose outcome was not OK (the diagnostics table of reports, `dita run` and its
 * JSON). Both read the run's trace rows (sim/trace.ts TraceRow), so a report links each finding to
 * the same `seq` numbers as trace.arrow.
 *
 * Pure functions over rows; no clock, no randomness (simulation-path rules, docs/architecture.md
 * §Determinism).
 */
import type { DiagnosticRow, InvariantResult } from "./types.js";
import { traceRowBatches, traceRowsWithSeqs, type TraceKind, type TraceRow } from "./trace.js";
import { INPUT_KINDS, OUTCOME_HEAD } from "./trace-tally.js";

/** Most trace rows linked to one evidence item. */
export const MAX_ROWS_PER_EVIDENCE = 8;
/** Most diagnostics kept in a RunResult (the total is reported beside them). */
export const MAX_DIAGNOSTICS = 500;

/**
 * Link each evidence item of each failed invariant to trace rows: rows at the item's time that
 * mention its trade id (or slot, or symbol), else the kernel/ledger rows at that time, else rows
 * anywhere that mention its trade id. Items that already carry `traceSeq` are left as they are.
 * Mutates and returns `results`.
 */
export function linkEvidence(results: InvariantResult[], rows: readonly TraceRow[]): InvariantResult[] {
  const linker = new EvidenceLinker(results);
  for (const r of rows) linker.push(r);
  linker.finish();
  return results;
}

/**
 * linkEvidence as a pass over rows given one at a time (a streamed trace.arrow need not be held
 * in memory): keeps only the rows at the evidence items' times and, per trade id, the first and
 * last rows that mention it. `finish()` sets each item's `traceSeq`.
 */
export class EvidenceLinker {
  private readonly items: { ev: NonNullable<InvariantResult["evidence"]>[number]; needles: string[] }[] = [];
  private readonly atTimes = new Map<number, TraceRow[]>();
  /** Per trade needle: the first MAX_ROWS_PER_EVIDENCE matching rows, the last half of them, and the count. */
  private readonly anywhere = new Map<string, { first: TraceRow[]; last: TraceRow[]; n: number }>();

  constructor(results: InvariantResult[]) {
    for (const res of results) {
      for (const ev of res.evidence ?? []) {
        if (ev.traceSeq && ev.traceSeq.length > 0) continue;
        const needles = [ev.tradeId ? `"${ev.tradeId}"` : undefined, ev.slotId !== undefined ? `"slotId":${ev.slotId}` : undefined, ev.symbol ? `"${ev.symbol}"` : undefined].filter(
          (n): n is string => n !== undefined,
        );
        this.items.push({ ev, needles });
        if (ev.tUs !== undefined) this.atTimes.set(ev.tUs, []);
        if (ev.tradeId) this.anywhere.set(`"${ev.tradeId}"`, { first: [], last: [], n: 0 });
      }
    }
  }

  /** True when some evidence item still needs rows (a pass over the trace is needed). */
  get needsRows(): boolean {
    return this.items.length > 0;
  }

  push(r: TraceRow): void {
    if (this.items.length === 0) return;
    this.atTimes.get(r.tUs)?.push(r);
    for (const [needle, m] of this.anywhere) {
      if (!r.body.includes(needle)) continue;
      m.n++;
      if (m.first.length < MAX_ROWS_PER_EVIDENCE) m.first.push(r);
      m.last.push(r);
      if (m.last.length > MAX_ROWS_PER_EVIDENCE / 2) m.last.shift();
    }
  }

  finish(): void {
    for (const { ev, needles } of this.items) {
      let found: TraceRow[] = [];
      if (ev.tUs !== undefined) {
        const atTime = this.atTimes.get(ev.tUs) ?? [];
        for (const n of needles) {
          found = atTime.filter((r) => r.body.includes(n));
          if (found.length > 0) break;
        }
        if (found.length === 0) found = atTime.filter((r) => r.kind.startsWith("kernel.") || r.kind === "ledger" || r.kind === "check" || r.kind === "intent");
      }
      if (found.length > 0) ev.traceSeq = pick(found).map((r) => r.seq);
      else if (ev.tradeId) {
        const m = this.anywhere.get(`"${ev.tradeId}"`);
        if (m && m.n > 0) ev.traceSeq = (m.n <= MAX_ROWS_PER_EVIDENCE ? m.first : [...m.first.slice(0, MAX_ROWS_PER_EVIDENCE / 2), ...m.last]).map((r) => r.seq);
      }
    }
  }
}

/** The first and last rows of a list, at most MAX_ROWS_PER_EVIDENCE in all, in order. */
function pick(rows: TraceRow[]): TraceRow[] {
  if (rows.length <= MAX_ROWS_PER_EVIDENCE) return rows;
  const half = MAX_ROWS_PER_EVIDENCE / 2;
  return [...rows.slice(0, half), ...rows.slice(rows.length - half)];
}

/**
 * Every kernel call whose outcome code was not OK, with its input row: `{seq, inputSeq, tUs,
 * inputKind, input, code, message, slotId}`; also every adapter finding (a frame that lacked
 * fields: ADAPTER_MISSING_FIELD; an unknown event type skipped: ADAPTER_UNKNOWN_EVENT). `slotId` is the input's slot (intents), else the
 * first transition's slot, else the outcome's `details.slotId`. At most `max` rows; `total`
 * counts them all.
 */
export function collectDiagnostics(rows: readonly TraceRow[], max = MAX_DIAGNOSTICS): { rows: DiagnosticRow[]; total: number } {
  const c = new DiagnosticsCollector(max);
  for (const r of rows) c.push(r);
  return c.finish((seq) => rows[seq]);
}

/**
 * collectDiagnostics as a pass over rows given one at a time. An adapter finding's input is the
 * venue.ws row of its frame, written earlier: only its seq is kept, and `finish(rowAt)` fills the
 * row in (`neededSeqs()` lists the seqs `rowAt` must answer).
 */
export class DiagnosticsCollector {
  private readonly out: DiagnosticRow[] = [];
  private total = 0;
  private input: TraceRow | undefined;
  private readonly frameRow = new Map<number, number>(); // stream frame number → seq of its venue.ws row
  /** Adapter rows waiting for their frame's venue.ws row: index in `out`, the row, that row's seq. */
  private readonly pending: { index: number; row: TraceRow; at: number | undefined }[] = [];
  /** The rows the kept diagnostics are made of (kernel.out row and its input, adapter row), by seq. */
  private readonly named = new Map<number, TraceRow>();

  constructor(private readonly max = MAX_DIAGNOSTICS) {}

  push(r: TraceRow): void {
    this.row(r.seq, r.tUs, r.kind, r.body, r);
  }

  /**
   * Fold one row given as its parts (a TraceRecorder tap, sim/trace.ts: the run's rows as they are
   * written, so a run's diagnostics need no read-back of its trace); a row object is made only for
   * the kinds a diagnostic can use.
   */
  row(seq: number, tUs: number, kind: TraceKind, body: string, given?: TraceRow): void {
    if (kind === "venue.ws") {
      const m = /"frame":(\d+)/.exec(body);
      if (m) this.frameRow.set(Number(m[1]), seq);
      return;
    }
    if (INPUT_KINDS.has(kind)) {
      this.input = given ?? { seq, tUs, kind, body };
      return;
    }
    if (kind === "adapter.missing" || kind === "adapter.skipped") {
      // Adapter findings: a frame lacked fields (named) or had an unknown event type (skipped).
      this.total++;
      if (this.out.length < this.max) {
        const r = given ?? { seq, tUs, kind, body };
        const o = JSON.parse(body) as { frame?: number };
        this.pending.push({ index: this.out.length, row: r, at: o.frame !== undefined ? this.frameRow.get(o.frame) : undefined });
        this.out.push(undefined as unknown as DiagnosticRow); // filled by finish()
        this.named.set(seq, r);
      }
      return;
    }
    if (kind !== "kernel.out") return;
    const head = OUTCOME_HEAD.exec(body);
    if (!head || head[1] === "OK") return;
    this.total++;
    if (this.out.length >= this.max) return;
    const r = given ?? { seq, tUs, kind, body };
    this.out.push(diagnosticRow(r, head[1], this.input));
    this.named.set(seq, r);
    if (this.input) this.named.set(this.input.seq, this.input);
  }

  /** The rows of the kept diagnostics (each kernel.out row and its input row, each adapter row), by seq. */
  namedRows(): ReadonlyMap<number, TraceRow> {
    return this.named;
  }

  /** Seqs of the venue.ws rows the adapter findings need. */
  neededSeqs(): number[] {
    return this.pending.flatMap((p) => (p.at !== undefined ? [p.at] : []));
  }

  finish(rowAt: (seq: number) => TraceRow | undefined): { rows: DiagnosticRow[]; total: number } {
    for (const p of this.pending) this.out[p.index] = adapterRow(p.row, p.at !== undefined ? rowAt(p.at) : undefined);
    return { rows: this.out, total: this.total };
  }
}

function diagnosticRow(out: TraceRow, code: string, input: TraceRow | undefined): DiagnosticRow {
  const o = JSON.parse(out.body) as { message?: string; details?: Record<string, unknown>; transitions?: { slotId: number }[] };
  let slotId: number | undefined;
  if (input) {
    const m = /"slotId":(-?\d+)/.exec(input.body);
    if (m) slotId = Number(m[1]);
  }
  if (slotId === undefined && o.transitions?.length) slotId = o.transitions[0].slotId;
  if (slotId === undefined && typeof o.details?.slotId === "number") slotId = o.details.slotId;
  return {
    seq: out.seq,
    inputSeq: input?.seq,
    tUs: out.tUs,
    inputKind: input?.kind ?? "(none)",
    input: input?.body ?? "",
    code,
    message: o.message ?? "",
    ...(slotId !== undefined ? { slotId } : {}),
  };
}

/** Diagnostic row of an adapter.missing / adapter.skipped trace row; its input is the venue.ws row of the frame. */
function adapterRow(r: TraceRow, input: TraceRow | undefined): DiagnosticRow {
  const o = JSON.parse(r.body) as { frame?: number; fields?: string[]; unknownEventType?: string };
  const skipped = r.kind === "adapter.skipped";
  return {
    seq: r.seq,
    inputSeq: input?.seq,
    tUs: r.tUs,
    inputKind: input?.kind ?? "venue.ws",
    input: input?.body ?? r.body,
    code: skipped ? "ADAPTER_UNKNOWN_EVENT" : "ADAPTER_MISSING_FIELD",
    message: skipped ? `frame ${o.frame}: unknown event type "${o.unknownEventType}", skipped` : `frame ${o.frame}: missing ${(o.fields ?? []).join(", ")}`,
  };
}

/** The trace rows with these seq numbers (rows are in seq order, seq = index). */
export function rowsBySeq(rows: readonly TraceRow[], seqs: Iterable<number>): TraceRow[] {
  const out: TraceRow[] = [];
  for (const s of [...new Set(seqs)].sort((a, b) => a - b)) {
    const r = rows[s];
    if (r && r.seq === s) out.push(r);
  }
  return out;
}

/**
 * Failure evidence, diagnostics and the trace excerpt of a run from its streamed trace.arrow, one
 * record batch in memory at a time (a 48 h trace is never held whole): the same results as
 * linkEvidence + collectDiagnostics + rowsBySeq over all rows. Mutates `results`.
 * `live`: the run's diagnostics already folded from its rows as they were written (a
 * DiagnosticsCollector on the recorder's tap); the file is then read only for what that cannot
 * give — evidence to link, an adapter finding's frame row, excerpt rows no diagnostic named —
 * so a passing run without adapter findings is not read back at all.
 */
export async function evidenceFromTraceFile(
  file: string,
  results: InvariantResult[],
  extraSeqs: (diag: DiagnosticRow[]) => number[],
  live?: DiagnosticsCollector,
): Promise<{ diagnostics: { rows: DiagnosticRow[]; total: number }; excerpt: TraceRow[] }> {
  const linker = new EvidenceLinker(results);
  const diag = live ?? new DiagnosticsCollector();
  if (!live || linker.needsRows) {
    for await (const batch of traceRowBatches(file)) {
      for (const r of batch) {
        linker.push(r);
        if (!live) diag.push(r);
      }
    }
  }
  linker.finish();
  const byseq = new Map<number, TraceRow>(diag.namedRows());
  const fetch = async (seqs: Set<number>) => {
    for (const s of seqs) if (byseq.has(s)) seqs.delete(s);
    if (seqs.size === 0) return;
    for (const r of await traceRowsWithSeqs(file, seqs)) byseq.set(r.seq, r);
  };
  await fetch(new Set(diag.neededSeqs()));
  const diagnostics = diag.finish((seq) => byseq.get(seq));
  const seqs = new Set<number>(extraSeqs(diagnostics.rows));
  await fetch(new Set(seqs));
  const excerpt = [...seqs].sort((a, b) => a - b).flatMap((s) => {
    const r = byseq.get(s);
    return r ? [r] : [];
  });
  return { diagnostics, excerpt };
}
