/**
 * The one sanctioned wall-clock read of the simulator: RunResult.wallMs (how long a run took on
 * this machine). It is taken outside the simulation path, never enters the trace or its hash, and
 * is excluded by name from the determinism guard (sim/determinism-guard.test.ts).
 */
import { performance } from "node:perf_hooks";

/** Milliseconds on a monotonic wall clock (only for RunResult.wallMs and measurements). */
export function wallNowMs(): number {
  return performance.now();
}
