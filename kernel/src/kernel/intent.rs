//! Intents: ENTER / EXIT / EXIT_RESIDUAL / CANCEL, trade ids, the bounded archive. Part of `Kernel` (kernel.rs); moved out of the one-file kernel (issue 11).

use super::*;

pub(super) fn exit_coid(tid: &str, leg: u32, attempt: u32) -> String {
    // `d2-<tid>-x<leg+1>[r<attempt>]`, built without the formatting machinery (hot path).
    let mut s = String::with_capacity(tid.len() + 16);
    s.push_str("d2-");
    s.push_str(tid);
    s.push_str("-x");
    push_u32(&mut s, leg + 1);
    if attempt > 1 {
        s.push('r');
        push_u32(&mut s, attempt);
    }
    s
}

/// Append the decimal digits of `v` (no allocation beyond `s`'s growth).
pub(super) fn push_u32(s: &mut String, v: u32) {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for b in &buf[i..] {
        s.push(*b as char);
    }
}

/// `<id><suffix>` in one allocation (command ids: `<clientOrderId>-s`).
pub(super) fn suffixed(id: &str, suffix: &str) -> String {
    let mut s = String::with_capacity(id.len() + suffix.len());
    s.push_str(id);
    s.push_str(suffix);
    s
}

impl Kernel {
    /// Apply an intent (ENTER / EXIT / EXIT_RESIDUAL / CANCEL). Refusals change nothing.
    pub fn process_intent(&mut self, it: &Intent) -> Out {
        let before = self.ledger.clone();
        let out = self.intent_inner(it);
        let mut out = self.finish(&before, out);
        if out.accepted && out.code == Code::Ok {
            self.intent_seen.append(&it.intent_id);
            // Owned by the slot's (new) trade: forgotten only when that trade is evicted.
            if let Some(si) = crate::validate::slot_index(it.slot_id, self.slots.len()) {
                self.slots[si].intent_ids.push(it.intent_id.clone());
            }
        }
        if out.slot.is_none() {
            out.slot = crate::validate::slot_index(it.slot_id, self.slots.len());
        }
        out
    }

    pub(super) fn intent_inner(&mut self, it: &Intent) -> Out {
        // The full i64 is range-checked before narrowing: on wasm32 `4294967296 as usize` is 0.
        let si = match crate::validate::slot_index(it.slot_id, self.slots.len()) {
            Some(si) => si,
            None => return invalid(Code::InvalidSlot, "slotId", &it.slot_id.to_string(), format!("out of range 0..{}", self.slots.len())),
        };
        if self.intent_seen.contains(&it.intent_id) {
            return Out::new(false, Code::DuplicateEvent, Severity::Info, "intentId already applied: no-op").ds("intentId", &it.intent_id);
        }
        if self.slots[si].stage == Stage::StaleStateReconciling {
            return Out::refuse(Code::StaleState, "slot is STALE_STATE_RECONCILING after restore: intents refused until reconcile").ds("kind", it.kind_name());
        }
        let r = match &it.kind {
            IntentKind::Enter { .. } => self.enter(si, it),
            IntentKind::Exit { order, ratio } => self.exit(si, it, order, *ratio, false),
            IntentKind::ExitResidual { order } => self.exit(si, it, order, None, true),
            IntentKind::Cancel => Ok(self.cancel(si, it)),
        };
        match r {
            Ok(o) => o,
            Err(e) => internal(e),
        }
    }

    /// True when `trade_id` (ignoring ASCII case) is held by a slot, archived or evicted (E7).
    pub(super) fn trade_id_taken(&mut self, trade_id: &str) -> bool {
        if self.slots.holds_trade_id(trade_id) {
            return true;
        }
        let lower = trade_id.to_ascii_lowercase();
        self.archive_index.contains_key(&lower)
            || self.evicted_trade_hashes.contains(trade_id_hash(&lower))
    }

