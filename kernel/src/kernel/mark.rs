//! Mark prices: unrealized PnL only, never an entry basis (A4). Part of `Kernel` (kernel.rs); moved out of the one-file kernel (issue 11).

use super::*;

impl Kernel {
    /// Mark price: updates unrealized PnL only; never becomes an entry basis (A4, spec §0.1).
    pub fn mark_price(&mut self, m: &MarkPrice) -> Out {
        let before = self.ledger.clone();
        if self.instrument(&m.symbol).is_none() {
            return invalid(Code::InvalidEvent, "symbol", &m.symbol, "not a configured instrument");
        }
        // compute first, then commit
        let mut updates: Vec<(usize, Decimal)> = Vec::new();
        for (si, s) in self.slots.iter().enumerate() {
            if s.symbol == m.symbol {
                match unrealized_at(s, m.mark_price) {
                    Ok(u) => updates.push((si, u)),
                    Err(e) => return internal(e),
                }
            }
        }
        for (si, u) in &updates {
            self.slots[*si].mark_price = m.mark_price;
            self.slots[*si].unrealized = *u;
            mutants::mark_as_basis(&mut self.slots[*si], m.mark_price);
        }
        if let Err(e) = self.recompute_unrealized() {
            return internal(e);
        }
        let mut out = Out::ok("mark price applied");
        out.set("slots", DVal::N(updates.len() as i64));
        self.finish(&before, out)
    }
}
