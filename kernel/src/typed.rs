//! Typed binary ABI of the hot calls (kernel/README.md "ABI", typed calls): processIntent,
//! onVenueEvent, markPrice and onAccountEvent take a binary field record and answer a binary
//! outcome, with no serde_json `Value` on the way. The input record carries the same fields the
//! JSON input would (scalar values only) and is judged by the same parser (`input::*_src`,
//! `fields::Obj`), so a binary input is refused exactly where its JSON text is.
//!
//! Input record (little-endian):
//! ```text
//!   u8 fieldCount (<= 16), then per field:
//!   u8 keyLen, key (UTF-8), u8 tag, value
//!     tag 1 string : u16 len, UTF-8 bytes
//!     tag 2 integer: i64 (a safe integer, |v| <= 2^53 - 1)
//!     tag 3 true, tag 4 false (no value bytes)
//!     tag 5 array of strings: u8 count, then per element u16 len, UTF-8 bytes
//! ```
//! Outcome record: see `encode_outcome`.

use crate::dec;
use crate::fields::{BinFields, BinVal, FieldError, Src, MAX_BIN_FIELDS};
use crate::input;
use crate::kernel::Kernel;
use crate::model::*;

/// Largest safe integer of a JavaScript number (2^53 - 1).
pub const MAX_SAFE_INT: i64 = 9_007_199_254_740_991;

fn bad(field: &str, reason: &str) -> FieldError {
    FieldError::new(field, "(binary record)", reason)
}

fn take<'a>(b: &'a [u8], off: &mut usize, n: usize, what: &str) -> Result<&'a [u8], FieldError> {
    if *off + n > b.len() {
        return Err(bad("(binary)", &format!("record truncated in {}", what)));
    }
    let s = &b[*off..*off + n];
    *off += n;
    Ok(s)
}

fn utf8<'a>(b: &'a [u8], field: &str) -> Result<&'a str, FieldError> {
    if crate::fields::is_id_bytes(b) {
        // SAFETY: id-alphabet bytes are printable ASCII, hence valid UTF-8 (keys, ids, enums and
        // decimals of every hot call skip the general validation; other bytes take it).
        return Ok(unsafe { std::str::from_utf8_unchecked(b) });
    }
    std::str::from_utf8(b).map_err(|_| bad(field, "not UTF-8"))
}

/// Decode a binary field record. Errors name the field (or "(binary)" for the framing) and change
/// nothing. A key given twice is refused (a JSON object from the binding cannot carry one).
pub fn decode_fields(b: &[u8]) -> Result<BinFields<'_>, FieldError> {
    let mut f = BinFields::empty();
    let mut off = 0usize;
    let n = take(b, &mut off, 1, "fieldCount")?[0] as usize;
    if n > MAX_BIN_FIELDS {
        return Err(bad("(binary)", &format!("{} fields, at most {}", n, MAX_BIN_FIELDS)));
    }
    for _ in 0..n {
        let kl = take(b, &mut off, 1, "keyLen")?[0] as usize;
        let key = utf8(take(b, &mut off, kl, "key")?, "(key)")?;
        if f.get(key).is_some() {
            return Err(FieldError::new(key, "(duplicate)", "field given twice"));
        }
        let tag = take(b, &mut off, 1, "tag")?[0];
        let v = match tag {
            1 => {
                let lb = take(b, &mut off, 2, "string length")?;
                let l = u16::from_le_bytes([lb[0], lb[1]]) as usize;
                BinVal::Str(utf8(take(b, &mut off, l, key)?, key)?)
            }
            2 => {
                let ib = take(b, &mut off, 8, key)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(ib);
                let i = i64::from_le_bytes(a);
                if !(-MAX_SAFE_INT..=MAX_SAFE_INT).contains(&i) {
                    return Err(FieldError::new(key, &i.to_string(), "not a safe integer (|v| <= 2^53 - 1)"));
                }
                BinVal::Int(i)
            }
            3 => BinVal::Bool(true),
            4 => BinVal::Bool(false),
            5 => {
                let count = take(b, &mut off, 1, key)?[0] as usize;
                let start = off;
                for _ in 0..count {
                    let lb = take(b, &mut off, 2, key)?;
                    let l = u16::from_le_bytes([lb[0], lb[1]]) as usize;
                    utf8(take(b, &mut off, l, key)?, key)?;
                }
                BinVal::Strs(crate::fields::BinStrs { field: key, count, bytes: &b[start..off] })
            }
            t => return Err(FieldError::new(key, &t.to_string(), "unknown value tag")),
        };
        f.fields[f.len] = (key, v);
        f.len += 1;
    }
    if off != b.len() {
        return Err(bad("(binary)", &format!("{} trailing bytes after the last field", b.len() - off)));
    }
    Ok(f)
}

