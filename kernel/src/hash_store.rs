//! The store of evicted trade-id hashes (E7: a trade id stays taken after its trade left the
//! archive). It holds only the 64-bit hashes, 8 bytes each: a sorted run searched by bisection
//! plus a short unsorted tail merged into the run when full. A `HashSet` of the same ids cost about
//! 3× the memory and doubled in steps, and the ordered list it was saved from cost as much again
//! (issue 12: RSS growth of one kernel from 100k to 1M trades).

/// Tail length at which it is merged into the sorted run (a lookup scans it linearly).
const TAIL_MAX: usize = 256;

/// A set of u64 in 8 bytes per element plus bounded slack (see the module docs).
/// Iteration order (`to_sorted_vec`) is ascending, so a saved state does not depend on the
/// eviction order or on the store's history.
#[derive(Debug, Clone, Default)]
pub struct HashStore {
    sorted: Vec<u64>,
    tail: Vec<u64>,
}

impl HashStore {
    /// A store holding `hashes` (any order; duplicates are kept once).
    pub fn from_hashes(mut hashes: Vec<u64>) -> HashStore {
        hashes.sort_unstable();
        hashes.dedup();
        hashes.shrink_to_fit();
        HashStore { sorted: hashes, tail: Vec::new() }
    }

    /// Whether `h` is held.
    pub fn contains(&self, h: u64) -> bool {
        self.tail.contains(&h) || self.sorted.binary_search(&h).is_ok()
    }

    /// Add `h`; false when it was already held.
    pub fn insert(&mut self, h: u64) -> bool {
        if self.contains(h) {
            return false;
        }
        self.tail.push(h);
        if self.tail.len() >= TAIL_MAX {
            self.merge_tail();
        }
        true
    }

    /// Number of hashes held.
    pub fn len(&self) -> usize {
        self.sorted.len() + self.tail.len()
    }

    /// True when no hash is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every hash, ascending (a cold path: saving the state).
    pub fn to_sorted_vec(&self) -> Vec<u64> {
        let mut v = Vec::with_capacity(self.len());
        v.extend_from_slice(&self.sorted);
        v.extend_from_slice(&self.tail);
        v.sort_unstable();
        v
    }

    /// Merge the tail into the sorted run in place, from the back. The run grows by a quarter at a
    /// time (not doubled), so its slack stays under 25 %.
    fn merge_tail(&mut self) {
        self.tail.sort_unstable();
        let old = self.sorted.len();
        let add = self.tail.len();
        if self.sorted.capacity() < old + add {
            self.sorted.reserve_exact((old / 4).max(add).max(TAIL_MAX));
        }
        self.sorted.resize(old + add, 0);
        let (mut i, mut j, mut k) = (old, add, old + add);
        while j > 0 {
            if i > 0 && self.sorted[i - 1] > self.tail[j - 1] {
                self.sorted[k - 1] = self.sorted[i - 1];
                i -= 1;
            } else {
                self.sorted[k - 1] = self.tail[j - 1];
                j -= 1;
            }
            k -= 1;
        }
        self.tail.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Against a HashSet on a deterministic stream with repeats: same answers, sorted iteration.
    #[test]
    fn e7_hash_store_matches_a_set() {
        let mut s = HashStore::default();
        let mut r: HashSet<u64> = HashSet::new();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for n in 0..20_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let h = if n % 7 == 0 { x % 500 } else { x };
            assert_eq!(s.insert(h), r.insert(h), "insert {}", h);
            assert!(s.contains(h));
            assert_eq!(s.contains(h ^ 1), r.contains(&(h ^ 1)));
        }
        assert_eq!(s.len(), r.len());
        let mut want: Vec<u64> = r.into_iter().collect();
        want.sort_unstable();
        assert_eq!(s.to_sorted_vec(), want);
        let back = HashStore::from_hashes(s.to_sorted_vec().into_iter().rev().chain([3, 3]).collect());
        assert_eq!(back.len(), s.len() + usize::from(!want.contains(&3)));
    }
}
