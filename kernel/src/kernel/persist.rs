//! Save / restore / state digest: the persisted layout, its validation on restore. Part of `Kernel` (kernel.rs); moved out of the one-file kernel (issue 11).

use super::*;

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
    /// The one-way netting mirror (docs/accounting.md §One-way netting), sorted by symbol.
    pub netting: Vec<NetPosition>,
}

/// Borrowed form of `SavedState` (same JSON): saves and digests without cloning the state.
pub(super) struct SavedStateRef<'a> {
    format: &'static str,
    slot_count: usize,
    slots: std::borrow::Cow<'a, [SlotState]>,
    archive: &'a Archive,
    ledger: &'a LedgerState,
    anomalies: &'a Vec<AnomalyState>,
    account_seen: Kept<'a>,
    intent_seen: Kept<'a>,
    retired_venue_order_ids: Kept<'a>,
    parked: &'a Vec<Parked>,
    /// Ascending (hash_store.rs): a saved state does not depend on the eviction order.
    evicted_trade_hashes: Vec<u64>,
    netting: &'a Vec<NetPosition>,
}

/// Write the saved-state JSON of `v` with `source_hash` into `w`: the bytes serde_json writes for
/// the equal `SavedState` (same field order, compact), composed field by field so the archive can
/// come from its cached trade texts (archive.rs; `fill_cache`: keep the texts formatted now).
/// Unit test `state_text_matches_serde_of_saved_state` holds the bytes to serde's. Errors:
/// serde_json's or `w`'s, as text.
fn write_state_json<W: std::io::Write>(w: &mut W, source_hash: &str, v: &SavedStateRef<'_>, fill_cache: bool) -> Result<(), String> {
    fn put<W: std::io::Write>(w: &mut W, b: &[u8]) -> Result<(), String> {
        w.write_all(b).map_err(|e| e.to_string())
    }
    fn val<W: std::io::Write, T: serde::Serialize + ?Sized>(w: &mut W, key: &[u8], t: &T) -> Result<(), String> {
        put(w, key)?;
        serde_json::to_writer(&mut *w, t).map_err(|e| e.to_string())
    }
    val(w, b"{\"format\":", v.format)?;
    val(w, b",\"sourceHash\":", source_hash)?;
    val(w, b",\"slotCount\":", &v.slot_count)?;
    val(w, b",\"slots\":", &v.slots)?;
    put(w, b",\"archive\":")?;
    v.archive.write_json(w, fill_cache)?;
    val(w, b",\"ledger\":", v.ledger)?;
    val(w, b",\"anomalies\":", v.anomalies)?;
    val(w, b",\"accountSeen\":", &v.account_seen)?;
    val(w, b",\"intentSeen\":", &v.intent_seen)?;
    val(w, b",\"retiredVenueOrderIds\":", &v.retired_venue_order_ids)?;
    val(w, b",\"parked\":", v.parked)?;
    val(w, b",\"evictedTradeHashes\":", &v.evicted_trade_hashes)?;
    val(w, b",\"netting\":", v.netting)?;
    put(w, b"}")
}

/// An id log serialised as its saved list (`IdLog::kept`: list order, live ids only).
pub(super) struct Kept<'a>(&'a IdLog);

impl<'a> serde::Serialize for Kept<'a> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_seq(self.0.kept())
    }
}

/// Key of the state digest's SipHash-2-4-128: the 16 bytes 0x00..0x0f, the key of the reference
/// implementation's test vectors (veorq/SipHash `vectors.h`), so the function can be checked
/// against them (unit test `digest_hash_is_reference_siphash_2_4_128`). The digest detects change,
/// not tampering: the key need not be secret.
const DIGEST_KEY: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// Bytes the state text is gathered in before it is hashed: serde writes the text in pieces of a
/// few bytes (quotes, separators, keys), and SipHash compresses 8-byte words.
const DIGEST_CHUNK_BYTES: usize = 4096;

/// io::Write sink of the state digest: SipHash-2-4 with 128-bit output (siphasher crate) over the
/// bytes written, in order. Written through `digest_writer`, read by `digest_hex`.
struct DigestSink(siphasher::sip128::SipHasher24);

/// The state digest's writer: a DigestSink under DIGEST_KEY behind a DIGEST_CHUNK_BYTES buffer.
fn digest_writer() -> std::io::BufWriter<DigestSink> {
    std::io::BufWriter::with_capacity(DIGEST_CHUNK_BYTES, DigestSink(siphasher::sip128::SipHasher24::new_with_key(&DIGEST_KEY)))
}

