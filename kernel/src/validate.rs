//! Boundary checks any decoder (JSON api.rs, binary batch.rs, a future typed ABI) calls before
//! an input reaches kernel logic (issue 11 "close every hole"). Each check refuses with an
//! outcome naming the field and value and never touches kernel state.
//!
//! - `slot_index`: a slot id is compared as a full 64-bit integer *before* it is narrowed to
//!   `usize`; on wasm32 `usize` is 32 bits and `4294967296 as usize == 0` (E7-class identity
//!   confusion: an EXIT_RESIDUAL for slot 2^32 used to close slot 0's position).
//! - `configured_symbol`: every input kind that names a symbol must name a configured
//!   instrument, compared exactly (case-sensitive; Flaw 8, Flaw 9); FUNDING may also carry the
//!   account-wide marker `ACCOUNT_WIDE_SYMBOL` ("*").
//! - `parse_json_strict`: JSON text → `serde_json::Value`, refusing duplicate object keys
//!   (serde_json silently keeps the last one) and naming the duplicated key's path. Cold path
//!   only (JSON entry points); the batch ABI never builds a `Value`.
//! - `fnv1a64`: the fixed, documented 64-bit hash persisted in saved state (evicted trade ids).

use crate::input::KernelConfig;
use crate::model::{Code, Out};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// Slot index for `slot_id` when `0 <= slot_id < slot_count`, compared as i64 before any
/// narrowing (wasm32 `usize` truncation, issue 11). `None` = out of range.
pub fn slot_index(slot_id: i64, slot_count: usize) -> Option<usize> {
    if slot_id < 0 || (slot_id as u64) >= slot_count as u64 {
        None
    } else {
        Some(slot_id as usize)
    }
}

/// Refusal (`code`, field `field`) unless `symbol` is exactly one of the configured instruments'
/// symbols (Flaw 8: unknown symbols are never booked; lower-case "fet-usdt" is not "FET-USDT").
pub fn configured_symbol(cfg: &KernelConfig, field: &str, symbol: &str, code: Code) -> Result<(), Out> {
    if cfg.instruments.iter().any(|i| i.symbol == symbol) {
        return Ok(());
    }
    Err(Out::refuse(code, format!("{} {}: not a configured instrument (Flaw 8); nothing mutated", field, symbol)).ds("field", field).ds("value", symbol))
}

/// Symbol of an account-wide FUNDING (a cross-margin ACCOUNT_UPDATE names no symbol;
/// venues/bingx/adapter.ts `ACCOUNT_WIDE_SYMBOL`, docs/bingx-protocol.md): the only symbol a
/// FUNDING may carry besides a configured instrument.
pub const ACCOUNT_WIDE_SYMBOL: &str = "*";

/// FNV-1a 64-bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3) over `bytes`. Fixed by
/// its definition, identical on every compiler and target, so it may be persisted (saved state
/// `evictedTradeHashes`, kernel/README.md "Saved state"). Vectors: "" → 0xcbf29ce484222325,
/// "a" → 0xaf63dc4c8601ec8c, "foobar" → 0x85944171f73967e8.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A parse refusal: the field path (`(json)` for a syntax error) and the message.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonError {
    pub field: String,
    pub message: String,
}

const DUP_PREFIX: &str = "duplicate key ";

/// Parse JSON text into a `Value`, refusing duplicate keys in any object (at any depth): the
/// error's `field` is the duplicated key's path (e.g. `kind`, `orders[0].symbol`).
pub fn parse_json_strict(text: &str) -> Result<Value, JsonError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let v = match (Seed { path: String::new() }).deserialize(&mut de) {
        Ok(v) => v,
        Err(e) => return Err(to_json_error(e)),
    };
    match de.end() {
        Ok(()) => Ok(v),
        Err(e) => Err(to_json_error(e)),
    }
}

fn to_json_error(e: serde_json::Error) -> JsonError {
    let msg = e.to_string();
    if let Some(rest) = msg.strip_prefix(DUP_PREFIX) {
        // serde_json appends " at line L column C" to custom errors.
        let path = match rest.rfind(" at line ") {
            Some(i) => &rest[..i],
            None => rest,
        };
        return JsonError { field: path.to_string(), message: format!("duplicate JSON key {}: refused (serde would keep the last one)", path) };
    }
    JsonError { field: "(json)".into(), message: format!("input is not valid JSON: {}", msg) }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{}.{}", path, key)
    }
}

struct Seed {
    path: String,
}

impl<'de> DeserializeSeed<'de> for Seed {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Number(i.into()))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(Value::Number(u.into()))
    }
    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        match Number::from_f64(f) {
            Some(n) => Ok(Value::Number(n)),
            None => Err(E::custom(format!("{}: non-finite number", self.path))),
        }
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            let p = format!("{}[{}]", self.path, out.len());
            match seq.next_element_seed(Seed { path: p })? {
                Some(v) => out.push(v),
                None => break,
            }
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            let p = child(&self.path, &k);
            if out.contains_key(&k) {
                return Err(de::Error::custom(format!("{}{}", DUP_PREFIX, p)));
            }
            let v = map.next_value_seed(Seed { path: p })?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_published_test_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn issue11_slot_index_checks_the_full_integer_before_narrowing() {
        assert_eq!(slot_index(0, 10), Some(0));
        assert_eq!(slot_index(9, 10), Some(9));
        assert_eq!(slot_index(10, 10), None);
        assert_eq!(slot_index(-1, 10), None);
        assert_eq!(slot_index(4_294_967_296, 10), None);
        assert_eq!(slot_index(4_294_967_297, 10), None);
        assert_eq!(slot_index(i64::MAX, 10), None);
        assert_eq!(slot_index(i64::MIN, 10), None);
    }

    #[test]
    fn issue11_duplicate_json_keys_are_refused_naming_the_path() {
        let e = parse_json_strict(r#"{"kind":"ENTER","kind":"EXIT"}"#).unwrap_err();
        assert_eq!(e.field, "kind");
        let e = parse_json_strict(r#"{"orders":[{"a":1},{"symbol":"X","symbol":"Y"}]}"#).unwrap_err();
        assert_eq!(e.field, "orders[1].symbol");
        // An escaped spelling of the same key is the same key.
        let e = parse_json_strict(r#"{"kind":"ENTER","\u006bind":"EXIT"}"#).unwrap_err();
        assert_eq!(e.field, "kind");
        assert_eq!(parse_json_strict(r#"{"a":{"k":1},"b":{"k":2}}"#).unwrap(), serde_json::json!({"a":{"k":1},"b":{"k":2}}));
        assert_eq!(parse_json_strict("[1, -2, 3.5, null, true, \"s\"]").unwrap(), serde_json::json!([1, -2, 3.5, null, true, "s"]));
        assert_eq!(parse_json_strict("{} x").unwrap_err().field, "(json)");
        assert_eq!(parse_json_strict("{\"a\":").unwrap_err().field, "(json)");
    }
}
