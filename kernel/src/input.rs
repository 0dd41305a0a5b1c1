//! Parsed and validated inputs (kernel/types.ts: KernelConfig, Intent, VenueEvent, MarkPrice,
//! AccountEvent, ReconcileReport). Parsing refuses unknown fields, unknown enum values, non-decimal
//! numbers, NaN/Inf, magnitudes > 1e15, non-positive sizes/prices and empty ids, naming the field
//! (G7, F3, A8, Q2, Q7, H6). Parsing never touches kernel state.

use crate::fields::{check_id, FResult, FieldError, Obj, Src};
use crate::model::{OrderSide, OrderType, PositionSide, TimeInForce};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Default `archiveCapacity`: closed trades kept for lookup before the oldest is evicted.
pub const DEFAULT_ARCHIVE_CAPACITY: usize = 10_000;

/// Max length of venue/client order ids and event ids accepted from the outside.
pub const MAX_ID_LEN: usize = 64;
/// Largest accepted tsUs (year ~2286 in microseconds; JSON-safe integer).
pub const MAX_TS_US: i64 = 9_007_199_254_740_991;

#[derive(Debug, Clone)]
pub struct InstrumentSpec {
    pub symbol: String,
    pub tick_size: Decimal,
    pub step_size: Decimal,
    pub min_qty: Option<Decimal>,
}

#[derive(Debug, Clone)]
pub struct KernelConfig {
    pub slot_count: usize,
    pub initial_capital: Decimal,
    pub instruments: Vec<InstrumentSpec>,
    pub default_exit_leg_ratios: Vec<Decimal>,
    pub pnl_anomaly_tolerance: Decimal,
    pub max_leverage: i64,
    /// Closed trades kept for lookup (trades(), tradeRealized, FILL_SETTLED repair/compare,
    /// stray-event protection); the oldest beyond it is evicted (kernel.rs `evict_archive`).
    pub archive_capacity: usize,
}

/// Parse `KernelConfig` (create).
pub fn parse_config(v: &Value) -> FResult<KernelConfig> {
    let o = Obj::new(v, "", &["slotCount", "initialCapitalUsdt", "instruments", "defaultExitLegRatios", "pnlAnomalyToleranceUsdt", "maxLeverage", "archiveCapacity"])?;
    let slot_count = o.opt_int("slotCount", 1, 64)?.unwrap_or(10) as usize;
    let initial_capital = o.req_dec("initialCapitalUsdt")?;
    if initial_capital.is_sign_negative() && !initial_capital.is_zero() {
        return Err(FieldError::new("initialCapitalUsdt", &crate::dec::fmt(initial_capital), "must not be negative"));
    }
    let arr = o.req_array("instruments")?;
    if arr.is_empty() {
        return Err(FieldError::new("instruments", "[]", "at least one instrument is required"));
    }
    let mut instruments: Vec<InstrumentSpec> = Vec::new();
    for (i, iv) in arr.iter().enumerate() {
        let p = format!("instruments[{}]", i);
        let io = Obj::new(iv, &p, &["symbol", "tickSize", "stepSize", "minQty"])?;
        let symbol = io.req_id("symbol", 32)?;
        if instruments.iter().any(|x| x.symbol == symbol) {
            return Err(FieldError::new(&io.field("symbol"), &symbol, "duplicate instrument symbol"));
        }
        instruments.push(InstrumentSpec {
            symbol,
            tick_size: io.req_pos("tickSize")?,
            step_size: io.req_pos("stepSize")?,
            min_qty: io.opt_pos("minQty")?,
        });
    }
    let default_exit_leg_ratios = match o.opt_array("defaultExitLegRatios")? {
        None => vec![Decimal::ONE],
        Some(a) => parse_ratios(a, "defaultExitLegRatios")?,
    };
    let pnl_anomaly_tolerance = match o.opt_nonneg("pnlAnomalyToleranceUsdt")? {
        Some(d) => d,
        None => Decimal::new(5, 1),
    };
    let max_leverage = o.opt_int("maxLeverage", 1, 1000)?.unwrap_or(125);
    let archive_capacity = o.opt_int("archiveCapacity", 1, 10_000_000)?.unwrap_or(DEFAULT_ARCHIVE_CAPACITY as i64) as usize;
    Ok(KernelConfig { slot_count, initial_capital, instruments, default_exit_leg_ratios, pnl_anomaly_tolerance, max_leverage, archive_capacity })
}

