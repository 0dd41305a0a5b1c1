//! JSON-level API shared by the WebAssembly exports (abi.rs) and the native tests/bench:
//! one method name + one JSON text in, one JSON envelope out. Never panics.
//!
//! Envelope: `{"ok":true,"value":<Outcome | image>}` or, for a getter refused on bad input,
//! `{"ok":false,"outcome":<Outcome>}`. Outcome-returning methods always answer `ok:true`.

use crate::dec;
use crate::fields::{FieldError, Obj};
use crate::image;
use crate::input;
use crate::kernel::Kernel;
use crate::model::{Code, Out, Severity};
use serde_json::{json, Value};

/// SHA-256 of the kernel sources + feature list, embedded at build time by
/// scripts/build-kernel.mjs (stale-binary guard, docs/accounting.md §0.1, §8.3).
pub const SOURCE_HASH: &str = match option_env!("DITA_KERNEL_SOURCE_HASH") {
    Some(h) => h,
    None => "unbuilt",
};
/// Cargo features the artifact was built with (comma separated, sorted), e.g. "mutant_x".
pub const FEATURES: &str = match option_env!("DITA_KERNEL_FEATURES") {
    Some(f) => f,
    None => "",
};

/// Method names, in ABI order (method code = index + 1).
pub const METHODS: [&str; 13] = [
    "processIntent",
    "onVenueEvent",
    "markPrice",
    "onAccountEvent",
    "anchorToExchange",
    "slot",
    "snapshot",
    "ledger",
    "trades",
    "tradeRealized",
    "saveState",
    "restoreState",
    "reconcile",
];

pub struct Api {
    pub kernel: Kernel,
}

fn field_out(code: Code, e: &FieldError) -> Out {
    Out::refuse(code, format!("{} {}: {}", e.field, e.value, e.reason)).ds("field", &e.field).ds("value", &e.value)
}

/// Parse an input's JSON text, refusing syntax errors (field `(json)`) and duplicate keys (field =
/// the key's path) with `code` (issue 11: serde_json would silently keep the last duplicate).
fn parse_json(text: &str, code: Code) -> Result<Value, Out> {
    crate::validate::parse_json_strict(text).map_err(|e| Out::refuse(code, e.message).ds("field", &e.field))
}

impl Api {
    /// Create a kernel from a KernelConfig JSON text. Err = an INVALID_INTENT outcome naming the field.
    pub fn create(config_json: &str) -> Result<Api, Value> {
        let v = parse_json(config_json, Code::InvalidIntent).map_err(|o| image::outcome_json(&o, 0))?;
        match input::parse_config(&v) {
            Ok(cfg) => Ok(Api { kernel: Kernel::new(cfg) }),
            Err(e) => Err(image::outcome_json(&field_out(Code::InvalidIntent, &e), 0)),
        }
    }

    /// Outcome envelope; `changedSlots` = the slots the call wrote to (model::Slots).
    fn outcome(&mut self, o: Out) -> Value {
        let changed = self.kernel.slots.take_written();
        let mut v = image::outcome_json(&o, self.kernel.ledger.event_seq);
        if let Some(m) = v.as_object_mut() {
            m.insert("changedSlots".into(), json!(crate::typed::mask_ids(changed)));
        }
        json!({"ok": true, "value": v})
    }
    fn refuse(&self, o: Out) -> Value {
        json!({"ok": false, "outcome": image::outcome_json(&o, self.kernel.ledger.event_seq)})
    }
    fn value(&self, v: Value) -> Value {
        json!({"ok": true, "value": v})
    }

