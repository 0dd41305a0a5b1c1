//! The DITAv2 execution kernel: N slots, the stage machine, fill routing and bookkeeping, the
//! ledger, save/restore/reconcile. Sans-IO: every input carries its own timestamp, every effect
//! is an output (DESIGN "The kernel is sans-IO", docs/architecture.md §Kernel reference 4-5, docs/accounting.md).
//!
//! Every public method returns an `Out`; none panics (no unwrap/expect/indexing without a bound
//! check on input-derived values): errors are outcomes (G2, P2, P4).

use crate::dec::{self, KErr, KResult, PNL_DP, PRICE_DP};
use crate::input::{self, AccountEvent, Intent, IntentKind, KernelConfig, MarkPrice, OrderSpec, ReconcileReport, VenueEvent, VenueKind};
use crate::model::*;
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet, VecDeque};

/// Venue codes of a CANCEL_REJECT meaning "already filled / does not exist / being processed"
/// (docs/bingx-protocol.md §8, both generations): the order is kept until fills or reconcile
/// settle it; the slot is never stranded (I15, E17, F17).
pub const CANCEL_REJECT_ORDER_DONE_CODES: [i64; 6] = [80016, 80018, 80019, 109421, 109422, 109423];

/// Format version of saveState.
pub const STATE_FORMAT: &str = "dita-kernel-state/1";

pub struct Kernel {
    pub cfg: KernelConfig,
    pub slots: Vec<SlotState>,
    /// Trades that left their slot (re-entry): kept for trade records and late FILL_SETTLED,
    /// oldest first, at most `cfg.archive_capacity` (older ones are evicted: `evict_archive`).
    pub archive: VecDeque<SlotState>,
    /// Lower-cased trade id → absolute archive position (`archive_base` + index).
    archive_index: HashMap<String, usize>,
    /// Trades evicted since this instance was created or restored (offset of `archive_index`).
    archive_base: usize,
    /// Hashes (std DefaultHasher, fixed keys: deterministic) of evicted trade ids, so a trade id
    /// stays unique after its record is evicted (E7); 8 bytes per trade instead of ~2 KB.
    evicted_trade_hashes: Vec<u64>,
    evicted_trade_hash_set: HashSet<u64>,
    pub ledger: LedgerState,
    pub anomalies: Vec<AnomalyState>,
    account_seen: Vec<String>,
    account_seen_set: HashSet<String>,
    intent_seen: Vec<String>,
    intent_seen_set: HashSet<String>,
    /// Venue order ids of orders whose trade left its slot (re-entry): never routed by state onto
    /// a new order (G13, J8, docs/accounting.md §6.2).
    retired_vids: Vec<String>,
    retired_vid_set: HashSet<String>,
    /// Venue events and FILL_SETTLED that named only a venue order id no order knows yet (the
    /// user stream outran the REST reply that carries the id: docs/accounting.md §6.2, the deployment's frames
    /// lack `c`), oldest first, at most PARK_CAPACITY. Replayed when an order learns that id.
    parked: Vec<Parked>,
}

/// Deterministic 64-bit hash of a (lower-cased) trade id: std's SipHash with its fixed default
/// keys, so the same id hashes the same in every run and build.
fn trade_id_hash(lower: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    lower.hash(&mut h);
    h.finish()
}

/// Drop from an ordered id list the ids its lookup set no longer holds, once the list is more
/// than twice the set (+64): keeps both bounded after evictions without an O(n) pass each time.
fn compact(list: &mut Vec<String>, keep: &HashSet<String>) {
    if list.len() > 2 * keep.len() + 64 {
        list.retain(|x| keep.contains(x));
    }
}

/// How many unroutable id-only inputs the kernel keeps for replay; beyond it the oldest is
/// dropped (reported in the outcome's `parkDroppedEventId`).
pub const PARK_CAPACITY: usize = 256;

/// An input parked until an order learns its venue order id (see `Kernel::parked`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Parked {
    pub venue_order_id: String,
    pub event_id: String,
    pub input: ParkedInput,
}

/// The parked input itself.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum ParkedInput {
    Venue(VenueEvent),
    Account(AccountEvent),
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SavedState {
    pub format: String,
    pub source_hash: String,
    pub slot_count: usize,
    pub slots: Vec<SlotState>,
    pub archive: Vec<SlotState>,
    pub ledger: LedgerState,
    pub anomalies: Vec<AnomalyState>,
    pub account_seen: Vec<String>,
    pub intent_seen: Vec<String>,
    pub retired_venue_order_ids: Vec<String>,
    #[serde(default)]
    pub parked: Vec<Parked>,
    #[serde(default)]
    pub evicted_trade_hashes: Vec<u64>,
}

enum Route {
    Found { si: usize, oi: usize, learn_vid: bool, by_state: bool },
    Unresolved(String),
    /// The venue order id belongs to an order of a trade that left its slot.
    Retired(String),
}

fn internal(e: KErr) -> Out {
    Out::new(false, Code::Internal, Severity::Critical, format!("arithmetic limit reached, input refused, state unchanged: {}", e.0))
}

fn invalid<F: AsRef<str>, R: AsRef<str>>(code: Code, field: F, value: &str, reason: R) -> Out {
    let (field, reason) = (field.as_ref(), reason.as_ref());
    Out::refuse(code, format!("{} {}: {}", field, value, reason)).ds("field", field).ds("value", value)
}

fn dmax(a: Decimal, b: Decimal) -> Decimal {
    if a > b {
        a
    } else {
        b
    }
}
fn dmin(a: Decimal, b: Decimal) -> Decimal {
    if a < b {
        a
    } else {
        b
    }
}

/// Unrealized PnL = side-sign × size × (mark − entry VWAP), rounded to PNL_DP; 0 without a basis
/// or a mark (a mark never becomes the basis: A4, docs/accounting.md §0.1). No leverage factor (docs/accounting.md §0.1).
pub fn unrealized_of(s: &SlotState) -> KResult<Decimal> {
    if s.size.is_zero() || s.entry_price.is_zero() || s.mark_price.is_zero() {
        return Ok(Decimal::ZERO);
    }
    let u = dec::mul(dec::mul(s.sign(), s.size)?, dec::sub(s.mark_price, s.entry_price)?)?;
    Ok(dec::round(u, PNL_DP))
}

impl Kernel {
    pub fn new(cfg: KernelConfig) -> Kernel {
        let slots = (0..cfg.slot_count).map(SlotState::empty).collect();
        let ledger = LedgerState::seed(cfg.initial_capital);
        Kernel {
            cfg,
            slots,
            archive: VecDeque::new(),
            archive_index: HashMap::new(),
            archive_base: 0,
            evicted_trade_hashes: Vec::new(),
            evicted_trade_hash_set: HashSet::new(),
            ledger,
            anomalies: Vec::new(),
            account_seen: Vec::new(),
            account_seen_set: HashSet::new(),
            intent_seen: Vec::new(),
            intent_seen_set: HashSet::new(),
            retired_vids: Vec::new(),
            retired_vid_set: HashSet::new(),
            parked: Vec::new(),
        }
    }

    fn instrument(&self, symbol: &str) -> Option<&input::InstrumentSpec> {
        self.cfg.instruments.iter().find(|i| i.symbol == symbol)
    }

    /// Wrap a mutating call: publish a new ledger snapshot (eventSeq + 1) when the ledger changed.
    fn finish(&mut self, before: &LedgerState, out: Out) -> Out {
        self.ledger.anomaly_count = self.anomalies.len() as u64;
        self.ledger.publish();
        if !self.ledger.same_content(before) {
            self.ledger.event_seq = before.event_seq + 1;
        }
        out
    }

