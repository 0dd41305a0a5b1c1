/**
 * Determinism guard (docs/architecture.md §The simulator; COMMON rules): no wall clock and no unseeded
 * randomness on the simulation path. Scans the TypeScript sources of kernel/, sim/, venues/,
 * scenarios/ and golden/ (test files and bench code excluded) and fails naming file:line.
 * The one sanctioned wall-clock read (RunResult.wallMs in sim/run.ts) lives in sim/wall-clock.ts,
 * which is bench-style code outside the simulation path and is excluded by name.
 */
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const DIRS = ["kernel", "sim", "venues", "scenarios", "golden"];
const FORBIDDEN = [/Date\.now\(/, /new Date\(\)/, /performance\.now\(/, /Math\.random\(/];
const EXCLUDED = [/\.test\.ts$/, /bench/i, /^sim\/wall-clock\.ts$/, /^sim\/measure\.ts$/];

function tsFiles(dir: string): string[] {
  let out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  for (const n of names.sort()) {
    if (n === "node_modules" || n === "target" || n === "pkg") continue;
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out = out.concat(tsFiles(p));
    else if (n.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** Lines that call a forbidden API, as "file:line: text". Comments are scanned too: keep them out of comments as well. */
export function scan(files: string[]): string[] {
  const hits: string[] = [];
  for (const f of files) {
    const rel = relative(ROOT, f);
    if (EXCLUDED.some((re) => re.test(rel))) continue;
    readFileSync(f, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (FORBIDDEN.some((re) => re.test(line))) hits.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
  }
  return hits;
}

describe("determinism guard", () => {
  it("no Date.now(, new Date(), performance.now( or Math.random( on the simulation path", () => {
    const files = DIRS.flatMap((d) => tsFiles(join(ROOT, d)));
    expect(files.length).toBeGreaterThan(5);
    expect(scan(files)).toEqual([]);
  });
  it("the scanner itself finds a forbidden call (it can fail)", () => {
    const probe = join(ROOT, "sim", "determinism-guard.test.ts");
    // This very file mentions the patterns inside regexes only; a synthetic line must be caught.
    expect(FORBIDDEN.some((re) => re.test("const t = Date.now();"))).toBe(true);
    expect(FORBIDDEN.some((re) => re.test("x = Math.random() * 2"))).toBe(true);
    expect(EXCLUDED.some((re) => re.test(relative(ROOT, probe)))).toBe(true);
  });
});
