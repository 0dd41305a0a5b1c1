//! Size-class pool allocator, the global allocator of the WebAssembly build (issue 11: the
//! allocator was 36 % of the kernel's WASM profile, dlmalloc's malloc/free/realloc ~30 % of the
//! batch path after the typed ABI).
//!
//! The kernel allocates and frees many small blocks per input (ids, messages, per-trade records).
//! Blocks of up to `MAX_CLASS_BYTES` with alignment ≤ 16 are served from ten power-of-two size
//! classes (16 B … 8 KiB): a freed block goes onto its class's intrusive free list (the first word
//! of the block is the next pointer) and the next request of that class pops it, O(1) with no
//! header and no coalescing. A class with an empty list takes a fresh block of the class size from
//! the backing allocator (dlmalloc in WASM). Larger or over-aligned requests go straight to the
//! backing allocator. `realloc` keeps the block when the new size falls in the same class.
//!
//! Memory: freed blocks stay on their list (they are never returned to the backing allocator), so
//! each class holds at most its peak number of live blocks; WASM linear memory never shrinks
//! anyway. A request is rounded up to its class (at most 2× its size).
//!
//! Not thread-safe: the wasm32-unknown-unknown module is single-threaded. Tests use their own
//! instance from one thread.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;
use std::ptr::null_mut;

/// Number of size classes: 16, 32, ..., 8192 bytes.
pub const CLASSES: usize = 10;
/// Largest block served from a class.
pub const MAX_CLASS_BYTES: usize = 16 << (CLASSES - 1);
const MIN_SHIFT: u32 = 4;

/// The size class of a request, or None when it goes to the backing allocator.
pub fn class_of(size: usize, align: usize) -> Option<usize> {
    if align > 16 || size > MAX_CLASS_BYTES {
        return None;
    }
    let s = size.max(16).next_power_of_two();
    Some((s.trailing_zeros() - MIN_SHIFT) as usize)
}

fn class_layout(c: usize) -> Layout {
    // Size a power of two ≥ 16, alignment 16: always a valid layout.
    unsafe { Layout::from_size_align_unchecked(16usize << c, 16) }
}

/// A size-class pool over a backing allocator `A` (see the module doc).
pub struct PoolAlloc<A: GlobalAlloc> {
    backing: A,
    free: UnsafeCell<[*mut u8; CLASSES]>,
}

// SAFETY: used only from one thread (single-threaded WASM module; tests keep an instance local).
unsafe impl<A: GlobalAlloc> Sync for PoolAlloc<A> {}

impl<A: GlobalAlloc> PoolAlloc<A> {
    pub const fn new(backing: A) -> PoolAlloc<A> {
        PoolAlloc { backing, free: UnsafeCell::new([null_mut(); CLASSES]) }
    }

    /// Blocks currently on class `c`'s free list (tests and diagnostics; O(n)).
    pub fn free_blocks(&self, c: usize) -> usize {
        let mut n = 0;
        let mut p = unsafe { (*self.free.get())[c] };
        while !p.is_null() {
            n += 1;
            p = unsafe { *(p as *mut *mut u8) };
        }
        n
    }
}

