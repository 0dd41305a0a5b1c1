/**
 * Shrinking (issue 12, scenarios/shrink.ts): what is reported as the failing check, and that a
 * seed which does not fail is refused (nothing to shrink) rather than "shrunk" to something.
 * The end-to-end shrink of a real failure (a flaw mutant under chaos) is recorded in the
 * scenarios/README.md "Shrinking" section (it needs a mutant kernel build, minutes).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunResult, Scenario } from "../sim/types.js";
import { CHAOS_SCENARIO } from "./chaos.js";
import { getScenario } from "./index.js";
import { firstFailure, shrinkChaosSeed } from "./shrink.js";

describe("shrink", () => {
  it("firstFailure: the first failing invariant, then expectation; listed expectViolations are not failures", () => {
    const s = { expect: { expectViolations: ["liveness"] } } as unknown as Scenario;
    const r = {
      invariants: [{ name: "routing", ok: true, detail: "" }, { name: "liveness", ok: false, detail: "stuck" }, { name: "position-parity", ok: false, detail: "2 != 1" }],
      expectations: [{ name: "trades", ok: false, detail: "0 trades" }],
    } as unknown as RunResult;
    expect(firstFailure(s, r)).toEqual({ name: "position-parity", detail: "2 != 1" });
    r.invariants[2].ok = true;
    expect(firstFailure(s, r)).toEqual({ name: "trades", detail: "0 trades" });
    r.expectations[0].ok = true;
    expect(firstFailure(s, r)).toBeUndefined();
  });

  it("a chaos seed that passes is refused: nothing to shrink (no file written)", async () => {
    const short: Scenario = { ...getScenario(CHAOS_SCENARIO)!, durationUs: 60_000_000 };
    const out = join(mkdtempSync(join(tmpdir(), "dita-shrink-")), "x.json");
    await expect(shrinkChaosSeed({ seed: 3, out, scenario: short })).rejects.toThrow(/chaos seed 3 does not fail: nothing to shrink/);
  });
});
