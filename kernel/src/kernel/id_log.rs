//! `IdLog`: an ordered id list with exact membership, for the kernel's kernel-wide dedup and
//! routing sets (intent ids, FILL_SETTLED / account event ids, retired venue order ids). It is
//! the one structure behind what used to be a `Vec<String>` (the saved order) plus a
//! `HashSet<String>` (membership) per set, with the same observable behaviour (issue 11, batch
//! stream: the old pair cost two String allocations per id and two frees per evicted id, and the
//! amortised compaction re-hashed and compared strings over lists of ~30k ids). Here the ids'
//! bytes live in one arena in list order (no allocation per id) and each entry keeps its hash.
//!
//! Model (what the old pair did, kept byte for byte in saved state):
//! - the list L is every appended id in order; the live set S is the ids not removed since;
//! - `append` pushes onto L and adds the id to S (an id already live gets a second entry: the
//!   old `set.insert; list.push`);
//! - `remove` takes the id out of S (its entries stay in L until the next compaction);
//! - `compact` drops the entries of L whose id is not in S, once L is longer than 2·|S| + 64;
//! - the saved list is L filtered to ids in S (so an entry whose id was removed and appended
//!   again before a compaction is saved twice, as before).
//!
//! Each entry carries its id's 64-bit `FastHash` and whether it is the id's live entry. The
//! index maps a hash to the list position of the live entry with that hash; a second live id
//! with an already-indexed hash (a 64-bit collision) goes to `spill`, keyed by the id itself, so
//! membership is always confirmed by comparing the id (never by the hash alone).

use crate::model::{id_hash, FastMap};

/// One appended id: its hash (computed once), where its bytes are in the arena, and whether it
/// is the live entry of its id.
#[derive(Debug, Clone)]
struct Entry {
    hash: u64,
    off: usize,
    len: u32,
    live: bool,
}

/// Ordered id list with exact membership (module docs).
#[derive(Debug, Clone, Default)]
pub struct IdLog {
    list: Vec<Entry>,
    /// The ids' bytes, in list order (UTF-8: every id was appended as a `&str`). One buffer
    /// instead of a String per id: no allocation per id, and an eviction reads the ids of
    /// consecutive entries from consecutive memory. Rewritten by `compact`.
    arena: Vec<u8>,
    /// Hash → position in `list` of a live entry with that hash.
    index: FastMap<u64, usize>,
    /// Live ids whose hash `index` already holds for another live id → their position.
    spill: FastMap<String, usize>,
    /// Tests only: keep 2 bits of the hash, so most ids collide (exercises the spill).
    #[cfg(test)]
    weak_hash: bool,
}

impl IdLog {
    #[cfg(not(test))]
    #[inline]
    fn hash_of(&self, id: &str) -> u64 {
        id_hash(id)
    }
    #[cfg(test)]
    fn hash_of(&self, id: &str) -> u64 {
        if self.weak_hash {
            id_hash(id) & 3
        } else {
            id_hash(id)
        }
    }

    /// Number of live ids (|S|).
    pub fn live_len(&self) -> usize {
        self.index.len() + self.spill.len()
    }

    /// Number of list entries (|L|), live or not (tests).
    #[cfg(test)]
    pub fn list_len(&self) -> usize {
        self.list.len()
    }

    fn bytes(&self, e: &Entry) -> &[u8] {
        &self.arena[e.off..e.off + e.len as usize]
    }

    fn id_at(&self, i: usize) -> &str {
        // SAFETY: the arena holds only whole ids copied from `&str` values (push_entry), and
        // entries never split one: every entry's range is valid UTF-8.
        unsafe { std::str::from_utf8_unchecked(self.bytes(&self.list[i])) }
    }

    fn push_entry(&mut self, hash: u64, id: &str, live: bool) -> usize {
        let pos = self.list.len();
        self.list.push(Entry { hash, off: self.arena.len(), len: id.len() as u32, live });
        self.arena.extend_from_slice(id.as_bytes());
        pos
    }

    fn find(&self, hash: u64, id: &str) -> Option<usize> {
        if let Some(&i) = self.index.get(&hash) {
            if self.bytes(&self.list[i]) == id.as_bytes() {
                return Some(i);
            }
        }
        if self.spill.is_empty() {
            None
        } else {
            self.spill.get(id).copied()
        }
    }

    /// Whether `id` is live (exact: the id is compared, not only its hash).
    pub fn contains(&self, id: &str) -> bool {
        self.find(self.hash_of(id), id).is_some()
    }

    /// Append `id` to the list and make it live (an id already live gets a second, non-live
    /// entry, which is saved while the id stays live: the old list-plus-set behaviour).
    pub fn append(&mut self, id: &str) {
        let hash = self.hash_of(id);
        let live = self.find(hash, id).is_none();
        let pos = self.push_entry(hash, id, live);
        if live {
            self.index_live(hash, id, pos);
        }
    }

    /// Append `id` only if it is not live; returns whether it was appended.
    pub fn insert(&mut self, id: &str) -> bool {
        let hash = self.hash_of(id);
        if self.find(hash, id).is_some() {
            return false;
        }
        let pos = self.push_entry(hash, id, true);
        self.index_live(hash, id, pos);
        true
    }

