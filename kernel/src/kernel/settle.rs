//! Account events and exchange settlement: anchors, BALANCE, FUNDING, FILL_SETTLED pairing and repair. Part of `Kernel` (kernel.rs); moved out of the one-file kernel (issue 11).

use super::*;

/// Σ per-fill kernel estimates of a trade (exit fills; unpriced fills count 0).
pub fn kernel_estimate(s: &SlotState) -> KResult<Decimal> {
    let mut t = Decimal::ZERO;
    for l in &s.legs {
        for f in &l.fills {
            t = dec::add(t, f.estimate)?;
        }
    }
    Ok(t)
}

/// Result of matching one exchange settlement with the next booked fill of a leg.
pub enum LegSettle {
    /// The fill has not been booked yet.
    Pending,
    /// The fill had no true price: the exchange figure was added (spec §5.2 repair).
    Repaired,
    /// Within tolerance.
    Matched,
    /// Beyond tolerance: (kernel estimate, detail).
    Anomaly(Decimal, String),
}

/// Match settlement `rp` of leg `li`'s order with the booked fill it settles: with `cum_qty` (the
/// order's cumulative quantity including the settled fill, WS `z`) the first fill whose cumQty is
/// ≥ it, so settlements pair correctly in any arrival order and a fill booked merged (a cumulative
/// frame that outran an earlier one) collects each of its settlements; without it the k-th
/// settlement of the order ↔ its k-th booked fill (`settle_cursor`).
/// An unpriced fill (realized_skipped_no_price) is repaired by adding every paired rp (spec §5.2);
/// a priced fill is compared with the Σ rp paired with it once the settlement of its own last
/// quantity (cumQty = the fill's) or, without cumQty, its one settlement has arrived.
/// Pending: the fill is not booked yet.
pub fn settle_leg_fill(s: &mut SlotState, li: usize, rp: Decimal, cum_qty: Option<Decimal>, tol: Decimal) -> KResult<LegSettle> {
    let (k, last_piece) = match cum_qty {
        Some(q) => match s.legs[li].fills.iter().position(|f| f.cum_qty >= q) {
            Some(k) => (k, s.legs[li].fills[k].cum_qty == q),
            None => return Ok(LegSettle::Pending),
        },
        None => {
            let k = s.legs[li].settle_cursor as usize;
            if k >= s.legs[li].fills.len() {
                return Ok(LegSettle::Pending);
            }
            s.legs[li].settle_cursor += 1;
            (k, true)
        }
    };
    let (skipped, est, paired, pooled) = {
        let f = &s.legs[li].fills[k];
        (f.skipped, f.estimate, dec::add(f.exchange_realized, rp)?, f.pooled)
    };
    // Judged against what the venue's one-way position predicts for this fill (netting-aware,
    // docs/accounting.md §One-way netting), else against the slot's own estimate.
    let expected = if skipped { est } else { netting::fill_expected(&s.legs[li].fills[k])? };
    let leg_realized = dec::add(s.legs[li].realized, rp)?;
    let slot_realized = dec::add(s.realized, rp)?;
    let gap = dec::sub(expected, paired)?.abs();
    // A figure equal to the slot's own estimate is explained too: in hedge mode the venue does
    // not net (the kernel does not know the account's position mode).
    let own_gap = dec::sub(est, paired)?.abs();
    let l = &mut s.legs[li];
    l.fills[k].exchange_realized = paired;
    if last_piece {
        l.fills[k].settled = true;
    }
    if skipped {
        // Every settlement paired with an unpriced fill adds its rp (a merged fill has several).
        l.fills[k].repaired = true;
        l.realized = leg_realized;
        s.realized = slot_realized;
        s.flags.repaired_from_exchange = true;
        s.flags.realized_skipped_no_price = s.legs.iter().any(|l| l.fills.iter().any(|f| f.skipped && !f.repaired));
        return Ok(LegSettle::Repaired);
    }
    if last_piece && !pooled && gap > tol && own_gap > tol {
        return Ok(LegSettle::Anomaly(est, format!("fill {} of leg {}: expected {} (kernel estimate {}, one-way netting {}) vs exchange {}", k, l.leg_index, dec::fmt(expected), dec::fmt(est), dec::fmt(dec::sub(expected, est)?), dec::fmt(paired))));
    }
    Ok(LegSettle::Matched)
}

/// One FILL_SETTLED's exchange figures: realized PnL and fee of the fill (USDT), the order's
/// cumulative quantity including it (WS `z`, when known) and the event time (µs).
struct SettledFigures {
    realized: Decimal,
    fee: Decimal,
    cum_qty: Option<Decimal>,
    ts_us: i64,
}

