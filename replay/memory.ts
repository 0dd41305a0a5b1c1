/**
 * Flat memory on long replays: a full garbage collection every {@link GC_EVERY_ROWS} rows.
 *
 * Why: the replay allocates short-lived JSON per kernel call, and V8 lets its heap grow until its
 * own (concurrent) marking catches up, which on a CPU-starved machine can be late. A forced full
 * GC at a fixed row interval bounds the heap by one interval's garbage whatever the load. Measured
 * (1,000,002-row Arrow replay in a process started from a shell, getrusage maxRSS, load ~18):
 * 250.9 MB without, 230.1 MB with; the bench (VmHWM) measured 235.4 MB with it. `gc` is exposed
 * at run time through V8's flag API (node:v8 setFlagsFromString("--expose-gc") + a fresh vm
 * context); where that is not possible the replay runs without it and says so once on stderr.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Rows between two forced collections. */
export const GC_EVERY_ROWS = 32_768;

let gcFn: (() => void) | null | undefined;

/** The V8 gc function, or null when the runtime does not expose it. */
export function fullGc(): (() => void) | null {
  if (gcFn !== undefined) return gcFn;
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === "function") return (gcFn = existing);
  setFlagsFromString("--expose-gc");
  const f = runInNewContext("typeof gc === 'function' ? gc : null") as (() => void) | null;
  if (f === null) process.stderr.write("replay: V8 gc is not available; memory is left to V8's own heuristics\n");
  return (gcFn = f);
}

/** Calls a full GC each time `rowsRead` crosses a multiple of GC_EVERY_ROWS. */
export class GcPacer {
  #next = GC_EVERY_ROWS;
  /** Forced collections so far. */
  count = 0;

  /** Call after each batch with the rows read so far. */
  tick(rowsRead: number): void {
    if (rowsRead < this.#next) return;
    this.#next = rowsRead + GC_EVERY_ROWS;
    const gc = fullGc();
    if (gc) {
      gc();
      this.count++;
    }
  }
}
