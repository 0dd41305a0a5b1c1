//! Issue 11 "close every hole", natively: duplicate JSON keys, slot ids beyond 32 bits, the
//! persisted evicted-trade hash (FNV-1a 64) and the restore source-hash policy. The wasm32 side
//! of the slot-id truncation is tested through the .wasm in kernel/kernel.test.ts (native usize
//! is 64 bits, so this file cannot see that truncation).

use dita_kernel::api::Api;
use serde_json::{json, Value};

const CFG: &str = r#"{"slotCount":2,"initialCapitalUsdt":"1000","instruments":[{"symbol":"FET-USDT","tickSize":"0.0001","stepSize":"1"}],"archiveCapacity":1}"#;

fn outcome(env: Value) -> Value {
    assert_eq!(env["ok"], json!(true), "envelope {}", env);
    env["value"].clone()
}

fn saved(api: &mut Api) -> String {
    api.call("saveState", "null")["value"].as_str().expect("saveState").to_string()
}

fn call_ok(api: &mut Api, method: &str, v: Value) -> Value {
    let o = outcome(api.call(method, &v.to_string()));
    assert_eq!(o["accepted"], json!(true), "{} {} -> {}", method, v, o);
    o
}

/// Open (and optionally close) trade `t` on slot 0 with venue order ids derived from `n`.
fn trade(api: &mut Api, t: &str, n: u32, close: bool) {
    call_ok(api, "processIntent", json!({"kind":"ENTER","intentId":format!("e-{}",t),"tsUs":n*10,"slotId":0,"tradeId":t,"symbol":"FET-USDT","side":"LONG","quantity":"100","orderType":"MARKET","leverage":3}));
    let coid = format!("d2-{}-e1", t.to_ascii_lowercase());
    call_ok(api, "onVenueEvent", json!({"kind":"FULL_FILL","eventId":format!("f-{}",t),"tsUs":n*10+1,"symbol":"FET-USDT","clientOrderId":coid,"venueOrderId":format!("{}1",n),"fillQty":"100","fillPrice":"0.2"}));
    if close {
        call_ok(api, "processIntent", json!({"kind":"EXIT","intentId":format!("x-{}",t),"tsUs":n*10+2,"slotId":0,"orderType":"MARKET"}));
        let xcoid = format!("d2-{}-x1", t.to_ascii_lowercase());
        call_ok(api, "onVenueEvent", json!({"kind":"FULL_FILL","eventId":format!("g-{}",t),"tsUs":n*10+3,"symbol":"FET-USDT","clientOrderId":xcoid,"venueOrderId":format!("{}2",n),"fillQty":"100","fillPrice":"0.21"}));
    }
}