/// The digest of everything written to `w`: the 16 output bytes (SipHash's two 64-bit halves,
/// each little-endian, as the reference implementation writes them) as 32 lowercase hex digits.
/// Errors: the buffer's last flush into the sink, as text (the sink itself never fails).
fn digest_hex(w: std::io::BufWriter<DigestSink>) -> Result<String, String> {
    use siphasher::sip128::Hasher128;
    let sink = w.into_inner().map_err(|e| e.error().to_string())?;
    Ok(format!("{:032x}", u128::from_be_bytes(sink.0.finish128().as_bytes())))
}

impl std::io::Write for DigestSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::hash::Hasher::write(&mut self.0, buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Kernel {
    /// The saved state as borrowed views (what `save` serialises and `state_digest` hashes).
    pub(super) fn saved_view(&self) -> SavedStateRef<'_> {
        let slots = mutants::saved_exit_legs(mutants::saved_slots(&self.slots));
        SavedStateRef {
            format: STATE_FORMAT,
            slot_count: self.slots.len(),
            slots,
            archive: &self.archive,
            ledger: &self.ledger,
            anomalies: &self.anomalies,
            // Only what the lookup sets still hold (evicted ids may linger in the ordered lists
            // until the next compaction).
            account_seen: Kept(&self.account_seen),
            intent_seen: Kept(&self.intent_seen),
            retired_venue_order_ids: Kept(&self.retired_vids),
            parked: &self.parked,
            evicted_trade_hashes: self.evicted_trade_hashes.to_sorted_vec(),
            netting: &self.netting,
        }
    }

    pub fn save(&self, source_hash: &str) -> Result<String, String> {
        let mut out: Vec<u8> = Vec::new();
        write_state_json(&mut out, source_hash, &self.saved_view(), false)?;
        String::from_utf8(out).map_err(|e| e.to_string())
    }

    /// State digest (kernel/README.md "State digest"): SipHash-2-4 with 128-bit output, key
    /// 0x00..0x0f (DIGEST_KEY), over the saveState JSON text with `sourceHash` set to "" (so the
    /// digest depends on the state only, not on the build), as the 16 output bytes in 32
    /// lowercase hex digits. Streamed: the state text is never materialised (it is gathered in
    /// DIGEST_CHUNK_BYTES pieces), and archived trades are hashed from their cached texts
    /// (archive.rs; issue 12: most of the digest was serde formatting of archived trades, which
    /// rarely change). Two kernels have equal digests iff their saveState texts (minus
    /// sourceHash) are equal, up to 128-bit hash collisions. Used by the idempotency probes
    /// instead of exporting the state twice. Errors: "error: …" text when serialising fails
    /// (the binding's checkedDigest throws on it).
    pub fn state_digest(&self) -> String {
        let mut w = digest_writer();
        match write_state_json(&mut w, "", &self.saved_view(), true).and_then(|()| digest_hex(w)) {
            Ok(hex) => hex,
            Err(e) => format!("error: {}", e),
        }
    }

    /// Restore a saved state after validating every slot image (Flaw 11, G8, J7, G14). Slots with
    /// an order in flight go to STALE_STATE_RECONCILING (resumeStage remembered) until reconcile.
    /// Policy (issue 11, kernel/README.md "Saved state"): `format` must be this kernel's
    /// STATE_FORMAT and `sourceHash` must equal `source_hash` (the restoring kernel's own source
    /// hash): a state saved by a different kernel build is refused with INVALID_STATE naming
    /// `sourceHash`; after an upgrade the slots are rebuilt by reconcile from venue truth.
    pub fn restore(&mut self, json: &str, source_hash: &str) -> Out {
        // The format first, so a state of an older format is refused naming `format` (not as a
        // parse error about the fields that format lacks).
        #[derive(serde::Deserialize)]
        struct FormatOnly {
            format: String,
        }
        if let Ok(f) = serde_json::from_str::<FormatOnly>(json) {
            if f.format != STATE_FORMAT {
                return invalid(Code::InvalidState, "format", &f.format, format!("expected {} (older formats lack the one-way netting mirror, docs/accounting.md §One-way netting; rebuild the slots by reconcile from venue truth)", STATE_FORMAT));
            }
        }
        let st: SavedState = match serde_json::from_str(json) {
            Ok(s) => s,
            Err(e) => return Out::refuse(Code::InvalidState, format!("saved state does not parse: {}", e)).ds("field", "state"),
        };
        if let Err(o) = self.validate_saved(&st, source_hash) {
            return o;
        }
        self.install_saved(st)
    }

    /// Every check of a parsed saved state before anything is replaced: format and source hash,
    /// slot count, each slot image (validate_slot) and unique trade ids across slots and archive
    /// (J7), the archive within capacity and holding closed trades only, a non-negative ledger,
    /// unique account event ids, the netting mirror. Err: the INVALID_STATE outcome naming the field.
    fn validate_saved(&self, st: &SavedState, source_hash: &str) -> Result<(), Out> {
        if st.format != STATE_FORMAT {
            return Err(invalid(Code::InvalidState, "format", &st.format, format!("expected {}", STATE_FORMAT)));
        }
        if st.source_hash != source_hash {
            return Err(invalid(Code::InvalidState, "sourceHash", &st.source_hash, format!("saved by another kernel build; this kernel is {} (state is only restored by the build that saved it)", source_hash)));
        }
        if st.slot_count != self.slots.len() || st.slots.len() != self.slots.len() {
            return Err(invalid(Code::InvalidState, "slots", &st.slots.len().to_string(), format!("this kernel has {} slots", self.slots.len())));
        }
        let mut ids: HashSet<String> = HashSet::new();
        let slot_images = mutants::slots_to_validate(&st.slots);
        for (i, s) in slot_images.iter().enumerate() {
            if let Err((f, v, r)) = self.validate_slot(s, i) {
                return Err(invalid(Code::InvalidState, format!("slots[{}].{}", i, f), &v, &r));
            }
            if !s.trade_id.is_empty() && !ids.insert(s.trade_id.to_ascii_lowercase()) {
                return Err(invalid(Code::InvalidState, format!("slots[{}].tradeId", i), &s.trade_id, "duplicate trade id (J7)"));
            }
        }
        if st.archive.len() > self.cfg.archive_capacity {
            return Err(invalid(Code::InvalidState, "archive", &st.archive.len().to_string(), format!("more closed trades than this kernel's archiveCapacity {}", self.cfg.archive_capacity)));
        }
        for (i, s) in st.archive.iter().enumerate() {
            if s.trade_id.is_empty() || !ids.insert(s.trade_id.to_ascii_lowercase()) {
                return Err(invalid(Code::InvalidState, format!("archive[{}].tradeId", i), &s.trade_id, "empty or duplicate trade id (J7)"));
            }
            if s.has_live_order() || s.size != Decimal::ZERO && s.stage == Stage::Closed {
                return Err(invalid(Code::InvalidState, format!("archive[{}]", i), &s.trade_id, "archived trade with live orders or size"));
            }
        }
        let l = &st.ledger;
        for (f, v) in [("ledger.capital", l.capital), ("ledger.peakCapital", l.peak_capital)] {
            if v < Decimal::ZERO {
                return Err(invalid(Code::InvalidState, f, &dec::fmt(v), "must not be negative"));
            }
        }
        let mut acc: FastSet = FastSet::default();
        for id in &st.account_seen {
            if !acc.insert(id.clone()) {
                return Err(invalid(Code::InvalidState, "accountSeen", id, "duplicate id"));
            }
        }
        if let Err((f, v, r)) = self.validate_netting(&st.netting) {
            return Err(invalid(Code::InvalidState, f, &v, &r));
        }
        Ok(())
    }

    /// Replace the kernel's state by a validated saved state: slots, archive and its index,
    /// evicted-trade hashes, ledger, anomalies, the id logs, parked events, the netting mirror.
    /// A slot with an order in flight goes to STALE_STATE_RECONCILING (its stage remembered as the
    /// resume stage) until reconcile; `staleSlots` counts them. The restored ledger keeps its saved
    /// eventSeq (it is its own "before" for `finish`).
    fn install_saved(&mut self, st: SavedState) -> Out {
        let mut out = Out::ok("state restored");
        self.slots.replace_all(st.slots);
        self.archive = Archive::from_items(st.archive);
        self.archive_base = 0;
        self.archive_index = self.archive.iter().enumerate().map(|(i, s)| (s.trade_id.to_ascii_lowercase(), i)).collect();
        self.evicted_trade_hashes = crate::hash_store::HashStore::from_hashes(st.evicted_trade_hashes);
        self.ledger = st.ledger;
        self.anomalies = st.anomalies;
        self.account_seen = IdLog::from_saved(&st.account_seen);
        self.intent_seen = IdLog::from_saved(&st.intent_seen);
        self.retired_vids = IdLog::from_saved(&st.retired_venue_order_ids);
        self.parked = st.parked;
        self.netting = st.netting;
        let mut stale = 0;
        for si in 0..self.slots.len() {
            self.slots[si].rebuild_seen();
            mutants::after_restore(&mut self.slots[si]);
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
        self.archive.for_each_mut(|a| a.rebuild_seen());
        out.set("staleSlots", DVal::N(stale));
        if let Err(e) = self.recompute_unrealized() {
            return internal(e);
        }
        self.finish(&self.ledger.clone(), out)
    }

    /// Checks one saved slot image (restore, G14, Flaw 11): its numbers, its working orders, its
    /// stage (or resume stage), the trade fields a non-IDLE slot needs and the shape its stage
    /// requires. The first failing check is returned as (field, value, reason); the order of the
    /// checks is the order of the sections below.
    pub(super) fn validate_slot(&self, s: &SlotState, i: usize) -> Result<(), SlotFault> {
        check_slot_numbers(s, i)?;
        let (live_entry, live_exit) = live_order_counts(s);
        if live_entry > 1 || live_exit > 1 {
            return fault("orders", s.orders.len().to_string(), &"more than one working order per purpose");
        }
        let stage = effective_stage(s)?;
        if stage != Stage::Idle || !s.trade_id.is_empty() {
            self.check_trade_fields(s)?;
        }
        check_stage_shape(s, stage, live_entry, live_exit)
    }

    /// A non-IDLE slot's trade: id, configured symbol, side, leverage and exit-leg ratios.
    fn check_trade_fields(&self, s: &SlotState) -> Result<(), SlotFault> {
        if s.trade_id.is_empty() || s.trade_id.len() > 24 || !s.trade_id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-') {
            return fault("tradeId", s.trade_id.clone(), &"a non-IDLE slot needs a trade id [A-Za-z0-9_-]{1,24}");
        }
        if self.instrument(&s.symbol).is_none() {
            return fault("symbol", s.symbol.clone(), &"not a configured instrument");
        }
        if s.side.is_none() {
            return fault("side", "(missing)".into(), &"a trade needs a side");
        }
        if s.leverage < 1 || s.leverage > self.cfg.max_leverage {
            return fault("leverage", s.leverage.to_string(), &"out of range");
        }
        check_exit_leg_ratios(&s.exit_leg_ratios)
    }
}

