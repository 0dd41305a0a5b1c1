//! Fills: quantity / price / fee bookkeeping of entry and exit fills, pending settlements. Part of `Kernel` (kernel.rs); moved out of the one-file kernel (issue 11).

use super::*;

/// Everything a fill changes, computed before anything is committed (an overflow changes nothing).
pub(super) struct FillCalc {
    /// Quantity booked now (clamped to the order / position, I8, A3).
    pub q: Decimal,
    pub overfill: bool,
    /// Notional of this increment and whether it had a true price.
    pub notional: Decimal,
    pub priced: bool,
    /// The order's figures after the fill.
    pub new_filled: Decimal,
    pub new_order_notional: Decimal,
    pub new_unpriced: Decimal,
    pub new_fee_booked: Decimal,
    pub new_fee_cumulative: Decimal,
    pub order_fee_now: Decimal,
    pub slot_fees: Decimal,
    pub complete: bool,
    /// Entry basis backfill: (notional added, quantity priced).
    pub backfill: Option<(Decimal, Decimal)>,
    /// Exit re-pricing: the report's (cumQty, avgPrice) re-prices every unpriced fill of the order
    /// once this increment is booked (docs/accounting.md §Missing prices).
    pub exit_reprice: Option<(Decimal, Decimal)>,
}

impl Kernel {
    /// Book a fill on order `oi` of slot `si` (INCREMENTAL or CUMULATIVE quantity and fee).
    /// Everything is computed first (`fill_calc`), then committed (entry or exit path): an
    /// overflow changes nothing.
    pub(super) fn apply_fill(&mut self, si: usize, oi: usize, ev: &VenueEvent) -> KResult<Out> {
        let c = self.fill_calc(si, oi, ev)?;
        let mut out = if c.overfill {
            Out::new(true, Code::Overfill, Severity::Warning, format!("fill beyond the order/position quantity: clamped to {} (I8, A3)", dec::fmt(c.q)))
        } else {
            Out::ok(if ev.kind == VenueKind::FullFill { "FULL_FILL applied" } else { "PARTIAL_FILL applied" })
        };
        out.set("appliedQty", DVal::D(c.q));
        if ev.kind == VenueKind::FullFill && !c.complete {
            out.set("fullFillShortQty", DVal::S(dec::fmt(dec::sub(self.slots[si].orders[oi].quantity, c.new_filled)?)));
        }
        if self.slots[si].orders[oi].purpose == Purpose::Entry {
            self.book_entry_fill(si, oi, ev, &c, &mut out)?;
        } else {
            self.book_exit_fill(si, oi, ev, &c, &mut out)?;
        }
        Ok(out)
    }

    /// Quantity, price and fee arithmetic of a fill (nothing committed).
    fn fill_calc(&self, si: usize, oi: usize, ev: &VenueEvent) -> KResult<FillCalc> {
        let s = &self.slots[si];
        let o = &s.orders[oi];
        let price = ev.fill_price.filter(|p| *p > Decimal::ZERO);
        let is_entry = o.purpose == Purpose::Entry;
        let (evq, q, overfill) = fill_quantity(s, o, ev)?;
        let new_filled = dec::add(o.filled_qty, q)?;
        // An exit order with unpriced quantity and a cumulative report with a true price for the
        // whole order: the increment is booked unpriced and the order's unpriced fills are then
        // re-priced together (cumQty × avgPrice − priced notional), never q × avgPrice (which is
        // the average of the whole order, not this increment's price).
        let exit_reprice = match price {
            Some(p) if !is_entry && ev.cumulative_qty && !overfill && !o.unpriced_qty.is_zero() && evq == new_filled => Some((evq, p)),
            _ => None,
        };
        let (notional, priced) = increment_notional(o, ev, price, q, overfill, exit_reprice.is_some())?;
        let (new_fee_booked, new_fee_cumulative) = fee_views(o, ev)?;
        let mut new_order_notional = dec::add(o.filled_notional, notional)?;
        let mut new_unpriced = if priced || q.is_zero() { o.unpriced_qty } else { dec::add(o.unpriced_qty, q)? };
        let backfill = if is_entry { entry_backfill(o, ev, price, (q, priced, overfill, new_filled))? } else { None };
        let (notional, priced) = match backfill {
            Some((n, _)) => {
                new_order_notional = dec::add(o.filled_notional, n)?;
                new_unpriced = Decimal::ZERO;
                (n, true)
            }
            None => (notional, priced),
        };
        let order_fee_now = order_fee(order_fee(new_fee_booked, new_fee_cumulative), o.settled_fee);
        let fee_delta = dec::sub(order_fee_now, o.booked_fee())?;
        let slot_fees = dec::add(s.fees, fee_delta)?;
        let complete = new_filled >= o.quantity;
        Ok(FillCalc { q, overfill, notional, priced, new_filled, new_order_notional, new_unpriced, new_fee_booked, new_fee_cumulative, order_fee_now, slot_fees, complete, backfill, exit_reprice })
    }

