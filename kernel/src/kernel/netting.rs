//! The kernel's mirror of the venue's one-way position per symbol, and the exchange rp it predicts
//! (docs/accounting.md §One-way netting). Part of `Kernel` (kernel.rs).
//!
//! BingX one-way mode keeps ONE position per symbol: every slot's fills are netted into a signed
//! quantity with a blended entry price, and the venue's realized PnL of a fill (`rp`) is computed
//! against that blend, not against the slot's own entry VWAP. The mirror repeats the venue's
//! arithmetic (mock venue `fill()`, BingX one-way rules): a fill in the position's direction (or
//! from flat) re-blends the entry, `entry = (|qty| × entry + notional) / |qty + Δ|`; an opposite fill
//! closes `min(q, |qty|)` at the blended entry (rp = dir × closed × (price − entry), 8 dp), the
//! entry stays; through zero the rest opens at the fill's price; at zero the entry is 0.

use super::*;

/// A symbol's one-way position without its name (the mirror's arithmetic needs no allocation).
#[derive(Clone, Copy)]
pub(super) struct NetQty {
    pub qty: Decimal,
    pub entry: Decimal,
    pub known: bool,
}

/// Apply one booked fill to position `p` (pure): `buy` = the order side, `q` > 0 its quantity,
/// `notional` = q × its true price (None when unpriced: an opening part then makes the entry
/// unknown). Rules of the venue in the module docstring. Returns the fill's view of the position
/// before it and the position after.
pub(super) fn net_step(p: NetQty, buy: bool, q: Decimal, notional: Option<Decimal>) -> KResult<(NetFill, NetQty)> {
    let delta = if buy { q } else { -q };
    let nq = dec::add(p.qty, delta)?;
    let mut after = NetQty { qty: nq, entry: p.entry, known: p.known };
    let opposite = !p.qty.is_zero() && p.qty.is_sign_negative() != delta.is_sign_negative();
    let dir: i8 = if p.qty.is_sign_negative() { -1 } else { 1 };
    if !opposite {
        after.entry = match notional {
            Some(n) if p.known => dec::div(dec::add(dec::mul(p.qty.abs(), p.entry)?, n)?, nq.abs())?,
            _ => {
                after.known = false;
                Decimal::ZERO
            }
        };
        return Ok((NetFill { close_qty: Decimal::ZERO, entry: p.entry, dir, known: p.known }, after));
    }
    let close = dmin(q, p.qty.abs());
    let view = NetFill { close_qty: close, entry: p.entry, dir, known: p.known };
    if nq.is_zero() {
        after.entry = Decimal::ZERO;
        after.known = true; // flat: nothing left whose entry could be unknown
    } else if nq.is_sign_negative() != p.qty.is_sign_negative() {
        // Flipped through zero: the rest opens at the fill's price.
        match notional {
            Some(n) => after.entry = dec::div(n, q)?,
            None => {
                after.entry = Decimal::ZERO;
                after.known = false;
            }
        }
    }
    Ok((view, after))
}

/// The rp the venue books for a fill of quantity `qty` and notional `notional` (qty × price) whose
/// view of the position was `v`: dir × closed × (price − entry), rounded to PNL_DP. None when it
/// cannot be predicted (the mirror's entry was unknown, or a closing fill has no price yet).
pub(super) fn predicted_rp(v: &NetFill, qty: Decimal, notional: Decimal) -> KResult<Option<Decimal>> {
    if !v.known {
        return Ok(None);
    }
    if v.close_qty.is_zero() {
        return Ok(Some(Decimal::ZERO));
    }
    if notional.is_zero() || qty.is_zero() {
        return Ok(None);
    }
    let closed_notional = if v.close_qty == qty { notional } else { dec::div(dec::mul(notional, v.close_qty)?, qty)? };
    let r = dec::sub(closed_notional, dec::mul(v.close_qty, v.entry)?)?;
    let r = if v.dir < 0 { -r } else { r };
    Ok(Some(dec::round(r, PNL_DP)))
}

/// What a booked exit fill is judged against: the mirror's predicted rp when it can predict one,
/// else the slot's own estimate (the pre-netting check); a fill repaired from exchange rp books
/// that rp, so it is judged by it.
pub fn fill_expected(f: &FillRecord) -> KResult<Decimal> {
    if f.skipped && f.repaired {
        return Ok(f.exchange_realized);
    }
    Ok(predicted_rp(&f.net, f.qty, f.notional)?.unwrap_or(f.estimate))
}

