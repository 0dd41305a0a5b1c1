//! Exact decimal helpers (rust_decimal, 96-bit mantissa, 28 significant digits).
//!
//! Every operation is checked: an overflow returns `Err(KErr)` instead of panicking, so no trap
//! ever crosses the WebAssembly boundary (flaws G2, G5, P2, P4). Rounding rules (documented in
//! kernel/README.md "Rounding"): entry/exit VWAP is rounded to `PRICE_DP` decimal places and
//! realized / unrealized PnL of each fill to `PNL_DP` decimal places, both MidpointNearestEven.

use rust_decimal::prelude::RoundingStrategy;
use rust_decimal::Decimal;
use std::str::FromStr;

/// Decimal places of a VWAP (entry basis, exit VWAP): 16, MidpointNearestEven.
pub const PRICE_DP: u32 = 16;
/// Decimal places of a per-fill realized / unrealized PnL figure: 12, MidpointNearestEven.
pub const PNL_DP: u32 = 12;
/// Largest accepted magnitude of any input quantity, price or money figure (Q7: 1e300 refused).
pub const MAX_MAGNITUDE: i64 = 1_000_000_000_000_000; // 1e15

/// An arithmetic failure (overflow / division by zero) caught instead of a panic.
#[derive(Debug, Clone, PartialEq)]
pub struct KErr(pub String);

pub type KResult<T> = Result<T, KErr>;

pub fn add(a: Decimal, b: Decimal) -> KResult<Decimal> {
    a.checked_add(b).ok_or_else(|| KErr(format!("decimal overflow: {} + {}", a, b)))
}
pub fn sub(a: Decimal, b: Decimal) -> KResult<Decimal> {
    a.checked_sub(b).ok_or_else(|| KErr(format!("decimal overflow: {} - {}", a, b)))
}
pub fn mul(a: Decimal, b: Decimal) -> KResult<Decimal> {
    a.checked_mul(b).ok_or_else(|| KErr(format!("decimal overflow: {} * {}", a, b)))
}
pub fn div(a: Decimal, b: Decimal) -> KResult<Decimal> {
    if b.is_zero() {
        return Err(KErr(format!("division by zero: {} / 0", a)));
    }
    a.checked_div(b).ok_or_else(|| KErr(format!("decimal overflow: {} / {}", a, b)))
}
/// Round half to even at `dp` decimal places.
pub fn round(a: Decimal, dp: u32) -> Decimal {
    a.round_dp_with_strategy(dp, RoundingStrategy::MidpointNearestEven)
}
/// Floor `a` (>= 0) to a multiple of `step` (> 0).
pub fn floor_to_step(a: Decimal, step: Decimal) -> KResult<Decimal> {
    let q = div(a, step)?.trunc();
    mul(q, step)
}
/// True when `a` is an exact multiple of `step`.
pub fn is_multiple(a: Decimal, step: Decimal) -> KResult<bool> {
    Ok(floor_to_step(a, step)? == a)
}

/// Canonical text of a decimal: no trailing zeros, no "-0" (what every output carries).
pub fn fmt(a: Decimal) -> String {
    canonical(a).to_string()
}

/// `a` in the form whose Display is its canonical text (`fmt`): zero as `Decimal::ZERO` (never
/// "-0" or "0.00"), anything else normalised. For writers that print without a `String`
/// (image.rs `D`).
pub fn canonical(a: Decimal) -> Decimal {
    if a.is_zero() {
        Decimal::ZERO
    } else {
        a.normalize()
    }
}

/// Parse a decimal string strictly: `-?digits(.digits)?`, no exponent, no NaN/Inf, at most 28
/// significant digits, magnitude <= 1e15. Returns a human reason on failure.
pub fn parse(s: &str) -> Result<Decimal, String> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Err("empty decimal string".into());
    }
    let mut i = 0;
    if b[0] == b'-' {
        i = 1;
    }
    let mut int_digits = 0usize;
    let mut frac_digits = 0usize;
    let mut seen_dot = false;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() {
            if seen_dot {
                frac_digits += 1;
            } else {
                int_digits += 1;
            }
        } else if c == b'.' && !seen_dot {
            seen_dot = true;
        } else {
            return Err(format!("not a plain decimal number: {:?}", s));
        }
        i += 1;
    }
    if int_digits == 0 || (seen_dot && frac_digits == 0) {
        return Err(format!("not a plain decimal number: {:?}", s));
    }
    if frac_digits > 20 {
        return Err(format!("more than 20 decimal places: {:?}", s));
    }
    let d = Decimal::from_str(s).map_err(|e| format!("not a decimal: {:?} ({})", s, e))?;
    if d.abs() > Decimal::new(MAX_MAGNITUDE, 0) {
        return Err(format!("absurd magnitude (> 1e15): {:?}", s));
    }
    Ok(d)
}

/// Side sign of a position: +1 LONG, -1 SHORT.
pub fn one() -> Decimal {
    Decimal::ONE
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn parse_rejects_bad_forms() {
        for s in ["", "NaN", "inf", "-Infinity", "1e5", "1.", ".5", "1,5", "1e300", "--1", "0x10", " 1"] {
            assert!(parse(s).is_err(), "{} should be refused", s);
        }
        assert_eq!(fmt(parse("0.18780").unwrap()), "0.1878");
        assert_eq!(fmt(parse("-0.000").unwrap()), "0");
        assert!(parse("1000000000000001").is_err());
        assert!(parse("1000000000000000").is_ok());
    }
}