    /// Apply a booked fill to the symbol's one-way netting mirror (docs/accounting.md §One-way
    /// netting); returns the fill's view of the position before it.
    fn net_book(&mut self, si: usize, oi: usize, q: Decimal, notional: Option<Decimal>) -> KResult<NetFill> {
        let buy = self.slots[si].orders[oi].side == OrderSide::Buy;
        self.net_apply(si, buy, q, notional)
    }

    /// Commit an entry fill: size, VWAP basis (E10a), fees, stage.
    fn book_entry_fill(&mut self, si: usize, oi: usize, ev: &VenueEvent, c: &FillCalc, out: &mut Out) -> KResult<()> {
        let q = c.q;
        let s = &self.slots[si];
        let size = dec::add(s.size, q)?;
        let initial = dec::add(s.initial_size, q)?;
        let entry_notional = dec::add(s.entry_notional, c.notional)?;
        let priced_qty = match c.backfill {
            Some((_, pq)) => dec::add(s.entry_priced_qty, pq)?,
            None if c.priced => dec::add(s.entry_priced_qty, q)?,
            None => s.entry_priced_qty,
        };
        let price = ev.fill_price.filter(|p| *p > Decimal::ZERO);
        // E10a: entry basis = VWAP across entry fills (Σ notional / Σ priced qty), rounded.
        let entry_price = mutants::entry_basis(entry_notional, priced_qty, c.priced, price, s.entry_price)?;
        let entry_price = mutants::entry_basis_mean(entry_price, s, c.priced, q, c.notional)?;
        // The increment's own notional for the mirror (a backfill's covers earlier fills too).
        let inc_notional = if c.priced && c.backfill.is_none() { Some(c.notional) } else { None };
        if q > Decimal::ZERO {
            let view = self.net_book(si, oi, q, inc_notional)?;
            Kernel::note_entry_net(&mut self.slots[si], &view, q, inc_notional)?;
        }
        // commit
        let s = &mut self.slots[si];
        let (size, initial) = mutants::entry_sizes(q, size, initial);
        s.size = size;
        s.initial_size = initial;
        s.entry_notional = entry_notional;
        s.entry_priced_qty = priced_qty;
        s.entry_price = entry_price;
        mutants::count_entry_fill(s, c.priced, q);
        s.fees = c.slot_fees;
        note_entry_provenance(s, c, out)?;
        if s.opened_at_us.is_none() && q > Decimal::ZERO {
            s.opened_at_us = Some(ev.ts_us);
        }
        s.rate_limit = None;
        let was_live = commit_order(&mut s.orders[oi], c, c.complete);
        self.entry_fill_stage(si, ev, c.complete, was_live, out);
        Ok(())
    }

