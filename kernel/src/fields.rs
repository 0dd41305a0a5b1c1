//! Strict field-by-field reading of JSON inputs, so every refusal names the field and value
//! (flaws G7, F3, A8, Q2 deny_unknown_fields, Q7, H6). Used by `input.rs` for every input shape.

use crate::dec;
use rust_decimal::Decimal;
use serde_json::Value;

/// A refusal: the field (dotted path) and a reason that quotes the value.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub value: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: &str, value: &str, reason: &str) -> FieldError {
        FieldError { field: field.to_string(), value: value.to_string(), reason: reason.to_string() }
    }
}

pub type FResult<T> = Result<T, FieldError>;

/// `a == b` for short strings (keys, enum values) without a call to wasm's byte-by-byte
/// `memcmp`: lengths, then 8-byte words, then the tail (issue 11 per-call profile: memcmp of the
/// matching key or enum value was 4-8 % of a hot call). Same answer as `==`.
#[inline]
pub fn fast_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        let mut wx = [0u8; 8];
        let mut wy = [0u8; 8];
        wx.copy_from_slice(x);
        wy.copy_from_slice(y);
        if u64::from_le_bytes(wx) != u64::from_le_bytes(wy) {
            return false;
        }
    }
    ca.remainder().iter().zip(cb.remainder()).all(|(x, y)| x == y)
}

/// Short text of a JSON value for error messages (bounded length).
pub fn show(v: &Value) -> String {
    let mut s = v.to_string();
    if s.len() > 80 {
        let mut cut = 80;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

/// One field value of a binary input record (kernel/README.md "ABI", typed inputs): the JSON
/// types the binding sends in binary (strings, safe integers, booleans, arrays of strings).
/// Anything else (objects, other arrays, non-safe-integer numbers) goes through the JSON path, so
/// a field is judged the same way on both paths.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BinVal<'a> {
    Str(&'a str),
    /// A safe integer (|v| <= 2^53 - 1), as JSON.stringify would print it.
    Int(i64),
    Bool(bool),
    /// An array of strings (tag 5: an ENTER's `exitLegRatios`).
    Strs(BinStrs<'a>),
}

/// The elements of a tag-5 value: `count` strings, each a u16 length + UTF-8 bytes. The record
/// decoder (typed.rs `decode_fields`) checks them before it makes a `BinStrs`; reading them checks
/// again and refuses malformed bytes naming `field` (no silent fallback: an element that does not
/// decode is an error, never an empty string).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinStrs<'a> {
    /// The record key the array was given under (named by every error of its elements).
    pub field: &'a str,
    pub count: usize,
    /// The elements' bytes as they stand in the record (length prefixes included).
    pub bytes: &'a [u8],
}

impl<'a> BinStrs<'a> {
    /// The elements in order; a malformed element is an `Err` naming `field` and ends the walk.
    pub fn iter(&self) -> BinStrsIter<'a> {
        BinStrsIter { field: self.field, rest: self.bytes, left: self.count, index: 0 }
    }
    /// The elements as JSON strings (the shared ratio parser sees one shape from either source).
    /// Errors: the first malformed element (truncated, not UTF-8, or bytes beyond `count`), naming
    /// `field`.
    pub fn to_values(&self) -> FResult<Vec<Value>> {
        self.iter().map(|r| r.map(|s| Value::String(s.to_string()))).collect()
    }
    /// The same array as a JSON value (error texts); errors as `to_values`.
    pub fn to_value(&self) -> FResult<Value> {
        self.to_values().map(Value::Array)
    }
}

/// Iterator over the strings of a `BinStrs`: `Ok(element)` per element, or one `Err` naming the
/// field for malformed bytes (a length prefix or element cut short, an element that is not UTF-8,
/// bytes left over after `count` elements), after which it yields nothing.
pub struct BinStrsIter<'a> {
    field: &'a str,
    rest: &'a [u8],
    left: usize,
    index: usize,
}

impl<'a> BinStrsIter<'a> {
    fn fail(&mut self, reason: String) -> Option<FResult<&'a str>> {
        self.left = 0;
        self.rest = &[];
        Some(Err(FieldError::new(self.field, "(binary record)", &reason)))
    }
}

