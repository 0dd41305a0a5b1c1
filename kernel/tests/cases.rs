//! Runs the behaviour-case table kernel/cases/*.json natively (the same table runs through the
//! .wasm in kernel/kernel.test.ts). Step semantics are documented in kernel/README.md "Cases".

use dita_kernel::api::Api;
use serde_json::{json, Value};
use std::fs;
use std::path::PathBuf;

pub fn default_config() -> Value {
    json!({"slotCount": 4, "initialCapitalUsdt": "10000", "instruments": [
        {"symbol": "FET-USDT", "tickSize": "0.0001", "stepSize": "1"},
        {"symbol": "BTC-USDT", "tickSize": "0.1", "stepSize": "0.001", "minQty": "0.001"}]})
}

fn subset(expected: &Value, actual: &Value, path: &str) -> Result<(), String> {
    match expected {
        Value::Null => match actual {
            Value::Null => Ok(()),
            other => Err(format!("{}: expected absent/null, got {}", path, other)),
        },
        Value::Object(m) => {
            let a = actual.as_object().ok_or_else(|| format!("{}: expected an object, got {}", path, actual))?;
            for (k, v) in m {
                if k.starts_with('$') {
                    continue;
                }
                let av = a.get(k).cloned().unwrap_or(Value::Null);
                subset(v, &av, &format!("{}.{}", path, k))?;
            }
            Ok(())
        }
        Value::Array(ev) => {
            let av = actual.as_array().ok_or_else(|| format!("{}: expected an array, got {}", path, actual))?;
            if ev.len() != av.len() {
                return Err(format!("{}: expected {} elements, got {}: {}", path, ev.len(), av.len(), actual));
            }
            for (i, (e, a)) in ev.iter().zip(av.iter()).enumerate() {
                subset(e, a, &format!("{}[{}]", path, i))?;
            }
            Ok(())
        }
        Value::Number(n) => {
            if actual.as_f64() == n.as_f64() {
                Ok(())
            } else {
                Err(format!("{}: expected {}, got {}", path, n, actual))
            }
        }
        other => {
            if other == actual {
                Ok(())
            } else {
                Err(format!("{}: expected {}, got {}", path, other, actual))
            }
        }
    }
}

fn substitute(v: &Value, i: usize) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace("{i}", &i.to_string())),
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute(x, i)).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), substitute(x, i))).collect()),
        other => other.clone(),
    }
}

fn pointer_set(root: &mut Value, ptr: &str, val: Value) -> Result<(), String> {
    let (parent, last) = match ptr.rfind('/') {
        Some(i) => (&ptr[..i], &ptr[i + 1..]),
        None => return Err(format!("bad pointer {}", ptr)),
    };
    let p = root.pointer_mut(parent).ok_or_else(|| format!("pointer parent {} missing", parent))?;
    match p {
        Value::Object(m) => {
            m.insert(last.to_string(), val);
            Ok(())
        }
        Value::Array(a) => {
            let i: usize = last.parse().map_err(|_| format!("bad index {}", last))?;
            if i >= a.len() {
                return Err(format!("index {} out of range", i));
            }
            a[i] = val;
            Ok(())
        }
        _ => Err(format!("pointer parent {} is not a container", parent)),
    }
}

fn value_of(env: Value, what: &str) -> Result<Value, String> {
    if env["ok"] == Value::Bool(true) {
        Ok(env["value"].clone())
    } else if env.get("outcome").is_some() {
        Ok(env["outcome"].clone())
    } else {
        Err(format!("{}: malformed envelope {}", what, env))
    }
}

/// Snapshot with STALE_STATE_RECONCILING slots shown at their resume stage (saveRestore check).
fn normalized_snapshot(api: &mut Api) -> Value {
    let mut s = api.call("snapshot", "null")["value"].clone();
    if let Some(slots) = s["slots"].as_array_mut() {
        for sl in slots.iter_mut() {
            if sl["stage"] == "STALE_STATE_RECONCILING" {
                let r = sl["resumeStage"].clone();
                sl["stage"] = r;
                if let Some(m) = sl.as_object_mut() {
                    m.remove("resumeStage");
                }
            }
        }
    }
    s
}

fn run_step(api: &mut Api, config: &str, step: &Value, n: usize) -> Result<(), String> {
    let call = step["call"].as_str().ok_or("step without call")?;
    if call == "repeat" {
        let count = step["count"].as_u64().ok_or("repeat without count")? as usize;
        for i in 1..=count {
            for s in step["steps"].as_array().ok_or("repeat without steps")? {
                run_step(api, config, &substitute(s, i), n)?;
            }
        }
        return Ok(());
    }
    // A step without "expect" only has to run (its outcome is not checked).
    let expect = step.get("expect").cloned().unwrap_or_else(|| json!({}));
    let unchanged = expect.get("$unchanged") == Some(&Value::Bool(true));
    let before = if unchanged { Some(api.call("snapshot", "null").to_string()) } else { None };
    let input_text = match step.get("input") {
        Some(Value::String(s)) if call == "restoreState" => s.clone(),
        Some(v) => v.to_string(),
        None => "null".to_string(),
    };
    let actual = match call {
        "saveRestore" => {
            let before = normalized_snapshot(api);
            let saved = value_of(api.call("saveState", "null"), "saveState")?;
            let text = saved.as_str().ok_or("saveState did not return a string")?.to_string();
            let mut fresh = Api::create(config).map_err(|e| e.to_string())?;
            let out = value_of(fresh.call("restoreState", &text), "restoreState")?;
            *api = fresh;
            let after = normalized_snapshot(api);
            if before != after {
                return Err(format!("saveRestore changed the state:\nbefore {}\nafter  {}", before, after));
            }
            out
        }
        "restoreTampered" => {
            let saved = value_of(api.call("saveState", "null"), "saveState")?;
            let mut st: Value = serde_json::from_str(saved.as_str().ok_or("saveState not a string")?).map_err(|e| e.to_string())?;
            for s in step["set"].as_array().ok_or("restoreTampered without set")? {
                pointer_set(&mut st, s[0].as_str().ok_or("bad set")?, s[1].clone())?;
            }
            let before = api.call("snapshot", "null").to_string();
            let mut fresh = Api::create(config).map_err(|e| e.to_string())?;
            let out = value_of(fresh.call("restoreState", &st.to_string()), "restoreState")?;
            if api.call("snapshot", "null").to_string() != before {
                return Err("restoreTampered changed the current kernel".into());
            }
            out
        }
        "slot" | "ledger" | "trades" | "snapshot" | "tradeRealized" | "processIntent" | "onVenueEvent" | "markPrice" | "onAccountEvent" | "anchorToExchange" | "reconcile" | "restoreState" => {
            value_of(api.call(call, &input_text), call)?
        }
        other => return Err(format!("unknown call {}", other)),
    };
    subset(&expect, &actual, "").map_err(|e| format!("{}{}\n  actual: {}", call, e, actual))?;
    if let Some(b) = before {
        let after = api.call("snapshot", "null").to_string();
        if b != after {
            return Err(format!("{}: state changed although $unchanged\n before {}\n after  {}", call, b, after));
        }
    }
    Ok(())
}

