//! Routing of venue events to a slot's order (spec §6.1-6.2), parking and replay of id-only inputs. Part of `Kernel` (kernel.rs); moved out of the one-file kernel (issue 11).

use super::*;

/// `a == b`, rejecting most mismatches by length and last byte before comparing whole ids (ids
/// of one venue differ mostly in their last digits; routing compares an event's id with every
/// order of every slot).
#[inline]
fn same_id(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().last() == b.as_bytes().last() && crate::fields::fast_eq(a, b)
}

impl Kernel {
    pub(super) fn route(&self, symbol: &str, vid: Option<&str>, coid: Option<&str>, slot_hint: Option<i64>) -> Route {
        if let Some(v) = vid {
            for (si, s) in self.slots.iter().enumerate() {
                for (oi, o) in s.orders.iter().enumerate() {
                    if o.venue_order_id.as_deref().map_or(false, |x| same_id(x, v)) {
                        return self.check_symbol(si, oi, symbol, false, false);
                    }
                }
            }
        }
        if let Some(c) = coid {
            for (si, s) in self.slots.iter().enumerate() {
                for (oi, o) in s.orders.iter().enumerate() {
                    if same_id(&o.client_order_id, c) {
                        if let (Some(known), Some(v)) = (o.venue_order_id.as_deref(), vid) {
                            if known != v {
                                return Route::Unresolved(format!("clientOrderId {} belongs to venue order {}, event says {}", c, known, v));
                            }
                        }
                        return self.check_symbol(si, oi, symbol, vid.is_some() && o.venue_order_id.is_none(), false);
                    }
                }
            }
            return Route::Unresolved(format!("clientOrderId {} matches no order of any slot", c));
        }
        if let Some(v) = vid {
            if self.retired_vids.contains(v) {
                return Route::Retired(format!("venue order {} belongs to a trade that already left its slot", v));
            }
        }
        if vid.is_some() {
            // §6.2: identity-less routing by state, only when exactly one candidate exists.
            let mut cands: Vec<(usize, usize)> = Vec::new();
            for (si, s) in self.slots.iter().enumerate() {
                for (oi, o) in s.orders.iter().enumerate() {
                    if o.live && o.venue_order_id.is_none() && s.symbol == symbol {
                        cands.push((si, oi));
                    }
                }
            }
            if cands.len() == 1 {
                return Route::Found { si: cands[0].0, oi: cands[0].1, learn_vid: true, by_state: true };
            }
            return Route::Unresolved(format!("venueOrderId matches no order; {} state candidates on {}", cands.len(), symbol));
        }
        if let Some(r) = mutants::slot0_fallback(self) {
            return r;
        }
        if let Some(h) = slot_hint {
            if let Some(hi) = crate::validate::slot_index(h, self.slots.len()) {
                let s = &self.slots[hi];
                if let Some(oi) = s.live_order(Purpose::Exit).or_else(|| s.live_order(Purpose::Entry)) {
                    return self.check_symbol(hi, oi, symbol, false, true);
                }
                return Route::Unresolved(format!("slotHint {} has no working order", h));
            }
            return Route::Unresolved(format!("slotHint {} out of range", h));
        }
        Route::Unresolved("event carries no order identity and no slotHint".into())
    }

    pub(super) fn check_symbol(&self, si: usize, oi: usize, symbol: &str, learn_vid: bool, by_state: bool) -> Route {
        if !crate::fields::fast_eq(&self.slots[si].symbol, symbol) {
            return Route::Unresolved(format!("order belongs to slot {} on {}, event symbol is {} (Flaw 9)", si, self.slots[si].symbol, symbol));
        }
        Route::Found { si, oi, learn_vid, by_state }
    }

    /// Park an id-only input no order can own yet (spec §6.2: the stream can outrun the REST
    /// reply that tells the kernel the venue order id). Idempotent per event id; the oldest is
    /// dropped beyond PARK_CAPACITY. Annotates `out` (still UNRESOLVED_SLOT: no slot mutated).
    pub(super) fn park(&mut self, venue_order_id: &str, event_id: &str, input: ParkedInput, out: &mut Out) {
        out.set("parked", DVal::B(true));
        if self.parked.iter().any(|p| p.event_id == event_id) {
            out.set("alreadyParked", DVal::B(true));
            return;
        }
        self.parked.push(Parked { venue_order_id: venue_order_id.to_string(), event_id: event_id.to_string(), input });
        if self.parked.len() > PARK_CAPACITY {
            let dropped = self.parked.remove(0);
            out.set("parkDroppedEventId", DVal::S(dropped.event_id));
        }
        out.message = format!("{}; parked until an order learns venue order id {}", out.message, venue_order_id).into();
    }

    /// Replay, oldest first, every parked input whose venue order id an order now carries
    /// (venue events: a slot's order or a retired id; FILL_SETTLED: any trade, archive included).
    /// Their transitions and commands join `out`; `replayedParked` counts them and
    /// `replayedCodes` lists their outcome codes.
    pub(super) fn replay_parked(&mut self, out: &mut Out) {
        let mut codes: Vec<String> = Vec::new();
        loop {
            let known = |k: &Kernel, p: &Parked| -> bool {
                let v = Some(p.venue_order_id.as_str());
                let in_slots = k.slots.iter().any(|s| s.orders.iter().any(|o| o.venue_order_id.as_deref() == v));
                match p.input {
                    ParkedInput::Venue(_) => in_slots || k.retired_vids.contains(&p.venue_order_id),
                    ParkedInput::Account(_) => in_slots || k.archive.iter().any(|s| s.orders.iter().any(|o| o.venue_order_id.as_deref() == v)),
                }
            };
            let i = match self.parked.iter().position(|p| known(self, p)) {
                Some(i) => i,
                None => break,
            };
            let p = self.parked.remove(i);
            let o = match &p.input {
                ParkedInput::Venue(ev) => self.venue_inner(ev),
                ParkedInput::Account(ae) => self.account_inner(ae),
            };
            codes.push(serde_json::to_value(o.code).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_else(|| format!("{:?}", o.code)));
            out.transitions.extend(o.transitions);
            out.commands.extend(o.commands);
        }
        if !codes.is_empty() {
            out.set("replayedParked", DVal::N(codes.len() as i64));
            out.set("replayedCodes", DVal::S(codes.join(",")));
        }
    }
}