impl<'a> Iterator for BinStrsIter<'a> {
    type Item = FResult<&'a str>;
    fn next(&mut self) -> Option<FResult<&'a str>> {
        if self.left == 0 {
            if self.rest.is_empty() {
                return None;
            }
            let n = self.rest.len();
            return self.fail(format!("{} bytes after the last of {} array elements", n, self.index));
        }
        if self.rest.len() < 2 {
            let i = self.index;
            return self.fail(format!("array element {} truncated in its length", i));
        }
        let n = u16::from_le_bytes([self.rest[0], self.rest[1]]) as usize;
        if self.rest.len() < 2 + n {
            let (i, have) = (self.index, self.rest.len() - 2);
            return self.fail(format!("array element {} truncated: {} of {} bytes", i, have, n));
        }
        let s = match std::str::from_utf8(&self.rest[2..2 + n]) {
            Ok(s) => s,
            Err(_) => {
                let i = self.index;
                return self.fail(format!("array element {} is not UTF-8", i));
            }
        };
        self.rest = &self.rest[2 + n..];
        self.left -= 1;
        self.index += 1;
        Some(Ok(s))
    }
}

/// An array field, from either source.
pub enum List<'a> {
    Json(&'a Vec<Value>),
    Strs(BinStrs<'a>),
}

/// The fields of one binary input record, in record order (at most `MAX_BIN_FIELDS`).
#[derive(Debug, Clone, Copy)]
pub struct BinFields<'a> {
    pub fields: [(&'a str, BinVal<'a>); MAX_BIN_FIELDS],
    pub len: usize,
}

/// Most fields one binary input record may carry (the widest input kind has 15).
pub const MAX_BIN_FIELDS: usize = 16;

impl<'a> BinFields<'a> {
    pub fn empty() -> BinFields<'a> {
        BinFields { fields: [("", BinVal::Bool(false)); MAX_BIN_FIELDS], len: 0 }
    }
    pub fn get(&self, k: &str) -> Option<BinVal<'a>> {
        self.fields[..self.len].iter().find(|f| fast_eq(f.0, k)).map(|f| f.1)
    }
    pub fn keys(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.fields[..self.len].iter().map(|f| f.0)
    }
}

/// Where an object's fields come from: a parsed JSON object or a binary record.
#[derive(Clone, Copy)]
pub enum Src<'a> {
    Json(&'a Value),
    Bin(&'a BinFields<'a>),
}

impl<'a> Src<'a> {
    /// The string value of `k`, when present and a string (used to pick the input kind).
    pub fn str_field(&self, k: &str) -> Option<Result<&'a str, String>> {
        match self {
            Src::Json(v) => match v.as_object().and_then(|m| m.get(k)) {
                None => None,
                Some(Value::String(s)) => Some(Ok(s.as_str())),
                Some(other) => Some(Err(show(other))),
            },
            Src::Bin(b) => match b.get(k) {
                None => None,
                Some(BinVal::Str(s)) => Some(Ok(s)),
                Some(other) => Some(Err(show_bin(&other))),
            },
        }
    }
}

