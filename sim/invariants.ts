/**
 * The invariant checker: the 12 ledger invariants of docs/architecture.md (§Ledger invariants), each a
 * named function over the run record (sim/record.ts, derived from the trace) returning
 * { name, ok, detail }. `checkInvariants(record)` runs all twelve in docs/architecture.md order.
 *
 * Every invariant can fail: sim/invariants.test.ts feeds each one a doctored record.
 *
 * The record's long per-row streams (venue ledgers, ledger samples, slot samples, transitions,
 * intents, fills) are judged by folds ({@link RecordStreamFolds}) fed one entry at a time: the run
 * observer feeds them while the run goes and keeps no arrays (a 48 h run kept ~35–55 MB of
 * them), and a record that keeps its arrays (doctored records of the tests) is fed the same folds
 * from them. Either way the same code judges each entry.
 */
import type { Intent, Outcome, TradeRecord, Transition } from "../kernel/types.js";
import type { VenueLedger } from "../venues/venue.js";
import type { InvariantEvidence, InvariantResult } from "./types.js";
import { lastLedgerSampleUs, streamedFolds as folded, type FillRoute, type LedgerSample, type RunRecord, type SlotSample } from "./record.js";
import { Dec, shown } from "./num.js";
import { TruthsCache, type TradeTruth } from "./oracle.js";
import { ownString } from "./own-string.js";

const MAX_DETAIL_ITEMS = 5;

/** One violation: its text, or its text with where it is (slot, trade, symbol, time). */
type Problem = string | InvariantEvidence;

/**
 * A violation a fold cannot judge until the run ends: it holds unless `unlessIn` turns out to be
 * in a set known only then (every wallet the venue held, every client order id it received).
 */
type Pending = { unlessIn: string; problem: Problem };

/** The folded problems in order, each pending one kept only when its key is not in `known`. */
function settlePending(items: readonly (Problem | Pending)[], known: ReadonlySet<string>): Problem[] {
  return items.flatMap((i) => (typeof i === "object" && "unlessIn" in i ? (known.has(i.unlessIn) ? [] : [i.problem]) : [i]));
}

/** Most evidence items kept per invariant (the detail names how many there were in all). */
const MAX_EVIDENCE = 50;

/**
 * The result of one invariant: ok with `okDetail` when there are no problems; otherwise the first
 * few problems joined in `detail` and every located problem (up to MAX_EVIDENCE) in `evidence`,
 * so reports and the terminal can point at the slot, trade and time of each.
 */
function result(name: string, problems: Problem[], okDetail: string): InvariantResult {
  if (problems.length === 0) return { name, ok: true, status: "checked", detail: okDetail };
  const evidence = problems.map((p) => (typeof p === "string" ? { detail: p } : p));
  const shown = evidence.slice(0, MAX_DETAIL_ITEMS).map((e) => e.detail).join("; ");
  const more = problems.length > MAX_DETAIL_ITEMS ? ` (+${problems.length - MAX_DETAIL_ITEMS} more)` : "";
  return { name, ok: false, status: "checked", detail: `${problems.length} violation(s): ${shown}${more}`, evidence: evidence.slice(0, MAX_EVIDENCE) };
}

/** Where a trade is: its slot, id, symbol and close (or open) time. */
function at(t: TradeRecord): Omit<InvariantEvidence, "detail"> {
  return { slotId: t.slotId, tradeId: t.tradeId, symbol: t.symbol, tUs: t.closedAtUs ?? t.openedAtUs };
}

/**
 * A decimal from a record field. A missing field is a violation, never 0 (issue 12: a missing
 * `pricedQty` silently skipped every dual-leverage leg): it throws, naming the field, and
 * checkInvariants reports the invariant failed with that message.
 */
const d = (v: string | undefined, field: string) => {
  if (v === undefined || v === "") throw new Error(`missing field ${field} (a missing value is a violation, never 0)`);
  return new Dec(v);
};

/**
 * A fold of one invariant over a per-row stream of the record: fed entry by entry (by the run
 * observer while the run goes, or from a record's arrays), judged at the end with the rest of the
 * record. A missing field (`d` throws) is kept and thrown by `rethrow`, so the invariant reports
 * the same checker error as when it reads the arrays; the entries after it are not judged.
 */
abstract class StreamFold {
  private error: { thrown: unknown } | undefined;
  protected guard(judge: () => void): void {
    if (this.error) return;
    try {
      judge();
    } catch (e) {
      this.error = { thrown: e };
    }
  }
  /** Throw what the first failing entry threw (checkInvariants reports it as a checker error). */
  rethrow(): void {
    if (this.error) throw this.error.thrown;
  }
}

/**
 * The folds of every invariant that reads a per-row stream of the record (venue ledgers, ledger
 * samples, slot samples, transitions, intents, fills). The run observer (sim/observer.ts, fold
 * mode) feeds each entry here as it is observed instead of keeping it in the record, and hands
 * the folds over as RunRecord.streamed; the invariants then judge from them exactly as they judge
 * a record's arrays (each invariant feeds the same fold class from the arrays).
 */