/// Σ of what the venue is expected to realize for a trade: each exit fill's `fill_expected` plus
/// the rp the mirror predicted for its entry fills (docs/accounting.md §One-way netting).
pub fn trade_expected(s: &SlotState) -> KResult<Decimal> {
    let mut t = s.entry_net.expected;
    for l in &s.legs {
        for f in &l.fills {
            t = dec::add(t, fill_expected(f)?)?;
        }
    }
    Ok(t)
}

impl Kernel {
    /// The mirror of `symbol` (flat and known when the symbol has none yet).
    pub(super) fn net_position(&self, symbol: &str) -> NetPosition {
        match self.netting.binary_search_by(|p| p.symbol.as_str().cmp(symbol)) {
            Ok(i) => self.netting[i].clone(),
            Err(_) => NetPosition { symbol: symbol.to_string(), qty: Decimal::ZERO, entry: Decimal::ZERO, known: true },
        }
    }

    /// Store the mirror of `p.symbol` (kept sorted by symbol; a flat known position is dropped).
    pub(super) fn set_net_position(&mut self, p: NetPosition) {
        let flat = p.qty.is_zero() && p.known;
        match self.netting.binary_search_by(|x| x.symbol.as_str().cmp(p.symbol.as_str())) {
            Ok(i) if flat => {
                self.netting.remove(i);
            }
            Ok(i) => self.netting[i] = p,
            Err(_) if flat => {}
            Err(i) => self.netting.insert(i, p),
        }
    }

    /// Apply a booked fill of slot `si` (symbol, `buy` side) to its symbol's mirror in place (no
    /// allocation unless the symbol enters the mirror); returns the fill's view of the position.
    pub(super) fn net_apply(&mut self, si: usize, buy: bool, q: Decimal, notional: Option<Decimal>) -> KResult<NetFill> {
        let found = self.netting.binary_search_by(|p| p.symbol.as_str().cmp(self.slots[si].symbol.as_str()));
        let before = match found {
            Ok(i) => NetQty { qty: self.netting[i].qty, entry: self.netting[i].entry, known: self.netting[i].known },
            Err(_) => NetQty { qty: Decimal::ZERO, entry: Decimal::ZERO, known: true },
        };
        let (view, after) = net_step(before, buy, q, notional)?;
        let flat = after.qty.is_zero() && after.known;
        match found {
            Ok(i) if flat => {
                self.netting.remove(i);
            }
            Ok(i) => {
                let p = &mut self.netting[i];
                p.qty = after.qty;
                p.entry = after.entry;
                p.known = after.known;
            }
            Err(_) if flat => {}
            Err(i) => self.netting.insert(i, NetPosition { symbol: self.slots[si].symbol.clone(), qty: after.qty, entry: after.entry, known: after.known }),
        }
        Ok(view)
    }

    /// Record an entry fill's effect on the venue position in its trade (`entry_net`).
    pub(super) fn note_entry_net(s: &mut SlotState, view: &NetFill, q: Decimal, notional: Option<Decimal>) -> KResult<()> {
        if view.close_qty.is_zero() {
            return Ok(());
        }
        let predicted = match notional {
            Some(n) => predicted_rp(view, q, n)?,
            None => None,
        };
        s.entry_net.close_qty = dec::add(s.entry_net.close_qty, view.close_qty)?;
        match predicted {
            Some(r) => s.entry_net.expected = dec::add(s.entry_net.expected, r)?,
            None => s.entry_net.unknown = true,
        }
        Ok(())
    }

    /// Re-seed the mirror from a reconcile's venue positions (docs/accounting.md §One-way netting).
    /// The mirror moves with every booked fill, so it always equals Σ of the slots' signed sizes;
    /// a report that disagrees with the slots is a position mismatch the reconcile reports (the
    /// snapshot may simply be older than fills already booked), and the mirror is left alone. A
    /// symbol whose slots agree with the venue but whose mirror does not (it drifted: a state
    /// saved by a kernel that mirrored otherwise) takes the venue's quantity with an unknown
    /// entry (the report carries no entry price), or flat and known when the venue is flat.
    pub(super) fn reseed_netting(&mut self, rep: &ReconcileReport) -> KResult<()> {
        let mut symbols: Vec<String> = self.netting.iter().map(|p| p.symbol.clone()).collect();
        symbols.extend(rep.positions.iter().map(|p| p.symbol.clone()));
        symbols.sort();
        symbols.dedup();
        for sym in symbols {
            let mut v = Decimal::ZERO;
            for p in rep.positions.iter().filter(|p| p.symbol == sym) {
                v = dec::add(v, if p.position_side == "SHORT" { -p.quantity } else { p.quantity })?;
            }
            let mut k = Decimal::ZERO;
            for s in self.slots.iter().filter(|s| s.symbol == sym) {
                k = dec::add(k, dec::mul(s.sign(), s.size)?)?;
            }
            let mut m = self.net_position(&sym);
            if m.qty != v && k == v {
                m.known = v.is_zero();
                m.entry = Decimal::ZERO;
                m.qty = v;
                self.set_net_position(m);
            }
        }
        Ok(())
    }