/// A field value as the getters see it, whatever its source.
enum FV<'a> {
    Str(&'a str),
    Json(&'a Value),
    Int(i64),
    Bool(bool),
    Strs(BinStrs<'a>),
}

fn show_fv(v: &FV) -> String {
    match v {
        FV::Json(v) => show(v),
        FV::Str(s) => show(&Value::String(s.to_string())),
        FV::Int(i) => i.to_string(),
        FV::Bool(b) => b.to_string(),
        FV::Strs(l) => show_strs(l),
    }
}

/// Short text of a tag-5 array for error messages: the JSON array, or the reason it does not decode.
fn show_strs(l: &BinStrs) -> String {
    match l.to_value() {
        Ok(v) => show(&v),
        Err(e) => format!("(malformed array: {})", e.reason),
    }
}

/// Short text of a binary field value for error messages (same text as `show` of the JSON value).
pub fn show_bin(v: &BinVal) -> String {
    match v {
        BinVal::Str(s) => show(&Value::String(s.to_string())),
        BinVal::Int(i) => i.to_string(),
        BinVal::Bool(b) => b.to_string(),
        BinVal::Strs(l) => show_strs(l),
    }
}

/// An object being read (JSON or binary), with the path prefix used in error messages.
pub struct Obj<'a> {
    src: Src<'a>,
    pub path: String,
}

impl<'a> Obj<'a> {
    /// Wrap `v` (must be an object) and refuse any field outside `allowed` (deny_unknown_fields).
    pub fn new(v: &'a Value, path: &str, allowed: &[&str]) -> FResult<Obj<'a>> {
        Self::from_src(Src::Json(v), path, allowed)
    }

    /// Same as `new` for either source: the first unknown key in sorted order is refused.
    pub fn from_src(src: Src<'a>, path: &str, allowed: &[&str]) -> FResult<Obj<'a>> {
        match src {
            Src::Json(v) => {
                let map = match v.as_object() {
                    Some(m) => m,
                    None => {
                        let f = if path.is_empty() { "(root)" } else { path };
                        return Err(FieldError::new(f, &show(v), "expected a JSON object"));
                    }
                };
                let mut keys: Vec<&String> = map.keys().filter(|k| !allowed.iter().any(|a| a == k)).collect();
                keys.sort();
                if let Some(k) = keys.first() {
                    return Err(FieldError::new(&Self::join(path, k), &show(&map[*k]), "unknown field"));
                }
            }
            Src::Bin(b) => {
                let mut first: Option<(&str, BinVal)> = None;
                for (k, v) in b.fields[..b.len].iter() {
                    if !allowed.iter().any(|a| fast_eq(a, k)) && first.map_or(true, |f| *k < f.0) {
                        first = Some((k, *v));
                    }
                }
                if let Some((k, v)) = first {
                    return Err(FieldError::new(&Self::join(path, k), &show_bin(&v), "unknown field"));
                }
            }
        }
        Ok(Obj { src, path: path.to_string() })
    }

    fn join(path: &str, k: &str) -> String {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{}.{}", path, k)
        }
    }

    pub fn field(&self, k: &str) -> String {
        Self::join(&self.path, k)
    }

    /// Run check `f` (pure) with field name `k`, building the dotted field name only when the
    /// check fails (hot path: no String per accepted field). The error is what `f(&self.field(k))`
    /// returns.
    fn named<T, F: Fn(&str) -> FResult<T>>(&self, k: &str, f: F) -> FResult<T> {
        match f("") {
            Ok(v) => Ok(v),
            Err(_) => f(&self.field(k)),
        }
    }

    /// A present, non-null field (JSON null = absent on both paths).
    fn get(&self, k: &str) -> Option<FV<'a>> {
        match self.src {
            Src::Json(v) => match v.as_object().and_then(|m| m.get(k)) {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(FV::Str(s.as_str())),
                Some(other) => Some(FV::Json(other)),
            },
            Src::Bin(b) => match b.get(k) {
                None => None,
                Some(BinVal::Str(s)) => Some(FV::Str(s)),
                Some(BinVal::Int(i)) => Some(FV::Int(i)),
                Some(BinVal::Bool(x)) => Some(FV::Bool(x)),
                Some(BinVal::Strs(l)) => Some(FV::Strs(l)),
            },
        }
    }

    /// The raw JSON value of a field (JSON source only; None for a binary source).
    pub fn raw(&self, k: &str) -> Option<&'a Value> {
        match self.src {
            Src::Json(v) => match v.as_object().and_then(|m| m.get(k)) {
                None | Some(Value::Null) => None,
                other => other,
            },
            Src::Bin(_) => None,
        }
    }

    pub fn opt_str(&self, k: &str) -> FResult<Option<String>> {
        match self.get(k) {
            None => Ok(None),
            Some(FV::Str(s)) => Ok(Some(s.to_string())),
            Some(v) => Err(FieldError::new(&self.field(k), &show_fv(&v), "expected a string")),
        }
    }
    pub fn req_str(&self, k: &str) -> FResult<String> {
        self.opt_str(k)?.ok_or_else(|| FieldError::new(&self.field(k), "(missing)", "required field missing"))
    }
    /// A non-empty identifier of at most `max_len` printable ASCII characters (no spaces).
    pub fn req_id(&self, k: &str, max_len: usize) -> FResult<String> {
        let s = self.req_str(k)?;
        self.named(k, |f| check_id(f, &s, max_len))?;
        Ok(s)
    }
    pub fn opt_id(&self, k: &str, max_len: usize) -> FResult<Option<String>> {
        match self.opt_str(k)? {
            None => Ok(None),
            Some(s) => {
                self.named(k, |f| check_id(f, &s, max_len))?;
                Ok(Some(s))
            }
        }
    }
    /// A decimal string (never a JSON number: values cross the boundary losslessly).
    pub fn opt_dec(&self, k: &str) -> FResult<Option<Decimal>> {
        match self.get(k) {
            None => Ok(None),
            Some(FV::Str(s)) => match dec::parse(s) {
                Ok(d) => Ok(Some(d)),
                Err(r) => Err(FieldError::new(&self.field(k), s, &r)),
            },
            Some(v) => Err(FieldError::new(&self.field(k), &show_fv(&v), "expected a decimal string, e.g. \"0.1878\"")),
        }
    }
    pub fn req_dec(&self, k: &str) -> FResult<Decimal> {
        self.opt_dec(k)?.ok_or_else(|| FieldError::new(&self.field(k), "(missing)", "required field missing"))
    }
    /// A decimal > 0.
    pub fn req_pos(&self, k: &str) -> FResult<Decimal> {
        let d = self.req_dec(k)?;
        self.named(k, |f| positive(f, d))
    }
    pub fn opt_pos(&self, k: &str) -> FResult<Option<Decimal>> {
        match self.opt_dec(k)? {
            None => Ok(None),
            Some(d) => Ok(Some(self.named(k, |f| positive(f, d))?)),
        }
    }
    /// A decimal >= 0.
    pub fn opt_nonneg(&self, k: &str) -> FResult<Option<Decimal>> {
        match self.opt_dec(k)? {
            None => Ok(None),
            Some(d) if d.is_sign_negative() && !d.is_zero() => {
                Err(FieldError::new(&self.field(k), &dec::fmt(d), "must not be negative"))
            }
            Some(d) => Ok(Some(d)),
        }
    }
    /// An integer JSON number within [min, max].
    pub fn opt_int(&self, k: &str, min: i64, max: i64) -> FResult<Option<i64>> {
        match self.get(k) {
            None => Ok(None),
            Some(FV::Int(i)) => {
                if i < min || i > max {
                    return Err(FieldError::new(&self.field(k), &i.to_string(), &format!("must be an integer in [{}, {}]", min, max)));
                }
                Ok(Some(i))
            }
            Some(FV::Json(Value::Number(n))) => {
                let v = if let Some(i) = n.as_i64() {
                    i
                } else if let Some(u) = n.as_u64() {
                    return Err(FieldError::new(&self.field(k), &u.to_string(), &format!("must be an integer in [{}, {}]", min, max)));
                } else {
                    return Err(FieldError::new(&self.field(k), &n.to_string(), "must be an integer (no fraction, no exponent)"));
                };
                if v < min || v > max {
                    return Err(FieldError::new(&self.field(k), &v.to_string(), &format!("must be an integer in [{}, {}]", min, max)));
                }
                Ok(Some(v))
            }
            Some(v) => Err(FieldError::new(&self.field(k), &show_fv(&v), "expected an integer number")),
        }
    }
    pub fn req_int(&self, k: &str, min: i64, max: i64) -> FResult<i64> {
        self.opt_int(k, min, max)?.ok_or_else(|| FieldError::new(&self.field(k), "(missing)", "required field missing"))
    }
    pub fn opt_bool(&self, k: &str) -> FResult<Option<bool>> {
        match self.get(k) {
            None => Ok(None),
            Some(FV::Bool(b)) => Ok(Some(b)),
            Some(FV::Json(Value::Bool(b))) => Ok(Some(*b)),
            Some(v) => Err(FieldError::new(&self.field(k), &show_fv(&v), "expected a boolean")),
        }
    }
    /// One of the listed enum values (SCREAMING_SNAKE strings); anything else is refused.
    pub fn opt_enum(&self, k: &str, values: &[&str]) -> FResult<Option<String>> {
        Ok(self.opt_pick(k, values)?.map(str::to_string))
    }
    pub fn req_enum(&self, k: &str, values: &[&str]) -> FResult<String> {
        self.opt_enum(k, values)?.ok_or_else(|| FieldError::new(&self.field(k), "(missing)", "required field missing"))
    }
    /// `opt_enum` without a `String`: the entry of `values` the field equals (None when absent),
    /// with `opt_enum`'s errors (not a string; not one of `values`). For the hot parsers (issue
    /// 11 per-call profile: every enum field cost an allocation and a free).
    pub fn opt_pick<'v>(&self, k: &str, values: &[&'v str]) -> FResult<Option<&'v str>> {
        match self.get(k) {
            None => Ok(None),
            Some(FV::Str(s)) => match values.iter().find(|v| fast_eq(v, s)) {
                Some(v) => Ok(Some(*v)),
                None => Err(FieldError::new(&self.field(k), s, &format!("unknown enum value; expected one of {}", values.join(", ")))),
            },
            Some(v) => Err(FieldError::new(&self.field(k), &show_fv(&v), "expected a string")),
        }
    }
    /// `req_enum` without a `String` (see `opt_pick`).
    pub fn req_pick<'v>(&self, k: &str, values: &[&'v str]) -> FResult<&'v str> {
        self.opt_pick(k, values)?.ok_or_else(|| FieldError::new(&self.field(k), "(missing)", "required field missing"))
    }
    pub fn opt_array(&self, k: &str) -> FResult<Option<&'a Vec<Value>>> {
        match self.get(k) {
            None => Ok(None),
            Some(FV::Json(Value::Array(a))) => Ok(Some(a)),
            Some(v) => Err(FieldError::new(&self.field(k), &show_fv(&v), "expected an array")),
        }
    }
    /// An array field from either source (a binary record carries arrays of strings only).
    pub fn opt_list(&self, k: &str) -> FResult<Option<List<'a>>> {
        match self.get(k) {
            None => Ok(None),
            Some(FV::Json(Value::Array(a))) => Ok(Some(List::Json(a))),
            Some(FV::Strs(l)) => Ok(Some(List::Strs(l))),
            Some(v) => Err(FieldError::new(&self.field(k), &show_fv(&v), "expected an array")),
        }
    }
    pub fn req_array(&self, k: &str) -> FResult<&'a Vec<Value>> {
        self.opt_array(k)?.ok_or_else(|| FieldError::new(&self.field(k), "(missing)", "required field missing"))
    }
}