    /// `call`, appended to `out` as its JSON text: the same bytes as `call(method, text).to_string()`
    /// (a test compares them). `snapshot` and `trades` write their trade records one at a time
    /// (image::write_snapshot / write_trades) instead of building one Value tree of every trade:
    /// at the end of a 48 h run that tree grew the WebAssembly memory, which never shrinks, from
    /// 16 MB to 46 MB (issue 12, peak RSS of a long `dita run`). Every other method serialises the
    /// Value `call` returns straight into `out`.
    pub fn call_into(&mut self, method: &str, text: &str, out: &mut Vec<u8>) {
        let start = out.len();
        let v = match method {
            "snapshot" | "trades" => {
                self.kernel.slots.take_written();
                out.extend_from_slice(b"{\"ok\":true,\"value\":");
                let r = if method == "snapshot" { image::write_snapshot(&self.kernel, out) } else { image::write_trades(&self.kernel, out) };
                match r {
                    Ok(()) => {
                        out.push(b'}');
                        return;
                    }
                    Err(e) => {
                        out.truncate(start);
                        self.refuse(Out::new(false, Code::Internal, Severity::Critical, e.0))
                    }
                }
            }
            _ => self.call(method, text),
        };
        if let Err(e) = serde_json::to_writer(&mut *out, &v) {
            out.truncate(start);
            let o = Out::new(false, Code::Internal, Severity::Critical, format!("serialising the result: {}", e));
            out.extend_from_slice(self.refuse(o).to_string().as_bytes());
        }
    }

    /// Dispatch one call by method name. Unknown method → ok:false INTERNAL outcome.
    pub fn call(&mut self, method: &str, text: &str) -> Value {
        self.kernel.slots.take_written();
        match method {
            "processIntent" => {
                let o = match parse_json(text, Code::InvalidIntent).and_then(|v| input::parse_intent(&v).map_err(|e| field_out(Code::InvalidIntent, &e))) {
                    Ok(it) => self.kernel.process_intent(&it),
                    Err(o) => o,
                };
                self.outcome(o)
            }
            "onVenueEvent" => {
                let o = match parse_json(text, Code::InvalidEvent).and_then(|v| input::parse_venue_event(&v).map_err(|e| field_out(Code::InvalidEvent, &e))) {
                    Ok(ev) => self.kernel.on_venue_event(&ev),
                    Err(o) => o,
                };
                self.outcome(o)
            }
            "markPrice" => {
                let o = match parse_json(text, Code::InvalidEvent).and_then(|v| input::parse_mark(&v).map_err(|e| field_out(Code::InvalidEvent, &e))) {
                    Ok(m) => self.kernel.mark_price(&m),
                    Err(o) => o,
                };
                self.outcome(o)
            }
            "onAccountEvent" => self.call_account_event(text),
            "anchorToExchange" => self.call_anchor(text),
            "slot" => self.call_slot(text),
            "snapshot" => match image::snapshot(&self.kernel) {
                Ok(v) => self.value(v),
                Err(e) => self.refuse(Out::new(false, Code::Internal, Severity::Critical, e.0)),
            },
            "ledger" => self.value(image::ledger_image(&self.kernel.ledger)),
            "trades" => match image::trades(&self.kernel) {
                Ok(v) => self.value(Value::Array(v)),
                Err(e) => self.refuse(Out::new(false, Code::Internal, Severity::Critical, e.0)),
            },
            "tradeRealized" => self.call_trade_realized(text),
            "saveState" => match self.kernel.save(SOURCE_HASH) {
                Ok(s) => self.value(Value::String(s)),
                Err(e) => self.refuse(Out::new(false, Code::Internal, Severity::Critical, e)),
            },
            "restoreState" => {
                // The input is the JSON string produced by saveState, passed through as text.
                let o = self.kernel.restore(text, SOURCE_HASH);
                self.outcome(o)
            }
            "reconcile" => {
                let o = match parse_json(text, Code::InvalidState).and_then(|v| input::parse_reconcile(&v).map_err(|e| field_out(Code::InvalidState, &e))) {
                    Ok(r) => self.kernel.reconcile(&r),
                    Err(o) => o,
                };
                self.outcome(o)
            }
            other => self.refuse(Out::new(false, Code::Internal, Severity::Critical, format!("unknown method {:?}", other))),
        }
    }

