/**
 * The run observer: the one place a run's trace rows are written and the RunRecord the
 * invariants read (sim/record.ts) is built beside them. At the end of the run it checks that
 * the record agrees with the trace it claims to summarise (`verifyAgainstTrace`): the record's
 * intents, idempotency probes, ledger samples and parity samples must match the trace's row
 * counts of the same observations, or the run throws (a record built beside the trace must not
 * drift from it, issue 12).
 *
 * Also the venue-side ground truth used by invariants 3 and 10 (settlements the venue emitted
 * and those the kernel took in, venue order id → client order id) and the report series.
 */
import type { Intent, Outcome, SlotImage } from "../kernel/types.js";
import type { VenueLedger } from "../venues/venue.js";
import type { BingxMockVenue } from "../venues/bingx/mock-venue.js";
import type { SeriesPoint } from "./types.js";
import type { LedgerSample, ParitySample } from "./record.js";
import type { RuntimeRecord, SlotHead } from "./runtime-types.js";
import type { OrderOwner } from "./record.js";
import { VenueConformance } from "../venues/bingx/conformance.js";
import { TraceRecorder, canonicalJson, type TraceKind } from "./trace.js";
import type { RestRequest, RestResponse } from "../venues/venue.js";
import { PATHS, parseListenKeyReply } from "../venues/bingx/adapter.js";
import { Dec } from "./num.js";
import { SeqMatch, TALLIED, TraceTally, seqDigests, tallyReadsBody, type LineSeq, type Tallied } from "./trace-tally.js";
import { RecordStreamFolds } from "./invariants.js";
import { journalView, type FillRoute, type SlotSample } from "./record.js";
import type { Transition } from "../kernel/types.js";
import { ownString } from "./own-string.js";

/** Row kinds that can carry a listen key (venue traffic: the create reply, PUT/DELETE params, listenKeyExpired frames). */
const LISTEN_KEY_KINDS: ReadonlySet<TraceKind> = new Set<TraceKind>(["venue.req", "venue.resp", "venue.ws", "net.resp", "net.ws"]);

/** Most series points kept at event resolution (reports); later points are periodic only (issue 15). */
export const MAX_SERIES_POINTS = 100_000;

/** Kernel position per symbol (Σ signed slot sizes), every contract present (position parity, report plots). */
export function kernelPositions(contracts: readonly { symbol: string }[], slots: readonly Pick<SlotImage, "symbol" | "side" | "sizeQty">[]): Record<string, string> {
  const kernel: Record<string, string> = {};
  for (const c of contracts) kernel[c.symbol] = "0";
  for (const s of slots) {
    if (!s.symbol || !s.side) continue;
    const signed = s.side === "LONG" ? new Dec(s.sizeQty) : new Dec(s.sizeQty).negated();
    kernel[s.symbol] = new Dec(kernel[s.symbol] ?? "0").plus(signed).toFixed();
  }
  return kernel;
}

