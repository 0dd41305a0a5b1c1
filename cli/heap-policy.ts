/**
 * V8 heap policy of a `dita run` process (issue 12: peak RSS of a 48 h `dita run` with its trace
 * ≤ 300 MB). At the end of a 48 h random-clean run the live JavaScript heap is about 70 MB beside
 * about 51 MB of kernel WebAssembly memory, but V8 lets the old generation grow up to about 4× the
 * live set between major collections when the heap limit is large (this host: 2 GB or more), so
 * the peak RSS was 410–505 MB. `--heap-growing-percent=50` caps the growth at 1.5× the live set.
 * It is set at run time (v8.setFlagsFromString; V8 reads it at every heap-limit update), only in
 * the `dita run` process, never in the bench, chaos workers or tests, so no speed figure pays for
 * it. Measured in session 8 on the shared 2-core host (load 8–14, so CPU figures are noisy):
 * - 48 h random-clean (`/usr/bin/time -v node bin/dita.mjs run --file <48 h file> --json`, same
 *   trace hash fd04e6bb…): peak RSS 411–506 MB in 7 default runs against 321–337 MB in 6 runs with
 *   this flag (4 set at run time, one of them by this module, 2 on the node command line; −29 %);
 *   still above 300 MB.
 * - CPU, 12 h random-clean alternated: default 16.75 / 14.11 / 14.81 s, with the flag 17.21 /
 *   15.52 / 15.44 s (user+sys): about +6 % (pairs +3 %, +10 %, +4 %).
 * Not adopted, measured in the same runs: `--semi-space-growth-factor=1` (new space kept at 2 MB:
 * 183 MB at 12 h but +58 % CPU); `--max-semi-space-size=8` or `=4` with this flag (48 h: 305 and
 * 280 MB; 12 h CPU within noise / +8 %) can only be given when node starts (checked: set at run
 * time the new space still grows to 32 MB; given at start, `=4` keeps it at 8 MB), so it would
 * need a second node process for `dita run`.
 *
 * Session 9 (figures in sim/README.md §Memory of a long run):
 * - The run executes in a worker thread of the `dita run` process (cli/run-one.ts runCommandTask
 *   through sim/pool.ts `isolate`), whose young generation is capped by RUN_RESOURCE_LIMITS: the
 *   in-process form of `--max-semi-space-size`, which a worker takes when it starts. The main
 *   thread resolves the scenario, waits and prints.
 * - The growth cap went from 50 % to 30 % (heap limit 1.3× the live set after a major GC): on the
 *   48 h run, alternated twice at load 6–7, 267 / 275 MB against 297 / 315 MB, user CPU 27.0 /
 *   28.4 s against 27.8 / 26.0 s (within the noise of that load).
 */
import v8 from "node:v8";
import type { ResourceLimits } from "node:worker_threads";

/** The V8 flag a `dita run` process sets (heap growth capped at 1.3× the live set after each major GC). */
export const RUN_HEAP_FLAGS = "--heap-growing-percent=30";

/** Apply RUN_HEAP_FLAGS to this process (the `dita run` command only). */
export function applyRunHeapPolicy(): void {
  v8.setFlagsFromString(RUN_HEAP_FLAGS);
}

/**
 * V8 heap limits of the `dita run` worker thread: a 24 MB young generation (V8 splits it into two
 * semi-spaces and a large-object space, so about 8 MB per semi-space against 16 MB by default).
 * Peak RSS of a 48 h random-clean `dita run` (552,531 events): sim/README.md §Memory of a long run.
 */
export const RUN_RESOURCE_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 24 };