    /// Evict the oldest archived trades beyond `archive_capacity`: their record, index entry,
    /// retired venue order ids, intent ids and FILL_SETTLED ids go; their booked realized and fees
    /// move into the ledger's evicted totals (capital is unchanged: it already holds them); their
    /// trade id stays taken (hash). Later events for them are UNRESOLVED_SLOT, nothing mutated.
    pub(super) fn evict_archive(&mut self) -> KResult<()> {
        while self.archive.len() > self.cfg.archive_capacity {
            let (realized, fees) = match self.archive.front() {
                Some(s) => (dec::add(self.ledger.evicted_realized, s.realized)?, dec::add(self.ledger.evicted_fees, s.fees)?),
                None => break,
            };
            let s = match self.archive.pop_front() {
                Some(s) => s,
                None => break,
            };
            self.ledger.evicted_trades = self.ledger.evicted_trades.saturating_add(1);
            self.ledger.evicted_realized = realized;
            self.ledger.evicted_fees = fees;
            let lower = s.trade_id.to_ascii_lowercase();
            self.archive_index.remove(&lower);
            self.archive_base += 1;
            let h = trade_id_hash(&lower);
            self.evicted_trade_hashes.insert(h);
            for o in &s.orders {
                if let Some(v) = &o.venue_order_id {
                    self.retired_vids.remove(v);
                }
            }
            for id in &s.intent_ids {
                self.intent_seen.remove(id);
            }
            for id in &s.settlement_ids {
                self.account_seen.remove(id);
            }
        }
        // The ordered lists keep saved state deterministic; drop what the sets forgot once they
        // are twice as long as needed (amortised O(1) per eviction).
        self.retired_vids.compact();
        self.intent_seen.compact();
        self.account_seen.compact();
        Ok(())
    }

    /// ENTER: refused unless the slot is IDLE or CLOSED and the intent passes check_enter; the
    /// slot's previous trade is archived (archive_previous_trade), the new trade set up with one
    /// entry order, and its SUBMIT emitted (client order id `d2-<tradeId lower-cased>-e1`);
    /// the slot goes to ORDER_REQUESTED.
    pub(super) fn enter(&mut self, si: usize, it: &Intent) -> KResult<Out> {
        let (trade_id, symbol, side, quantity, order, leverage, ratios) = match &it.kind {
            IntentKind::Enter { trade_id, symbol, side, quantity, order, leverage, exit_leg_ratios } => (trade_id, symbol, *side, *quantity, order, *leverage, exit_leg_ratios),
            _ => return Err(KErr("enter called with a non-ENTER intent".into())),
        };
        let stage = self.slots[si].stage;
        if stage != Stage::Idle && stage != Stage::Closed {
            return Ok(Out::refuse(Code::SlotBusy, format!("slot {} is {}; ENTER needs IDLE or CLOSED", si, stage.name())).ds("stage", stage.name()));
        }
        let qty = match self.check_enter(trade_id, symbol, quantity, order, leverage)? {
            Ok(q) => q,
            Err(refused) => return Ok(refused),
        };
        self.archive_previous_trade(si)?;
        let mut coid = String::with_capacity(trade_id.len() + 6);
        coid.push_str("d2-");
        coid.extend(trade_id.chars().map(|c| c.to_ascii_lowercase()));
        coid.push_str("-e1");
        let oside = input::order_side(side, false);
        {
            let s = &mut self.slots[si];
            s.stage = stage; // true previous stage, for the transition below (M1)
            s.trade_id = trade_id.clone();
            s.symbol = symbol.clone();
            s.side = Some(side);
            s.leverage = leverage;
            s.target_qty = qty;
            s.exit_leg_ratios = ratios.clone().unwrap_or_else(|| self.cfg.default_exit_leg_ratios.clone());
            s.orders.push(new_order(Purpose::Entry, coid.clone(), oside, order, qty, None));
        }
        let mut out = Out::ok("ENTER accepted: SUBMIT emitted");
        out.commands.push(Command::Submit {
            command_id: suffixed(&coid, "-s"),
            slot_id: si,
            trade_id: trade_id.clone(),
            purpose: Purpose::Entry,
            client_order_id: coid.clone(),
            symbol: symbol.clone(),
            side: oside,
            position_side: "BOTH",
            order_type: order.order_type,
            quantity: dec::fmt(qty),
            limit_price: order.limit_price.map(dec::fmt),
            reduce_only: false,
            time_in_force: order.time_in_force,
        });
        if qty != quantity {
            out.set("quantityAlignedFrom", DVal::S(dec::fmt(quantity)));
        }
        self.set_stage(si, Stage::OrderRequested, "ENTER", it.ts_us, &mut out);
        out.slot = Some(si);
        Ok(out)
    }

