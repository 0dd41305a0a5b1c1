//! WebAssembly exports: a plain C ABI (no wasm-bindgen). One module instance holds one kernel
//! (the binding instantiates one instance per Kernel: F20, G30, P1, E6).
//!
//! Protocol: the host calls `alloc(len)`, writes UTF-8 JSON or batch bytes there, calls an export
//! with (ptr, len), then `dealloc(ptr, len)`. Every export returning `*const u8` points to a
//! result buffer `[u32 len LE][len bytes]` owned by the module, valid until the next call.
//! No export panics: inputs are validated and errors come back as JSON outcomes (G2, P2, P4).

use crate::api::{Api, FEATURES, METHODS, SOURCE_HASH};
use crate::batch;
use crate::stream;
use crate::typed;

static mut KERNEL: Option<Api> = None;
static mut RESULT: Vec<u8> = Vec::new();
/// Input arena of the typed calls (`kernel_input_buf`), reused across calls.
static mut INPUT: Vec<u8> = Vec::new();

fn set_result(bytes: &[u8]) -> *const u8 {
    set_result_with(|r| r.extend_from_slice(bytes))
}

/// Fill the result buffer in place: `[u32 len LE]`, then the bytes `write` appends (no copy of a
/// result text made elsewhere first). Every export's result goes through here.
fn set_result_with(write: impl FnOnce(&mut Vec<u8>)) -> *const u8 {
    // SAFETY: wasm32-unknown-unknown is single-threaded; RESULT is only touched here.
    let r: &mut Vec<u8> = unsafe { &mut *std::ptr::addr_of_mut!(RESULT) };
    r.clear();
    r.extend_from_slice(&[0u8; 4]);
    write(r);
    let n = (r.len() - 4) as u32;
    r[..4].copy_from_slice(&n.to_le_bytes());
    r.as_ptr()
}

fn input<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if ptr.is_null() || len == 0 {
        return &[];
    }
    // SAFETY: the host wrote `len` bytes at `ptr`, obtained from `alloc(len)`.
    unsafe { std::slice::from_raw_parts(ptr, len) }
}

fn text<'a>(ptr: *const u8, len: usize) -> Result<&'a str, ()> {
    std::str::from_utf8(input(ptr, len)).map_err(|_| ())
}

/// "byte N": where the input stops being valid UTF-8.
fn utf8_error_at(ptr: *const u8, len: usize) -> String {
    match std::str::from_utf8(input(ptr, len)) {
        Ok(_) => String::new(),
        Err(e) => format!("byte {}", e.valid_up_to()),
    }
}

fn error_json(code: &str, msg: &str) -> Vec<u8> {
    error_json_field(code, msg, "(abi)", "")
}

/// A refusal envelope naming the field (`(utf8)` for undecodable input bytes, issue 11).
fn error_json_field(code: &str, msg: &str, field: &str, value: &str) -> Vec<u8> {
    serde_json::json!({"ok": false, "outcome": {"accepted": false, "code": code, "severity": "ERROR", "message": msg, "details": {"field": field, "value": value}, "transitions": [], "commands": [], "ledgerSeq": 0}})
        .to_string()
        .into_bytes()
}

/// Allocate `len` bytes in module memory for the host to write an input into.
#[no_mangle]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    let mut v: Vec<u8> = Vec::with_capacity(len.max(1));
    let p = v.as_mut_ptr();
    std::mem::forget(v);
    p
}

/// Free a buffer obtained from `alloc(len)`.
#[no_mangle]
pub extern "C" fn dealloc(ptr: *mut u8, len: usize) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: ptr/len come from alloc(len) (capacity len.max(1)).
    unsafe {
        drop(Vec::from_raw_parts(ptr, 0, len.max(1)));
    }
}

/// ABI version of this export set.
#[no_mangle]
pub extern "C" fn kernel_abi_version() -> u32 {
    1
}

/// Embedded source hash (stale-binary guard), as a result buffer.
#[no_mangle]
pub extern "C" fn kernel_source_hash() -> *const u8 {
    set_result(SOURCE_HASH.as_bytes())
}

/// Embedded feature list (comma separated), as a result buffer.
#[no_mangle]
pub extern "C" fn kernel_features() -> *const u8 {
    set_result(FEATURES.as_bytes())
}

/// Create the instance's kernel from a KernelConfig JSON. Result: {"ok":true} or an error envelope.
#[no_mangle]
pub extern "C" fn kernel_create(ptr: *const u8, len: usize) -> *const u8 {
    let t = match text(ptr, len) {
        Ok(t) => t,
        Err(()) => return set_result(&error_json_field("INVALID_INTENT", "config is not UTF-8", "(utf8)", &utf8_error_at(ptr, len))),
    };
    match Api::create(t) {
        Ok(api) => {
            // SAFETY: single-threaded module.
            unsafe {
                *std::ptr::addr_of_mut!(KERNEL) = Some(api);
            }
            set_result(b"{\"ok\":true}")
        }
        Err(outcome) => set_result(serde_json::json!({"ok": false, "outcome": outcome}).to_string().as_bytes()),
    }
}