/** Same keys in the same order with the same values (so both give the same JSON). */
function sameRecord(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/**
 * The digest text of a record entry of the streams compared with the trace (sim/trace-tally.ts
 * folds the same text from the rows): one definition for the fold mode, which digests entries as
 * they come, and for verifyContentAgainstTrace, which digests the record's arrays.
 */
const intentDigest = (i: { tUs: number; intent: Intent; outcome: Outcome }): string => `${i.tUs}|${canonicalJson(i.intent)}|${canonicalJson(i.outcome)}`;
const fillDigest = (f: FillRoute): string => `${f.eventId}|${f.code}`;
const ledgerSampleDigest = (l: LedgerSample): string => `${l.tUs}|${canonicalJson(l.ledger)}`;

/** The tallied sequences the fold mode feeds entry by entry (the others are read from the record's arrays at the end). */
type FoldedSeq = Extract<Tallied, "intents" | "transitions" | "fills" | "ledgerSamples">;

export class RunObserver {
  readonly rec: RuntimeRecord = {
    intents: [], venueSubmittedClientOrderIds: [], transitions: [], slotSamples: [], ledgerSamples: [], venueWallets: [],
    venueLedgers: [], fills: [], probes: [], parity: [], diagnostics: [],
    venueJournal: [], conformance: { steps: 0, entries: 0, violations: [] }, restores: [],
  };
  readonly series: SeriesPoint[] = [];
  readonly diagnostics = new Set<string>();
  /** Venue order id → client order id, from the venue's own replies (ground truth, before loss). */
  readonly venueIdToClient = new Map<string, string>();
  /** Client order id → owner (the runtime's command book, from SUBMIT commands). */
  readonly owner = new Map<string, OrderOwner>();
  /** FILL_SETTLED event ids the venue emitted (→ venue order id) and those fed to the kernel. */
  readonly emittedSettles = new Map<string, string>();
  readonly fedSettles = new Set<string>();
  /** FILL_SETTLED events the venue emitted per venue order id, one per emitted fill frame (ids may repeat). */
  private readonly emittedSettleCount = new Map<string, number>();
  private readonly submittedAtVenue = new Set<string>();
  private lastWallet = "";
  private lastSeriesUs = -1;
  /** Parity rows written (checked against the record). */
  private parityRows = 0;

  /** Checks every venue step against the BingX rules the mock venue claims to follow. */
  private readonly conformance: VenueConformance;
  /** Slot images just before the last restart (exit-leg progress, invariant restart-exit-legs). */
  private preRestart: SlotImage[] = [];

  /**
   * Fold mode: the record's per-row streams (sim/record.ts STREAMED_FIELDS) go to the invariants'
   * folds and to the trace-agreement digests as they are observed, and are not kept (a 48 h run
   * kept ~35–55 MB of them live). Undefined: they are kept in the record's arrays.
   */
  private readonly folds: RecordStreamFolds | undefined;
  /**
   * Fold mode: the folded streams' entries (as verifyContentAgainstTrace writes them from arrays)
   * are compared line by line with the tally's lines from the trace as both come (SeqMatch), not
   * digested: the record sides are here, the trace sides in the tally.
   */
  private readonly matches: Record<FoldedSeq, SeqMatch> | undefined;
  private readonly foldedDigests: Record<FoldedSeq, LineSeq> | undefined;
  /** Fold mode: entries folded (verifyAgainstTrace compares them with the trace's row counts). */
  private foldedIntents = 0;
  private foldedLedgerSamples = 0;

  /**
   * @param foldStreams fold the record's per-row streams during the run instead of keeping them
   *   (RunRecord.streamed); the invariants' results are the same (sim/invariants.ts RecordStreamFolds).
   */
  constructor(
    readonly trace: TraceRecorder,
    private readonly venue: BingxMockVenue,
    private readonly seriesEveryUs: number,
    conformance: ConstructorParameters<typeof VenueConformance>[0],
    foldStreams = false,
  ) {
    this.conformance = new VenueConformance(conformance);
    if (foldStreams) {
      this.folds = new RecordStreamFolds(conformance.initialBalanceUsdt);
      const m = { intents: new SeqMatch(), transitions: new SeqMatch(), fills: new SeqMatch(), ledgerSamples: new SeqMatch() };
      this.matches = m;
      this.foldedDigests = { intents: m.intents.record, transitions: m.transitions.record, fills: m.fills.record, ledgerSamples: m.ledgerSamples.record };
      this.tally = new TraceTally({ intents: m.intents.trace, transitions: m.transitions.trace, fills: m.fills.trace, ledgerSamples: m.ledgerSamples.trace });
      this.rec.streamed = this.folds;
    } else {
      this.tally = new TraceTally();
    }
    if (trace.count > 0) throw new Error(`observer: the trace already has ${trace.count} rows; the observer must see every row from the first`);
    trace.tap = (seq, tUs, kind, body) => this.tally.row(seq, tUs, kind, body);
    trace.tapBodyWanted = tallyReadsBody;
  }

  /** What the trace itself says, folded row by row (checked against the record at the end). */
  private readonly tally: TraceTally;

  /**
   * After every venue call: the venue's journal of the step goes to the conformance checker and
   * into the record; each broken rule becomes a `check` trace row (its seq is the evidence).
   */
  venueStep(now: number): void {
    const entries = this.venue.drainJournal();
    if (entries.length === 0) return;
    // Fold mode keeps only what the oracle reads of each entry (sim/record.ts JournalView).
    if (this.folds) for (const e of entries) this.rec.venueJournal.push(journalView(e));
    else for (const e of entries) this.rec.venueJournal.push(e);
    for (const v of this.conformance.observe(entries)) {
      const traceSeq = this.trace.count;
      this.record(now, "check", { conformance: v });
      this.rec.conformance.violations.push({ ...v, traceSeq });
    }
  }

  /** The slots as they were just before a restart saved the kernel. */
  beforeRestart(slots: SlotImage[]): void {
    this.preRestart = slots;
  }

  /** Exit-leg progress of each slot before the restart and after the restore (`restoreSeq`: the kernel.restore row). */
  noteRestore(now: number, restoreSeq: number, restored: SlotImage[]): void {
    const slots = restored.map((s) => {
      const pre = this.preRestart[s.slotId];
      const booked = pre && pre.tradeId === s.tradeId ? pre.legs.filter((l) => new Dec(l.quantity).greaterThan(0)) : [];
      return {
        slotId: s.slotId, tradeId: s.tradeId, symbol: s.symbol, restoredExitLegIndex: s.exitLegIndex,
        bookedLegs: booked.map((l) => ({ legIndex: l.legIndex, clientOrderId: l.clientOrderId, quantity: l.quantity })),
      };
    });
    this.rec.restores.push({ tUs: now, traceSeq: restoreSeq, slots: slots.filter((s) => s.tradeId !== "") });
  }

  /**
   * Write one trace row. Listen keys are secrets (docs/shadow.md §secrets: whoever holds one reads
   * the account's stream): every key the venue issued ({@link noteListenKey}) is replaced by
   * `<listenKey:n>` (n = issue order) before the row is recorded and hashed, so trace.arrow never
   * holds one.
   */
  record(tUs: number, kind: TraceKind, payload: unknown): void {
    // A row whose text nobody reads (no hash, no file, not tallied) holds no key to redact.
    if (this.listenKeyLabels.size === 0 || !LISTEN_KEY_KINDS.has(kind) || !this.trace.needsBody(kind, payload)) return this.trace.record(tUs, kind, payload);
    let body = typeof payload === "string" ? payload : canonicalJson(payload);
    if (body.includes("listenKey")) {
      for (const [key, label] of this.listenKeyLabels) if (body.includes(key)) body = body.split(key).join(label);
    }
    this.trace.record(tUs, kind, body);
  }
  private readonly listenKeyLabels = new Map<string, string>();

  /** Register the key of a listen-key create reply (call before the reply is recorded). */
  noteListenKey(req: RestRequest, resp: RestResponse): void {
    if (req.method !== "POST" || req.path !== PATHS.listenKey || resp.httpStatus !== 200) return;
    const key = parseListenKeyReply(resp);
    if (!this.listenKeyLabels.has(key)) this.listenKeyLabels.set(key, `<listenKey:${this.listenKeyLabels.size}>`);
  }

  /**
   * Add a ledger sample to the record. Its string fields equal to the previous sample's take that
   * sample's string objects (same values; a 48 h run keeps ~35,000 samples, most fields unchanged
   * from one to the next, and each fresh decode would otherwise keep its own copies).
   */
  ledgerSample(sample: LedgerSample): void {
    if (this.folds) {
      this.foldedLedgerSamples++;
      this.folds.ledgerSample(sample);
      if (sample.cause !== "restore") this.foldedDigests!.ledgerSamples.add(ledgerSampleDigest(sample));
      return;
    }
    const prev = this.lastLedger as unknown as Record<string, unknown> | undefined;
    const l = sample.ledger as unknown as Record<string, unknown>;
    if (prev) for (const k of Object.keys(l)) if (typeof l[k] === "string" && l[k] === prev[k]) l[k] = prev[k];
    this.lastLedger = sample.ledger;
    this.rec.ledgerSamples.push(sample);
  }
  private lastLedger: LedgerSample["ledger"] | undefined;

  /** An intent and the kernel's outcome (the "intent" row was written before the call). */
  intent(tUs: number, intent: Intent, outcome: Outcome): void {
    if (!this.folds) return void this.rec.intents.push({ tUs, intent, outcome });
    this.foldedIntents++;
    this.folds.intent({ tUs, intent, outcome });
    this.foldedDigests!.intents.add(intentDigest({ tUs, intent, outcome }));
  }

  /** A stage transition from a kernel outcome (of an intent, venue, account or reconcile input). */
  transition(t: Transition): void {
    if (!this.folds) return void this.rec.transitions.push(t);
    this.folds.transition(t);
    this.foldedDigests!.transitions.add(canonicalJson(t));
  }

  /** A slot observation (size bounds). */
  slotSample(s: SlotSample): void {
    if (!this.folds) return void this.rec.slotSamples.push(s);
    this.folds.slotSample(s);
  }

  /** A fill given to the kernel and where it landed (routing). */
  fill(f: FillRoute): void {
    if (!this.folds) return void this.rec.fills.push(f);
    this.folds.fill(f);
    this.foldedDigests!.fills.add(fillDigest(f));
  }

  /** The venue received a SUBMIT for this client order id (first time only). */
  submittedAtVenueOnce(clientOrderId: string): void {
    if (this.submittedAtVenue.has(clientOrderId)) return;
    this.submittedAtVenue.add(clientOrderId);
    this.rec.venueSubmittedClientOrderIds.push(clientOrderId);
  }

  /** Note the venue ledger when its wallet changed. */
  noteVenueLedger(now: number): void {
    const l = this.venue.ledger();
    if (l.walletBalanceUsdt === this.lastWallet) return;
    this.lastWallet = l.walletBalanceUsdt;
    this.rec.venueWallets.push(l.walletBalanceUsdt);
    if (this.folds) this.folds.venueLedger({ tUs: now, ledger: l });
    else this.rec.venueLedgers.push({ tUs: now, ledger: l });
  }

  /**
   * Series point for the report's plots (issue 15: event resolution). Called on every venue
   * advance (`periodic`, at most every seriesEveryUs) and after every kernel call that moved the
   * ledger or a slot and every batch of venue frames; an event point is kept only when capital,
   * wallet or a position changed. Past MAX_SERIES_POINTS only the periodic samples are kept
   * (bounded memory on long soaks). Event-resolution points are taken only when the trace is
   * persisted (a report will be written): runs without a report (chaos) do not pay for them.
   */
  sampleSeries(now: number, slots: () => readonly SlotHead[], kernelCapitalUsdt: () => string, contracts: readonly { symbol: string }[], periodic = true): void {
    if (!periodic && !this.trace.persisted) return;
    if (periodic ? now - this.lastSeriesUs < this.seriesEveryUs : this.series.length >= MAX_SERIES_POINTS) return;
    const s = slots();
    const slotSizes = s.map((x) => (x.side === "SHORT" ? new Dec(x.sizeQty).negated().toFixed() : x.sizeQty));
    const p: SeriesPoint = {
      tUs: now,
      kernelCapitalUsdt: kernelCapitalUsdt(),
      venueWalletUsdt: this.venue.ledger().walletBalanceUsdt,
      slotSizes,
      kernelPositions: kernelPositions(contracts, s),
      venuePositions: this.venue.positions(),
    };
    const key = JSON.stringify([p.kernelCapitalUsdt, p.venueWalletUsdt, slotSizes, p.venuePositions]);
    if (periodic) this.lastSeriesUs = now;
    else if (key === this.lastSeriesKey) return;
    this.lastSeriesKey = key;
    this.series.push(this.sharingPrevious(p));
  }
  private lastSeriesKey = "";

  /**
   * Point `p` with every value equal to the previous point's taken from it (the same string,
   * array or object: equal values, so the report's JSON is the same). A 48 h run keeps ~22,000
   * points, most of their sizes and positions unchanged from one point to the next. Series points
   * are never mutated once recorded.
   */
  private sharingPrevious(p: SeriesPoint): SeriesPoint {
    const q = this.series[this.series.length - 1];
    if (!q) return p;
    if (p.kernelCapitalUsdt === q.kernelCapitalUsdt) p.kernelCapitalUsdt = q.kernelCapitalUsdt;
    if (p.venueWalletUsdt === q.venueWalletUsdt) p.venueWalletUsdt = q.venueWalletUsdt;
    if (p.slotSizes.length === q.slotSizes.length && p.slotSizes.every((x, i) => x === q.slotSizes[i])) p.slotSizes = q.slotSizes;
    if (sameRecord(p.kernelPositions, q.kernelPositions)) p.kernelPositions = q.kernelPositions;
    if (sameRecord(p.venuePositions, q.venuePositions)) p.venuePositions = q.venuePositions;
    return p;
  }

  /** A position-parity sample (trace row + record). */
  parity(p: ParitySample): void {
    this.record(p.tUs, "check", { parity: p });
    this.parityRows++;
    this.rec.parity.push(p);
  }

  /** A FILL_SETTLED the venue emitted on the user stream (before any network fault). */
  noteEmittedSettle(eventId: string, venueOrderId: string): void {
    // Kept to the end of the run: copies that do not hold the WS frame they were cut from.
    venueOrderId = ownString(venueOrderId);
    this.emittedSettles.set(ownString(eventId), venueOrderId);
    this.emittedSettleCount.set(venueOrderId, (this.emittedSettleCount.get(venueOrderId) ?? 0) + 1);
  }

  /** Number of exchange settlements (fills) the venue emitted per client order id. */
  settlementCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const vid of this.emittedSettles.values()) {
      const cid = this.venueIdToClient.get(vid);
      if (cid) out[cid] = (out[cid] ?? 0) + 1;
    }
    return out;
  }

  /**
   * Client order ids every exchange settlement of which reached the kernel (invariant 3): every
   * fill the venue made for the order (its journal) had its FILL_SETTLED emitted on the user
   * stream, and every emitted one was fed to the kernel. A fill made while no listen key was valid
   * is never emitted (docs/bingx-protocol.md §6, the venue pushes no frame without a key): its rp
   * is information the kernel never had, so its order is not complete (chaos seed 9580: the last
   * two fills of an exit order fell into a listen-key lapse and the order counted as fully settled).
   */
  fullySettledOrders(): string[] {
    const missing = new Set<string>();
    for (const [eventId, vid] of this.emittedSettles) if (!this.fedSettles.has(eventId)) missing.add(vid);
    const venueFills = new Map<string, number>();
    for (const e of this.rec.venueJournal) if (e.kind === "fill") venueFills.set(e.orderId, (venueFills.get(e.orderId) ?? 0) + 1);
    const out: string[] = [];
    for (const [vid, emitted] of this.emittedSettleCount) {
      const cid = this.venueIdToClient.get(vid);
      if (cid && !missing.has(vid) && emitted >= (venueFills.get(vid) ?? 0)) out.push(cid);
    }
    return out.sort();
  }

  /** Close the record at the end of the run. */
  finish(now: number): RuntimeRecord {
    this.venueStep(now);
    this.rec.conformance.steps = this.conformance.steps;
    this.rec.conformance.entries = this.conformance.entries;
    this.rec.venueSymbolBooks = this.venue.symbolBooks();
    const owners: Record<string, OrderOwner> = {};
    for (const [cid, o] of [...this.owner].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) owners[cid] = o;
    this.rec.orderOwners = owners;
    this.rec.diagnostics = [...this.diagnostics].sort();
    this.rec.fullySettledOrders = this.fullySettledOrders();
    this.rec.settlementCounts = this.settlementCounts();
    this.verifyAgainstTrace();
    return this.rec;
  }

  /**
   * The record must agree with the trace: one record intent per "intent" row, one probe per
   * "idem.probe" row, one ledger sample per "ledger" row written after a kernel call (all but the
   * final one) plus one per "kernel.restore", one parity sample per parity row.
   * @throws Error naming the record field and both counts when they differ.
   */
  verifyAgainstTrace(): void {
    const n = (k: TraceKind) => this.trace.countOf(k);
    const pairs: [string, number, number][] = [
      ["intents", this.rec.intents.length + this.foldedIntents, n("intent")],
      ["probes", this.rec.probes.length, n("idem.probe")],
      ["ledgerSamples", this.rec.ledgerSamples.length + this.foldedLedgerSamples, n("ledger") - 1 + n("kernel.restore")],
      ["parity", this.rec.parity.length, this.parityRows],
    ];
    for (const [field, inRecord, inTrace] of pairs) {
      if (inRecord !== inTrace) throw new Error(`observer: RunRecord.${field} has ${inRecord} entries but the trace has ${inTrace} matching rows`);
    }
    this.verifyContentAgainstTrace();
  }

  /**
   * The record's observations must be, entry for entry and in order, what the trace rows say
   * (sim/trace-tally.ts lists them): intents with their outcomes, transitions, fills and their
   * codes, ledger samples, idempotency probes, parity samples, conformance violations and their
   * rows, restores, first SUBMITs at the venue, and the set of diagnostic codes.
   * @throws Error naming the record field, with both entry counts, at the first field that differs.
   */
  private verifyContentAgainstTrace(): void {
    if (this.tally.problems.length > 0) throw new Error(`observer: the trace has rows the record cannot be checked against: ${this.tally.problems.slice(0, 3).join("; ")}`);
    const r = this.rec;
    // Fold mode: intents, transitions, fills and ledger samples were compared as they came (their
    // arrays are empty); the rest is digested from the arrays as always.
    const digests = seqDigests();
    const mine: Record<Tallied, LineSeq> = { ...digests, ...this.foldedDigests };
    for (const i of r.intents) mine.intents.add(intentDigest(i));
    for (const t of r.transitions) mine.transitions.add(canonicalJson(t));
    for (const f of r.fills) mine.fills.add(fillDigest(f));
    for (const l of r.ledgerSamples) if (l.cause !== "restore") mine.ledgerSamples.add(ledgerSampleDigest(l));
    for (const p of r.probes) mine.probes.add(`${p.tUs}|${p.beforeSha}|${p.afterSha}`);
    for (const p of r.parity) mine.parity.add(canonicalJson(p));
    for (const { traceSeq, ...v } of r.conformance.violations) mine.conformance.add(`${traceSeq}|${canonicalJson(v)}`);
    for (const x of r.restores) mine.restores.add(String(x.traceSeq));
    for (const c of r.venueSubmittedClientOrderIds) mine.venueSubmittedClientOrderIds.add(c);
    for (const k of TALLIED) {
      const m = this.matches?.[k as FoldedSeq];
      const a = m ? m.record : digests[k];
      const b = m ? m.trace : this.tally.seqs[k];
      if (m ? !m.equal : a.count !== b.count || digests[k].hex() !== this.tally.seqs[k].hex()) {
        throw new Error(`observer: RunRecord.${k} (${a.count} entries) does not match what the trace rows say (${b.count} entries)`);
      }
    }
    const fromTrace = this.tally.diagnostics();
    const inRecord = [...this.diagnostics].sort();
    if (fromTrace.join(",") !== inRecord.join(",")) {
      throw new Error(`observer: RunRecord.diagnostics [${inRecord.join(", ")}] differ from the outcome codes in the trace [${fromTrace.join(", ")}]`);
    }
  }

  /** The final venue ledger (also noted in the record). */
  finalVenueLedger(now: number): VenueLedger {
    const l = this.venue.ledger();
    this.noteVenueLedger(now);
    return l;
  }
}