    /// Boundary check of a saved mirror (restore): sorted unique configured symbols, entry ≥ 0,
    /// a flat position has entry 0. Err(field, value, reason).
    pub(super) fn validate_netting(&self, net: &[NetPosition]) -> Result<(), (String, String, String)> {
        for (i, p) in net.iter().enumerate() {
            if self.instrument(&p.symbol).is_none() {
                return Err((format!("netting[{}].symbol", i), p.symbol.clone(), "not a configured symbol".into()));
            }
            if i > 0 && net[i - 1].symbol >= p.symbol {
                return Err((format!("netting[{}].symbol", i), p.symbol.clone(), "netting must be sorted by symbol, each once".into()));
            }
            if p.entry < Decimal::ZERO || (p.qty.is_zero() && !p.entry.is_zero()) {
                return Err((format!("netting[{}].entry", i), dec::fmt(p.entry), "must be ≥ 0, and 0 when the position is flat".into()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! The mirror's arithmetic against the mock venue's one-way rules (venues/bingx/mock-venue.ts
    //! `fill`, docs/accounting.md §One-way netting), including flips through zero.
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }
    fn flat() -> NetQty {
        NetQty { qty: Decimal::ZERO, entry: Decimal::ZERO, known: true }
    }

    #[test]
    fn netting_blends_same_side_and_closes_at_the_blend() {
        let (_, p) = net_step(flat(), true, d("1000"), Some(d("200"))).unwrap(); // 1000 @ 0.2
        let (v, p) = net_step(p, true, d("1000"), Some(d("300"))).unwrap(); // + 1000 @ 0.3
        assert_eq!((v.close_qty, p.qty, p.entry, p.known), (Decimal::ZERO, d("2000"), d("0.25"), true));
        let (v, p) = net_step(p, false, d("1000"), Some(d("400"))).unwrap(); // sell 1000 @ 0.4
        assert_eq!((v.close_qty, v.entry, v.dir, p.qty, p.entry), (d("1000"), d("0.25"), 1, d("1000"), d("0.25")));
        assert_eq!(predicted_rp(&v, d("1000"), d("400")).unwrap(), Some(d("150")));
    }

    #[test]
    fn netting_flip_through_zero_opens_the_rest_at_the_fill_price() {
        let (_, p) = net_step(flat(), true, d("10"), Some(d("10"))).unwrap(); // long 10 @ 1
        let (v, p) = net_step(p, false, d("15"), Some(d("18"))).unwrap(); // sell 15 @ 1.2
        assert_eq!((v.close_qty, v.entry, v.dir), (d("10"), d("1"), 1));
        assert_eq!((p.qty, p.entry, p.known), (d("-5"), d("1.2"), true));
        // rp of the flip: only the closed 10 realize: 10 × (1.2 − 1) = 2
        assert_eq!(predicted_rp(&v, d("15"), d("18")).unwrap(), Some(d("2")));
        // a short closes with dir −1: buy 5 @ 1.0 → 5 × (1.0 − 1.2) × −1 = 1
        let (v, p) = net_step(p, true, d("5"), Some(d("5"))).unwrap();
        assert_eq!(predicted_rp(&v, d("5"), d("5")).unwrap(), Some(d("1")));
        assert_eq!((p.qty, p.entry, p.known), (Decimal::ZERO, Decimal::ZERO, true));
    }

    #[test]
    fn netting_unpriced_opening_fill_makes_the_entry_unknown_until_flat() {
        let (_, p) = net_step(flat(), false, d("100"), None).unwrap(); // short 100, no price
        assert!(!p.known);
        let (v, p) = net_step(p, true, d("40"), Some(d("40"))).unwrap();
        assert!(!v.known);
        assert_eq!(predicted_rp(&v, d("40"), d("40")).unwrap(), None);
        let (_, p) = net_step(p, true, d("60"), Some(d("60"))).unwrap();
        assert_eq!((p.qty, p.known), (Decimal::ZERO, true));
    }
}
