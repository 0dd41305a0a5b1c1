//! The store of evicted trade-id hashes (E7: a trade id stays taken after its trade left the
//! archive). It holds only the 64-bit hashes, in fixed-size sorted chunks (a one-level B-tree):
//! chunk `i` holds the hashes in `[lows[i], lows[i+1])`, ascending, so the chunks read in order are
//! the whole set ascending (the saved order, kernel/README.md "Saved state").
//!
//! Why chunks (issue 12: RSS growth of one kernel from 100k to 1M trades): every chunk is allocated
//! once with capacity `CHUNK_CAP` (4 KiB, exactly one `pool_alloc` size class) and never
//! reallocated. The earlier single sorted `Vec` grew by a quarter at a time; each regrowth of a
//! multi-MB block needed the old and the new block at once and left the old one as a hole in WASM
//! linear memory, which never shrinks, so the store cost ≈ 17 bytes of linear memory per id at 1M
//! ids for 8 bytes of data; it also merged its 256-entry tail into the run with an O(n) memmove.
//! Here an insert moves at most one chunk (≤ 4 KiB), a lookup bisects `lows` then one chunk, and
//! the only growing blocks are `lows` and `chunks` (≈ 1/400 of the data).
//!
//! A `HashSet` of the same ids cost about 3× the memory and doubled in steps.

/// Hashes per chunk: 512 × 8 B = 4096 B, one `pool_alloc` class block (reused, never realloc'd).
const CHUNK_CAP: usize = 512;
/// A full chunk borrows room from a neighbour only when the neighbour has at least this many free
/// places (else it splits): a shift moves `free / 2` hashes, so both end with room and a later
/// insert into the pair does not shift again at once.
const MIN_BORROW: usize = CHUNK_CAP / 16;
/// Fill of each chunk when a store is built from a list (restore): room for the inserts that
/// follow without splitting every chunk at once.
const RESTORE_FILL: usize = CHUNK_CAP * 7 / 8;

/// A set of u64 in fixed 4 KiB sorted chunks (see the module docs): ≈ 8 bytes per element over
/// the chunks' fill (measured ≈ 0.8 for random hashes by `e7_hash_store_chunks_stay_filled`).
/// Iteration order (`to_sorted_vec`) is ascending, so a saved state does not depend on the
/// eviction order or on the store's history.
#[derive(Debug, Default)]
pub struct HashStore {
    /// Non-empty chunks (none when the store is empty), each ascending with capacity `CHUNK_CAP`.
    chunks: Vec<Vec<u64>>,
    /// `lows[0] = 0`; `lows[i] = chunks[i][0]` for i ≥ 1: chunk i holds `[lows[i], lows[i+1])`.
    lows: Vec<u64>,
    /// Number of hashes held.
    len: usize,
}

fn new_chunk(from: &[u64]) -> Vec<u64> {
    let mut c = Vec::with_capacity(CHUNK_CAP);
    c.extend_from_slice(from);
    c
}

impl Clone for HashStore {
    /// A copy whose chunks keep capacity `CHUNK_CAP` (a derived clone would size them to their
    /// length, and the next insert would reallocate them).
    fn clone(&self) -> HashStore {
        HashStore { chunks: self.chunks.iter().map(|c| new_chunk(c)).collect(), lows: self.lows.clone(), len: self.len }
    }
}

impl HashStore {
    /// A store holding `hashes` (any order; duplicates are kept once).
    pub fn from_hashes(mut hashes: Vec<u64>) -> HashStore {
        hashes.sort_unstable();
        hashes.dedup();
        let mut s = HashStore { chunks: Vec::with_capacity(hashes.len() / RESTORE_FILL + 1), lows: Vec::with_capacity(hashes.len() / RESTORE_FILL + 1), len: hashes.len() };
        for part in hashes.chunks(RESTORE_FILL) {
            s.lows.push(if s.chunks.is_empty() { 0 } else { part[0] });
            s.chunks.push(new_chunk(part));
        }
        s
    }

    /// Index of the chunk whose range holds `h` (the store is not empty).
    fn route(&self, h: u64) -> usize {
        self.lows.partition_point(|&l| l <= h) - 1
    }

    /// Whether `h` is held.
    pub fn contains(&self, h: u64) -> bool {
        !self.chunks.is_empty() && self.chunks[self.route(h)].binary_search(&h).is_ok()
    }

    /// Add `h`; false when it was already held.
    pub fn insert(&mut self, h: u64) -> bool {
        if self.chunks.is_empty() {
            self.chunks.push(new_chunk(&[h]));
            self.lows.push(0);
            self.len = 1;
            return true;
        }
        let mut i = self.route(h);
        let p = match self.chunks[i].binary_search(&h) {
            Ok(_) => return false,
            Err(p) => p,
        };
        if self.chunks[i].len() < CHUNK_CAP {
            self.chunks[i].insert(p, h);
        } else {
            self.make_room(i);
            i = self.route(h);
            let p = self.chunks[i].binary_search(&h).unwrap_or_else(|p| p);
            self.chunks[i].insert(p, h);
        }
        self.len += 1;
        true
    }

