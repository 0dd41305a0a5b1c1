//! Batched binary hot path for venue events (README "Batch ABI"). Little-endian records:
//!
//! ```text
//! off size field
//!   0  u32  recordLen (bytes, header + strings/payload)
//!   4  u8   kind: 0 ORDER_ACK 1 PARTIAL_FILL 2 FULL_FILL 3 CANCEL_ACK 4 CANCEL_REJECT
//!             5 ORDER_REJECT 6 RATE_LIMITED | 16 = JSON intent (payload at 56) | 17 = JSON mark price
//!             | 18 / 19 / 20 = typed field record (typed.rs) of an intent / mark price / account event
//!   5  u8   flags: b0 hasQty b1 qtyCumulative b2 hasPrice b3 hasFee b4 feeCumulative
//!             b5 hasSlotHint b6 hasVenueCode b7 hasRetryAfter
//!   6  u8   eventIdLen   7 u8 symbolLen   8 u8 venueOrderIdLen (0 = absent)   9 u8 clientOrderIdLen
//!  10  u8   qtyScale  11 u8 priceScale  12 u8 feeScale  13 u8 slotHint  14 u16 reserved (0)
//!  16  i64  tsUs
//!  24  i64  qty mantissa    32 i64 price mantissa    40 i64 fee mantissa (value = m / 10^scale)
//!  48  i32  venueCode       52 u32 retryAfterMs
//!  56  ...  eventId, symbol, venueOrderId, clientOrderId (UTF-8, lengths above)
//! ```
//! Result buffer: u32 count, u32 ledgerSeq (low 32 bits), then per record 8 bytes:
//! u8 code (Code enum index), u8 accepted, u8 stageAfter (Stage code, 255 = none),
//! u8 flags (b0 routedByState, b1 overfill), i32 slotId (-1 = none).
//! A malformed record yields INVALID_EVENT for that record; a broken length stops the batch
//! (the count says how many records were processed).

use crate::dec::MAX_MAGNITUDE;
use crate::fields::check_id;
use crate::input::{self, VenueEvent, VenueKind};
use crate::kernel::Kernel;
use crate::model::{Code, DVal, Out};
use rust_decimal::Decimal;

pub const HEADER_LEN: usize = 56;
pub const KIND_INTENT_JSON: u8 = 16;
pub const KIND_MARK_JSON: u8 = 17;
/// Typed field records (typed.rs layout, payload at 56): intent, mark price, account event.
pub const KIND_INTENT_BIN: u8 = 18;
pub const KIND_MARK_BIN: u8 = 19;
pub const KIND_ACCOUNT_BIN: u8 = 20;

fn rd_u32(b: &[u8], o: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[o..o + 4]);
    u32::from_le_bytes(a)
}
fn rd_i32(b: &[u8], o: usize) -> i32 {
    rd_u32(b, o) as i32
}
fn rd_i64(b: &[u8], o: usize) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[o..o + 8]);
    i64::from_le_bytes(a)
}

fn dec_of(m: i64, scale: u8, what: &str) -> Result<Decimal, String> {
    if scale > 20 {
        return Err(format!("{} scale {} > 20", what, scale));
    }
    let d = Decimal::try_new(m, scale as u32).map_err(|e| format!("{}: {}", what, e))?;
    // |m| ≤ 1e15 implies |m / 10^scale| ≤ 1e15: the Decimal compare only for larger mantissas.
    if m.unsigned_abs() > MAX_MAGNITUDE as u64 && d.abs() > Decimal::new(MAX_MAGNITUDE, 0) {
        return Err(format!("{} absurd magnitude (> 1e15)", what));
    }
    Ok(d)
}


/// An empty event used as a reusable decode target.
pub fn empty_event() -> VenueEvent {
    VenueEvent {
        kind: VenueKind::OrderAck,
        event_id: String::new(),
        ts_us: 0,
        symbol: String::new(),
        venue_order_id: None,
        client_order_id: None,
        slot_hint: None,
        fill_qty: None,
        cumulative_qty: false,
        fill_price: None,
        fee: None,
        cumulative_fee: false,
        venue_code: None,
        reason: None,
        retry_after_ms: None,
    }
}

fn set_str(dst: &mut String, src: &str) {
    dst.clear();
    dst.push_str(src);
}

fn set_opt(dst: &mut Option<String>, src: Option<&str>) {
    match (dst.as_mut(), src) {
        (Some(d), Some(s)) => set_str(d, s),
        (None, Some(s)) => *dst = Some(s.to_string()),
        (_, None) => *dst = None,
    }
}