export class RecordStreamFolds {
  readonly venueConservation = new VenueConservationFold();
  readonly capitalAnchored: CapitalAnchoredFold;
  readonly sizeBounds = new SizeBoundsFold();
  readonly exits = new ExitsFold();
  readonly routing = new RoutingFold();
  /** @param initialBalanceUsdt the scenario's initial balance (capital before the first anchor). */
  constructor(initialBalanceUsdt: string) {
    this.capitalAnchored = new CapitalAnchoredFold(initialBalanceUsdt);
  }
  venueLedger(v: { tUs: number; ledger: VenueLedger }): void {
    this.venueConservation.venueLedger(v);
  }
  ledgerSample(s: LedgerSample): void {
    this.capitalAnchored.ledgerSample(s);
  }
  slotSample(s: SlotSample): void {
    this.sizeBounds.slotSample(s);
  }
  transition(t: Transition): void {
    this.sizeBounds.transition(t);
  }
  intent(i: { tUs: number; intent: Intent; outcome: Outcome }): void {
    this.exits.intent(i);
  }
  fill(f: FillRoute): void {
    this.routing.fill(f);
  }
}

/**
 * 1. Venue conservation: wallet = initial + Σ realized − Σ fees + Σ funding, exactly, at every
 * sampled venue ledger and at the end (venue's own books; docs/bingx-protocol.md §9).
 */
export function venueConservation(rec: RunRecord): InvariantResult {
  const f = folded(rec)?.venueConservation ?? VenueConservationFold.over(rec);
  f.rethrow();
  const problems: Problem[] = [...f.problems];
  const final = conservationProblem(-1, rec.finalVenueLedger);
  if (final) problems.push(final);
  if (!d(rec.finalVenueLedger.initialBalanceUsdt, "rec.finalVenueLedger.initialBalanceUsdt").equals(d(rec.initialBalanceUsdt, "rec.initialBalanceUsdt"))) {
    problems.push(`venue initial ${rec.finalVenueLedger.initialBalanceUsdt} != scenario initial ${rec.initialBalanceUsdt}`);
  }
  return result("venue-conservation", problems, `${f.samples + 1} venue ledger samples balance exactly; final wallet ${rec.finalVenueLedger.walletBalanceUsdt}`);
}

/** Invariant 1 at one venue ledger (`tUs` −1: the final one): the violation, or undefined. */
function conservationProblem(tUs: number, l: VenueLedger): Problem | undefined {
  const expect = d(l.initialBalanceUsdt, "l.initialBalanceUsdt").plus(d(l.realizedPnlUsdt, "l.realizedPnlUsdt")).minus(d(l.feesPaidUsdt, "l.feesPaidUsdt")).plus(d(l.fundingUsdt, "l.fundingUsdt"));
  if (expect.equals(d(l.walletBalanceUsdt, "l.walletBalanceUsdt"))) return undefined;
  const detail = `t=${tUs < 0 ? "end" : tUs}: wallet ${l.walletBalanceUsdt} != initial ${l.initialBalanceUsdt} + realized ${l.realizedPnlUsdt} − fees ${l.feesPaidUsdt} + funding ${l.fundingUsdt} = ${expect.toFixed()}`;
  return tUs < 0 ? detail : { detail, tUs };
}

/** Invariant 1 folded over the sampled venue ledgers (RunRecord.venueLedgers). */
export class VenueConservationFold extends StreamFold {
  samples = 0;
  readonly problems: Problem[] = [];
  venueLedger(v: { tUs: number; ledger: VenueLedger }): void {
    this.samples++;
    this.guard(() => {
      const p = conservationProblem(v.tUs, v.ledger);
      if (p) this.problems.push(p);
    });
  }
  static over(rec: RunRecord): VenueConservationFold {
    const f = new VenueConservationFold();
    for (const v of rec.venueLedgers) f.venueLedger(v);
    return f;
  }
}

/**
 * 2. Published capital is exchange-anchored: after each anchor it equals the wallet balance the
 * venue reported (and that wallet is one the venue ledger really held); between anchors it moves
 * only by bridged realized PnL net of fees (plus funding) since the anchor (accounting spec §3.1).
 */
export function capitalExchangeAnchored(rec: RunRecord): InvariantResult {
  const f = folded(rec)?.capitalAnchored ?? CapitalAnchoredFold.over(rec);
  return f.finish(rec);
}

/** The kernel's figures at the last anchor (or restore), or the initial balance and zeros before one. */
interface AnchorBase {
  capital: Dec;
  realized: Dec;
  fees: Dec;
  funding: Dec;
}

/** Invariant 2 between anchors: whether capital moved by the bridge, and both figures' texts. */
interface BridgeVerdict {
  ok: boolean;
  moved: string;
  bridged: string;
}

