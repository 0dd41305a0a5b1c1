//! Output images (kernel/types.ts SlotImage, OrderImage, ExitLeg, LedgerSnapshot, TradeRecord,
//! Anomaly, Outcome) built from the kernel state. Every decimal is a canonical decimal string.

use crate::dec::{self, fmt, KResult, PRICE_DP};
use crate::kernel::{kernel_estimate, Kernel};
use crate::model::*;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{json, Map, Value};

/// A decimal as its canonical text (`dec::fmt`, through `dec::canonical`),
/// written straight into the serializer: an image read formats no intermediate `String` per
/// decimal (issue 12 chaos profile: `kernel_slot` was 2.4 % of the run).
#[derive(Clone, Copy)]
pub struct D(pub Decimal);

impl Serialize for D {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_str(&crate::dec::canonical(self.0))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderImage<'a> {
    pub purpose: Purpose,
    pub client_order_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub venue_order_id: Option<&'a str>,
    pub side: OrderSide,
    pub order_type: OrderType,
    pub quantity: D,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_price: Option<D>,
    pub filled_qty: D,
    pub filled_notional_usdt: D,
    pub acked: bool,
    pub cancel_requested: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_leg_index: Option<u32>,
}

/// A finished order with fills whose fee the venue has not confirmed yet (OrderState.fee_confirmed).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeeUnconfirmedImage<'a> {
    pub symbol: &'a str,
    pub client_order_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub venue_order_id: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExitLegImage<'a> {
    pub leg_index: u32,
    pub client_order_id: &'a str,
    pub quantity: D,
    pub exit_notional_usdt: D,
    /// Quantity booked with a true price (exitNotionalUsdt covers exactly this quantity).
    pub priced_qty: D,
    pub realized_pnl_usdt: D,
    pub fees_usdt: D,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange_realized_pnl_usdt: Option<D>,
    pub realized_skipped_no_price: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlagsImage {
    pub entry_basis_missing: bool,
    pub realized_skipped_no_price: bool,
    pub overfill: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitImage<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_eta: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until_us: Option<i64>,
}

/// SlotImage (kernel/types.ts), borrowing ids and event ids from the slot state: serialising an
/// image clones nothing.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotImage<'a> {
    pub slot_id: usize,
    pub stage: Stage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume_stage: Option<Stage>,
    pub trade_id: &'a str,
    pub symbol: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side: Option<PositionSide>,
    pub leverage: i64,
    pub target_qty: D,
    pub size_qty: D,
    pub initial_size_qty: D,
    pub entry_notional_usdt: D,
    pub entry_price: D,
    pub mark_price: D,
    pub realized_pnl_usdt: D,
    pub unrealized_pnl_usdt: D,
    pub fees_usdt: D,
    pub settled_realized_usdt: D,
    pub settled_fees_usdt: D,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_order: Option<OrderImage<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_order: Option<OrderImage<'a>>,
    pub exit_leg_ratios: Vec<D>,
    pub exit_leg_index: u32,
    pub legs: Vec<ExitLegImage<'a>>,
    pub seen_event_ids: &'a [String],
    pub flags: FlagsImage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimitImage<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opened_at_us: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at_us: Option<i64>,
    /// Finished orders of the slot's trade with fills whose fee is not confirmed by the venue's own
    /// commission (absent when none): the runtime queries them in its next reconcile.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fee_unconfirmed_orders: Vec<FeeUnconfirmedImage<'a>>,
}

fn order_image(o: &OrderState) -> OrderImage<'_> {
    OrderImage {
        purpose: o.purpose,
        client_order_id: &o.client_order_id,
        venue_order_id: o.venue_order_id.as_deref(),
        side: o.side,
        order_type: o.order_type,
        quantity: D(o.quantity),
        limit_price: o.limit_price.map(D),
        filled_qty: D(o.filled_qty),
        filled_notional_usdt: D(o.filled_notional),
        acked: o.acked,
        cancel_requested: o.cancel_requested,
        exit_leg_index: o.exit_leg_index,
    }
}

pub fn leg_image(l: &LegState) -> ExitLegImage<'_> {
    ExitLegImage {
        leg_index: l.leg_index,
        client_order_id: &l.client_order_id,
        quantity: D(l.quantity),
        exit_notional_usdt: D(l.exit_notional),
        priced_qty: D(l.priced_qty),
        realized_pnl_usdt: D(l.realized),
        fees_usdt: D(l.fees),
        exchange_realized_pnl_usdt: l.exchange_realized.map(D),
        realized_skipped_no_price: l.fills.iter().any(|f| f.skipped && !f.repaired),
    }
}

