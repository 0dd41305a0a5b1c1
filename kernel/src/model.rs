//! Shapes crossing the boundary (kernel/types.ts) and the kernel's internal state.
//! Output images are built from the state by `image.rs`; the state itself is what saveState
//! serialises (serde, `deny_unknown_fields`, camelCase, SCREAMING_SNAKE enums).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashSet;
/// The kernel's id sets and maps: a word-at-a-time multiply-rotate hash (rustc's FxHash step
/// over 8-byte words) finished with murmur3's fmix64, so ids that differ only in their last bytes
/// (event ids, venue order ids) still spread over every bucket; fixed seed (deterministic), and
/// several times cheaper than std's SipHash (and than the byte-at-a-time FNV-1a used before
/// issue 11's speed work) on short ids. Lookups only: nothing observable depends on the hash
/// values or the iteration order of these sets (persisted hashes use `validate::fnv1a64`).
pub type FastSet = HashSet<String, FastHash>;
/// A map with the kernel's id hash (see `FastSet`).
pub type FastMap<K, V> = std::collections::HashMap<K, V, FastHash>;

/// BuildHasher of `FastSet` / `FastMap`.
#[derive(Debug, Clone, Copy, Default)]
pub struct FastHash;

impl std::hash::BuildHasher for FastHash {
    type Hasher = FastHasher;
    fn build_hasher(&self) -> FastHasher {
        FastHasher(0xcbf2_9ce4_8422_2325)
    }
}

/// Multiply-xorshift over 8-byte little-endian words (the tail packed with its length);
/// `finish` applies fmix64 (murmur3) for avalanche. Each step is s = (s ^ w) × K, then
/// s ^= s >> 29: the xorshift folds the product's high bits (where a multiply leaves the
/// difference of two words) back into the low bits before the next word. The multiply-rotate step
/// used before (FxHash's) let that difference rotate into the low 5 bits where the next word
/// cancelled it: venue order ids "1900000000000009600" and "1900000000000001900" hashed equal
/// (unit test `fast_hash_separates_sequential_ids`).
#[derive(Debug, Clone, Copy)]
pub struct FastHasher(u64);

const FX_K: u64 = 0x517c_c1b7_2722_0a95;

impl FastHasher {
    #[inline]
    fn mix(&mut self, w: u64) {
        let x = (self.0 ^ w).wrapping_mul(FX_K);
        self.0 = x ^ (x >> 29);
    }
}

impl std::hash::Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            self.mix(u64::from_le_bytes(a));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut a = [0u8; 8];
            a[..rest.len()].copy_from_slice(rest);
            a[7] ^= (rest.len() as u8) << 4;
            self.mix(u64::from_le_bytes(a));
        }
    }
    #[inline]
    fn write_u8(&mut self, v: u8) {
        self.mix(v as u64 | 0x100);
    }
    #[inline]
    fn write_u64(&mut self, v: u64) {
        self.mix(v);
    }
    #[inline]
    fn write_usize(&mut self, v: usize) {
        self.mix(v as u64);
    }
    fn finish(&self) -> u64 {
        let mut k = self.0;
        k ^= k >> 33;
        k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
        k ^= k >> 33;
        k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        k ^ (k >> 33)
    }
}

/// Hash index of a slot's seen event ids (`SlotState::seen_event_ids`): id hash → how many ids
/// in the list have that hash. A miss (the common case: a new event) is one lookup and no string
/// compare; a hit is confirmed against the list, so a hash collision never makes an event a
/// duplicate. Unlike a `FastSet` of the ids, it keeps no second copy of each id (one allocation
/// per applied event instead of two: issue 11).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeenIndex(FastMap<u64, u32>);

/// The `FastHash` of an id (as a `FastSet<String>` would hash it): the key of `SeenIndex` and
/// of the kernel's id logs (kernel/id_log.rs). Lookups only, never persisted.
#[inline]
pub fn id_hash(id: &str) -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = FastHash.build_hasher();
    id.hash(&mut h);
    h.finish()
}

