//! G2, P2, P4: no input makes the kernel panic (which would trap across the WebAssembly boundary).
//! Seeded mutations of valid inputs through every JSON method, and random / corrupted bytes
//! through the batch ABI. A panic fails the test; every call must return an envelope; and every
//! refused input leaves the saved state byte-identical (issue 11: refusals change nothing; an
//! UNRESOLVED_SLOT that parks its input is the documented exception, kernel/README.md "Parked").

use dita_kernel::api::{Api, METHODS};
use dita_kernel::batch::{encode_event, process_batch, RecordSpec};
use dita_kernel::stream::{bench_config, bench_stream, XorShift};

const SEEDS: [&str; 8] = [
    r#"{"kind":"ENTER","intentId":"i1","tsUs":1,"slotId":0,"tradeId":"t1","symbol":"FET-USDT","side":"LONG","quantity":"100","orderType":"LIMIT","limitPrice":"0.2","leverage":3,"exitLegRatios":["0.5","0.5"]}"#,
    r#"{"kind":"FULL_FILL","eventId":"f1","tsUs":2,"symbol":"FET-USDT","clientOrderId":"d2-t1-e1","venueOrderId":"1900000000000000001","fillQty":"100","fillPrice":"0.2","feeUsdt":"0.01","quantityMode":"CUMULATIVE","feeMode":"CUMULATIVE"}"#,
    r#"{"kind":"EXIT","intentId":"x1","tsUs":3,"slotId":0,"orderType":"MARKET","ratio":"0.5"}"#,
    r#"{"tsUs":4,"symbol":"FET-USDT","markPrice":"0.21"}"#,
    r#"{"kind":"FILL_SETTLED","eventId":"s1","tsUs":5,"symbol":"FET-USDT","tradeId":"t1","realizedPnlUsdt":"1.5","feeUsdt":"0.01"}"#,
    r#"{"walletBalanceUsdt":"1000","availableMarginUsdt":"900","eventSeq":3}"#,
    r#"{"tsUs":6,"positions":[{"symbol":"FET-USDT","positionSide":"BOTH","quantity":"100"}],"orders":[{"symbol":"FET-USDT","venueOrderId":"1","clientOrderId":"d2-t1-x1","status":"FILLED","executedQty":"50","avgPrice":"0.2","feeUsdt":"0.01"}]}"#,
    r#"{"kind":"CANCEL","intentId":"c1","tsUs":7,"slotId":0}"#,
];

const NASTY: [&str; 14] = ["\"NaN\"", "\"-0\"", "1e308", "-1", "\"99999999999999999999999999999\"", "\"0.000000000000000000001\"", "null", "[]", "{}", "\"\"", "\"\\u0000\"", "18446744073709551616", "\"1000000000000000\"", "\"-1000000000000000\""];

fn mutate(rng: &mut XorShift, s: &str) -> String {
    let mut b: Vec<u8> = s.as_bytes().to_vec();
    if b.is_empty() {
        return String::new();
    }
    match rng.below(6) {
        0 => {
            let i = rng.below(b.len() as u64) as usize;
            b[i] = (rng.next() & 0xff) as u8;
        }
        1 => {
            let i = rng.below(b.len() as u64) as usize;
            b.truncate(i);
        }
        2 => {
            // replace one value after a ':' with a nasty literal
            let colons: Vec<usize> = b.iter().enumerate().filter(|(_, c)| **c == b':').map(|(i, _)| i).collect();
            if !colons.is_empty() {
                let at = colons[rng.below(colons.len() as u64) as usize] + 1;
                let end = b[at..].iter().position(|c| *c == b',' || *c == b'}').map(|p| at + p).unwrap_or(b.len());
                let nasty = NASTY[rng.below(NASTY.len() as u64) as usize];
                b.splice(at..end, nasty.bytes());
            }
        }
        3 => {
            let i = rng.below(b.len() as u64) as usize;
            b.insert(i, b"{[\",:0-."[rng.below(8) as usize]);
        }
        4 => {
            let i = rng.below(b.len() as u64) as usize;
            b.remove(i);
        }
        _ => {}
    }
    String::from_utf8_lossy(&b).into_owned()
}

fn saved(api: &mut Api) -> String {
    api.call("saveState", "null").to_string()
}

/// A refused call: a getter's `ok:false` envelope, or an outcome with `accepted:false` that did
/// not park its input (a parked id-only event is kept for replay by design).
fn is_refusal(env: &serde_json::Value) -> bool {
    if env["ok"] == serde_json::Value::Bool(false) {
        return true;
    }
    let o = &env["value"];
    o["accepted"] == serde_json::Value::Bool(false) && o["details"]["parked"] != serde_json::Value::Bool(true)
}

