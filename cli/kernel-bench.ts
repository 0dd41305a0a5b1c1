/**
 * Kernel throughput, WASM vs native, on the same venue-event stream: glue between `dita bench`
 * and the kernel engineer's benchmark pieces (kernel/bench.ts benchKernelWasm and the native Rust
 * bench binary). Throws NotAvailableError until they exist.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { NotAvailableError } from "./errors.js";
import { REPO_ROOT } from "./modules.js";

/** Kernel throughput figures of one bench run. */
export interface KernelThroughput {
  wasmEventsPerSec: number;
  nativeEventsPerSec: number;
  /** Events in the stream both sides processed. */
  events: number;
  description: string;
}

/** Measure kernel venue events per second through WASM and natively on one stream. */
export async function measureKernelThroughput(): Promise<KernelThroughput> {
  if (!existsSync(join(REPO_ROOT, "kernel", "bench.ts"))) throw new NotAvailableError("kernel/bench.ts", "benchKernelWasm and the native bench binary");
  throw new NotAvailableError("kernel/bench.ts", "integration pending");
}