/** Invariant 2's bridge at one ledger (throws naming the first missing field: capital, realized, fees, funding). */
function bridgeVerdict(l: LedgerSample["ledger"], base: AnchorBase): BridgeVerdict {
  const capital = d(l.capitalUsdt, "l.capitalUsdt");
  const bridged = d(l.realizedPnlUsdt, "l.realizedPnlUsdt").minus(base.realized).minus(d(l.feesPaidUsdt, "l.feesPaidUsdt").minus(base.fees)).plus(d(l.fundingUsdt, "l.fundingUsdt").minus(base.funding));
  const moved = capital.minus(base.capital);
  return moved.equals(bridged) ? { ok: true, moved: "", bridged: "" } : { ok: false, moved: moved.toFixed(), bridged: bridged.toFixed() };
}

/**
 * Invariant 2 folded over the ledger samples (RunRecord.ledgerSamples) in order. Whether an
 * anchored wallet was ever a venue wallet is decided at the end, against every wallet the venue
 * held in the run (RunRecord.venueWallets), as when the samples are read at the end.
 * Also keeps what other checks read of the samples: the last sample's time and the last anchor.
 */
export class CapitalAnchoredFold extends StreamFold {
  samples = 0;
  private anchors = 0;
  private base: AnchorBase | undefined;
  private prev: LedgerSample | undefined;
  /** Violations in sample order; an anchor's wallet check waits for the run's set of venue wallets. */
  private readonly items: (Problem | Pending)[] = [];
  /** Time of the last sample (undefined: none). */
  lastUs: number | undefined;
  /** The last anchor sample that carried the wallet it was given. */
  lastAnchor: LedgerSample | undefined;

  /**
   * @param initialBalanceUsdt the scenario's initial balance (capital before the first anchor)
   * @param reuseVerdicts reuse the last bridge verdict for a sample with the same texts (default);
   *   false computes every verdict afresh (the reference path the tests compare with)
   */
  constructor(readonly initialBalanceUsdt: string, private readonly reuseVerdicts = true) {
    super();
    this.guard(() => {
      this.base = { capital: d(initialBalanceUsdt, "rec.initialBalanceUsdt"), realized: new Dec(0), fees: new Dec(0), funding: new Dec(0) };
    });
  }

  ledgerSample(s: LedgerSample): void {
    this.samples++;
    this.lastUs = s.tUs;
    if (s.cause === "anchor" && s.anchoredWalletUsdt !== undefined) this.lastAnchor = s;
    this.guard(() => this.judge(s));
  }

  private judge(s: LedgerSample): void {
    const problems = this.items;
    const l = s.ledger;
    const prev = this.prev;
    if (s.cause !== "anchor" && s.cause !== "restore") {
      this.prev = s;
      return this.bridge(s);
    }
    const capital = d(l.capitalUsdt, "l.capitalUsdt");
    if (s.cause === "restore" && prev) {
      // Restart (I9, accounting spec §0.3): the restored ledger is the saved one.
      for (const f of ["capitalUsdt", "realizedPnlUsdt", "feesPaidUsdt", "fundingUsdt"] as const) {
        if (!d(l[f], f).equals(d(prev.ledger[f], `previous ${f}`))) problems.push({ tUs: s.tUs, detail: `t=${s.tUs}: ${f} ${prev.ledger[f]} before the restart, ${l[f]} after restore` });
      }
    }
    this.prev = s;
    if (s.cause === "anchor" || s.cause === "restore") {
      if (s.cause === "anchor") {
        this.anchors++;
        if (s.anchoredWalletUsdt === undefined) {
          problems.push({ tUs: s.tUs, detail: `t=${s.tUs}: anchor sample without the wallet it was given` });
        } else {
          if (!capital.equals(d(s.anchoredWalletUsdt, "s.anchoredWalletUsdt"))) problems.push({ tUs: s.tUs, detail: `t=${s.tUs}: capital ${l.capitalUsdt} != anchored wallet ${s.anchoredWalletUsdt}` });
          // Pending to the end of the run: a detail that does not hold the WS frame the wallet came from.
          problems.push({ unlessIn: d(s.anchoredWalletUsdt, "s.anchoredWalletUsdt").toFixed(), problem: { tUs: s.tUs, detail: ownString(`t=${s.tUs}: anchored wallet ${s.anchoredWalletUsdt} was never a venue wallet balance`) } });
        }
      }
      this.base = { capital, realized: d(l.realizedPnlUsdt, "l.realizedPnlUsdt"), fees: d(l.feesPaidUsdt, "l.feesPaidUsdt"), funding: d(l.fundingUsdt, "l.fundingUsdt") };
      return;
    }
  }

  /**
   * A sample between anchors: capital moved since the anchor by exactly the bridged realized − fees
   * + funding. The verdict is a pure function of the anchor's base and the four figures' texts, so
   * a sample that repeats the last judged one's texts under the same base gets that verdict without
   * parsing again (most ledger samples leave these figures unchanged, issue 12 profile;
   * invariants.test.ts compares with the verdict computed afresh for every sample).
   */
  private bridge(s: LedgerSample): void {
    const l = s.ledger;
    const base = this.base!;
    const key = `${l.capitalUsdt}|${l.realizedPnlUsdt}|${l.feesPaidUsdt}|${l.fundingUsdt}`;
    const memo = this.lastBridge;
    const verdict = this.reuseVerdicts && memo !== undefined && memo.base === base && memo.key === key ? memo.verdict : bridgeVerdict(l, base);
    this.lastBridge = { base, key, verdict };
    if (!verdict.ok) {
      this.items.push({ tUs: s.tUs, detail: `t=${s.tUs} (${s.cause}): capital moved ${verdict.moved} since the anchor but bridged realized − fees + funding = ${verdict.bridged}` });
    }
  }
  /** The base and figure texts of the last bridged sample, and its verdict (see bridge). */
  private lastBridge: { base: AnchorBase; key: string; verdict: BridgeVerdict } | undefined;

