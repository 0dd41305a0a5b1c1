//! Reconcile with the venue's truth after a restart or a lost stream (Flaw 11, I14). Part of `Kernel` (kernel.rs); moved out of the one-file kernel (issue 11).

use super::*;

/// Take a reconcile report's cumulative fee (the venue's own commission for the order, REST query /
/// reconcile) for order `oi` of trade `s`: the order books the largest of its fee views (spec
/// §3.1, A7), so a fee whose stream frame was lost (restart, lost frame, expired listen key) is
/// booked now and one already booked is not booked again. When the report states a terminal
/// status at exactly the booked quantity, the order's fee is confirmed and it leaves
/// SlotImage.feeUnconfirmedOrders. Quantities and stages are never touched (a CLOSED or archived
/// trade takes its fee and nothing else, I13). The caller settles the slot into the ledger.
pub fn apply_fee_report(s: &mut SlotState, oi: usize, ro: &ReconcileOrder) -> KResult<()> {
    let terminal = matches!(ro.status.as_str(), "FILLED" | "CANCELLED" | "EXPIRED");
    let o = &mut s.orders[oi];
    let f = match ro.fee {
        Some(f) if !f.is_sign_negative() || f.is_zero() => f,
        _ => return Ok(()),
    };
    let before = o.booked_fee();
    o.fee_cumulative = order_fee(o.fee_cumulative, f);
    let now = o.booked_fee();
    let delta = dec::sub(now, before)?;
    if terminal && ro.executed_qty == o.filled_qty {
        o.fee_confirmed = true;
    }
    if !delta.is_zero() {
        let coid = o.client_order_id.clone();
        s.fees = dec::add(s.fees, delta)?;
        if let Some(l) = s.legs.iter_mut().find(|l| l.client_order_id == coid) {
            l.fees = now;
        }
    }
    Ok(())
}

impl Kernel {
    /// Take a reconcile report's cumulative fee for order `oi` of slot `si` ({@link apply_fee_report}).
    pub(super) fn reconcile_fee(&mut self, si: usize, oi: usize, ro: &ReconcileOrder) -> KResult<()> {
        apply_fee_report(&mut self.slots[si], oi, ro)
    }

    /// Reconcile against venue truth (Flaw 11, I14): apply missing fills as cumulative fills
    /// (idempotent), resolve finished orders, resume STALE_STATE_RECONCILING slots, and report
    /// RECONCILE_MISMATCH for residual disagreements instead of overwriting.
    /// Steps: match the report's orders (plan_reconcile); swap stale slots to their resume stage;
    /// apply archived orders' fees, drop references to evicted orders, reconcile each matched
    /// order; record the resumed slots' transitions; collect the residual disagreements
    /// (positions, the netting mirror, working orders the report lacks); then the outcome.
    pub fn reconcile(&mut self, rep: &ReconcileReport) -> Out {
        let before = self.ledger.clone();
        let plan = self.plan_reconcile(rep);
        let mut out = Out::ok("reconciled");
        let mut mismatches: Vec<String> = Vec::new();
        // Swap stale slots to their resume stage for the duration of reconcile.
        let stale: Vec<usize> = (0..self.slots.len()).filter(|&i| self.slots[i].stage == Stage::StaleStateReconciling).collect();
        for &si in &stale {
            let r = self.slots[si].resume_stage.unwrap_or(Stage::PositionOpen);
            self.slots[si].stage = r;
        }
        let mut inner = Out::ok("");
        let mut reopened: Vec<String> = Vec::new();
        for &(ri, ai, oi) in &plan.archived {
            if let Err(e) = self.reconcile_archived(ai, oi, &rep.orders[ri], rep.ts_us, &mut inner) {
                mismatches.push(e.0);
            }
        }
        self.drop_evicted_fee_refs(rep, &plan.unmatched);
        for &(ri, si, oi) in &plan.live {
            self.reconcile_order(si, oi, &rep.orders[ri], rep.ts_us, &stale, &mut inner, &mut mismatches, &mut reopened);
        }
        self.resumed_transitions(&stale, inner, rep.ts_us, &mut out);
        self.position_mismatches(rep, &mut mismatches);
        // The one-way netting mirror follows the venue's positions (docs/accounting.md §One-way netting).
        if let Err(e) = self.reseed_netting(rep) {
            mismatches.push(e.0);
        }
        self.unreported_working_orders(rep, &mut mismatches);
        reconcile_outcome(&mut out, &plan.unmatched, &reopened, &mismatches, stale.len());
        // Venue ids learned from the report: inputs parked for them replay now (spec §6.2), not on
        // the next unrelated ORDER_ACK (chaos seed 11962: a slot-0 settlement parked under an id
        // reconcile taught was replayed only inside another order's fill, ~33 s later).
        self.replay_parked(&mut out);
        self.finish(&before, out)
    }

