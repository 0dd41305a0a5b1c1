//! Native benchmark baseline: the deterministic stream of stream.rs through the batch ABI
//! (process_batch), in 1 MiB chunks cut at record boundaries, exactly as kernel/bench.ts feeds
//! the WASM binding. Usage: `cargo run --release --bin kernel_bench -- --events N [--seed S]
//! [--slots K] [--json]`. Wall-clock timing is bench-only code.

use dita_kernel::api::Api;
use dita_kernel::batch::process_batch;
use dita_kernel::stream::{bench_config, bench_stream};
use std::time::Instant;

/// Split at record boundaries into chunks of at most `max` bytes (a larger record is its own chunk).
pub fn chunks(buf: &[u8], max: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let (mut start, mut off) = (0usize, 0usize);
    while off + 4 <= buf.len() {
        let len = u32::from_le_bytes([buf[off], buf[off + 1], buf[off + 2], buf[off + 3]]) as usize;
        if len == 0 || off + len > buf.len() {
            break;
        }
        if off + len - start > max && off > start {
            out.push(&buf[start..off]);
            start = off;
        }
        off += len;
    }
    if off > start {
        out.push(&buf[start..off]);
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut events: usize = 1_000_000;
    let mut seed: u64 = 42;
    let mut slots: usize = 10;
    let mut json = false;
    let mut i = 1;
    while i < args.len() {
        let next = |i: usize| args.get(i + 1).and_then(|v| v.parse::<u64>().ok());
        match args[i].as_str() {
            "--events" => {
                events = next(i).unwrap_or_else(|| usage("--events needs a number")) as usize;
                i += 1;
            }
            "--seed" => {
                seed = next(i).unwrap_or_else(|| usage("--seed needs a number"));
                i += 1;
            }
            "--slots" => {
                slots = next(i).unwrap_or_else(|| usage("--slots needs a number")).clamp(1, 64) as usize;
                i += 1;
            }
            "--json" => json = true,
            other => usage(&format!("unknown argument {}", other)),
        }
        i += 1;
    }
    let stream = bench_stream(events, seed, slots);
    let mut api = match Api::create(&bench_config(slots)) {
        Ok(a) => a,
        Err(e) => usage(&format!("bench config refused: {}", e)),
    };
    let parts = chunks(&stream, 1 << 20);
    let t0 = Instant::now();
    let mut processed: u64 = 0;
    let mut not_ok: u64 = 0;
    for c in &parts {
        let r = process_batch(&mut api.kernel, c);
        let n = u32::from_le_bytes([r[0], r[1], r[2], r[3]]) as usize;
        processed += n as u64;
        for k in 0..n {
            if r[8 + k * 8] != 0 {
                not_ok += 1;
            }
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let eps = processed as f64 / secs.max(1e-9);
    if json {
        println!(
            "{{\"engine\":\"native\",\"events\":{},\"seed\":{},\"slots\":{},\"streamBytes\":{},\"chunks\":{},\"seconds\":{:.6},\"eventsPerSec\":{:.0},\"notOk\":{},\"tradeSeq\":{}}}",
            processed,
            seed,
            slots,
            stream.len(),
            parts.len(),
            secs,
            eps,
            not_ok,
            api.kernel.ledger.trade_seq
        );
    } else {
        println!("native: {} events in {:.3} s = {:.0} events/s ({} not OK, {} trades closed)", processed, secs, eps, not_ok, api.kernel.ledger.trade_seq);
    }
}

fn usage(msg: &str) -> ! {
    eprintln!("kernel_bench: {}\nusage: kernel_bench --events N [--seed S] [--slots K] [--json]", msg);
    std::process::exit(2)
}
