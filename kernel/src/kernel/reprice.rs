//! Re-pricing of exit fills booked without a price (docs/accounting.md §Missing prices). Part of
//! `Kernel` (kernel.rs).
//!
//! A stream fill that lost its `ap` is booked with quantity only (0 realized, flagged
//! realized_skipped_no_price). The order's later cumulative report with a true price — a REST
//! reply, the order query the connector sends for such a fill, a reconcile's avgPrice — states
//! the order's whole notional (cumQty × avgPrice), so the unpriced quantity is priced exactly by
//! the difference from the notional already booked (the entry basis backfill does the same for
//! entry orders). The re-priced fills get the estimate on the slot's entry VWAP; a §5.2 repair
//! that had already added the exchange rp of those fills (which under one-way netting carries the
//! netting term) is replaced, never added to.

use super::*;

/// What one re-pricing changed.
pub(super) struct Repriced {
    /// Leg (of the exit order) and the indices of its fills that were re-priced.
    pub li: usize,
    pub group: Vec<usize>,
    /// Quantity priced, notional added, realized estimate booked, repair rp taken back (USDT).
    pub qty: Decimal,
    pub notional: Decimal,
    pub estimate: Decimal,
    pub removed: Decimal,
}

/// Re-price the unpriced fills of exit order `oi` of trade `s` from a cumulative report of
/// `cum_qty` at average price `avg` (docs/accounting.md §Missing prices). Applies only when the
/// report covers exactly the booked quantity (cum_qty = filled), the order has unpriced quantity,
/// the slot has an entry basis and the report prices a positive remainder; otherwise None and
/// nothing changes. One unpriced fill takes the whole remainder; several are priced as one group
/// at its average (`pooled`: judged with the trade, not one by one). Flags: repriced_from_order
/// set, realized_skipped_no_price / repaired_from_exchange recomputed from the fills.
pub(super) fn reprice_exit(s: &mut SlotState, oi: usize, cum_qty: Decimal, avg: Decimal) -> KResult<Option<Repriced>> {
    let o = &s.orders[oi];
    if o.purpose != Purpose::Exit || o.unpriced_qty.is_zero() || cum_qty != o.filled_qty || avg <= Decimal::ZERO || s.entry_price <= Decimal::ZERO {
        return Ok(None);
    }
    let n = dec::sub(dec::mul(cum_qty, avg)?, o.filled_notional)?;
    let li = match s.legs.iter().position(|l| l.client_order_id == o.client_order_id) {
        Some(li) => li,
        None => return Ok(None),
    };
    let group: Vec<usize> = s.legs[li].fills.iter().enumerate().filter(|(_, f)| f.skipped).map(|(k, _)| k).collect();
    let pq = o.unpriced_qty;
    let mut gq = Decimal::ZERO;
    let mut removed = Decimal::ZERO;
    for &k in &group {
        let f = &s.legs[li].fills[k];
        gq = dec::add(gq, f.qty)?;
        if f.repaired {
            removed = dec::add(removed, f.exchange_realized)?;
        }
    }
    if n <= Decimal::ZERO || group.is_empty() || gq != pq {
        return Ok(None);
    }
    let estimate = dec::round(dec::mul(s.sign(), dec::sub(n, dec::mul(pq, s.entry_price)?)?)?, PNL_DP);
    let pooled = group.len() > 1;
    let last = group[group.len() - 1];
    for &k in &group {
        let f = &mut s.legs[li].fills[k];
        f.notional = if pooled { dec::div(dec::mul(n, f.qty)?, pq)? } else { n };
        f.estimate = if k == last { estimate } else { Decimal::ZERO };
        f.skipped = false;
        f.repaired = false;
        f.pooled = pooled;
    }
    let delta = dec::sub(estimate, removed)?;
    let l = &mut s.legs[li];
    l.realized = dec::add(l.realized, delta)?;
    l.exit_notional = dec::add(l.exit_notional, n)?;
    l.priced_qty = dec::add(l.priced_qty, pq)?;
    s.realized = dec::add(s.realized, delta)?;
    let o = &mut s.orders[oi];
    o.filled_notional = dec::add(o.filled_notional, n)?;
    o.unpriced_qty = Decimal::ZERO;
    s.flags.repriced_from_order = true;
    s.flags.realized_skipped_no_price = s.legs.iter().any(|l| l.fills.iter().any(|f| f.skipped && !f.repaired));
    s.flags.repaired_from_exchange = s.legs.iter().any(|l| l.fills.iter().any(|f| f.repaired));
    Ok(Some(Repriced { li, group, qty: pq, notional: n, estimate, removed }))
}

/// The per-fill K-vs-E check of a re-priced fill whose settlement already arrived (one fill
/// only; a pooled group is judged with its trade): (estimate, detail) when |expected − rp| > tol.
fn repriced_fill_gap(s: &SlotState, r: &Repriced, tol: Decimal) -> KResult<Option<(Decimal, String)>> {
    if r.group.len() != 1 {
        return Ok(None);
    }
    let l = &s.legs[r.li];
    let f = &l.fills[r.group[0]];
    if !f.settled {
        return Ok(None);
    }
    let expected = netting::fill_expected(f)?;
    if dec::sub(expected, f.exchange_realized)?.abs() <= tol {
        return Ok(None);
    }
    Ok(Some((f.estimate, format!("fill {} of leg {} (re-priced from the order report): expected {} (kernel estimate {}) vs exchange {}", r.group[0], l.leg_index, dec::fmt(expected), dec::fmt(f.estimate), dec::fmt(f.exchange_realized)))))
}