/// Exit leg ratios: each in (0,1], sum exactly 1 (G18, I20).
pub fn parse_ratios(a: &[Value], field: &str) -> FResult<Vec<Decimal>> {
    if a.is_empty() {
        return Err(FieldError::new(field, "[]", "at least one ratio is required (I20)"));
    }
    let mut out = Vec::new();
    let mut sum = Decimal::ZERO;
    for (i, v) in a.iter().enumerate() {
        let f = format!("{}[{}]", field, i);
        let d = match v {
            Value::String(s) => crate::dec::parse(s).map_err(|r| FieldError::new(&f, s, &r))?,
            other => return Err(FieldError::new(&f, &crate::fields::show(other), "expected a decimal string")),
        };
        if d <= Decimal::ZERO || d > Decimal::ONE {
            return Err(FieldError::new(&f, &crate::dec::fmt(d), "ratio must be in (0, 1]"));
        }
        sum = crate::dec::add(sum, d).map_err(|e| FieldError::new(&f, &crate::dec::fmt(d), &e.0))?;
        out.push(d);
    }
    if sum != Decimal::ONE {
        return Err(FieldError::new(field, &crate::dec::fmt(sum), "ratios must sum to exactly 1 (G18)"));
    }
    Ok(out)
}

#[derive(Debug, Clone)]
pub struct OrderSpec {
    pub order_type: OrderType,
    pub limit_price: Option<Decimal>,
    pub time_in_force: TimeInForce,
}

#[derive(Debug, Clone)]
pub enum IntentKind {
    Enter { trade_id: String, symbol: String, side: PositionSide, quantity: Decimal, order: OrderSpec, leverage: i64, exit_leg_ratios: Option<Vec<Decimal>> },
    Exit { order: OrderSpec, ratio: Option<Decimal> },
    ExitResidual { order: OrderSpec },
    Cancel,
}

#[derive(Debug, Clone)]
pub struct Intent {
    pub intent_id: String,
    pub ts_us: i64,
    pub slot_id: i64,
    pub kind: IntentKind,
}

impl Intent {
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            IntentKind::Enter { .. } => "ENTER",
            IntentKind::Exit { .. } => "EXIT",
            IntentKind::ExitResidual { .. } => "EXIT_RESIDUAL",
            IntentKind::Cancel => "CANCEL",
        }
    }
}

fn order_spec(o: &Obj) -> FResult<OrderSpec> {
    let order_type = match o.req_pick("orderType", &["MARKET", "LIMIT"])? {
        "LIMIT" => OrderType::Limit,
        _ => OrderType::Market,
    };
    let limit_price = o.opt_pos("limitPrice")?;
    match (order_type, limit_price) {
        (OrderType::Limit, None) => return Err(FieldError::new(&o.field("limitPrice"), "(missing)", "required for a LIMIT order (Flaw 6, E3, M18)")),
        (OrderType::Market, Some(p)) => return Err(FieldError::new(&o.field("limitPrice"), &crate::dec::fmt(p), "forbidden for a MARKET order")),
        _ => {}
    }
    let time_in_force = match o.opt_pick("timeInForce", &["GTC", "IOC", "FOK", "POST_ONLY"])? {
        Some("IOC") => TimeInForce::Ioc,
        Some("FOK") => TimeInForce::Fok,
        Some("POST_ONLY") => TimeInForce::PostOnly,
        _ => TimeInForce::Gtc,
    };
    Ok(OrderSpec { order_type, limit_price, time_in_force })
}

/// Parse an Intent. The slot range and instrument/leverage limits are checked by the kernel.
pub fn parse_intent(v: &Value) -> FResult<Intent> {
    parse_intent_src(Src::Json(v))
}