/// SlotImage of a slot. entryOrder / exitOrder are the WORKING orders (live at the venue).
pub fn slot_image(s: &SlotState) -> SlotImage<'_> {
    SlotImage {
        slot_id: s.slot_id,
        stage: s.stage,
        resume_stage: s.resume_stage,
        trade_id: &s.trade_id,
        symbol: &s.symbol,
        side: s.side,
        leverage: s.leverage,
        target_qty: D(s.target_qty),
        size_qty: D(s.size),
        initial_size_qty: D(s.initial_size),
        entry_notional_usdt: D(s.entry_notional),
        entry_price: D(s.entry_price),
        mark_price: D(s.mark_price),
        realized_pnl_usdt: D(s.realized),
        unrealized_pnl_usdt: D(s.unrealized),
        fees_usdt: D(s.fees),
        settled_realized_usdt: D(s.settled_realized),
        settled_fees_usdt: D(s.settled_fees),
        entry_order: s.live_order(Purpose::Entry).map(|i| order_image(&s.orders[i])),
        exit_order: s.live_order(Purpose::Exit).map(|i| order_image(&s.orders[i])),
        exit_leg_ratios: s.exit_leg_ratios.iter().map(|d| D(*d)).collect(),
        exit_leg_index: s.exit_leg_index,
        legs: s.legs.iter().map(leg_image).collect(),
        seen_event_ids: &s.seen_event_ids,
        flags: FlagsImage { entry_basis_missing: s.flags.entry_basis_missing, realized_skipped_no_price: s.flags.realized_skipped_no_price, overfill: s.flags.overfill },
        rate_limit: s.rate_limit.as_ref().map(|r| RateLimitImage { retry_after_ms: r.retry_after_ms, release_eta: r.release_eta.as_deref(), until_us: r.until_us }),
        opened_at_us: s.opened_at_us,
        closed_at_us: s.closed_at_us,
        fee_unconfirmed_orders: fee_unconfirmed(s).collect(),
    }
}

/// The slot's `feeUnconfirmedOrders` (SlotImage), in image order: archived fee references first,
/// then finished orders of the current trade with fills whose fee the venue has not confirmed.
/// One definition for the image and the binary slot head (typed.rs `encode_slot_head`).
pub fn fee_unconfirmed(s: &SlotState) -> impl Iterator<Item = FeeUnconfirmedImage<'_>> {
    s.archived_fee_refs
        .iter()
        .map(|f| FeeUnconfirmedImage { symbol: &f.symbol, client_order_id: &f.client_order_id, venue_order_id: f.venue_order_id.as_deref() })
        .chain(
            s.orders
                .iter()
                .filter(|o| !o.live && !o.fee_confirmed && o.filled_qty > rust_decimal::Decimal::ZERO)
                .map(move |o| FeeUnconfirmedImage { symbol: &s.symbol, client_order_id: &o.client_order_id, venue_order_id: o.venue_order_id.as_deref() }),
        )
}

pub fn ledger_image(l: &LedgerState) -> Value {
    let equity = l.capital.checked_add(l.unrealized).unwrap_or(l.capital);
    json!({
        "eventSeq": l.event_seq,
        "capitalUsdt": fmt(l.capital),
        "equityUsdt": fmt(equity),
        "peakCapitalUsdt": fmt(l.peak_capital),
        "realizedPnlUsdt": fmt(l.realized),
        "unrealizedPnlUsdt": fmt(l.unrealized),
        "feesPaidUsdt": fmt(l.fees_paid),
        "fundingUsdt": fmt(l.funding),
        "tradeSeq": l.trade_seq,
        "capitalSource": l.capital_source,
        "eWalletBalanceUsdt": fmt(l.e_wallet_balance),
        "eAvailableMarginUsdt": fmt(l.e_available_margin),
        "anchorCapitalUsdt": fmt(l.anchor_capital),
        "anomalyCount": l.anomaly_count,
        "evictedTrades": l.evicted_trades,
        "evictedRealizedUsdt": fmt(l.evicted_realized),
        "evictedFeesUsdt": fmt(l.evicted_fees),
    })
}

