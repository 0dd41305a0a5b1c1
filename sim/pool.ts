/**
 * `--jobs N`: run independent tasks (chaos seeds, scenarios, mutants) on N worker threads.
 *
 * Each task is a plain, structured-cloneable value handed to an exported async function
 * `fn(task, init)` of a TypeScript module (loaded in each worker through tsx, or with `bundle` as
 * one JavaScript bundle of it without tsx, sim/pool-bundle.ts; sim/pool-worker.mjs);
 * workers take the next task as soon as they finish one. Results are returned **in task order**,
 * whatever N is and whichever worker finished first, so output built from them is byte-identical
 * for every N (the simulation itself is deterministic per task). With `jobs` 1 the tasks run in
 * this thread, one after the other, through the same function.
 *
 * A task that throws rejects the whole pool with the task's index and the worker's stack (the
 * caller decides whether a thrown task is a finding; chaos catches inside its task function).
 */
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { Worker, type ResourceLimits } from "node:worker_threads";
import { poolBundle } from "./pool-bundle.js";

/** Default `--jobs`: every core (os.availableParallelism()). */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Check a `jobs` value.
 * @throws Error naming the field when it is not a positive safe integer.
 */
export function checkJobs(jobs: number, field = "jobs"): number {
  if (!Number.isSafeInteger(jobs) || jobs < 1) throw new Error(`${field}: must be a positive integer, got ${String(jobs)}`);
  return jobs;
}

export interface PoolOptions<T> {
  /** Absolute path of the TypeScript module exporting `fn`. */
  module: string;
  /** Name of the exported `async (task: T, init: unknown) => R` function. */
  fn: string;
  tasks: readonly T[];
  /** Worker count (capped at the number of tasks). */
  jobs: number;
  /**
   * Workers load the module as one JavaScript bundle, without tsx (sim/pool-bundle.ts; issue 12:
   * about a second of CPU less per worker). Only for a module whose imports are all written out
   * (no `import()` of a computed .ts path, which needs tsx): scenarios/chaos.ts. Default false:
   * workers load the module through tsx.
   */
  bundle?: boolean;
  /** Passed to every call as the second argument (structured-cloneable). */
  init?: unknown;
  /**
   * Called when a worker has loaded the task module and can take tasks, with the number of
   * workers ready and the number started (with `jobs` 1: once, when this thread has loaded it).
   * The bench times the pool's start-up with it (cli/bench.ts `chaos.startupMs`).
   */
  onReady?: (ready: number, workers: number) => void;
  /** Called after each task finishes, with the number done and the total. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Asked before each task is started; true stops starting tasks (Ctrl-C). Tasks already running
   * finish; the pool then resolves with the results of tasks 0 … k−1 (a prefix, since tasks start
   * in order) and leaves the rest `undefined`.
   */
  shouldStop?: () => boolean;
  /**
   * Run the tasks in worker threads even when `jobs` is 1 (one worker): for a task that needs
   * its own V8 heap limits (`resourceLimits`), e.g. `dita run` (cli/heap-policy.ts).
   */
  isolate?: boolean;
  /** V8 heap limits of every worker (node:worker_threads ResourceLimits). Requires `isolate`. */
  resourceLimits?: ResourceLimits;
}

/** Set by bin/dita.mjs: this process runs the `dita` command as one bundle, without tsx. */
const BUNDLED_CLI = Symbol.for("dita.bundledCli");
let tsxRegistered = false;

/**
 * Import a task module in this thread (`jobs` 1). In the bundled `dita` process (bin/dita.mjs)
 * TypeScript cannot be imported as it is: a `bundle` module is imported as its bundle (as a worker
 * would), any other one through tsx, registered here on first use. Elsewhere (tsx, vitest) the
 * module itself is imported.
 */
async function importInThread(module: string, bundle: boolean): Promise<unknown> {
  if ((globalThis as Record<symbol, unknown>)[BUNDLED_CLI] === true && /\.[cm]?ts$/.test(module)) {
    if (bundle) return import(await poolBundle(module));
    if (!tsxRegistered) {
      const { register } = await import("tsx/esm/api");
      register();
      tsxRegistered = true;
    }
  }
  return import(pathToFileURL(module).href);
}