    /// The stage after an entry fill: the order's last fill opens the position, a first partial
    /// fill makes the entry working, a late fill of a cancelled / rejected entry (IDLE) opens the
    /// position the venue holds; any other late fill is only flagged (`lateFill`).
    fn entry_fill_stage(&mut self, si: usize, ev: &VenueEvent, complete: bool, was_live: bool, out: &mut Out) {
        let stage = self.slots[si].stage;
        match stage {
            Stage::OrderRequested | Stage::EntryWorking => {
                if complete && was_live {
                    self.set_stage(si, Stage::PositionOpen, ev.kind.name(), ev.ts_us, out);
                } else if stage == Stage::OrderRequested {
                    self.set_stage(si, Stage::EntryWorking, ev.kind.name(), ev.ts_us, out);
                }
            }
            Stage::Idle => {
                if self.slots[si].size > Decimal::ZERO {
                    out.set("lateFill", DVal::B(true));
                    self.set_stage(si, Stage::PositionOpen, ev.kind.name(), ev.ts_us, out);
                }
            }
            _ => {
                if !was_live {
                    out.set("lateFill", DVal::B(true));
                }
            }
        }
    }

    /// Commit an exit fill: realized estimate on the slot's entry VWAP, its leg and fill record,
    /// re-pricing of the order's unpriced fills, settlements that outran it, stage.
    fn book_exit_fill(&mut self, si: usize, oi: usize, ev: &VenueEvent, c: &FillCalc, out: &mut Out) -> KResult<()> {
        let q = c.q;
        let s = &self.slots[si];
        let (estimate, skipped) = exit_estimate(s, ev, c)?;
        let size = mutants::size_after_exit(s.size, q)?;
        let realized = dec::add(s.realized, estimate)?;
        let coid = s.orders[oi].client_order_id.clone();
        let leg_index = s.orders[oi].exit_leg_index.unwrap_or(s.exit_leg_index);
        let net = if q > Decimal::ZERO { Some(self.net_book(si, oi, q, if c.priced { Some(c.notional) } else { None })?) } else { None };
        // commit
        let s = &mut self.slots[si];
        s.size = size;
        s.realized = realized;
        s.fees = c.slot_fees;
        if c.overfill {
            s.flags.overfill = true;
        }
        s.rate_limit = None;
        let li = leg_of(s, leg_index, &coid);
        book_leg_fill(&mut s.legs[li], c, (estimate, skipped), net)?;
        let was_live = commit_order(&mut s.orders[oi], c, c.complete || size.is_zero());
        if let Some((cum, avg)) = c.exit_reprice {
            self.reprice_in_slot(si, oi, cum, avg, ev.ts_us, out)?;
        }
        let s = &mut self.slots[si];
        if s.legs[li].fills.iter().any(|f| f.skipped && !f.repaired) && skipped {
            s.flags.realized_skipped_no_price = true;
            out.set("realizedSkippedNoPrice", DVal::B(true));
        }
        out.set("realizedPnlUsdt", DVal::D(estimate));
        if !was_live {
            out.set("lateFill", DVal::B(true));
        }
        if was_live && (c.complete || size.is_zero()) {
            s.exit_leg_index = s.exit_leg_index.saturating_add(1);
            s.exit_attempt = 1;
        }
        let stage = s.stage;
        // Settlements that arrived before this fill (FILL_SETTLED first) are matched now.
        if q > Decimal::ZERO && s.pending_settlements.iter().any(|p| p.client_order_id == s.legs[li].client_order_id) {
            let tol = self.cfg.pnl_anomaly_tolerance;
            self.match_pending(si, li, tol, ev.ts_us, out)?;
        }
        self.exit_fill_stage(si, ev, (stage, size.is_zero(), c.complete, was_live), out)
    }

