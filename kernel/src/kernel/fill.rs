//! Fills: quantity / price / fee bookkeeping of entry and exit fills, pending settlements. Part of `Kernel` (kernel.rs); moved out of the one-file kernel (issue 11).

use super::*;

impl Kernel {
    /// Book a fill on order `oi` of slot `si` (INCREMENTAL or CUMULATIVE quantity and fee).
    /// Everything is computed first, then committed: an overflow changes nothing.
    pub(super) fn apply_fill(&mut self, si: usize, oi: usize, ev: &VenueEvent) -> KResult<Out> {
        let s = &self.slots[si];
        let o = &s.orders[oi];
        let evq = ev.fill_qty.unwrap_or(Decimal::ZERO);
        let price = ev.fill_price.filter(|p| *p > Decimal::ZERO);
        let raw_inc = if ev.cumulative_qty { dmax(dec::sub(evq, o.filled_qty)?, Decimal::ZERO) } else { evq };
        let order_rem = dmax(dec::sub(o.quantity, o.filled_qty)?, Decimal::ZERO);
        let is_entry = o.purpose == Purpose::Entry;
        let cap = if is_entry { order_rem } else { dmin(order_rem, s.size) };
        let overfill = raw_inc > cap;
        let q = mutants::clamp_fill(raw_inc, cap);
        // Notional of this increment: INCREMENTAL → q × price; CUMULATIVE → the notional
        // difference cumQty × avgPrice − booked notional (exact, no division).
        let (notional, priced) = match price {
            None => (Decimal::ZERO, false),
            Some(p) => {
                if q.is_zero() {
                    (Decimal::ZERO, false)
                } else if ev.cumulative_qty && !overfill && o.unpriced_qty.is_zero() {
                    let n = dec::sub(dec::mul(evq, p)?, o.filled_notional)?;
                    if n > Decimal::ZERO {
                        (n, true)
                    } else {
                        (Decimal::ZERO, false)
                    }
                } else {
                    (dec::mul(q, p)?, true)
                }
            }
        };
        // Fee views of this order (each a complete-or-partial view of the same exchange total):
        // Σ INCREMENTAL fill fees, the largest CUMULATIVE fill fee, Σ FILL_SETTLED fees. The order
        // books the most complete (largest) view, so a fee reported by the stream, by a REST
        // reply / reconcile and by its settlement, in any order, is booked once (spec §3.1, A7).
        let (new_fee_booked, new_fee_cumulative) = match ev.fee {
            None => (o.fee_booked, o.fee_cumulative),
            Some(f) if ev.cumulative_fee => (o.fee_booked, order_fee(o.fee_cumulative, f)),
            Some(f) => (dec::add(o.fee_booked, f)?, o.fee_cumulative),
        };
        let new_filled = dec::add(o.filled_qty, q)?;
        let new_order_notional = dec::add(o.filled_notional, notional)?;
        let new_unpriced = if priced || q.is_zero() { o.unpriced_qty } else { dec::add(o.unpriced_qty, q)? };
        // Entry basis backfill: an entry order that booked quantity without a true price (stream
        // fills without ap) learns it from a later cumulative report with one (the REST reply's or
        // reconcile's avgPrice, spec §0.2): cumQty × avgPrice is the order's whole notional, so its
        // unpriced quantity is priced by the difference. Exit fills are never re-priced (their
        // repair is the exchange's FILL_SETTLED, spec §5.2). (notional added, quantity priced)
        let backfill = match price {
            Some(p) if is_entry && ev.cumulative_qty && !overfill && !o.unpriced_qty.is_zero() && evq == new_filled => {
                let n = dec::sub(dec::mul(evq, p)?, o.filled_notional)?;
                if n > Decimal::ZERO {
                    Some((n, dec::add(o.unpriced_qty, if priced { q } else { Decimal::ZERO })?))
                } else {
                    None
                }
            }
            _ => None,
        };
        let (notional, priced, new_order_notional, new_unpriced) = match backfill {
            Some((n, _)) => (n, true, dec::add(o.filled_notional, n)?, Decimal::ZERO),
            None => (notional, priced, new_order_notional, new_unpriced),
        };
        let order_fee_now = order_fee(order_fee(new_fee_booked, new_fee_cumulative), o.settled_fee);
        let fee_delta = dec::sub(order_fee_now, o.booked_fee())?;
        let complete = new_filled >= o.quantity;
        let slot_fees = dec::add(s.fees, fee_delta)?;
        let sign = s.sign();
        let mut out = if overfill {
            Out::new(true, Code::Overfill, Severity::Warning, format!("fill beyond the order/position quantity: clamped to {} (I8, A3)", dec::fmt(q)))
        } else {
            Out::ok(if ev.kind == VenueKind::FullFill { "FULL_FILL applied" } else { "PARTIAL_FILL applied" })
        };
        out.set("appliedQty", DVal::D(q));
        if ev.kind == VenueKind::FullFill && !complete {
            out.set("fullFillShortQty", DVal::S(dec::fmt(dec::sub(o.quantity, new_filled)?)));
        }
        if is_entry {
            let size = dec::add(s.size, q)?;
            let initial = dec::add(s.initial_size, q)?;
            let entry_notional = dec::add(s.entry_notional, notional)?;
            let priced_qty = match backfill {
                Some((_, pq)) => dec::add(s.entry_priced_qty, pq)?,
                None if priced => dec::add(s.entry_priced_qty, q)?,
                None => s.entry_priced_qty,
            };
            // E10a: entry basis = VWAP across entry fills (Σ notional / Σ priced qty), rounded.
            let entry_price = mutants::entry_basis(entry_notional, priced_qty, priced, price, s.entry_price)?;
            let entry_price = mutants::entry_basis_mean(entry_price, s, priced, q, notional)?;
            let basis_missing = q > Decimal::ZERO && !priced;
            // commit
            let s = &mut self.slots[si];
            let (size, initial) = mutants::entry_sizes(q, size, initial);
            s.size = size;
            s.initial_size = initial;
            s.entry_notional = entry_notional;
            s.entry_priced_qty = priced_qty;
            s.entry_price = entry_price;
            mutants::count_entry_fill(s, priced, q);
            s.fees = slot_fees;
            if basis_missing {
                s.flags.entry_basis_missing = true;
                out.set("entryBasisMissing", DVal::B(true));
            }
            // The flag stays (provenance: exits booked before the backfill used the partial basis).
            if let Some((_, pq)) = backfill {
                out.set("entryBasisBackfilledQty", DVal::D(pq));
            }
            if overfill {
                s.flags.overfill = true;
            }
            if s.opened_at_us.is_none() && q > Decimal::ZERO {
                s.opened_at_us = Some(ev.ts_us);
            }
            s.rate_limit = None;
            let o = &mut s.orders[oi];
            o.filled_qty = new_filled;
            o.filled_notional = new_order_notional;
            o.unpriced_qty = new_unpriced;
            o.fee_booked = new_fee_booked;
            o.fee_cumulative = new_fee_cumulative;
            let was_live = o.live;
            if complete {
                o.live = false;
                o.cancel_requested = false;
            }
            let stage = s.stage;
            let size_now = s.size;
            match stage {
                Stage::OrderRequested | Stage::EntryWorking => {
                    if complete && was_live {
                        self.set_stage(si, Stage::PositionOpen, ev.kind.name(), ev.ts_us, &mut out);
                    } else if stage == Stage::OrderRequested {
                        self.set_stage(si, Stage::EntryWorking, ev.kind.name(), ev.ts_us, &mut out);
                    }
                }
                Stage::Idle => {
                    // A late fill of a cancelled/rejected entry: the venue holds the position.
                    if size_now > Decimal::ZERO {
                        out.set("lateFill", DVal::B(true));
                        self.set_stage(si, Stage::PositionOpen, ev.kind.name(), ev.ts_us, &mut out);
                    }
                }
                _ => {
                    if !was_live {
                        out.set("lateFill", DVal::B(true));
                    }
                }
            }
        } else {
            // Exit fill: realized = side-sign × (notional − q × entry VWAP) = sign × q × (exit − basis),
            // no leverage factor (spec §0.1 dual leverage), rounded to PNL_DP per fill.
            let basis = s.entry_price;
            let (estimate, skipped) = if priced && basis > Decimal::ZERO {
                let r = dec::mul(sign, dec::sub(notional, dec::mul(q, basis)?)?)?;
                let r = mutants::exit_realized(r, q, price, basis, s.leverage)?;
                (dec::round(r, PNL_DP), false)
            } else {
                (Decimal::ZERO, q > Decimal::ZERO)
            };
            let size = mutants::size_after_exit(s.size, q)?;
            let realized = dec::add(s.realized, estimate)?;
            let coid = o.client_order_id.clone();
            let leg_index = o.exit_leg_index.unwrap_or(s.exit_leg_index);
            let li = s.legs.iter().position(|l| l.client_order_id == coid);
            let (lq, ln, lp, lr) = match li {
                Some(i) => {
                    let l = &s.legs[i];
                    (l.quantity, l.exit_notional, l.priced_qty, l.realized)
                }
                None => (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO),
            };
            let lq = dec::add(lq, q)?;
            let ln = dec::add(ln, notional)?;
            let lp = if priced { dec::add(lp, q)? } else { lp };
            let lr = dec::add(lr, estimate)?;
            // A leg is one exit order (keyed by its client order id): its fees are the order's.
            let lf = order_fee_now;
            // commit
            let s = &mut self.slots[si];
            s.size = size;
            s.realized = realized;
            s.fees = slot_fees;
            if overfill {
                s.flags.overfill = true;
            }
            s.rate_limit = None;
            let li = match li {
                Some(i) => i,
                None => {
                    s.legs.push(LegState {
                        leg_index,
                        client_order_id: coid,
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
            };
            {
                let l = &mut s.legs[li];
                l.quantity = lq;
                l.exit_notional = ln;
                l.priced_qty = lp;
                l.realized = lr;
                l.fees = lf;
                if q > Decimal::ZERO {
                    l.fills.push(FillRecord { qty: q, estimate, skipped, repaired: false, cum_qty: new_filled, exchange_realized: Decimal::ZERO });
                }
            }
            if skipped {
                s.flags.realized_skipped_no_price = true;
                out.set("realizedSkippedNoPrice", DVal::B(true));
            }
            out.set("realizedPnlUsdt", DVal::D(estimate));
            let o = &mut s.orders[oi];
            o.filled_qty = new_filled;
            o.filled_notional = new_order_notional;
            o.unpriced_qty = new_unpriced;
            o.fee_booked = new_fee_booked;
            o.fee_cumulative = new_fee_cumulative;
            let was_live = o.live;
            let closes = size.is_zero();
            if complete || closes {
                o.live = false;
                o.cancel_requested = false;
            }
            if !was_live {
                out.set("lateFill", DVal::B(true));
            }
            if was_live && (complete || closes) {
                s.exit_leg_index = s.exit_leg_index.saturating_add(1);
                s.exit_attempt = 1;
            }
            let stage = s.stage;
            // Settlements that arrived before this fill (FILL_SETTLED first) are matched now.
            if q > Decimal::ZERO && s.pending_settlements.iter().any(|p| p.client_order_id == s.legs[li].client_order_id) {
                let tol = self.cfg.pnl_anomaly_tolerance;
                self.match_pending(si, li, tol, ev.ts_us, &mut out)?;
            }
            if closes {
                // Flaw 4, G4: the position closes exactly once (a CLOSED slot refuses further fills).
                self.set_stage(si, Stage::Closed, ev.kind.name(), ev.ts_us, &mut out);
                // Settlements that outran this closing fill completed the trade just now: the
                // trade-level check runs here too, not only when a FILL_SETTLED arrives.
                let tol = self.cfg.pnl_anomaly_tolerance;
                if let Some((est, detail)) = self.trade_gap(&self.slots[si], false, tol)? {
                    let seq = self.anomalies.len() as u64 + 1;
                    let tid = self.slots[si].trade_id.clone();
                    let ex = self.slots[si].exchange_realized;
                    self.anomalies.push(AnomalyState { seq, ts_us: ev.ts_us, code: Code::PnlAnomaly, trade_id: Some(tid), detail, kernel_estimate: Some(est), exchange: ex });
                    out.set("pnlAnomaly", DVal::B(true));
                }
            } else if complete && was_live && (stage == Stage::ExitRequested || stage == Stage::ExitWorking) {
                self.set_stage(si, Stage::PositionOpen, ev.kind.name(), ev.ts_us, &mut out);
            } else if stage == Stage::ExitRequested && was_live {
                self.set_stage(si, Stage::ExitWorking, ev.kind.name(), ev.ts_us, &mut out);
            }
        }
        Ok(out)
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