  /** The invariant's result: anchored wallets judged against every wallet the venue held. */
  finish(rec: RunRecord): InvariantResult {
    const wallets = new Set(rec.venueWallets.map((w) => d(w, "venueWallets[]").toFixed()));
    if (rec.initialBalanceUsdt !== this.initialBalanceUsdt) throw new Error(`ledger samples were folded from initial balance ${this.initialBalanceUsdt}, the record says ${rec.initialBalanceUsdt}`);
    this.rethrow();
    return result("capital-exchange-anchored", settlePending(this.items, wallets), `${this.anchors} anchors, ${this.samples} ledger samples consistent`);
  }

  static over(rec: RunRecord): CapitalAnchoredFold {
    const f = new CapitalAnchoredFold(rec.initialBalanceUsdt);
    for (const s of rec.ledgerSamples) f.ledgerSample(s);
    return f;
  }
}

/**
 * 3. Kernel estimate vs exchange, per trade (trades whose every exit settlement reached the
 * kernel): |K − E| within the anomaly tolerance per settled fill (the kernel compares fill by
 * fill), otherwise a PNL_ANOMALY is recorded for the trade; a leg booked entirely without a price
 * books exactly the exchange rp of its settlements once all arrived (the §5.2 repair, no excuse);
 * the booked figure is never silently replaced by the exchange's (only a flagged repair may
 * differ from the estimate; accounting spec §5.2).
 */
export function kernelVsExchange(rec: RunRecord, cache: TruthsCache = new TruthsCache()): InvariantResult {
  const problems: Problem[] = [];
  const tol = d(rec.pnlAnomalyToleranceUsdt, "rec.pnlAnomalyToleranceUsdt");
  const anomalies = new Set(rec.final.anomalies.filter((a) => a.code === "PNL_ANOMALY").map((a) => a.tradeId ?? ""));
  let compared = 0;
  const complete = rec.fullySettledOrders ? new Set(rec.fullySettledOrders) : undefined;
  const truths = rec.venueJournal && rec.orderOwners ? cache.get(rec.venueJournal, rec.orderOwners, rec.final.trades) : undefined;
  let unmeasured = 0;
  let unsettled = 0;
  for (const t of rec.final.trades) {
    const repaired = t.flags.includes("repaired_from_exchange");
    if (!repaired && !d(t.realizedGrossUsdt, "t.realizedGrossUsdt").equals(d(t.kernelEstimateUsdt, "t.kernelEstimateUsdt"))) {
      problems.push({ ...at(t), detail: `${t.tradeId}: booked ${t.realizedGrossUsdt} != kernel estimate ${t.kernelEstimateUsdt} without a repair flag (silent re-book)` });
    }
    if (t.exchangeRealizedUsdt === undefined) continue;
    // Compare only trades whose every exit settlement reached the kernel: a settlement lost on
    // the stream, or never emitted because no listen key was valid (sim/observer.ts
    // fullySettledOrders), is information the kernel never had.
    const legs = t.legs.filter((l) => !d(l.quantity, "l.quantity").isZero());
    problems.push(...unpricedLegProblems(t, legs, complete));
    if (legs.length === 0) continue;
    if (complete && !legs.every((l) => complete.has(l.clientOrderId))) {
      unsettled++;
      continue;
    }
    // Without the venue journal (live shadow) the netting of a trade that overlapped another trade
    // of its symbol cannot be measured: E may differ from K by it (docs/accounting.md §One-way netting).
    if (!truths && overlapsSameSymbol(t, rec.final.trades)) {
      unmeasured++;
      continue;
    }
    compared++;
    let settlements = 0;
    for (const l of legs) settlements += Math.max(1, rec.settlementCounts?.[l.clientOrderId] ?? 1);
    const gapProblem = tradeGapProblem(t, truths?.get(t.tradeId), tol, settlements);
    if (gapProblem && !anomalies.has(t.tradeId)) problems.push(gapProblem);
  }
  const skipped = unmeasured ? `; ${unmeasured} trades not compared (they overlapped another trade of their symbol and no venue journal measures the one-way netting)` : "";
  const incomplete = unsettled ? `; ${unsettled} trades not compared (an exit settlement never reached the kernel: lost on the stream or never emitted)` : "";
  return result("kernel-vs-exchange", problems, `${compared} trades compared with exchange realized; ${anomalies.size} anomalies recorded${skipped}${incomplete}`);
}

/**
 * A leg booked entirely without a price is repaired by adding the exchange's rp of each of its
 * fills (spec §5.2): once all of its order's settlements arrived (`complete`) it books exactly
 * their sum, anomaly or not (a repair that missed a settlement under-books silently otherwise).
 * One problem per leg of trade `t` that does not.
 */