/// `parse_intent` for either source (JSON or a binary record): one rule set for both paths.
pub fn parse_intent_src(src: Src) -> FResult<Intent> {
    let kind_s = match src.str_field("kind") {
        Some(Ok(s)) => s,
        Some(Err(shown)) => return Err(FieldError::new("kind", &shown, "expected a string")),
        None => return Err(FieldError::new("kind", "(missing)", "required field missing")),
    };
    let base = ["kind", "intentId", "tsUs", "slotId"];
    let extra: &[&str] = match kind_s {
        "ENTER" => &["tradeId", "symbol", "side", "quantity", "orderType", "limitPrice", "timeInForce", "leverage", "exitLegRatios"],
        "EXIT" => &["orderType", "limitPrice", "timeInForce", "ratio"],
        "EXIT_RESIDUAL" => &["orderType", "limitPrice", "timeInForce"],
        "CANCEL" => &[],
        other => return Err(FieldError::new("kind", other, "unknown enum value; expected one of ENTER, EXIT, EXIT_RESIDUAL, CANCEL")),
    };
    // base + the kind's fields, without a Vec per intent (at most 4 + 9 names)
    let mut allowed: [&str; 13] = [""; 13];
    let n = base.len() + extra.len();
    allowed[..base.len()].copy_from_slice(&base);
    allowed[base.len()..n].copy_from_slice(extra);
    let o = Obj::from_src(src, "", &allowed[..n])?;
    let intent_id = o.req_id("intentId", MAX_ID_LEN)?;
    let ts_us = o.req_int("tsUs", 0, MAX_TS_US)?;
    let slot_id = o.req_int("slotId", i64::MIN, i64::MAX)?;
    let kind = match kind_s {
        "ENTER" => {
            let trade_id = o.req_str("tradeId")?;
            if trade_id.is_empty() || trade_id.len() > 24 || !trade_id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-') {
                return Err(FieldError::new("tradeId", &trade_id, "must match [A-Za-z0-9_-]{1,24}"));
            }
            let symbol = o.req_id("symbol", 32)?;
            let side = match o.req_pick("side", &["LONG", "SHORT"])? {
                "LONG" => PositionSide::Long,
                _ => PositionSide::Short,
            };
            let quantity = o.req_pos("quantity")?;
            let order = order_spec(&o)?;
            let leverage = o.req_int("leverage", 1, 1000).map_err(|mut e| {
                if e.reason.starts_with("must be an integer in") {
                    e.reason = "must be an integer >= 1 (A8, F3, G12)".into();
                }
                e
            })?;
            let exit_leg_ratios = match o.opt_list("exitLegRatios")? {
                None => None,
                Some(crate::fields::List::Json(a)) => Some(parse_ratios(a, "exitLegRatios")?),
                Some(crate::fields::List::Strs(l)) => Some(parse_ratios(&l.to_values()?, "exitLegRatios")?),
            };
            IntentKind::Enter { trade_id, symbol, side, quantity, order, leverage, exit_leg_ratios }
        }
        "EXIT" => {
            let order = order_spec(&o)?;
            let ratio = o.opt_pos("ratio")?;
            if let Some(r) = ratio {
                if r > Decimal::ONE {
                    return Err(FieldError::new("ratio", &crate::dec::fmt(r), "ratio must be in (0, 1]"));
                }
            }
            IntentKind::Exit { order, ratio }
        }
        "EXIT_RESIDUAL" => IntentKind::ExitResidual { order: order_spec(&o)? },
        _ => IntentKind::Cancel,
    };
    Ok(Intent { intent_id, ts_us, slot_id, kind })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VenueKind {
    OrderAck,
    PartialFill,
    FullFill,
    CancelAck,
    CancelReject,
    OrderReject,
    RateLimited,
}

impl VenueKind {
    pub fn name(&self) -> &'static str {
        match self {
            VenueKind::OrderAck => "ORDER_ACK",
            VenueKind::PartialFill => "PARTIAL_FILL",
            VenueKind::FullFill => "FULL_FILL",
            VenueKind::CancelAck => "CANCEL_ACK",
            VenueKind::CancelReject => "CANCEL_REJECT",
            VenueKind::OrderReject => "ORDER_REJECT",
            VenueKind::RateLimited => "RATE_LIMITED",
        }
    }
    pub fn from_code(c: u8) -> Option<VenueKind> {
        Some(match c {
            0 => VenueKind::OrderAck,
            1 => VenueKind::PartialFill,
            2 => VenueKind::FullFill,
            3 => VenueKind::CancelAck,
            4 => VenueKind::CancelReject,
            5 => VenueKind::OrderReject,
            6 => VenueKind::RateLimited,
            _ => return None,
        })
    }
    pub fn is_fill(&self) -> bool {
        matches!(self, VenueKind::PartialFill | VenueKind::FullFill)
    }
}

