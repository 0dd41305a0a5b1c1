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