    /// onAccountEvent: parse, then apply; a BALANCE with an unusable wallet or available margin
    /// is an anchor refusal (ANCHOR_REJECTED, L5), any other bad field INVALID_EVENT.
    fn call_account_event(&mut self, text: &str) -> Value {
        let o = match parse_json(text, Code::InvalidEvent).and_then(|v| {
            input::parse_account_event(&v).map_err(|e| {
                // A BALANCE with an unusable wallet is an anchor refusal (L5).
                let is_balance = v.get("kind").and_then(|k| k.as_str()) == Some("BALANCE");
                let code = if is_balance && (e.field == "walletBalanceUsdt" || e.field == "availableMarginUsdt") { Code::AnchorRejected } else { Code::InvalidEvent };
                field_out(code, &e)
            })
        }) {
            Ok(ev) => self.kernel.on_account_event(&ev),
            Err(o) => o,
        };
        self.outcome(o)
    }

    /// anchorToExchange: `{walletBalanceUsdt?, availableMarginUsdt?, eventSeq?}`; a bad field is ANCHOR_REJECTED.
    fn call_anchor(&mut self, text: &str) -> Value {
        let o = match parse_json(text, Code::AnchorRejected).and_then(|v| {
            let ob = Obj::new(&v, "", &["walletBalanceUsdt", "availableMarginUsdt", "eventSeq"]).map_err(|e| field_out(Code::AnchorRejected, &e))?;
            let w = ob.opt_dec("walletBalanceUsdt").map_err(|e| field_out(Code::AnchorRejected, &e))?;
            let a = ob.opt_dec("availableMarginUsdt").map_err(|e| field_out(Code::AnchorRejected, &e))?;
            let seq = ob.opt_int("eventSeq", 0, input::MAX_TS_US).map_err(|e| field_out(Code::AnchorRejected, &e))?.unwrap_or(0);
            Ok((w, a, seq))
        }) {
            Ok((w, a, seq)) => self.kernel.anchor(w, a, seq),
            Err(o) => o,
        };
        self.outcome(o)
    }

    /// slot: the JSON image of slot `text` (an integer, compared as a full integer before
    /// narrowing: wasm32 usize truncation, issue 11); INVALID_SLOT out of range.
    fn call_slot(&mut self, text: &str) -> Value {
        let v = match parse_json(text, Code::InvalidSlot) {
            Ok(v) => v,
            Err(o) => return self.refuse(o),
        };
        // Compared as a full integer before narrowing (wasm32 usize truncation, issue 11).
        let i = match v.as_i64().and_then(|i| crate::validate::slot_index(i, self.kernel.slots.len())) {
            Some(i) => i,
            _ => return self.refuse(Out::refuse(Code::InvalidSlot, format!("slot index {} out of range 0..{}", v, self.kernel.slots.len())).ds("field", "slotId").ds("value", &v.to_string())),
        };
        let img = image::slot_image(&self.kernel.slots[i]);
        match serde_json::to_value(&img) {
            Ok(v) => self.value(v),
            Err(e) => self.refuse(Out::new(false, Code::Internal, Severity::Critical, e.to_string())),
        }
    }

    /// tradeRealized: the realized figures of trade `text` (a non-empty string), null when unknown.
    fn call_trade_realized(&mut self, text: &str) -> Value {
        let v = match parse_json(text, Code::InvalidIntent) {
            Ok(v) => v,
            Err(o) => return self.refuse(o),
        };
        let t = match v.as_str() {
            Some(t) if !t.is_empty() => t.to_string(),
            _ => return self.refuse(Out::refuse(Code::InvalidIntent, "tradeId must be a non-empty string").ds("field", "tradeId").ds("value", &v.to_string())),
        };
        match image::find_trade(&self.kernel, &t) {
            None => self.value(Value::Null),
            Some(s) => match image::trade_realized(s) {
                Ok(v) => self.value(v),
                Err(e) => self.refuse(Out::new(false, Code::Internal, Severity::Critical, e.0)),
            },
        }
    }

}

/// Convenience for tests: decimal text of a value.
pub fn d(s: &str) -> rust_decimal::Decimal {
    dec::parse(s).unwrap_or_default()
}
