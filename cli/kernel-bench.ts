/**
 * Kernel throughput, WASM vs native, on the same venue-event stream: glue between `dita bench`
 * and the kernel engineer's benchmark (kernel/bench.ts: benchKernelWasm feeds the deterministic
 * stream of kernel/src/stream.rs through the WASM batch ABI; benchKernelNative runs the Rust
 * `kernel_bench` binary on the same stream, same chunking). Each side runs `reps` times,
 * alternating; the median is the figure and min..max the noise band.
 * Throws NotAvailableError until kernel/bench.ts exists.
 */
import { loadExport } from "./modules.js";

/** One engine's result (kernel/bench.ts KernelBenchResult, the fields used here). */
interface KernelBenchRun {
  engine: "wasm" | "native";
  events: number;
  seconds: number;
  eventsPerSec: number;
  notOk: number;
  tradeSeq: number;
}

/** Kernel throughput figures of one bench run. */
export interface KernelThroughput {
  wasmEventsPerSec: number;
  nativeEventsPerSec: number;
  /** Records in the stream both sides processed. */
  events: number;
  description: string;
  /** min..max events/s over the repetitions. */
  wasmBand: [number, number];
  nativeBand: [number, number];
  reps: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Measure kernel venue events per second through WASM and natively on one stream.
 * @param events records in the stream; @param reps repetitions per engine (≥ 1).
 * @throws NotAvailableError when kernel/bench.ts is missing; Error when a side refuses records
 *   (notOk > 0 would mean the two sides did not do the same work) or the native build fails.
 */
export async function measureKernelThroughput(events: number, reps: number): Promise<KernelThroughput> {
  const wasm = await loadExport<(n: number, o?: { seed?: number; slots?: number }) => Promise<KernelBenchRun>>("kernel/bench.ts", "benchKernelWasm");
  const native = await loadExport<(n: number, o?: { seed?: number; slots?: number }) => KernelBenchRun>("kernel/bench.ts", "benchKernelNative");
  const w: KernelBenchRun[] = [];
  const n: KernelBenchRun[] = [];
  for (let i = 0; i < reps; i++) {
    n.push(native(events, { seed: 42, slots: 10 }));
    w.push(await wasm(events, { seed: 42, slots: 10 }));
  }
  for (const r of [...w, ...n]) {
    if (r.notOk > 0) throw new Error(`${r.engine} kernel bench: ${r.notOk} of ${r.events} records not OK: the stream is not processed as intended`);
    if (r.events !== n[0].events || r.tradeSeq !== n[0].tradeSeq) {
      throw new Error(`kernel bench: ${r.engine} processed ${r.events} records / ${r.tradeSeq} trades, native ${n[0].events} / ${n[0].tradeSeq}: not the same work`);
    }
  }
  const band = (rs: KernelBenchRun[]): [number, number] => [Math.min(...rs.map((r) => r.eventsPerSec)), Math.max(...rs.map((r) => r.eventsPerSec))];
  return {
    wasmEventsPerSec: median(w.map((r) => r.eventsPerSec)),
    nativeEventsPerSec: median(n.map((r) => r.eventsPerSec)),
    events: n[0].events,
    description: `kernel/src/stream.rs seed 42, 10 slots, ${n[0].events} records (${n[0].tradeSeq} trades), batch ABI, median of ${reps}`,
    wasmBand: band(w),
    nativeBand: band(n),
    reps,
  };
}

/** One per-call figure of kernel/bench.ts benchKernelCalls (µs per call through the binding). */
import type { KernelCallFigure } from "../kernel/bench.js";
export type { KernelCallFigure };

/**
 * Per-call micro-benchmark (markPrice, one venue event, one intent, each with its outcome; slot()
 * and ledger() re-reads) through the WASM binding, tinybench. @param timeMs tinybench time per task.
 * @throws NotAvailableError when kernel/bench.ts lacks benchKernelCalls.
 */
export async function measureKernelCalls(timeMs: number): Promise<KernelCallFigure[]> {
  const f = await loadExport<(o?: { timeMs?: number }) => Promise<KernelCallFigure[]>>("kernel/bench.ts", "benchKernelCalls");
  return f({ timeMs });
}
