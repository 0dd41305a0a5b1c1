//! Native side of the native/WASM differential (issue 11; kernel/differential.test.ts): reads a
//! batch-layout record stream from a file (the exact bytes the WASM kernel got), applies it to a
//! kernel created from the KernelConfig JSON in `--config-file`, digests every outcome
//! (diff.rs) and writes the final saveState text to `--state-out`. Prints one JSON line:
//! {"records","outputBytes","outputDigest","stateBytes"} (digests as 16 hex digits).
//! Usage: `kernel_diff --stream-file F --config-file C --state-out S`.
//! Build with DITA_KERNEL_SOURCE_HASH set to the .wasm's source hash so both saved states carry
//! the same sourceHash.

use dita_kernel::api::Api;
use dita_kernel::diff::{digest_records, StreamDigest};
use std::fs;

fn usage(msg: &str) -> ! {
    eprintln!("kernel_diff: {}\nusage: kernel_diff --stream-file F --config-file C --state-out S", msg);
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mut stream, mut config, mut state_out) = (None, None, None);
    let mut i = 1;
    while i < args.len() {
        let v = args.get(i + 1).cloned();
        match args[i].as_str() {
            "--stream-file" => stream = v,
            "--config-file" => config = v,
            "--state-out" => state_out = v,
            other => usage(&format!("unknown argument {}", other)),
        }
        i += 2;
    }
    let stream = stream.unwrap_or_else(|| usage("--stream-file is required"));
    let config = config.unwrap_or_else(|| usage("--config-file is required"));
    let state_out = state_out.unwrap_or_else(|| usage("--state-out is required"));
    let bytes = fs::read(&stream).unwrap_or_else(|e| usage(&format!("--stream-file {}: {}", stream, e)));
    let cfg = fs::read_to_string(&config).unwrap_or_else(|e| usage(&format!("--config-file {}: {}", config, e)));
    let mut api = Api::create(&cfg).unwrap_or_else(|e| usage(&format!("config refused: {}", e)));
    let d = digest_records(&mut api.kernel, &bytes, StreamDigest::new());
    let state = match api.call("saveState", "null")["value"].as_str() {
        Some(s) => s.to_string(),
        None => usage("saveState failed"),
    };
    fs::write(&state_out, &state).unwrap_or_else(|e| usage(&format!("--state-out {}: {}", state_out, e)));
    println!(r#"{{"records":{},"outputBytes":{},"outputDigest":"{:016x}","stateBytes":{}}}"#, d.records, d.output_bytes, d.digest, state.len());
}