    /// Give full chunk `i` free places without growing any chunk: shift its top half-gap into the
    /// next chunk, or its bottom into the previous one, when that neighbour has `MIN_BORROW` free
    /// places; else split it in two. Afterwards both chunks that `i`'s range now maps to have room.
    fn make_room(&mut self, i: usize) {
        let free = |c: &Vec<u64>| CHUNK_CAP - c.len();
        if i + 1 < self.chunks.len() && free(&self.chunks[i + 1]) >= MIN_BORROW {
            let k = free(&self.chunks[i + 1]) / 2;
            let at = self.chunks[i].len() - k;
            let (lo, hi) = self.chunks.split_at_mut(i + 1);
            hi[0].splice(0..0, lo[i].drain(at..));
            self.lows[i + 1] = self.chunks[i + 1][0];
        } else if i > 0 && free(&self.chunks[i - 1]) >= MIN_BORROW {
            let k = free(&self.chunks[i - 1]) / 2;
            let (lo, hi) = self.chunks.split_at_mut(i);
            lo[i - 1].extend(hi[0].drain(..k));
            self.lows[i] = self.chunks[i][0];
        } else {
            let half = self.chunks[i].len() / 2;
            let upper = new_chunk(&self.chunks[i][half..]);
            self.chunks[i].truncate(half);
            self.lows.insert(i + 1, upper[0]);
            self.chunks.insert(i + 1, upper);
        }
    }

    /// Number of hashes held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no hash is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every hash, ascending (a cold path: saving the state). The chunks are in order already.
    pub fn to_sorted_vec(&self) -> Vec<u64> {
        let mut v = Vec::with_capacity(self.len);
        for c in &self.chunks {
            v.extend_from_slice(c);
        }
        v
    }

    /// Bytes reserved by the chunks and their index (tests and diagnostics).
    pub fn reserved_bytes(&self) -> usize {
        self.chunks.len() * CHUNK_CAP * 8 + self.chunks.capacity() * std::mem::size_of::<Vec<u64>>() + self.lows.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn xorshift(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    /// Every chunk ascending, within its range, capacity unchanged; `lows` consistent; `len` right.
    fn check_shape(s: &HashStore) {
        assert_eq!(s.chunks.len(), s.lows.len());
        let mut n = 0;
        for (i, c) in s.chunks.iter().enumerate() {
            assert!(!c.is_empty(), "chunk {} empty", i);
            assert_eq!(c.capacity(), CHUNK_CAP, "chunk {} was reallocated", i);
            assert!(c.windows(2).all(|w| w[0] < w[1]), "chunk {} not ascending", i);
            assert_eq!(s.lows[i], if i == 0 { 0 } else { c[0] });
            if i + 1 < s.chunks.len() {
                assert!(*c.last().unwrap() < s.lows[i + 1], "chunk {} overlaps the next", i);
            }
            n += c.len();
        }
        assert_eq!(n, s.len());
    }

    /// Against a HashSet on a deterministic stream with repeats: same answers, sorted iteration.
    #[test]
    fn e7_hash_store_matches_a_set() {
        let mut s = HashStore::default();
        let mut r: HashSet<u64> = HashSet::new();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for n in 0..20_000u64 {
            let h = if n % 7 == 0 { xorshift(&mut x) % 500 } else { xorshift(&mut x) };
            assert_eq!(s.insert(h), r.insert(h), "insert {}", h);
            assert!(s.contains(h));
            assert_eq!(s.contains(h ^ 1), r.contains(&(h ^ 1)));
        }
        check_shape(&s);
        assert_eq!(s.len(), r.len());
        let mut want: Vec<u64> = r.into_iter().collect();
        want.sort_unstable();
        assert_eq!(s.to_sorted_vec(), want);
        let back = HashStore::from_hashes(s.to_sorted_vec().into_iter().rev().chain([3, 3]).collect());
        check_shape(&back);
        assert_eq!(back.len(), s.len() + usize::from(!want.contains(&3)));
    }

    /// Ascending and descending runs (every insert at one end of the set) and a restored store
    /// that keeps growing: the chunks keep their shape and the set is exact.
    #[test]
    fn e7_hash_store_sequential_and_restored_inserts() {
        for dir in [false, true] {
            let mut s = HashStore::default();
            for n in 0..5_000u64 {
                let h = if dir { u64::MAX - n } else { n };
                assert!(s.insert(h));
            }
            check_shape(&s);
            let want: Vec<u64> = (0..5_000u64).map(|n| if dir { u64::MAX - 4_999 + n } else { n }).collect();
            assert_eq!(s.to_sorted_vec(), want);
        }
        let mut x = 7u64;
        let mut s = HashStore::from_hashes((0..3_000).map(|_| xorshift(&mut x)).collect());
        check_shape(&s);
        let mut all = s.to_sorted_vec();
        for _ in 0..3_000 {
            let h = xorshift(&mut x);
            assert!(s.insert(h));
            all.push(h);
        }
        for h in &all {
            assert!(!s.insert(*h), "duplicate {} accepted", h);
        }
        all.sort_unstable();
        check_shape(&s);
        assert_eq!(s.to_sorted_vec(), all);
        let c = s.clone();
        check_shape(&c);
        assert_eq!(c.to_sorted_vec(), all);
    }

    /// Issue 12 memory bound: 1M random hashes (trade-id hashes are FNV-1a 64, uniform) cost at
    /// most 10 reserved bytes each (measured 9.51: chunks ≈ 85 % full, index included), no chunk ever regrows.
    #[test]
    fn e7_hash_store_chunks_stay_filled() {
        let mut s = HashStore::default();
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..1_000_000 {
            s.insert(xorshift(&mut x));
        }
        check_shape(&s);
        let per_id = s.reserved_bytes() as f64 / s.len() as f64;
        assert!(per_id <= 10.0, "{:.2} reserved bytes per id", per_id);
    }
}
