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
import type { TraceRow } from "./trace.js";

/** Most trace rows linked to one evidence item. */
export const MAX_ROWS_PER_EVIDENCE = 8;
/** Most diagnostics kept in a RunResult (the total is reported beside them). */
export const MAX_DIAGNOSTICS = 500;

/** Row kinds that are kernel inputs (the row before a `kernel.out` is the call's input). */
const INPUT_KINDS = new Set(["intent", "kernel.venue", "kernel.account", "kernel.mark", "kernel.reconcile", "kernel.restore"]);

/** Top of a canonical Outcome body (keys sorted: accepted, changedSlots when present, code, …). */
const OUTCOME_HEAD = /^\{"accepted":(true|false),(?:"changedSlots":\[[0-9,]*\],)?"code":"([A-Za-z0-9_]+)"/;

/**
 * Link each evidence item of each failed invariant to trace rows: rows at the item's time that
 * mention its trade id (or slot, or symbol), else the kernel/ledger rows at that time, else rows
 * anywhere that mention its trade id. Items that already carry `traceSeq` are left as they are.
 * Mutates and returns `results`.
 */
export function linkEvidence(results: InvariantResult[], rows: readonly TraceRow[]): InvariantResult[] {
  const byTime = new Map<number, TraceRow[]>();
  for (const r of rows) {
    const list = byTime.get(r.tUs);
    if (list) list.push(r);
    else byTime.set(r.tUs, [r]);
  }
  for (const res of results) {
    for (const ev of res.evidence ?? []) {
      if (ev.traceSeq && ev.traceSeq.length > 0) continue;
      const needles = [ev.tradeId ? `"${ev.tradeId}"` : undefined, ev.slotId !== undefined ? `"slotId":${ev.slotId}` : undefined, ev.symbol ? `"${ev.symbol}"` : undefined].filter(
        (n): n is string => n !== undefined,
      );
      let found: TraceRow[] = [];
      if (ev.tUs !== undefined) {
        const atTime = byTime.get(ev.tUs) ?? [];
        for (const n of needles) {
          found = atTime.filter((r) => r.body.includes(n));
          if (found.length > 0) break;
        }
        if (found.length === 0) found = atTime.filter((r) => r.kind.startsWith("kernel.") || r.kind === "ledger" || r.kind === "check" || r.kind === "intent");
      }
      if (found.length === 0 && ev.tradeId) found = rows.filter((r) => r.body.includes(`"${ev.tradeId}"`));
      if (found.length > 0) ev.traceSeq = pick(found).map((r) => r.seq);
    }
  }
  return results;
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
  const out: DiagnosticRow[] = [];
  let total = 0;
  let input: TraceRow | undefined;
  const frameRow = new Map<number, number>(); // stream frame number → seq of its venue.ws row
  for (const r of rows) {
    if (r.kind === "venue.ws") {
      const m = /"frame":(\d+)/.exec(r.body);
      if (m) frameRow.set(Number(m[1]), r.seq);
      continue;
    }
    if (INPUT_KINDS.has(r.kind)) {
      input = r;
      continue;
    }
    if (r.kind === "adapter.missing" || r.kind === "adapter.skipped") {
      // Adapter findings: a frame lacked fields (named) or had an unknown event type (skipped).
      total++;
      if (out.length < max) out.push(adapterRow(r, rows, frameRow));
      continue;
    }
    if (r.kind !== "kernel.out") continue;
    const head = OUTCOME_HEAD.exec(r.body);
    if (!head || head[2] === "OK") continue;
    total++;
    if (out.length >= max) continue;
    out.push(diagnosticRow(r, head[2], input));
  }
  return { rows: out, total };
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
function adapterRow(r: TraceRow, rows: readonly TraceRow[], frameRow: Map<number, number>): DiagnosticRow {
  const o = JSON.parse(r.body) as { frame?: number; fields?: string[]; unknownEventType?: string };
  const at = o.frame !== undefined ? frameRow.get(o.frame) : undefined;
  const input = at !== undefined ? rows[at] : undefined;
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