/// Book a settlement's fee once (spec §3.1, A7: fees are exchange facts, never ignored): the
/// order's booked fee becomes the larger of its fills' and its settlements' figures (and its
/// leg's fees follow); a settlement naming no order books what the trade's exchange fees exceed
/// its booked fees by. The increment goes to the trade's fees and to `feeBookedUsdt`.
fn settlement_fee(s: &mut SlotState, oi: Option<usize>, fee: Decimal, out: &mut Out) -> KResult<()> {
    let fee_delta = match oi {
        Some(i) => {
            let o = &mut s.orders[i];
            let before = o.booked_fee();
            o.settled_fee = dec::add(o.settled_fee, fee)?;
            let now = o.booked_fee();
            let coid = o.client_order_id.clone();
            if let Some(l) = s.legs.iter_mut().find(|l| l.client_order_id == coid) {
                l.fees = now;
            }
            dec::sub(now, before)?
        }
        None => dec::sub(order_fee(s.fees, s.exchange_fees), s.fees)?,
    };
    if !fee_delta.is_zero() {
        s.fees = dec::add(s.fees, fee_delta)?;
        out.set("feeBookedUsdt", DVal::S(dec::fmt(fee_delta)));
    }
    Ok(())
}

/// The settlement of an entry fill. Under one-way netting an entry fill opposite to the symbol's
/// net position closes part of it and the venue realizes PnL on it (docs/accounting.md §One-way
/// netting): judged with the trade (trade_gap, against the mirror's prediction). An entry whose
/// fills the mirror saw open only (nothing closed, entry known) cannot realize: more than `tol`
/// there is an anomaly (kernel estimate 0, detail).
fn settle_entry(s: &mut SlotState, rp: Decimal, tol: Decimal) -> KResult<Option<(Decimal, String)>> {
    s.entry_exchange_realized = dec::add(s.entry_exchange_realized, rp)?;
    if rp.abs() > tol && s.entry_net.close_qty.is_zero() && !s.entry_net.unknown {
        return Ok(Some((Decimal::ZERO, format!("exchange realized {} on an entry fill that closed nothing of the symbol's one-way position; the kernel books 0 for opening fills", dec::fmt(rp)))));
    }
    Ok(None)
}

/// The settlement of an exit order `c`'s fill: recorded on its leg, then paired with the booked
/// fill it settles (settle_leg_fill). Before that fill is booked it waits as a pending settlement
/// (compared, or used as a repair, when the fill is booked); an unpriced fill is repaired; beyond
/// `tol` it is an anomaly (kernel estimate, detail).
fn settle_exit(s: &mut SlotState, c: String, fig: &SettledFigures, tol: Decimal, out: &mut Out) -> KResult<Option<(Decimal, String)>> {
    let li = s.legs.iter().position(|l| l.client_order_id == c);
    if let Some(li) = li {
        let l = &mut s.legs[li];
        l.exchange_realized = Some(dec::add(l.exchange_realized.unwrap_or(Decimal::ZERO), fig.realized)?);
        l.exchange_fees = dec::add(l.exchange_fees, fig.fee)?;
    }
    let matched = match li {
        Some(li) => settle_leg_fill(s, li, fig.realized, fig.cum_qty, tol)?,
        None => LegSettle::Pending,
    };
    match matched {
        LegSettle::Pending => {
            s.pending_settlements.push(PendingSettlement { client_order_id: c, realized: fig.realized, fee: fig.fee, ts_us: fig.ts_us, leg_recorded: li.is_some(), cum_qty: fig.cum_qty });
            out.set("pendingFill", DVal::B(true));
            out.message = "FILL_SETTLED before its fill: exchange figure recorded, compared when the fill is booked".into();
        }
        LegSettle::Repaired => {
            out.message = "FILL_SETTLED repaired a leg booked without a price (realized_skipped_no_price)".into();
            out.set("repaired", DVal::B(true));
        }
        LegSettle::Matched => {}
        LegSettle::Anomaly(est, detail) => return Ok(Some((est, detail))),
    }
    Ok(None)
}

