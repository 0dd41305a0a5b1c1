//! Flaw mutants (kernel/README.md "Flaw mutants"; Cargo features, never in the default build)
//! behind small named hooks, so the production logic reads straight: each hook has its
//! production body and, under its `mutant_*` feature, the flawed one. Part of `Kernel`
//! (kernel.rs); moved out of the production functions (issue 11).

use super::*;

/// Previous stage a transition records (G3, M1). Mutant `mutant_hardcoded_prev_stage`: ENTER
/// records IDLE and EXIT records POSITION_OPEN whatever the true stage was.
#[cfg(not(feature = "mutant_hardcoded_prev_stage"))]
pub(super) fn recorded_from(_trigger: &str, from: Stage) -> Stage {
    from
}
#[cfg(feature = "mutant_hardcoded_prev_stage")]
pub(super) fn recorded_from(trigger: &str, from: Stage) -> Stage {
    match trigger {
        "ENTER" => Stage::Idle,
        "EXIT" | "EXIT_RESIDUAL" => Stage::PositionOpen,
        _ => from,
    }
}

/// Whether closing a trade advances the ledger's trade sequence (M13). Mutant
/// `mutant_trade_seq_frozen`: never.
pub(super) fn trade_seq_counts() -> bool {
    cfg!(not(feature = "mutant_trade_seq_frozen"))
}

/// Whether a slot's realized/fee increments settle now (Flaw 5: at any stage). Mutant
/// `mutant_settle_terminal_only`: only on CLOSED / IDLE.
#[cfg(not(feature = "mutant_settle_terminal_only"))]
pub(super) fn settles_now(_stage: Stage) -> bool {
    true
}
#[cfg(feature = "mutant_settle_terminal_only")]
pub(super) fn settles_now(stage: Stage) -> bool {
    stage == Stage::Closed || stage == Stage::Idle
}

/// Whether ENTER enforces the kernel leverage cap (G12). Mutant `mutant_no_leverage_cap`: no.
pub(super) fn leverage_capped() -> bool {
    cfg!(not(feature = "mutant_no_leverage_cap"))
}

/// Whether ENTER refuses a trade id already used (E7). Mutant `mutant_duplicate_trade_id`: no.
pub(super) fn trade_ids_unique() -> bool {
    cfg!(not(feature = "mutant_duplicate_trade_id"))
}

/// The new trade of a slot starts with no seen event ids (F26). Mutant `mutant_seen_not_cleared`:
/// the previous trade's ids are carried over.
#[cfg(not(feature = "mutant_seen_not_cleared"))]
pub(super) fn carry_seen_ids(_new: &mut SlotState, _old: &SlotState) {}
#[cfg(feature = "mutant_seen_not_cleared")]
pub(super) fn carry_seen_ids(new: &mut SlotState, old: &SlotState) {
    new.seen_event_ids = old.seen_event_ids.clone();
    new.rebuild_seen();
}

/// The size exit legs are sized from (A1/E8: the remaining size). Mutant
/// `mutant_exit_initial_size`: the initial size.
#[cfg(not(feature = "mutant_exit_initial_size"))]
pub(super) fn exit_leg_base(s: &SlotState) -> Decimal {
    s.size
}
#[cfg(feature = "mutant_exit_initial_size")]
pub(super) fn exit_leg_base(s: &SlotState) -> Decimal {
    s.initial_size
}

/// Whether CANCEL is recorded as a transition (M2). Mutant `mutant_cancel_no_transition`: no.
pub(super) fn cancel_is_transition() -> bool {
    cfg!(not(feature = "mutant_cancel_no_transition"))
}

/// A route for an identity-less event that matched nothing (G13, J8: none). Mutant
/// `mutant_slot0_fallback`: slot 0's working order.
#[cfg(not(feature = "mutant_slot0_fallback"))]
pub(super) fn slot0_fallback(_k: &Kernel) -> Option<Route> {
    None
}
#[cfg(feature = "mutant_slot0_fallback")]
pub(super) fn slot0_fallback(k: &Kernel) -> Option<Route> {
    if !k.slots.is_empty() {
        if let Some(oi) = k.slots[0].live_order(Purpose::Exit).or_else(|| k.slots[0].live_order(Purpose::Entry)) {
            return Some(Route::Found { si: 0, oi, learn_vid: false, by_state: true });
        }
    }
    None
}

/// Whether a venue event for a slot in `stage` is refused as stale because the slot is CLOSED
/// (I13). Mutant `mutant_closed_reopen`: never (a stray fill reopens the slot).
#[cfg(not(feature = "mutant_closed_reopen"))]
pub(super) fn closed_guard(stage: Stage) -> bool {
    stage == Stage::Closed
}
#[cfg(feature = "mutant_closed_reopen")]
pub(super) fn closed_guard(_stage: Stage) -> bool {
    false
}