/**
 * Run every task; resolve with the results in task order (with `shouldStop`, a prefix of them:
 * the entries of tasks never started are `undefined`).
 * @throws Error naming the task index when a task throws or a worker dies.
 */
export async function runPool<T, R>(opts: PoolOptions<T>): Promise<R[]> {
  checkJobs(opts.jobs);
  const total = opts.tasks.length;
  const results: R[] = new Array(total);
  // Limits are only kept by worker threads: never run such tasks in this thread unlimited.
  if (opts.resourceLimits !== undefined && opts.isolate !== true) throw new Error("pool: resourceLimits need isolate: true (tasks in worker threads)");
  if (total === 0 && opts.isolate === true) return results; // no task: no worker to start
  if ((opts.jobs === 1 || total <= 1) && opts.isolate !== true) return runInThread(opts, results);
  await runInWorkers(opts, results);
  return results;
}

/** jobs 1 (or one task) without `isolate`: the tasks run one after the other in this thread. */
async function runInThread<T, R>(opts: PoolOptions<T>, results: R[]): Promise<R[]> {
  const total = opts.tasks.length;
  let done = 0;
  const mod = (await importInThread(opts.module, opts.bundle === true)) as Record<string, (task: T, init: unknown) => Promise<R>>;
  const fn = mod[opts.fn];
  if (typeof fn !== "function") throw new Error(`pool: ${opts.module} has no function export ${opts.fn}`);
  opts.onReady?.(1, 1);
  for (let i = 0; i < total; i++) {
    if (opts.shouldStop) {
      // Tasks run synchronously inside: let the event loop deliver a pending signal first.
      await new Promise<void>((r) => setImmediate(r));
      if (opts.shouldStop()) break;
    }
    results[i] = await fn(opts.tasks[i], opts.init);
    done++;
    opts.onProgress?.(done, total);
  }
  return results;
}

/**
 * min(jobs, tasks) worker threads, each fed the next task as it finishes one; `results` is
 * filled by task index. Resolves when every started task finished (all of them unless
 * `shouldStop` said stop); rejects on the first task error or worker death. The workers are
 * terminated either way.
 */
async function runInWorkers<T, R>(opts: PoolOptions<T>, results: R[]): Promise<void> {
  const total = opts.tasks.length;
  let done = 0;
  const n = Math.min(opts.jobs, total);
  const entry = new URL("./pool-worker.mjs", import.meta.url);
  // With `bundle`, workers load the task module as one JavaScript bundle, without tsx.
  const workerModule = opts.bundle === true ? { module: await poolBundle(opts.module), bundled: true } : { module: pathToFileURL(opts.module).href, bundled: false };
  let next = 0;
  let started = 0;
  let ready = 0;
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolveAll, rejectAll) => {
      let failed = false;
      const fail = (err: Error) => {
        if (failed) return;
        failed = true;
        rejectAll(err);
      };
      const feed = (w: Worker) => {
        if (next < total && opts.shouldStop?.()) next = total + 1; // stop starting tasks
        if (next >= total) {
          if (next > total && done === started) resolveAll();
          return;
        }
        started++;
        const i = next++;
        w.postMessage({ i, task: opts.tasks[i] });
      };
      for (let k = 0; k < n; k++) {
        const w = new Worker(entry, { workerData: { ...workerModule, fn: opts.fn, init: opts.init }, ...(opts.resourceLimits ? { resourceLimits: opts.resourceLimits } : {}) });
        workers.push(w);
        w.on("message", (msg: { ready?: boolean; i: number; result?: R; error?: string }) => {
          if (msg.ready) {
            opts.onReady?.(++ready, n);
            return feed(w);
          }
          if (msg.error !== undefined) return fail(new Error(`pool task ${msg.i}: ${msg.error}`));
          results[msg.i] = msg.result as R;
          done++; // not inside the optional call: `f?.(++x)` skips the increment when f is absent
          opts.onProgress?.(done, total);
          if (done === total) return resolveAll();
          feed(w);
          if (next > total && done === started) resolveAll();
        });
        w.on("error", (err) => fail(new Error(`pool worker ${k}: ${err.stack ?? err.message}`)));
        w.on("exit", (code) => {
          if (code !== 0 && done < total) fail(new Error(`pool worker ${k} exited with code ${code}`));
        });
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