    /// The stage after an exit fill; `at` is (the stage before the fill, whether the position is
    /// now flat, whether the order is complete, whether it was working). Flat closes the trade
    /// exactly once (Flaw 4, G4) and runs the trade-level check; a complete exit order reopens
    /// POSITION_OPEN; a first fill makes the exit working.
    fn exit_fill_stage(&mut self, si: usize, ev: &VenueEvent, at: (Stage, bool, bool, bool), out: &mut Out) -> KResult<()> {
        let (stage, closes, complete, was_live) = at;
        if closes {
            // Flaw 4, G4: the position closes exactly once (a CLOSED slot refuses further fills).
            self.set_stage(si, Stage::Closed, ev.kind.name(), ev.ts_us, out);
            // Settlements that outran this closing fill completed the trade just now: the
            // trade-level check runs here too, not only when a FILL_SETTLED arrives.
            self.trade_check(si, ev.ts_us, out)?;
        } else if complete && was_live && (stage == Stage::ExitRequested || stage == Stage::ExitWorking) {
            self.set_stage(si, Stage::PositionOpen, ev.kind.name(), ev.ts_us, out);
        } else if stage == Stage::ExitRequested && was_live {
            self.set_stage(si, Stage::ExitWorking, ev.kind.name(), ev.ts_us, out);
        }
        Ok(())
    }

    /// The trade-level K-vs-E check of live slot `si` (settle.rs `trade_gap`): records a
    /// PNL_ANOMALY when it fails.
    pub(super) fn trade_check(&mut self, si: usize, ts: i64, out: &mut Out) -> KResult<()> {
        let tol = self.cfg.pnl_anomaly_tolerance;
        if let Some((est, detail)) = self.trade_gap(&self.slots[si], false, tol)? {
            let seq = self.anomalies.len() as u64 + 1;
            let tid = self.slots[si].trade_id.clone();
            let ex = self.slots[si].exchange_realized;
            self.anomalies.push(AnomalyState { seq, ts_us: ts, code: Code::PnlAnomaly, trade_id: Some(tid), detail, kernel_estimate: Some(est), exchange: ex });
            out.set("pnlAnomaly", DVal::B(true));
        }
        Ok(())
    }

    /// Match queued early settlements of leg `li`'s order with its booked fills (in order).
    pub(super) fn match_pending(&mut self, si: usize, li: usize, tol: Decimal, ts: i64, out: &mut Out) -> KResult<()> {
        let mut s = self.slots[si].clone();
        let coid = s.legs[li].client_order_id.clone();
        let mut anomalies: Vec<(Decimal, Decimal, String)> = Vec::new();
        // Each queued settlement of this order, in arrival order, goes to settle_leg_fill (the one
        // place that pairs a settlement with a fill); one whose fill is still not booked stays queued.
        for p in std::mem::take(&mut s.pending_settlements) {
            if p.client_order_id != coid {
                s.pending_settlements.push(p);
                continue;
            }
            match settle_leg_fill(&mut s, li, p.realized, p.cum_qty, tol)? {
                LegSettle::Pending => {
                    s.pending_settlements.push(p);
                    continue;
                }
                LegSettle::Repaired => out.set("repairedFromExchange", DVal::B(true)),
                LegSettle::Anomaly(est, detail) => anomalies.push((est, p.realized, detail)),
                LegSettle::Matched => {}
            }
            if !p.leg_recorded {
                let l = &mut s.legs[li];
                l.exchange_realized = Some(dec::add(l.exchange_realized.unwrap_or(Decimal::ZERO), p.realized)?);
                l.exchange_fees = dec::add(l.exchange_fees, p.fee)?;
            }
        }
        let tid = s.trade_id.clone();
        self.slots[si] = s;
        for (est, rp, detail) in anomalies {
            let seq = self.anomalies.len() as u64 + 1;
            self.anomalies.push(AnomalyState { seq, ts_us: ts, code: Code::PnlAnomaly, trade_id: Some(tid.clone()), detail, kernel_estimate: Some(est), exchange: Some(rp) });
            out.set("pnlAnomaly", DVal::B(true));
        }
        Ok(())
    }
}

/// Commit the order figures of a fill (`FillCalc`); the order stops working when `done`.
/// Returns whether it was working before.
fn commit_order(o: &mut OrderState, c: &FillCalc, done: bool) -> bool {
    o.filled_qty = c.new_filled;
    o.filled_notional = c.new_order_notional;
    o.unpriced_qty = c.new_unpriced;
    o.fee_booked = c.new_fee_booked;
    o.fee_cumulative = c.new_fee_cumulative;
    let was_live = o.live;
    if done {
        o.live = false;
        o.cancel_requested = false;
    }
    was_live
}

