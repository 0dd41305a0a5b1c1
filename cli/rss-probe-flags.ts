/**
 * Node flags of the RSS probe's child process (cli/rss-probe.ts), shared by `dita bench` (which
 * starts the probe with them) and the probe (which refuses to run without them).
 *
 * - `--expose-gc`: the probe forces a GC before each sample.
 * - `--min-semi-space-size=16 --max-semi-space-size=16` (MB): pins V8's young generation at the
 *   size it grows to anyway in this loop. Unpinned, V8 starts with 8 MB semi-spaces and doubles
 *   them to 16 MB after 200k–300k trades: a one-time +16 MB RSS step with no change in the WASM
 *   memory or the JS heap in use, i.e. the JS engine's allocation nursery, not the kernel's data.
 *   It shows under every JIT setting (default, `--no-wasm-dynamic-tiering`, `--liftoff
 *   --no-wasm-tier-up`, `--no-liftoff`) and disappears only when the semi-space is pinned
 *   (README.md "Benchmarks" gives the measurements). Pinned, the young generation is
 *   its full 32 MB at both checkpoints, so RSS growth between them is the kernel's (its WASM
 *   memory) plus the rest of the process. The probe still reports raw process RSS.
 */
export const RSS_PROBE_NODE_FLAGS: readonly string[] = ["--expose-gc", "--min-semi-space-size=16", "--max-semi-space-size=16"];
