//! Differential digest of a record stream (issue 11 "native and WASM give byte-identical
//! results"): each record of a batch-layout stream (batch.rs) is applied with
//! `batch::process_record`, its full Outcome JSON (image::outcome_json, the text the JSON API
//! returns) is hashed with FNV-1a 64 (validate::fnv1a64's function), each text followed by '\n'.
//! The native bin `kernel_diff` and the WASM export `kernel_digest_batch` run this same function
//! on the same bytes; kernel/differential.test.ts compares the digests and the saved states.

use crate::batch::{empty_event, process_record, HEADER_LEN};
use crate::image;
use crate::kernel::Kernel;

/// Running digest over the outcomes of a stream: records applied, output bytes hashed, FNV-1a 64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamDigest {
    pub records: u64,
    pub output_bytes: u64,
    pub digest: u64,
}

impl StreamDigest {
    /// The empty digest (FNV-1a 64 offset basis).
    pub fn new() -> StreamDigest {
        StreamDigest { records: 0, output_bytes: 0, digest: crate::validate::fnv1a64(b"") }
    }
}

impl Default for StreamDigest {
    fn default() -> Self {
        StreamDigest::new()
    }
}

/// Continue FNV-1a 64 from `h` over `bytes`.
pub fn fnv1a64_update(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Apply every whole record of `buf` (stops at a broken length, like process_batch) and extend
/// `d` with each record's outcome JSON text plus '\n'.
pub fn digest_records(k: &mut Kernel, buf: &[u8], mut d: StreamDigest) -> StreamDigest {
    let mut scratch = empty_event();
    let mut off = 0usize;
    while off + HEADER_LEN <= buf.len() {
        let len = u32::from_le_bytes([buf[off], buf[off + 1], buf[off + 2], buf[off + 3]]) as usize;
        if len < HEADER_LEN || off + len > buf.len() {
            break;
        }
        let o = process_record(k, &buf[off..off + len], &mut scratch);
        let text = image::outcome_json(&o, k.ledger.event_seq).to_string();
        d.digest = fnv1a64_update(fnv1a64_update(d.digest, text.as_bytes()), b"\n");
        d.output_bytes += text.len() as u64 + 1;
        d.records += 1;
        off += len;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn fnv1a64_update_continues_the_fixed_function() {
        assert_eq!(fnv1a64_update(fnv1a64_update(StreamDigest::new().digest, b"foo"), b"bar"), 0x8594_4171_f739_67e8);
    }
}
