//! Deterministic benchmark event stream (the SAME bytes feed the native bench and the WASM
//! bench through the batch ABI). Seeded xorshift64*, no clock.
//!
//! Each slot runs trade cycles: ENTER (typed intent record, typed.rs) → ORDER_ACK → 1-4 incremental entry
//! fills → EXIT → ACK → 2 fills → EXIT → ACK → 2 fills (CLOSED) → next trade. Slots interleave
//! pseudo-randomly, so routing works across slots. Exit legs use ratios ["0.5","0.5"].

use crate::batch::{encode_event, encode_typed, RecordSpec, KIND_INTENT_BIN};
use crate::fields::BinVal;
use std::collections::VecDeque;

/// KernelConfig JSON used by both benches.
pub fn bench_config(slots: usize) -> String {
    format!(
        r#"{{"slotCount":{},"initialCapitalUsdt":"100000","instruments":[{{"symbol":"FET-USDT","tickSize":"0.0001","stepSize":"1"}},{{"symbol":"BTC-USDT","tickSize":"0.1","stepSize":"0.0001"}}],"defaultExitLegRatios":["0.5","0.5"]}}"#,
        slots
    )
}

pub struct XorShift(pub u64);
impl XorShift {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

struct Gen {
    rng: XorShift,
    ts: i64,
    eid: u64,
    vid: u64,
}

impl Gen {
    fn split(&mut self, total: i64, parts: usize) -> Vec<i64> {
        let mut out = Vec::new();
        let mut left = total;
        for i in 0..parts {
            if i + 1 == parts {
                out.push(left);
            } else {
                let max = left - (parts - i - 1) as i64;
                let q = 1 + self.rng.below((max.max(1)) as u64) as i64;
                let q = q.min(max).max(1);
                out.push(q);
                left -= q;
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn order_events(&mut self, out: &mut Vec<Vec<u8>>, sym: &str, coid: &str, qty: i64, parts: usize, price_base: i64) {
        self.vid += 1;
        let vid = format!("{}", 1_900_000_000_000_000_000u64 + self.vid);
        self.ts += 1 + self.rng.below(1000) as i64;
        self.eid += 1;
        let mut rec = Vec::new();
        encode_event(&mut rec, &RecordSpec { kind: 0, event_id: &format!("e{}", self.eid), symbol: sym, venue_order_id: &vid, client_order_id: coid, ts_us: self.ts, ..Default::default() });
        out.push(rec);
        let qs = self.split(qty, parts);
        for (i, q) in qs.iter().enumerate() {
            self.ts += 1 + self.rng.below(1000) as i64;
            self.eid += 1;
            let price = price_base + self.rng.below(40) as i64 - 20; // 4 dp
            let fee = q * price * 5; // 0.05% taker: q × (price/1e4) × 5e-4 = q × price × 5 / 1e8
            let mut rec = Vec::new();
            encode_event(
                &mut rec,
                &RecordSpec {
                    kind: if i + 1 == qs.len() { 2 } else { 1 },
                    event_id: &format!("e{}", self.eid),
                    symbol: sym,
                    venue_order_id: &vid,
                    client_order_id: coid,
                    ts_us: self.ts,
                    qty: Some((*q, 0)),
                    price: Some((price, 4)),
                    fee: Some((fee, 8)),
                    ..Default::default()
                },
            );
            out.push(rec);
        }
    }

    fn cycle(&mut self, slot: usize, cycle: u64) -> VecDeque<Vec<u8>> {
        let mut recs: Vec<Vec<u8>> = Vec::new();
        let tid = format!("b{}s{}", cycle, slot);
        let long = self.rng.below(2) == 0;
        let qty = 1000 + self.rng.below(200_000) as i64;
        let price = 1800 + self.rng.below(200) as i64;
        self.ts += 1;
        let (iid, q) = (format!("i-{}-e", tid), qty.to_string());
        let enter = [
            ("kind", BinVal::Str("ENTER")),
            ("intentId", BinVal::Str(&iid)),
            ("tsUs", BinVal::Int(self.ts)),
            ("slotId", BinVal::Int(slot as i64)),
            ("tradeId", BinVal::Str(&tid)),
            ("symbol", BinVal::Str("FET-USDT")),
            ("side", BinVal::Str(if long { "LONG" } else { "SHORT" })),
            ("quantity", BinVal::Str(&q)),
            ("orderType", BinVal::Str("MARKET")),
            ("leverage", BinVal::Int(3)),
        ];
        let mut r = Vec::new();
        encode_typed(&mut r, KIND_INTENT_BIN, &enter);
        recs.push(r);
        let parts = 1 + self.rng.below(4) as usize;
        let lt = tid.to_ascii_lowercase();
        self.order_events(&mut recs, "FET-USDT", &format!("d2-{}-e1", lt), qty, parts, price);
        let leg1 = qty / 2; // floor_step(qty × 0.5), step 1
        let legs = [leg1, qty - leg1];
        for (li, lq) in legs.iter().enumerate() {
            self.ts += 1;
            let iid = format!("i-{}-x{}", tid, li + 1);
            let exit = [
                ("kind", BinVal::Str("EXIT")),
                ("intentId", BinVal::Str(&iid)),
                ("tsUs", BinVal::Int(self.ts)),
                ("slotId", BinVal::Int(slot as i64)),
                ("orderType", BinVal::Str("MARKET")),
            ];
            let mut r = Vec::new();
            encode_typed(&mut r, KIND_INTENT_BIN, &exit);
            recs.push(r);
            let exit_price = price + self.rng.below(60) as i64 - 30;
            self.order_events(&mut recs, "FET-USDT", &format!("d2-{}-x{}", lt, li + 1), *lq, 2, exit_price);
        }
        recs.into_iter().collect()
    }
}

/// Generate `n_records` records for a kernel created with `bench_config(slots)`.
pub fn bench_stream(n_records: usize, seed: u64, slots: usize) -> Vec<u8> {
    let slots = slots.max(1);
    let mut g = Gen { rng: XorShift(seed | 1), ts: 1_700_000_000_000_000, eid: 0, vid: 0 };
    let mut queues: Vec<VecDeque<Vec<u8>>> = (0..slots).map(|_| VecDeque::new()).collect();
    let mut cycles: Vec<u64> = vec![0; slots];
    let mut out: Vec<u8> = Vec::with_capacity(n_records * 100);
    for _ in 0..n_records {
        let s = g.rng.below(slots as u64) as usize;
        if queues[s].is_empty() {
            let c = cycles[s];
            cycles[s] += 1;
            queues[s] = g.cycle(s, c);
        }
        if let Some(r) = queues[s].pop_front() {
            out.extend_from_slice(&r);
        }
    }
    out
}