function unpricedLegProblems(t: TradeRecord, legs: TradeRecord["legs"], complete: ReadonlySet<string> | undefined): Problem[] {
  const problems: Problem[] = [];
  for (const l of legs) {
    if (!d(l.pricedQty, "l.pricedQty").isZero() || l.exchangeRealizedPnlUsdt === undefined || !complete?.has(l.clientOrderId)) continue;
    if (!d(l.realizedPnlUsdt, "l.realizedPnlUsdt").equals(d(l.exchangeRealizedPnlUsdt, "l.exchangeRealizedPnlUsdt"))) {
      problems.push({ ...at(t), detail: `${t.tradeId} leg ${l.legIndex}: unpriced leg booked ${l.realizedPnlUsdt} != exchange rp ${l.exchangeRealizedPnlUsdt} with every settlement of ${l.clientOrderId} received (repair incomplete)` });
    }
  }
  return problems;
}

/**
 * |K − E| of a fully settled trade against its bound, tolerance × settled fills; the problem
 * when it exceeds it (the caller excuses a trade with a recorded PNL_ANOMALY). A repaired trade
 * books the exchange's rp for its unpriced fills and the estimate for the rest, so its booked
 * figure (not the estimate, which has 0 for unpriced fills) is compared. One-way netting
 * (docs/accounting.md §One-way netting): the venue realizes each fill against the symbol's
 * blended entry, so E differs from the slot's own figure by the netting N its journal shows
 * (`truth`: Σ rp of the trade's fills − slot truth); K + N is what E should be.
 */
function tradeGapProblem(t: TradeRecord, truth: TradeTruth | undefined, tol: Dec, settlements: number): Problem | undefined {
  const repaired = t.flags.includes("repaired_from_exchange");
  const bound = tol.times(settlements);
  const k = repaired ? t.realizedGrossUsdt : t.kernelEstimateUsdt;
  const netting = truth ? truth.exchangeRealized.plus(truth.entryRealized).minus(truth.slotRealized) : new Dec(0);
  const gap = d(k, repaired ? "t.realizedGrossUsdt" : "t.kernelEstimateUsdt").plus(repaired ? 0 : netting).minus(d(t.exchangeRealizedUsdt, "t.exchangeRealizedUsdt")).abs();
  if (!gap.greaterThan(bound)) return undefined;
  // netting and gap depend on the venue fills' VWAP (a quotient): shown, compared exact.
  const n = truth && !repaired ? ` + netting ${shown(netting)}` : "";
  return { ...at(t), detail: `${t.tradeId}: |${repaired ? "booked (repaired)" : "K"} ${k}${n} − E ${t.exchangeRealizedUsdt}| = ${shown(gap)} > ${bound.toFixed()} (${settlements} settled fills) and no PNL_ANOMALY recorded` };
}

/** Whether trade `t` was open at the same time as another trade of its symbol (one-way netting possible). */
function overlapsSameSymbol(t: TradeRecord, trades: TradeRecord[]): boolean {
  const a0 = t.openedAtUs ?? -Infinity, a1 = t.closedAtUs ?? Infinity;
  return trades.some((o) => o !== t && o.symbol === t.symbol && (o.openedAtUs ?? -Infinity) < a1 && a0 < (o.closedAtUs ?? Infinity));
}

/**
 * 4. No double settlement: Σ settled realized increments in the ledger = Σ realized of the
 * trades, and likewise for fees, across restarts (Flaw 4, accounting spec §0.3). At the end the
 * kernel's fees equal the fees the venue charged exactly: never more (a fee reported by the stream,
 * a REST reply, reconcile and FILL_SETTLED is one fee: spec §3.1, A7), never less (a fee whose
 * frame was lost is learned from the venue's commission; issue 12); every order of the run goes
 * through the kernel.
 */