fn field_out(code: Code, e: &FieldError) -> Out {
    Out::refuse(code, format!("{} {}: {}", e.field, e.value, e.reason)).ds("field", &e.field).ds("value", &e.value)
}

/// Run hot method `method` (1 processIntent, 2 onVenueEvent, 3 markPrice, 4 onAccountEvent; the
/// api::METHODS order) on a binary field record. Any other method → INTERNAL refusal.
pub fn call(k: &mut Kernel, method: u32, rec: &[u8]) -> Out {
    let code = match method {
        1 => Code::InvalidIntent,
        2..=4 => Code::InvalidEvent,
        m => return Out::new(false, Code::Internal, Severity::Critical, format!("method {} has no binary form", m)),
    };
    let fields = match decode_fields(rec) {
        Ok(f) => f,
        Err(e) => return field_out(code, &e),
    };
    let src = Src::Bin(&fields);
    match method {
        1 => match input::parse_intent_src(src) {
            Ok(it) => k.process_intent(&it),
            Err(e) => field_out(code, &e),
        },
        2 => match input::parse_venue_event_src(src) {
            Ok(ev) => k.on_venue_event(&ev),
            Err(e) => field_out(code, &e),
        },
        3 => match input::parse_mark_src(src) {
            Ok(m) => k.mark_price(&m),
            Err(e) => field_out(code, &e),
        },
        _ => match input::parse_account_event_src(src) {
            Ok(ev) => k.on_account_event(&ev),
            Err(e) => {
                // A BALANCE with an unusable wallet is an anchor refusal (L5), as in api.rs.
                let is_balance = matches!(fields.get("kind"), Some(BinVal::Str("BALANCE")));
                let c = if is_balance && (e.field == "walletBalanceUsdt" || e.field == "availableMarginUsdt") { Code::AnchorRejected } else { code };
                field_out(c, &e)
            }
        },
    }
}

/// Append a binary field record (layout above) to `out`. Strings beyond 65,535 bytes and more
/// than 16 fields are the caller's error (the record is then refused by `decode_fields`).
pub fn encode_fields(out: &mut Vec<u8>, fields: &[(&str, BinVal)]) {
    out.push(fields.len().min(255) as u8);
    for (k, v) in fields {
        out.push(k.len().min(255) as u8);
        out.extend_from_slice(&k.as_bytes()[..k.len().min(255)]);
        match v {
            BinVal::Str(s) => {
                out.push(1);
                put_str(out, s);
            }
            BinVal::Int(i) => {
                out.push(2);
                out.extend_from_slice(&i.to_le_bytes());
            }
            BinVal::Bool(b) => out.push(if *b { 3 } else { 4 }),
            BinVal::Strs(l) => {
                out.push(5);
                out.push(l.count.min(255) as u8);
                out.extend_from_slice(l.bytes);
            }
        }
    }
}

// ───────────────────────── outcome encoding ─────────────────────────

fn put_str(buf: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    let n = b.len().min(u16::MAX as usize);
    buf.extend_from_slice(&(n as u16).to_le_bytes());
    buf.extend_from_slice(&b[..n]);
}

fn put_f64(buf: &mut Vec<u8>, v: i64) {
    buf.extend_from_slice(&(v as f64).to_le_bytes());
}

/// Severity code: 0 INFO, 1 WARNING, 2 ERROR, 3 CRITICAL.
pub fn severity_code(s: Severity) -> u8 {
    match s {
        Severity::Info => 0,
        Severity::Warning => 1,
        Severity::Error => 2,
        Severity::Critical => 3,
    }
}

