//! Venue events: acks, rejects, cancels, rate limits, and the end of an order. Part of `Kernel` (kernel.rs); moved out of the one-file kernel (issue 11).

use super::*;

impl Kernel {
    /// Apply a normalised venue event. Routing by order identity first (spec §6.1-6.2); nothing
    /// matches → UNRESOLVED_SLOT, nothing mutated (G13, J8).
    pub fn on_venue_event(&mut self, ev: &VenueEvent) -> Out {
        if let Err(o) = crate::validate::configured_symbol(&self.cfg, "symbol", &ev.symbol, Code::InvalidEvent) {
            return o;
        }
        let before = self.ledger.clone();
        let mut out = self.venue_inner(ev);
        if out.accepted {
            self.replay_parked(&mut out);
        }
        self.finish(&before, out)
    }

    pub(super) fn venue_inner(&mut self, ev: &VenueEvent) -> Out {
        let (si, oi, learn_vid, by_state) = match self.route(&ev.symbol, ev.venue_order_id.as_deref(), ev.client_order_id.as_deref(), ev.slot_hint) {
            Route::Found { si, oi, learn_vid, by_state } => (si, oi, learn_vid, by_state),
            Route::Retired(why) => {
                // A report re-pricing the unpriced exit fills of an archived trade (reprice.rs).
                if let Some(o) = self.reprice_report(ev) {
                    return o;
                }
                return Out::new(false, Code::StaleEvent, Severity::Warning, format!("{} {}: {}; nothing mutated (G13, I13)", ev.kind.name(), ev.event_id, why)).ds("eventId", &ev.event_id);
            }
            Route::Unresolved(why) => {
                if ev.kind == VenueKind::RateLimited {
                    return self.rate_limited_unrouted(ev);
                }
                let mut out = Out::new(false, Code::UnresolvedSlot, Severity::Warning, format!("{} {}: no slot owns this order ({}); nothing mutated", ev.kind.name(), ev.event_id, why))
                    .ds("eventId", &ev.event_id)
                    .ds("kind", ev.kind.name());
                if let (Some(v), None) = (&ev.venue_order_id, &ev.client_order_id) {
                    self.park(v, &ev.event_id, ParkedInput::Venue(ev.clone()), &mut out);
                }
                return out;
            }
        };
        if ev.kind.is_fill() && (self.slots[si].stage == Stage::Closed || self.slots[si].seen(&ev.event_id)) {
            // Prices only, never quantities or stages: a CLOSED trade's unpriced exit fills, or a
            // repeated report that now carries the price (reprice.rs, docs/accounting.md §Missing prices).
            if let Some(o) = self.reprice_report(ev) {
                return o;
            }
        }
        if mutants::closed_guard(self.slots[si].stage) {
            let mut o = Out::new(false, Code::StaleEvent, Severity::Warning, format!("{} for a CLOSED slot: ignored, a closed slot never reopens (I13)", ev.kind.name()));
            o.set("eventId", DVal::S(ev.event_id.clone()));
            o.slot = Some(si);
            return o;
        }
        if self.slots[si].seen(&ev.event_id) {
            let mut o = Out::new(false, Code::DuplicateEvent, Severity::Info, "eventId already applied for this trade: no-op (Flaw 10, M6, I10)");
            o.set("eventId", DVal::S(ev.event_id.clone()));
            o.slot = Some(si);
            return o;
        }
        let stale = self.slots[si].stage == Stage::StaleStateReconciling;
        if stale {
            let resume = self.slots[si].resume_stage.unwrap_or(Stage::PositionOpen);
            self.slots[si].stage = resume;
        }
        let ntr = 0;
        let mut out = match self.apply_event(si, oi, ev, learn_vid) {
            Ok(o) => o,
            Err(e) => internal(e),
        };
        if stale {
            let s = &mut self.slots[si];
            s.resume_stage = Some(s.stage);
            s.stage = Stage::StaleStateReconciling;
            out.transitions.truncate(ntr);
            out.set("resumeStage", DVal::S(s.resume_stage.map(|x| x.name()).unwrap_or("").to_string()));
        }
        if by_state {
            out.set("routedByState", DVal::B(true));
        }
        out.slot = Some(si);
        out
    }