export function noDoubleSettlement(rec: RunRecord): InvariantResult {
  const problems: Problem[] = [];
  const endUs = lastLedgerSampleUs(rec);
  const atEnd = (detail: string): Problem => (endUs !== undefined ? { detail, tUs: endUs } : detail);
  const l = rec.final.ledger;
  // Trades evicted from the kernel's archive (archiveCapacity) count through the ledger's totals.
  let realized = d(l.evictedRealizedUsdt, "l.evictedRealizedUsdt");
  let fees = d(l.evictedFeesUsdt, "l.evictedFeesUsdt");
  for (const t of rec.final.trades) {
    realized = realized.plus(d(t.realizedGrossUsdt, "t.realizedGrossUsdt"));
    fees = fees.plus(d(t.feesUsdt, "t.feesUsdt"));
  }
  const kernelFees = d(l.feesPaidUsdt, "l.feesPaidUsdt");
  if (!d(l.realizedPnlUsdt, "l.realizedPnlUsdt").equals(realized)) problems.push(atEnd(`ledger realized ${l.realizedPnlUsdt} != Σ trade realized ${realized.toFixed()}`));
  if (!kernelFees.equals(fees)) problems.push(atEnd(`ledger fees ${l.feesPaidUsdt} != Σ trade fees ${fees.toFixed()}`));
  // Two-sided (issue 12): after the run (liveness, flatten, fee-confirming reconciles) the kernel's
  // fees equal the fees the venue charged, exactly. More is a fee booked twice; less is a fee the
  // kernel never learned (a lost frame nobody queried: i10-duplicates-across-restarts under-booked
  // 11.82 USDT). The kernel records no anomaly kind for a fee gap, so nothing excuses one.
  const venueFees = d(rec.finalVenueLedger.feesPaidUsdt, "rec.finalVenueLedger.feesPaidUsdt");
  if (kernelFees.greaterThan(venueFees)) {
    problems.push(atEnd(`ledger fees ${l.feesPaidUsdt} > venue fees charged ${rec.finalVenueLedger.feesPaidUsdt} (a fee booked twice)`));
  } else if (kernelFees.lessThan(venueFees)) {
    problems.push(atEnd(`ledger fees ${l.feesPaidUsdt} < venue fees charged ${rec.finalVenueLedger.feesPaidUsdt} by ${venueFees.minus(kernelFees).toFixed()} (a fee never booked)`));
  }
  const ids = new Set<string>();
  for (const t of rec.final.trades) {
    if (ids.has(t.tradeId)) problems.push({ ...at(t), detail: `trade ${t.tradeId} recorded twice` });
    ids.add(t.tradeId);
  }
  return result("no-double-settlement", problems, `ledger realized ${l.realizedPnlUsdt} = Σ ${rec.final.trades.length} trades; fees ${l.feesPaidUsdt} = venue fees charged`);
}

function sideSign(t: TradeRecord): number {
  return t.side === "LONG" ? 1 : -1;
}

/**
 * 5. Dual leverage: every priced leg's realized PnL is side × (exit notional − qty × entry VWAP),
 * i.e. quantity × Δprice with no exchange-leverage factor (accounting spec §0.1, §1).
 */
export function dualLeverage(rec: RunRecord): InvariantResult {
  const problems: Problem[] = [];
  let legs = 0;
  for (const t of rec.final.trades) {
    if (t.flags.includes("entry_basis_missing") || d(t.entryVwap, "t.entryVwap").isZero()) continue;
    for (const leg of t.legs) {
      // Only fully priced legs: a leg with unpriced quantity books 0 for it, or the exchange's rp
      // once FILL_SETTLED repaired it (spec §5.2), neither of which is quantity × Δprice.
      if (leg.realizedSkippedNoPrice || d(leg.quantity, "leg.quantity").isZero() || !d(leg.pricedQty, "leg.pricedQty").equals(d(leg.quantity, "leg.quantity"))) continue;
      legs++;
      const expect = d(leg.exitNotionalUsdt, "leg.exitNotionalUsdt").minus(d(leg.quantity, "leg.quantity").times(d(t.entryVwap, "t.entryVwap"))).times(sideSign(t));
      const got = d(leg.realizedPnlUsdt, "leg.realizedPnlUsdt");
      // entryVwap is a rounded quotient (28 digits): allow that rounding, nothing more.
      const slack = d(leg.quantity, "leg.quantity").times("1e-20").plus("1e-12");
      if (got.minus(expect).abs().greaterThan(slack)) {
        const ratio = expect.isZero() ? "n/a" : shown(got.dividedBy(expect), 6);
        problems.push({ ...at(t), detail: `${t.tradeId} leg ${leg.legIndex}: realized ${leg.realizedPnlUsdt} != qty×Δprice ${expect.toFixed()} (ratio ${ratio}, leverage ${t.leverage})` });
      }
    }
  }
  return result("dual-leverage", problems, `${legs} priced legs equal quantity × Δprice`);
}

/** 6. Position parity after quiescence: kernel slot sizes per symbol = venue position. */
export function positionParity(rec: RunRecord): InvariantResult {
  const problems: Problem[] = [];
  for (const p of rec.parity) {
    const symbols = [...new Set([...Object.keys(p.kernel), ...Object.keys(p.venue)])].sort();
    for (const s of symbols) {
      // A symbol absent from one side's positions is flat there (the venue lists only open
      // positions, the kernel only symbols its slots hold), not a missing field.
      const k = d(p.kernel[s] ?? "0", `parity ${p.label} kernel ${s}`);
      const v = d(p.venue[s] ?? "0", `parity ${p.label} venue ${s}`);
      if (!k.equals(v)) problems.push({ tUs: p.tUs, symbol: s, detail: `${p.label} t=${p.tUs} ${s}: kernel ${k.toFixed()} != venue ${v.toFixed()}` });
    }
  }
  if (rec.parity.length === 0) problems.push("no quiescent point was reached to compare positions");
  return result("position-parity", problems, `${rec.parity.length} quiescent comparisons agree`);
}

/**
 * 7. Size bounds: 0 ≤ size ≤ initial size at every sample; no trade exits more than it entered;
 * a closed slot never reopens under the same trade id (Flaw 4, A1, I13).
 */