/// A restore-time fault in a slot image: (field, value, reason).
pub(super) type SlotFault = (String, String, String);

fn fault<T>(field: &str, value: String, reason: &dyn AsRef<str>) -> Result<T, SlotFault> {
    Err((field.to_string(), value, reason.as_ref().to_string()))
}

/// The slot id matches its position; sizes, prices and notional are not negative; the size does
/// not exceed the initial size; no event id is seen twice.
fn check_slot_numbers(s: &SlotState, i: usize) -> Result<(), SlotFault> {
    if s.slot_id != i {
        return fault("slotId", s.slot_id.to_string(), &format!("does not match its position {} (G14)", i));
    }
    for (f, v) in [("sizeQty", s.size), ("initialSizeQty", s.initial_size), ("targetQty", s.target_qty), ("entryPrice", s.entry_price), ("markPrice", s.mark_price), ("entryNotionalUsdt", s.entry_notional)] {
        if v < Decimal::ZERO {
            return fault(f, dec::fmt(v), &"must not be negative");
        }
    }
    if s.size > s.initial_size {
        return fault("sizeQty", dec::fmt(s.size), &"exceeds initialSizeQty");
    }
    let mut seen: HashSet<&str> = HashSet::new();
    for id in &s.seen_event_ids {
        if !seen.insert(id.as_str()) {
            return fault("seenEventIds", id.clone(), &"duplicate event id");
        }
    }
    Ok(())
}