/// A normalised venue event (types.ts VenueEvent). Serialised only inside saved state (parked
/// events, kernel.rs `Parked`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VenueEvent {
    pub kind: VenueKind,
    pub event_id: String,
    pub ts_us: i64,
    pub symbol: String,
    pub venue_order_id: Option<String>,
    pub client_order_id: Option<String>,
    pub slot_hint: Option<i64>,
    pub fill_qty: Option<Decimal>,
    pub cumulative_qty: bool,
    pub fill_price: Option<Decimal>, // None or 0 = no true price
    pub fee: Option<Decimal>,
    pub cumulative_fee: bool,
    pub venue_code: Option<i64>,
    pub reason: Option<String>,
    pub retry_after_ms: Option<i64>,
}

pub fn parse_venue_event(v: &Value) -> FResult<VenueEvent> {
    parse_venue_event_src(Src::Json(v))
}

/// `parse_venue_event` for either source (JSON or a binary record): one rule set for both paths.
pub fn parse_venue_event_src(src: Src) -> FResult<VenueEvent> {
    let o = Obj::from_src(
        src,
        "",
        &["kind", "eventId", "tsUs", "symbol", "venueOrderId", "clientOrderId", "slotHint", "fillQty", "quantityMode", "fillPrice", "feeUsdt", "feeMode", "venueCode", "reason", "retryAfterMs"],
    )?;
    let kind = match o.req_pick("kind", &["ORDER_ACK", "PARTIAL_FILL", "FULL_FILL", "CANCEL_ACK", "CANCEL_REJECT", "ORDER_REJECT", "RATE_LIMITED"])? {
        "ORDER_ACK" => VenueKind::OrderAck,
        "PARTIAL_FILL" => VenueKind::PartialFill,
        "FULL_FILL" => VenueKind::FullFill,
        "CANCEL_ACK" => VenueKind::CancelAck,
        "CANCEL_REJECT" => VenueKind::CancelReject,
        "ORDER_REJECT" => VenueKind::OrderReject,
        _ => VenueKind::RateLimited,
    };
    let event_id = o.req_id("eventId", MAX_ID_LEN)?;
    let ts_us = o.req_int("tsUs", 0, MAX_TS_US)?;
    let symbol = o.req_id("symbol", 32)?;
    let venue_order_id = o.opt_id("venueOrderId", MAX_ID_LEN)?;
    let client_order_id = o.opt_id("clientOrderId", MAX_ID_LEN)?;
    let slot_hint = o.opt_int("slotHint", 0, 63)?;
    let cumulative_qty = o.opt_pick("quantityMode", &["INCREMENTAL", "CUMULATIVE"])? == Some("CUMULATIVE");
    let fill_qty = if kind.is_fill() {
        if cumulative_qty {
            match o.opt_nonneg("fillQty")? {
                Some(q) => Some(q),
                None => return Err(FieldError::new("fillQty", "(missing)", "required for fills")),
            }
        } else {
            Some(o.req_pos("fillQty")?)
        }
    } else {
        let q = o.opt_nonneg("fillQty")?;
        // CANCEL_ACK: fillQty is the order's cumulative executed quantity at its end (BingX `z` /
        // executedQty); an incremental reading has no meaning there.
        if kind == VenueKind::CancelAck && q.is_some() && !cumulative_qty {
            return Err(FieldError::new("quantityMode", "(not CUMULATIVE)", "a CANCEL_ACK's fillQty is the order's cumulative executed quantity: quantityMode must be CUMULATIVE"));
        }
        q
    };
    let fill_price = o.opt_nonneg("fillPrice")?;
    let fee = o.opt_dec("feeUsdt")?;
    let cumulative_fee = match o.opt_pick("feeMode", &["INCREMENTAL", "CUMULATIVE"])? {
        Some("CUMULATIVE") => true,
        Some(_) => false,
        None => cumulative_qty,
    };
    if cumulative_fee {
        if let Some(f) = fee {
            if f.is_sign_negative() && !f.is_zero() {
                return Err(FieldError::new("feeUsdt", &crate::dec::fmt(f), "a cumulative fee must not be negative"));
            }
        }
    }
    let venue_code = o.opt_int("venueCode", -2_147_483_648, 2_147_483_647)?;
    let reason = o.opt_str("reason")?;
    if let Some(r) = &reason {
        if r.len() > 512 {
            return Err(FieldError::new("reason", &r[..r.char_indices().nth(40).map(|x| x.0).unwrap_or(r.len())], "longer than 512 characters"));
        }
    }
    let retry_after_ms = o.opt_int("retryAfterMs", 0, 86_400_000)?;
    Ok(VenueEvent { kind, event_id, ts_us, symbol, venue_order_id, client_order_id, slot_hint, fill_qty, cumulative_qty, fill_price, fee, cumulative_fee, venue_code, reason, retry_after_ms })
}