export function sizeBounds(rec: RunRecord): InvariantResult {
  const f = folded(rec)?.sizeBounds ?? SizeBoundsFold.over(rec);
  f.rethrow();
  const problems: Problem[] = [...f.sampleProblems];
  for (const t of rec.final.trades) {
    if (d(t.exitedQty, "t.exitedQty").greaterThan(d(t.quantity, "t.quantity"))) problems.push({ ...at(t), detail: `${t.tradeId}: exited ${t.exitedQty} > entered ${t.quantity} (oversell)` });
  }
  problems.push(...f.transitionProblems);
  return result("size-bounds", problems, `${f.samples} slot samples, ${rec.final.trades.length} trades within bounds`);
}

/** Invariant 7 folded over the slot samples and the transitions (RunRecord.slotSamples, .transitions). */
export class SizeBoundsFold extends StreamFold {
  samples = 0;
  readonly sampleProblems: Problem[] = [];
  readonly transitionProblems: Problem[] = [];
  /** `slot/trade` of every trade that reached CLOSED. */
  private readonly closed = new Set<string>();
  slotSample(s: SlotSample): void {
    this.samples++;
    this.guard(() => {
      const size = d(s.sizeQty, "s.sizeQty");
      const where = { tUs: s.tUs, slotId: s.slotId, tradeId: s.tradeId };
      if (size.isNegative()) this.sampleProblems.push({ ...where, detail: `t=${s.tUs} slot ${s.slotId} ${s.tradeId}: size ${s.sizeQty} < 0` });
      if (size.greaterThan(d(s.initialSizeQty, "s.initialSizeQty"))) this.sampleProblems.push({ ...where, detail: `t=${s.tUs} slot ${s.slotId} ${s.tradeId}: size ${s.sizeQty} > initial ${s.initialSizeQty}` });
    });
  }
  transition(tr: Transition): void {
    const key = `${tr.slotId}/${tr.tradeId}`;
    if (this.closed.has(key) && tr.to !== "CLOSED" && tr.to !== "IDLE") {
      this.transitionProblems.push({ tUs: tr.tsUs, slotId: tr.slotId, tradeId: tr.tradeId, detail: `t=${tr.tsUs} slot ${tr.slotId} trade ${tr.tradeId} reopened: CLOSED → ${tr.to} (${tr.trigger})` });
    }
    if (tr.to === "CLOSED") this.closed.add(key);
  }
  static over(rec: RunRecord): SizeBoundsFold {
    const f = new SizeBoundsFold();
    for (const s of rec.slotSamples) f.slotSample(s);
    for (const t of rec.transitions) f.transition(t);
    return f;
  }
}

/**
 * 8. Exits are never skipped: every EXIT / EXIT_RESIDUAL intent ends in a reduce-only exit order
 * that reached the venue, or in an explicit diagnostic (docs/architecture.md §Kernel reference 16).
 */
export function exitsNeverSkipped(rec: RunRecord): InvariantResult {
  const f = folded(rec)?.exits ?? ExitsFold.over(rec);
  const atVenue = new Set(rec.venueSubmittedClientOrderIds);
  return result("exits-never-skipped", settlePending(f.items, atVenue), `${f.exits} exit intents each ended in a venue exit order or a diagnostic`);
}

/**
 * Invariant 8 folded over the intents and their outcomes (RunRecord.intents). Whether an exit
 * order reached the venue is decided at the end, against every SUBMIT the venue received in the
 * run (RunRecord.venueSubmittedClientOrderIds).
 */
export class ExitsFold {
  exits = 0;
  /** Violations in intent order; "never reached the venue" waits for the run's venue submits. */
  readonly items: (Problem | Pending)[] = [];
  intent({ tUs, intent, outcome }: { tUs: number; intent: Intent; outcome: Outcome }): void {
    if (intent.kind !== "EXIT" && intent.kind !== "EXIT_RESIDUAL") return;
    this.exits++;
    const where = { tUs, slotId: intent.slotId };
    if (!outcome.accepted) {
      if (outcome.code === "OK") this.items.push({ ...where, detail: `t=${tUs} ${intent.intentId}: refused without a diagnostic` });
      return;
    }
    const cmd = outcome.commands.find((c) => c.kind === "SUBMIT" && c.purpose === "EXIT");
    if (!cmd || cmd.kind !== "SUBMIT") {
      this.items.push({ ...where, detail: `t=${tUs} ${intent.intentId}: accepted (${outcome.code}) but no exit order emitted` });
      return;
    }
    if (!cmd.reduceOnly) this.items.push({ ...where, detail: `t=${tUs} ${intent.intentId}: exit order ${cmd.clientOrderId} not reduce-only` });
    this.items.push({ unlessIn: cmd.clientOrderId, problem: { ...where, detail: `t=${tUs} ${intent.intentId}: exit order ${cmd.clientOrderId} never reached the venue` } });
  }
  static over(rec: RunRecord): ExitsFold {
    const f = new ExitsFold();
    for (const i of rec.intents) f.intent(i);
    return f;
  }
}

