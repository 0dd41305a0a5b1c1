/**
 * The invariant checker: the 12 ledger invariants of docs/architecture.md (§Ledger invariants), each a
 * named function over the run record (sim/record.ts, derived from the trace) returning
 * { name, ok, detail }. `checkInvariants(record)` runs all twelve in docs/architecture.md order.
 *
 * Every invariant can fail: sim/invariants.test.ts feeds each one a doctored record.
 */
import type { TradeRecord } from "../kernel/types.js";
import type { InvariantEvidence, InvariantResult } from "./types.js";
import type { RunRecord } from "./record.js";
import { Dec, shown } from "./num.js";
import { tradeTruths } from "./oracle.js";

const MAX_DETAIL_ITEMS = 5;

/** One violation: its text, or its text with where it is (slot, trade, symbol, time). */
type Problem = string | InvariantEvidence;

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
 * 1. Venue conservation: wallet = initial + Σ realized − Σ fees + Σ funding, exactly, at every
 * sampled venue ledger and at the end (venue's own books; docs/bingx-protocol.md §9).
 */
export function venueConservation(rec: RunRecord): InvariantResult {
  const problems: Problem[] = [];
  const all = [...rec.venueLedgers, { tUs: -1, ledger: rec.finalVenueLedger }];
  for (const { tUs, ledger: l } of all) {
    const expect = d(l.initialBalanceUsdt, "l.initialBalanceUsdt").plus(d(l.realizedPnlUsdt, "l.realizedPnlUsdt")).minus(d(l.feesPaidUsdt, "l.feesPaidUsdt")).plus(d(l.fundingUsdt, "l.fundingUsdt"));
    if (!expect.equals(d(l.walletBalanceUsdt, "l.walletBalanceUsdt"))) {
      const detail = `t=${tUs < 0 ? "end" : tUs}: wallet ${l.walletBalanceUsdt} != initial ${l.initialBalanceUsdt} + realized ${l.realizedPnlUsdt} − fees ${l.feesPaidUsdt} + funding ${l.fundingUsdt} = ${expect.toFixed()}`;
      problems.push(tUs < 0 ? detail : { detail, tUs });
    }
  }
  if (!d(rec.finalVenueLedger.initialBalanceUsdt, "rec.finalVenueLedger.initialBalanceUsdt").equals(d(rec.initialBalanceUsdt, "rec.initialBalanceUsdt"))) {
    problems.push(`venue initial ${rec.finalVenueLedger.initialBalanceUsdt} != scenario initial ${rec.initialBalanceUsdt}`);
  }
  return result("venue-conservation", problems, `${all.length} venue ledger samples balance exactly; final wallet ${rec.finalVenueLedger.walletBalanceUsdt}`);
}

/**
 * 2. Published capital is exchange-anchored: after each anchor it equals the wallet balance the
 * venue reported (and that wallet is one the venue ledger really held); between anchors it moves
 * only by bridged realized PnL net of fees (plus funding) since the anchor (accounting spec §3.1).
 */
export function capitalExchangeAnchored(rec: RunRecord): InvariantResult {
  const problems: Problem[] = [];
  const wallets = new Set(rec.venueWallets.map((w) => d(w, "venueWallets[]").toFixed()));
  let base = { capital: d(rec.initialBalanceUsdt, "rec.initialBalanceUsdt"), realized: new Dec(0), fees: new Dec(0), funding: new Dec(0) };
  let anchors = 0;
  let prev: (typeof rec.ledgerSamples)[number] | undefined;
  for (const s of rec.ledgerSamples) {
    const l = s.ledger;
    const capital = d(l.capitalUsdt, "l.capitalUsdt");
    if (s.cause === "restore" && prev) {
      // Restart (I9, accounting spec §0.3): the restored ledger is the saved one.
      for (const f of ["capitalUsdt", "realizedPnlUsdt", "feesPaidUsdt", "fundingUsdt"] as const) {
        if (!d(l[f], f).equals(d(prev.ledger[f], `previous ${f}`))) problems.push({ tUs: s.tUs, detail: `t=${s.tUs}: ${f} ${prev.ledger[f]} before the restart, ${l[f]} after restore` });
      }
    }
    prev = s;
    if (s.cause === "anchor" || s.cause === "restore") {
      if (s.cause === "anchor") {
        anchors++;
        if (s.anchoredWalletUsdt === undefined) {
          problems.push({ tUs: s.tUs, detail: `t=${s.tUs}: anchor sample without the wallet it was given` });
        } else {
          if (!capital.equals(d(s.anchoredWalletUsdt, "s.anchoredWalletUsdt"))) problems.push({ tUs: s.tUs, detail: `t=${s.tUs}: capital ${l.capitalUsdt} != anchored wallet ${s.anchoredWalletUsdt}` });
          if (!wallets.has(d(s.anchoredWalletUsdt, "s.anchoredWalletUsdt").toFixed())) problems.push({ tUs: s.tUs, detail: `t=${s.tUs}: anchored wallet ${s.anchoredWalletUsdt} was never a venue wallet balance` });
        }
      }
      base = { capital, realized: d(l.realizedPnlUsdt, "l.realizedPnlUsdt"), fees: d(l.feesPaidUsdt, "l.feesPaidUsdt"), funding: d(l.fundingUsdt, "l.fundingUsdt") };
      continue;
    }
    const bridged = d(l.realizedPnlUsdt, "l.realizedPnlUsdt").minus(base.realized).minus(d(l.feesPaidUsdt, "l.feesPaidUsdt").minus(base.fees)).plus(d(l.fundingUsdt, "l.fundingUsdt").minus(base.funding));
    const moved = capital.minus(base.capital);
    if (!moved.equals(bridged)) {
      problems.push({ tUs: s.tUs, detail: `t=${s.tUs} (${s.cause}): capital moved ${moved.toFixed()} since the anchor but bridged realized − fees + funding = ${bridged.toFixed()}` });
    }
  }
  return result("capital-exchange-anchored", problems, `${anchors} anchors, ${rec.ledgerSamples.length} ledger samples consistent`);
}

/**
 * 3. Kernel estimate vs exchange, per trade (trades whose every exit settlement reached the
 * kernel): |K − E| within the anomaly tolerance per settled fill (the kernel compares fill by
 * fill), otherwise a PNL_ANOMALY is recorded for the trade; a leg booked entirely without a price
 * books exactly the exchange rp of its settlements once all arrived (the §5.2 repair, no excuse);
 * the booked figure is never silently replaced by the exchange's (only a flagged repair may
 * differ from the estimate; accounting spec §5.2).
 */
export function kernelVsExchange(rec: RunRecord): InvariantResult {
  const problems: Problem[] = [];
  const tol = d(rec.pnlAnomalyToleranceUsdt, "rec.pnlAnomalyToleranceUsdt");
  const anomalies = new Set(rec.final.anomalies.filter((a) => a.code === "PNL_ANOMALY").map((a) => a.tradeId ?? ""));
  let compared = 0;
  const complete = rec.fullySettledOrders ? new Set(rec.fullySettledOrders) : undefined;
  const truths = rec.venueJournal && rec.orderOwners ? tradeTruths(rec.venueJournal, rec.orderOwners, rec.final.trades) : undefined;
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
    // A leg booked entirely without a price is repaired by adding the exchange's rp of each of its
    // fills (spec §5.2): once all of its order's settlements arrived it books exactly their sum,
    // anomaly or not (a repair that missed a settlement under-books silently otherwise).
    for (const l of legs) {
      if (!d(l.pricedQty, "l.pricedQty").isZero() || l.exchangeRealizedPnlUsdt === undefined || !complete?.has(l.clientOrderId)) continue;
      if (!d(l.realizedPnlUsdt, "l.realizedPnlUsdt").equals(d(l.exchangeRealizedPnlUsdt, "l.exchangeRealizedPnlUsdt"))) {
        problems.push({ ...at(t), detail: `${t.tradeId} leg ${l.legIndex}: unpriced leg booked ${l.realizedPnlUsdt} != exchange rp ${l.exchangeRealizedPnlUsdt} with every settlement of ${l.clientOrderId} received (repair incomplete)` });
      }
    }
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
    const bound = tol.times(settlements);
    // A repaired trade books the exchange's rp for its unpriced fills and the estimate for the
    // rest, so its booked figure (not the estimate, which has 0 for unpriced fills) is compared.
    const k = repaired ? t.realizedGrossUsdt : t.kernelEstimateUsdt;
    // One-way netting (docs/accounting.md §One-way netting): the venue realizes each fill against
    // the symbol's blended entry, so E differs from the slot's own figure by the netting N the
    // venue's journal shows (Σ rp of the trade's fills − slot truth); K + N is what E should be.
    const v = truths?.get(t.tradeId);
    const netting = v ? v.exchangeRealized.plus(v.entryRealized).minus(v.slotRealized) : new Dec(0);
    const gap = d(k, repaired ? "t.realizedGrossUsdt" : "t.kernelEstimateUsdt").plus(repaired ? 0 : netting).minus(d(t.exchangeRealizedUsdt, "t.exchangeRealizedUsdt")).abs();
    if (gap.greaterThan(bound) && !anomalies.has(t.tradeId)) {
      // netting and gap depend on the venue fills' VWAP (a quotient): shown, compared exact.
      const n = v && !repaired ? ` + netting ${shown(netting)}` : "";
      problems.push({ ...at(t), detail: `${t.tradeId}: |${repaired ? "booked (repaired)" : "K"} ${k}${n} − E ${t.exchangeRealizedUsdt}| = ${shown(gap)} > ${bound.toFixed()} (${settlements} settled fills) and no PNL_ANOMALY recorded` });
    }
  }
  const skipped = unmeasured ? `; ${unmeasured} trades not compared (they overlapped another trade of their symbol and no venue journal measures the one-way netting)` : "";
  const incomplete = unsettled ? `; ${unsettled} trades not compared (an exit settlement never reached the kernel: lost on the stream or never emitted)` : "";
  return result("kernel-vs-exchange", problems, `${compared} trades compared with exchange realized; ${anomalies.size} anomalies recorded${skipped}${incomplete}`);
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
  const endUs = rec.ledgerSamples.length > 0 ? rec.ledgerSamples[rec.ledgerSamples.length - 1]!.tUs : undefined;
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
  const problems: Problem[] = [];
  for (const s of rec.slotSamples) {
    const size = d(s.sizeQty, "s.sizeQty");
    const where = { tUs: s.tUs, slotId: s.slotId, tradeId: s.tradeId };
    if (size.isNegative()) problems.push({ ...where, detail: `t=${s.tUs} slot ${s.slotId} ${s.tradeId}: size ${s.sizeQty} < 0` });
    if (size.greaterThan(d(s.initialSizeQty, "s.initialSizeQty"))) problems.push({ ...where, detail: `t=${s.tUs} slot ${s.slotId} ${s.tradeId}: size ${s.sizeQty} > initial ${s.initialSizeQty}` });
  }
  for (const t of rec.final.trades) {
    if (d(t.exitedQty, "t.exitedQty").greaterThan(d(t.quantity, "t.quantity"))) problems.push({ ...at(t), detail: `${t.tradeId}: exited ${t.exitedQty} > entered ${t.quantity} (oversell)` });
  }
  const closed = new Set<string>();
  for (const tr of rec.transitions) {
    const key = `${tr.slotId}/${tr.tradeId}`;
    if (closed.has(key) && tr.to !== "CLOSED" && tr.to !== "IDLE") {
      problems.push({ tUs: tr.tsUs, slotId: tr.slotId, tradeId: tr.tradeId, detail: `t=${tr.tsUs} slot ${tr.slotId} trade ${tr.tradeId} reopened: CLOSED → ${tr.to} (${tr.trigger})` });
    }
    if (tr.to === "CLOSED") closed.add(key);
  }
  return result("size-bounds", problems, `${rec.slotSamples.length} slot samples, ${rec.final.trades.length} trades within bounds`);
}