/// A stale ORDER_REJECT for a finished entry order is refused (M9): no outcome here. Mutant
/// `mutant_stale_reject_destroys`: it is applied and destroys the position.
#[cfg(not(feature = "mutant_stale_reject_destroys"))]
pub(super) fn stale_reject(_k: &mut Kernel, _si: usize, _live: bool, _purpose: Purpose, _ev: &VenueEvent) -> Option<Out> {
    None
}
#[cfg(feature = "mutant_stale_reject_destroys")]
pub(super) fn stale_reject(k: &mut Kernel, si: usize, live: bool, purpose: Purpose, ev: &VenueEvent) -> Option<Out> {
    if !live && ev.kind == VenueKind::OrderReject && purpose == Purpose::Entry {
        let mut out = Out::new(true, Code::VenueRejected, Severity::Warning, "ORDER_REJECT applied");
        let s = &mut k.slots[si];
        s.size = Decimal::ZERO;
        k.set_stage(si, Stage::Idle, "ORDER_REJECT", ev.ts_us, &mut out);
        k.slots[si].remember(&ev.event_id);
        return Some(out);
    }
    None
}

/// A CANCEL_REJECT leaves the order working (I15, E17). Mutant `mutant_cancel_reject_strands`:
/// the order is dropped from the working set and the slot is stranded.
#[cfg(not(feature = "mutant_cancel_reject_strands"))]
pub(super) fn cancel_reject_drops(_o: &mut OrderState) {}
#[cfg(feature = "mutant_cancel_reject_strands")]
pub(super) fn cancel_reject_drops(o: &mut OrderState) {
    o.live = false;
}

/// Whether the end of an entry order resets the slot (Flaws 1-2). Mutant
/// `mutant_cancel_no_reset`: not on CANCEL_ACK.
#[cfg(not(feature = "mutant_cancel_no_reset"))]
pub(super) fn entry_end_resets(_trigger: &str) -> bool {
    true
}
#[cfg(feature = "mutant_cancel_no_reset")]
pub(super) fn entry_end_resets(trigger: &str) -> bool {
    trigger != "CANCEL_ACK"
}

/// The quantity a fill books: clamped to what the order / position can take (A3, I8). Mutant
/// `mutant_no_overfill_clamp`: the whole reported increment.
#[cfg(not(feature = "mutant_no_overfill_clamp"))]
pub(super) fn clamp_fill(raw_inc: Decimal, cap: Decimal) -> Decimal {
    dmin(raw_inc, cap)
}
#[cfg(feature = "mutant_no_overfill_clamp")]
pub(super) fn clamp_fill(raw_inc: Decimal, _cap: Decimal) -> Decimal {
    raw_inc
}

/// Position size after an exit fill of `q`: never negative (A3, I8). Mutant
/// `mutant_no_overfill_clamp`: may go negative.
#[cfg(not(feature = "mutant_no_overfill_clamp"))]
pub(super) fn size_after_exit(size: Decimal, q: Decimal) -> KResult<Decimal> {
    Ok(dmax(dec::sub(size, q)?, Decimal::ZERO))
}
#[cfg(feature = "mutant_no_overfill_clamp")]
pub(super) fn size_after_exit(size: Decimal, q: Decimal) -> KResult<Decimal> {
    dec::sub(size, q)
}

/// The entry basis after an entry fill (E10a: VWAP of the priced entry fills, rounded). Mutant
/// `mutant_entry_last_price`: the last fill's price.
#[cfg(not(feature = "mutant_entry_last_price"))]
pub(super) fn entry_basis(notional: Decimal, priced_qty: Decimal, _priced: bool, _price: Option<Decimal>, _old: Decimal) -> KResult<Decimal> {
    Ok(if priced_qty > Decimal::ZERO { dec::round(dec::div(notional, priced_qty)?, PRICE_DP) } else { Decimal::ZERO })
}
#[cfg(feature = "mutant_entry_last_price")]
pub(super) fn entry_basis(_notional: Decimal, _priced_qty: Decimal, priced: bool, price: Option<Decimal>, old: Decimal) -> KResult<Decimal> {
    Ok(if priced { price.unwrap_or(Decimal::ZERO) } else { old })
}

