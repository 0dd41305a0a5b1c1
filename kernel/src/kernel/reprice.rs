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
/// report covers exactly the booked quantity (cum_qty = filled), the order has unpriced quantity
/// and the report prices a positive remainder; otherwise None and nothing changes. One unpriced
/// fill takes the whole remainder; several are priced as one group at its average (`pooled`:
/// judged with the trade, not one by one). Without an entry basis the fills take their notional
/// but stay booked without a realized figure (0, or their §5.2 repair): `rebase_exits` estimates
/// them when the basis arrives (docs/accounting.md §Missing prices, "exit priced before its
/// entry"; chaos seeds 1672, 2028, 3747). Flags: repriced_from_order set,
/// realized_skipped_no_price / repaired_from_exchange recomputed from the fills.
pub(super) fn reprice_exit(s: &mut SlotState, oi: usize, cum_qty: Decimal, avg: Decimal) -> KResult<Option<Repriced>> {
    let o = &s.orders[oi];
    if o.purpose != Purpose::Exit || o.unpriced_qty.is_zero() || cum_qty != o.filled_qty || avg <= Decimal::ZERO {
        return Ok(None);
    }
    let has_basis = s.entry_price > Decimal::ZERO;
    let n = dec::sub(dec::mul(cum_qty, avg)?, o.filled_notional)?;
    let li = match s.legs.iter().position(|l| l.client_order_id == o.client_order_id) {
        Some(li) => li,
        None => return Ok(None),
    };
    // The fills booked without a price (a fill priced but booked without a basis has its notional).
    let group: Vec<usize> = s.legs[li].fills.iter().enumerate().filter(|(_, f)| f.skipped && f.notional.is_zero()).map(|(k, _)| k).collect();
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
    if !has_basis {
        return price_without_basis(s, oi, li, group, n);
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
    s.realized = dec::add(s.realized, delta)?;
    book_order_notional(s, oi, li, pq, n)?;
    refresh_price_flags(s);
    Ok(Some(Repriced { li, group, qty: pq, notional: n, estimate, removed }))
}

/// Book notional `n` for the `pq` unpriced quantity of exit order `oi` (leg `li`): the leg's exit
/// notional and priced quantity grow, the order's filled notional grows and its unpriced quantity
/// is cleared, and the slot is flagged `repriced_from_order`. Shared by `reprice_exit` and
/// `price_without_basis`; realized figures are the caller's.
fn book_order_notional(s: &mut SlotState, oi: usize, li: usize, pq: Decimal, n: Decimal) -> KResult<()> {
    let l = &mut s.legs[li];
    l.exit_notional = dec::add(l.exit_notional, n)?;
    l.priced_qty = dec::add(l.priced_qty, pq)?;
    let o = &mut s.orders[oi];
    o.filled_notional = dec::add(o.filled_notional, n)?;
    o.unpriced_qty = Decimal::ZERO;
    s.flags.repriced_from_order = true;
    Ok(())
}

/// Recompute `realized_skipped_no_price` (some fill books 0 for want of a price) and
/// `repaired_from_exchange` (some fill books its exchange rp) from the slot's fills.
fn refresh_price_flags(s: &mut SlotState) {
    s.flags.realized_skipped_no_price = s.legs.iter().any(|l| l.fills.iter().any(|f| f.skipped && !f.repaired));
    s.flags.repaired_from_exchange = s.legs.iter().any(|l| l.fills.iter().any(|f| f.repaired));
}

/// `reprice_exit` for a slot without an entry basis: the group's fills take notional `n` (pooled
/// by quantity when several) and the order's unpriced quantity is cleared, but the fills stay
/// `skipped` with no realized figure change (a §5.2 repair stays booked): `rebase_exits` books
/// their estimate, replacing any repair, when the entry basis arrives. Without this the report's
/// price was dropped and a finished order whose fee it confirmed was never asked again.
fn price_without_basis(s: &mut SlotState, oi: usize, li: usize, group: Vec<usize>, n: Decimal) -> KResult<Option<Repriced>> {
    let pq = s.orders[oi].unpriced_qty;
    let pooled = group.len() > 1;
    for &k in &group {
        let f = &mut s.legs[li].fills[k];
        f.notional = if pooled { dec::div(dec::mul(n, f.qty)?, pq)? } else { n };
        f.pooled = pooled;
    }
    book_order_notional(s, oi, li, pq, n)?;
    Ok(Some(Repriced { li, group, qty: pq, notional: n, estimate: Decimal::ZERO, removed: Decimal::ZERO }))
}

/// Entry basis backfill from a cumulative report with no new quantity (docs/accounting.md
/// §Missing prices): entry order `oi` booked quantity without a true price; cumQty × avgPrice −
/// the priced notional prices it, the entry VWAP is recomputed (E10a), and exit fills already
/// booked on the partial basis are re-estimated on the new one (`rebase_exits`). None (nothing
/// changed) unless the report covers exactly the booked quantity and prices a positive remainder.
/// Returns the quantity priced.
pub(super) fn reprice_entry(s: &mut SlotState, oi: usize, cum_qty: Decimal, avg: Decimal) -> KResult<Option<Decimal>> {
    let o = &s.orders[oi];
    if o.purpose != Purpose::Entry || o.unpriced_qty.is_zero() || cum_qty != o.filled_qty || avg <= Decimal::ZERO {
        return Ok(None);
    }
    let n = dec::sub(dec::mul(cum_qty, avg)?, o.filled_notional)?;
    if n <= Decimal::ZERO {
        return Ok(None);
    }
    let pq = o.unpriced_qty;
    let entry_notional = dec::add(s.entry_notional, n)?;
    let priced_qty = dec::add(s.entry_priced_qty, pq)?;
    let entry_price = mutants::entry_basis(entry_notional, priced_qty, true, Some(avg), s.entry_price)?;
    s.entry_notional = entry_notional;
    s.entry_priced_qty = priced_qty;
    s.entry_price = entry_price;
    let o = &mut s.orders[oi];
    o.filled_notional = dec::add(o.filled_notional, n)?;
    o.unpriced_qty = Decimal::ZERO;
    rebase_exits(s)?;
    Ok(Some(pq))
}

/// Re-estimate every priced exit fill of `s` on its current entry basis (after an entry basis
/// backfill: exits booked before it used the partial basis): estimate = sign × (notional − qty ×
/// basis), rounded per fill; the leg and slot realized move by the difference (settled by the
/// caller through the ledger baseline). Fills booked without a price (notional 0: priced later by
/// `reprice_exit`, or left on their §5.2 repair) are untouched.
///
/// An exit fill that has its true price but was booked while the slot had no entry basis (every
/// entry fill unpriced: it came with its price, chaos seeds 1926 and 9277, or a reconcile reported
/// the exit before the entry, seeds 1672, 2028, 3747 via `price_without_basis`) was booked skipped
/// (0) and may since carry a §5.2 repair: under one-way netting that rp holds the netting term,
/// which does not cancel over the symbol (docs/accounting.md §Missing prices). It gets its
/// estimate now and the repair is replaced, never added to (`rebase_skipped`). Flags
/// realized_skipped_no_price / repaired_from_exchange are recomputed.
pub(super) fn rebase_exits(s: &mut SlotState) -> KResult<()> {
    let (sign, basis) = (s.sign(), s.entry_price);
    if basis <= Decimal::ZERO {
        return Ok(());
    }
    let lumps_separable = rebase_repairs_separable(s);
    let mut total = Decimal::ZERO;
    for l in s.legs.iter_mut() {
        let mut leg = Decimal::ZERO;
        for f in l.fills.iter_mut().filter(|f| !f.notional.is_zero()) {
            if f.skipped && !rebase_skipped(f, lumps_separable) {
                continue;
            }
            let e = dec::round(dec::mul(sign, dec::sub(f.notional, dec::mul(f.qty, basis)?)?)?, PNL_DP);
            // What this fill booked so far: its estimate, or (skipped) the rp its repair added.
            let booked = if f.skipped { if f.repaired { f.exchange_realized } else { Decimal::ZERO } } else { f.estimate };
            leg = dec::add(leg, dec::sub(e, booked)?)?;
            f.estimate = e;
            f.skipped = false;
            f.repaired = false;
        }
        l.realized = dec::add(l.realized, leg)?;
        total = dec::add(total, leg)?;
    }
    s.realized = dec::add(s.realized, total)?;
    refresh_price_flags(s);
    Ok(())
}

/// Whether a skipped exit fill that has its own true price (notional ≠ 0) is re-estimated by
/// `rebase_exits`: always when it carries no repair or a repair paired with this fill alone (a
/// settlement matched by cumQty, complete: `settled`); a repair by tradeId (settle.rs) lumps one
/// rp onto the first skipped fill of the trade, so it is replaced only when every repaired fill
/// is re-estimated together (`lumps_separable`).
fn rebase_skipped(f: &FillRecord, lumps_separable: bool) -> bool {
    !f.repaired || f.settled || lumps_separable
}

/// True when the slot has no skipped fill without a price (notional 0): then every repaired
/// fill is one `rebase_exits` re-estimates, and Σ of their recorded rp is exactly what the
/// repairs added, wherever a tradeId repair recorded it.
fn rebase_repairs_separable(s: &SlotState) -> bool {
    !s.legs.iter().any(|l| l.fills.iter().any(|f| f.skipped && f.notional.is_zero()))
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
    if dec::sub(expected, f.exchange_realized)?.abs() <= tol || dec::sub(f.estimate, f.exchange_realized)?.abs() <= tol {
        return Ok(None);
    }
    Ok(Some((f.estimate, format!("fill {} of leg {} (re-priced from the order report): expected {} (kernel estimate {}) vs exchange {}", r.group[0], l.leg_index, dec::fmt(expected), dec::fmt(f.estimate), dec::fmt(f.exchange_realized)))))
}

impl Kernel {
    /// Re-price order `oi` of live slot `si` (`reprice_entry` / `reprice_exit`) and run the K-vs-E checks the
    /// change makes possible; the caller settles the slot into the ledger. Returns whether it did.
    pub(super) fn reprice_in_slot(&mut self, si: usize, oi: usize, cum: Decimal, avg: Decimal, ts: i64, out: &mut Out) -> KResult<bool> {
        if self.slots[si].orders[oi].unpriced_qty.is_zero() {
            return Ok(false); // nothing to price (the common case: no clone)
        }
        let mut s = self.slots[si].clone();
        if let Some(pq) = reprice_entry(&mut s, oi, cum, avg)? {
            self.slots[si] = s;
            out.set("entryBasisBackfilledQty", DVal::D(pq));
            if self.slots[si].stage == Stage::Closed {
                self.trade_check(si, ts, out)?;
            }
            return Ok(true);
        }
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
        if o.unpriced_qty.is_zero() || o.filled_qty != cum {
            return None;
        }
        let mut out = Out::ok("fills booked without a price re-priced from the order's cumulative report (docs/accounting.md §Missing prices)");
        let r = if in_archive { self.reprice_in_archive(idx, oi, cum, avg, ev.ts_us, &mut out) } else { self.reprice_in_slot(idx, oi, cum, avg, ev.ts_us, &mut out).and_then(|_| self.settle_slot(idx)) };
        if let Err(e) = r {
            return Some(internal(e));
        }
        if !in_archive {
            out.slot = Some(idx);
        }
        Some(out)
    }

    /// Re-price order `oi` of archived trade `ai` (entry or exit) and settle the change into the ledger.
    pub(super) fn reprice_in_archive(&mut self, ai: usize, oi: usize, cum: Decimal, avg: Decimal, ts: i64, out: &mut Out) -> KResult<()> {
        if self.archive[ai].orders[oi].unpriced_qty.is_zero() {
            return Ok(());
        }
        let mut s = self.archive[ai].clone();
        let tol = self.cfg.pnl_anomaly_tolerance;
        if let Some(pq) = reprice_entry(&mut s, oi, cum, avg)? {
            let gap = self.trade_gap(&s, true, tol)?;
            self.ledger.settle(&mut s)?;
            self.archive.set(ai, s);
            out.set("entryBasisBackfilledQty", DVal::D(pq));
            if let Some((est, detail)) = gap {
                self.push_anomaly(ai, true, ts, est, detail, out);
            }
            return Ok(());
        }
        let r = match reprice_exit(&mut s, oi, cum, avg)? {
            Some(r) => r,
            None => return Ok(()),
        };
        let gap = match repriced_fill_gap(&s, &r, tol)? {
            Some(g) => Some(g),
            None => self.trade_gap(&s, true, tol)?,
        };
        self.ledger.settle(&mut s)?;
        self.archive.set(ai, s);
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