/** 9. Idempotency: a duplicated input changes nothing (Flaw 10, I10, F26). */
export function idempotency(rec: RunRecord): InvariantResult {
  const problems: Problem[] = [];
  for (const p of rec.probes) {
    if (p.beforeSha !== p.afterSha) problems.push({ tUs: p.tUs, detail: `t=${p.tUs} ${p.what}: state changed by a duplicate (codes ${p.codes.join(",")})` });
  }
  return result("idempotency", problems, `${rec.probes.length} duplicates re-fed, state unchanged`);
}

/**
 * 10. Routing: every fill lands on the slot that owns its order, or is reported UNRESOLVED_SLOT
 * with nothing mutated; never silently on slot 0 (accounting spec §6.1, G13, J8).
 */
export function routing(rec: RunRecord): InvariantResult {
  const f = folded(rec)?.routing ?? RoutingFold.over(rec);
  return result("routing", f.problems, `${f.fills} fills routed to their owning slot or UNRESOLVED_SLOT`);
}

/** Invariant 10 folded over the fills given to the kernel (RunRecord.fills). */
export class RoutingFold {
  fills = 0;
  readonly problems: Problem[] = [];
  fill(f: FillRoute): void {
    this.fills++;
    const id = `${f.eventId} (order ${f.venueOrderId ?? "?"}/${f.clientOrderId ?? "?"})`;
    if (f.code === "UNRESOLVED_SLOT") {
      if (f.changedSlots.length > 0) this.problems.push({ tUs: f.tUs, slotId: f.changedSlots[0], detail: `t=${f.tUs} ${id}: UNRESOLVED_SLOT but slots ${f.changedSlots.join(",")} changed` });
      return;
    }
    const wrong = f.changedSlots.filter((s) => s !== f.expectedSlot);
    if (wrong.length > 0) {
      this.problems.push({ tUs: f.tUs, slotId: wrong[0], detail: `t=${f.tUs} ${id}: owned by slot ${f.expectedSlot ?? "none"} but landed on slot ${wrong.join(",")}${wrong.includes(0) ? " (slot-0 fallback)" : ""}` });
    }
  }
  static over(rec: RunRecord): RoutingFold {
    const f = new RoutingFold();
    for (const x of rec.fills) f.fill(x);
    return f;
  }
}

/** 11. Liveness: after faults heal, every slot is quiescent within the bound. */
export function liveness(rec: RunRecord): InvariantResult {
  const problems: Problem[] = [];
  const l = rec.liveness;
  if (!l) return result("liveness", ["the liveness phase did not run"], "");
  l.quiescentAtUs.forEach((t, i) => {
    if (t === null) problems.push({ slotId: i, tUs: l.healUs + l.boundUs, detail: `slot ${i} never quiescent (stage ${l.stagesAtBound[i]} at the bound)` });
    else if (t > l.healUs + l.boundUs) problems.push({ slotId: i, tUs: t, detail: `slot ${i} quiescent only ${t - l.healUs}µs after healing (bound ${l.boundUs}µs)` });
  });
  return result("liveness", problems, `${l.quiescentAtUs.length} slots quiescent within ${l.boundUs}µs of healing`);
}

/** 12. Determinism: the same run gives the same trace hash. */
export function determinism(rec: RunRecord): InvariantResult {
  if (rec.hashes.length < 2) {
    const single = rec.hashes.length === 1 ? `single hash ${rec.hashes[0]}` : "trace hash not computed";
    return { name: "determinism", ok: true, status: "not-checked", detail: `not checked: not re-executed (checkDeterminism off): ${single}` };
  }
  const problems = rec.hashes.slice(1).flatMap((h, i) => (h === rec.hashes[0] ? [] : [`execution ${i + 2} hash ${h} != ${rec.hashes[0]}`]));
  return result("determinism", problems, `${rec.hashes.length} executions, trace hash ${rec.hashes[0]}`);
}

/** All twelve, in docs/architecture.md order. */
export const INVARIANTS = [
  venueConservation,
  capitalExchangeAnchored,
  kernelVsExchange,
  noDoubleSettlement,
  dualLeverage,
  positionParity,
  sizeBounds,
  exitsNeverSkipped,
  idempotency,
  routing,
  liveness,
  determinism,
] as const;

/**
 * Run every invariant over the record. A checker that throws is reported as a failed invariant.
 * `cache` holds the venue truths kernel-vs-exchange reads; sim/run.ts shares one with checkOracle.
 */
export function checkInvariants(rec: RunRecord, cache: TruthsCache = new TruthsCache()): InvariantResult[] {
  return INVARIANTS.map((f, i) => {
    try {
      return f(rec, cache);
    } catch (e) {
      return { name: INVARIANT_NAMES[i], ok: false, status: "checked", detail: `checker error: ${(e as Error).message}`, evidence: [{ detail: `checker error: ${(e as Error).message}` }] };
    }
  });
}

export const INVARIANT_NAMES = [
  "venue-conservation",
  "capital-exchange-anchored",
  "kernel-vs-exchange",
  "no-double-settlement",
  "dual-leverage",
  "position-parity",
  "size-bounds",
  "exits-never-skipped",
  "idempotency",
  "routing",
  "liveness",
  "determinism",
] as const;