/// (working entry orders, working exit orders) of the slot.
fn live_order_counts(s: &SlotState) -> (usize, usize) {
    let live_entry = s.orders.iter().filter(|o| o.live && o.purpose == Purpose::Entry).count();
    let live_exit = s.orders.iter().filter(|o| o.live && o.purpose == Purpose::Exit).count();
    (live_entry, live_exit)
}

/// The stage the slot's shape is judged by: its resume stage when STALE_STATE_RECONCILING (which
/// must have one), else its stage (which must then have none).
fn effective_stage(s: &SlotState) -> Result<Stage, SlotFault> {
    if s.stage == Stage::StaleStateReconciling {
        return match s.resume_stage {
            Some(r) if r != Stage::StaleStateReconciling => Ok(r),
            _ => fault("resumeStage", format!("{:?}", s.resume_stage), &"STALE_STATE_RECONCILING needs a resume stage"),
        };
    }
    if s.resume_stage.is_some() {
        return fault("resumeStage", format!("{:?}", s.resume_stage), &"only a STALE_STATE_RECONCILING slot has a resume stage");
    }
    Ok(s.stage)
}

/// Each ratio in (0, 1], and the ratios sum to exactly 1.
fn check_exit_leg_ratios(ratios: &[Decimal]) -> Result<(), SlotFault> {
    let mut sum = Decimal::ZERO;
    for r in ratios {
        if *r <= Decimal::ZERO || *r > Decimal::ONE {
            return fault("exitLegRatios", dec::fmt(*r), &"ratio must be in (0,1]");
        }
        sum = match dec::add(sum, *r) {
            Ok(x) => x,
            Err(_) => return fault("exitLegRatios", dec::fmt(*r), &"ratio sum overflows"),
        };
    }
    if sum != Decimal::ONE {
        return fault("exitLegRatios", dec::fmt(sum), &"ratios must sum to 1");
    }
    Ok(())
}

