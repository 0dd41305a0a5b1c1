//! The archive of closed trades (`Kernel::archive`), with a cache of each archived trade's saved
//! JSON text for the state digest (issue 12: the chaos idempotency probes digest the whole saved
//! state twice per probe, and archived trades were most of its serde formatting).
//!
//! Reads go through `Deref` to the `VecDeque`; every change goes through a method here, which
//! drops the changed trade's cached text, so a cached text always equals what serde_json writes
//! for that trade now (the type has no `DerefMut`: a change that bypasses the cache does not
//! compile).

use super::*;
use std::cell::RefCell;
use std::io::Write;

/// Most bytes of trade text one kernel caches. Beyond it, further trades are formatted on every
/// digest as before (a bound on memory: the 10,000-trade default archive at ~1.5 KB a trade would
/// otherwise add ~15 MB to a kernel that is ever digested).
const TEXT_CACHE_MAX_BYTES: usize = 4 << 20;

/// Closed trades, oldest first (kernel.rs `Kernel::archive`).
#[derive(Default)]
pub struct Archive {
    items: VecDeque<SlotState>,
    texts: RefCell<TextCache>,
}

/// `texts[i]` is the serde_json text of `items[i]`, or None (not cached yet, or changed since).
#[derive(Default)]
struct TextCache {
    texts: VecDeque<Option<Box<[u8]>>>,
    bytes: usize,
}

impl TextCache {
    fn drop_at(&mut self, i: usize) {
        if let Some(t) = self.texts.get_mut(i).and_then(|t| t.take()) {
            self.bytes -= t.len();
        }
    }
}

impl std::ops::Deref for Archive {
    type Target = VecDeque<SlotState>;
    fn deref(&self) -> &VecDeque<SlotState> {
        &self.items
    }
}

impl Archive {
    /// An archive holding `items` (restore), nothing cached.
    pub fn from_items(items: Vec<SlotState>) -> Archive {
        let n = items.len();
        Archive { items: items.into_iter().collect(), texts: RefCell::new(TextCache { texts: (0..n).map(|_| None).collect(), bytes: 0 }) }
    }

    pub fn push_back(&mut self, s: SlotState) {
        self.items.push_back(s);
        self.texts.get_mut().texts.push_back(None);
    }

    pub fn pop_front(&mut self) -> Option<SlotState> {
        let c = self.texts.get_mut();
        c.drop_at(0);
        c.texts.pop_front();
        self.items.pop_front()
    }

    /// Replace trade `i` (re-pricing, settlement, reconcile of an archived trade). Panics like
    /// `VecDeque` indexing when `i` is out of range (callers index trades they just read).
    pub fn set(&mut self, i: usize, s: SlotState) {
        self.items[i] = s;
        self.texts.get_mut().drop_at(i);
    }

    /// Apply `f` to every trade (restore's rebuild of the lookup sets); drops every cached text.
    pub fn for_each_mut<F: FnMut(&mut SlotState)>(&mut self, f: F) {
        self.items.iter_mut().for_each(f);
        let c = self.texts.get_mut();
        c.texts.iter_mut().for_each(|t| *t = None);
        c.bytes = 0;
    }

    /// Write the archive as its saved JSON array (the bytes serde_json writes for the
    /// `VecDeque<SlotState>`) into `w`, reusing cached texts. With `fill`, texts formatted now are
    /// kept (within TEXT_CACHE_MAX_BYTES) for the next call. Errors: serde_json's or `w`'s, as text.
    pub fn write_json<W: Write>(&self, w: &mut W, fill: bool) -> Result<(), String> {
        let mut c = self.texts.borrow_mut();
        let mut scratch: Vec<u8> = Vec::new();
        w.write_all(b"[").map_err(|e| e.to_string())?;
        for (i, s) in self.items.iter().enumerate() {
            if i > 0 {
                w.write_all(b",").map_err(|e| e.to_string())?;
            }
            if let Some(t) = &c.texts[i] {
                w.write_all(t).map_err(|e| e.to_string())?;
                continue;
            }
            scratch.clear();
            serde_json::to_writer(&mut scratch, s).map_err(|e| e.to_string())?;
            w.write_all(&scratch).map_err(|e| e.to_string())?;
            if fill && c.bytes + scratch.len() <= TEXT_CACHE_MAX_BYTES {
                c.bytes += scratch.len();
                c.texts[i] = Some(scratch.as_slice().into());
            }
        }
        w.write_all(b"]").map_err(|e| e.to_string())
    }

    /// Number of trades whose text is cached (tests).
    #[cfg(test)]
    pub fn cached_count(&self) -> usize {
        self.texts.borrow().texts.iter().filter(|t| t.is_some()).count()
    }
}
