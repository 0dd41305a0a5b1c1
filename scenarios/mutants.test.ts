/**
 * The flaw-mutant runner on ONE mutant (CI budget): the FET leverage mutant. The full run of every
 * mutant is `npx dita mutants` (scenarios/README.md "Flaw mutants").
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MUTANTS, runMutants } from "./mutants.js";

const ROOT_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");

describe("flaw mutants (scenarios/mutants.ts)", () => {
  it("FET trio (2) / accounting spec §0: mutant_leverage_pnl is caught and books 3214.4652 on leg 1 of the FET incident", async () => {
    const r = await runMutants({ only: ["mutant_leverage_pnl"] });
    expect(r.total).toBe(1);
    expect(r.caught).toBe(1);
    const m = r.mutants[0]!;
    expect(m.caught).toBe(true);
    expect(m.caughtBy).toMatch(/^(kernel case table|golden|scenario|adapter properties|kernel-flaws properties): /);
    expect(m.reproduction).toMatchObject({ case: "fet-incident-bound-price", actualLeg1RealizedUsdt: "3214.4652", reproduced: true });
  }, 300_000);

  it("the table holds at least 29 distinct mutants (24 kernel features + 5 adapter switches), each naming its flaw; an unknown id is refused", async () => {
    expect(new Set(MUTANTS.map((m) => m.id)).size).toBe(MUTANTS.length);
    expect(MUTANTS.length).toBeGreaterThanOrEqual(29);
    for (const m of MUTANTS) expect(m.flaw.length).toBeGreaterThan(0);
    await expect(runMutants({ only: ["mutant_nope"] })).rejects.toThrow(/unknown mutant id "mutant_nope"/);
  });

  it("the kernel mutants are exactly the mutant_* features of kernel/Cargo.toml, and none is a default feature", () => {
    const toml = readFileSync(join(ROOT_DIR, "kernel", "Cargo.toml"), "utf8");
    const features = [...toml.matchAll(/^(mutant_[a-z0-9_]+) = \[\]$/gm)].map((m) => m[1]);
    const kernelIds = MUTANTS.filter((m) => m.kind === "kernel-feature").map((m) => m.id);
    expect([...kernelIds].sort()).toEqual([...features].sort());
    expect(toml).toMatch(/^default = \[\]$/m);
  });
});