fn positive(field: &str, d: Decimal) -> FResult<Decimal> {
    if d <= Decimal::ZERO {
        return Err(FieldError::new(field, &dec::fmt(d), "must be > 0"));
    }
    Ok(d)
}

/// Whether every byte is in the id alphabet of `check_id`: printable ASCII 0x21..=0x7e except
/// `"` and `\\`. Such bytes are ASCII, hence valid UTF-8. Eight bytes at a time (SWAR): the ids
/// of every venue event are checked on the hot path.
pub fn is_id_bytes(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut a = [0u8; 8];
        a.copy_from_slice(c);
        let w = u64::from_le_bytes(a);
        // Every byte < 0x80; then (no carries between bytes) byte >= 0x21 and byte <= 0x7e.
        if w & HIGH != 0 || w.wrapping_add(0x5f * ONES) & HIGH != HIGH || w.wrapping_add(ONES) & HIGH != 0 {
            return false;
        }
        if has_zero(w ^ (b'"' as u64 * ONES)) || has_zero(w ^ (b'\\' as u64 * ONES)) {
            return false;
        }
    }
    chunks.remainder().iter().all(|&c| (0x21..0x7f).contains(&c) && c != b'"' && c != b'\\')
}

/// Ids: non-empty, at most `max_len` bytes, printable ASCII without spaces or quotes.
pub fn check_id(field: &str, s: &str, max_len: usize) -> FResult<()> {
    if s.is_empty() {
        return Err(FieldError::new(field, "\"\"", "must not be empty"));
    }
    if s.len() > max_len {
        return Err(FieldError::new(field, s, &format!("longer than {} characters", max_len)));
    }
    if !is_id_bytes(s.as_bytes()) {
        return Err(FieldError::new(field, s, "must be printable ASCII without spaces, quotes or backslashes"));
    }
    Ok(())
}

