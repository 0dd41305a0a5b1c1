/** Types of sim/bundle-cache.mjs (bundles of this repository's modules, cached across processes). */
/** Where bundles and their manifests are written (node_modules/.cache/dita-pool/). */
export declare const BUNDLE_DIR: string;
/** Bundles of a module unused for this long are deleted after the next build of that module. */
export declare const PRUNE_AFTER_MS: number;
/** What a manifest records about one bundle (JSON in BUNDLE_DIR). */
export interface BundleManifest {
  /** Absolute path of the bundled module. */
  module: string;
  /** Version of the esbuild package that built it. */
  esbuild: string;
  /** Absolute paths of every file the bundle was built from, sorted. */
  inputs: string[];
  /** inputsDigest(inputs, esbuild) when it was built. */
  inputsSha256: string;
  /** File name of the bundle in BUNDLE_DIR. */
  bundle: string;
}
/** Path of the manifest of `modulePath`. */
export declare function manifestPath(modulePath: string): string;
/** SHA-256 over the esbuild version and each input's path and bytes; null when an input is gone. */
export declare function inputsDigest(inputs: readonly string[], esbuild: string): string | null;
/**
 * File URL of the bundle of `modulePath`: reused while its inputs are unchanged, else built.
 * @throws Error naming the module when esbuild cannot bundle it, or the manifest when it is not JSON.
 */
export declare function reuseOrBuild(modulePath: string): Promise<string>;
/** Delete this module's bundles other than `keep` unused for PRUNE_AFTER_MS; returns their names. */
export declare function pruneBundles(modulePath: string, keep: string, nowMs?: number): string[];
