//! The one account ledger (docs/accounting.md §3-§5, DESIGN "Ledger invariants").
//!
//! Exchange facts are the ledger of record: an anchor (BALANCE account event or
//! `anchorToExchange`) sets capital to the wallet balance (`e_anchored`). Between anchors capital
//! moves only by settled realized increments minus fee increments, plus funding (`k_bridged`).
//! Settlement is incremental per slot: the slot's `settledRealized` / `settledFees` baselines are
//! part of saved state, so an increment is settled once, at any stage (Flaw 5), never twice across
//! restarts (docs/accounting.md §0.3). The kernel publishes a new snapshot (eventSeq + 1) per mutating call.

use crate::dec::{self, KResult};
use crate::kernel::mutants;
use crate::model::{CapitalSource, LedgerState, SlotState};
use rust_decimal::Decimal;

impl LedgerState {
    pub fn seed(initial: Decimal) -> LedgerState {
        LedgerState {
            event_seq: 0,
            capital: initial,
            peak_capital: initial,
            realized: Decimal::ZERO,
            unrealized: Decimal::ZERO,
            fees_paid: Decimal::ZERO,
            funding: Decimal::ZERO,
            trade_seq: 0,
            capital_source: CapitalSource::Seed,
            e_wallet_balance: Decimal::ZERO,
            e_available_margin: Decimal::ZERO,
            anchor_capital: initial,
            anomaly_count: 0,
            last_anchor_seq: None,
            evicted_trades: 0,
            evicted_realized: Decimal::ZERO,
            evicted_fees: Decimal::ZERO,
        }
    }

    /// Same ledger content, ignoring eventSeq (decides whether a call published a new snapshot).
    pub fn same_content(&self, other: &LedgerState) -> bool {
        if self.same_bits(other) {
            return true; // the common case (most calls leave the ledger as it was): no Decimal compare
        }
        let mut a = self.clone();
        a.event_seq = other.event_seq;
        a == *other
    }

    /// Every field but eventSeq bit-identical (Decimal by its 16-byte representation): implies
    /// `same_content`; false says nothing (1.0 and 1.00 differ in bits, not in value). The
    /// exhaustive destructuring makes a new field a compile error here.
    fn same_bits(&self, o: &LedgerState) -> bool {
        let LedgerState {
            event_seq: _,
            capital,
            peak_capital,
            realized,
            unrealized,
            fees_paid,
            funding,
            trade_seq,
            capital_source,
            e_wallet_balance,
            e_available_margin,
            anchor_capital,
            anomaly_count,
            last_anchor_seq,
            evicted_trades,
            evicted_realized,
            evicted_fees,
        } = self;
        // as one u128 each: two word compares instead of a 16-byte memcmp call in wasm
        let d = |a: &Decimal, b: &Decimal| u128::from_le_bytes(a.serialize()) == u128::from_le_bytes(b.serialize());
        d(capital, &o.capital)
            && d(peak_capital, &o.peak_capital)
            && d(realized, &o.realized)
            && d(unrealized, &o.unrealized)
            && d(fees_paid, &o.fees_paid)
            && d(funding, &o.funding)
            && *trade_seq == o.trade_seq
            && *capital_source == o.capital_source
            && d(e_wallet_balance, &o.e_wallet_balance)
            && d(e_available_margin, &o.e_available_margin)
            && d(anchor_capital, &o.anchor_capital)
            && *anomaly_count == o.anomaly_count
            && *last_anchor_seq == o.last_anchor_seq
            && *evicted_trades == o.evicted_trades
            && d(evicted_realized, &o.evicted_realized)
            && d(evicted_fees, &o.evicted_fees)
    }

    /// Settle the slot's unsettled realized and fee increments into capital (k_bridged).
    /// Computes everything first, then commits: an overflow changes nothing.
    pub fn settle(&mut self, slot: &mut SlotState) -> KResult<bool> {
        let dr = dec::sub(slot.realized, slot.settled_realized)?;
        let df = dec::sub(slot.fees, slot.settled_fees)?;
        if dr.is_zero() && df.is_zero() {
            return Ok(false);
        }
        let capital = mutants::settled_capital(self.capital, dr, df)?;
        let realized = dec::add(self.realized, dr)?;
        let fees = dec::add(self.fees_paid, df)?;
        self.capital = capital;
        self.realized = realized;
        self.fees_paid = fees;
        self.capital_source = CapitalSource::KBridged;
        slot.settled_realized = slot.realized;
        slot.settled_fees = slot.fees;
        Ok(true)
    }

    /// Funding payment (+ = received): booked into funding and capital (k_bridged).
    pub fn funding(&mut self, amount: Decimal) -> KResult<()> {
        let amount = mutants::funding_booked(amount);
        let f = dec::add(self.funding, amount)?;
        let c = dec::add(self.capital, amount)?;
        self.funding = f;
        self.capital = c;
        self.capital_source = CapitalSource::KBridged;
        Ok(())
    }

    /// Anchor capital to the exchange wallet balance (docs/accounting.md §3.1). The caller validated it > 0.
    pub fn anchor(&mut self, wallet: Decimal, available: Option<Decimal>, seq: i64) {
        self.capital = wallet;
        self.anchor_capital = wallet;
        self.e_wallet_balance = wallet;
        if let Some(a) = available {
            self.e_available_margin = a;
        }
        self.capital_source = CapitalSource::EAnchored;
        self.last_anchor_seq = Some(seq);
    }

    /// Publish: peak capital follows capital.
    pub fn publish(&mut self) {
        if self.capital > self.peak_capital {
            self.peak_capital = self.capital;
        }
    }
}
