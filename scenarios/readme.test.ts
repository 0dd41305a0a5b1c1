/**
 * Keeps the flaw map (docs/flaws.md, "The map") honest: every seed flaw ID (Flaws 1-13, A1-A15, E1-E26,
 * F1-F30, G1-G36, H1-H22, I1-I22, J1-J16, K1-K23, L1-L16, M1-M18, N1-N10, O1-O11, P1-P9,
 * Q1-Q12, T1-T9) has exactly one row; every scenario a row names exists in the library; every test
 * file a row names ("kernel-flaws", "model", "fuzz") has a test whose title contains the ID; a
 * row is either covered or "n/a" with a reason; every mutant a row names (`mutant_…`,
 * `adapter_…`) is in scenarios/mutants.ts MUTANTS and lists the ID among its flaws.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { getScenario } from "./index.js";
import { MUTANTS } from "./mutants.js";

const SERIES: [string, number][] = [
  ["A", 15], ["E", 26], ["F", 30], ["G", 36], ["H", 22], ["I", 22], ["J", 16], ["K", 23],
  ["L", 16], ["M", 18], ["N", 10], ["O", 11], ["P", 9], ["Q", 12], ["T", 9],
];
const EXPECTED = [
  ...Array.from({ length: 13 }, (_, i) => `Flaw ${i + 1}`),
  ...SERIES.flatMap(([p, n]) => Array.from({ length: n }, (_, i) => `${p}${i + 1}`)),
];

const readme = readFileSync(new URL("../docs/flaws.md", import.meta.url), "utf8");
const map = readme.slice(readme.indexOf("## The map"));
const rows = [...map.matchAll(/^\| (Flaw \d+|[A-Z]\d+) \| ([^|]+) \| ([^|]+) \|$/gm)].map((m) => ({ id: m[1], by: m[2].trim(), note: m[3].trim() }));

function titles(file: string): string[] {
  const text = readFileSync(new URL(file, import.meta.url), "utf8");
  return [...text.matchAll(/\bit\(\s*(?:"([^"]+)"|`([^`]+)`|'([^']+)')/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}
const TEST_FILES: Record<string, string[]> = {
  "kernel-flaws": titles("./kernel-flaws.test.ts"),
  model: titles("./model.test.ts"),
  fuzz: titles("./fuzz.test.ts"),
};
function hasToken(title: string, id: string): boolean {
  return new RegExp(`(?<![A-Za-z0-9])${id.replace(" ", "\\s")}(?![0-9])`).test(title);
}

describe("docs/flaws.md flaw map", () => {
  it("has exactly one row per seed flaw ID (288 IDs)", () => {
    expect(EXPECTED.length).toBe(288);
    const ids = rows.map((r) => r.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i), "duplicate rows").toEqual([]);
    expect(EXPECTED.filter((id) => !ids.includes(id)), "missing rows").toEqual([]);
    expect(ids.filter((id) => !EXPECTED.includes(id)), "unknown IDs").toEqual([]);
  });

  it("every row is covered by existing scenarios / tests, or n/a with a reason", () => {
    const problems: string[] = [];
    for (const r of rows) {
      if (r.by === "n/a") {
        if (r.note.length < 10) problems.push(`${r.id}: n/a without a reason`);
        continue;
      }
      const parts = r.by.split(",").map((p) => p.trim());
      for (const p of parts) {
        const scenario = /^`([a-z0-9-]+)`$/.exec(p);
        if (scenario) {
          if (!getScenario(scenario[1])) problems.push(`${r.id}: scenario ${scenario[1]} does not exist`);
        } else if (/^(mutant|adapter)_[a-z0-9_]+$/.test(p)) {
          const m = MUTANTS.find((x) => x.id === p);
          if (!m) problems.push(`${r.id}: mutant ${p} is not in scenarios/mutants.ts`);
          else if (!hasToken(m.flaw, r.id)) problems.push(`${r.id}: mutant ${p} does not list ${r.id} among its flaws ("${m.flaw}")`);
        } else if (p in TEST_FILES) {
          if (!TEST_FILES[p].some((t) => hasToken(t, r.id))) problems.push(`${r.id}: no test in ${p} has "${r.id}" in its title`);
        } else problems.push(`${r.id}: unknown reference "${p}"`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("counts: covered vs not applicable", () => {
    const covered = rows.filter((r) => r.by !== "n/a").length;
    const na = rows.length - covered;
    console.log(`flaw map: ${covered} IDs covered, ${na} not applicable (sans-IO kernel + TS harness), ${rows.length} total`);
    expect(covered + na).toBe(288);
    expect(covered).toBeGreaterThan(150);
  });
});
