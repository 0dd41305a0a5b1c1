//! The DITAv2 execution kernel: N slots, the stage machine, fill routing and bookkeeping, the
//! ledger, save/restore/reconcile. Sans-IO: every input carries its own timestamp, every effect
//! is an output (docs/architecture.md §The kernel is sans-IO, §Kernel reference 4-5, docs/accounting.md).
//!
//! Every public method returns an `Out`; none panics (no unwrap/expect/indexing without a bound
//! check on input-derived values): errors are outcomes (G2, P2, P4).

use crate::dec::{self, KErr, KResult, PNL_DP, PRICE_DP};
use crate::input::{self, AccountEvent, Intent, IntentKind, KernelConfig, MarkPrice, OrderSpec, ReconcileOrder, ReconcileReport, VenueEvent, VenueKind};
use crate::model::*;
use rust_decimal::Decimal;
use std::collections::{HashSet, VecDeque};


mod intent;
mod routing;
mod venue;
mod fill;
mod mark;
mod settle;
mod persist;
mod reconcile;
mod netting;
mod reprice;
mod id_log;
mod archive;
pub(crate) mod mutants;

pub use persist::SavedState;
pub use archive::Archive;
use id_log::IdLog;
pub use reconcile::apply_fee_report;
pub use settle::{kernel_estimate, settle_leg_fill, LegSettle};

/// Venue codes of a CANCEL_REJECT meaning "already filled / does not exist / being processed"
/// (docs/bingx-protocol.md §8, both generations): the order is kept until fills or reconcile
/// settle it; the slot is never stranded (I15, E17, F17).
pub const CANCEL_REJECT_ORDER_DONE_CODES: [i64; 6] = [80016, 80018, 80019, 109421, 109422, 109423];

/// Format version of saveState (the persisted layout and hash functions). /2: evicted trade ids
/// are hashed with FNV-1a 64 (`validate::fnv1a64`); /1 used std's DefaultHasher (issue 11).
/// Saved-state format. 3: the one-way netting mirror (`netting`) and the netting fields of fill
/// records and trades (docs/accounting.md §One-way netting); format 2 is refused on restore.
pub const STATE_FORMAT: &str = "dita-kernel-state/3";

pub struct Kernel {
    pub cfg: KernelConfig,
    pub slots: Slots,
    /// Trades that left their slot (re-entry): kept for trade records and late FILL_SETTLED,
    /// oldest first, at most `cfg.archive_capacity` (older ones are evicted: `evict_archive`).
    pub archive: Archive,
    /// Lower-cased trade id → absolute archive position (`archive_base` + index).
    archive_index: FastMap<String, usize>,
    /// Trades evicted since this instance was created or restored (offset of `archive_index`).
    archive_base: usize,
    /// FNV-1a 64 hashes (`validate::fnv1a64`, fixed across compilers: persisted) of evicted trade
    /// ids, so a trade id stays unique after its record is evicted (E7); 8 bytes per trade.
    /// Hashes of evicted trade ids (E7), compact (hash_store.rs).
    evicted_trade_hashes: crate::hash_store::HashStore,
    pub ledger: LedgerState,
    pub anomalies: Vec<AnomalyState>,
    /// Applied account event ids (FILL_SETTLED, balance, funding), saved in order (id_log.rs).
    account_seen: IdLog,
    /// Accepted intent ids, saved in order (id_log.rs).
    intent_seen: IdLog,
    /// Venue order ids of orders whose trade left its slot (re-entry): never routed by state onto
    /// a new order (G13, J8, spec §6.2).
    retired_vids: IdLog,
    /// Venue events and FILL_SETTLED that named only a venue order id no order knows yet (the
    /// user stream outran the REST reply that carries the id: spec §6.2, the deployment's frames
    /// lack `c`), oldest first, at most PARK_CAPACITY. Replayed when an order learns that id.
    parked: Vec<Parked>,
    /// Mirror of the venue's one-way position per symbol, sorted by symbol (docs/accounting.md
    /// §One-way netting): what the K-vs-E checks judge each exchange rp against.
    netting: Vec<NetPosition>,
}