    /// The checks of an ENTER's fields, in order: a configured instrument (Flaw 8), leverage
    /// within the kernel cap (G12), the quantity floored to the step size non-zero and ≥ minQty,
    /// a limit price on the tick, a trade id this kernel has not used (E7, case-insensitive).
    /// Ok(Ok(qty)): accepted with the floored quantity; Ok(Err(outcome)): refused.
    fn check_enter(&mut self, trade_id: &str, symbol: &str, quantity: Decimal, order: &OrderSpec, leverage: i64) -> KResult<Result<Decimal, Out>> {
        let inst = match self.instrument(symbol) {
            Some(i) => i.clone(),
            None => return Ok(Err(invalid(Code::InvalidIntent, "symbol", symbol, "not a configured instrument (Flaw 8)"))),
        };
        if mutants::leverage_capped() && leverage > self.cfg.max_leverage {
            return Ok(Err(invalid(Code::InvalidIntent, "leverage", &leverage.to_string(), format!("above the kernel cap {} (G12)", self.cfg.max_leverage))));
        }
        let qty = dec::floor_to_step(quantity, inst.step_size)?;
        if qty.is_zero() {
            return Ok(Err(invalid(Code::InvalidIntent, "quantity", &dec::fmt(quantity), format!("rounds to 0 at stepSize {}", dec::fmt(inst.step_size)))));
        }
        if let Some(m) = inst.min_qty {
            if qty < m {
                return Ok(Err(invalid(Code::InvalidIntent, "quantity", &dec::fmt(quantity), format!("below minQty {}", dec::fmt(m)))));
            }
        }
        if let Some(refused) = limit_price_off_tick(order, &inst)? {
            return Ok(Err(refused));
        }
        if mutants::trade_ids_unique() && self.trade_id_taken(trade_id) {
            return Ok(Err(Out::refuse(Code::DuplicateTradeId, format!("tradeId {} is already used by this kernel (E7; ids compare case-insensitively)", trade_id)).ds("tradeId", trade_id)));
        }
        Ok(Ok(qty))
    }

    /// Archive the slot's previous trade (CLOSED, or IDLE after a fill-less cancel) and empty the
    /// slot: its venue order ids are retired, the fee references the venue still owes move to the
    /// slot's next trade, and a trade that had a position or an exchange figure goes to the
    /// archive (its venue event ids dropped: only FILL_SETTLED, deduplicated kernel-wide, reaches
    /// an archived trade), evicting the oldest beyond capacity.
    fn archive_previous_trade(&mut self, si: usize) -> KResult<()> {
        let mut old = std::mem::replace(&mut self.slots[si], SlotState::empty(si));
        for o in &old.orders {
            if let Some(v) = &o.venue_order_id {
                self.retired_vids.insert(v);
            }
        }
        mutants::carry_seen_ids(&mut self.slots[si], &old);
        let refs = std::mem::take(&mut old.archived_fee_refs);
        self.slots[si].archived_fee_refs = carry_fee_refs(refs, &old);
        if !old.trade_id.is_empty() && (old.initial_size > Decimal::ZERO || old.exchange_realized.is_some()) {
            old.seen_event_ids = Vec::new();
            old.seen_set = SeenIndex::default();
            self.archive_index.insert(old.trade_id.to_ascii_lowercase(), self.archive_base + self.archive.len());
            self.archive.push_back(old);
            self.evict_archive()?;
        }
        Ok(())
    }