/// TradeRecord of the trade held by a slot state (live or archived). Exit VWAP is the true exit
/// price Σ exit notional / Σ priced exit qty, rounded to 16 dp (E23, G21, A13).
pub fn trade_record(s: &SlotState) -> KResult<Value> {
    let mut exit_notional = Decimal::ZERO;
    let mut exit_priced = Decimal::ZERO;
    let mut exited = Decimal::ZERO;
    for l in &s.legs {
        exit_notional = dec::add(exit_notional, l.exit_notional)?;
        exit_priced = dec::add(exit_priced, l.priced_qty)?;
        exited = dec::add(exited, l.quantity)?;
    }
    let exit_vwap = if exit_priced > Decimal::ZERO { dec::round(dec::div(exit_notional, exit_priced)?, PRICE_DP) } else { Decimal::ZERO };
    let estimate = kernel_estimate(s)?;
    let mut flags: Vec<&str> = Vec::new();
    if s.flags.realized_skipped_no_price {
        flags.push("realized_skipped_no_price");
    }
    if s.flags.entry_basis_missing {
        flags.push("entry_basis_missing");
    }
    if s.flags.repaired_from_exchange {
        flags.push("repaired_from_exchange");
    }
    if s.flags.repriced_from_order {
        flags.push("repriced_from_order");
    }
    if s.flags.overfill {
        flags.push("overfill");
    }
    let mut v = json!({
        "tradeId": s.trade_id,
        "slotId": s.slot_id,
        "symbol": s.symbol,
        "side": s.side,
        "leverage": s.leverage,
        "entryVwap": fmt(s.entry_price),
        "exitVwap": fmt(exit_vwap),
        "quantity": fmt(s.initial_size),
        "exitedQty": fmt(exited),
        "legs": s.legs.iter().map(leg_image).collect::<Vec<_>>(),
        "realizedGrossUsdt": fmt(s.realized),
        "kernelEstimateUsdt": fmt(estimate),
        "feesUsdt": fmt(s.fees),
        "realizedNetUsdt": fmt(dec::sub(s.realized, s.fees)?),
        "pnlSource": if s.exchange_realized.is_some() { "exchange" } else { "kernel_estimate" },
        "flags": flags,
        "closed": s.stage == Stage::Closed || (s.stage != Stage::StaleStateReconciling && s.initial_size > Decimal::ZERO && s.size.is_zero() && !s.has_live_order()),
    });
    if let Some(m) = v.as_object_mut() {
        if let Some(x) = s.exchange_realized {
            m.insert("exchangeRealizedUsdt".into(), Value::String(fmt(x)));
        }
        if let Some(t) = s.opened_at_us {
            m.insert("openedAtUs".into(), json!(t));
        }
        if let Some(t) = s.closed_at_us {
            m.insert("closedAtUs".into(), json!(t));
        }
    }
    Ok(v)
}

/// The slots whose trade records `trades` lists: archived trades (re-entered slots) first, then
/// trades held by slots that opened a position or carry an exchange figure.
fn trade_slots(k: &Kernel) -> impl Iterator<Item = &SlotState> {
    k.archive.iter().chain(k.slots.iter().filter(|s| !s.trade_id.is_empty() && (s.initial_size > Decimal::ZERO || s.exchange_realized.is_some())))
}

/// Trades: archived trades first (in archive order), then the trades held by slots (slot order).
/// A slot's trade is listed once it has an entry fill.
pub fn trades(k: &Kernel) -> KResult<Vec<Value>> {
    trade_slots(k).map(trade_record).collect()
}

fn io_err(e: std::io::Error) -> crate::dec::KErr {
    crate::dec::KErr(format!("writing the result: {}", e))
}

fn json_to<W: std::io::Write, T: Serialize>(out: &mut W, v: &T) -> KResult<()> {
    serde_json::to_writer(out, v).map_err(|e| crate::dec::KErr(format!("serialising the result: {}", e)))
}

/// `trades` written as its JSON array text into `out`, one trade record at a time: the same bytes
/// as serialising `trades(k)`, without holding every record's Value tree at once (issue 12: the
/// final snapshot of a 48 h run grew the WebAssembly memory, which never shrinks, from 16 to 46 MB).
pub fn write_trades<W: std::io::Write>(k: &Kernel, out: &mut W) -> KResult<()> {
    out.write_all(b"[").map_err(io_err)?;
    for (i, s) in trade_slots(k).enumerate() {
        if i > 0 {
            out.write_all(b",").map_err(io_err)?;
        }
        json_to(out, &trade_record(s)?)?;
    }
    out.write_all(b"]").map_err(io_err)
}

