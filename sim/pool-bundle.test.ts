/**
 * The pool bundle cache (sim/pool-bundle.ts, issue 12 chaos start-up): a bundle is reused while
 * every file it was built from has the same bytes, rebuilt when one changes, and old bundles of a
 * module are pruned once unused for PRUNE_AFTER_MS.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";
import { inputsDigest, manifestPath, POOL_BUNDLE_DIR, PRUNE_AFTER_MS, pruneBundles, reuseOrBuild, type BundleManifest } from "./pool-bundle.js";

const dir = mkdtempSync(join(tmpdir(), "dita-pool-bundle-"));
const built: string[] = [];
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const f of built) rmSync(f, { force: true });
});

describe("pool bundle cache", () => {
  it("reuses the bundle while its inputs are unchanged and rebuilds when an imported file changes", async () => {
    const main = join(dir, "task-main.ts");
    const dep = join(dir, "task-dep.ts");
    writeFileSync(dep, "export const factor: number = 2;\n");
    writeFileSync(main, 'import { factor } from "./task-dep.js";\nexport async function times(n: number): Promise<number> { return n * factor; }\n');
    const first = await reuseOrBuild(main);
    built.push(fileURLToPath(first), manifestPath(main));
    const m = JSON.parse(readFileSync(manifestPath(main), "utf8")) as BundleManifest;
    expect(m.inputs).toEqual(expect.arrayContaining([main, dep, fileURLToPath(new URL("./bundle-cache.mjs", import.meta.url))]));
    expect(m.inputsSha256).toBe(inputsDigest(m.inputs, m.esbuild));
    // Reused without esbuild: an esbuild that throws is never reached.
    vi.doMock("esbuild", () => ({ build: () => Promise.reject(new Error("esbuild must not run")) }));
    try {
      expect(await reuseOrBuild(main)).toBe(first);
      // A changed import target needs a build (the mock proves the check reaches esbuild)...
      writeFileSync(dep, "export const factor: number = 3;\n");
      await expect(reuseOrBuild(main)).rejects.toThrow(/esbuild must not run/);
    } finally {
      vi.doUnmock("esbuild");
    }
    // ...and gives a new bundle with the new text.
    const second = await reuseOrBuild(main);
    built.push(fileURLToPath(second));
    expect(second).not.toBe(first);
    expect(await (import(second) as Promise<{ times: (n: number) => Promise<number> }>).then((x) => x.times(5))).toBe(15);
  });

  it("a deleted input makes the digest null (manifest out of date), never a throw", () => {
    expect(inputsDigest([join(dir, "no-such-file.ts")], "0")).toBeNull();
  });

  it("prunes only this module's bundles unused for PRUNE_AFTER_MS, keeping the current one", () => {
    mkdirSync(POOL_BUNDLE_DIR, { recursive: true });
    const names = ["zzprunetest-0000000000000001.mjs", "zzprunetest-0000000000000002.mjs", "zzprunetest-0000000000000003.mjs", "zzprunetestx-0000000000000004.mjs"];
    for (const n of names) writeFileSync(join(POOL_BUNDLE_DIR, n), "");
    const old = new Date(Date.now() - PRUNE_AFTER_MS - 60_000);
    for (const n of [names[0], names[1], names[3]]) utimesSync(join(POOL_BUNDLE_DIR, n), old, old);
    // names[1] is old but current; names[2] is recent; names[3] is another module's.
    expect(pruneBundles("/somewhere/zzprunetest.ts", names[1])).toEqual([names[0]]);
    expect(names.map((n) => existsSync(join(POOL_BUNDLE_DIR, n)))).toEqual([false, true, true, true]);
    for (const n of names.slice(1)) rmSync(join(POOL_BUNDLE_DIR, n));
  });
});