    pub(super) fn rate_limited_unrouted(&mut self, ev: &VenueEvent) -> Out {
        let mut o = Out::new(true, Code::RateLimited, Severity::Warning, "venue rate limit (no order identity): retryable");
        o.set("retryable", DVal::B(true));
        match ev.retry_after_ms {
            Some(ms) => o.set("retryAfterMs", DVal::N(ms)),
            None => o.set("releaseEta", DVal::S("few minutes".into())),
        }
        if let Some(c) = ev.venue_code {
            o.set("venueCode", DVal::N(c));
        }
        o
    }

    /// Mutating part of a routed venue event. Checks come first; nothing is mutated on refusal.
    /// An event for an order that is no longer working is handled apart (finished_order_event);
    /// otherwise each kind has its handler, then the venue order id is learned, the event id
    /// remembered and the slot settled.
    pub(super) fn apply_event(&mut self, si: usize, oi: usize, ev: &VenueEvent, learn_vid: bool) -> KResult<Out> {
        let live = self.slots[si].orders[oi].live;
        let purpose = self.slots[si].orders[oi].purpose;
        if let Some(out) = mutants::stale_reject(self, si, live, purpose, ev) {
            return Ok(out);
        }
        if let Some(out) = self.finished_order_event(si, oi, ev, live, learn_vid) {
            return Ok(out);
        }
        let mut out = match ev.kind {
            VenueKind::PartialFill | VenueKind::FullFill => self.apply_fill(si, oi, ev)?,
            VenueKind::OrderAck => self.on_order_ack(si, oi, purpose, ev),
            VenueKind::CancelAck => self.on_cancel_ack(si, oi, ev)?,
            VenueKind::CancelReject => self.on_cancel_reject(si, oi, ev),
            VenueKind::OrderReject => self.on_order_reject(si, oi, ev),
            VenueKind::RateLimited => self.on_rate_limited(si, oi, live, ev),
        };
        if learn_vid {
            self.learn_venue_id(si, oi, ev, &mut out);
        }
        self.slots[si].remember(&ev.event_id);
        self.settle_slot(si)?;
        Ok(out)
    }

    /// An event for an order that is no longer working (`live` false): a late ORDER_ACK (the order
    /// already filled or finished) is benign and learns the venue id; anything else but a fill or
    /// RATE_LIMITED is STALE_EVENT, ignored (M9: a stale ORDER_REJECT never destroys a position).
    /// None: the event goes to its kind's handler.
    fn finished_order_event(&mut self, si: usize, oi: usize, ev: &VenueEvent, live: bool, learn_vid: bool) -> Option<Out> {
        if !live && ev.kind == VenueKind::OrderAck {
            let mut out = Out::ok("late ORDER_ACK for a finished order: venue id learned, nothing else changes");
            out.set("lateAck", DVal::B(true));
            if learn_vid {
                self.learn_venue_id(si, oi, ev, &mut out);
            }
            self.slots[si].orders[oi].acked = true;
            self.slots[si].remember(&ev.event_id);
            return Some(out);
        }
        if !live && !ev.kind.is_fill() && ev.kind != VenueKind::RateLimited {
            let what = if ev.kind == VenueKind::OrderReject { "M9: a stale ORDER_REJECT never destroys a position" } else { "order finished" };
            let mut o = Out::new(false, Code::StaleEvent, Severity::Warning, format!("{} for order that is no longer working: ignored ({})", ev.kind.name(), what));
            o.set("eventId", DVal::S(ev.event_id.clone()));
            return Some(o);
        }
        None
    }

    /// The venue order id the event carries becomes the order's (`learnedVenueOrderId` in the outcome).
    fn learn_venue_id(&mut self, si: usize, oi: usize, ev: &VenueEvent, out: &mut Out) {
        if let Some(v) = &ev.venue_order_id {
            self.slots[si].orders[oi].venue_order_id = Some(v.clone());
            out.set("learnedVenueOrderId", DVal::S(v.clone()));
        }
    }