    /// Match each reported order to the kernel by identity only, never by state: the client order
    /// id first (a NOT_FOUND order carries no real venue id, e.g. "0"), then the venue order id.
    /// A working slot's order goes to `live`, an order of a trade already archived (its slot
    /// re-entered) to `archived` (its fee only), anything else to `unmatched` (its venue id).
    fn plan_reconcile(&self, rep: &ReconcileReport) -> ReconcilePlan {
        let mut plan = ReconcilePlan { live: Vec::new(), archived: Vec::new(), unmatched: Vec::new() };
        for (ri, o) in rep.orders.iter().enumerate() {
            let r = match o.client_order_id.as_deref() {
                Some(c) => self.route(&o.symbol, None, Some(c), None),
                None => self.route(&o.symbol, Some(&o.venue_order_id), None, None),
            };
            match r {
                Route::Found { si, oi, by_state: false, .. } => plan.live.push((ri, si, oi)),
                _ => match self.locate_trade(&o.symbol, None, Some(o.venue_order_id.as_str()).filter(|v| *v != "0"), o.client_order_id.as_deref()) {
                    Some((true, ai, Some(oi))) => plan.archived.push((ri, ai, oi)),
                    _ => plan.unmatched.push(o.venue_order_id.clone()),
                },
            }
        }
        plan
    }

    /// A fee reference whose order no longer exists anywhere (evicted from the archive) is dropped
    /// from every slot's archived fee references.
    fn drop_evicted_fee_refs(&mut self, rep: &ReconcileReport, unmatched: &[String]) {
        for o in rep.orders.iter() {
            if let Some(c) = &o.client_order_id {
                if unmatched.contains(&o.venue_order_id) {
                    for sl in self.slots.iter_mut() {
                        sl.archived_fee_refs.retain(|f| &f.client_order_id != c);
                    }
                }
            }
        }
    }

    /// The transitions of a reconcile: STALE_STATE_RECONCILING → the reconciled stage for each
    /// resumed slot (its stage's side effects, e.g. CLOSED → tradeSeq, already happened while it
    /// was swapped in), then the transitions `inner` made on the other slots.
    fn resumed_transitions(&mut self, stale: &[usize], inner: Out, ts: i64, out: &mut Out) {
        for si in 0..self.slots.len() {
            if stale.contains(&si) {
                let to = self.slots[si].stage;
                self.slots[si].resume_stage = None;
                out.transitions.push(Transition { slot_id: si, trade_id: self.slots[si].trade_id.clone(), from: Stage::StaleStateReconciling, to, trigger: "RECONCILE".into(), ts_us: ts });
            }
        }
        for t in inner.transitions {
            if !stale.contains(&t.slot_id) {
                out.transitions.push(t);
            }
        }
    }

    /// A disagreement for each order working in the kernel that the report does not list (by venue
    /// or client order id).
    fn unreported_working_orders(&self, rep: &ReconcileReport, mismatches: &mut Vec<String>) {
        for (si, s) in self.slots.iter().enumerate() {
            for o in s.orders.iter().filter(|o| o.live) {
                let reported = rep.orders.iter().any(|r| Some(r.venue_order_id.as_str()) == o.venue_order_id.as_deref() || r.client_order_id.as_deref() == Some(o.client_order_id.as_str()));
                if !reported {
                    mismatches.push(format!("slot {} order {} working in the kernel, absent from the report", si, o.client_order_id));
                }
            }
        }
    }
}

/// The reported orders of a reconcile, matched (Kernel::plan_reconcile): (report index, slot,
/// order) of working slots' orders, (report index, archive index, order) of archived trades'
/// orders, and the venue ids of the rest.
struct ReconcilePlan {
    live: Vec<(usize, usize, usize)>,
    archived: Vec<(usize, usize, usize)>,
    unmatched: Vec<String>,
}