/// The entry basis as booked (E10a: the VWAP `vwap` computed above). Mutant
/// `mutant_entry_plain_mean` (issue 12): the plain mean of the priced entry fills' prices,
/// unweighted by quantity.
#[cfg(not(feature = "mutant_entry_plain_mean"))]
pub(super) fn entry_basis_mean(vwap: Decimal, _s: &SlotState, _priced: bool, _q: Decimal, _notional: Decimal) -> KResult<Decimal> {
    Ok(vwap)
}
#[cfg(feature = "mutant_entry_plain_mean")]
pub(super) fn entry_basis_mean(_vwap: Decimal, s: &SlotState, priced: bool, q: Decimal, notional: Decimal) -> KResult<Decimal> {
    if !(priced && q > Decimal::ZERO) {
        return Ok(s.entry_price);
    }
    let fill_price = dec::div(notional, q)?;
    let n = Decimal::from(s.entry_fill_count);
    Ok(dec::round(dec::div(dec::add(dec::mul(s.entry_price, n)?, fill_price)?, dec::add(n, Decimal::ONE)?)?, PRICE_DP))
}

/// Counts priced entry fills (only the `mutant_entry_plain_mean` mutant keeps the count).
#[cfg(not(feature = "mutant_entry_plain_mean"))]
pub(super) fn count_entry_fill(_s: &mut SlotState, _priced: bool, _q: Decimal) {}
#[cfg(feature = "mutant_entry_plain_mean")]
pub(super) fn count_entry_fill(s: &mut SlotState, priced: bool, q: Decimal) {
    if priced && q > Decimal::ZERO {
        s.entry_fill_count += 1;
    }
}

/// Size and initial size after an entry fill of `q` (I1: accumulated). Mutant
/// `mutant_entry_overwrite`: overwritten by the fill's quantity.
#[cfg(not(feature = "mutant_entry_overwrite"))]
pub(super) fn entry_sizes(_q: Decimal, size: Decimal, initial: Decimal) -> (Decimal, Decimal) {
    (size, initial)
}
#[cfg(feature = "mutant_entry_overwrite")]
pub(super) fn entry_sizes(q: Decimal, _size: Decimal, _initial: Decimal) -> (Decimal, Decimal) {
    (q, q)
}

/// Realized PnL of an exit fill before rounding: side-sign × q × (exit − entry) (`r`). Mutant
/// `mutant_leverage_pnl` (accounting spec §0 defect 2, the FET incident formula, no side sign):
/// q × (exit − entry) / entry × entry × leverage.
#[cfg(not(feature = "mutant_leverage_pnl"))]
pub(super) fn exit_realized(r: Decimal, _q: Decimal, _price: Option<Decimal>, _basis: Decimal, _leverage: i64) -> KResult<Decimal> {
    Ok(r)
}
#[cfg(feature = "mutant_leverage_pnl")]
pub(super) fn exit_realized(_r: Decimal, q: Decimal, price: Option<Decimal>, basis: Decimal, leverage: i64) -> KResult<Decimal> {
    let p = price.unwrap_or(Decimal::ZERO);
    dec::mul(dec::mul(dec::div(dec::mul(q, dec::sub(p, basis)?)?, basis)?, basis)?, Decimal::from(leverage))
}

/// A mark price never becomes the entry basis (A4). Mutant `mutant_mark_basis`: it does when no
/// fill price is known yet.
#[cfg(not(feature = "mutant_mark_basis"))]
pub(super) fn mark_as_basis(_s: &mut SlotState, _mark: Decimal) {}
#[cfg(feature = "mutant_mark_basis")]
pub(super) fn mark_as_basis(s: &mut SlotState, mark: Decimal) {
    if s.entry_price.is_zero() && s.stage != Stage::Idle && s.stage != Stage::Closed {
        s.entry_price = mark;
    }
}

/// The slot states saveState writes (I10: with their seen event ids). Mutant
/// `mutant_seen_not_saved`: without them.
#[cfg(not(feature = "mutant_seen_not_saved"))]
pub(super) fn saved_slots(slots: &Slots) -> std::borrow::Cow<'_, [SlotState]> {
    std::borrow::Cow::Borrowed(slots.as_vec().as_slice())
}
#[cfg(feature = "mutant_seen_not_saved")]
pub(super) fn saved_slots(slots: &Slots) -> std::borrow::Cow<'_, [SlotState]> {
    std::borrow::Cow::Owned(
        slots
            .iter()
            .cloned()
            .map(|mut s| {
                s.seen_event_ids = Vec::new();
                s
            })
            .collect(),
    )
}

