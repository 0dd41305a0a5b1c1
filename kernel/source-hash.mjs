// Source hash of the kernel crate: the stale-binary guard (accounting spec §0.1, §8.3).
// One implementation serves both scripts/build-kernel.mjs (embeds it into the .wasm via the
// DITA_KERNEL_SOURCE_HASH env var, read by option_env!) and kernel/index.ts (refuses a .wasm
// whose hash does not match the checkout).
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

/**
 * Files hashed: Cargo.toml, Cargo.lock and every src/**\/*.rs, sorted by POSIX relative path.
 * @param {string} kernelDir absolute path of the kernel/ crate directory
 * @returns {string[]} relative POSIX paths
 */
export function kernelSourceFiles(kernelDir) {
  const out = ["Cargo.toml", "Cargo.lock"];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".rs")) out.push(relative(kernelDir, p).split(sep).join("/"));
    }
  };
  walk(join(kernelDir, "src"));
  return out.sort();
}

/**
 * SHA-256 (hex) over, for each file in sorted order, `path NUL content NUL`, then
 * `features:` + the sorted, comma-joined Cargo feature list.
 * @param {string} kernelDir absolute path of kernel/
 * @param {string[]} features enabled Cargo features (e.g. ["mutant_leverage_pnl"]); [] by default
 * @returns {string} 64 lower-case hex digits
 */
export function kernelSourceHash(kernelDir, features = []) {
  const h = createHash("sha256");
  for (const rel of kernelSourceFiles(kernelDir)) {
    h.update(rel);
    h.update("\0");
    h.update(readFileSync(join(kernelDir, rel)));
    h.update("\0");
  }
  h.update("features:" + [...features].sort().join(","));
  return h.digest("hex");
}