/// What the (effective) stage requires of the size and the working orders.
fn check_stage_shape(s: &SlotState, stage: Stage, live_entry: usize, live_exit: usize) -> Result<(), SlotFault> {
    let zero = s.size.is_zero();
    let working = live_entry + live_exit > 0;
    match stage {
        Stage::Idle if !zero => fault("sizeQty", dec::fmt(s.size), &"IDLE with a non-zero size"),
        Stage::Idle if working => fault("orders", "working".into(), &"IDLE with a working order"),
        Stage::OrderRequested | Stage::EntryWorking if live_entry != 1 || live_exit != 0 => {
            fault("entryOrder", "(missing)".into(), &format!("{} needs exactly one working entry order", stage.name()))
        }
        Stage::PositionOpen if zero => fault("sizeQty", "0".into(), &"POSITION_OPEN with size 0"),
        Stage::PositionOpen if working => fault("orders", "working".into(), &"POSITION_OPEN with a working order"),
        Stage::ExitRequested | Stage::ExitWorking if zero => fault("sizeQty", "0".into(), &format!("{} with size 0", stage.name())),
        Stage::ExitRequested | Stage::ExitWorking if live_exit != 1 || live_entry != 0 => {
            fault("exitOrder", "(missing)".into(), &format!("{} needs exactly one working exit order", stage.name()))
        }
        Stage::Closed if !zero => fault("sizeQty", dec::fmt(s.size), &"CLOSED with a non-zero size"),
        Stage::Closed if working => fault("orders", "working".into(), &"CLOSED with a working order"),
        Stage::Closed if s.initial_size.is_zero() => fault("initialSizeQty", "0".into(), &"CLOSED trade never had a position"),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::{digest_hex, digest_writer, SavedState, DIGEST_CHUNK_BYTES, DIGEST_KEY};
    use std::io::Write;

    /// veorq/SipHash `vectors.h`, `vectors_sip128` (the designers' reference implementation):
    /// SipHash-2-4 with 128-bit output, key 0x00..0x0f, message 0x00..(n-1) for n = 0..63, as
    /// the 16 output bytes in hex.
    const VECTORS_SIP128: [&str; 64] = [
        "a3817f04ba25a8e66df67214c7550293", "da87c1d86b99af44347659119b22fc45", "8177228da4a45dc7fca38bdef60affe4", "9c70b60c5267a94e5f33b6b02985ed51",
        "f88164c12d9c8faf7d0f6e7c7bcd5579", "1368875980776f8854527a07690e9627", "14eeca338b208613485ea0308fd7a15e", "a1f1ebbed8dbc153c0b84aa61ff08239",
        "3b62a9ba6258f5610f83e264f31497b4", "264499060ad9baabc47f8b02bb6d71ed", "00110dc378146956c95447d3f3d0fbba", "0151c568386b6677a2b4dc6f81e5dc18",
        "d626b266905ef35882634df68532c125", "9869e247e9c08b10d029934fc4b952f7", "31fcefac66d7de9c7ec7485fe4494902", "5493e99933b0a8117e08ec0f97cfc3d9",
        "6ee2a4ca67b054bbfd3315bf85230577", "473d06e8738db89854c066c47ae47740", "a426e5e423bf4885294da481feaef723", "78017731cf65fab074d5208952512eb1",
        "9e25fc833f2290733e9344a5e83839eb", "568e495abe525a218a2214cd3e071d12", "4a29b54552d16b9a469c10528eff0aae", "c9d184ddd5a9f5e0cf8ce29a9abf691c",
        "2db479ae78bd50d8882a8a178a6132ad", "8ece5f042d5e447b5051b9eacb8d8f6f", "9c0b53b4b3c307e87eaee08678141f66", "abf248af69a6eae4bfd3eb2f129eeb94",
        "0664da1668574b88b935f3027358aef4", "aa4b9dc4bf337de90cd4fd3c467c6ab7", "ea5c7f471faf6bde2b1ad7d4686d2287", "2939b0183223fafc1723de4f52c43d35",
        "7c3956ca5eeafc3e363e9d556546eb68", "77c6077146f01c32b6b69d5f4ea9ffcf", "37a6986cb8847edf0925f0f1309b54de", "a705f0e69da9a8f907241a2e923c8cc8",
        "3dc47d1f29c448461e9e76ed904f6711", "0d62bf01e6fc0e1a0d3c4751c5d3692b", "8c03468bca7c669ee4fd5e084bbee7b5", "528a5bb93baf2c9c4473cce5d0d22bd9",
        "df6a301e95c95dad97ae0cc8c6913bd8", "801189902c857f39e73591285e70b6db", "e617346ac9c231bb3650ae34ccca0c5b", "27d93437efb721aa401821dcec5adf89",
        "89237d9ded9c5e78d8b1c9b166cc7342", "4a6d8091bf5e7d651189fa94a250b14c", "0e33f96055e7ae893ffc0e3dcf492902", "e61c432b720b19d18ec8d84bdc63151b",
        "f7e5aef549f782cf379055a608269b16", "438d030fd0b7a54fa837f2ad201a6403", "a590d3ee4fbf04e3247e0d27f286423f", "5fe2c1a172fe93c4b15cd37caef9f538",
        "2c97325cbd06b36eb2133dd08b3a017c", "92c814227a6bca949ff0659f002ad39e", "dce850110bd8328cfbd50841d6911d87", "67f14984c7da791248e32bb5922583da",
        "1938f2cf72d54ee97e94166fa91d2a36", "74481e9646ed49fe0f6224301604698e", "57fca5de98a9d6d8006438d0583d8a1d", "9fecde1cefdc1cbed4763674d9575359",
        "e3040c00eb28f15366ca73cbd872e740", "7697009a6a831dfecca91c5993670f7a", "5853542321f567a005d547a4f04759bd", "5150d1772f50834a503e069a973fbd7c",
    ];

    /// `bytes` written through the digest's writer (state_digest's) in pieces of `piece` bytes.
    fn digest_of(bytes: &[u8], piece: usize) -> String {
        let mut w = digest_writer();
        for p in bytes.chunks(piece.max(1)) {
            w.write_all(p).unwrap();
        }
        digest_hex(w).unwrap()
    }

    /// The digest's hash is SipHash-2-4-128 under the reference key, whatever pieces the text
    /// arrives in: every reference vector, written whole, byte by byte and in 3-byte pieces.
    #[test]
    fn digest_hash_is_reference_siphash_2_4_128() {
        assert_eq!(DIGEST_KEY.to_vec(), (0u8..16).collect::<Vec<u8>>());
        let msg: Vec<u8> = (0u8..64).collect();
        for (n, want) in VECTORS_SIP128.iter().enumerate() {
            for piece in [64, 1, 3] {
                assert_eq!(digest_of(&msg[..n], piece), *want, "length {} in pieces of {}", n, piece);
            }
        }
    }

    /// A long text through the buffer in pieces that straddle its chunk boundary gives the
    /// one-shot hash of the whole text (the buffer changes how, never what, is hashed).
    #[test]
    fn digest_of_a_long_text_does_not_depend_on_its_pieces() {
        let mut bytes: Vec<u8> = (0..=255u8).collect();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            bytes.push(x as u8);
        }
        let whole = reference(&bytes);
        for piece in [1usize, 7, DIGEST_CHUNK_BYTES - 1, DIGEST_CHUNK_BYTES, DIGEST_CHUNK_BYTES + 1, 10_000, bytes.len()] {
            assert_eq!(digest_of(&bytes, piece), whole, "pieces of {}", piece);
        }
    }

    /// The definition, one shot: SipHash-2-4-128 (siphasher) of `bytes` under DIGEST_KEY, in hex.
    fn reference(bytes: &[u8]) -> String {
        use siphasher::sip128::{Hasher128, SipHasher24};
        use std::hash::Hasher;
        let mut h = SipHasher24::new_with_key(&DIGEST_KEY);
        h.write(bytes);
        h.finish128().as_bytes().iter().map(|b| format!("{:02x}", b)).collect()
    }

    /// The bench stream (stream.rs) into a kernel with a small archive, in chunks of records.
    fn stream_chunks(records: usize) -> Vec<Vec<u8>> {
        let buf = crate::stream::bench_stream(records, 7, 4);
        let (mut out, mut start, mut off) = (Vec::new(), 0usize, 0usize);
        while off + 4 <= buf.len() {
            let len = u32::from_le_bytes([buf[off], buf[off + 1], buf[off + 2], buf[off + 3]]) as usize;
            assert!(len > 0 && off + len <= buf.len());
            off += len;
            if off - start >= 2048 {
                out.push(buf[start..off].to_vec());
                start = off;
            }
        }
        out.push(buf[start..off].to_vec());
        out
    }

    fn reference_digest(k: &crate::kernel::Kernel) -> String {
        reference(k.save("").unwrap().as_bytes())
    }

    /// The composed saved-state text (write_state_json, cached archive texts) is byte for byte
    /// what serde_json writes for the same `SavedState`, and the digest is SipHash-2-4-128 of the
    /// saveState text with sourceHash "" (kernel/README.md "State digest"), while the archive
    /// grows, evicts (archiveCapacity 6) and has cached texts from earlier digests.
    #[test]
    fn state_text_matches_serde_of_saved_state_and_digest_matches_its_siphash() {
        let cfg = crate::stream::bench_config(4).replace("\"defaultExitLegRatios\"", "\"archiveCapacity\":6,\"defaultExitLegRatios\"");
        let mut api = crate::api::Api::create(&cfg).unwrap();
        let mut evicted_seen = false;
        for c in stream_chunks(6000) {
            crate::batch::process_batch(&mut api.kernel, &c);
            let k = &api.kernel;
            let text = k.save("h").unwrap();
            let parsed: SavedState = serde_json::from_str(&text).unwrap();
            assert_eq!(serde_json::to_string(&parsed).unwrap(), text);
            assert_eq!(k.state_digest(), reference_digest(k));
            assert_eq!(k.state_digest(), reference_digest(k), "second digest, from cached texts");
            evicted_seen |= k.ledger.evicted_trades > 0;
        }
        assert!(evicted_seen && api.kernel.archive.len() == 6 && api.kernel.archive.cached_count() == 6);
    }

    /// A changed archived trade (Archive::set: re-pricing, settlement, reconcile) drops its cached
    /// text: the next digest hashes the new trade, not the cached old one.
    #[test]
    fn archive_set_drops_the_cached_text_of_the_changed_trade() {
        let mut api = crate::api::Api::create(&crate::stream::bench_config(4)).unwrap();
        for c in stream_chunks(3000) {
            crate::batch::process_batch(&mut api.kernel, &c);
        }
        let k = &mut api.kernel;
        assert!(k.archive.len() >= 3);
        let before = k.state_digest();
        let n = k.archive.len();
        assert_eq!(k.archive.cached_count(), n);
        let mut s = k.archive[1].clone();
        s.fees += rust_decimal::Decimal::new(1, 8);
        k.archive.set(1, s);
        assert_eq!(k.archive.cached_count(), n - 1);
        let after = k.state_digest();
        assert_ne!(after, before);
        assert_eq!(after, reference_digest(k));
        k.archive.for_each_mut(|a| a.rebuild_seen());
        assert_eq!(k.archive.cached_count(), 0);
        assert_eq!(k.state_digest(), after);
    }
}