pub fn run_case(path: &PathBuf) -> Result<(), String> {
    let text = fs::read_to_string(path).map_err(|e| e.to_string())?;
    let case: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let config = case.get("config").cloned().unwrap_or_else(default_config).to_string();
    let mut api = Api::create(&config).map_err(|e| e.to_string())?;
    for (n, step) in case["steps"].as_array().ok_or("no steps")?.iter().enumerate() {
        run_step(&mut api, &config, step, n).map_err(|e| format!("step {}: {}", n, e))?;
    }
    Ok(())
}

#[test]
fn behaviour_case_table() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cases");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir).expect("cases dir").filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().map(|x| x == "json").unwrap_or(false)).collect();
    files.sort();
    assert!(files.len() >= 20, "expected the case table, found {} files", files.len());
    let mut failures = Vec::new();
    for f in &files {
        if let Err(e) = run_case(f) {
            failures.push(format!("{}: {}", f.file_name().unwrap().to_string_lossy(), e));
        }
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n\n"));
}

/// One named native test per case file (names carry the seed flaw IDs); the table test above
/// also runs any case file not listed here.
macro_rules! case {
    ($name:ident, $file:expr) => {
        #[test]
        fn $name() {
            let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cases").join($file);
            if let Err(e) = run_case(&p) {
                panic!("{}: {}", $file, e);
            }
        }
    };
}
case!(a4_specs01_l3_i3_basis_missing, "basis_missing.json");
case!(i15_e17_f17_g9_cancel_reject, "cancel_reject.json");
case!(flaw10_m6_f26_i10_dedup, "dedup.json");
case!(specs01_a7_e18_g5_dual_leverage_fees, "dual_leverage_fees.json");
case!(flaw1_flaw2_a2_e9_g10_m2_f1_entry_cancel, "entry_cancel.json");
case!(flaw1_flaw2_m4_entry_cancel_partial, "entry_cancel_partial.json");
case!(specs01_l16_g9_entry_fill_during_exit, "entry_fill_during_exit.json");
case!(a1_e8_flaw4_g4_g3_m1_i13_m13_g18_i20_exit_legs, "exit_legs.json");
case!(specs01_specs52_l3_flaw5_exit_no_price_repair, "exit_no_price_repair.json");
case!(a3_i8_l2_exit_overfill, "exit_overfill.json");
case!(specs7_specs01_a13_e23_g21_e10a_fet_golden, "fet_golden.json");
case!(specs7_fet_long_mirror, "fet_long_mirror.json");
case!(specs52_designinv3_fill_settled_anomaly, "fill_settled_anomaly.json");
case!(i1_e10_e10a_fills_incremental_cumulative, "fills_incremental_cumulative.json");
case!(l5_specs31_specs41_t2_e18_a6_m13_ledger_anchor, "ledger_anchor.json");
case!(a4_j4_g6_specs01_mark_unrealized, "mark_unrealized.json");
case!(i21_kernelreferences5_rate_limited, "rate_limited.json");
case!(flaw11_g8_j7_g14_m15_p5_restore_validation, "restore_validation.json");
case!(g13_j8_flaw9_l16_routing, "routing.json");
case!(g13_j8_routing_ambiguous, "routing_ambiguous.json");
case!(flaw5_specs03_e18_settlement_incremental, "settlement_incremental.json");
case!(kernelreferences5_i4_stage_reachability, "stage_reachability.json");
case!(m9_m8_stale_order_reject, "stale_order_reject.json");
case!(flaw11_i14_q11_specs03_stale_reconcile, "stale_reconcile.json");
case!(g7_f3_a8_q2_q7_q8_h6_g12_flaw6_e3_m18_flaw8_g18_e7_validation, "validation.json");
case!(i2_f3_g1_zero_size_exit, "zero_size_exit.json");
case!(s52_designinv3_fill_settled_early, "fill_settled_early.json");
case!(specs52_designinv3_fill_settled_merged, "fill_settled_merged.json");
case!(g13_j8_specs62_i13_routing_retired, "routing_retired.json");
case!(flaw8_flaw9_issue11_symbol_every_kind, "symbol_every_kind.json");
case!(specs52_e10a_netting_rebase_exit_before_entry_basis, "netting_rebase_exit_before_entry_basis.json");