    /// EXIT / EXIT_RESIDUAL on slot `si`: refused without an open position or with an order
    /// working; else a reduce-only SUBMIT for the next leg (sized from the remaining size, A1/E8;
    /// the residual and the last leg close all of it) and EXIT_REQUESTED. `ratio` overrides the
    /// configured leg ratio. Overflow → Err (nothing changed).
    pub(super) fn exit(&mut self, si: usize, it: &Intent, order: &OrderSpec, ratio: Option<Decimal>, residual: bool) -> KResult<Out> {
        let s = &self.slots[si];
        if let Some(refused) = exit_refusal(si, s) {
            return Ok(refused);
        }
        let inst = match self.instrument(&s.symbol) {
            Some(i) => i.clone(),
            None => return Ok(invalid(Code::InvalidState, "symbol", &s.symbol, "slot symbol is not a configured instrument")),
        };
        if let Some(refused) = limit_price_off_tick(order, &inst)? {
            return Ok(refused);
        }
        let leg = s.exit_leg_index;
        let r = exit_leg_ratio(s, ratio, residual);
        // A1/E8: legs are sized from the REMAINING size, never from the initial size.
        let base = mutants::exit_leg_base(s);
        let qty = if r == Decimal::ONE { base } else { dmin(dec::floor_to_step(dec::mul(base, r)?, inst.step_size)?, s.size) };
        if qty <= Decimal::ZERO {
            return Ok(Out::refuse(Code::ZeroSizeExit, format!("exit leg rounds to 0 at stepSize {} (I2, F3): nothing emitted", dec::fmt(inst.step_size)))
                .ds("ratio", &dec::fmt(r))
                .ds("sizeQty", &dec::fmt(s.size)));
        }
        let (coid, attempt) = next_exit_coid(s, leg);
        let oside = input::order_side(s.side.unwrap_or(PositionSide::Long), true);
        let trade_id = s.trade_id.clone();
        let symbol = s.symbol.clone();
        {
            let s = &mut self.slots[si];
            s.exit_attempt = attempt;
            s.orders.push(new_order(Purpose::Exit, coid.clone(), oside, order, qty, Some(leg)));
        }
        let mut out = Out::ok(if residual { "EXIT_RESIDUAL accepted: reduce-only SUBMIT emitted" } else { "EXIT accepted: reduce-only SUBMIT emitted" });
        out.commands.push(Command::Submit {
            command_id: suffixed(&coid, "-s"),
            slot_id: si,
            trade_id,
            purpose: Purpose::Exit,
            client_order_id: coid,
            symbol,
            side: oside,
            position_side: "BOTH",
            order_type: order.order_type,
            quantity: dec::fmt(qty),
            limit_price: order.limit_price.map(dec::fmt),
            reduce_only: true,
            time_in_force: order.time_in_force,
        });
        out.set("legIndex", DVal::N(leg as i64));
        self.set_stage(si, Stage::ExitRequested, it.kind_name(), it.ts_us, &mut out);
        out.slot = Some(si);
        Ok(out)
    }

    pub(super) fn cancel(&mut self, si: usize, it: &Intent) -> Out {
        let s = &self.slots[si];
        let oi = match s.live_order(Purpose::Exit).or_else(|| s.live_order(Purpose::Entry)) {
            Some(oi) => oi,
            None => {
                return Out::refuse(Code::NoActiveOrder, format!("slot {} has no working order to cancel (Flaws 1-2, E9, G10)", si)).ds("stage", s.stage.name());
            }
        };
        let stage = s.stage;
        let trade_id = s.trade_id.clone();
        let symbol = s.symbol.clone();
        let o = &mut self.slots[si].orders[oi];
        o.cancel_requested = true;
        o.cancel_count = o.cancel_count.saturating_add(1);
        let mut out = Out::ok("CANCEL accepted: cancel command emitted; the slot changes on CANCEL_ACK / CANCEL_REJECT");
        out.commands.push(Command::Cancel {
            command_id: format!("{}-c{}", o.client_order_id, o.cancel_count),
            slot_id: si,
            trade_id: trade_id.clone(),
            symbol,
            client_order_id: o.client_order_id.clone(),
            venue_order_id: o.venue_order_id.clone(),
        });
        out.set("purpose", DVal::S(if o.purpose == Purpose::Entry { "ENTRY".into() } else { "EXIT".into() }));
        // M2: CANCEL is recorded as a transition (stage unchanged).
        if mutants::cancel_is_transition() {
            out.transitions.push(Transition { slot_id: si, trade_id, from: stage, to: stage, trigger: "CANCEL".into(), ts_us: it.ts_us });
        }
        out.slot = Some(si);
        out
    }
}