fn purpose_code(p: Purpose) -> u8 {
    match p {
        Purpose::Entry => 0,
        Purpose::Exit => 1,
    }
}

fn tif_code(t: TimeInForce) -> u8 {
    match t {
        TimeInForce::Gtc => 0,
        TimeInForce::Ioc => 1,
        TimeInForce::Fok => 2,
        TimeInForce::PostOnly => 3,
    }
}

/// Encode an outcome (little-endian), appended to `buf`:
/// ```text
///  0 u8 accepted   1 u8 code (Code index)   2 u8 severity   3 u8 detailCount
///  4 u16 transitionCount   6 u16 commandCount
///  8 f64 ledgerSeq   16 u32 changedSlots low bits   20 u32 changedSlots high bits
/// 24 str message, then details, transitions, commands (str = u16 len + UTF-8)
/// detail:     str key, u8 type (0 string, 1 number as f64, 2 boolean), value (str | f64 | u8)
/// transition: u16 slotId, u8 from, u8 to (Stage codes), f64 tsUs, str tradeId, str trigger
/// command:    u8 kind 0 SUBMIT: u16 slotId, u8 purpose (0 ENTRY 1 EXIT), u8 side (0 BUY 1 SELL),
///               u8 orderType (0 MARKET 1 LIMIT), u8 timeInForce (0 GTC 1 IOC 2 FOK
///               3 POST_ONLY), u8 flags (b0 reduceOnly, b1 limitPrice present), str commandId,
///               tradeId, clientOrderId, symbol, quantity, positionSide [, limitPrice]
///             u8 kind 1 CANCEL: u16 slotId, u8 venueOrderId present, str commandId, tradeId,
///               symbol, clientOrderId [, venueOrderId]
/// ```
/// Details are written sorted by key (the JSON outcome's key order).
pub fn encode_outcome(buf: &mut Vec<u8>, o: &Out, ledger_seq: u64, changed: u64) {
    buf.push(o.accepted as u8);
    buf.push(o.code.num());
    buf.push(severity_code(o.severity));
    let nd = o.details.len().min(32);
    buf.push(nd as u8);
    buf.extend_from_slice(&(o.transitions.len().min(65535) as u16).to_le_bytes());
    buf.extend_from_slice(&(o.commands.len().min(65535) as u16).to_le_bytes());
    buf.extend_from_slice(&(ledger_seq as f64).to_le_bytes());
    buf.extend_from_slice(&(changed as u32).to_le_bytes());
    buf.extend_from_slice(&((changed >> 32) as u32).to_le_bytes());
    put_str(buf, &o.message);
    let mut order: [usize; 32] = [0; 32];
    for (i, slot) in order.iter_mut().enumerate().take(nd) {
        *slot = i;
    }
    order[..nd].sort_by(|a, b| o.details[*a].0.cmp(o.details[*b].0));
    for &i in &order[..nd] {
        let (key, v) = &o.details[i];
        put_str(buf, key);
        match v {
            DVal::S(s) => {
                buf.push(0);
                put_str(buf, s);
            }
            DVal::D(d) => {
                buf.push(0);
                put_str(buf, &dec::fmt(*d));
            }
            DVal::N(n) => {
                buf.push(1);
                put_f64(buf, *n);
            }
            DVal::B(b) => {
                buf.push(2);
                buf.push(*b as u8);
            }
        }
    }
    for t in o.transitions.iter().take(65535) {
        buf.extend_from_slice(&(t.slot_id as u16).to_le_bytes());
        buf.push(t.from.code());
        buf.push(t.to.code());
        put_f64(buf, t.ts_us);
        put_str(buf, &t.trade_id);
        put_str(buf, t.trigger);
    }
    for c in o.commands.iter().take(65535) {
        encode_command(buf, c);
    }
}

