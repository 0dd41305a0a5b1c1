/**
 * What the trace itself says about a run, folded row by row as the rows are written (issue 12: "an
 * observer that derives the RunRecord from the trace, or asserts that the two agree"). The tally
 * reads only the row text that is hashed (kind and canonical body, sim/trace.ts), never the
 * objects the runtime built it from, and keeps digests, not rows, so a 48 h run costs no memory.
 * `RunObserver.verifyAgainstTrace` (sim/observer.ts) computes the same digests from the RunRecord
 * and throws naming the record field when one differs.
 *
 * Observations tallied (each a sequence, in trace order, SHA-256 over one line per entry):
 * - intents: time, intent row body, body of the kernel.out row answering it;
 * - transitions: every transition in the kernel.out rows of intent, venue, account and reconcile
 *   inputs (a mark's or a restore's transitions are not recorded as such);
 * - fills: event id of each PARTIAL_FILL / FULL_FILL kernel.venue row and its outcome code;
 * - ledger samples: time and ledger of each "ledger" row written after a kernel call;
 * - probes: time, state digests before/after of each idem.probe row;
 * - parity: each position-parity check row; conformance: each conformance check row and its seq;
 * - restores: seq of each kernel.restore row;
 * - venue submits: client order id of each first SUBMIT (POST order) request at the venue;
 * - diagnostics: the set of outcome codes of kernel.out rows, plus OK when a mark was answered OK
 *   (an OK mark outcome has no row, sim/kernel-host.ts mark).
 */
import { createHash, type Hash } from "node:crypto";
import type { TraceKind } from "./trace.js";