/// A settlement naming the trade only: the exchange figure for the trade's exit fills booked
/// without a price (each marked repaired; `rp` recorded on the first, so a re-pricing, reprice.rs,
/// takes it back exactly once), or nothing to do here (the whole-trade comparison, trade_gap,
/// judges it once the trade is closed).
fn settle_by_trade_id(s: &mut SlotState, rp: Decimal, out: &mut Out) -> KResult<()> {
    let mut repaired = false;
    for l in s.legs.iter_mut() {
        for f in l.fills.iter_mut() {
            if f.skipped && !f.repaired {
                f.repaired = true;
                if !repaired {
                    f.exchange_realized = dec::add(f.exchange_realized, rp)?;
                }
                repaired = true;
            }
        }
    }
    if repaired {
        if let Some(l) = s.legs.iter_mut().find(|l| l.fills.iter().any(|f| f.skipped)) {
            l.realized = dec::add(l.realized, rp)?;
            l.exchange_realized = Some(dec::add(l.exchange_realized.unwrap_or(Decimal::ZERO), rp)?);
        }
        s.realized = dec::add(s.realized, rp)?;
        s.flags.repaired_from_exchange = true;
        out.message = "FILL_SETTLED (by tradeId) repaired the trade's exit fills booked without a price".into();
        out.set("repaired", DVal::B(true));
    }
    Ok(())
}

impl Kernel {
    /// Anchor capital to the exchange wallet (spec §3.1). Missing / zero / negative wallet →
    /// ANCHOR_REJECTED, nothing changed (L5).
    pub fn anchor(&mut self, wallet: Option<Decimal>, available: Option<Decimal>, seq: i64) -> Out {
        let before = self.ledger.clone();
        let w = match wallet.or_else(mutants::missing_wallet) {
            None => return Out::refuse(Code::AnchorRejected, "walletBalanceUsdt missing: anchor refused (L5)").ds("field", "walletBalanceUsdt").ds("value", "(missing)"),
            Some(w) => w,
        };
        if mutants::wallet_refused(w) {
            return Out::refuse(Code::AnchorRejected, format!("walletBalanceUsdt {} must be > 0: anchor refused (L5)", dec::fmt(w))).ds("field", "walletBalanceUsdt").ds("value", &dec::fmt(w));
        }
        if let Some(a) = available {
            if a < Decimal::ZERO {
                return Out::refuse(Code::AnchorRejected, format!("availableMarginUsdt {} must not be negative", dec::fmt(a))).ds("field", "availableMarginUsdt").ds("value", &dec::fmt(a));
            }
        }
        let prev = self.ledger.capital;
        self.ledger.anchor(w, available, seq);
        let mut out = Out::ok("capital anchored to the exchange wallet (e_anchored)");
        out.set("previousCapitalUsdt", DVal::S(dec::fmt(prev)));
        out.set("capitalUsdt", DVal::S(dec::fmt(w)));
        self.finish(&before, out)
    }

    /// BALANCE / FILL_SETTLED / FUNDING (spec §3, §5.2). Idempotent by eventId.
    pub fn on_account_event(&mut self, ev: &AccountEvent) -> Out {
        let symbol = match ev {
            AccountEvent::FillSettled { symbol, .. } => Some(symbol),
            AccountEvent::Funding { symbol, .. } if symbol != crate::validate::ACCOUNT_WIDE_SYMBOL => Some(symbol),
            _ => None,
        };
        if let Some(symbol) = symbol {
            if let Err(o) = crate::validate::configured_symbol(&self.cfg, "symbol", symbol, Code::InvalidEvent) {
                return o;
            }
        }
        let before = self.ledger.clone();
        let mut out = self.account_inner(ev);
        if out.code == Code::UnresolvedSlot {
            if let AccountEvent::FillSettled { event_id, venue_order_id: Some(v), client_order_id: None, trade_id: None, .. } = ev {
                let (v, id) = (v.clone(), event_id.clone());
                self.park(&v, &id, ParkedInput::Account(ev.clone()), &mut out);
            }
        }
        self.finish(&before, out)
    }

    pub(super) fn account_inner(&mut self, ev: &AccountEvent) -> Out {
        let event_id = match ev {
            AccountEvent::Balance { event_id, .. } | AccountEvent::FillSettled { event_id, .. } | AccountEvent::Funding { event_id, .. } => event_id.clone(),
        };
        if self.account_seen.contains(&event_id) {
            return Out::new(false, Code::DuplicateEvent, Severity::Info, "account eventId already applied: no-op").ds("eventId", &event_id);
        }
        let out = match ev {
            AccountEvent::Balance { wallet, available, ts_us, .. } => {
                let o = self.anchor(*wallet, *available, *ts_us);
                return self.remember_account(&event_id, o);
            }
            AccountEvent::Funding { amount, .. } => match self.ledger.funding(*amount) {
                Ok(()) => Out::ok("funding booked (k_bridged)").ds("amountUsdt", &dec::fmt(*amount)),
                Err(e) => internal(e),
            },
            AccountEvent::FillSettled { event_id, ts_us, symbol, trade_id, venue_order_id, client_order_id, realized, fee, cum_qty } => {
                match self.fill_settled(event_id, *ts_us, symbol, trade_id.as_deref(), venue_order_id.as_deref(), client_order_id.as_deref(), *realized, *fee, *cum_qty) {
                    Ok(o) => o,
                    Err(e) => internal(e),
                }
            }
        };
        self.remember_account(&event_id, out)
    }