#[test]
fn g2_p2_p4_mutated_json_inputs_never_panic_and_refusals_change_nothing() {
    let cfg = r#"{"slotCount":2,"initialCapitalUsdt":"1000","instruments":[{"symbol":"FET-USDT","tickSize":"0.0001","stepSize":"1"}]}"#;
    let mut api = Api::create(cfg).expect("config");
    let mut rng = XorShift(0xDEAD_BEEF_1234_5678);
    let mut refused = 0;
    let mut current = saved(&mut api);
    for _ in 0..40_000 {
        let seed = SEEDS[rng.below(SEEDS.len() as u64) as usize];
        let once = mutate(&mut rng, seed);
        let text = mutate(&mut rng, &once);
        let method = METHODS[rng.below(METHODS.len() as u64) as usize];
        let env = api.call(method, &text);
        assert!(env.get("ok").and_then(|v| v.as_bool()).is_some(), "{} {:?} -> {}", method, text, env);
        let after = saved(&mut api);
        if is_refusal(&env) {
            refused += 1;
            assert_eq!(after, current, "refused {} {:?} -> {} changed the saved state", method, text, env);
        }
        current = after;
    }
    // The mutations are mostly refused: the state check above ran on most calls.
    assert!(refused > 20_000, "only {} of 40000 mutated inputs were refused", refused);
    // Bad configs are refused, not panics.
    for _ in 0..2_000 {
        let text = mutate(&mut rng, cfg);
        let _ = Api::create(&text);
    }
}

/// Issue 11: a corrupted single batch record refused by validation (INVALID_EVENT) leaves the
/// saved state byte-identical.
#[test]
fn g2_p2_p4_corrupted_batch_records_refused_by_validation_change_nothing() {
    let mut api = Api::create(&bench_config(4)).expect("config");
    let good = bench_stream(120, 5, 4);
    // Record boundaries: [u32 len LE][...] each.
    let mut recs: Vec<(usize, usize)> = Vec::new();
    let mut off = 0;
    while off + 8 <= good.len() {
        let len = u32::from_le_bytes([good[off], good[off + 1], good[off + 2], good[off + 3]]) as usize;
        if len < 8 || off + len > good.len() {
            break;
        }
        recs.push((off, len));
        off += len;
    }
    assert!(recs.len() >= 120, "bench stream decoded into {} records", recs.len());
    // Warm the kernel up with the first half so slots hold orders and positions.
    let (half_off, _) = recs[recs.len() / 2];
    let _ = process_batch(&mut api.kernel, &good[..half_off]);
    let mut rng = XorShift(4242);
    let mut checked = 0;
    for &(off, len) in &recs[recs.len() / 2..] {
        for _ in 0..12 {
            let mut rec = good[off..off + len].to_vec();
            let i = 4 + rng.below((len - 4) as u64) as usize;
            rec[i] = (rng.next() & 0xff) as u8;
            let before = api.kernel.save("").expect("save");
            let r = process_batch(&mut api.kernel, &rec);
            // result: [u32 count][u32 seq] then 8-byte records: code, accepted, ...
            if r.len() >= 16 && r[8] == 2 && r[9] == 0 {
                checked += 1;
                assert_eq!(api.kernel.save("").expect("save"), before, "a record refused with INVALID_EVENT changed the state (byte {} of {})", i, len);
            }
        }
        let _ = process_batch(&mut api.kernel, &good[off..off + len]);
    }
    assert!(checked > 50, "only {} corrupted records were refused by validation", checked);
}

#[test]
fn g2_p2_p4_corrupted_batches_never_panic() {
    let mut api = Api::create(&bench_config(4)).expect("config");
    let good = bench_stream(2_000, 3, 4);
    let mut rng = XorShift(77);
    for round in 0..300 {
        let mut b = good.clone();
        for _ in 0..(1 + rng.below(20)) {
            let i = rng.below(b.len() as u64) as usize;
            b[i] = (rng.next() & 0xff) as u8;
        }
        if round % 3 == 0 {
            let cut = rng.below(b.len() as u64) as usize;
            b.truncate(cut);
        }
        let r = process_batch(&mut api.kernel, &b);
        assert!(r.len() >= 8);
    }
    let random: Vec<u8> = (0..100_000).map(|_| (rng.next() & 0xff) as u8).collect();
    let _ = process_batch(&mut api.kernel, &random);
    // Extreme mantissas and scales in a well-formed record.
    let mut rec = Vec::new();
    encode_event(&mut rec, &RecordSpec { kind: 1, event_id: "x", symbol: "FET-USDT", client_order_id: "d2-b0s0-e1", qty: Some((i64::MAX, 0)), price: Some((i64::MIN, 28)), fee: Some((i64::MAX, 20)), ..Default::default() });
    let r = process_batch(&mut api.kernel, &rec);
    assert_eq!(u32::from_le_bytes([r[0], r[1], r[2], r[3]]), 1);
}