impl SeenIndex {
    fn key(id: &str) -> u64 {
        id_hash(id)
    }
    /// False: `id` is certainly not in the list; true: it may be (confirm against the list).
    pub fn may_contain(&self, id: &str) -> bool {
        self.0.contains_key(&Self::key(id))
    }
    /// Count `id` (call only when it is not in the list yet). The first insert sizes the index
    /// for a typical trade's events (ack, fills, exit legs), instead of growing it 4 times.
    pub fn insert(&mut self, id: &str) {
        if self.0.capacity() == 0 {
            self.0.reserve(16);
        }
        *self.0.entry(Self::key(id)).or_insert(0) += 1;
    }
    /// Uncount `id` (it was removed from the list).
    pub fn remove(&mut self, id: &str) {
        let k = Self::key(id);
        let gone = match self.0.get_mut(&k) {
            Some(n) => {
                *n -= 1;
                *n == 0
            }
            None => false,
        };
        if gone {
            self.0.remove(&k);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Stage {
    Idle,
    OrderRequested,
    EntryWorking,
    PositionOpen,
    ExitRequested,
    ExitWorking,
    Closed,
    StaleStateReconciling,
}

impl Stage {
    pub fn name(&self) -> &'static str {
        match self {
            Stage::Idle => "IDLE",
            Stage::OrderRequested => "ORDER_REQUESTED",
            Stage::EntryWorking => "ENTRY_WORKING",
            Stage::PositionOpen => "POSITION_OPEN",
            Stage::ExitRequested => "EXIT_REQUESTED",
            Stage::ExitWorking => "EXIT_WORKING",
            Stage::Closed => "CLOSED",
            Stage::StaleStateReconciling => "STALE_STATE_RECONCILING",
        }
    }
    /// Numeric code used by the batch ABI result records (README "Batch ABI").
    pub fn code(&self) -> u8 {
        match self {
            Stage::Idle => 0,
            Stage::OrderRequested => 1,
            Stage::EntryWorking => 2,
            Stage::PositionOpen => 3,
            Stage::ExitRequested => 4,
            Stage::ExitWorking => 5,
            Stage::Closed => 6,
            Stage::StaleStateReconciling => 7,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PositionSide {
    Long,
    Short,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderSide {
    Buy,
    Sell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderType {
    Market,
    Limit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TimeInForce {
    Gtc,
    Ioc,
    Fok,
    PostOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Purpose {
    Entry,
    Exit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    Info,
    Warning,
    Error,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Code {
    Ok,
    InvalidIntent,
    InvalidEvent,
    InvalidSlot,
    SlotBusy,
    DuplicateTradeId,
    NoActiveOrder,
    NoPosition,
    ZeroSizeExit,
    InvalidTransition,
    DuplicateEvent,
    UnresolvedSlot,
    StaleEvent,
    Overfill,
    StaleState,
    VenueRejected,
    RateLimited,
    AnchorRejected,
    PnlAnomaly,
    ReconcileMismatch,
    InvalidState,
    Disposed,
    Internal,
}

impl Code {
    /// Numeric code used by the batch ABI result records (index in this enum, README).
    pub fn num(&self) -> u8 {
        *self as u8
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapitalSource {
    Seed,
    EAnchored,
    KBridged,
}

// ─────────────── internal state (saved by saveState) ───────────────

/// One venue order of the slot's current trade (live or finished; finished orders stay
/// routable so late fills land on the order that owns them: docs/accounting.md §0.1, §6.1).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderState {
    pub purpose: Purpose,
    pub client_order_id: String,
    pub venue_order_id: Option<String>,
    pub side: OrderSide,
    pub order_type: OrderType,
    pub time_in_force: TimeInForce,
    pub quantity: Decimal,
    pub limit_price: Option<Decimal>,
    pub filled_qty: Decimal,
    pub filled_notional: Decimal,
    /// Booked quantity that had no true price.
    pub unpriced_qty: Decimal,
    /// Σ fees carried by this order's INCREMENTAL-fee fills (positive = paid).
    pub fee_booked: Decimal,
    /// The largest CUMULATIVE fee a fill reported for this order (REST reply, reconcile).
    #[serde(default)]
    pub fee_cumulative: Decimal,
    /// Σ fees the exchange reported for this order in FILL_SETTLED (positive = paid). The order's
    /// booked fee is the larger in magnitude of the two sources ({@link order_fee}): a fee reported
    /// by both is booked once, a fee reported only at settlement is still booked (docs/accounting.md §3.1, A7).
    #[serde(default)]
    pub settled_fee: Decimal,
    pub acked: bool,
    pub cancel_requested: bool,
    pub cancel_count: u32,
    pub exit_leg_index: Option<u32>,
    /// Working at the venue (not filled, cancelled or rejected).
    pub live: bool,
    /// The venue's own cumulative fee for the order's final executed quantity was applied (a
    /// reconcile / order query reporting a terminal status with commission and executedQty = the
    /// booked quantity). Until then the fee booked from the stream may miss fills whose frames
    /// were lost (restart, lost frame, expired listen key): the stream cannot prove completeness
    /// (no per-fill quantity on swap frames, docs/bingx-protocol.md §user stream), so a finished
    /// order with fills stays listed in SlotImage.feeUnconfirmedOrders for the runtime to query
    /// (scenario i10-duplicates-across-restarts; case fee_confirmed_by_query).
    #[serde(default)]
    pub fee_confirmed: bool,
}

/// Most archived fee references one slot carries (SlotState.archived_fee_refs).
pub const MAX_ARCHIVED_FEE_REFS: usize = 32;

/// An order of an archived trade whose fee the venue has not confirmed yet.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeeRef {
    pub symbol: String,
    pub client_order_id: String,
    pub venue_order_id: Option<String>,
}

/// One booked exit fill: the kernel estimate and whether it was priced (for FILL_SETTLED).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FillRecord {
    pub qty: Decimal,
    pub estimate: Decimal,
    pub skipped: bool,
    pub repaired: bool,
    /// The order's cumulative booked quantity after this fill: the fill covers
    /// (previous fill's cumQty, cumQty], and a FILL_SETTLED carrying cumQty q settles the first
    /// fill with cumQty ≥ q. A fill booked merged (a cumulative frame that outran or outlived an
    /// earlier one) collects every settlement in its range.
    #[serde(default)]
    pub cum_qty: Decimal,
    /// Σ exchange rp of the settlements paired with this fill.
    #[serde(default)]
    pub exchange_realized: Decimal,
    /// Exit notional of this fill (quantity × true price); 0 while unpriced (docs/accounting.md
    /// §One-way netting: the mirror's predicted rp needs the fill's own price).
    #[serde(default)]
    pub notional: Decimal,
    /// What the venue's one-way position (the kernel's mirror) looked like when this fill was
    /// booked (docs/accounting.md §One-way netting).
    #[serde(default)]
    pub net: NetFill,
    /// Re-priced together with other fills of its order from one cumulative report (cumQty ×
    /// avgPrice): the group's price is known, each fill's own is not, so the fill is judged with
    /// its trade (trade_gap), never on its own.
    #[serde(default)]
    pub pooled: bool,
    /// The settlement of this fill's last quantity arrived (its Σ rp is complete).
    #[serde(default)]
    pub settled: bool,
}

/// A fill's view of the venue's one-way position (docs/accounting.md §One-way netting): of its
/// quantity, `close_qty` reduced the symbol's net position, whose blended entry was `entry`
/// (USDT) and whose direction was `dir` (+1 long, −1 short). `known` is false when the mirror's
/// entry was not known (an unpriced opening fill, a reconcile that moved the position): the
/// venue's rp cannot be predicted and the fill is judged on its slot's own estimate.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetFill {
    pub close_qty: Decimal,
    pub entry: Decimal,
    pub dir: i8,
    pub known: bool,
}

/// The kernel's mirror of the venue's one-way position of one symbol (docs/accounting.md §One-way
/// netting; BingX one-way mode nets every slot of a symbol into one position with a blended entry
/// price): signed quantity (+ long, − short, base coin), blended entry (USDT; 0 when flat), and
/// whether the entry is known (false after an unpriced opening fill or a reconcile that moved the
/// quantity, until the position is flat again).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetPosition {
    pub symbol: String,
    pub qty: Decimal,
    pub entry: Decimal,
    pub known: bool,
}

/// What a trade's entry fills did to the venue's one-way position (docs/accounting.md §One-way
/// netting): an entry fill opposite to the symbol's net position closes part of it, and the venue
/// books realized PnL on that entry fill. `expected` = Σ rp the mirror predicts for the trade's
/// entry fills, `close_qty` = Σ quantity they closed, `unknown` = a prediction was impossible.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntryNet {
    pub expected: Decimal,
    pub close_qty: Decimal,
    pub unknown: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LegState {
    pub leg_index: u32,
    pub client_order_id: String,
    pub quantity: Decimal,
    pub exit_notional: Decimal,
    pub priced_qty: Decimal,
    pub realized: Decimal,
    pub fees: Decimal,
    pub exchange_realized: Option<Decimal>,
    pub exchange_fees: Decimal,
    pub fills: Vec<FillRecord>,
    /// Next fill of this leg a FILL_SETTLED for the leg's order refers to.
    pub settle_cursor: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Flags {
    pub entry_basis_missing: bool,
    pub realized_skipped_no_price: bool,
    pub overfill: bool,
    pub repaired_from_exchange: bool,
    /// Exit fills booked without a price were re-priced from the order's cumulative report
    /// (cumQty × avgPrice, docs/accounting.md §Missing prices); any §5.2 repair of them was replaced.
    #[serde(default)]
    pub repriced_from_order: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimit {
    pub retry_after_ms: Option<i64>,
    pub release_eta: Option<String>,
    pub until_us: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SlotState {
    pub slot_id: usize,
    pub stage: Stage,
    pub resume_stage: Option<Stage>,
    pub trade_id: String,
    pub symbol: String,
    pub side: Option<PositionSide>,
    pub leverage: i64,
    pub target_qty: Decimal,
    pub size: Decimal,
    pub initial_size: Decimal,
    pub entry_notional: Decimal,
    pub entry_priced_qty: Decimal,
    pub entry_price: Decimal,
    pub mark_price: Decimal,
    pub realized: Decimal,
    pub unrealized: Decimal,
    pub fees: Decimal,
    pub settled_realized: Decimal,
    pub settled_fees: Decimal,
    pub orders: Vec<OrderState>,
    pub exit_leg_ratios: Vec<Decimal>,
    pub exit_leg_index: u32,
    pub exit_attempt: u32,
    pub legs: Vec<LegState>,
    pub seen_event_ids: Vec<String>,
    #[serde(skip)]
    pub seen_set: SeenIndex,
    pub flags: Flags,
    pub rate_limit: Option<RateLimit>,
    pub opened_at_us: Option<i64>,
    pub closed_at_us: Option<i64>,
    /// Σ exchange rp of every FILL_SETTLED of this trade (None = none received).
    pub exchange_realized: Option<Decimal>,
    pub exchange_fees: Decimal,
    pub entry_exchange_realized: Decimal,
    /// FILL_SETTLED that arrived before the exit fill they settle (matched when it is booked).
    pub pending_settlements: Vec<PendingSettlement>,
    /// FILL_SETTLED received for this trade's exit orders (or by trade id).
    pub exit_settlements: u32,
    /// Orders of earlier trades of this slot, archived (re-entry) before the venue confirmed their
    /// fee: carried here so the saved state (and SlotImage.feeUnconfirmedOrders) keeps asking for
    /// them across restarts until a reconcile confirms them (chaos seed 10010: a restart between
    /// the re-entry and the fee query lost them). At most MAX_ARCHIVED_FEE_REFS, oldest dropped.
    #[serde(default)]
    pub archived_fee_refs: Vec<FeeRef>,
    /// Accepted intent ids of this trade (dropped from the intent dedup set when the trade is
    /// evicted from the archive).
    #[serde(default)]
    pub intent_ids: Vec<String>,
    /// FILL_SETTLED event ids applied to this trade (dropped from the account dedup set on
    /// eviction).
    #[serde(default)]
    pub settlement_ids: Vec<String>,
    /// The trade's entry fills against the venue's one-way position (docs/accounting.md §One-way netting).
    #[serde(default)]
    pub entry_net: EntryNet,
    /// Mutant only (issue 12): priced entry fills so far, for the plain mean of their prices.
    #[cfg(feature = "mutant_entry_plain_mean")]
    #[serde(default)]
    pub entry_fill_count: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PendingSettlement {
    pub client_order_id: String,
    pub realized: Decimal,
    pub fee: Decimal,
    pub ts_us: i64,
    /// Already added to the leg's exchange figures (the leg existed on arrival).
    pub leg_recorded: bool,
    /// The settlement's cumQty (pairs it with a fill by range), if it carried one.
    #[serde(default)]
    pub cum_qty: Option<Decimal>,
}

impl SlotState {
    pub fn empty(slot_id: usize) -> SlotState {
        SlotState {
            slot_id,
            stage: Stage::Idle,
            resume_stage: None,
            trade_id: String::new(),
            symbol: String::new(),
            side: None,
            leverage: 0,
            target_qty: Decimal::ZERO,
            size: Decimal::ZERO,
            initial_size: Decimal::ZERO,
            entry_notional: Decimal::ZERO,
            entry_priced_qty: Decimal::ZERO,
            entry_price: Decimal::ZERO,
            #[cfg(feature = "mutant_entry_plain_mean")]
            entry_fill_count: 0,
            mark_price: Decimal::ZERO,
            realized: Decimal::ZERO,
            unrealized: Decimal::ZERO,
            fees: Decimal::ZERO,
            settled_realized: Decimal::ZERO,
            settled_fees: Decimal::ZERO,
            orders: Vec::new(),
            exit_leg_ratios: vec![Decimal::ONE],
            exit_leg_index: 0,
            exit_attempt: 1,
            legs: Vec::new(),
            seen_event_ids: Vec::new(),
            seen_set: SeenIndex::default(),
            flags: Flags::default(),
            rate_limit: None,
            opened_at_us: None,
            closed_at_us: None,
            exchange_realized: None,
            exchange_fees: Decimal::ZERO,
            entry_exchange_realized: Decimal::ZERO,
            pending_settlements: Vec::new(),
            exit_settlements: 0,
            archived_fee_refs: Vec::new(),
            intent_ids: Vec::new(),
            settlement_ids: Vec::new(),
            entry_net: EntryNet::default(),
        }
    }
    /// Whether event id `id` was applied to this trade (exact: a hash hit is confirmed against
    /// `seen_event_ids`).
    pub fn seen(&self, id: &str) -> bool {
        self.seen_set.may_contain(id) && self.seen_event_ids.iter().any(|x| x == id)
    }
    pub fn remember(&mut self, id: &str) {
        if !self.seen(id) {
            self.seen_set.insert(id);
            self.seen_event_ids.push(id.to_string());
        }
        crate::kernel::mutants::bound_seen_ids(&mut self.seen_event_ids, &mut self.seen_set);
    }
    pub fn rebuild_seen(&mut self) {
        self.seen_set = SeenIndex::default();
        for id in &self.seen_event_ids {
            self.seen_set.insert(id);
        }
    }
    pub fn live_order(&self, purpose: Purpose) -> Option<usize> {
        self.orders.iter().position(|o| o.live && o.purpose == purpose)
    }
    pub fn has_live_order(&self) -> bool {
        self.orders.iter().any(|o| o.live)
    }
    pub fn sign(&self) -> Decimal {
        match self.side {
            Some(PositionSide::Short) => Decimal::NEGATIVE_ONE,
            _ => Decimal::ONE,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LedgerState {
    pub event_seq: u64,
    pub capital: Decimal,
    pub peak_capital: Decimal,
    pub realized: Decimal,
    pub unrealized: Decimal,
    pub fees_paid: Decimal,
    pub funding: Decimal,
    pub trade_seq: u64,
    pub capital_source: CapitalSource,
    pub e_wallet_balance: Decimal,
    pub e_available_margin: Decimal,
    pub anchor_capital: Decimal,
    pub anomaly_count: u64,
    pub last_anchor_seq: Option<i64>,
    /// Closed trades evicted from the archive (archiveCapacity), and Σ their booked realized PnL
    /// and fees: Σ trades() + evicted = the ledger's realized and fees.
    #[serde(default)]
    pub evicted_trades: u64,
    #[serde(default)]
    pub evicted_realized: Decimal,
    #[serde(default)]
    pub evicted_fees: Decimal,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnomalyState {
    pub seq: u64,
    pub ts_us: i64,
    pub code: Code,
    pub trade_id: Option<String>,
    pub detail: String,
    pub kernel_estimate: Option<Decimal>,
    pub exchange: Option<Decimal>,
}

// ─────────────── outputs ───────────────

/// A detail value (types.ts: string | number | boolean).
#[derive(Debug, Clone, PartialEq)]
pub enum DVal {
    S(String),
    /// A decimal, formatted only when the outcome is serialised (hot path: no allocation).
    D(Decimal),
    N(i64),
    B(bool),
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Transition {
    pub slot_id: usize,
    pub trade_id: String,
    pub from: Stage,
    pub to: Stage,
    pub trigger: &'static str,
    pub ts_us: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Command {
    #[serde(rename_all = "camelCase")]
    Submit {
        command_id: String,
        slot_id: usize,
        trade_id: String,
        purpose: Purpose,
        client_order_id: String,
        symbol: String,
        side: OrderSide,
        position_side: &'static str,
        order_type: OrderType,
        quantity: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        limit_price: Option<String>,
        reduce_only: bool,
        time_in_force: TimeInForce,
    },
    #[serde(rename_all = "camelCase")]
    Cancel {
        command_id: String,
        slot_id: usize,
        trade_id: String,
        symbol: String,
        client_order_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        venue_order_id: Option<String>,
    },
}

/// The result of every kernel call (types.ts Outcome; ledgerSeq added at serialisation).
#[derive(Debug, Clone)]
pub struct Out {
    pub accepted: bool,
    pub code: Code,
    pub severity: Severity,
    pub message: Cow<'static, str>,
    pub details: Vec<(&'static str, DVal)>,
    pub transitions: Vec<Transition>,
    pub commands: Vec<Command>,
    /// Slot the input was applied to (batch results), if any.
    pub slot: Option<usize>,
}

impl Out {
    pub fn new<M: Into<Cow<'static, str>>>(accepted: bool, code: Code, severity: Severity, message: M) -> Out {
        Out { accepted, code, severity, message: message.into(), details: Vec::new(), transitions: Vec::new(), commands: Vec::new(), slot: None }
    }
    pub fn ok<M: Into<Cow<'static, str>>>(message: M) -> Out {
        Out::new(true, Code::Ok, Severity::Info, message)
    }
    pub fn refuse<M: Into<Cow<'static, str>>>(code: Code, message: M) -> Out {
        Out::new(false, code, Severity::Warning, message)
    }
    pub fn d(mut self, k: &'static str, v: DVal) -> Out {
        self.set(k, v);
        self
    }
    pub fn ds(self, k: &'static str, v: &str) -> Out {
        self.d(k, DVal::S(v.to_string()))
    }
    pub fn set(&mut self, k: &'static str, v: DVal) {
        if let Some(e) = self.details.iter_mut().find(|e| e.0 == k) {
            e.1 = v;
        } else {
            self.details.push((k, v));
        }
    }
    pub fn get(&self, k: &str) -> Option<&DVal> {
        self.details.iter().find(|e| e.0 == k).map(|e| &e.1)
    }
}

impl OrderState {
    /// The fee this order has booked: the largest of its three fee views (Σ incremental fill
    /// fees, largest cumulative fill fee, Σ FILL_SETTLED fees), see {@link order_fee}.
    pub fn booked_fee(&self) -> Decimal {
        order_fee(order_fee(self.fee_booked, self.fee_cumulative), self.settled_fee)
    }
}

/// The fee booked for one order: whichever source (its fills' fees, its FILL_SETTLED fees) is
/// larger in magnitude; a tie keeps the fills' figure. Both sources report the same exchange fee
/// when both arrive, so taking the more complete one books each fee once and never ignores one
/// that only the settlement carries (docs/accounting.md §3.1 "fees never ignored", §5.2, A7, E18).
pub fn order_fee(fill_fees: Decimal, settled_fees: Decimal) -> Decimal {
    if settled_fees.abs() > fill_fees.abs() {
        settled_fees
    } else {
        fill_fees
    }
}

/// The kernel's slots with a record of which ones a call wrote to. Reading goes through `Deref`
/// (a slice); every mutable access (`IndexMut`, `iter_mut`, `replace_all`) marks the slot(s)
/// written, so the set a call reports (`Outcome.changedSlots`) can never miss a changed slot
/// (it may list a slot that was written with equal values). At most 64 slots (KernelConfig).
#[derive(Debug, Clone, Default)]
pub struct Slots {
    v: Vec<SlotState>,
    written: u64,
    /// `trade_hash[i]` = `trade_id_hash_ci` of slot i's trade id, valid unless bit i of
    /// `hash_stale` is set (every mutable access sets it, like `written`): the trade-id check of
    /// an ENTER compares these instead of reading every slot's id (issue 11 per-call profile).
    trade_hash: Vec<u64>,
    hash_stale: u64,
}

/// FNV-1a 64 of the ASCII-lower-cased bytes of `id`: equal for ids equal ignoring ASCII case
/// (`str::eq_ignore_ascii_case`), so a different hash proves different ids. Not persisted.
pub fn trade_id_hash_ci(id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= b.to_ascii_lowercase() as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl Slots {
    pub fn new(v: Vec<SlotState>) -> Slots {
        Slots { v, written: 0, trade_hash: Vec::new(), hash_stale: u64::MAX }
    }
    /// Mutable iteration: marks every slot written.
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, SlotState> {
        self.written = u64::MAX;
        self.hash_stale = u64::MAX;
        self.v.iter_mut()
    }
    /// Replace every slot (restore): marks every slot written.
    pub fn replace_all(&mut self, v: Vec<SlotState>) {
        self.written = u64::MAX;
        self.hash_stale = u64::MAX;
        self.v = v;
    }
    /// True when a slot holds trade `trade_id` (a non-empty trade id equal ignoring ASCII case:
    /// E7 unique trade ids). Same answer as scanning every slot's id; reads only the ids whose
    /// cached hash matches. Does not mark any slot written.
    pub fn holds_trade_id(&mut self, trade_id: &str) -> bool {
        if self.trade_hash.len() != self.v.len() {
            self.trade_hash = vec![0; self.v.len()];
            self.hash_stale = u64::MAX;
        }
        let mut stale = self.hash_stale;
        while stale != 0 {
            let i = stale.trailing_zeros() as usize;
            stale &= stale - 1;
            if i < self.v.len() {
                self.trade_hash[i] = trade_id_hash_ci(&self.v[i].trade_id);
            }
        }
        self.hash_stale = 0;
        let h = trade_id_hash_ci(trade_id);
        self.trade_hash.iter().zip(self.v.iter()).any(|(th, s)| *th == h && !s.trade_id.is_empty() && s.trade_id.eq_ignore_ascii_case(trade_id))
    }
    /// Bit i set = slot i was written since the last call; clears the record.
    pub fn take_written(&mut self) -> u64 {
        let n = self.v.len();
        let mask = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
        std::mem::replace(&mut self.written, 0) & mask
    }
    /// The slots as a plain vector (read-only).
    pub fn as_vec(&self) -> &Vec<SlotState> {
        &self.v
    }
}

impl std::ops::Deref for Slots {
    type Target = [SlotState];
    fn deref(&self) -> &[SlotState] {
        &self.v
    }
}

impl std::ops::Index<usize> for Slots {
    type Output = SlotState;
    fn index(&self, i: usize) -> &SlotState {
        &self.v[i]
    }
}

impl std::ops::IndexMut<usize> for Slots {
    fn index_mut(&mut self, i: usize) -> &mut SlotState {
        if i < 64 {
            self.written |= 1u64 << i;
            self.hash_stale |= 1u64 << i;
        }
        &mut self.v[i]
    }
}

impl<'a> IntoIterator for &'a Slots {
    type Item = &'a SlotState;
    type IntoIter = std::slice::Iter<'a, SlotState>;
    fn into_iter(self) -> Self::IntoIter {
        self.v.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Slots::holds_trade_id` (cached per-slot hashes) answers as the scan it replaced (E7:
    /// trade ids unique ignoring ASCII case), after writes through IndexMut, iter_mut and
    /// replace_all, with empty ids never matching.
    #[test]
    fn holds_trade_id_matches_the_slot_scan_e7() {
        let scan = |sl: &Slots, id: &str| sl.iter().any(|s| !s.trade_id.is_empty() && s.trade_id.eq_ignore_ascii_case(id));
        let mut sl = Slots::new((0..8).map(SlotState::empty).collect());
        let queries = ["t1", "T1", "t2", "bt10", "BT10", "bt11", "x", ""];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for step in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let id = queries[(x % 8) as usize];
            match step % 7 {
                0 => sl.iter_mut().for_each(|s| if s.trade_id.len() > 2 { s.trade_id.clear() }),
                1 if step % 5 == 0 => sl.replace_all((0..8).map(SlotState::empty).collect()),
                _ => sl[((x >> 8) % 8) as usize].trade_id = id.to_string(),
            }
            for q in queries.iter() {
                assert_eq!(sl.holds_trade_id(q), scan(&sl, q), "step {} query {:?}", step, q);
            }
        }
    }

    /// Sequential numeric ids (the shape of venue order ids and event ids) get distinct 64-bit
    /// `id_hash` values: the id logs (kernel/id_log.rs) and `SeenIndex` treat an equal hash as a
    /// collision to confirm by comparing ids, so colliding sequential ids made every lookup slow.
    #[test]
    fn fast_hash_separates_sequential_ids() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..300_000u64 {
            for id in [format!("{}", 1_900_000_000_000_000_000u64 + i), format!("e{}", i), format!("i-b{}s{}-x1", i / 10, i % 10)] {
                assert!(seen.insert(id_hash(&id)), "hash collision at {}", id);
            }
        }
        assert_ne!(id_hash("1900000000000009600"), id_hash("1900000000000001900"));
    }
}