#[test]
fn issue11_duplicate_json_keys_are_refused_through_every_input_method_and_change_nothing() {
    let mut api = Api::create(CFG).expect("config");
    trade(&mut api, "t1", 1, false);
    let inputs: [(&str, &str, &str); 7] = [
        ("processIntent", r#"{"kind":"EXIT_RESIDUAL","intentId":"x9","tsUs":5,"slotId":1,"slotId":0,"orderType":"MARKET"}"#, "slotId"),
        ("onVenueEvent", r#"{"kind":"PARTIAL_FILL","eventId":"d1","tsUs":5,"symbol":"FET-USDT","clientOrderId":"d2-t1-e1","fillQty":"1","fillQty":"1000","fillPrice":"0.2"}"#, "fillQty"),
        ("markPrice", r#"{"tsUs":5,"symbol":"FET-USDT","markPrice":"0.2","markPrice":"9"}"#, "markPrice"),
        ("onAccountEvent", r#"{"kind":"FUNDING","eventId":"fu","tsUs":5,"symbol":"FET-USDT","amountUsdt":"1","amountUsdt":"-500"}"#, "amountUsdt"),
        ("anchorToExchange", r#"{"walletBalanceUsdt":"1","walletBalanceUsdt":"2","eventSeq":1}"#, "walletBalanceUsdt"),
        ("reconcile", r#"{"tsUs":5,"positions":[{"symbol":"FET-USDT","positionSide":"BOTH","quantity":"1","quantity":"100"}],"orders":[]}"#, "positions[0].quantity"),
        ("onAccountEvent", r#"{"kind":"FUNDING","\u006bind":"BALANCE","eventId":"fu2","tsUs":5,"symbol":"FET-USDT","amountUsdt":"1"}"#, "kind"),
    ];
    for (method, text, field) in inputs.iter() {
        let before = saved(&mut api);
        let o = outcome(api.call(method, text));
        assert_eq!(o["accepted"], json!(false), "{} {} -> {}", method, text, o);
        assert_eq!(o["details"]["field"], json!(field), "{} {} -> {}", method, text, o);
        assert!(o["message"].as_str().unwrap_or("").contains("duplicate"), "{}", o);
        assert_eq!(saved(&mut api), before, "{} changed the state", method);
    }
    // The same inputs without the duplicate are accepted: the refusal is about the duplicate.
    let o = outcome(api.call("markPrice", r#"{"tsUs":5,"symbol":"FET-USDT","markPrice":"0.2"}"#));
    assert_eq!(o["accepted"], json!(true), "{}", o);
}

#[test]
fn issue11_e7_slot_ids_beyond_32_bits_are_invalid_slot_not_slot_0() {
    let mut api = Api::create(CFG).expect("config");
    trade(&mut api, "t1", 1, false);
    for id in ["4294967296", "4294967297", "18446744073709551616", "9007199254740993", "-4294967296"] {
        let before = saved(&mut api);
        let text = format!(r#"{{"kind":"EXIT_RESIDUAL","intentId":"xr-{}","tsUs":50,"slotId":{},"orderType":"MARKET"}}"#, id.replace('-', "m"), id);
        let o = outcome(api.call("processIntent", &text));
        assert_eq!(o["accepted"], json!(false), "{} -> {}", text, o);
        assert!(o["code"] == json!("INVALID_SLOT") || o["code"] == json!("INVALID_INTENT"), "{} -> {}", text, o);
        assert_eq!(o["details"]["field"], json!("slotId"), "{}", o);
        assert_eq!(o["commands"], json!([]), "{}", o);
        assert_eq!(saved(&mut api), before);
    }
    let env = api.call("slot", "4294967296");
    assert_eq!(env["ok"], json!(false), "{}", env);
    assert_eq!(env["outcome"]["code"], json!("INVALID_SLOT"));
}

#[test]
fn issue11_evicted_trade_ids_persist_as_fnv1a64_a_fixed_function() {
    let mut api = Api::create(CFG).expect("config");
    trade(&mut api, "T1", 1, true);
    trade(&mut api, "t2", 2, true);
    trade(&mut api, "t3", 3, false); // archive holds t1, t2 > capacity 1: T1 is evicted
    let st: Value = serde_json::from_str(&saved(&mut api)).expect("state json");
    // FNV-1a 64 of "t1" (lower-cased), the vector documented in kernel/README.md "Saved state".
    assert_eq!(st["evictedTradeHashes"], json!([632_754_681_242_344_982u64]), "{}", st["evictedTradeHashes"]);
    assert_eq!(st["format"], json!("dita-kernel-state/3"));
    // The evicted id stays taken (E7), also after a restore.
    let text = saved(&mut api);
    let mut fresh = Api::create(CFG).expect("config");
    assert_eq!(outcome(fresh.call("restoreState", &text))["accepted"], json!(true));
    let o = outcome(fresh.call("processIntent", &json!({"kind":"ENTER","intentId":"e-again","tsUs":99,"slotId":1,"tradeId":"t1","symbol":"FET-USDT","side":"LONG","quantity":"1","orderType":"MARKET","leverage":3}).to_string()));
    assert_eq!(o["code"], json!("DUPLICATE_TRADE_ID"), "{}", o);
}

/// docs/accounting.md §One-way netting: state format 3 carries the netting mirror; a format-2
/// state (no mirror) is refused naming `format`, not as a parse error, and nothing changes.
#[test]
fn netting_state_format_2_refused_naming_format() {
    let mut api = Api::create(CFG).expect("config");
    trade(&mut api, "T1", 1, false);
    let mut st: Value = serde_json::from_str(&saved(&mut api)).expect("state json");
    assert!(st["netting"].is_array(), "format 3 saves the netting mirror: {}", st);
    st["format"] = json!("dita-kernel-state/2");
    st.as_object_mut().expect("object").remove("netting");
    let mut fresh = Api::create(CFG).expect("config");
    let o = outcome(fresh.call("restoreState", &st.to_string()));
    assert_eq!(o["accepted"], json!(false), "{}", o);
    assert_eq!(o["code"], json!("INVALID_STATE"), "{}", o);
    assert_eq!(o["details"]["field"], json!("format"), "{}", o);
}

#[test]
fn issue11_restore_refuses_a_state_saved_by_another_kernel_build() {
    let mut api = Api::create(CFG).expect("config");
    trade(&mut api, "t1", 1, false);
    let mut st: Value = serde_json::from_str(&saved(&mut api)).expect("state json");
    st["sourceHash"] = json!("f".repeat(64));
    let mut fresh = Api::create(CFG).expect("config");
    let before = saved(&mut fresh);
    let o = outcome(fresh.call("restoreState", &st.to_string()));
    assert_eq!(o["code"], json!("INVALID_STATE"), "{}", o);
    assert_eq!(o["details"]["field"], json!("sourceHash"), "{}", o);
    assert_eq!(saved(&mut fresh), before);
}