/// `snapshot` written as JSON text into `out`: the same bytes as serialising `snapshot(k)` (keys in
/// serde_json's sorted order: anomalies, ledger, slots, trades), with the trades streamed by
/// `write_trades`.
pub fn write_snapshot<W: std::io::Write>(k: &Kernel, out: &mut W) -> KResult<()> {
    out.write_all(b"{\"anomalies\":").map_err(io_err)?;
    json_to(out, &k.anomalies.iter().map(anomaly_image).collect::<Vec<_>>())?;
    out.write_all(b",\"ledger\":").map_err(io_err)?;
    json_to(out, &ledger_image(&k.ledger))?;
    out.write_all(b",\"slots\":").map_err(io_err)?;
    // Through Value, as `snapshot` does: an object's keys come out sorted.
    let slots = serde_json::to_value(k.slots.iter().map(slot_image).collect::<Vec<SlotImage>>()).map_err(|e| crate::dec::KErr(e.to_string()))?;
    json_to(out, &slots)?;
    out.write_all(b",\"trades\":").map_err(io_err)?;
    write_trades(k, out)?;
    out.write_all(b"}").map_err(io_err)
}

pub fn find_trade<'a>(k: &'a Kernel, trade_id: &str) -> Option<&'a SlotState> {
    let lower = trade_id.to_ascii_lowercase();
    k.slots.iter().find(|s| s.trade_id.to_ascii_lowercase() == lower).or_else(|| k.archive.iter().rev().find(|s| s.trade_id.to_ascii_lowercase() == lower))
}

/// tradeRealized: the figure a sizer should learn from (docs/accounting.md §5.1): the trade's booked realized
/// (kernel estimate, repaired by exchange figures) and its fees; unaffected by capital jumps.
pub fn trade_realized(s: &SlotState) -> KResult<Value> {
    Ok(json!({
        "tradeId": s.trade_id,
        "realizedGrossUsdt": fmt(s.realized),
        "feesUsdt": fmt(s.fees),
        "realizedNetUsdt": fmt(dec::sub(s.realized, s.fees)?),
        "pnlSource": if s.exchange_realized.is_some() { "exchange" } else { "kernel_estimate" },
        "closed": s.stage == Stage::Closed,
    }))
}

pub fn anomaly_image(a: &AnomalyState) -> Value {
    let mut m = Map::new();
    m.insert("seq".into(), json!(a.seq));
    m.insert("tsUs".into(), json!(a.ts_us));
    m.insert("code".into(), json!(a.code));
    if let Some(t) = &a.trade_id {
        m.insert("tradeId".into(), json!(t));
    }
    m.insert("detail".into(), json!(a.detail));
    if let Some(x) = a.kernel_estimate {
        m.insert("kernelEstimateUsdt".into(), json!(fmt(x)));
    }
    if let Some(x) = a.exchange {
        m.insert("exchangeUsdt".into(), json!(fmt(x)));
    }
    Value::Object(m)
}

pub fn snapshot(k: &Kernel) -> KResult<Value> {
    let slots: Vec<SlotImage> = k.slots.iter().map(slot_image).collect();
    Ok(json!({
        "slots": slots,
        "ledger": ledger_image(&k.ledger),
        "trades": trades(k)?,
        "anomalies": k.anomalies.iter().map(anomaly_image).collect::<Vec<_>>(),
    }))
}

pub fn outcome_json(o: &Out, ledger_seq: u64) -> Value {
    let mut details = Map::new();
    for (key, v) in &o.details {
        details.insert(
            key.to_string(),
            match v {
                DVal::D(d) => Value::String(fmt(*d)),
                DVal::S(s) => Value::String(s.clone()),
                DVal::N(n) => json!(n),
                DVal::B(b) => Value::Bool(*b),
            },
        );
    }
    json!({
        "accepted": o.accepted,
        "code": o.code,
        "severity": o.severity,
        "message": o.message,
        "details": details,
        "transitions": o.transitions,
        "commands": o.commands,
        "ledgerSeq": ledger_seq,
    })
}
