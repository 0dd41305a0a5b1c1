//! Issue 12 (peak RSS of a long run): `Api::call_into`, which the WebAssembly export writes
//! straight into its result buffer, streams `snapshot` and `trades` one trade record at a time.
//! Its bytes must be exactly those of serialising the Value `Api::call` returns, for every method.

use dita_kernel::api::Api;
use serde_json::{json, Value};

const CFG: &str = r#"{"slotCount":3,"initialCapitalUsdt":"1000","instruments":[{"symbol":"FET-USDT","tickSize":"0.0001","stepSize":"1"},{"symbol":"BTC-USDT","tickSize":"0.1","stepSize":"0.001"}],"archiveCapacity":4}"#;

fn ok(api: &mut Api, method: &str, v: Value) {
    let env = api.call(method, &v.to_string());
    assert_eq!(env["value"]["accepted"], json!(true), "{} {} -> {}", method, v, env);
}

/// Slot `slot` opens trade `t` (100 FET @ 0.2, two partial fills) and, with `close`, exits it at 0.21.
fn trade(api: &mut Api, slot: u32, t: &str, n: u32, close: bool) {
    ok(api, "processIntent", json!({"kind":"ENTER","intentId":format!("e-{}",t),"tsUs":n*10,"slotId":slot,"tradeId":t,"symbol":"FET-USDT","side":"LONG","quantity":"100","orderType":"MARKET","leverage":3}));
    let coid = format!("d2-{}-e1", t.to_ascii_lowercase());
    ok(api, "onVenueEvent", json!({"kind":"PARTIAL_FILL","eventId":format!("f1-{}",t),"tsUs":n*10+1,"symbol":"FET-USDT","clientOrderId":coid,"venueOrderId":format!("{}1",n),"fillQty":"40","fillPrice":"0.2"}));
    ok(api, "onVenueEvent", json!({"kind":"FULL_FILL","eventId":format!("f2-{}",t),"tsUs":n*10+2,"symbol":"FET-USDT","clientOrderId":coid,"venueOrderId":format!("{}1",n),"fillQty":"60","fillPrice":"0.2001"}));
    if close {
        ok(api, "processIntent", json!({"kind":"EXIT","intentId":format!("x-{}",t),"tsUs":n*10+3,"slotId":slot,"orderType":"MARKET"}));
        let xcoid = format!("d2-{}-x1", t.to_ascii_lowercase());
        ok(api, "onVenueEvent", json!({"kind":"FULL_FILL","eventId":format!("g-{}",t),"tsUs":n*10+4,"symbol":"FET-USDT","clientOrderId":xcoid,"venueOrderId":format!("{}2",n),"fillQty":"100","fillPrice":"0.21"}));
    }
}

/// A kernel with archived trades (more than the archive holds, so some are evicted), an open
/// trade on another slot and a mark price.
fn busy() -> Api {
    let mut api = Api::create(CFG).expect("config");
    for n in 1..=7 {
        trade(&mut api, 0, &format!("t{}", n), n, true);
    }
    trade(&mut api, 1, "open1", 50, false);
    ok(&mut api, "markPrice", json!({"symbol":"FET-USDT","markPrice":"0.205","tsUs":600}));
    api
}

#[test]
fn issue12_call_into_writes_the_same_bytes_as_the_value_of_call_for_every_read_method() {
    let methods: [(&str, &str); 8] = [("snapshot", "null"), ("trades", "null"), ("saveState", "null"), ("ledger", "null"), ("slot", "1"), ("slot", "9"), ("tradeRealized", "\"t3\""), ("noSuchMethod", "null")];
    for (m, input) in methods {
        let mut a = busy();
        let mut b = busy();
        let expected = a.call(m, input).to_string();
        let mut out = b"prefix".to_vec(); // call_into appends: what was there stays
        b.call_into(m, input, &mut out);
        assert_eq!(&out[..6], b"prefix", "{}", m);
        assert_eq!(String::from_utf8(out[6..].to_vec()).expect("utf8"), expected, "method {} {}", m, input);
    }
    // The snapshot lists archived trades first (capacity 4: t3–t6; t1, t2 evicted), then the
    // trades slots hold (t7 closed on slot 0, open1 open on slot 1).
    let snap: Value = serde_json::from_str(&busy().call("snapshot", "null").to_string()).expect("json");
    let ids: Vec<&str> = snap["value"]["trades"].as_array().expect("trades").iter().map(|t| t["tradeId"].as_str().expect("id")).collect();
    assert_eq!(ids, ["t3", "t4", "t5", "t6", "t7", "open1"], "{}", snap["value"]["trades"]);
}

#[test]
fn issue12_call_into_of_a_write_method_changes_the_kernel_as_call_does() {
    let mut a = busy();
    let mut b = busy();
    let intent = json!({"kind":"ENTER","intentId":"e-new","tsUs":900,"slotId":2,"tradeId":"new","symbol":"FET-USDT","side":"SHORT","quantity":"10","orderType":"MARKET","leverage":2}).to_string();
    let expected = a.call("processIntent", &intent).to_string();
    let mut out = Vec::new();
    b.call_into("processIntent", &intent, &mut out);
    assert_eq!(String::from_utf8(out).expect("utf8"), expected);
    assert_eq!(a.call("saveState", "null"), b.call("saveState", "null"));
}
