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

/// FNV-1a, 128-bit (offset basis 0x6c62272e07bb014262b821756295c58d, prime 2^88 + 2^8 + 0x3b),
/// as an io::Write sink for the state digest.
pub(super) struct Fnv128(u128);

impl Fnv128 {
    fn new() -> Fnv128 {
        Fnv128(0x6c62272e07bb014262b821756295c58d)
    }
}

impl std::io::Write for Fnv128 {
    /// h = (h ^ byte) × PRIME mod 2^128 per byte, computed on two 64-bit words: with PRIME =
    /// 2^88 + 0x13b, h × PRIME = h × 0x13b + (lo << 88), and h × 0x13b needs only 64-bit
    /// multiplies (the carry out of lo × 0x13b from its 32-bit halves). Same value as the u128
    /// product (unit test `fnv128_words_match_u128`), without wasm32's 128-bit multiply helper
    /// on every byte of the state text (the chaos idempotency probe digests it twice per probe).
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        const C: u64 = (1 << 8) + 0x3b;
        let (mut hi, mut lo) = ((self.0 >> 64) as u64, self.0 as u64);
        for b in buf {
            lo ^= *b as u64;
            let carry = ((lo >> 32) * C + (((lo & 0xffff_ffff) * C) >> 32)) >> 32;
            hi = hi.wrapping_mul(C).wrapping_add(carry).wrapping_add(lo << 24);
            lo = lo.wrapping_mul(C);
        }
        self.0 = ((hi as u128) << 64) | lo as u128;
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

    /// State digest (kernel/README.md "State digest"): FNV-1a 128 over the saveState JSON text
    /// with `sourceHash` set to "" (so the digest depends on the state only, not on the build),
    /// as 32 lowercase hex digits. Streamed: the state text is never materialised, and archived
    /// trades are hashed from their cached texts (archive.rs; issue 12: most of the digest was
    /// serde formatting of archived trades, which rarely change). Two kernels
    /// have equal digests iff their saveState texts (minus sourceHash) are equal, up to FNV-1a
    /// 128 collisions. Used by the idempotency probes instead of exporting the state twice.
    pub fn state_digest(&self) -> String {
        let mut h = Fnv128::new();
        if let Err(e) = write_state_json(&mut h, "", &self.saved_view(), true) {
            return format!("error: {}", e);
        }
        format!("{:032x}", h.0)
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
        if st.format != STATE_FORMAT {
            return invalid(Code::InvalidState, "format", &st.format, format!("expected {}", STATE_FORMAT));
        }
        if st.source_hash != source_hash {
            return invalid(Code::InvalidState, "sourceHash", &st.source_hash, format!("saved by another kernel build; this kernel is {} (state is only restored by the build that saved it)", source_hash));
        }
        if st.slot_count != self.slots.len() || st.slots.len() != self.slots.len() {
            return invalid(Code::InvalidState, "slots", &st.slots.len().to_string(), format!("this kernel has {} slots", self.slots.len()));
        }
        let mut ids: HashSet<String> = HashSet::new();
        let slot_images = mutants::slots_to_validate(&st.slots);
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
        let mut acc: FastSet = FastSet::default();
        for id in &st.account_seen {
            if !acc.insert(id.clone()) {
                return invalid(Code::InvalidState, "accountSeen", id, "duplicate id");
            }
        }
        if let Err((f, v, r)) = self.validate_netting(&st.netting) {
            return invalid(Code::InvalidState, f, &v, &r);
        }
        let before = self.ledger.clone();
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
        let before_seq = before.event_seq;
        let out = self.finish(&self.ledger.clone(), out);
        let _ = before_seq;
        out
    }

    pub(super) fn validate_slot(&self, s: &SlotState, i: usize) -> Result<(), (String, String, String)> {
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
}

#[cfg(test)]
mod tests {
    use super::{Fnv128, SavedState};
    use std::io::Write;

    /// The reference FNV-1a 128 step on a u128 (the documented definition).
    fn reference(bytes: &[u8]) -> u128 {
        const PRIME: u128 = (1u128 << 88) + (1u128 << 8) + 0x3b;
        let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
        for b in bytes {
            h ^= *b as u128;
            h = h.wrapping_mul(PRIME);
        }
        h
    }

    #[test]
    fn fnv128_words_match_u128() {
        // Published FNV-1a 128 vectors, then every byte value and a long pseudo-random text.
        let mut h = Fnv128::new();
        h.write_all(b"").unwrap();
        assert_eq!(h.0, 0x6c62272e07bb014262b821756295c58d);
        let mut h = Fnv128::new();
        h.write_all(b"a").unwrap();
        assert_eq!(h.0, 0xd228cb696f1a8caf78912b704e4a8964);
        let mut bytes: Vec<u8> = (0..=255u8).collect();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            bytes.push(x as u8);
        }
        for cut in [0usize, 1, 7, 256, 4097, bytes.len()] {
            let mut h = Fnv128::new();
            h.write_all(&bytes[..cut]).unwrap();
            h.write_all(&bytes[cut..]).unwrap();
            assert_eq!(h.0, reference(&bytes), "split at {}", cut);
        }
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
        format!("{:032x}", reference(k.save("").unwrap().as_bytes()))
    }

    /// The composed saved-state text (write_state_json, cached archive texts) is byte for byte
    /// what serde_json writes for the same `SavedState`, and the digest is FNV-1a 128 of the
    /// saveState text with sourceHash "" (kernel/README.md "State digest"), while the archive
    /// grows, evicts (archiveCapacity 6) and has cached texts from earlier digests.
    #[test]
    fn state_text_matches_serde_of_saved_state_and_digest_matches_its_fnv() {
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