/// The fee references a slot's next trade carries (SlotState.archived_fee_refs): `refs` (the
/// previous trade's own carried references) followed by one per order of `old` with fills whose
/// fee the venue has not confirmed, keeping the last MAX_ARCHIVED_FEE_REFS (oldest dropped).
/// The references that fall off the front are refilled for the new ones (their strings reuse
/// their buffers: no allocation per reference once a slot carries the maximum, as on the batch
/// stream where no reconcile confirms fees).
fn carry_fee_refs(mut refs: Vec<FeeRef>, old: &SlotState) -> Vec<FeeRef> {
    let owed = |o: &&OrderState| !o.fee_confirmed && o.filled_qty > Decimal::ZERO;
    let new = if old.trade_id.is_empty() { 0 } else { old.orders.iter().filter(owed).count() };
    let drop = (refs.len() + new).saturating_sub(MAX_ARCHIVED_FEE_REFS);
    let from_old = drop.min(refs.len());
    let mut spare: Vec<FeeRef> = refs.drain(..from_old).collect();
    if new > 0 {
        for o in old.orders.iter().filter(owed) {
            let r = match spare.pop() {
                Some(mut r) => {
                    set_string(&mut r.symbol, &old.symbol);
                    set_string(&mut r.client_order_id, &o.client_order_id);
                    match (&mut r.venue_order_id, &o.venue_order_id) {
                        (Some(d), Some(v)) => set_string(d, v),
                        (d, v) => *d = v.clone(),
                    }
                    r
                }
                None => FeeRef { symbol: old.symbol.clone(), client_order_id: o.client_order_id.clone(), venue_order_id: o.venue_order_id.clone() },
            };
            refs.push(r);
        }
    }
    refs.drain(..drop - from_old);
    refs
}

fn set_string(dst: &mut String, src: &str) {
    dst.clear();
    dst.push_str(src);
}