    pub(super) fn remember_account(&mut self, event_id: &str, out: Out) -> Out {
        if out.accepted {
            self.account_seen.append(event_id);
        }
        out
    }

    /// Locate the trade a FILL_SETTLED belongs to: (in_archive, index, order index).
    pub(super) fn locate_trade(&self, symbol: &str, trade_id: Option<&str>, vid: Option<&str>, coid: Option<&str>) -> Option<(bool, usize, Option<usize>)> {
        let find_order = |s: &SlotState| -> Option<usize> {
            s.orders.iter().position(|o| (vid.is_some() && o.venue_order_id.as_deref() == vid) || (coid.is_some() && Some(o.client_order_id.as_str()) == coid))
        };
        for (si, s) in self.slots.iter().enumerate() {
            if s.symbol == symbol && !s.trade_id.is_empty() {
                if let Some(oi) = find_order(s) {
                    return Some((false, si, Some(oi)));
                }
            }
        }
        for (ai, s) in self.archive.iter().enumerate().rev() {
            if s.symbol == symbol {
                if let Some(oi) = find_order(s) {
                    return Some((true, ai, Some(oi)));
                }
            }
        }
        if let Some(t) = trade_id {
            let lower = t.to_ascii_lowercase();
            for (si, s) in self.slots.iter().enumerate() {
                if s.trade_id.to_ascii_lowercase() == lower && s.symbol == symbol {
                    return Some((false, si, None));
                }
            }
            if let Some(ai) = self.archive_index.get(&lower).and_then(|a| a.checked_sub(self.archive_base)) {
                if self.archive.get(ai).map(|s| s.symbol == symbol).unwrap_or(false) {
                    return Some((true, ai, None));
                }
            }
        }
        None
    }