/// Decode one venue-event record into `ev`, reusing its string buffers (hot path: no allocation
/// once warm). On error `ev` is left in an unspecified but valid state.
pub fn decode_event_into(rec: &[u8], ev: &mut VenueEvent) -> Result<(), (String, String)> {
    let kind = VenueKind::from_code(rec[4]).ok_or_else(|| ("kind".to_string(), format!("unknown kind code {}", rec[4])))?;
    let flags = rec[5];
    let lens = [rec[6] as usize, rec[7] as usize, rec[8] as usize, rec[9] as usize];
    let strs = record_ids(rec, lens)?;
    let e = |f: &str, v: String| (f.to_string(), v);
    let ts_us = rd_i64(rec, 16);
    if !(0..=input::MAX_TS_US).contains(&ts_us) {
        return Err(e("tsUs", ts_us.to_string()));
    }
    let cumulative_qty = flags & 2 != 0;
    let fill_qty = if flags & 1 != 0 { Some(dec_of(rd_i64(rec, 24), rec[10], "fillQty").map_err(|x| e("fillQty", x))?) } else { None };
    check_fill_qty(kind, fill_qty, cumulative_qty)?;
    let fill_price = if flags & 4 != 0 { Some(dec_of(rd_i64(rec, 32), rec[11], "fillPrice").map_err(|x| e("fillPrice", x))?) } else { None };
    if let Some(p) = fill_price {
        if p < Decimal::ZERO {
            return Err(e("fillPrice", format!("{} must not be negative", p)));
        }
    }
    let fee = if flags & 8 != 0 { Some(dec_of(rd_i64(rec, 40), rec[12], "feeUsdt").map_err(|x| e("feeUsdt", x))?) } else { None };
    ev.kind = kind;
    set_str(&mut ev.event_id, strs[0]);
    ev.ts_us = ts_us;
    set_str(&mut ev.symbol, strs[1]);
    set_opt(&mut ev.venue_order_id, if lens[2] > 0 { Some(strs[2]) } else { None });
    set_opt(&mut ev.client_order_id, if lens[3] > 0 { Some(strs[3]) } else { None });
    ev.slot_hint = if flags & 32 != 0 { Some(rec[13] as i64) } else { None };
    ev.fill_qty = fill_qty;
    ev.cumulative_qty = cumulative_qty;
    ev.fill_price = fill_price;
    ev.fee = fee;
    ev.cumulative_fee = flags & 16 != 0;
    ev.venue_code = if flags & 64 != 0 { Some(rd_i32(rec, 48) as i64) } else { None };
    ev.reason = None;
    ev.retry_after_ms = if flags & 128 != 0 { Some(rd_u32(rec, 52) as i64) } else { None };
    Ok(())
}

/// The record's four strings (eventId, symbol, venueOrderId, clientOrderId; `lens` their byte
/// lengths, 0 = absent for the two order ids), each checked as UTF-8 and as an id (length and
/// alphabet, fields::check_id). Err((field, reason)).
fn record_ids(rec: &[u8], lens: [usize; 4]) -> Result<[&str; 4], (String, String)> {
    let total: usize = HEADER_LEN + lens.iter().sum::<usize>();
    if total > rec.len() {
        return Err(("recordLen".into(), format!("strings ({} bytes) overrun the record ({} bytes)", total, rec.len())));
    }
    let names = ["eventId", "symbol", "venueOrderId", "clientOrderId"];
    let mut strs: [&str; 4] = [""; 4];
    let mut off = HEADER_LEN;
    for i in 0..4 {
        let b = &rec[off..off + lens[i]];
        strs[i] = if crate::fields::is_id_bytes(b) {
            // SAFETY: id-alphabet bytes are printable ASCII, hence valid UTF-8 (hot path: skips
            // the general UTF-8 validation; anything else takes it and its diagnostic).
            unsafe { std::str::from_utf8_unchecked(b) }
        } else {
            std::str::from_utf8(b).map_err(|_| (names[i].to_string(), format!("{} is not UTF-8", names[i])))?
        };
        off += lens[i];
    }
    let e = |f: &str, v: String| (f.to_string(), v);
    check_id("eventId", strs[0], input::MAX_ID_LEN).map_err(|x| e("eventId", x.reason))?;
    check_id("symbol", strs[1], 32).map_err(|x| e("symbol", x.reason))?;
    if lens[2] > 0 {
        check_id("venueOrderId", strs[2], input::MAX_ID_LEN).map_err(|x| e("venueOrderId", x.reason))?;
    }
    if lens[3] > 0 {
        check_id("clientOrderId", strs[3], input::MAX_ID_LEN).map_err(|x| e("clientOrderId", x.reason))?;
    }
    Ok(strs)
}