impl Kernel {
    /// Re-price exit order `oi` of live slot `si` (`reprice_exit`) and run the K-vs-E checks the
    /// change makes possible; the caller settles the slot into the ledger. Returns whether it did.
    pub(super) fn reprice_in_slot(&mut self, si: usize, oi: usize, cum: Decimal, avg: Decimal, ts: i64, out: &mut Out) -> KResult<bool> {
        let mut s = self.slots[si].clone();
        let r = match reprice_exit(&mut s, oi, cum, avg)? {
            Some(r) => r,
            None => return Ok(false),
        };
        let gap = repriced_fill_gap(&s, &r, self.cfg.pnl_anomaly_tolerance)?;
        self.slots[si] = s;
        note_reprice(out, &r);
        if let Some((est, detail)) = gap {
            self.push_anomaly(si, false, ts, est, detail, out);
        } else if self.slots[si].stage == Stage::Closed {
            self.trade_check(si, ts, out)?;
        }
        Ok(true)
    }

    /// A cumulative priced report (REST reply, order query) with no quantity beyond what exit
    /// order of `ev` booked: re-prices its unpriced fills in the live, CLOSED or archived trade
    /// that owns it, before the CLOSED / duplicate guards (re-pricing is idempotent: an order
    /// without unpriced quantity is left alone). None when it does not apply.
    pub(super) fn reprice_report(&mut self, ev: &VenueEvent) -> Option<Out> {
        let (cum, avg) = match (ev.fill_qty, ev.fill_price) {
            (Some(q), Some(p)) if ev.cumulative_qty && ev.kind.is_fill() && p > Decimal::ZERO => (q, p),
            _ => return None,
        };
        let (in_archive, idx, oi) = match self.locate_trade(&ev.symbol, None, ev.venue_order_id.as_deref(), ev.client_order_id.as_deref()) {
            Some((a, i, Some(oi))) => (a, i, oi),
            _ => return None,
        };
        if !in_archive && self.slots[idx].stage != Stage::Closed && !self.slots[idx].seen(&ev.event_id) {
            return None; // a live trade's new report takes the normal fill path (FillCalc.exit_reprice)
        }
        let o = if in_archive { &self.archive[idx].orders[oi] } else { &self.slots[idx].orders[oi] };
        if o.purpose != Purpose::Exit || o.unpriced_qty.is_zero() || o.filled_qty != cum {
            return None;
        }
        let mut out = Out::ok("exit fills booked without a price re-priced from the order's cumulative report (docs/accounting.md §Missing prices)");
        let r = if in_archive { self.reprice_in_archive(idx, oi, cum, avg, ev.ts_us, &mut out) } else { self.reprice_in_slot(idx, oi, cum, avg, ev.ts_us, &mut out).and_then(|_| self.settle_slot(idx)) };
        if let Err(e) = r {
            return Some(internal(e));
        }
        if !in_archive {
            out.slot = Some(idx);
        }
        Some(out)
    }

    /// Re-price exit order `oi` of archived trade `ai` and settle the change into the ledger.
    pub(super) fn reprice_in_archive(&mut self, ai: usize, oi: usize, cum: Decimal, avg: Decimal, ts: i64, out: &mut Out) -> KResult<()> {
        let mut s = self.archive[ai].clone();
        let r = match reprice_exit(&mut s, oi, cum, avg)? {
            Some(r) => r,
            None => return Ok(()),
        };
        let tol = self.cfg.pnl_anomaly_tolerance;
        let gap = match repriced_fill_gap(&s, &r, tol)? {
            Some(g) => Some(g),
            None => self.trade_gap(&s, true, tol)?,
        };
        self.ledger.settle(&mut s)?;
        self.archive[ai] = s;
        note_reprice(out, &r);
        if let Some((est, detail)) = gap {
            self.push_anomaly(ai, true, ts, est, detail, out);
        }
        Ok(())
    }

    /// Record a PNL_ANOMALY for the trade in slot / archive entry `idx` (spec §5.2: recorded, not re-booked).
    pub(super) fn push_anomaly(&mut self, idx: usize, in_archive: bool, ts: i64, est: Decimal, detail: String, out: &mut Out) {
        let s = if in_archive { &self.archive[idx] } else { &self.slots[idx] };
        let seq = self.anomalies.len() as u64 + 1;
        let (tid, ex) = (s.trade_id.clone(), s.exchange_realized);
        self.anomalies.push(AnomalyState { seq, ts_us: ts, code: Code::PnlAnomaly, trade_id: Some(tid), detail, kernel_estimate: Some(est), exchange: ex });
        out.set("pnlAnomaly", DVal::B(true));
    }
}

/// Outcome fields of a re-pricing.
fn note_reprice(out: &mut Out, r: &Repriced) {
    out.set("repricedQty", DVal::D(r.qty));
    out.set("repricedNotionalUsdt", DVal::S(dec::fmt(r.notional)));
    out.set("repricedRealizedUsdt", DVal::S(dec::fmt(r.estimate)));
    if !r.removed.is_zero() {
        out.set("repairReplacedUsdt", DVal::S(dec::fmt(r.removed)));
    }
}