/// Call method `method` (1-based index into api::METHODS) with a JSON input.
#[no_mangle]
pub extern "C" fn kernel_call(method: u32, ptr: *const u8, len: usize) -> *const u8 {
    let name = match METHODS.get((method as usize).wrapping_sub(1)) {
        Some(n) => *n,
        None => return set_result(&error_json("INTERNAL", &format!("unknown method code {}", method))),
    };
    let t = match text(ptr, len) {
        Ok(t) => t,
        Err(()) => {
            let code = match name {
                "processIntent" | "tradeRealized" => "INVALID_INTENT",
                "anchorToExchange" => "ANCHOR_REJECTED",
                "restoreState" | "reconcile" => "INVALID_STATE",
                "slot" => "INVALID_SLOT",
                _ => "INVALID_EVENT",
            };
            return set_result(&error_json_field(code, "input is not UTF-8: refused, nothing changed", "(utf8)", &utf8_error_at(ptr, len)));
        }
    };
    // SAFETY: single-threaded module.
    let api = unsafe { (*std::ptr::addr_of_mut!(KERNEL)).as_mut() };
    match api {
        None => set_result(&error_json("INTERNAL", "kernel_create has not succeeded on this instance")),
        Some(api) => set_result_with(|out| api.call_into(name, t, out)),
    }
}

/// Process a batch of binary records (batch.rs layout). Result buffer = batch result records.
#[no_mangle]
pub extern "C" fn kernel_batch(ptr: *const u8, len: usize) -> *const u8 {
    // SAFETY: single-threaded module.
    let api = unsafe { (*std::ptr::addr_of_mut!(KERNEL)).as_mut() };
    match api {
        None => set_result(&[0u8; 8]),
        Some(api) => {
            let r = batch::process_batch(&mut api.kernel, input(ptr, len));
            set_result(&r)
        }
    }
}

/// The benchmark stream (stream.rs) as a result buffer: `n` records, seed, slot count.
#[no_mangle]
pub extern "C" fn kernel_bench_stream(n: u32, seed: u32, slots: u32) -> *const u8 {
    let s = stream::bench_stream(n as usize, seed as u64, slots.clamp(1, 64) as usize);
    set_result(&s)
}

/// The benchmark KernelConfig JSON as a result buffer.
#[no_mangle]
pub extern "C" fn kernel_bench_config(slots: u32) -> *const u8 {
    set_result(stream::bench_config(slots.clamp(1, 64) as usize).as_bytes())
}

/// The typed calls' input arena: a module-owned buffer of at least `cap` bytes (grown when
/// needed, then reused: no allocation per call once warm). The host writes one binary field
/// record there and calls `kernel_call_bin`. Valid until the next `kernel_input_buf` call.
#[no_mangle]
pub extern "C" fn kernel_input_buf(cap: usize) -> *mut u8 {
    // SAFETY: single-threaded module; INPUT is only touched by these two exports.
    let v: &mut Vec<u8> = unsafe { &mut *std::ptr::addr_of_mut!(INPUT) };
    if v.len() < cap {
        v.resize(cap, 0);
    }
    v.as_mut_ptr()
}

/// Typed hot call (typed.rs): method 1 processIntent, 2 onVenueEvent, 3 markPrice,
/// 4 onAccountEvent on the `len`-byte binary field record in the input arena. Result buffer =
/// `[u32 len][binary outcome]` (typed::encode_outcome), in the module-owned result buffer.
#[no_mangle]
pub extern "C" fn kernel_call_bin(method: u32, len: usize) -> *const u8 {
    // SAFETY: single-threaded module.
    let api = unsafe { (*std::ptr::addr_of_mut!(KERNEL)).as_mut() };
    let inp: &Vec<u8> = unsafe { &*std::ptr::addr_of!(INPUT) };
    set_result_with(|r| match api {
        None => {
            let o = crate::model::Out::new(false, crate::model::Code::Internal, crate::model::Severity::Critical, "kernel_create has not succeeded on this instance");
            typed::encode_outcome(r, &o, 0, 0);
        }
        Some(api) => {
            // A length beyond the arena decodes as an empty record: refused, "record truncated".
            let rec: &[u8] = if len <= inp.len() { &inp[..len] } else { &[] };
            api.kernel.slots.take_written();
            let o = typed::call(&mut api.kernel, method, rec);
            let changed = api.kernel.slots.take_written();
            typed::encode_outcome(r, &o, api.kernel.ledger.event_seq, changed);
        }
    })
}