fn encode_command(buf: &mut Vec<u8>, c: &Command) {
    match c {
        Command::Submit { command_id, slot_id, trade_id, purpose, client_order_id, symbol, side, position_side, order_type, quantity, limit_price, reduce_only, time_in_force } => {
            buf.push(0);
            buf.extend_from_slice(&(*slot_id as u16).to_le_bytes());
            buf.push(purpose_code(*purpose));
            buf.push(if *side == OrderSide::Buy { 0 } else { 1 });
            buf.push(if *order_type == OrderType::Market { 0 } else { 1 });
            buf.push(tif_code(*time_in_force));
            buf.push((*reduce_only as u8) | ((limit_price.is_some() as u8) << 1));
            for s in [command_id, trade_id, client_order_id, symbol, quantity] {
                put_str(buf, s);
            }
            put_str(buf, position_side);
            if let Some(p) = limit_price {
                put_str(buf, p);
            }
        }
        Command::Cancel { command_id, slot_id, trade_id, symbol, client_order_id, venue_order_id } => {
            buf.push(1);
            buf.extend_from_slice(&(*slot_id as u16).to_le_bytes());
            buf.push(venue_order_id.is_some() as u8);
            for s in [command_id, trade_id, symbol, client_order_id] {
                put_str(buf, s);
            }
            if let Some(v) = venue_order_id {
                put_str(buf, v);
            }
        }
    }
}

/// Append a decimal in canonical text (dec::fmt: no trailing zeros, no "-0") as a str
/// (u16 length + bytes), written in place without an intermediate String.
pub fn put_dec(buf: &mut Vec<u8>, d: rust_decimal::Decimal) {
    use std::io::Write;
    let at = buf.len();
    buf.extend_from_slice(&[0, 0]);
    if d.is_zero() {
        buf.push(b'0');
    } else {
        let _ = write!(buf, "{}", d.normalize());
    }
    let n = (buf.len() - at - 2) as u16;
    buf[at..at + 2].copy_from_slice(&n.to_le_bytes());
}

/// Binary ledger image (the LedgerSnapshot fields, README "ABI"): f64 eventSeq, tradeSeq,
/// anomalyCount, evictedTrades; u8 capitalSource (0 seed, 1 e_anchored, 2 k_bridged); then the
/// decimal strs capitalUsdt, equityUsdt, peakCapitalUsdt, realizedPnlUsdt, unrealizedPnlUsdt,
/// feesPaidUsdt, fundingUsdt, eWalletBalanceUsdt, eAvailableMarginUsdt, anchorCapitalUsdt,
/// evictedRealizedUsdt, evictedFeesUsdt. Same figures as image::ledger_image.
pub fn encode_ledger(buf: &mut Vec<u8>, l: &LedgerState) {
    for n in [l.event_seq, l.trade_seq, l.anomaly_count, l.evicted_trades] {
        buf.extend_from_slice(&(n as f64).to_le_bytes());
    }
    buf.push(match l.capital_source {
        CapitalSource::Seed => 0,
        CapitalSource::EAnchored => 1,
        CapitalSource::KBridged => 2,
    });
    let equity = l.capital.checked_add(l.unrealized).unwrap_or(l.capital);
    for d in [l.capital, equity, l.peak_capital, l.realized, l.unrealized, l.fees_paid, l.funding, l.e_wallet_balance, l.e_available_margin, l.anchor_capital, l.evicted_realized, l.evicted_fees] {
        put_dec(buf, d);
    }
}