/// A fill needs a quantity, > 0 (≥ 0 when CUMULATIVE). A CANCEL_ACK's quantity, when given, is
/// the order's cumulative executed quantity (same rule as the JSON path,
/// input::parse_venue_event): CUMULATIVE and not negative. Err((field, reason)).
fn check_fill_qty(kind: VenueKind, fill_qty: Option<Decimal>, cumulative_qty: bool) -> Result<(), (String, String)> {
    let e = |f: &str, v: String| Err((f.to_string(), v));
    if kind.is_fill() {
        return match fill_qty {
            None => e("fillQty", "required for fills".into()),
            Some(q) if q < Decimal::ZERO || (!cumulative_qty && q.is_zero()) => e("fillQty", format!("{} must be > 0", q)),
            _ => Ok(()),
        };
    }
    match fill_qty {
        Some(_) if kind == VenueKind::CancelAck && !cumulative_qty => {
            e("quantityMode", "a CANCEL_ACK's fillQty is the order's cumulative executed quantity: quantityMode must be CUMULATIVE".into())
        }
        Some(q) if kind == VenueKind::CancelAck && q < Decimal::ZERO => e("fillQty", format!("{} must not be negative", q)),
        _ => Ok(()),
    }
}

/// Decode one venue-event record (header already bounds-checked, `rec` = whole record).
pub fn decode_event(rec: &[u8]) -> Result<VenueEvent, (String, String)> {
    let mut ev = empty_event();
    decode_event_into(rec, &mut ev)?;
    Ok(ev)
}

fn push_result(res: &mut Vec<u8>, o: &Out, k: &Kernel) {
    res.push(o.code.num());
    res.push(o.accepted as u8);
    let (stage, slot) = match o.slot {
        Some(si) if si < k.slots.len() => (k.slots[si].stage.code(), si as i32),
        _ => (255u8, -1i32),
    };
    res.push(stage);
    let mut f = 0u8;
    if o.get("routedByState") == Some(&DVal::B(true)) {
        f |= 1;
    }
    if o.code == Code::Overfill {
        f |= 2;
    }
    res.push(f);
    res.extend_from_slice(&slot.to_le_bytes());
}

/// Apply one batch record (`rec` = the whole record, header included; its length already
/// checked by the caller) and return its full outcome. `scratch` is reused across records so
/// venue events are decoded without allocation. Shared by `process_batch` and the
/// native/WASM differential digest (diff.rs).
pub fn process_record(k: &mut Kernel, rec: &[u8], scratch: &mut VenueEvent) -> Out {
    let kind = rec[4];
    if (KIND_INTENT_BIN..=KIND_ACCOUNT_BIN).contains(&kind) {
        let method = match kind {
            KIND_INTENT_BIN => 1,
            KIND_MARK_BIN => 3,
            _ => 4,
        };
        crate::typed::call(k, method, &rec[HEADER_LEN..])
    } else if kind == KIND_INTENT_JSON || kind == KIND_MARK_JSON {
        let text = std::str::from_utf8(&rec[HEADER_LEN..]).unwrap_or("");
        // Duplicate keys refused here too (issue 11): serde_json would keep the last one.
        match crate::validate::parse_json_strict(text) {
            Err(e) => Out::refuse(if kind == KIND_INTENT_JSON { Code::InvalidIntent } else { Code::InvalidEvent }, e.message).ds("field", &e.field),
            Ok(v) => {
                if kind == KIND_INTENT_JSON {
                    match input::parse_intent(&v) {
                        Ok(it) => k.process_intent(&it),
                        Err(e) => Out::refuse(Code::InvalidIntent, e.reason.clone()).ds("field", &e.field),
                    }
                } else {
                    match input::parse_mark(&v) {
                        Ok(m) => k.mark_price(&m),
                        Err(e) => Out::refuse(Code::InvalidEvent, e.reason.clone()).ds("field", &e.field),
                    }
                }
            }
        }
    } else {
        match decode_event_into(rec, scratch) {
            Ok(()) => k.on_venue_event(scratch),
            Err((f, why)) => Out::refuse(Code::InvalidEvent, why.clone()).ds("field", &f),
        }
    }
}