#[derive(Debug, Clone)]
pub struct MarkPrice {
    pub ts_us: i64,
    pub symbol: String,
    pub mark_price: Decimal,
}

pub fn parse_mark(v: &Value) -> FResult<MarkPrice> {
    parse_mark_src(Src::Json(v))
}

/// `parse_mark` for either source (JSON or a binary record).
pub fn parse_mark_src(src: Src) -> FResult<MarkPrice> {
    let o = Obj::from_src(src, "", &["tsUs", "symbol", "markPrice"])?;
    Ok(MarkPrice { ts_us: o.req_int("tsUs", 0, MAX_TS_US)?, symbol: o.req_id("symbol", 32)?, mark_price: o.req_pos("markPrice")? })
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum AccountEvent {
    /// wallet None = missing (refused by the kernel with ANCHOR_REJECTED, L5).
    Balance { event_id: String, ts_us: i64, wallet: Option<Decimal>, available: Option<Decimal> },
    /// cum_qty: the order's cumulative filled quantity including the settled fill (WS `z`), used
    /// to pair the settlement with the booked fill whose range holds it (None: k-th settlement ↔
    /// k-th booked fill of the order).
    FillSettled { event_id: String, ts_us: i64, symbol: String, trade_id: Option<String>, venue_order_id: Option<String>, client_order_id: Option<String>, realized: Decimal, fee: Decimal, #[serde(default)] cum_qty: Option<Decimal> },
    Funding { event_id: String, ts_us: i64, symbol: String, amount: Decimal },
}

pub fn parse_account_event(v: &Value) -> FResult<AccountEvent> {
    parse_account_event_src(Src::Json(v))
}

/// `parse_account_event` for either source (JSON or a binary record).
pub fn parse_account_event_src(src: Src) -> FResult<AccountEvent> {
    let kind_s = match src.str_field("kind") {
        Some(Ok(s)) => s,
        Some(Err(shown)) => return Err(FieldError::new("kind", &shown, "expected a string")),
        None => return Err(FieldError::new("kind", "(missing)", "required field missing")),
    };
    match kind_s {
        "BALANCE" => {
            let o = Obj::from_src(src, "", &["kind", "eventId", "tsUs", "walletBalanceUsdt", "availableMarginUsdt"])?;
            let event_id = o.req_id("eventId", MAX_ID_LEN)?;
            let ts_us = o.req_int("tsUs", 0, MAX_TS_US)?;
            // wallet: parsed as a decimal, its sign judged by the anchor (ANCHOR_REJECTED, L5).
            let wallet = o.opt_dec("walletBalanceUsdt")?;
            let available = o.opt_dec("availableMarginUsdt")?;
            Ok(AccountEvent::Balance { event_id, ts_us, wallet, available })
        }
        "FILL_SETTLED" => {
            let o = Obj::from_src(src, "", &["kind", "eventId", "tsUs", "symbol", "tradeId", "venueOrderId", "clientOrderId", "realizedPnlUsdt", "feeUsdt", "cumQty"])?;
            let event_id = o.req_id("eventId", MAX_ID_LEN)?;
            let ts_us = o.req_int("tsUs", 0, MAX_TS_US)?;
            let symbol = o.req_id("symbol", 32)?;
            let trade_id = o.opt_id("tradeId", 24)?;
            let venue_order_id = o.opt_id("venueOrderId", MAX_ID_LEN)?;
            let client_order_id = o.opt_id("clientOrderId", MAX_ID_LEN)?;
            if trade_id.is_none() && venue_order_id.is_none() && client_order_id.is_none() {
                return Err(FieldError::new("tradeId", "(missing)", "FILL_SETTLED needs tradeId, venueOrderId or clientOrderId"));
            }
            let realized = o.req_dec("realizedPnlUsdt")?;
            let fee = o.req_dec("feeUsdt")?;
            let cum_qty = o.opt_pos("cumQty")?;
            Ok(AccountEvent::FillSettled { event_id, ts_us, symbol, trade_id, venue_order_id, client_order_id, realized, fee, cum_qty })
        }
        "FUNDING" => {
            let o = Obj::from_src(src, "", &["kind", "eventId", "tsUs", "symbol", "amountUsdt"])?;
            Ok(AccountEvent::Funding {
                event_id: o.req_id("eventId", MAX_ID_LEN)?,
                ts_us: o.req_int("tsUs", 0, MAX_TS_US)?,
                symbol: o.req_id("symbol", 32)?,
                amount: o.req_dec("amountUsdt")?,
            })
        }
        other => Err(FieldError::new("kind", other, "unknown enum value; expected one of BALANCE, FILL_SETTLED, FUNDING")),
    }
}

#[derive(Debug, Clone)]
pub struct ReconcilePosition {
    pub symbol: String,
    pub position_side: String,
    pub quantity: Decimal,
}

#[derive(Debug, Clone)]
pub struct ReconcileOrder {
    pub symbol: String,
    pub venue_order_id: String,
    pub client_order_id: Option<String>,
    pub status: String,
    pub executed_qty: Decimal,
    pub avg_price: Decimal,
    pub fee: Option<Decimal>,
}

#[derive(Debug, Clone)]
pub struct ReconcileReport {
    pub ts_us: i64,
    pub positions: Vec<ReconcilePosition>,
    pub orders: Vec<ReconcileOrder>,
}

pub fn parse_reconcile(v: &Value) -> FResult<ReconcileReport> {
    let o = Obj::new(v, "", &["tsUs", "positions", "orders"])?;
    let ts_us = o.req_int("tsUs", 0, MAX_TS_US)?;
    let mut positions = Vec::new();
    for (i, pv) in o.req_array("positions")?.iter().enumerate() {
        let po = Obj::new(pv, &format!("positions[{}]", i), &["symbol", "positionSide", "quantity"])?;
        let position_side = po.req_enum("positionSide", &["BOTH", "LONG", "SHORT"])?;
        let quantity = po.req_dec("quantity")?;
        if position_side != "BOTH" && quantity.is_sign_negative() && !quantity.is_zero() {
            return Err(FieldError::new(&po.field("quantity"), &crate::dec::fmt(quantity), "must not be negative for LONG/SHORT"));
        }
        positions.push(ReconcilePosition { symbol: po.req_id("symbol", 32)?, position_side, quantity });
    }
    let mut orders = Vec::new();
    for (i, ov) in o.req_array("orders")?.iter().enumerate() {
        let oo = Obj::new(ov, &format!("orders[{}]", i), &["symbol", "venueOrderId", "clientOrderId", "status", "executedQty", "avgPrice", "feeUsdt"])?;
        let fee = oo.opt_dec("feeUsdt")?;
        let executed_qty = oo.req_dec("executedQty")?;
        if executed_qty.is_sign_negative() && !executed_qty.is_zero() {
            return Err(FieldError::new(&oo.field("executedQty"), &crate::dec::fmt(executed_qty), "must not be negative"));
        }
        let avg_price = oo.req_dec("avgPrice")?;
        if avg_price.is_sign_negative() && !avg_price.is_zero() {
            return Err(FieldError::new(&oo.field("avgPrice"), &crate::dec::fmt(avg_price), "must not be negative"));
        }
        orders.push(ReconcileOrder {
            symbol: oo.req_id("symbol", 32)?,
            venue_order_id: oo.req_id("venueOrderId", MAX_ID_LEN)?,
            client_order_id: oo.opt_id("clientOrderId", MAX_ID_LEN)?,
            status: oo.req_enum("status", &["NEW", "PENDING", "PARTIALLY_FILLED", "FILLED", "CANCELLED", "EXPIRED", "NOT_FOUND"])?,
            executed_qty,
            avg_price,
            fee,
        });
    }
    let _ = check_id;
    Ok(ReconcileReport { ts_us, positions, orders })
}

/// Order side of a position's entry (BUY for LONG) or exit (SELL for LONG).
pub fn order_side(side: PositionSide, exit: bool) -> OrderSide {
    match (side, exit) {
        (PositionSide::Long, false) | (PositionSide::Short, true) => OrderSide::Buy,
        _ => OrderSide::Sell,
    }
}
