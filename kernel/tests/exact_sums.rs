//! Exact decimal bookkeeping over 1,000,000 random fills (issue 2: "A test sums 1,000,000 random
//! fills and gets the exact decimal sum"), checked against independent i128 integer arithmetic.

use dita_kernel::api::Api;
use dita_kernel::input::{VenueEvent, VenueKind};
use dita_kernel::stream::XorShift;
use rust_decimal::Decimal;

fn fill(i: u64, coid: &str, qty_milli: i64, price_ticks: i64) -> VenueEvent {
    VenueEvent {
        kind: VenueKind::PartialFill,
        event_id: format!("f{}", i),
        ts_us: i as i64,
        symbol: "BTC-USDT".into(),
        venue_order_id: None,
        client_order_id: Some(coid.into()),
        slot_hint: None,
        fill_qty: Some(Decimal::new(qty_milli, 3)),
        cumulative_qty: false,
        fill_price: Some(Decimal::new(price_ticks, 1)),
        fee: Some(Decimal::new(qty_milli * price_ticks, 8)),
        cumulative_fee: false,
        venue_code: None,
        reason: None,
        retry_after_ms: None,
    }
}

#[test]
fn one_million_random_fills_sum_exactly_e10_i1() {
    let cfg = r#"{"slotCount":1,"initialCapitalUsdt":"1000","instruments":[{"symbol":"BTC-USDT","tickSize":"0.1","stepSize":"0.001"}]}"#;
    let mut api = Api::create(cfg).expect("config");
    let out = api.call("processIntent", r#"{"kind":"ENTER","intentId":"e","tsUs":0,"slotId":0,"tradeId":"big","symbol":"BTC-USDT","side":"LONG","quantity":"900000000000","orderType":"MARKET","leverage":5}"#);
    assert_eq!(out["value"]["code"], "OK", "{}", out);
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let n: u64 = 1_000_000;
    let (mut qty_sum, mut notional_sum, mut fee_sum): (i128, i128, i128) = (0, 0, 0);
    for i in 0..n {
        let q = 1 + rng.below(999_999) as i64; // 0.001 .. 999.999
        let p = 10_000 + rng.below(900_000) as i64; // 1000.0 .. 90999.9
        qty_sum += q as i128;
        notional_sum += (q as i128) * (p as i128); // scale 4
        fee_sum += (q as i128) * (p as i128); // scale 8
        let o = api.kernel.on_venue_event(&fill(i, "d2-big-e1", q, p));
        assert_eq!(o.code, dita_kernel::model::Code::Ok, "fill {}: {}", i, o.message);
    }
    let s = &api.kernel.slots[0];
    assert_eq!(s.size, Decimal::from_i128_with_scale(qty_sum, 3));
    assert_eq!(s.initial_size, Decimal::from_i128_with_scale(qty_sum, 3));
    assert_eq!(s.entry_notional, Decimal::from_i128_with_scale(notional_sum, 4));
    assert_eq!(s.fees, Decimal::from_i128_with_scale(fee_sum, 8));
    assert_eq!(s.seen_event_ids.len(), n as usize);
    // Ledger: fees settled exactly, capital = 1000 − Σ fees.
    assert_eq!(api.kernel.ledger.fees_paid, Decimal::from_i128_with_scale(fee_sum, 8));
    assert_eq!(api.kernel.ledger.capital, Decimal::from(1000) - Decimal::from_i128_with_scale(fee_sum, 8));
    // A replay of an early event is still a duplicate after a million (Flaw 10, M6).
    let o = api.kernel.on_venue_event(&fill(3, "d2-big-e1", 1, 10_000));
    assert_eq!(o.code, dita_kernel::model::Code::DuplicateEvent);
}