/// Process a batch; returns the result buffer described above.
pub fn process_batch(k: &mut Kernel, buf: &[u8]) -> Vec<u8> {
    let mut res: Vec<u8> = Vec::with_capacity(8 + buf.len() / 8);
    res.extend_from_slice(&[0u8; 8]);
    let mut off = 0usize;
    let mut count: u32 = 0;
    let mut scratch = empty_event();
    while off + HEADER_LEN <= buf.len() {
        let len = rd_u32(buf, off) as usize;
        if len < HEADER_LEN || off + len > buf.len() {
            break;
        }
        let rec = &buf[off..off + len];
        let o = process_record(k, rec, &mut scratch);
        push_result(&mut res, &o, k);
        count += 1;
        off += len;
    }
    res[0..4].copy_from_slice(&count.to_le_bytes());
    res[4..8].copy_from_slice(&(k.ledger.event_seq as u32).to_le_bytes());
    res
}

/// Encoder for one venue-event record (used by the stream generator and tests).
#[derive(Default, Clone)]
pub struct RecordSpec<'a> {
    pub kind: u8,
    pub event_id: &'a str,
    pub symbol: &'a str,
    pub venue_order_id: &'a str,
    pub client_order_id: &'a str,
    pub ts_us: i64,
    pub qty: Option<(i64, u8)>,
    pub qty_cumulative: bool,
    pub price: Option<(i64, u8)>,
    pub fee: Option<(i64, u8)>,
    pub fee_cumulative: bool,
    pub slot_hint: Option<u8>,
    pub venue_code: Option<i32>,
    pub retry_after_ms: Option<u32>,
}

pub fn encode_event(out: &mut Vec<u8>, r: &RecordSpec) {
    let strs = [r.event_id.as_bytes(), r.symbol.as_bytes(), r.venue_order_id.as_bytes(), r.client_order_id.as_bytes()];
    let len = HEADER_LEN + strs.iter().map(|s| s.len().min(255)).sum::<usize>();
    let mut flags = 0u8;
    if r.qty.is_some() {
        flags |= 1;
    }
    if r.qty_cumulative {
        flags |= 2;
    }
    if r.price.is_some() {
        flags |= 4;
    }
    if r.fee.is_some() {
        flags |= 8;
    }
    if r.fee_cumulative {
        flags |= 16;
    }
    if r.slot_hint.is_some() {
        flags |= 32;
    }
    if r.venue_code.is_some() {
        flags |= 64;
    }
    if r.retry_after_ms.is_some() {
        flags |= 128;
    }
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.push(r.kind);
    out.push(flags);
    for s in &strs {
        out.push(s.len().min(255) as u8);
    }
    out.push(r.qty.map(|x| x.1).unwrap_or(0));
    out.push(r.price.map(|x| x.1).unwrap_or(0));
    out.push(r.fee.map(|x| x.1).unwrap_or(0));
    out.push(r.slot_hint.unwrap_or(0));
    out.extend_from_slice(&[0u8, 0u8]);
    out.extend_from_slice(&r.ts_us.to_le_bytes());
    out.extend_from_slice(&r.qty.map(|x| x.0).unwrap_or(0).to_le_bytes());
    out.extend_from_slice(&r.price.map(|x| x.0).unwrap_or(0).to_le_bytes());
    out.extend_from_slice(&r.fee.map(|x| x.0).unwrap_or(0).to_le_bytes());
    out.extend_from_slice(&r.venue_code.unwrap_or(0).to_le_bytes());
    out.extend_from_slice(&r.retry_after_ms.unwrap_or(0).to_le_bytes());
    for s in &strs {
        out.extend_from_slice(&s[..s.len().min(255)]);
    }
}

/// Encoder for a typed field record (kind 18 intent, 19 mark price, 20 account event).
pub fn encode_typed(out: &mut Vec<u8>, kind: u8, fields: &[(&str, crate::fields::BinVal)]) {
    let mut payload = Vec::new();
    crate::typed::encode_fields(&mut payload, fields);
    let len = HEADER_LEN + payload.len();
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.push(kind);
    out.extend_from_slice(&[0u8; HEADER_LEN - 5]);
    out.extend_from_slice(&payload);
}

/// Encoder for a JSON record (kind 16 intent, 17 mark price).
pub fn encode_json(out: &mut Vec<u8>, kind: u8, json: &str) {
    let len = HEADER_LEN + json.len();
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.push(kind);
    out.extend_from_slice(&[0u8; HEADER_LEN - 5]);
    out.extend_from_slice(json.as_bytes());
}