/// Binary slot head of `s` (README "ABI", `kernel_slot_head`): the fields of its SlotImage that
/// the simulator's fill fingerprints and slot heads read, with the same values as the image
/// (decimals in the image's canonical text, `put_dec`), appended to `buf`:
/// ```text
///  0 u8 stage (Stage code)   1 u8 side (0 none, 1 LONG, 2 SHORT)
///  2 u8 flags (b0 entryOrder present, b1 exitOrder present)   3 u8 0
///  4 u32 slotId   8 u32 legs.length   12 u32 feeUnconfirmedOrders.length
/// 16 str tradeId, symbol, sizeQty, initialSizeQty, realizedPnlUsdt
///    [, entryOrder.filledQty] [, exitOrder.filledQty]   (str = u16 len + UTF-8)
/// ```
/// entryOrder / exitOrder are the slot's live orders, as in image::slot_image.
pub fn encode_slot_head(buf: &mut Vec<u8>, s: &SlotState) {
    let entry = s.live_order(Purpose::Entry).map(|i| &s.orders[i]);
    let exit = s.live_order(Purpose::Exit).map(|i| &s.orders[i]);
    buf.push(s.stage.code());
    buf.push(match s.side {
        None => 0,
        Some(PositionSide::Long) => 1,
        Some(PositionSide::Short) => 2,
    });
    buf.push((entry.is_some() as u8) | ((exit.is_some() as u8) << 1));
    buf.push(0);
    let fee_unconfirmed = crate::image::fee_unconfirmed(s).count();
    for n in [s.slot_id, s.legs.len(), fee_unconfirmed] {
        buf.extend_from_slice(&(n.min(u32::MAX as usize) as u32).to_le_bytes());
    }
    put_str(buf, &s.trade_id);
    put_str(buf, &s.symbol);
    for d in [s.size, s.initial_size, s.realized] {
        put_dec(buf, d);
    }
    for o in [entry, exit].iter().flatten() {
        put_dec(buf, o.filled_qty);
    }
}

/// Binary order view of `s` (README "ABI", `kernel_slot_orders`): the fields of its SlotImage
/// that the venue connector reads (venues/connector/ports.ts `SlotOrders`: reconcile rounds and
/// the watchdog), with the same values as the image, appended to `buf`:
/// ```text
///  0 u8 stage (Stage code)
///  1 u8 flags: b0 entryOrder present, b1 exitOrder present, b2 entryOrder.venueOrderId present,
///     b3 exitOrder.venueOrderId present, b4 entryOrder LIMIT (else MARKET), b5 exitOrder LIMIT
///  2 u16 0   4 u32 slotId   8 u32 feeUnconfirmedOrders.length
/// 12 str symbol [, entryOrder.clientOrderId [, .venueOrderId]] [, exitOrder.clientOrderId [, .venueOrderId]]
///    then per feeUnconfirmedOrders entry, in image order: u8 1 when its venueOrderId follows
///    (else 0), str symbol, str clientOrderId [, str venueOrderId]        (str = u16 len + UTF-8)
/// ```
/// entryOrder / exitOrder are the slot's live orders and the list is image::fee_unconfirmed, as in
/// image::slot_image (one definition each).
pub fn encode_slot_orders(buf: &mut Vec<u8>, s: &SlotState) {
    let entry = s.live_order(Purpose::Entry).map(|i| &s.orders[i]);
    let exit = s.live_order(Purpose::Exit).map(|i| &s.orders[i]);
    let mut flags = 0u8;
    for (o, present, vid, limit) in [(entry, 1u8, 4u8, 16u8), (exit, 2, 8, 32)] {
        if let Some(o) = o {
            flags |= present;
            if o.venue_order_id.is_some() {
                flags |= vid;
            }
            if o.order_type == OrderType::Limit {
                flags |= limit;
            }
        }
    }
    buf.push(s.stage.code());
    buf.push(flags);
    buf.extend_from_slice(&[0, 0]);
    let fee_unconfirmed = crate::image::fee_unconfirmed(s).count();
    for n in [s.slot_id, fee_unconfirmed] {
        buf.extend_from_slice(&(n.min(u32::MAX as usize) as u32).to_le_bytes());
    }
    put_str(buf, &s.symbol);
    for o in [entry, exit].iter().flatten() {
        put_str(buf, &o.client_order_id);
        if let Some(v) = &o.venue_order_id {
            put_str(buf, v);
        }
    }
    for f in crate::image::fee_unconfirmed(s) {
        buf.push(f.venue_order_id.is_some() as u8);
        put_str(buf, f.symbol);
        put_str(buf, f.client_order_id);
        if let Some(v) = f.venue_order_id {
            put_str(buf, v);
        }
    }
}

/// Slot ids of a changed-slot mask, ascending.
pub fn mask_ids(mask: u64) -> Vec<usize> {
    (0..64).filter(|i| mask & (1u64 << i) != 0).collect()
}