    /// ORDER_ACK: the order is acknowledged (a second ACK is a noop); ORDER_REQUESTED becomes
    /// ENTRY_WORKING for an entry, EXIT_REQUESTED becomes EXIT_WORKING for an exit; a rate limit ends.
    fn on_order_ack(&mut self, si: usize, oi: usize, purpose: Purpose, ev: &VenueEvent) -> Out {
        let s = &mut self.slots[si];
        s.rate_limit = None;
        let o = &mut s.orders[oi];
        let mut out = Out::ok("ORDER_ACK applied");
        if o.acked {
            out.set("noop", DVal::B(true));
        }
        o.acked = true;
        let to = match (purpose, s.stage) {
            (Purpose::Entry, Stage::OrderRequested) => Some(Stage::EntryWorking),
            (Purpose::Exit, Stage::ExitRequested) => Some(Stage::ExitWorking),
            _ => None,
        };
        if let Some(to) = to {
            self.set_stage(si, to, "ORDER_ACK", ev.ts_us, &mut out);
        }
        out
    }

    /// CANCEL_ACK: books the fill its cumulative quantity still carries (book_terminal_fill), then
    /// ends the order unless that fill already did; `unsolicited` when no cancel was requested.
    fn on_cancel_ack(&mut self, si: usize, oi: usize, ev: &VenueEvent) -> KResult<Out> {
        let unsolicited = !self.slots[si].orders[oi].cancel_requested;
        let mut out = self.book_terminal_fill(si, oi, ev)?;
        if unsolicited {
            out.set("unsolicited", DVal::B(true));
        }
        // A terminal fill that completed the order (or closed the position) ended it already.
        if self.slots[si].orders[oi].live {
            self.finish_order(si, oi, "CANCEL_ACK", ev.ts_us, &mut out);
        }
        Ok(out)
    }

    /// CANCEL_REJECT (I15, E17): the cancel request is cleared and the order left working; a venue
    /// code saying the order is done is flagged, and its fills or reconcile settle it.
    fn on_cancel_reject(&mut self, si: usize, oi: usize, ev: &VenueEvent) -> Out {
        let o = &mut self.slots[si].orders[oi];
        o.cancel_requested = false;
        // Mutant (I15, E17): the rejected order is dropped from the slot's working set while
        // the stage stays ENTRY_/EXIT_WORKING: no CANCEL, fill-close or reconcile can settle
        // it any more, the slot is stranded.
        mutants::cancel_reject_drops(o);
        let mut out = Out::new(true, Code::VenueRejected, Severity::Warning, "CANCEL_REJECT: cancel request cleared, order left working");
        if let Some(c) = ev.venue_code {
            out.set("venueCode", DVal::N(c));
            if CANCEL_REJECT_ORDER_DONE_CODES.contains(&c) {
                out.set("orderMayBeDone", DVal::B(true));
                out.message = "CANCEL_REJECT: venue says the order is filled / gone; kept until its fills or reconcile settle it (I15, E17)".into();
            }
        }
        if let Some(r) = &ev.reason {
            out.set("reason", DVal::S(r.clone()));
        }
        out
    }

    /// ORDER_REJECT: the order ends (VENUE_REJECTED, with the venue's code and reason).
    fn on_order_reject(&mut self, si: usize, oi: usize, ev: &VenueEvent) -> Out {
        let mut out = Out::new(true, Code::VenueRejected, Severity::Warning, "ORDER_REJECT applied");
        if let Some(c) = ev.venue_code {
            out.set("venueCode", DVal::N(c));
        }
        if let Some(r) = &ev.reason {
            out.set("reason", DVal::S(r.clone()));
        }
        self.finish_order(si, oi, "ORDER_REJECT", ev.ts_us, &mut out);
        out
    }

    /// RATE_LIMITED (I21): the order stays retryable; a working order's slot records until when
    /// (retryAfterMs, or "few minutes" without it).
    fn on_rate_limited(&mut self, si: usize, oi: usize, live: bool, ev: &VenueEvent) -> Out {
        let mut out = Out::new(true, Code::RateLimited, Severity::Warning, "RATE_LIMITED: order left retryable (I21)");
        out.set("retryable", DVal::B(true));
        let mut rl = RateLimit { retry_after_ms: None, release_eta: None, until_us: None };
        match ev.retry_after_ms {
            Some(ms) => {
                out.set("retryAfterMs", DVal::N(ms));
                rl.retry_after_ms = Some(ms);
                rl.until_us = ev.ts_us.checked_add(ms.saturating_mul(1000));
            }
            None => {
                out.set("releaseEta", DVal::S("few minutes".into()));
                rl.release_eta = Some("few minutes".into());
            }
        }
        if let Some(c) = ev.venue_code {
            out.set("venueCode", DVal::N(c));
        }
        out.set("clientOrderId", DVal::S(self.slots[si].orders[oi].client_order_id.clone()));
        if live {
            self.slots[si].rate_limit = Some(rl);
        } else {
            out.set("orderFinished", DVal::B(true));
        }
        out
    }