/// The leg of exit order `coid` (one leg per exit order), created empty at `leg_index` if new.
fn leg_of(s: &mut SlotState, leg_index: u32, coid: &str) -> usize {
    if let Some(i) = s.legs.iter().position(|l| l.client_order_id == coid) {
        return i;
    }
    s.legs.push(LegState {
        leg_index,
        client_order_id: coid.to_string(),
        quantity: Decimal::ZERO,
        exit_notional: Decimal::ZERO,
        priced_qty: Decimal::ZERO,
        realized: Decimal::ZERO,
        fees: Decimal::ZERO,
        exchange_realized: None,
        exchange_fees: Decimal::ZERO,
        fills: Vec::new(),
        settle_cursor: 0,
    });
    s.legs.len() - 1
}

/// A fill's quantity on order `o` of slot `s`: (the event's quantity, the increment booked, whether
/// it was clamped). A CUMULATIVE quantity's increment is what exceeds the order's filled quantity;
/// the increment is clamped to what the order has left and, for an exit, to the position (I8, A3).
fn fill_quantity(s: &SlotState, o: &OrderState, ev: &VenueEvent) -> KResult<(Decimal, Decimal, bool)> {
    let evq = ev.fill_qty.unwrap_or(Decimal::ZERO);
    let raw_inc = if ev.cumulative_qty { dmax(dec::sub(evq, o.filled_qty)?, Decimal::ZERO) } else { evq };
    let order_rem = dmax(dec::sub(o.quantity, o.filled_qty)?, Decimal::ZERO);
    let cap = if o.purpose == Purpose::Entry { order_rem } else { dmin(order_rem, s.size) };
    Ok((evq, mutants::clamp_fill(raw_inc, cap), raw_inc > cap))
}

/// The increment's notional and whether it had a true price: none without a price, for a zero
/// increment or when the order's unpriced exit fills are `repriced` together; for a CUMULATIVE
/// report on a fully priced order, cumQty × avgPrice − the booked notional (exact, no division;
/// none unless positive); else q × price.
fn increment_notional(o: &OrderState, ev: &VenueEvent, price: Option<Decimal>, q: Decimal, overfill: bool, repriced: bool) -> KResult<(Decimal, bool)> {
    Ok(match price {
        None => (Decimal::ZERO, false),
        Some(_) if q.is_zero() || repriced => (Decimal::ZERO, false),
        Some(p) if ev.cumulative_qty && !overfill && o.unpriced_qty.is_zero() => {
            let n = dec::sub(dec::mul(ev.fill_qty.unwrap_or(Decimal::ZERO), p)?, o.filled_notional)?;
            if n > Decimal::ZERO {
                (n, true)
            } else {
                (Decimal::ZERO, false)
            }
        }
        Some(p) => (dec::mul(q, p)?, true),
    })
}

/// The order's fee views after this fill: (Σ INCREMENTAL fill fees, the largest CUMULATIVE fill
/// fee). With Σ FILL_SETTLED fees they are three complete-or-partial views of the same exchange
/// total; the order books the largest, so a fee reported by the stream, by a REST reply /
/// reconcile and by its settlement, in any order, is booked once (spec §3.1, A7).
fn fee_views(o: &OrderState, ev: &VenueEvent) -> KResult<(Decimal, Decimal)> {
    Ok(match ev.fee {
        None => (o.fee_booked, o.fee_cumulative),
        Some(f) if ev.cumulative_fee => (o.fee_booked, order_fee(o.fee_cumulative, f)),
        Some(f) => (dec::add(o.fee_booked, f)?, o.fee_cumulative),
    })
}