    fn set_stage(&mut self, si: usize, to: Stage, trigger: &'static str, ts: i64, out: &mut Out) {
        let from = self.slots[si].stage;
        // Mutant (G3, M1): ENTER records IDLE and EXIT records POSITION_OPEN as the previous stage.
        #[cfg(feature = "mutant_hardcoded_prev_stage")]
        let from_recorded = match trigger {
            "ENTER" => Stage::Idle,
            "EXIT" | "EXIT_RESIDUAL" => Stage::PositionOpen,
            _ => from,
        };
        #[cfg(not(feature = "mutant_hardcoded_prev_stage"))]
        let from_recorded = from;
        if from == to {
            return;
        }
        self.slots[si].stage = to;
        if to == Stage::Closed {
            self.slots[si].closed_at_us = Some(ts);
            if cfg!(not(feature = "mutant_trade_seq_frozen")) {
                self.ledger.trade_seq = self.ledger.trade_seq.saturating_add(1); // M13
            }
        }
        out.transitions.push(Transition { slot_id: si, trade_id: self.slots[si].trade_id.clone(), from: from_recorded, to, trigger, ts_us: ts });
    }

    /// Settle slot `si` into the ledger and refresh its unrealized PnL (the ledger's Σ unrealized
    /// is maintained by deltas).
    fn settle_slot(&mut self, si: usize) -> KResult<()> {
        let slot = &mut self.slots[si];
        let u = unrealized_of(slot)?;
        if u != slot.unrealized {
            let total = dec::add(dec::sub(self.ledger.unrealized, slot.unrealized)?, u)?;
            slot.unrealized = u;
            self.ledger.unrealized = total;
        }
        // Mutant (Flaw 5): settlement only on terminal stages.
        #[cfg(feature = "mutant_settle_terminal_only")]
        {
            if slot.stage != Stage::Closed && slot.stage != Stage::Idle {
                return Ok(());
            }
        }
        self.ledger.settle(slot)?;
        Ok(())
    }

    /// Recompute Σ unrealized from the slots (after restore).
    fn recompute_unrealized(&mut self) -> KResult<()> {
        let mut total = Decimal::ZERO;
        for s in &self.slots {
            total = dec::add(total, s.unrealized)?;
        }
        self.ledger.unrealized = total;
        Ok(())
    }

    // ───────────────────────── intents ─────────────────────────

    /// Apply an intent (ENTER / EXIT / EXIT_RESIDUAL / CANCEL). Refusals change nothing.
    pub fn process_intent(&mut self, it: &Intent) -> Out {
        let before = self.ledger.clone();
        let out = self.intent_inner(it);
        let mut out = self.finish(&before, out);
        if out.accepted && out.code == Code::Ok {
            self.intent_seen_set.insert(it.intent_id.clone());
            self.intent_seen.push(it.intent_id.clone());
            // Owned by the slot's (new) trade: forgotten only when that trade is evicted.
            if it.slot_id >= 0 && (it.slot_id as usize) < self.slots.len() {
                self.slots[it.slot_id as usize].intent_ids.push(it.intent_id.clone());
            }
        }
        if out.slot.is_none() && it.slot_id >= 0 && (it.slot_id as usize) < self.slots.len() {
            out.slot = Some(it.slot_id as usize);
        }
        out
    }