/**
 * 8. Exits are never skipped: every EXIT / EXIT_RESIDUAL intent ends in a reduce-only exit order
 * that reached the venue, or in an explicit diagnostic (docs/architecture.md §Kernel reference 16).
 */
export function exitsNeverSkipped(rec: RunRecord): InvariantResult {
  const problems: Problem[] = [];
  const atVenue = new Set(rec.venueSubmittedClientOrderIds);
  let exits = 0;
  for (const { tUs, intent, outcome } of rec.intents) {
    if (intent.kind !== "EXIT" && intent.kind !== "EXIT_RESIDUAL") continue;
    exits++;
    const where = { tUs, slotId: intent.slotId };
    if (!outcome.accepted) {
      if (outcome.code === "OK") problems.push({ ...where, detail: `t=${tUs} ${intent.intentId}: refused without a diagnostic` });
      continue;
    }
    const cmd = outcome.commands.find((c) => c.kind === "SUBMIT" && c.purpose === "EXIT");
    if (!cmd || cmd.kind !== "SUBMIT") {
      problems.push({ ...where, detail: `t=${tUs} ${intent.intentId}: accepted (${outcome.code}) but no exit order emitted` });
      continue;
    }
    if (!cmd.reduceOnly) problems.push({ ...where, detail: `t=${tUs} ${intent.intentId}: exit order ${cmd.clientOrderId} not reduce-only` });
    if (!atVenue.has(cmd.clientOrderId)) problems.push({ ...where, detail: `t=${tUs} ${intent.intentId}: exit order ${cmd.clientOrderId} never reached the venue` });
  }
  return result("exits-never-skipped", problems, `${exits} exit intents each ended in a venue exit order or a diagnostic`);
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
  const problems: Problem[] = [];
  for (const f of rec.fills) {
    const id = `${f.eventId} (order ${f.venueOrderId ?? "?"}/${f.clientOrderId ?? "?"})`;
    if (f.code === "UNRESOLVED_SLOT") {
      if (f.changedSlots.length > 0) problems.push({ tUs: f.tUs, slotId: f.changedSlots[0], detail: `t=${f.tUs} ${id}: UNRESOLVED_SLOT but slots ${f.changedSlots.join(",")} changed` });
      continue;
    }
    const wrong = f.changedSlots.filter((s) => s !== f.expectedSlot);
    if (wrong.length > 0) {
      problems.push({ tUs: f.tUs, slotId: wrong[0], detail: `t=${f.tUs} ${id}: owned by slot ${f.expectedSlot ?? "none"} but landed on slot ${wrong.join(",")}${wrong.includes(0) ? " (slot-0 fallback)" : ""}` });
    }
  }
  return result("routing", problems, `${rec.fills.length} fills routed to their owning slot or UNRESOLVED_SLOT`);
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

/** Run every invariant over the record. A checker that throws is reported as a failed invariant. */
export function checkInvariants(rec: RunRecord): InvariantResult[] {
  return INVARIANTS.map((f, i) => {
    try {
      return f(rec);
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