/// The state digest (kernel.rs `state_digest`, 32 lowercase hex characters) as a result buffer.
#[no_mangle]
pub extern "C" fn kernel_state_digest() -> *const u8 {
    // SAFETY: single-threaded module.
    let api = unsafe { (*std::ptr::addr_of_mut!(KERNEL)).as_mut() };
    match api {
        None => set_result(b""),
        Some(api) => {
            let d = api.kernel.state_digest();
            set_result(d.as_bytes())
        }
    }
}

/// Slot image `i` as `{"ok":true,"value":SlotImage}` serialised straight from the typed image
/// (no `Value` tree; keys in SlotImage declaration order), or the JSON API's refusal envelope.
#[no_mangle]
pub extern "C" fn kernel_slot(i: u32) -> *const u8 {
    // SAFETY: single-threaded module.
    let api = unsafe { (*std::ptr::addr_of_mut!(KERNEL)).as_mut() };
    match api {
        None => set_result(&error_json("INTERNAL", "kernel_create has not succeeded on this instance")),
        Some(api) => {
            if (i as usize) < api.kernel.slots.len() {
                let img = crate::image::slot_image(&api.kernel.slots[i as usize]);
                set_result_with(|r| {
                    let start = r.len();
                    r.extend_from_slice(b"{\"ok\":true,\"value\":");
                    match serde_json::to_writer(&mut *r, &img) {
                        Ok(()) => r.push(b'}'),
                        Err(e) => {
                            r.truncate(start);
                            r.extend_from_slice(&error_json("INTERNAL", &e.to_string()));
                        }
                    }
                })
            } else {
                let v = api.call("slot", &i.to_string());
                set_result(v.to_string().as_bytes())
            }
        }
    }
}

/// `encode(slot i)` in the result buffer; 0 bytes when `i` is not a slot or no kernel was created
/// (the binding then reads `kernel_slot(i)` for the refusal).
fn slot_result(i: u32, encode: fn(&mut Vec<u8>, &crate::model::SlotState)) -> *const u8 {
    // SAFETY: single-threaded module.
    let api = unsafe { (*std::ptr::addr_of_mut!(KERNEL)).as_mut() };
    set_result_with(|r| {
        if let Some(api) = api {
            if let Some(s) = api.kernel.slots.get(i as usize) {
                encode(r, s);
            }
        }
    })
}

/// Binary head of slot `i` (typed::encode_slot_head; `slot_result`). Serves the simulator's fill
/// fingerprints and slot heads without a slot image (issue 12).
#[no_mangle]
pub extern "C" fn kernel_slot_head(i: u32) -> *const u8 {
    slot_result(i, typed::encode_slot_head)
}

/// Binary order view of slot `i` (typed::encode_slot_orders; `slot_result`). Serves the venue
/// connector's reconcile rounds and watchdog without a slot image (issue 12).
#[no_mangle]
pub extern "C" fn kernel_slot_orders(i: u32) -> *const u8 {
    slot_result(i, typed::encode_slot_orders)
}

/// The ledger as a binary image (typed::encode_ledger) in the result buffer; empty before create.
#[no_mangle]
pub extern "C" fn kernel_ledger_bin() -> *const u8 {
    // SAFETY: single-threaded module.
    let api = unsafe { (*std::ptr::addr_of_mut!(KERNEL)).as_mut() };
    set_result_with(|r| {
        if let Some(api) = api {
            typed::encode_ledger(r, &api.kernel.ledger);
        }
    })
}

/// Differential digest (diff.rs): apply the records of `ptr/len` one by one and continue the
/// running digest (records, output bytes, FNV-1a 64 of every outcome JSON) given as u32 halves.
/// Result buffer: `[u64 records][u64 outputBytes][u64 digest]`, little-endian (24 bytes), or 0
/// bytes when no kernel was created.
#[no_mangle]
pub extern "C" fn kernel_digest_batch(ptr: *const u8, len: usize, records_lo: u32, records_hi: u32, bytes_lo: u32, bytes_hi: u32, digest_lo: u32, digest_hi: u32) -> *const u8 {
    // SAFETY: single-threaded module.
    let api = unsafe { (*std::ptr::addr_of_mut!(KERNEL)).as_mut() };
    let join = |lo: u32, hi: u32| (hi as u64) << 32 | lo as u64;
    match api {
        None => set_result(&[]),
        Some(api) => {
            let d = crate::diff::StreamDigest { records: join(records_lo, records_hi), output_bytes: join(bytes_lo, bytes_hi), digest: join(digest_lo, digest_hi) };
            let d = crate::diff::digest_records(&mut api.kernel, input(ptr, len), d);
            let mut out = Vec::with_capacity(24);
            out.extend_from_slice(&d.records.to_le_bytes());
            out.extend_from_slice(&d.output_bytes.to_le_bytes());
            out.extend_from_slice(&d.digest.to_le_bytes());
            set_result(&out)
        }
    }
}
