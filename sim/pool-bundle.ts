/**
 * The task module of a `--jobs N` pool (sim/pool.ts) as one plain-JavaScript ES module, so that
 * worker threads load it without tsx (issue 12 profile: each worker spent about a second of CPU
 * loading ~100 TypeScript modules through tsx's loader hooks, a hooks thread per worker, before
 * its first seed; for a 40-seed chaos sweep on 2 cores that was a third of the time).
 *
 * The bundle and its cache across processes (reuse without esbuild while the files it was built
 * from are unchanged, pruning of unused old bundles) are sim/bundle-cache.mjs, which bin/dita.mjs
 * uses for the CLI itself.
 */
import { BUNDLE_DIR, reuseOrBuild } from "./bundle-cache.mjs";

export { inputsDigest, manifestPath, PRUNE_AFTER_MS, pruneBundles, reuseOrBuild, type BundleManifest } from "./bundle-cache.mjs";

/** Where bundles are written (inside node_modules, so that package imports resolve from there). */
export const POOL_BUNDLE_DIR = BUNDLE_DIR;

const built = new Map<string, Promise<string>>();

/**
 * The file URL of the bundle of `modulePath` (an absolute path of a .ts/.js module of this
 * repository), looked up or built once per process and module (sim/bundle-cache.mjs).
 * @throws Error naming the module when esbuild cannot bundle it (the pool then does not start).
 */
export function poolBundle(modulePath: string): Promise<string> {
  let p = built.get(modulePath);
  if (!p) {
    p = reuseOrBuild(modulePath);
    built.set(modulePath, p);
    // A failed build is not cached: the next pool tries again.
    p.catch(() => built.delete(modulePath));
  }
  return p;
}
