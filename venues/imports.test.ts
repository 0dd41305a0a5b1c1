/**
 * Import rule (issue 12, docs/architecture.md): venues/ never imports the simulator. The venue
 * model, the wire adapter and the venue connector are shared with live shadow mode, so a
 * dependency on sim/ (or on scenarios/, golden/, cli/, reports/) would drag the simulator into a
 * live process. Scans every .ts file under venues/ (tests included, except this file's fixtures) for import / export-from /
 * dynamic import specifiers and resolves relative ones against the file's folder.
 */
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const VENUES = join(ROOT, "venues");
const FORBIDDEN_TOP = ["sim", "scenarios", "golden", "cli", "reports"];
const SPEC = /(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|import\s+["']([^"']+)["']/g;

function tsFiles(dir: string): string[] {
  let out: string[] = [];
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out = out.concat(tsFiles(p));
    else if (n.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** Imports of `file` (text `src`) that reach a forbidden top-level folder, as "file: specifier". */
export function forbiddenImports(file: string, src: string): string[] {
  const hits: string[] = [];
  for (const m of src.matchAll(SPEC)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec || !spec.startsWith(".")) continue;
    const top = relative(ROOT, resolve(dirname(file), spec)).split(/[\\/]/)[0];
    if (FORBIDDEN_TOP.includes(top)) hits.push(`${relative(ROOT, file)}: ${spec}`);
  }
  return hits;
}

describe("venues/ import rule", () => {
  it("no file under venues/ imports sim/, scenarios/, golden/, cli/ or reports/", () => {
    // This file's own fixtures (string literals below) are not imports.
    const files = tsFiles(VENUES).filter((f) => f !== join(VENUES, "imports.test.ts"));
    expect(files.length).toBeGreaterThan(10);
    const hits = files.flatMap((f) => forbiddenImports(f, readFileSync(f, "utf8")));
    expect(hits).toEqual([]);
  });

  it("the scanner catches a relative import of the simulator (static, type-only, dynamic)", () => {
    const f = join(VENUES, "bingx", "x.ts");
    expect(forbiddenImports(f, 'import type { ContractSpec } from "../../sim/types.js";')).toEqual(["venues/bingx/x.ts: ../../sim/types.js"]);
    expect(forbiddenImports(f, 'const m = await import("../../sim/run.js");')).toHaveLength(1);
    expect(forbiddenImports(join(VENUES, "c.ts"), 'export { x } from "../sim/trace.js";')).toHaveLength(1);
    expect(forbiddenImports(f, 'import { a } from "../venue.js";\nimport { b } from "../../kernel/types.js";')).toEqual([]);
  });
});