    fn index_live(&mut self, hash: u64, id: &str, pos: usize) {
        match self.index.entry(hash) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(pos);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.spill.insert(id.to_string(), pos);
            }
        }
    }

    /// Take `id` out of the live set (no-op when it is not live). Its entries stay in the list
    /// until `compact` drops them.
    pub fn remove(&mut self, id: &str) {
        let hash = self.hash_of(id);
        if let Some(&i) = self.index.get(&hash) {
            if self.bytes(&self.list[i]) == id.as_bytes() {
                self.list[i].live = false;
                // Another live id with the same hash moves from the spill into the index.
                let promoted = if self.spill.is_empty() { None } else { self.spill.iter().find(|(_, &p)| self.list[p].hash == hash).map(|(s, &p)| (s.clone(), p)) };
                match promoted {
                    Some((s, p)) => {
                        self.spill.remove(&s);
                        self.index.insert(hash, p);
                    }
                    None => {
                        self.index.remove(&hash);
                    }
                }
                return;
            }
        }
        if !self.spill.is_empty() {
            if let Some(p) = self.spill.remove(id) {
                self.list[p].live = false;
            }
        }
    }

    /// Drop the entries whose id is not live, once the list is longer than 2·|S| + 64 (amortised
    /// O(1) per removal; the old `compact` rule, so saved lists stay the same).
    pub fn compact(&mut self) {
        if self.list.len() <= 2 * self.live_len() + 64 {
            return;
        }
        // In place, front to back: entry r moves to w ≤ r and its bytes to woff ≤ its offset, so
        // the entries and bytes not yet visited are untouched, and the index (updated as each live
        // entry moves) always points at where its entry is now: `find` stays exact during the pass.
        // No second list or arena is allocated (a large free makes malloc consolidate).
        let (mut w, mut woff) = (0usize, 0usize);
        for r in 0..self.list.len() {
            let e = self.list[r].clone();
            if !(e.live || self.find(e.hash, self.id_at(r)).is_some()) {
                continue;
            }
            if e.live {
                let indexed = match self.index.get_mut(&e.hash) {
                    Some(p) if *p == r => {
                        *p = w;
                        true
                    }
                    _ => false,
                };
                if !indexed {
                    let id = self.id_at(r).to_string();
                    if let Some(p) = self.spill.get_mut(&id) {
                        *p = w;
                    }
                }
            }
            let len = e.len as usize;
            self.arena.copy_within(e.off..e.off + len, woff);
            self.list[w] = Entry { off: woff, ..e };
            w += 1;
            woff += len;
        }
        self.list.truncate(w);
        self.arena.truncate(woff);
    }

    /// The ids to save: list order, every entry whose id is live (twins included).
    pub fn kept(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.list.len()).filter(move |&i| self.list[i].live || self.find(self.list[i].hash, self.id_at(i)).is_some()).map(move |i| self.id_at(i))
    }

    /// Rebuild from a saved list (restore): every id appended in order.
    pub fn from_saved(ids: &[String]) -> IdLog {
        let mut log = IdLog::default();
        log.list.reserve(ids.len());
        for id in ids {
            log.append(id);
        }
        log
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The old pair (list + set + compact rule), the reference `IdLog` must match.
    #[derive(Default)]
    struct Old {
        list: Vec<String>,
        set: HashSet<String>,
    }
    impl Old {
        fn append(&mut self, id: &str) {
            self.set.insert(id.to_string());
            self.list.push(id.to_string());
        }
        fn insert(&mut self, id: &str) -> bool {
            if self.set.insert(id.to_string()) {
                self.list.push(id.to_string());
                true
            } else {
                false
            }
        }
        fn compact(&mut self) {
            if self.list.len() > 2 * self.set.len() + 64 {
                let set = &self.set;
                self.list.retain(|x| set.contains(x));
            }
        }
        fn kept(&self) -> Vec<String> {
            self.list.iter().filter(|x| self.set.contains(*x)).cloned().collect()
        }
    }

    fn random_ops(weak_hash: bool) {
        let mut rng = crate::stream::XorShift(0x9e37_79b9_7f4a_7c15);
        for round in 0..12 {
            let alphabet = 20 + round * 30;
            let mut old = Old::default();
            let mut new = IdLog { weak_hash, ..IdLog::default() };
            for step in 0..4000 {
                let id = format!("i-{}", rng.below(alphabet));
                match rng.below(10) {
                    0..=2 => {
                        if !old.set.contains(&id) {
                            old.append(&id);
                            new.append(&id);
                        }
                    }
                    3 => {
                        // append of a live id: the old code pushed a second list entry
                        old.append(&id);
                        new.append(&id);
                    }
                    4..=5 => assert_eq!(old.insert(&id), new.insert(&id)),
                    6..=8 => {
                        old.set.remove(&id);
                        new.remove(&id);
                    }
                    _ => {
                        old.compact();
                        new.compact();
                    }
                }
                assert_eq!(old.set.contains(&id), new.contains(&id), "round {} step {}", round, step);
                assert_eq!(old.set.len(), new.live_len());
                if !weak_hash {
                    assert!(new.spill.is_empty(), "round {} step {}: spill {:?}", round, step, new.spill);
                }
                assert_eq!(old.list.len(), new.list_len());
                if step % 16 == 0 {
                    assert_eq!(old.kept(), new.kept().map(String::from).collect::<Vec<_>>(), "round {} step {}", round, step);
                }
            }
            assert_eq!(old.kept(), new.kept().map(String::from).collect::<Vec<_>>(), "round {}", round);
            let restored = IdLog::from_saved(&old.kept());
            assert_eq!(restored.kept().map(String::from).collect::<Vec<_>>(), old.kept());
        }
    }

    /// Random append / insert / remove / compact over a small id alphabet (so ids are re-used
    /// after removal: the twin case the old `Kept` list saved twice), checked step by step
    /// against the old list-plus-set: membership, |S|, |L| and the saved list.
    #[test]
    fn id_log_matches_list_plus_set() {
        random_ops(false);
    }

    /// The same with a 2-bit hash, so nearly every live id shares its hash with another one
    /// (the spill path of 64-bit collisions): membership stays exact.
    #[test]
    fn id_log_matches_list_plus_set_under_hash_collisions() {
        random_ops(true);
    }
}