unsafe impl<A: GlobalAlloc> GlobalAlloc for PoolAlloc<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class_of(layout.size(), layout.align()) {
            Some(c) => {
                let lists = &mut *self.free.get();
                let head = lists[c];
                if head.is_null() {
                    self.backing.alloc(class_layout(c))
                } else {
                    lists[c] = *(head as *mut *mut u8);
                    head
                }
            }
            None => self.backing.alloc(layout),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class_of(layout.size(), layout.align()) {
            Some(c) => {
                let lists = &mut *self.free.get();
                *(ptr as *mut *mut u8) = lists[c];
                lists[c] = ptr;
            }
            None => self.backing.dealloc(ptr, layout),
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = class_of(layout.size(), layout.align());
        let new = class_of(new_size, layout.align());
        match (old, new) {
            (Some(a), Some(b)) if a == b => ptr,
            (None, None) => self.backing.realloc(ptr, layout, new_size),
            _ => {
                let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
                let p = self.alloc(new_layout);
                if !p.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                p
            }
        }
    }
}

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static GLOBAL: PoolAlloc<std::alloc::System> = PoolAlloc::new(std::alloc::System);

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::System;

    #[test]
    fn classes_cover_sizes_up_to_8k_with_alignment_up_to_16() {
        assert_eq!(class_of(1, 1), Some(0));
        assert_eq!(class_of(16, 8), Some(0));
        assert_eq!(class_of(17, 8), Some(1));
        assert_eq!(class_of(8192, 16), Some(9));
        assert_eq!(class_of(8193, 8), None);
        assert_eq!(class_of(8, 32), None);
    }

    #[test]
    fn freed_block_is_reused_by_the_next_request_of_its_class() {
        let a = PoolAlloc::new(System);
        unsafe {
            let l = Layout::from_size_align(24, 8).unwrap();
            let p = a.alloc(l);
            assert!(!p.is_null());
            std::ptr::write_bytes(p, 0xab, 24);
            a.dealloc(p, l);
            assert_eq!(a.free_blocks(1), 1);
            let q = a.alloc(Layout::from_size_align(30, 4).unwrap());
            assert_eq!(p, q, "same class (32 B): the freed block comes back");
            assert_eq!(a.free_blocks(1), 0);
            a.dealloc(q, Layout::from_size_align(30, 4).unwrap());
            // Drain the lists back to the backing allocator for the test's hygiene.
            let p = a.alloc(l);
            System.dealloc(p, class_layout(1));
        }
    }

    #[test]
    fn realloc_keeps_contents_across_classes_and_large_blocks() {
        let a = PoolAlloc::new(System);
        unsafe {
            let mut l = Layout::from_size_align(10, 1).unwrap();
            let mut p = a.alloc(l);
            for i in 0..10 {
                *p.add(i) = i as u8;
            }
            // Same class (16 B): same pointer.
            let q = a.realloc(p, l, 16);
            assert_eq!(p, q);
            l = Layout::from_size_align(16, 1).unwrap();
            // Up through every class and into the backing allocator, then back down.
            for size in [40usize, 300, 5000, 20000, 9000, 100] {
                p = a.realloc(p, l, size);
                assert!(!p.is_null());
                for i in 0..10 {
                    assert_eq!(*p.add(i), i as u8, "byte {} after realloc to {}", i, size);
                }
                l = Layout::from_size_align(size, 1).unwrap();
            }
            a.dealloc(p, l);
        }
    }

    #[test]
    fn many_live_blocks_are_distinct_and_keep_their_bytes() {
        let a = PoolAlloc::new(System);
        unsafe {
            let sizes = [8usize, 24, 40, 100, 700, 3000, 8192, 10000];
            let mut live: Vec<(*mut u8, Layout, u8)> = Vec::new();
            for round in 0..3u8 {
                for (i, s) in sizes.iter().enumerate() {
                    let l = Layout::from_size_align(*s, 8).unwrap();
                    let p = a.alloc(l);
                    let tag = round.wrapping_mul(31).wrapping_add(i as u8);
                    std::ptr::write_bytes(p, tag, *s);
                    live.push((p, l, tag));
                }
                // Free every other block, so later rounds reuse them.
                let mut k = 0;
                live.retain(|(p, l, _)| {
                    k += 1;
                    if k % 2 == 0 {
                        a.dealloc(*p, *l);
                        false
                    } else {
                        true
                    }
                });
            }
            for (p, l, tag) in &live {
                for i in 0..l.size() {
                    assert_eq!(*p.add(i), *tag);
                }
            }
            for (p, l, _) in live {
                a.dealloc(p, l);
            }
        }
    }
}