/// Entry basis backfill: an entry order that booked quantity without a true price (stream fills
/// without ap) learns it from a later CUMULATIVE report with one covering the whole order (the
/// REST reply's or reconcile's avgPrice, spec §0.2): cumQty × avgPrice is the order's whole
/// notional, so its unpriced quantity is priced by the difference. Exit fills are re-priced the
/// same way (`exit_reprice`, `reprice_exit`). `inc` is this increment's (q, priced, overfill, the
/// order's filled quantity after it). Returns (notional added, quantity priced).
fn entry_backfill(o: &OrderState, ev: &VenueEvent, price: Option<Decimal>, inc: (Decimal, bool, bool, Decimal)) -> KResult<Option<(Decimal, Decimal)>> {
    let (q, priced, overfill, new_filled) = inc;
    let evq = ev.fill_qty.unwrap_or(Decimal::ZERO);
    match price {
        Some(p) if ev.cumulative_qty && !overfill && !o.unpriced_qty.is_zero() && evq == new_filled => {
            let n = dec::sub(dec::mul(evq, p)?, o.filled_notional)?;
            if n > Decimal::ZERO {
                Ok(Some((n, dec::add(o.unpriced_qty, if priced { q } else { Decimal::ZERO })?)))
            } else {
                Ok(None)
            }
        }
        _ => Ok(None),
    }
}

/// The provenance flags of an entry fill: `entryBasisMissing` when quantity was booked without a
/// price (the flag stays: the entry was once booked without one), `entryBasisBackfilledQty` when a
/// backfill priced it (exits booked before it used the partial basis and are re-estimated on the
/// full one), and the overfill flag.
fn note_entry_provenance(s: &mut SlotState, c: &FillCalc, out: &mut Out) -> KResult<()> {
    if c.q > Decimal::ZERO && !c.priced {
        s.flags.entry_basis_missing = true;
        out.set("entryBasisMissing", DVal::B(true));
    }
    if let Some((_, pq)) = c.backfill {
        out.set("entryBasisBackfilledQty", DVal::D(pq));
        if !s.legs.is_empty() {
            reprice::rebase_exits(s)?;
        }
    }
    if c.overfill {
        s.flags.overfill = true;
    }
    Ok(())
}

/// An exit fill's realized estimate and whether it was skipped for want of a price or basis:
/// side-sign × (notional − q × entry VWAP) = sign × q × (exit − basis), no leverage factor (spec
/// §0.1 dual leverage), rounded to PNL_DP per fill.
fn exit_estimate(s: &SlotState, ev: &VenueEvent, c: &FillCalc) -> KResult<(Decimal, bool)> {
    let basis = s.entry_price;
    if c.priced && basis > Decimal::ZERO {
        let r = dec::mul(s.sign(), dec::sub(c.notional, dec::mul(c.q, basis)?)?)?;
        let r = mutants::exit_realized(r, c.q, ev.fill_price.filter(|p| *p > Decimal::ZERO), basis, s.leverage)?;
        Ok((dec::round(r, PNL_DP), false))
    } else {
        Ok((Decimal::ZERO, c.q > Decimal::ZERO))
    }
}

/// Book an exit fill on its leg (one exit order): quantity, notional, priced quantity, realized
/// estimate, the order's fees, and a fill record when the netting mirror booked one (`net`).
/// `est` is (estimate, skipped).
fn book_leg_fill(l: &mut LegState, c: &FillCalc, est: (Decimal, bool), net: Option<NetFill>) -> KResult<()> {
    let (estimate, skipped) = est;
    let q = c.q;
    l.quantity = dec::add(l.quantity, q)?;
    l.exit_notional = dec::add(l.exit_notional, c.notional)?;
    if c.priced {
        l.priced_qty = dec::add(l.priced_qty, q)?;
    }
    l.realized = dec::add(l.realized, estimate)?;
    // A leg is one exit order (keyed by its client order id): its fees are the order's.
    l.fees = c.order_fee_now;
    if let Some(net) = net {
        let notional = if c.priced { c.notional } else { Decimal::ZERO };
        l.fills.push(FillRecord { qty: q, estimate, skipped, repaired: false, cum_qty: c.new_filled, exchange_realized: Decimal::ZERO, notional, net, pooled: false, settled: false });
    }
    Ok(())
}