/// A reconcile's outcome fields: unmatched orders, cleared cancel requests, and, when any
/// disagreement is left, RECONCILE_MISMATCH (accepted; nothing overwritten) listing them; always
/// the number of resumed slots.
fn reconcile_outcome(out: &mut Out, unmatched: &[String], reopened: &[String], mismatches: &[String], resumed: usize) {
    if !unmatched.is_empty() {
        out.set("unmatchedOrders", DVal::S(unmatched.join(",")));
    }
    if !reopened.is_empty() {
        out.set("cancelRequestCleared", DVal::S(reopened.join(",")));
    }
    if !mismatches.is_empty() {
        out.accepted = true;
        out.code = Code::ReconcileMismatch;
        out.severity = Severity::Warning;
        out.message = format!("reconciled with {} residual disagreement(s); nothing overwritten", mismatches.len()).into();
        out.set("mismatches", DVal::S(mismatches.join("; ")));
    }
    out.set("resumedSlots", DVal::N(resumed as i64));
}

impl Kernel {
    /// An order of a trade already archived (its slot re-entered): the report's fee, and its
    /// avgPrice for exit fills booked without a price (reprice.rs); settled into the ledger.
    fn reconcile_archived(&mut self, ai: usize, oi: usize, ro: &ReconcileOrder, ts: i64, out: &mut Out) -> KResult<()> {
        let mut s = self.archive[ai].clone();
        apply_fee_report(&mut s, oi, ro)?;
        self.ledger.settle(&mut s)?;
        if s.orders[oi].fee_confirmed {
            let c = s.orders[oi].client_order_id.clone();
            for sl in self.slots.iter_mut() {
                sl.archived_fee_refs.retain(|f| f.client_order_id != c);
            }
        }
        self.archive.set(ai, s);
        if ro.executed_qty == self.archive[ai].orders[oi].filled_qty {
            self.reprice_in_archive(ai, oi, ro.executed_qty, ro.avg_price, ts, out)?;
        }
        Ok(())
    }

    /// One reported order of live slot `si`: missing fills booked as a cumulative fill, unpriced
    /// exit fills re-priced from the report's avgPrice, the fee taken, a finished order ended, a
    /// stale cancel request cleared; the slot settled. Disagreements go to `mismatches`.
    #[allow(clippy::too_many_arguments)]
    fn reconcile_order(&mut self, si: usize, oi: usize, ro: &ReconcileOrder, ts: i64, stale: &[usize], inner: &mut Out, mismatches: &mut Vec<String>, reopened: &mut Vec<String>) {
        let filled = self.slots[si].orders[oi].filled_qty;
        if ro.executed_qty == filled && !filled.is_zero() {
            // Nothing new: the report's avgPrice still prices exit fills booked without one.
            if let Err(e) = self.reprice_in_slot(si, oi, filled, ro.avg_price, ts, inner) {
                mismatches.push(e.0);
            }
        }
        if self.slots[si].stage == Stage::Closed {
            // A closed trade never reopens (I13): only the venue's fee and price figures are taken.
            if let Err(e) = self.reconcile_fee(si, oi, ro).and_then(|_| self.settle_slot(si)) {
                mismatches.push(e.0);
            }
            return;
        }
        {
            let o = &mut self.slots[si].orders[oi];
            if o.venue_order_id.is_none() && ro.status != "NOT_FOUND" && ro.venue_order_id != "0" {
                o.venue_order_id = Some(ro.venue_order_id.clone());
            }
            if ro.status != "NOT_FOUND" {
                o.acked = true;
            }
        }
        if ro.executed_qty > filled {
            let ev = reconcile_fill_event(ro, ts);
            match self.apply_fill(si, oi, &ev) {
                Ok(o) => inner.transitions.extend(o.transitions),
                Err(e) => mismatches.push(format!("order {}: {}", ro.venue_order_id, e.0)),
            }
        } else if ro.executed_qty < filled {
            mismatches.push(format!("order {}: venue executedQty {} < kernel filled {}", ro.venue_order_id, dec::fmt(ro.executed_qty), dec::fmt(filled)));
        }
        // The report's cumulative fee is booked whatever the quantity did (the largest view,
        // once), and confirms the order's fee when the order is done at that quantity.
        if let Err(e) = self.reconcile_fee(si, oi, ro) {
            mismatches.push(e.0);
        }
        self.reconcile_status(si, oi, ro, ts, stale, inner, reopened);
        if let Err(e) = self.settle_slot(si) {
            mismatches.push(e.0);
        }
    }

