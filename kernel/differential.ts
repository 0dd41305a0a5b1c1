/**
 * Native vs WASM differential (issue 11): the same record stream (the deterministic bench
 * stream of stream.rs, perturbed with duplicated and byte-corrupted records so refusals and
 * dedup are exercised too) goes through the WASM kernel (export `kernel_digest_batch`) and the
 * native kernel (bin `kernel_diff`, rustup cargo, built with the .wasm's source hash so both
 * saved states carry the same `sourceHash`). Each side digests every outcome's JSON text
 * (kernel/src/diff.rs) and saves its final state; the results must be byte-identical.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import seedrandom from "seedrandom";
import { chunkRecords } from "./bench.js";
import { loadKernel, readResult, withInput, type Exports } from "./index.js";
import { loadRawKernel } from "./raw-abi.js";

const KERNEL_DIR = dirname(fileURLToPath(import.meta.url));

/** One side's result. */
export interface DiffSide {
  records: number;
  outputBytes: number;
  /** FNV-1a 64 of every outcome JSON text + "\n", 16 hex digits. */
  outputDigest: string;
  /** The final saveState text. */
  state: string;
}

/** The stream both sides got, and what each produced. */
export interface DifferentialResult {
  records: number;
  duplicated: number;
  corrupted: number;
  streamBytes: number;
  wasm: DiffSide;
  native: DiffSide;
  /** True when outputs and saved states are byte-identical. */
  identical: boolean;
}

/**
 * The differential stream: `events` bench records; after each, with probability 2 % a copy of it
 * (a duplicate), with 1 % a copy with one byte (past the length field) set to a random value.
 */
export function perturbedStream(records: Uint8Array, seed: number): { bytes: Uint8Array; records: number; duplicated: number; corrupted: number } {
  const rand = seedrandom.alea(`dita-differential/${seed}`);
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const parts: Uint8Array[] = [];
  let off = 0;
  let total = 0;
  let count = 0;
  let duplicated = 0;
  let corrupted = 0;
  while (off + 4 <= records.length) {
    const len = view.getUint32(off, true);
    if (len === 0 || off + len > records.length) break;
    const rec = records.subarray(off, off + len);
    parts.push(rec);
    count++;
    if (rand() < 0.02) {
      parts.push(rec);
      duplicated++;
      count++;
    }
    if (rand() < 0.01) {
      const bad = rec.slice();
      bad[4 + Math.floor(rand() * (len - 4))] = Math.floor(rand() * 256);
      parts.push(bad);
      corrupted++;
      count++;
    }
    off += len;
  }
  for (const p of parts) total += p.length;
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes, records: count, duplicated, corrupted };
}

type DigestExports = Exports & {
  kernel_digest_batch(ptr: number, len: number, rLo: number, rHi: number, bLo: number, bHi: number, dLo: number, dHi: number): number;
};

/** The WASM side: feed the stream in ≤ 1 MiB chunks, carrying the running digest across calls. */
export async function wasmDigest(config: string, stream: Uint8Array): Promise<DiffSide> {
  const inst = (await loadRawKernel()).create(config);
  const ex = inst.ex as DigestExports;
  let records = 0n;
  let bytes = 0n;
  let digest = 0xcbf29ce484222325n;
  const lo = (x: bigint) => Number(x & 0xffffffffn);
  const hi = (x: bigint) => Number(x >> 32n);
  for (const chunk of chunkRecords(stream)) {
    const out = withInput(ex, chunk, (p, l) => readResult(ex, ex.kernel_digest_batch(p, l, lo(records), hi(records), lo(bytes), hi(bytes), lo(digest), hi(digest))));
    if (out.length !== 24) throw new Error(`kernel_digest_batch returned ${out.length} bytes, expected 24`);
    const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
    records = v.getBigUint64(0, true);
    bytes = v.getBigUint64(8, true);
    digest = v.getBigUint64(16, true);
  }
  return { records: Number(records), outputBytes: Number(bytes), outputDigest: digest.toString(16).padStart(16, "0"), state: inst.kernel.saveState() };
}

/**
 * The native side: `cargo run --release --bin kernel_diff` (rustup cargo on PATH, cwd kernel/,
 * own target dir so the source-hash env does not rebuild the bench's artifacts).
 * @throws Error with cargo's stderr when the build or run fails.
 */
export function nativeDigest(configFile: string, streamFile: string, sourceHash: string): DiffSide {
  const dir = mkdtempSync(join(tmpdir(), "dita-diff-"));
  try {
    const stateOut = join(dir, "state.json");
    const r = spawnSync(
      "cargo",
      ["run", "--quiet", "--release", "--target-dir", join(KERNEL_DIR, "target", "differential"), "--bin", "kernel_diff", "--", "--stream-file", streamFile, "--config-file", configFile, "--state-out", stateOut],
      { encoding: "utf8", maxBuffer: 1 << 20, cwd: KERNEL_DIR, env: { ...process.env, DITA_KERNEL_SOURCE_HASH: sourceHash, DITA_KERNEL_FEATURES: "" } },
    );
    if (r.status !== 0) throw new Error(`kernel_diff failed (exit ${r.status}): ${r.error?.message ?? ""} ${r.stderr}`);
    const line = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as { records: number; outputBytes: number; outputDigest: string };
    return { records: line.records, outputBytes: line.outputBytes, outputDigest: line.outputDigest, state: readFileSync(stateOut, "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Run both sides on the perturbed bench stream of `events` records (seed, slots as the bench). */
export async function runDifferential(events: number, opts: { seed?: number; slots?: number } = {}): Promise<DifferentialResult> {
  const seed = opts.seed ?? 11;
  const mod = await loadKernel();
  const { config, records } = mod.benchStream(events, seed, opts.slots ?? 6);
  const s = perturbedStream(records, seed);
  const dir = mkdtempSync(join(tmpdir(), "dita-diff-in-"));
  try {
    const streamFile = join(dir, "stream.bin");
    const configFile = join(dir, "config.json");
    writeFileSync(streamFile, s.bytes);
    writeFileSync(configFile, JSON.stringify(config));
    const wasm = await wasmDigest(JSON.stringify(config), s.bytes);
    const native = nativeDigest(configFile, streamFile, mod.manifest.sourceHash);
    const identical = wasm.records === native.records && wasm.outputBytes === native.outputBytes && wasm.outputDigest === native.outputDigest && wasm.state === native.state;
    return { records: s.records, duplicated: s.duplicated, corrupted: s.corrupted, streamBytes: s.bytes.length, wasm, native, identical };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