    /// FILL_SETTLED (docs/accounting.md §5.2, spec §3.1): the exchange's realized PnL and fee of
    /// one fill, for the trade it names (order ids, or the trade id only). Records the exchange
    /// figures on the trade, books the fee once (settlement_fee), then settles by the order's
    /// purpose (entry: settle_entry; exit: settle_exit, which pairs it with its booked fill;
    /// trade id only: settle_by_trade_id), judges the trade's K-vs-E gap when no fill-level
    /// anomaly was found, and commits (commit_settlement). UNRESOLVED_SLOT when no trade matches.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fill_settled(&mut self, event_id: &str, ts: i64, symbol: &str, trade_id: Option<&str>, vid: Option<&str>, coid: Option<&str>, rp: Decimal, fee: Decimal, cum_qty: Option<Decimal>) -> KResult<Out> {
        let (in_archive, idx, oi) = match self.locate_trade(symbol, trade_id, vid, coid) {
            Some(x) => x,
            None => {
                return Ok(Out::new(false, Code::UnresolvedSlot, Severity::Warning, "FILL_SETTLED matches no trade of this kernel: nothing mutated").ds("symbol", symbol));
            }
        };
        let tol = self.cfg.pnl_anomaly_tolerance;
        let fig = SettledFigures { realized: rp, fee, cum_qty, ts_us: ts };
        let mut s = if in_archive { self.archive[idx].clone() } else { self.slots[idx].clone() };
        let mut out = Out::ok("FILL_SETTLED recorded (pnlSource=exchange)");
        s.settlement_ids.push(event_id.to_string()); // owned by the trade (evict_archive)
        s.exchange_realized = Some(dec::add(s.exchange_realized.unwrap_or(Decimal::ZERO), rp)?);
        s.exchange_fees = dec::add(s.exchange_fees, fee)?;
        settlement_fee(&mut s, oi, fee, &mut out)?;
        let order_purpose = oi.and_then(|i| s.orders.get(i)).map(|o| (o.purpose, o.client_order_id.clone()));
        let is_entry_settlement = order_purpose.as_ref().map(|p| p.0) == Some(Purpose::Entry);
        let mut anomaly = match order_purpose {
            Some((Purpose::Entry, _)) => settle_entry(&mut s, rp, tol)?,
            Some((Purpose::Exit, c)) => settle_exit(&mut s, c, &fig, tol, &mut out)?,
            None => {
                settle_by_trade_id(&mut s, rp, &mut out)?;
                None
            }
        };
        s.flags.realized_skipped_no_price = s.legs.iter().any(|l| l.fills.iter().any(|f| f.skipped && !f.repaired));
        if !is_entry_settlement {
            s.exit_settlements = s.exit_settlements.saturating_add(1);
        }
        if anomaly.is_none() {
            anomaly = self.trade_gap(&s, in_archive, tol)?;
        }
        self.commit_settlement(s, in_archive, idx, &fig, anomaly, &mut out)?;
        out.set("exchangeFeeUsdt", DVal::S(dec::fmt(fee)));
        Ok(out)
    }

    /// Commit a settled trade: settle the increment (repairs only) through the slot's baseline,
    /// store the trade back (live slot or archive), record a PNL_ANOMALY when one was found
    /// (spec §5.2: recorded, never re-booked) and name the trade in the outcome.
    fn commit_settlement(&mut self, mut s: SlotState, in_archive: bool, idx: usize, fig: &SettledFigures, anomaly: Option<(Decimal, String)>, out: &mut Out) -> KResult<()> {
        self.ledger.settle(&mut s)?;
        let tid = s.trade_id.clone();
        if in_archive {
            self.archive.set(idx, s);
        } else {
            self.slots[idx] = s;
            out.slot = Some(idx);
        }
        if let Some((est, detail)) = anomaly {
            let seq = self.anomalies.len() as u64 + 1;
            self.anomalies.push(AnomalyState { seq, ts_us: fig.ts_us, code: Code::PnlAnomaly, trade_id: Some(tid.clone()), detail: detail.clone(), kernel_estimate: Some(est), exchange: Some(fig.realized) });
            out.accepted = true;
            out.code = Code::PnlAnomaly;
            out.severity = Severity::Error;
            out.message = format!("PNL_ANOMALY recorded, not re-booked (spec §5.2): {}", detail).into();
        }
        out.set("tradeId", DVal::S(tid));
        Ok(())
    }

    /// Trade-level K-vs-E check (complements the per-fill one, which cannot pair settlements with
    /// fills the kernel booked merged, e.g. a cumulative fill after a lost or reordered frame):
    /// once the trade is closed and has at least as many exit settlements as booked exit fills,
    /// |Σ kernel estimate − Σ exchange rp| must stay within tolerance × settlements received,
    /// else one PNL_ANOMALY (estimate, detail) for the trade; None when it holds, when the trade
    /// already has an anomaly, or when it is not complete yet. Evaluated whenever the trade may
    /// have become complete: on each FILL_SETTLED and on the fill that closes the position
    /// (settlements that outran their fills are matched then: chaos seed 5163, case
    /// trade_gap_on_closing_fill; spec §5.2). A repaired trade is judged by what it booked
    /// (estimates + the exchange rp of its unpriced fills), so a repair that missed a settlement
    /// is not silent either.
    pub(super) fn trade_gap(&self, s: &SlotState, in_archive: bool, tol: Decimal) -> KResult<Option<(Decimal, String)>> {
        if self.anomalies.iter().any(|a| a.trade_id.as_deref() == Some(s.trade_id.as_str())) {
            return Ok(None);
        }
        let closed = s.stage == Stage::Closed || (in_archive && s.size.is_zero());
        // Evaluated once every booked exit fill can have had its settlement (count-wise), so a
        // settlement trailing the close does not raise a transient anomaly.
        let booked_fills: usize = s.legs.iter().map(|l| l.fills.len()).sum();
        if !closed || (s.exit_settlements as usize) < booked_fills || s.flags.realized_skipped_no_price {
            return Ok(None);
        }
        let repaired = s.flags.repaired_from_exchange;
        let est = if repaired { s.realized } else { kernel_estimate(s)? };
        // What the venue should have realized: each exit fill's predicted rp under one-way
        // netting (or its estimate / repair rp when no prediction is possible) plus the rp the
        // mirror predicted for the trade's entry fills (docs/accounting.md §One-way netting).
        let expected = netting::trade_expected(s)?;
        let ex = s.exchange_realized.unwrap_or(Decimal::ZERO);
        let bound = dec::mul(tol, Decimal::from(s.exit_settlements.max(1)))?;
        // Explained by the venue's one-way netting, or (hedge mode: no netting) by the slot's own figure.
        if dec::sub(expected, ex)?.abs() <= bound || dec::sub(est, ex)?.abs() <= bound {
            return Ok(None);
        }
        let what = if repaired { "booked (repaired)" } else { "kernel estimate" };
        Ok(Some((est, format!("trade {}: {} {}, expected under one-way netting {}, vs exchange {} over {} settlement(s)", s.trade_id, what, dec::fmt(est), dec::fmt(expected), dec::fmt(ex), s.exit_settlements))))
    }
}