    /// The reported status of order `oi` of slot `si`: a finished order ends; a working one after
    /// a restart drops a cancel request the dead process made (I14 / E17) and moves a REQUESTED
    /// stage to WORKING.
    #[allow(clippy::too_many_arguments)]
    fn reconcile_status(&mut self, si: usize, oi: usize, ro: &ReconcileOrder, ts: i64, stale: &[usize], inner: &mut Out, reopened: &mut Vec<String>) {
        let live = self.slots[si].orders[oi].live;
        match ro.status.as_str() {
            "CANCELLED" | "EXPIRED" | "NOT_FOUND" | "FILLED" => {
                if live {
                    self.finish_order(si, oi, "RECONCILE", ts, inner);
                }
            }
            _ => {
                // Still working at the venue after a restart: a cancel requested before it was
                // in flight in the process that died (its fate unknown, evidently not applied),
                // so the request is cleared and a new CANCEL may be sent (else the slot waits
                // for a CANCEL_ACK that never comes: a stranded order, I14 / E17).
                if live && stale.contains(&si) && self.slots[si].orders[oi].cancel_requested {
                    self.slots[si].orders[oi].cancel_requested = false;
                    let c = self.slots[si].orders[oi].client_order_id.clone();
                    reopened.push(c);
                }
                if live {
                    let st = self.slots[si].stage;
                    let p = self.slots[si].orders[oi].purpose;
                    if p == Purpose::Entry && st == Stage::OrderRequested {
                        self.set_stage(si, Stage::EntryWorking, "RECONCILE", ts, inner);
                    } else if p == Purpose::Exit && st == Stage::ExitRequested {
                        self.set_stage(si, Stage::ExitWorking, "RECONCILE", ts, inner);
                    }
                }
            }
        }
    }

    /// Positions: Σ kernel size per symbol (LONG +, SHORT −) vs the venue's; each difference is a mismatch.
    fn position_mismatches(&self, rep: &ReconcileReport, mismatches: &mut Vec<String>) {
        let mut symbols: Vec<String> = rep.positions.iter().map(|p| p.symbol.clone()).collect();
        for s in &self.slots {
            if s.size > Decimal::ZERO && !symbols.contains(&s.symbol) {
                symbols.push(s.symbol.clone());
            }
        }
        symbols.sort();
        symbols.dedup();
        for sym in symbols {
            let mut k = Decimal::ZERO;
            let mut v = Decimal::ZERO;
            let mut overflow = false;
            for s in self.slots.iter().filter(|s| s.symbol == sym) {
                match dec::mul(s.sign(), s.size).and_then(|x| dec::add(k, x)) {
                    Ok(x) => k = x,
                    Err(_) => overflow = true,
                }
            }
            for p in rep.positions.iter().filter(|p| p.symbol == sym) {
                let q = if p.position_side == "SHORT" { -p.quantity } else { p.quantity };
                match dec::add(v, q) {
                    Ok(x) => v = x,
                    Err(_) => overflow = true,
                }
            }
            if overflow {
                mismatches.push(format!("{}: position sum overflows", sym));
                continue;
            }
            if k != v {
                mismatches.push(format!("{}: kernel net {} vs venue {}", sym, dec::fmt(k), dec::fmt(v)));
            }
        }
    }
}

/// The cumulative fill a reconcile report states for an order (executedQty at avgPrice, its fee).
fn reconcile_fill_event(ro: &ReconcileOrder, ts: i64) -> VenueEvent {
    VenueEvent {
        kind: if ro.status == "FILLED" { VenueKind::FullFill } else { VenueKind::PartialFill },
        event_id: format!("reconcile:{}:{}", ro.venue_order_id, dec::fmt(ro.executed_qty)),
        ts_us: ts,
        symbol: ro.symbol.clone(),
        venue_order_id: Some(ro.venue_order_id.clone()),
        client_order_id: ro.client_order_id.clone(),
        slot_hint: None,
        fill_qty: Some(ro.executed_qty),
        cumulative_qty: true,
        fill_price: Some(ro.avg_price),
        fee: ro.fee,
        cumulative_fee: true,
        venue_code: None,
        reason: None,
        retry_after_ms: None,
    }
}