/** The order path a SUBMIT is POSTed to (docs/bingx-protocol.md §4). */
const ORDER_PATH = "/openApi/swap/v2/trade/order";
/** Kernel inputs whose kernel.out transitions the record keeps (sim/kernel-host.ts afterKernelCall). */
const TRANSITION_INPUTS: ReadonlySet<string> = new Set(["intent", "kernel.venue", "kernel.account", "kernel.reconcile"]);
/** Row kinds that are kernel inputs (the row after one is the call's `kernel.out`); also read by sim/evidence.ts. */
export const INPUT_KINDS: ReadonlySet<string> = new Set(["intent", "kernel.venue", "kernel.account", "kernel.mark", "kernel.reconcile", "kernel.restore"]);
/** Top of a canonical Outcome body (keys sorted: accepted, changedSlots when present, code, …); group 1 is the code. Also read by sim/evidence.ts. */
export const OUTCOME_HEAD = /^\{"accepted":(?:true|false),(?:"changedSlots":\[[0-9,]*\],)?"code":"([A-Za-z0-9_]+)"/;

/**
 * Kinds whose canonical body the tally reads; of every other kind it reads only seq, time and
 * kind (a recorder without hash or file need not build their text, sim/trace.ts tapBodyWanted).
 */
export const TALLY_BODY_KINDS: ReadonlySet<TraceKind> = new Set<TraceKind>(["intent", "kernel.venue", "kernel.out", "ledger", "idem.probe", "check", "venue.req"]);

/** Kinds of TALLY_BODY_KINDS whose body the tally reads on every row (the others: see tallyReadsBody). */
const ALWAYS_READ_KINDS: ReadonlySet<TraceKind> = new Set<TraceKind>(["intent", "kernel.out", "ledger", "idem.probe"]);

/**
 * Whether the tally reads the body of this row, judged from the payload the runtime records
 * (sim/trace.ts tapBodyWanted): a recorder without hash or file then builds the text of only
 * these rows (issue 12 profile: chaos canonicalised every venue request and check row for a tally
 * that dropped most of them). A superset of the rows the text rules below use: venue.req rows that
 * POST to the order path, check rows with a `parity` or `conformance` key, kernel.venue rows of a
 * fill, and every row of the other kinds. A payload that is not an object (text already built, or
 * none given) counts as read. Should this ever say false for a row the text rules use, the tally's
 * digest differs from the record's and RunObserver.verifyAgainstTrace fails the run naming the field.
 */
export function tallyReadsBody(kind: TraceKind, payload: unknown): boolean {
  if (!TALLY_BODY_KINDS.has(kind)) return false;
  if (typeof payload !== "object" || payload === null || ALWAYS_READ_KINDS.has(kind)) return true;
  switch (kind) {
    case "venue.req": {
      const r = payload as { method?: unknown; path?: unknown };
      return r.method === "POST" && r.path === ORDER_PATH;
    }
    case "check":
      return "parity" in payload || "conformance" in payload;
    case "kernel.venue": {
      const k = (payload as { kind?: unknown }).kind;
      return k === "PARTIAL_FILL" || k === "FULL_FILL";
    }
    default:
      return true;
  }
}

/** Names of the sequences compared between the trace and the RunRecord. */
export const TALLIED = ["intents", "transitions", "fills", "ledgerSamples", "probes", "parity", "conformance", "restores", "venueSubmittedClientOrderIds"] as const;
export type Tallied = (typeof TALLIED)[number];

/** A sequence of text lines being compared: lines are added in order; `count` is how many. */
export interface LineSeq {
  add(line: string): void;
  readonly count: number;
}

/** A running digest of a sequence of text lines, with its length. */
export class SeqDigest implements LineSeq {
  private readonly h: Hash = createHash("sha256");
  /** Lines not yet hashed (SHA-256 of a concatenation does not depend on its chunking). */
  private text = "";
  count = 0;
  add(line: string): void {
    this.text += line + "\n";
    this.count++;
    if (this.text.length >= 64 * 1024) this.flush();
  }
  /** Hex digest (the digest stays usable). */
  hex(): string {
    this.flush();
    return this.h.copy().digest("hex");
  }
  private flush(): void {
    if (this.text === "") return;
    this.h.update(this.text);
    this.text = "";
  }
}

/**
 * Two sequences of lines compared line by line as both are given (the trace's side, folded by the
 * tally, and the record's side, in the observer's fold mode): the same verdict as comparing their
 * digests (`equal`: same lines in the same order), with no hashing (issue 12 profile: the two
 * sides' SHA-256 digests were 2-3 % of a run). Only the lines one side gave ahead of the other are
 * held — in a run the record's side of an entry is at most one kernel call ahead of its row or
 * behind it, so a handful.
 */
export class SeqMatch {
  /** The side the trace's lines go to. */
  readonly trace: LineSeq;
  /** The side the record's lines go to. */
  readonly record: LineSeq;
  private ahead: string[] = [];
  private aheadFrom = 0;
  /** Which side the held lines came from (0 trace, 1 record). */
  private aheadSide = 0;
  private readonly counts = [0, 0];
  private differs = false;

  constructor() {
    this.trace = this.side(0);
    this.record = this.side(1);
  }

  /** Both sides gave the same lines in the same order (so far). */
  get equal(): boolean {
    return !this.differs && this.counts[0] === this.counts[1];
  }

  private side(s: number): LineSeq {
    const m = this;
    return {
      add: (line: string) => m.add(s, line),
      get count() {
        return m.counts[s];
      },
    };
  }

  private add(side: number, line: string): void {
    this.counts[side]++;
    if (this.aheadFrom < this.ahead.length && this.aheadSide !== side) {
      // The other side is ahead: its oldest held line is this line's counterpart.
      if (this.ahead[this.aheadFrom++] !== line) this.differs = true;
      if (this.aheadFrom === this.ahead.length) {
        this.ahead.length = 0;
        this.aheadFrom = 0;
      }
      return;
    }
    this.aheadSide = side;
    this.ahead.push(line);
  }
}

/** Fresh digests, one per tallied sequence. */
export function seqDigests(): Record<Tallied, SeqDigest> {
  const out = {} as Record<Tallied, SeqDigest>;
  for (const k of TALLIED) out[k] = new SeqDigest();
  return out;
}

export class TraceTally {
  /** Digests of the tallied sequences (a sequence given to a SeqMatch instead stays empty here). */
  readonly seqs = seqDigests();
  /** Where each sequence's lines go: its digest, or the trace side of its SeqMatch. */
  private readonly lines: Record<Tallied, LineSeq>;

  /** @param matched sequences compared line by line instead of digested (sim/observer.ts fold mode): the trace side of each. */
  constructor(matched: Partial<Record<Tallied, LineSeq>> = {}) {
    this.lines = { ...this.seqs, ...matched };
  }
  /** Outcome codes of kernel.out rows, and OK when some kernel.mark had no kernel.out row. */
  private readonly codes = new Set<string>();
  private marksUnanswered = 0;
  /** The last kernel input row (its body only when the tally reads it, tallyReadsBody). */
  private lastInput: { kind: string; tUs: number; body: string | undefined } | undefined;
  private lastInputAnswered = true;
  private readonly submitted = new Set<string>();
  /** Rows the tally could not read as the runtime writes them (reported by the observer's check). */
  readonly problems: string[] = [];

  /**
   * Fold one row (as written: seq, time, kind, canonical body). `body` may be undefined only for
   * a row whose body the tally does not read ({@link tallyReadsBody}: a kind outside
   * TALLY_BODY_KINDS, or a venue.req / check / kernel.venue row outside the rules); a missing
   * body of an intent, kernel.out, ledger or idem.probe row is a problem the observer reports.
   */
  row(seq: number, tUs: number, kind: TraceKind, body: string | undefined): void {
    if (body === undefined && ALWAYS_READ_KINDS.has(kind)) {
      this.problems.push(`row ${seq} (${kind}) came without its body`);
      return;
    }
    if (INPUT_KINDS.has(kind)) {
      if (this.lastInput?.kind === "kernel.mark" && !this.lastInputAnswered) this.marksUnanswered++;
      this.lastInput = { kind, tUs, body };
      this.lastInputAnswered = false;
      if (kind === "kernel.restore") this.lines.restores.add(String(seq));
      return;
    }
    // A row whose body the tally does not read (tallyReadsBody): nothing is read from it.
    if (body === undefined) return;
    switch (kind) {
      case "kernel.out":
        return this.outcome(body);
      case "ledger":
        // {"cause":…,"ledger":{…}} after a kernel call; the final row has no cause
        if (body.startsWith('{"cause":')) {
          const at = body.indexOf(',"ledger":');
          this.lines.ledgerSamples.add(at < 0 ? `${tUs}|<ledger row ${seq} has no ledger>` : `${tUs}|${body.slice(at + 10, body.length - 1)}`);
        }
        return;
      case "idem.probe": {
        const p = JSON.parse(body) as { before: string; after: string };
        this.lines.probes.add(`${tUs}|${p.before}|${p.after}`);
        return;
      }
      case "check":
        if (body.startsWith('{"parity":')) this.lines.parity.add(body.slice(10, body.length - 1));
        else if (body.startsWith('{"conformance":')) this.lines.conformance.add(`${seq}|${body.slice(15, body.length - 1)}`);
        return;
      case "venue.req":
        if (body.includes('"method":"POST"') && body.includes(`"path":"${ORDER_PATH}"`)) {
          const r = JSON.parse(body) as { method: string; path: string; params: Record<string, string> };
          const cid = r.params.clientOrderID ?? r.params.clientOrderId;
          if (r.method === "POST" && r.path === ORDER_PATH && cid !== undefined && !this.submitted.has(cid)) {
            this.submitted.add(cid);
            this.lines.venueSubmittedClientOrderIds.add(cid);
          }
        }
        return;
      default:
        return;
    }
  }

  private outcome(body: string): void {
    const input = this.lastInput;
    const head = OUTCOME_HEAD.exec(body);
    if (!input || this.lastInputAnswered || !head) {
      this.problems.push(!head ? `kernel.out row is not a canonical outcome: ${body.slice(0, 80)}` : "a kernel.out row without a kernel input row before it");
      return;
    }
    this.lastInputAnswered = true;
    const code = head[1];
    this.codes.add(code);
    if (input.kind === "intent") this.lines.intents.add(`${input.tUs}|${input.body}|${body}`);
    // A body ending in an empty top-level transitions array has none to tally (transitionTexts
    // would give [] for it); most outcomes end so, and the search below would scan them whole.
    if (TRANSITION_INPUTS.has(input.kind) && !body.endsWith(NO_TRANSITIONS_END) && body.includes('"transitions":[{')) {
      for (const t of transitionTexts(body)) this.lines.transitions.add(t);
    }
    if (input.kind === "kernel.venue" && input.body !== undefined && (input.body.includes('"kind":"PARTIAL_FILL"') || input.body.includes('"kind":"FULL_FILL"'))) {
      const ev = JSON.parse(input.body) as { kind: string; eventId: string };
      if (ev.kind === "PARTIAL_FILL" || ev.kind === "FULL_FILL") this.lines.fills.add(`${ev.eventId}|${code}`);
    }
  }

  /** The diagnostic codes the trace shows (sorted). */
  diagnostics(): string[] {
    const out = new Set(this.codes);
    const unansweredMarks = this.marksUnanswered + (this.lastInput?.kind === "kernel.mark" && !this.lastInputAnswered ? 1 : 0);
    if (unansweredMarks > 0) out.add("OK");
    return [...out].sort();
  }
}

/** How a canonical Outcome body with no transitions ends (its last top-level key, sim/trace.ts canonicalJson). */
const NO_TRANSITIONS_END = ',"transitions":[]}';

/** Where a canonical Outcome body's transitions array starts: its key is the last of the sorted top-level keys. */
const TRANSITIONS_KEY = ',"transitions":[';

/**
 * The text of each element of a kernel.out body's top-level `transitions` array, exactly as
 * `JSON.stringify(JSON.parse(body).transitions[i])` gives it (the definition,
 * {@link transitionTextsReference}), for a body written by sim/trace.ts canonicalJson (valid JSON,
 * JSON.stringify's own text with keys sorted, so an element's text already is its JSON.stringify).
 * The elements are sliced from the body (issue 12 profile: parsing and re-writing each outcome
 * with transitions). Read only when the last `,"transitions":[` of the body opens an array that
 * closes right before the body's final '}' — that key is then the top-level one (a quote after a
 * comma cannot sit inside a JSON string, and a nested key's array would close before its own
 * object's '}'); any other body goes to the definition (same result, same throws).
 * trace-tally.test.ts compares both on generated and recorded outcomes.
 */
export function transitionTexts(body: string): string[] {
  const at = body.lastIndexOf(TRANSITIONS_KEY);
  if (at > 0 && body.charCodeAt(body.length - 1) === 0x7d) {
    const elements = arrayElements(body, at + TRANSITIONS_KEY.length - 1, body.length - 1);
    if (elements !== undefined) return elements;
  }
  return transitionTextsReference(body);
}

/** The definition transitionTexts implements: each element of the parsed body's transitions, JSON.stringify'd. */
export function transitionTextsReference(body: string): string[] {
  const o = JSON.parse(body) as { transitions: unknown[] };
  const out: string[] = [];
  for (const t of o.transitions) out.push(JSON.stringify(t));
  return out;
}

/** The element texts of the JSON array body[start, end) (valid JSON, no whitespace); undefined when it is not one array. */
function arrayElements(body: string, start: number, end: number): string[] | undefined {
  const out: string[] = [];
  if (end - start === 2 && body.charCodeAt(start + 1) === 0x5d) return out;
  let i = start + 1;
  for (;;) {
    const e = skipValue(body, i);
    if (e < 0 || e >= end) return undefined;
    out.push(body.slice(i, e));
    const c = body.charCodeAt(e);
    if (c === 0x5d) return e === end - 1 ? out : undefined;
    if (c !== 0x2c) return undefined;
    i = e + 1;
  }
}

/** End (exclusive) of the string token starting at `i` (a '"'), or −1 when it does not end. */
function skipString(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x5c) j++;
    else if (c === 0x22) return j + 1;
  }
  return -1;
}

/**
 * End (exclusive) of the JSON value starting at `i` (no whitespace), or −1. Strings are skipped
 * with their escapes; objects and arrays by bracket depth outside strings; a scalar runs to the
 * next ',', '}' or ']'. Only where a value ends is decided here: its contents are not judged.
 */
function skipValue(s: string, i: number): number {
  const c0 = s.charCodeAt(i);
  if (c0 === 0x22) return skipString(s, i);
  if (c0 === 0x7b || c0 === 0x5b) {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const c = s.charCodeAt(j);
      if (c === 0x22) {
        const e = skipString(s, j);
        if (e < 0) return -1;
        j = e - 1;
      } else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (--depth === 0) return j + 1;
      }
    }
    return -1;
  }
  for (let j = i; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x2c || c === 0x7d || c === 0x5d) return j === i ? -1 : j;
  }
  return -1;
}