    fn intent_inner(&mut self, it: &Intent) -> Out {
        if it.slot_id < 0 || it.slot_id as usize >= self.slots.len() {
            return invalid(Code::InvalidSlot, "slotId", &it.slot_id.to_string(), format!("out of range 0..{}", self.slots.len()));
        }
        let si = it.slot_id as usize;
        if self.intent_seen_set.contains(&it.intent_id) {
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

    fn trade_id_taken(&self, trade_id: &str) -> bool {
        let lower = trade_id.to_ascii_lowercase();
        self.slots.iter().any(|s| !s.trade_id.is_empty() && s.trade_id.to_ascii_lowercase() == lower)
            || self.archive_index.contains_key(&lower)
            || self.evicted_trade_hash_set.contains(&trade_id_hash(&lower))
    }

    /// Evict the oldest archived trades beyond `archive_capacity`: their record, index entry,
    /// retired venue order ids, intent ids and FILL_SETTLED ids go; their booked realized and fees
    /// move into the ledger's evicted totals (capital is unchanged: it already holds them); their
    /// trade id stays taken (hash). Later events for them are UNRESOLVED_SLOT, nothing mutated.
    fn evict_archive(&mut self) -> KResult<()> {
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
            if self.evicted_trade_hash_set.insert(h) {
                self.evicted_trade_hashes.push(h);
            }
            for o in &s.orders {
                if let Some(v) = &o.venue_order_id {
                    self.retired_vid_set.remove(v);
                }
            }
            for id in &s.intent_ids {
                self.intent_seen_set.remove(id);
            }
            for id in &s.settlement_ids {
                self.account_seen_set.remove(id);
            }
        }
        // The ordered lists keep saved state deterministic; drop what the sets forgot once they
        // are twice as long as needed (amortised O(1) per eviction).
        compact(&mut self.retired_vids, &self.retired_vid_set);
        compact(&mut self.intent_seen, &self.intent_seen_set);
        compact(&mut self.account_seen, &self.account_seen_set);
        Ok(())
    }

    fn enter(&mut self, si: usize, it: &Intent) -> KResult<Out> {
        let (trade_id, symbol, side, quantity, order, leverage, ratios) = match &it.kind {
            IntentKind::Enter { trade_id, symbol, side, quantity, order, leverage, exit_leg_ratios } => (trade_id, symbol, *side, *quantity, order, *leverage, exit_leg_ratios),
            _ => return Err(KErr("enter called with a non-ENTER intent".into())),
        };
        let stage = self.slots[si].stage;
        if stage != Stage::Idle && stage != Stage::Closed {
            return Ok(Out::refuse(Code::SlotBusy, format!("slot {} is {}; ENTER needs IDLE or CLOSED", si, stage.name())).ds("stage", stage.name()));
        }
        let inst = match self.instrument(symbol) {
            Some(i) => i.clone(),
            None => return Ok(invalid(Code::InvalidIntent, "symbol", symbol, "not a configured instrument (Flaw 8)")),
        };
        if cfg!(not(feature = "mutant_no_leverage_cap")) && leverage > self.cfg.max_leverage {
            return Ok(invalid(Code::InvalidIntent, "leverage", &leverage.to_string(), format!("above the kernel cap {} (G12)", self.cfg.max_leverage)));
        }
        let qty = dec::floor_to_step(quantity, inst.step_size)?;
        if qty.is_zero() {
            return Ok(invalid(Code::InvalidIntent, "quantity", &dec::fmt(quantity), format!("rounds to 0 at stepSize {}", dec::fmt(inst.step_size))));
        }
        if let Some(m) = inst.min_qty {
            if qty < m {
                return Ok(invalid(Code::InvalidIntent, "quantity", &dec::fmt(quantity), format!("below minQty {}", dec::fmt(m))));
            }
        }
        if let Some(p) = order.limit_price {
            if !dec::is_multiple(p, inst.tick_size)? {
                return Ok(invalid(Code::InvalidIntent, "limitPrice", &dec::fmt(p), format!("not a multiple of tickSize {}", dec::fmt(inst.tick_size))));
            }
        }
        if cfg!(not(feature = "mutant_duplicate_trade_id")) && self.trade_id_taken(trade_id) {
            return Ok(Out::refuse(Code::DuplicateTradeId, format!("tradeId {} is already used by this kernel (E7; ids compare case-insensitively)", trade_id)).ds("tradeId", trade_id));
        }
        // Archive the previous trade of this slot (CLOSED, or IDLE after a fill-less cancel).
        let old = std::mem::replace(&mut self.slots[si], SlotState::empty(si));
        for o in &old.orders {
            if let Some(v) = &o.venue_order_id {
                if self.retired_vid_set.insert(v.clone()) {
                    self.retired_vids.push(v.clone());
                }
            }
        }
        // Mutant (F26): seen event ids carried over to the next trade of the slot.
        #[cfg(feature = "mutant_seen_not_cleared")]
        {
            self.slots[si].seen_event_ids = old.seen_event_ids.clone();
            self.slots[si].rebuild_seen();
        }
        if !old.trade_id.is_empty() && (old.initial_size > Decimal::ZERO || old.exchange_realized.is_some()) {
            // An archived trade receives no venue events (they no longer route to it), only
            // FILL_SETTLED (deduplicated kernel-wide): its venue event ids are dropped.
            let mut old = old;
            old.seen_event_ids = Vec::new();
            old.seen_set = FastSet::default();
            self.archive_index.insert(old.trade_id.to_ascii_lowercase(), self.archive_base + self.archive.len());
            self.archive.push_back(old);
            self.evict_archive()?;
        }
        let coid = format!("d2-{}-e1", trade_id.to_ascii_lowercase());
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
            s.orders.push(OrderState {
                purpose: Purpose::Entry,
                client_order_id: coid.clone(),
                venue_order_id: None,
                side: oside,
                order_type: order.order_type,
                time_in_force: order.time_in_force,
                quantity: qty,
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
                exit_leg_index: None,
                live: true,
            });
        }
        let mut out = Out::ok("ENTER accepted: SUBMIT emitted");
        out.commands.push(Command::Submit {
            command_id: format!("{}-s", coid),
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

    fn exit(&mut self, si: usize, it: &Intent, order: &OrderSpec, ratio: Option<Decimal>, residual: bool) -> KResult<Out> {
        let s = &self.slots[si];
        match s.stage {
            Stage::Idle | Stage::Closed => return Ok(Out::refuse(Code::NoPosition, format!("slot {} has no open position ({})", si, s.stage.name())).ds("stage", s.stage.name())),
            Stage::OrderRequested | Stage::EntryWorking => {
                return Ok(Out::refuse(Code::InvalidTransition, "entry order still working: CANCEL it first (or wait for its fills)").ds("stage", s.stage.name()))
            }
            Stage::ExitRequested | Stage::ExitWorking => return Ok(Out::refuse(Code::InvalidTransition, "an exit order is already working").ds("stage", s.stage.name())),
            _ => {}
        }
        if s.size <= Decimal::ZERO {
            return Ok(Out::refuse(Code::NoPosition, "position size is 0"));
        }
        let inst = match self.instrument(&s.symbol) {
            Some(i) => i.clone(),
            None => return Ok(invalid(Code::InvalidState, "symbol", &s.symbol, "slot symbol is not a configured instrument")),
        };
        if let Some(p) = order.limit_price {
            if !dec::is_multiple(p, inst.tick_size)? {
                return Ok(invalid(Code::InvalidIntent, "limitPrice", &dec::fmt(p), format!("not a multiple of tickSize {}", dec::fmt(inst.tick_size))));
            }
        }
        let leg = s.exit_leg_index;
        let n = s.exit_leg_ratios.len() as u32;
        let r = if residual {
            Decimal::ONE
        } else if let Some(r) = ratio {
            r
        } else if leg + 1 >= n {
            Decimal::ONE // the last configured leg closes exactly the remaining size (Flaw 4, G4)
        } else {
            s.exit_leg_ratios.get(leg as usize).cloned().unwrap_or(Decimal::ONE)
        };
        // A1/E8: legs are sized from the REMAINING size, never from the initial size.
        #[cfg(feature = "mutant_exit_initial_size")]
        let base = s.initial_size;
        #[cfg(not(feature = "mutant_exit_initial_size"))]
        let base = s.size;
        let qty = if r == Decimal::ONE { base } else { dmin(dec::floor_to_step(dec::mul(base, r)?, inst.step_size)?, s.size) };
        if qty <= Decimal::ZERO {
            return Ok(Out::refuse(Code::ZeroSizeExit, format!("exit leg rounds to 0 at stepSize {} (I2, F3): nothing emitted", dec::fmt(inst.step_size)))
                .ds("ratio", &dec::fmt(r))
                .ds("sizeQty", &dec::fmt(s.size)));
        }
        let tid = s.trade_id.to_ascii_lowercase();
        let mut attempt = s.exit_attempt.max(1);
        let mut coid = exit_coid(&tid, leg, attempt);
        while s.orders.iter().any(|o| o.client_order_id == coid) {
            attempt = attempt.saturating_add(1);
            coid = exit_coid(&tid, leg, attempt);
        }
        let side = s.side.unwrap_or(PositionSide::Long);
        let oside = input::order_side(side, true);
        let trade_id = s.trade_id.clone();
        let symbol = s.symbol.clone();
        {
            let s = &mut self.slots[si];
            s.exit_attempt = attempt;
            s.orders.push(OrderState {
                purpose: Purpose::Exit,
                client_order_id: coid.clone(),
                venue_order_id: None,
                side: oside,
                order_type: order.order_type,
                time_in_force: order.time_in_force,
                quantity: qty,
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
                exit_leg_index: Some(leg),
                live: true,
            });
        }
        let mut out = Out::ok(if residual { "EXIT_RESIDUAL accepted: reduce-only SUBMIT emitted" } else { "EXIT accepted: reduce-only SUBMIT emitted" });
        out.commands.push(Command::Submit {
            command_id: format!("{}-s", coid),
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

    fn cancel(&mut self, si: usize, it: &Intent) -> Out {
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
        // M2: CANCEL is recorded as a transition (stage unchanged). Mutant: not recorded.
        #[cfg(not(feature = "mutant_cancel_no_transition"))]
        out.transitions.push(Transition { slot_id: si, trade_id, from: stage, to: stage, trigger: "CANCEL".into(), ts_us: it.ts_us });
        out.slot = Some(si);
        out
    }

    // ───────────────────────── venue events ─────────────────────────

    fn route(&self, symbol: &str, vid: Option<&str>, coid: Option<&str>, slot_hint: Option<i64>) -> Route {
        if let Some(v) = vid {
            for (si, s) in self.slots.iter().enumerate() {
                for (oi, o) in s.orders.iter().enumerate() {
                    if o.venue_order_id.as_deref() == Some(v) {
                        return self.check_symbol(si, oi, symbol, false, false);
                    }
                }
            }
        }
        if let Some(c) = coid {
            for (si, s) in self.slots.iter().enumerate() {
                for (oi, o) in s.orders.iter().enumerate() {
                    if o.client_order_id == c {
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
            if self.retired_vid_set.contains(v) {
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
        #[cfg(feature = "mutant_slot0_fallback")]
        {
            if !self.slots.is_empty() {
                if let Some(oi) = self.slots[0].live_order(Purpose::Exit).or_else(|| self.slots[0].live_order(Purpose::Entry)) {
                    return Route::Found { si: 0, oi, learn_vid: false, by_state: true };
                }
            }
        }
        if let Some(h) = slot_hint {
            if h >= 0 && (h as usize) < self.slots.len() {
                let s = &self.slots[h as usize];
                if let Some(oi) = s.live_order(Purpose::Exit).or_else(|| s.live_order(Purpose::Entry)) {
                    return self.check_symbol(h as usize, oi, symbol, false, true);
                }
                return Route::Unresolved(format!("slotHint {} has no working order", h));
            }
            return Route::Unresolved(format!("slotHint {} out of range", h));
        }
        Route::Unresolved("event carries no order identity and no slotHint".into())
    }

    fn check_symbol(&self, si: usize, oi: usize, symbol: &str, learn_vid: bool, by_state: bool) -> Route {
        if self.slots[si].symbol != symbol {
            return Route::Unresolved(format!("order belongs to slot {} on {}, event symbol is {} (Flaw 9)", si, self.slots[si].symbol, symbol));
        }
        Route::Found { si, oi, learn_vid, by_state }
    }

    /// Apply a normalised venue event. Routing by order identity first (docs/accounting.md §6.1-6.2); nothing
    /// matches → UNRESOLVED_SLOT, nothing mutated (G13, J8).
    pub fn on_venue_event(&mut self, ev: &VenueEvent) -> Out {
        let before = self.ledger.clone();
        let mut out = self.venue_inner(ev);
        if out.accepted {
            self.replay_parked(&mut out);
        }
        self.finish(&before, out)
    }

    /// Park an id-only input no order can own yet (docs/accounting.md §6.2: the stream can outrun the REST
    /// reply that tells the kernel the venue order id). Idempotent per event id; the oldest is
    /// dropped beyond PARK_CAPACITY. Annotates `out` (still UNRESOLVED_SLOT: no slot mutated).
    fn park(&mut self, venue_order_id: &str, event_id: &str, input: ParkedInput, out: &mut Out) {
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
    fn replay_parked(&mut self, out: &mut Out) {
        let mut codes: Vec<String> = Vec::new();
        loop {
            let known = |k: &Kernel, p: &Parked| -> bool {
                let v = Some(p.venue_order_id.as_str());
                let in_slots = k.slots.iter().any(|s| s.orders.iter().any(|o| o.venue_order_id.as_deref() == v));
                match p.input {
                    ParkedInput::Venue(_) => in_slots || k.retired_vid_set.contains(&p.venue_order_id),
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

    fn venue_inner(&mut self, ev: &VenueEvent) -> Out {
        let (si, oi, learn_vid, by_state) = match self.route(&ev.symbol, ev.venue_order_id.as_deref(), ev.client_order_id.as_deref(), ev.slot_hint) {
            Route::Found { si, oi, learn_vid, by_state } => (si, oi, learn_vid, by_state),
            Route::Retired(why) => {
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
        #[cfg(not(feature = "mutant_closed_reopen"))]
        let closed_guard = self.slots[si].stage == Stage::Closed;
        // Mutant (I13): a stray fill reopens a CLOSED slot.
        #[cfg(feature = "mutant_closed_reopen")]
        let closed_guard = false;
        if closed_guard {
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

    fn rate_limited_unrouted(&mut self, ev: &VenueEvent) -> Out {
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
    fn apply_event(&mut self, si: usize, oi: usize, ev: &VenueEvent, learn_vid: bool) -> KResult<Out> {
        let live = self.slots[si].orders[oi].live;
        let purpose = self.slots[si].orders[oi].purpose;
        let stale_out = |what: &str| {
            let mut o = Out::new(false, Code::StaleEvent, Severity::Warning, format!("{} for order that is no longer working: ignored ({})", ev.kind.name(), what));
            o.set("eventId", DVal::S(ev.event_id.clone()));
            o
        };
        // Mutant (M9): a stale ORDER_REJECT is applied and destroys the position.
        #[cfg(feature = "mutant_stale_reject_destroys")]
        {
            if !live && ev.kind == VenueKind::OrderReject && purpose == Purpose::Entry {
                let mut out = Out::new(true, Code::VenueRejected, Severity::Warning, "ORDER_REJECT applied");
                let s = &mut self.slots[si];
                s.size = Decimal::ZERO;
                self.set_stage(si, Stage::Idle, "ORDER_REJECT", ev.ts_us, &mut out);
                self.slots[si].remember(&ev.event_id);
                return Ok(out);
            }
        }
        // A late ORDER_ACK (the order already filled or finished): benign, learns the venue id.
        if !live && ev.kind == VenueKind::OrderAck {
            let mut out = Out::ok("late ORDER_ACK for a finished order: venue id learned, nothing else changes");
            out.set("lateAck", DVal::B(true));
            if learn_vid {
                if let Some(v) = &ev.venue_order_id {
                    self.slots[si].orders[oi].venue_order_id = Some(v.clone());
                    out.set("learnedVenueOrderId", DVal::S(v.clone()));
                }
            }
            self.slots[si].orders[oi].acked = true;
            self.slots[si].remember(&ev.event_id);
            return Ok(out);
        }
        if !live && !ev.kind.is_fill() && ev.kind != VenueKind::RateLimited {
            return Ok(stale_out(if ev.kind == VenueKind::OrderReject { "M9: a stale ORDER_REJECT never destroys a position" } else { "order finished" }));
        }
        let mut out = match ev.kind {
            VenueKind::PartialFill | VenueKind::FullFill => self.apply_fill(si, oi, ev)?,
            VenueKind::OrderAck => {
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
            VenueKind::CancelAck => {
                let mut out = Out::ok("CANCEL_ACK applied: order cancelled");
                if !self.slots[si].orders[oi].cancel_requested {
                    out.set("unsolicited", DVal::B(true));
                }
                self.finish_order(si, oi, "CANCEL_ACK", ev.ts_us, &mut out);
                out
            }
            VenueKind::CancelReject => {
                let o = &mut self.slots[si].orders[oi];
                o.cancel_requested = false;
                // Mutant (I15, E17): the rejected order is dropped from the slot's working set while
                // the stage stays ENTRY_/EXIT_WORKING: no CANCEL, fill-close or reconcile can settle
                // it any more, the slot is stranded.
                #[cfg(feature = "mutant_cancel_reject_strands")]
                {
                    o.live = false;
                }
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
            VenueKind::OrderReject => {
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
            VenueKind::RateLimited => {
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
        };
        if learn_vid {
            if let Some(v) = &ev.venue_order_id {
                self.slots[si].orders[oi].venue_order_id = Some(v.clone());
                out.set("learnedVenueOrderId", DVal::S(v.clone()));
            }
        }
        self.slots[si].remember(&ev.event_id);
        self.settle_slot(si)?;
        Ok(out)
    }

    /// An order ends without (further) fills: cancel ack, reject, or reconcile CANCELLED/EXPIRED/
    /// NOT_FOUND/FILLED-short. Stage: unfilled entry → IDLE; partially filled entry → POSITION_OPEN;
    /// exit → POSITION_OPEN (size > 0).
    fn finish_order(&mut self, si: usize, oi: usize, trigger: &'static str, ts: i64, out: &mut Out) {
        let (purpose, filled) = {
            let o = &mut self.slots[si].orders[oi];
            o.live = false;
            o.cancel_requested = false;
            (o.purpose, o.filled_qty)
        };
        let stage = self.slots[si].stage;
        match purpose {
            Purpose::Entry => {
                // Mutant (Flaw 2): the CANCEL FSM has no entry-order reset path.
                #[cfg(feature = "mutant_cancel_no_reset")]
                let reset = trigger != "CANCEL_ACK";
                #[cfg(not(feature = "mutant_cancel_no_reset"))]
                let reset = true;
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

    /// Book a fill on order `oi` of slot `si` (INCREMENTAL or CUMULATIVE quantity and fee).
    /// Everything is computed first, then committed: an overflow changes nothing.
    fn apply_fill(&mut self, si: usize, oi: usize, ev: &VenueEvent) -> KResult<Out> {
        let s = &self.slots[si];
        let o = &s.orders[oi];
        let evq = ev.fill_qty.unwrap_or(Decimal::ZERO);
        let price = ev.fill_price.filter(|p| *p > Decimal::ZERO);
        let raw_inc = if ev.cumulative_qty { dmax(dec::sub(evq, o.filled_qty)?, Decimal::ZERO) } else { evq };
        let order_rem = dmax(dec::sub(o.quantity, o.filled_qty)?, Decimal::ZERO);
        let is_entry = o.purpose == Purpose::Entry;
        let cap = if is_entry { order_rem } else { dmin(order_rem, s.size) };
        let overfill = raw_inc > cap;
        #[cfg(not(feature = "mutant_no_overfill_clamp"))]
        let q = dmin(raw_inc, cap);
        // Mutant (A3, I8): no clamp: an overfill books the whole quantity (size may go negative).
        #[cfg(feature = "mutant_no_overfill_clamp")]
        let q = raw_inc;
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
        // reply / reconcile and by its settlement, in any order, is booked once (docs/accounting.md §3.1, A7).
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
        // reconcile's avgPrice, docs/accounting.md §0.2): cumQty × avgPrice is the order's whole notional, so its
        // unpriced quantity is priced by the difference. Exit fills are never re-priced (their
        // repair is the exchange's FILL_SETTLED, docs/accounting.md §5.2). (notional added, quantity priced)
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
            #[cfg(not(feature = "mutant_entry_last_price"))]
            let entry_price = if priced_qty > Decimal::ZERO { dec::round(dec::div(entry_notional, priced_qty)?, PRICE_DP) } else { Decimal::ZERO };
            #[cfg(feature = "mutant_entry_last_price")]
            let entry_price = if priced { price.unwrap_or(Decimal::ZERO) } else { s.entry_price };
            let basis_missing = q > Decimal::ZERO && !priced;
            // commit
            let s = &mut self.slots[si];
            #[cfg(feature = "mutant_entry_overwrite")]
            {
                s.size = q;
                s.initial_size = q;
            }
            #[cfg(not(feature = "mutant_entry_overwrite"))]
            {
                s.size = size;
                s.initial_size = initial;
            }
            s.entry_notional = entry_notional;
            s.entry_priced_qty = priced_qty;
            s.entry_price = entry_price;
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
            // no leverage factor (docs/accounting.md §0.1 dual leverage), rounded to PNL_DP per fill.
            let basis = s.entry_price;
            let (estimate, skipped) = if priced && basis > Decimal::ZERO {
                let r = dec::mul(sign, dec::sub(notional, dec::mul(q, basis)?)?)?;
                // Mutant (docs/accounting.md §0, defect 2, the FET incident formula, no side sign):
                // q × (exit − entry) / entry × entry × leverage.
                #[cfg(feature = "mutant_leverage_pnl")]
                let r = {
                    let _ = r;
                    let p = price.unwrap_or(Decimal::ZERO);
                    dec::mul(dec::mul(dec::div(dec::mul(q, dec::sub(p, basis)?)?, basis)?, basis)?, Decimal::from(s.leverage))?
                };
                (dec::round(r, PNL_DP), false)
            } else {
                (Decimal::ZERO, q > Decimal::ZERO)
            };
            #[cfg(not(feature = "mutant_no_overfill_clamp"))]
            let size = dmax(dec::sub(s.size, q)?, Decimal::ZERO);
            #[cfg(feature = "mutant_no_overfill_clamp")]
            let size = dec::sub(s.size, q)?;
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
            } else if complete && was_live && (stage == Stage::ExitRequested || stage == Stage::ExitWorking) {
                self.set_stage(si, Stage::PositionOpen, ev.kind.name(), ev.ts_us, &mut out);
            } else if stage == Stage::ExitRequested && was_live {
                self.set_stage(si, Stage::ExitWorking, ev.kind.name(), ev.ts_us, &mut out);
            }
        }
        Ok(out)
    }

    /// Match queued early settlements of leg `li`'s order with its booked fills (in order).
    fn match_pending(&mut self, si: usize, li: usize, tol: Decimal, ts: i64, out: &mut Out) -> KResult<()> {
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

    // ───────────────────────── mark price ─────────────────────────

    /// Mark price: updates unrealized PnL only; never becomes an entry basis (A4, docs/accounting.md §0.1).
    pub fn mark_price(&mut self, m: &MarkPrice) -> Out {
        let before = self.ledger.clone();
        if self.instrument(&m.symbol).is_none() {
            return invalid(Code::InvalidEvent, "symbol", &m.symbol, "not a configured instrument");
        }
        // compute first, then commit
        let mut updates: Vec<(usize, Decimal)> = Vec::new();
        for (si, s) in self.slots.iter().enumerate() {
            if s.symbol == m.symbol {
                let mut t = s.clone_for_mark();
                t.mark_price = m.mark_price;
                match unrealized_of(&t) {
                    Ok(u) => updates.push((si, u)),
                    Err(e) => return internal(e),
                }
            }
        }
        for (si, u) in &updates {
            self.slots[*si].mark_price = m.mark_price;
            self.slots[*si].unrealized = *u;
            // Mutant (A4): a mark price arriving before the fill price becomes the entry basis.
            #[cfg(feature = "mutant_mark_basis")]
            {
                if self.slots[*si].entry_price.is_zero() && self.slots[*si].stage != Stage::Idle && self.slots[*si].stage != Stage::Closed {
                    self.slots[*si].entry_price = m.mark_price;
                }
            }
        }
        if let Err(e) = self.recompute_unrealized() {
            return internal(e);
        }
        let mut out = Out::ok("mark price applied");
        out.set("slots", DVal::N(updates.len() as i64));
        self.finish(&before, out)
    }

    // ───────────────────────── account events / anchors ─────────────────────────

    /// Anchor capital to the exchange wallet (docs/accounting.md §3.1). Missing / zero / negative wallet →
    /// ANCHOR_REJECTED, nothing changed (L5).
    pub fn anchor(&mut self, wallet: Option<Decimal>, available: Option<Decimal>, seq: i64) -> Out {
        let before = self.ledger.clone();
        let w = match wallet {
            #[cfg(feature = "mutant_anchor_accepts_zero")]
            None => Decimal::ZERO,
            #[cfg(not(feature = "mutant_anchor_accepts_zero"))]
            None => return Out::refuse(Code::AnchorRejected, "walletBalanceUsdt missing: anchor refused (L5)").ds("field", "walletBalanceUsdt").ds("value", "(missing)"),
            Some(w) => w,
        };
        // Mutant (L5): a zero wallet balance (missing "wb" read as 0) anchors capital to 0.
        #[cfg(feature = "mutant_anchor_accepts_zero")]
        let refuse_w = w < Decimal::ZERO;
        #[cfg(not(feature = "mutant_anchor_accepts_zero"))]
        let refuse_w = w <= Decimal::ZERO;
        if refuse_w {
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

    /// BALANCE / FILL_SETTLED / FUNDING (docs/accounting.md §3, §5.2). Idempotent by eventId.
    pub fn on_account_event(&mut self, ev: &AccountEvent) -> Out {
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

    fn account_inner(&mut self, ev: &AccountEvent) -> Out {
        let event_id = match ev {
            AccountEvent::Balance { event_id, .. } | AccountEvent::FillSettled { event_id, .. } | AccountEvent::Funding { event_id, .. } => event_id.clone(),
        };
        if self.account_seen_set.contains(&event_id) {
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

    fn remember_account(&mut self, event_id: &str, out: Out) -> Out {
        if out.accepted {
            self.account_seen_set.insert(event_id.to_string());
            self.account_seen.push(event_id.to_string());
        }
        out
    }

    /// Locate the trade a FILL_SETTLED belongs to: (in_archive, index, order index).
    fn locate_trade(&self, symbol: &str, trade_id: Option<&str>, vid: Option<&str>, coid: Option<&str>) -> Option<(bool, usize, Option<usize>)> {
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

    #[allow(clippy::too_many_arguments)]
    fn fill_settled(&mut self, event_id: &str, ts: i64, symbol: &str, trade_id: Option<&str>, vid: Option<&str>, coid: Option<&str>, rp: Decimal, fee: Decimal, cum_qty: Option<Decimal>) -> KResult<Out> {
        let (in_archive, idx, oi) = match self.locate_trade(symbol, trade_id, vid, coid) {
            Some(x) => x,
            None => {
                return Ok(Out::new(false, Code::UnresolvedSlot, Severity::Warning, "FILL_SETTLED matches no trade of this kernel: nothing mutated").ds("symbol", symbol));
            }
        };
        let tol = self.cfg.pnl_anomaly_tolerance;
        let mut s = if in_archive { self.archive[idx].clone() } else { self.slots[idx].clone() };
        let mut out = Out::ok("FILL_SETTLED recorded (pnlSource=exchange)");
        s.settlement_ids.push(event_id.to_string()); // owned by the trade (evict_archive)
        let mut anomaly: Option<(Decimal, String)> = None;
        s.exchange_realized = Some(dec::add(s.exchange_realized.unwrap_or(Decimal::ZERO), rp)?);
        s.exchange_fees = dec::add(s.exchange_fees, fee)?;
        // Fees are exchange facts, booked once and never ignored (docs/accounting.md §3.1, A7): the order's
        // booked fee becomes the larger of its fills' and its settlements' figures; a settlement
        // naming no order books what the trade's exchange fees exceed its booked fees by.
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
        let order_purpose = oi.and_then(|i| s.orders.get(i)).map(|o| (o.purpose, o.client_order_id.clone()));
        let is_entry_settlement = order_purpose.as_ref().map(|p| p.0) == Some(Purpose::Entry);
        match order_purpose {
            Some((Purpose::Entry, _)) => {
                s.entry_exchange_realized = dec::add(s.entry_exchange_realized, rp)?;
                if dec::sub(rp, Decimal::ZERO)?.abs() > tol {
                    anomaly = Some((Decimal::ZERO, format!("exchange realized {} on an entry fill; the kernel books 0 for opening fills", dec::fmt(rp))));
                }
            }
            Some((Purpose::Exit, c)) => {
                let li = s.legs.iter().position(|l| l.client_order_id == c);
                if let Some(li) = li {
                    let l = &mut s.legs[li];
                    l.exchange_realized = Some(dec::add(l.exchange_realized.unwrap_or(Decimal::ZERO), rp)?);
                    l.exchange_fees = dec::add(l.exchange_fees, fee)?;
                }
                let matched = match li {
                    Some(li) => settle_leg_fill(&mut s, li, rp, cum_qty, tol)?,
                    None => LegSettle::Pending,
                };
                match matched {
                    LegSettle::Pending => {
                        // Compared (or used as a repair) when the fill it belongs to is booked.
                        s.pending_settlements.push(PendingSettlement { client_order_id: c, realized: rp, fee, ts_us: ts, leg_recorded: li.is_some(), cum_qty });
                        out.set("pendingFill", DVal::B(true));
                        out.message = "FILL_SETTLED before its fill: exchange figure recorded, compared when the fill is booked".into();
                    }
                    LegSettle::Repaired => {
                        out.message = "FILL_SETTLED repaired a leg booked without a price (realized_skipped_no_price)".into();
                        out.set("repaired", DVal::B(true));
                    }
                    LegSettle::Matched => {}
                    LegSettle::Anomaly(est, detail) => anomaly = Some((est, detail)),
                }
            }
            None => {
                // tradeId only: the exchange figure for the trade's unpriced exit fills, or a
                // whole-trade comparison once the trade is closed.
                let mut repaired = false;
                for l in s.legs.iter_mut() {
                    for f in l.fills.iter_mut() {
                        if f.skipped && !f.repaired {
                            f.repaired = true;
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
            }
        }
        s.flags.realized_skipped_no_price = s.legs.iter().any(|l| l.fills.iter().any(|f| f.skipped && !f.repaired));
        if !is_entry_settlement {
            s.exit_settlements = s.exit_settlements.saturating_add(1);
        }
        // Trade-level check (complements the per-fill one, which cannot pair settlements with
        // fills the kernel booked merged, e.g. a cumulative fill after a lost or reordered frame):
        // once the trade is closed and has at least as many exit settlements as booked exit
        // fills, |Σ kernel estimate − Σ exchange rp| must stay within tolerance × settlements
        // received, else one PNL_ANOMALY is recorded for the trade.
        let tid_now = s.trade_id.clone();
        let trade_has_anomaly = anomaly.is_some() || self.anomalies.iter().any(|a| a.trade_id.as_deref() == Some(tid_now.as_str()));
        let closed = s.stage == Stage::Closed || (in_archive && s.size.is_zero());
        // Evaluated once every booked exit fill can have had its settlement (count-wise), so a
        // settlement trailing the close does not raise a transient anomaly.
        let booked_fills: usize = s.legs.iter().map(|l| l.fills.len()).sum();
        // A repaired trade is judged by what it booked (estimates + the exchange rp of its unpriced
        // fills), so a repair that missed a settlement is not silent either.
        if !trade_has_anomaly && closed && s.exit_settlements as usize >= booked_fills && !s.flags.realized_skipped_no_price {
            let repaired = s.flags.repaired_from_exchange;
            let est = if repaired { s.realized } else { kernel_estimate(&s)? };
            let ex = s.exchange_realized.unwrap_or(Decimal::ZERO);
            let bound = dec::mul(tol, Decimal::from(s.exit_settlements.max(1)))?;
            if dec::sub(est, ex)?.abs() > bound {
                let what = if repaired { "booked (repaired)" } else { "kernel estimate" };
                anomaly = Some((est, format!("trade {}: {} {} vs exchange {} over {} settlement(s)", s.trade_id, what, dec::fmt(est), dec::fmt(ex), s.exit_settlements)));
            }
        }
        // commit: settle the increment (repairs only) through the slot's baseline.
        self.ledger.settle(&mut s)?;
        let tid = s.trade_id.clone();
        if in_archive {
            self.archive[idx] = s;
        } else {
            self.slots[idx] = s;
            out.slot = Some(idx);
        }
        if let Some((est, detail)) = anomaly {
            let seq = self.anomalies.len() as u64 + 1;
            self.anomalies.push(AnomalyState { seq, ts_us: ts, code: Code::PnlAnomaly, trade_id: Some(tid.clone()), detail: detail.clone(), kernel_estimate: Some(est), exchange: Some(rp) });
            out.accepted = true;
            out.code = Code::PnlAnomaly;
            out.severity = Severity::Error;
            out.message = format!("PNL_ANOMALY recorded, not re-booked (spec §5.2): {}", detail).into();
        }
        out.set("tradeId", DVal::S(tid));
        out.set("exchangeFeeUsdt", DVal::S(dec::fmt(fee)));
        Ok(out)
    }

    // ───────────────────────── save / restore / reconcile ─────────────────────────

    pub fn save(&self, source_hash: &str) -> Result<String, String> {
        #[cfg(not(feature = "mutant_seen_not_saved"))]
        let slots = self.slots.clone();
        // Mutant (I10): saved slot images omit their seen event ids, so an event replayed after a
        // restart is applied a second time.
        #[cfg(feature = "mutant_seen_not_saved")]
        let slots: Vec<SlotState> = self.slots.iter().cloned().map(|mut s| {
            s.seen_event_ids = Vec::new();
            s
        }).collect();
        let st = SavedState {
            format: STATE_FORMAT.to_string(),
            source_hash: source_hash.to_string(),
            slot_count: self.slots.len(),
            slots,
            archive: self.archive.iter().cloned().collect(),
            ledger: self.ledger.clone(),
            anomalies: self.anomalies.clone(),
            // Only what the lookup sets still hold (evicted ids may linger in the ordered lists
            // until the next compaction).
            account_seen: self.account_seen.iter().filter(|x| self.account_seen_set.contains(*x)).cloned().collect(),
            intent_seen: self.intent_seen.iter().filter(|x| self.intent_seen_set.contains(*x)).cloned().collect(),
            retired_venue_order_ids: self.retired_vids.iter().filter(|x| self.retired_vid_set.contains(*x)).cloned().collect(),
            parked: self.parked.clone(),
            evicted_trade_hashes: self.evicted_trade_hashes.clone(),
        };
        serde_json::to_string(&st).map_err(|e| e.to_string())
    }

    /// Restore a saved state after validating every slot image (Flaw 11, G8, J7, G14). Slots with
    /// an order in flight go to STALE_STATE_RECONCILING (resumeStage remembered) until reconcile.
    pub fn restore(&mut self, json: &str) -> Out {
        let st: SavedState = match serde_json::from_str(json) {
            Ok(s) => s,
            Err(e) => return Out::refuse(Code::InvalidState, format!("saved state does not parse: {}", e)).ds("field", "state"),
        };
        if st.format != STATE_FORMAT {
            return invalid(Code::InvalidState, "format", &st.format, format!("expected {}", STATE_FORMAT));
        }
        if st.slot_count != self.slots.len() || st.slots.len() != self.slots.len() {
            return invalid(Code::InvalidState, "slots", &st.slots.len().to_string(), format!("this kernel has {} slots", self.slots.len()));
        }
        let mut ids: HashSet<String> = HashSet::new();
        // Mutant (Flaw 11, G8, J7, G14): slot images are applied as a raw override, unvalidated.
        #[cfg(feature = "mutant_restore_no_validation")]
        let slot_images: &[SlotState] = &[];
        #[cfg(not(feature = "mutant_restore_no_validation"))]
        let slot_images: &[SlotState] = &st.slots;
        for (i, s) in slot_images.iter().enumerate() {
            if let Err((f, v, r)) = self.validate_slot(s, i) {
                return invalid(Code::InvalidState, format!("slots[{}].{}", i, f), &v, &r);
            }
            if !s.trade_id.is_empty() && !ids.insert(s.trade_id.to_ascii_lowercase()) {
                return invalid(Code::InvalidState, format!("slots[{}].tradeId", i), &s.trade_id, "duplicate trade id (J7)");
            }
        }
        if st.archive.len() > self.cfg.archive_capacity {
            return invalid(Code::InvalidState, "archive", &st.archive.len().to_string(), format!("more closed trades than this kernel's archiveCapacity {}", self.cfg.archive_capacity));
        }
        for (i, s) in st.archive.iter().enumerate() {
            if s.trade_id.is_empty() || !ids.insert(s.trade_id.to_ascii_lowercase()) {
                return invalid(Code::InvalidState, format!("archive[{}].tradeId", i), &s.trade_id, "empty or duplicate trade id (J7)");
            }
            if s.has_live_order() || s.size != Decimal::ZERO && s.stage == Stage::Closed {
                return invalid(Code::InvalidState, format!("archive[{}]", i), &s.trade_id, "archived trade with live orders or size");
            }
        }
        let l = &st.ledger;
        for (f, v) in [("ledger.capital", l.capital), ("ledger.peakCapital", l.peak_capital)] {
            if v < Decimal::ZERO {
                return invalid(Code::InvalidState, f, &dec::fmt(v), "must not be negative");
            }
        }
        let mut acc: HashSet<String> = HashSet::new();
        for id in &st.account_seen {
            if !acc.insert(id.clone()) {
                return invalid(Code::InvalidState, "accountSeen", id, "duplicate id");
            }
        }
        let before = self.ledger.clone();
        let mut out = Out::ok("state restored");
        self.slots = st.slots;
        self.archive = st.archive.into_iter().collect();
        self.archive_base = 0;
        self.archive_index = self.archive.iter().enumerate().map(|(i, s)| (s.trade_id.to_ascii_lowercase(), i)).collect();
        self.evicted_trade_hash_set = st.evicted_trade_hashes.iter().cloned().collect();
        self.evicted_trade_hashes = st.evicted_trade_hashes;
        self.ledger = st.ledger;
        self.anomalies = st.anomalies;
        self.account_seen = st.account_seen;
        self.account_seen_set = acc;
        self.intent_seen_set = st.intent_seen.iter().cloned().collect();
        self.intent_seen = st.intent_seen;
        self.retired_vid_set = st.retired_venue_order_ids.iter().cloned().collect();
        self.retired_vids = st.retired_venue_order_ids;
        self.parked = st.parked;
        let mut stale = 0;
        for si in 0..self.slots.len() {
            self.slots[si].rebuild_seen();
            // Mutant (docs/accounting.md §0.3): the settle baseline resets on restart, re-settling carried PnL.
            #[cfg(feature = "mutant_restore_baseline_reset")]
            {
                self.slots[si].settled_realized = Decimal::ZERO;
                self.slots[si].settled_fees = Decimal::ZERO;
            }
            if self.slots[si].stage != Stage::StaleStateReconciling && self.slots[si].has_live_order() {
                let from = self.slots[si].stage;
                self.slots[si].resume_stage = Some(from);
                self.slots[si].stage = Stage::StaleStateReconciling;
                out.transitions.push(Transition { slot_id: si, trade_id: self.slots[si].trade_id.clone(), from, to: Stage::StaleStateReconciling, trigger: "RESTORE".into(), ts_us: 0 });
            }
            if self.slots[si].stage == Stage::StaleStateReconciling {
                stale += 1;
            }
        }
        for a in self.archive.iter_mut() {
            a.rebuild_seen();
        }
        out.set("staleSlots", DVal::N(stale));
        if let Err(e) = self.recompute_unrealized() {
            return internal(e);
        }
        let before_seq = before.event_seq;
        let out = self.finish(&self.ledger.clone(), out);
        let _ = before_seq;
        out
    }

    fn validate_slot(&self, s: &SlotState, i: usize) -> Result<(), (String, String, String)> {
        let e = |f: &str, v: String, r: &dyn AsRef<str>| Err((f.to_string(), v, r.as_ref().to_string()));
        if s.slot_id != i {
            return e("slotId", s.slot_id.to_string(), &format!("does not match its position {} (G14)", i));
        }
        for (f, v) in [("sizeQty", s.size), ("initialSizeQty", s.initial_size), ("targetQty", s.target_qty), ("entryPrice", s.entry_price), ("markPrice", s.mark_price), ("entryNotionalUsdt", s.entry_notional)] {
            if v < Decimal::ZERO {
                return e(f, dec::fmt(v), &"must not be negative");
            }
        }
        if s.size > s.initial_size {
            return e("sizeQty", dec::fmt(s.size), &"exceeds initialSizeQty");
        }
        let mut seen: HashSet<&str> = HashSet::new();
        for id in &s.seen_event_ids {
            if !seen.insert(id.as_str()) {
                return e("seenEventIds", id.clone(), &"duplicate event id");
            }
        }
        let live_entry = s.orders.iter().filter(|o| o.live && o.purpose == Purpose::Entry).count();
        let live_exit = s.orders.iter().filter(|o| o.live && o.purpose == Purpose::Exit).count();
        if live_entry > 1 || live_exit > 1 {
            return e("orders", s.orders.len().to_string(), &"more than one working order per purpose");
        }
        let stage = if s.stage == Stage::StaleStateReconciling {
            match s.resume_stage {
                Some(r) if r != Stage::StaleStateReconciling => r,
                _ => return e("resumeStage", format!("{:?}", s.resume_stage), &"STALE_STATE_RECONCILING needs a resume stage"),
            }
        } else {
            if s.resume_stage.is_some() {
                return e("resumeStage", format!("{:?}", s.resume_stage), &"only a STALE_STATE_RECONCILING slot has a resume stage");
            }
            s.stage
        };
        if stage != Stage::Idle || !s.trade_id.is_empty() {
            if s.trade_id.is_empty() || s.trade_id.len() > 24 || !s.trade_id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-') {
                return e("tradeId", s.trade_id.clone(), &"a non-IDLE slot needs a trade id [A-Za-z0-9_-]{1,24}");
            }
            if self.instrument(&s.symbol).is_none() {
                return e("symbol", s.symbol.clone(), &"not a configured instrument");
            }
            if s.side.is_none() {
                return e("side", "(missing)".into(), &"a trade needs a side");
            }
            if s.leverage < 1 || s.leverage > self.cfg.max_leverage {
                return e("leverage", s.leverage.to_string(), &"out of range");
            }
            let mut sum = Decimal::ZERO;
            for r in &s.exit_leg_ratios {
                if *r <= Decimal::ZERO || *r > Decimal::ONE {
                    return e("exitLegRatios", dec::fmt(*r), &"ratio must be in (0,1]");
                }
                sum = match dec::add(sum, *r) {
                    Ok(x) => x,
                    Err(_) => return e("exitLegRatios", dec::fmt(*r), &"ratio sum overflows"),
                };
            }
            if sum != Decimal::ONE {
                return e("exitLegRatios", dec::fmt(sum), &"ratios must sum to 1");
            }
        }
        let zero = s.size.is_zero();
        match stage {
            Stage::Idle => {
                if !zero {
                    return e("sizeQty", dec::fmt(s.size), &"IDLE with a non-zero size");
                }
                if live_entry + live_exit > 0 {
                    return e("orders", "working".into(), &"IDLE with a working order");
                }
            }
            Stage::OrderRequested | Stage::EntryWorking => {
                if live_entry != 1 || live_exit != 0 {
                    return e("entryOrder", "(missing)".into(), &format!("{} needs exactly one working entry order", stage.name()));
                }
            }
            Stage::PositionOpen => {
                if zero {
                    return e("sizeQty", "0".into(), &"POSITION_OPEN with size 0");
                }
                if live_entry + live_exit > 0 {
                    return e("orders", "working".into(), &"POSITION_OPEN with a working order");
                }
            }
            Stage::ExitRequested | Stage::ExitWorking => {
                if zero {
                    return e("sizeQty", "0".into(), &format!("{} with size 0", stage.name()));
                }
                if live_exit != 1 || live_entry != 0 {
                    return e("exitOrder", "(missing)".into(), &format!("{} needs exactly one working exit order", stage.name()));
                }
            }
            Stage::Closed => {
                if !zero {
                    return e("sizeQty", dec::fmt(s.size), &"CLOSED with a non-zero size");
                }
                if live_entry + live_exit > 0 {
                    return e("orders", "working".into(), &"CLOSED with a working order");
                }
                if s.initial_size.is_zero() {
                    return e("initialSizeQty", "0".into(), &"CLOSED trade never had a position");
                }
            }
            Stage::StaleStateReconciling => {}
        }
        Ok(())
    }

    /// Reconcile against venue truth (Flaw 11, I14): apply missing fills as cumulative fills
    /// (idempotent), resolve finished orders, resume STALE_STATE_RECONCILING slots, and report
    /// RECONCILE_MISMATCH for residual disagreements instead of overwriting.
    pub fn reconcile(&mut self, rep: &ReconcileReport) -> Out {
        let before = self.ledger.clone();
        // Validate first: every order's symbol consistent with the slot it routes to.
        let mut plan: Vec<(usize, usize, usize)> = Vec::new(); // (report idx, si, oi)
        let mut unmatched: Vec<String> = Vec::new();
        for (ri, o) in rep.orders.iter().enumerate() {
            // Identity only, never by state: the client order id first (a NOT_FOUND order carries
            // no real venue id, e.g. "0"), then the venue order id.
            let r = match o.client_order_id.as_deref() {
                Some(c) => self.route(&o.symbol, None, Some(c), None),
                None => self.route(&o.symbol, Some(&o.venue_order_id), None, None),
            };
            match r {
                Route::Found { si, oi, by_state: false, .. } => plan.push((ri, si, oi)),
                _ => unmatched.push(o.venue_order_id.clone()),
            }
        }
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
        for (ri, si, oi) in plan {
            let ro = &rep.orders[ri];
            if self.slots[si].stage == Stage::Closed {
                continue;
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
            let filled = self.slots[si].orders[oi].filled_qty;
            if ro.executed_qty > filled {
                let ev = VenueEvent {
                    kind: if ro.status == "FILLED" { VenueKind::FullFill } else { VenueKind::PartialFill },
                    event_id: format!("reconcile:{}:{}", ro.venue_order_id, dec::fmt(ro.executed_qty)),
                    ts_us: rep.ts_us,
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
                };
                match self.apply_fill(si, oi, &ev) {
                    Ok(o) => inner.transitions.extend(o.transitions),
                    Err(e) => {
                        mismatches.push(format!("order {}: {}", ro.venue_order_id, e.0));
                    }
                }
            } else if ro.executed_qty < filled {
                mismatches.push(format!("order {}: venue executedQty {} < kernel filled {}", ro.venue_order_id, dec::fmt(ro.executed_qty), dec::fmt(filled)));
            }
            let live = self.slots[si].orders[oi].live;
            match ro.status.as_str() {
                "CANCELLED" | "EXPIRED" | "NOT_FOUND" | "FILLED" => {
                    if live {
                        self.finish_order(si, oi, "RECONCILE", rep.ts_us, &mut inner);
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
                            self.set_stage(si, Stage::EntryWorking, "RECONCILE", rep.ts_us, &mut inner);
                        } else if p == Purpose::Exit && st == Stage::ExitRequested {
                            self.set_stage(si, Stage::ExitWorking, "RECONCILE", rep.ts_us, &mut inner);
                        }
                    }
                }
            }
            if let Err(e) = self.settle_slot(si) {
                mismatches.push(e.0);
            }
        }
        // Resume stale slots (their stage now reflects the reconciled orders).
        for si in 0..self.slots.len() {
            if stale.contains(&si) {
                // The resumed stage's side effects (e.g. CLOSED → tradeSeq) already happened
                // while the slot was swapped in; only the transition is recorded here.
                let to = self.slots[si].stage;
                self.slots[si].resume_stage = None;
                out.transitions.push(Transition { slot_id: si, trade_id: self.slots[si].trade_id.clone(), from: Stage::StaleStateReconciling, to, trigger: "RECONCILE".into(), ts_us: rep.ts_us });
            }
        }
        // Transitions of non-stale slots made during reconcile.
        for t in inner.transitions {
            if !stale.contains(&t.slot_id) {
                out.transitions.push(t);
            }
        }
        // Positions: Σ kernel size per symbol (LONG +, SHORT −) vs venue.
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
        for (si, s) in self.slots.iter().enumerate() {
            for o in s.orders.iter().filter(|o| o.live) {
                let reported = rep.orders.iter().any(|r| Some(r.venue_order_id.as_str()) == o.venue_order_id.as_deref() || r.client_order_id.as_deref() == Some(o.client_order_id.as_str()));
                if !reported {
                    mismatches.push(format!("slot {} order {} working in the kernel, absent from the report", si, o.client_order_id));
                }
            }
        }
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
        out.set("resumedSlots", DVal::N(stale.len() as i64));
        self.finish(&before, out)
    }
}

fn exit_coid(tid: &str, leg: u32, attempt: u32) -> String {
    if attempt <= 1 {
        format!("d2-{}-x{}", tid, leg + 1)
    } else {
        format!("d2-{}-x{}r{}", tid, leg + 1, attempt)
    }
}

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

impl SlotState {
    /// A light copy for computing figures (no seen ids, orders or legs).
    pub fn clone_for_mark(&self) -> SlotState {
        let mut t = SlotState::empty(self.slot_id);
        t.side = self.side;
        t.size = self.size;
        t.entry_price = self.entry_price;
        t.mark_price = self.mark_price;
        t
    }
}

/// Result of matching one exchange settlement with the next booked fill of a leg.
pub enum LegSettle {
    /// The fill has not been booked yet.
    Pending,
    /// The fill had no true price: the exchange figure was added (docs/accounting.md §5.2 repair).
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
/// An unpriced fill (realized_skipped_no_price) is repaired by adding every paired rp (docs/accounting.md §5.2);
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
    let (skipped, est, paired) = {
        let f = &s.legs[li].fills[k];
        (f.skipped, f.estimate, dec::add(f.exchange_realized, rp)?)
    };
    let leg_realized = dec::add(s.legs[li].realized, rp)?;
    let slot_realized = dec::add(s.realized, rp)?;
    let gap = dec::sub(est, paired)?.abs();
    let l = &mut s.legs[li];
    l.fills[k].exchange_realized = paired;
    if skipped {
        // Every settlement paired with an unpriced fill adds its rp (a merged fill has several).
        l.fills[k].repaired = true;
        l.realized = leg_realized;
        s.realized = slot_realized;
        s.flags.repaired_from_exchange = true;
        s.flags.realized_skipped_no_price = s.legs.iter().any(|l| l.fills.iter().any(|f| f.skipped && !f.repaired));
        return Ok(LegSettle::Repaired);
    }
    if last_piece && gap > tol {
        return Ok(LegSettle::Anomaly(est, format!("fill {} of leg {}: kernel estimate {} vs exchange {}", k, l.leg_index, dec::fmt(est), dec::fmt(paired))));
    }
    Ok(LegSettle::Matched)
}
