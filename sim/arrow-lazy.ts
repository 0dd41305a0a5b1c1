/**
 * apache-arrow, loaded the first time a simulator module needs it (a trace file written or read
 * back, a price path read from an Arrow file), not when the module is imported. Most runs never
 * touch Arrow — a chaos seed writes no trace file — and loading the package costs each process or
 * pool worker about 120 ms of CPU before its first seed (issue 12 profile of chaos start-up).
 *
 * The loader is synchronous (callers such as `new ArrowTraceStream(file)` are), so it loads the
 * package's CommonJS build through `createRequire`. Only the simulator's Arrow code goes through
 * it; the IPC bytes it writes and reads are the same for both builds, and no Arrow object crosses
 * into modules that import the ES build (replay/, reports/ read the files, not these objects).
 */
import { createRequire } from "node:module";

type ApacheArrow = typeof import("apache-arrow");

let loaded: ApacheArrow | undefined;

/**
 * The apache-arrow module (loaded on the first call, then cached).
 * @throws Error when the package cannot be loaded (not installed), as a static import would.
 */
export function arrow(): ApacheArrow {
  if (loaded === undefined) loaded = createRequire(import.meta.url)("apache-arrow") as ApacheArrow;
  return loaded;
}