/// A freshly submitted order of `purpose` (nothing filled, acknowledged or fee-booked yet, live):
/// the one shape ENTER and EXIT / EXIT_RESIDUAL both push onto the slot's orders.
fn new_order(purpose: Purpose, client_order_id: String, side: OrderSide, order: &OrderSpec, quantity: Decimal, exit_leg_index: Option<u32>) -> OrderState {
    OrderState {
        purpose,
        client_order_id,
        venue_order_id: None,
        side,
        order_type: order.order_type,
        time_in_force: order.time_in_force,
        quantity,
        limit_price: order.limit_price,
        filled_qty: Decimal::ZERO,
        filled_notional: Decimal::ZERO,
        unpriced_qty: Decimal::ZERO,
        fee_booked: Decimal::ZERO,
        fee_cumulative: Decimal::ZERO,
        settled_fee: Decimal::ZERO,
        acked: false,
        cancel_requested: false,
        cancel_count: 0,
        exit_leg_index,
        live: true,
        fee_confirmed: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pre-recycling rule: push one reference per unconfirmed order with fills, then drop the
    /// oldest beyond MAX_ARCHIVED_FEE_REFS.
    fn carry_plain(mut refs: Vec<FeeRef>, old: &SlotState) -> Vec<FeeRef> {
        if !old.trade_id.is_empty() {
            for o in old.orders.iter().filter(|o| !o.fee_confirmed && o.filled_qty > Decimal::ZERO) {
                refs.push(FeeRef { symbol: old.symbol.clone(), client_order_id: o.client_order_id.clone(), venue_order_id: o.venue_order_id.clone() });
            }
        }
        let drop = refs.len().saturating_sub(MAX_ARCHIVED_FEE_REFS);
        refs.drain(..drop);
        refs
    }

    /// Chaos seed 10010 rule (SlotState.archived_fee_refs) kept by the recycling version: same
    /// references in the same order for every carried count (0..=MAX) and order mix (confirmed,
    /// unfilled, with and without a venue order id, more orders than the cap).
    #[test]
    fn carry_fee_refs_matches_push_then_drop_oldest() {
        let mut order = new_order(Purpose::Entry, String::new(), OrderSide::Buy, &OrderSpec { order_type: OrderType::Market, limit_price: None, time_in_force: TimeInForce::Gtc }, Decimal::ONE, None);
        order.filled_qty = Decimal::ONE;
        for carried in [0usize, 1, 5, 29, 30, 31, 32] {
            for n_orders in [0usize, 1, 3, 40] {
                for trade_id in ["", "T1"] {
                    let refs: Vec<FeeRef> = (0..carried).map(|i| FeeRef { symbol: format!("S{}", i), client_order_id: format!("c{}", i), venue_order_id: if i % 3 == 0 { None } else { Some(format!("v{}", i)) } }).collect();
                    let mut old = SlotState::empty(0);
                    old.trade_id = trade_id.into();
                    old.symbol = "FET-USDT".into();
                    for k in 0..n_orders {
                        let mut o = order.clone();
                        o.client_order_id = format!("d2-t1-x{}", k);
                        o.venue_order_id = if k % 2 == 0 { Some(format!("19{}", k)) } else { None };
                        o.fee_confirmed = k % 5 == 4;
                        if k % 7 == 6 {
                            o.filled_qty = Decimal::ZERO;
                        }
                        old.orders.push(o);
                    }
                    assert_eq!(carry_fee_refs(refs.clone(), &old), carry_plain(refs, &old), "carried {} orders {} trade {:?}", carried, n_orders, trade_id);
                }
            }
        }
    }
}

/// Why slot `si` cannot take an EXIT now, if it cannot: no open position (IDLE, CLOSED, size 0), an
/// entry order still working, or an exit order already working.
fn exit_refusal(si: usize, s: &SlotState) -> Option<Out> {
    match s.stage {
        Stage::Idle | Stage::Closed => return Some(Out::refuse(Code::NoPosition, format!("slot {} has no open position ({})", si, s.stage.name())).ds("stage", s.stage.name())),
        Stage::OrderRequested | Stage::EntryWorking => {
            return Some(Out::refuse(Code::InvalidTransition, "entry order still working: CANCEL it first (or wait for its fills)").ds("stage", s.stage.name()))
        }
        Stage::ExitRequested | Stage::ExitWorking => return Some(Out::refuse(Code::InvalidTransition, "an exit order is already working").ds("stage", s.stage.name())),
        _ => {}
    }
    if s.size <= Decimal::ZERO {
        return Some(Out::refuse(Code::NoPosition, "position size is 0"));
    }
    None
}

/// An INVALID_INTENT naming `limitPrice` when the order's limit price is not a multiple of the
/// instrument's tick size (ENTER and EXIT alike).
fn limit_price_off_tick(order: &OrderSpec, inst: &input::InstrumentSpec) -> KResult<Option<Out>> {
    match order.limit_price {
        Some(p) if !dec::is_multiple(p, inst.tick_size)? => Ok(Some(invalid(Code::InvalidIntent, "limitPrice", &dec::fmt(p), format!("not a multiple of tickSize {}", dec::fmt(inst.tick_size))))),
        _ => Ok(None),
    }
}

/// The share of the remaining size this exit leg closes: all of it for EXIT_RESIDUAL and for the
/// last configured leg (Flaw 4, G4), else the intent's ratio or the configured leg ratio.
fn exit_leg_ratio(s: &SlotState, ratio: Option<Decimal>, residual: bool) -> Decimal {
    let leg = s.exit_leg_index;
    if residual {
        Decimal::ONE
    } else if let Some(r) = ratio {
        r
    } else if leg + 1 >= s.exit_leg_ratios.len() as u32 {
        Decimal::ONE
    } else {
        s.exit_leg_ratios.get(leg as usize).cloned().unwrap_or(Decimal::ONE)
    }
}

/// The client order id of exit leg `leg` (`d2-<tradeid>-x<leg+1>`, with `r<attempt>` from the
/// slot's exit attempt on) that no order of the trade has used yet, and its attempt number.
fn next_exit_coid(s: &SlotState, leg: u32) -> (String, u32) {
    let tid = s.trade_id.to_ascii_lowercase();
    let mut attempt = s.exit_attempt.max(1);
    let mut coid = exit_coid(&tid, leg, attempt);
    while s.orders.iter().any(|o| o.client_order_id == coid) {
        attempt = attempt.saturating_add(1);
        coid = exit_coid(&tid, leg, attempt);
    }
    (coid, attempt)
}