    /// The cumulative executed quantity a CANCEL_ACK carries (`fillQty`, CUMULATIVE: BingX `z` /
    /// `ap` of the CANCELED/EXPIRED frame, a cancel reply's executedQty / avgPrice) beyond what
    /// the order booked is a fill the kernel never saw (its frame lost, or its handler failed,
    /// F15 / E1): it is booked before the order ends, exactly as reconcile books a report's
    /// executedQty, so an entry never ends IDLE (nor an exit leg short) while the venue holds
    /// those fills — the position would be stranded at the venue, invisible to every later
    /// reconcile (chaos seed 7050; case cancel_ack_terminal_fill, docs/architecture.md §Kernel reference 5, I13/E1).
    /// Without a quantity, or nothing beyond the booked one: the plain "order cancelled" outcome.
    pub(super) fn book_terminal_fill(&mut self, si: usize, oi: usize, ev: &VenueEvent) -> KResult<Out> {
        let filled = self.slots[si].orders[oi].filled_qty;
        let q = match ev.fill_qty {
            Some(q) if ev.cumulative_qty && q > filled => q,
            Some(q) if ev.cumulative_qty && q == filled => {
                // Nothing new, but the ack's avgPrice prices exit fills booked without one.
                let mut out = Out::ok("CANCEL_ACK applied: order cancelled");
                if let Some(p) = ev.fill_price.filter(|p| *p > Decimal::ZERO) {
                    self.reprice_in_slot(si, oi, q, p, ev.ts_us, &mut out)?;
                }
                return Ok(out);
            }
            _ => return Ok(Out::ok("CANCEL_ACK applied: order cancelled")),
        };
        let fill = VenueEvent { kind: VenueKind::PartialFill, fee: None, cumulative_fee: false, ..ev.clone() };
        let mut out = self.apply_fill(si, oi, &fill)?;
        out.set("terminalFilledQty", DVal::D(q));
        out.message = format!("CANCEL_ACK applied: order cancelled after booking its terminal executed quantity {} (the venue filled {} the kernel had not seen)", dec::fmt(q), dec::fmt(dec::sub(q, filled)?)).into();
        Ok(out)
    }

    /// An order ends without (further) fills: cancel ack, reject, or reconcile CANCELLED/EXPIRED/
    /// NOT_FOUND/FILLED-short. Stage: unfilled entry → IDLE; partially filled entry → POSITION_OPEN;
    /// exit → POSITION_OPEN (size > 0).
    pub(super) fn finish_order(&mut self, si: usize, oi: usize, trigger: &'static str, ts: i64, out: &mut Out) {
        let (purpose, filled) = {
            let o = &mut self.slots[si].orders[oi];
            o.live = false;
            o.cancel_requested = false;
            (o.purpose, o.filled_qty)
        };
        let stage = self.slots[si].stage;
        match purpose {
            Purpose::Entry => {
                let reset = mutants::entry_end_resets(trigger);
                if reset && (stage == Stage::OrderRequested || stage == Stage::EntryWorking) {
                    if self.slots[si].size.is_zero() && filled.is_zero() {
                        self.slots[si].rate_limit = None;
                        self.set_stage(si, Stage::Idle, trigger, ts, out);
                    } else {
                        self.set_stage(si, Stage::PositionOpen, trigger, ts, out);
                    }
                }
            }
            Purpose::Exit => {
                let s = &mut self.slots[si];
                if filled > Decimal::ZERO {
                    s.exit_leg_index = s.exit_leg_index.saturating_add(1);
                    s.exit_attempt = 1;
                } else {
                    s.exit_attempt = s.exit_attempt.saturating_add(1);
                }
                if stage == Stage::ExitRequested || stage == Stage::ExitWorking {
                    if s.size.is_zero() {
                        self.set_stage(si, Stage::Closed, trigger, ts, out);
                    } else {
                        self.set_stage(si, Stage::PositionOpen, trigger, ts, out);
                    }
                }
            }
        }
    }
}