/// Slot states as saveState writes them, after `saved_slots` (I9, docs/architecture.md §Kernel reference 12: with
/// their exit-leg index). Mutant `mutant_exit_leg_not_saved` (issue 12): the saved slots forget
/// it, so after a restart the next exit is sized and named as leg 0 again.
#[cfg(not(feature = "mutant_exit_leg_not_saved"))]
pub(super) fn saved_exit_legs(slots: std::borrow::Cow<'_, [SlotState]>) -> std::borrow::Cow<'_, [SlotState]> {
    slots
}
#[cfg(feature = "mutant_exit_leg_not_saved")]
pub(super) fn saved_exit_legs(slots: std::borrow::Cow<'_, [SlotState]>) -> std::borrow::Cow<'_, [SlotState]> {
    std::borrow::Cow::Owned(
        slots
            .iter()
            .cloned()
            .map(|mut s| {
                s.exit_leg_index = 0;
                s
            })
            .collect(),
    )
}

/// The restored slot images restore validates (Flaw 11, G8, J7, G14: all). Mutant
/// `mutant_restore_no_validation`: none (a raw override).
#[cfg(not(feature = "mutant_restore_no_validation"))]
pub(super) fn slots_to_validate(slots: &[SlotState]) -> &[SlotState] {
    slots
}
#[cfg(feature = "mutant_restore_no_validation")]
pub(super) fn slots_to_validate(_slots: &[SlotState]) -> &[SlotState] {
    &[]
}

/// A restored slot keeps its settle baselines (spec §0.3). Mutant
/// `mutant_restore_baseline_reset`: they reset, re-settling carried PnL.
#[cfg(not(feature = "mutant_restore_baseline_reset"))]
pub(super) fn after_restore(_s: &mut SlotState) {}
#[cfg(feature = "mutant_restore_baseline_reset")]
pub(super) fn after_restore(s: &mut SlotState) {
    s.settled_realized = Decimal::ZERO;
    s.settled_fees = Decimal::ZERO;
}

/// The wallet an anchor without `walletBalanceUsdt` uses (L5: none, refused). Mutant
/// `mutant_anchor_accepts_zero`: 0.
#[cfg(not(feature = "mutant_anchor_accepts_zero"))]
pub(super) fn missing_wallet() -> Option<Decimal> {
    None
}
#[cfg(feature = "mutant_anchor_accepts_zero")]
pub(super) fn missing_wallet() -> Option<Decimal> {
    Some(Decimal::ZERO)
}

/// Whether an anchor's wallet is refused (L5: ≤ 0). Mutant `mutant_anchor_accepts_zero`: < 0.
#[cfg(not(feature = "mutant_anchor_accepts_zero"))]
pub(super) fn wallet_refused(w: Decimal) -> bool {
    w <= Decimal::ZERO
}
#[cfg(feature = "mutant_anchor_accepts_zero")]
pub(super) fn wallet_refused(w: Decimal) -> bool {
    w < Decimal::ZERO
}

/// Capital after settling a realized increment `dr` and a fee increment `df`: net of fees (A7,
/// E18, docs/accounting.md §3.1). Mutant `mutant_fees_ignored`: fees ignored.
#[cfg(not(feature = "mutant_fees_ignored"))]
pub(crate) fn settled_capital(capital: Decimal, dr: Decimal, df: Decimal) -> KResult<Decimal> {
    dec::sub(dec::add(capital, dr)?, df)
}
#[cfg(feature = "mutant_fees_ignored")]
pub(crate) fn settled_capital(capital: Decimal, dr: Decimal, _df: Decimal) -> KResult<Decimal> {
    dec::add(capital, dr)
}

/// The funding amount booked: as paid (+ = received, docs/accounting.md §3.1). Mutant
/// `mutant_funding_sign` (issue 12): the wrong sign.
#[cfg(not(feature = "mutant_funding_sign"))]
pub(crate) fn funding_booked(amount: Decimal) -> Decimal {
    amount
}
#[cfg(feature = "mutant_funding_sign")]
pub(crate) fn funding_booked(amount: Decimal) -> Decimal {
    -amount
}

/// A slot's seen event ids after remembering one: all kept while the trade lives (Flaw 10, M6).
/// Mutant `mutant_dedup_window64`: the seeds' bounded window of 64 silently evicts the oldest.
#[cfg(not(feature = "mutant_dedup_window64"))]
pub(crate) fn bound_seen_ids(_ids: &mut Vec<String>, _set: &mut crate::model::SeenIndex) {}
#[cfg(feature = "mutant_dedup_window64")]
pub(crate) fn bound_seen_ids(ids: &mut Vec<String>, set: &mut crate::model::SeenIndex) {
    while ids.len() > 64 {
        let old = ids.remove(0);
        set.remove(&old);
    }
}
