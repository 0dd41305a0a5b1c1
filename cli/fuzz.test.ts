import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./modules.js";

/** Run the real `dita` bin (the one `npx dita` runs). */
function dita(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, "bin", "dita.mjs"), ...args], { encoding: "utf8", env: { ...process.env, DITA_NO_PROGRESS: "1" }, timeout: 110_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("dita fuzz (issue 11): CLI contract", () => {
  it("issue 11: `dita fuzz --inputs 400 --seed 3 --json` prints one JSON document with the counts per class and exits 0", () => {
    const r = dita("fuzz", "--inputs", "400", "--seed", "3", "--json");
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown> & { byClass: Record<string, { inputs: number }> };
    for (const k of ["ok", "inputs", "traps", "refusedWithoutDiagnostic", "stateChanged", "accepted", "corruptedAccepted", "byClass", "seed", "wallMs"]) expect(doc, k).toHaveProperty(k);
    expect(doc.ok).toBe(true);
    expect(doc.inputs).toBe(400);
    expect(doc.seed).toBe(3);
    expect(Object.values(doc.byClass).reduce((a, c) => a + c.inputs, 0)).toBe(400);
  });
  it("issue 11: a bad --inputs exits 2 naming the value", () => {
    const r = dita("fuzz", "--inputs", "0", "--json");
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.message).toMatch(/must be a positive integer, got "0"/);
  });
});