#[cfg(test)]
mod id_bytes_tests {
    use super::is_id_bytes;

    /// The SWAR check agrees with the byte rule on every byte value, in every position of a
    /// word and of the tail (issue 11 speed work must not change which ids are accepted).
    #[test]
    fn swar_id_check_matches_the_byte_rule_for_every_byte_and_position() {
        let rule = |c: u8| (0x21..0x7f).contains(&c) && c != b'"' && c != b'\\';
        for len in [1usize, 7, 8, 9, 16, 23] {
            for pos in 0..len {
                for c in 0..=255u8 {
                    let mut v = vec![b'a'; len];
                    v[pos] = c;
                    assert_eq!(is_id_bytes(&v), rule(c), "byte {:#x} at {} of {}", c, pos, len);
                }
            }
        }
        assert!(is_id_bytes(b""));
        assert!(is_id_bytes(b"d2-t123-x1r2~!#$%&'()*+,-./0123456789:;<=>?@AZ[]^_`az{|}"));
    }
}

#[cfg(test)]
mod tests {
    use super::{BinStrs, Value};

    fn strs(count: usize, bytes: &[u8]) -> BinStrs<'_> {
        BinStrs { field: "exitLegRatios", count, bytes }
    }

    #[test]
    fn bin_strs_reads_well_formed_elements() {
        let b = [2u8, 0, b'0', b'.', 1, 0, b'1'];
        assert_eq!(strs(2, &b).to_values().unwrap(), vec![Value::String("0.".into()), Value::String("1".into())]);
        assert_eq!(strs(0, &[]).to_values().unwrap(), Vec::<Value>::new());
    }

    /// `fast_eq` answers as `==` for every pair of a set of strings of lengths 0-20 that differ in
    /// one byte at every position, or only in length.
    #[test]
    fn fast_eq_matches_string_equality() {
        let mut v: Vec<String> = Vec::new();
        for n in 0..21 {
            let base: String = (0..n).map(|i| (b'a' + (i % 26) as u8) as char).collect();
            v.push(base.clone());
            for p in 0..n {
                let mut b = base.clone().into_bytes();
                b[p] = b'Z';
                v.push(String::from_utf8(b).unwrap());
            }
        }
        for a in &v {
            for b in &v {
                assert_eq!(super::fast_eq(a, b), a == b, "{:?} {:?}", a, b);
            }
        }
    }

    /// No silent fallback (docs/flaws.md F22): malformed
    /// tag-5 bytes are an error naming the field, never an empty string or a shorter array.
    #[test]
    fn bin_strs_malformed_bytes_are_an_error_naming_the_field_f22() {
        let cases: [(usize, &[u8], &str); 5] = [
            (1, &[1, 0, 0xff], "array element 0 is not UTF-8"),
            (2, &[1, 0, b'1', 9], "array element 1 truncated in its length"),
            (1, &[5, 0, b'1'], "array element 0 truncated: 1 of 5 bytes"),
            (2, &[1, 0, b'1'], "array element 1 truncated in its length"),
            (1, &[1, 0, b'1', 7], "1 bytes after the last of 1 array elements"),
        ];
        for (count, bytes, reason) in cases.iter() {
            let e = strs(*count, bytes).to_values().unwrap_err();
            assert_eq!(e.field, "exitLegRatios", "{:?}", bytes);
            assert_eq!(e.reason, *reason, "{:?}", bytes);
            // the walk stops at the error: one Err, then nothing
            let items: Vec<_> = strs(*count, bytes).iter().collect();
            assert!(items.last().unwrap().is_err() && items.iter().filter(|r| r.is_err()).count() == 1, "{:?}", bytes);
        }
        // error texts of the field say why, instead of showing a made-up value
        assert_eq!(super::show_strs(&strs(1, &[1, 0, 0xff])), "(malformed array: array element 0 is not UTF-8)");
    }
}