/// Persisted 64-bit hash of a (lower-cased) trade id: FNV-1a 64 over its UTF-8 bytes
/// (`validate::fnv1a64`), a fixed function, unlike std's DefaultHasher whose output Rust does not
/// promise across releases (the WASM and native builds use different compilers: issue 11).
fn trade_id_hash(lower: &str) -> u64 {
    crate::validate::fnv1a64(lower.as_bytes())
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
/// or a mark (a mark never becomes the basis: A4, spec §0.1). No leverage factor (spec §0.1).
pub fn unrealized_of(s: &SlotState) -> KResult<Decimal> {
    unrealized_at(s, s.mark_price)
}

/// `unrealized_of` with mark price `mark` instead of the slot's (a mark not yet committed).
pub fn unrealized_at(s: &SlotState, mark: Decimal) -> KResult<Decimal> {
    if s.size.is_zero() || s.entry_price.is_zero() || mark.is_zero() {
        return Ok(Decimal::ZERO);
    }
    let u = dec::mul(dec::mul(s.sign(), s.size)?, dec::sub(mark, s.entry_price)?)?;
    Ok(dec::round(u, PNL_DP))
}

impl Kernel {
    pub fn new(cfg: KernelConfig) -> Kernel {
        let slots = Slots::new((0..cfg.slot_count).map(SlotState::empty).collect());
        let ledger = LedgerState::seed(cfg.initial_capital);
        Kernel {
            cfg,
            slots,
            archive: Archive::default(),
            archive_index: FastMap::default(),
            archive_base: 0,
            evicted_trade_hashes: crate::hash_store::HashStore::default(),
            ledger,
            anomalies: Vec::new(),
            account_seen: IdLog::default(),
            intent_seen: IdLog::default(),
            retired_vids: IdLog::default(),
            parked: Vec::new(),
            netting: Vec::new(),
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
        let from_recorded = mutants::recorded_from(trigger, from);
        if from == to {
            return;
        }
        self.slots[si].stage = to;
        if to == Stage::Closed {
            self.slots[si].closed_at_us = Some(ts);
            if mutants::trade_seq_counts() {
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
        if !mutants::settles_now(slot.stage) {
            return Ok(());
        }
        self.ledger.settle(slot)?;
        Ok(())
    }

    /// Recompute Σ unrealized from the slots (after restore, after a mark).
    fn recompute_unrealized(&mut self) -> KResult<()> {
        self.ledger.unrealized = sum_unrealized(&self.slots)?;
        Ok(())
    }
}

/// Σ unrealized of `slots` in slot order, the same Decimal (value and scale) as folding
/// `dec::add` from `Decimal::ZERO` over every slot, without an addition for a zero term:
/// rust_decimal 1.23 `checked_add` returns `b` unchanged when `a` is zero and `a` unchanged when
/// `b` is zero (ops/add.rs `add_sub_internal`), so a zero running total takes the slot's figure
/// as it is (a zero figure too: its scale is kept) and a zero figure leaves a non-zero total.
/// Idle slots hold zero, so a mark on a kernel of 64 slots made 63 calls that changed nothing
/// (issue 11 per-call profile: about a third of a markPrice call). `sum_unrealized_matches_fold`
/// checks the equality bit for bit.
pub fn sum_unrealized(slots: &[SlotState]) -> KResult<Decimal> {
    let mut total = Decimal::ZERO;
    for s in slots {
        if total.is_zero() {
            total = s.unrealized;
        } else if !s.unrealized.is_zero() {
            total = dec::add(total, s.unrealized)?;
        }
    }
    Ok(total)
}

#[cfg(test)]
mod sum_tests {
    use super::*;
    use std::str::FromStr;

    /// The fold `sum_unrealized` replaces: `dec::add` from zero over every slot.
    fn fold(slots: &[SlotState]) -> KResult<Decimal> {
        let mut total = Decimal::ZERO;
        for s in slots {
            total = dec::add(total, s.unrealized)?;
        }
        Ok(total)
    }

    /// Bits of a Decimal (value and scale): `sum_unrealized` must equal the fold bit for bit.
    fn bits(d: Decimal) -> [u8; 16] {
        d.serialize()
    }

    #[test]
    fn sum_unrealized_matches_fold() {
        // zeros of several scales, values that cancel to a zero of some scale, mixed signs
        let pool = ["0", "0.000", "0.00000000", "-0.0", "1.5", "-1.5", "-1.50", "0.000000000001", "123456.789012345678", "-123456.789012345678", "7", "-7.000"];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for case in 0..20_000 {
            let n = 1 + (case % 9);
            let mut slots: Vec<SlotState> = (0..n).map(SlotState::empty).collect();
            for s in slots.iter_mut() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                s.unrealized = Decimal::from_str(pool[(seed % pool.len() as u64) as usize]).unwrap();
            }
            let a = sum_unrealized(&slots).unwrap();
            let b = fold(&slots).unwrap();
            assert_eq!(bits(a), bits(b), "case {}: {:?}", case, slots.iter().map(|s| s.unrealized.to_string()).collect::<Vec<_>>());
        }
        // the all-zero case keeps the last slot's zero (its scale), as the fold does
        let mut z: Vec<SlotState> = (0..3).map(SlotState::empty).collect();
        z[2].unrealized = Decimal::from_str("0.000").unwrap();
        assert_eq!(bits(sum_unrealized(&z).unwrap()), bits(Decimal::from_str("0.000").unwrap()));
    }
}
