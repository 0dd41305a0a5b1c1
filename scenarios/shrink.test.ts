/**
 * Shrinking (issue 12, scenarios/shrink.ts): what is reported as the failing check, that a seed
 * which does not fail is refused (nothing to shrink) rather than "shrunk" to something, the search
 * itself on a fake judge, and the end-to-end shrink of a real failure: the flaw mutant
 * `mutant_exit_leg_not_saved` (docs/flaws.md I9, saved state forgets the exit-leg index) under
 * chaos seed 4, shrunk to a file with fewer faults and a shorter safety phase that fails the same
 * invariant on the mutant and passes on the real kernel (scenarios/README.md "Shrinking").
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadKernel, type KernelModule } from "../kernel/index.js";
import { runScenario } from "../sim/run.js";
import type { FaultProfile, RunResult, Scenario } from "../sim/types.js";
import { CHAOS_SCENARIO } from "./chaos.js";
import { getScenario, loadScenarioFile } from "./index.js";
import { ensureMutantWasm } from "./mutants.js";
import { firstFailure, shrinkChaosSeed, shrinkSearch, type StillFails } from "./shrink.js";

const MIN = 60_000_000;

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

  it("search on a fake judge: keeps exactly the faults the failure needs and the shortest whole-minute safety phase", async () => {
    // Fails (target "restart-exit-legs") iff restart and wsLoss are both on and the phase is ≥ 4 min.
    const calls: { faults: string[]; min: number }[] = [];
    const judge: StillFails = async (faults, durationUs) => {
      calls.push({ faults: Object.keys(faults).sort(), min: durationUs / MIN });
      return faults.restart !== undefined && faults.wsLoss !== undefined && durationUs >= 4 * MIN ? { name: "restart-exit-legs", detail: "leg 0 forgotten" } : undefined;
    };
    const mix: FaultProfile = { restart: 0.035, wsLoss: 0.1, wsReorder: 0.2, outage: { probability: 0.1, durationUs: 5_000_000 }, restLatencyUs: { medianUs: 2_000, p99Us: 4_000 } };
    const found = await shrinkSearch(mix, 710_000_000, judge);
    expect(Object.keys(found.faults).sort()).toEqual(["restart", "wsLoss"]);
    expect(found.faults.restart).toBe(0.035); // a kept fault keeps its drawn intensity
    expect(found.durationUs).toBe(4 * MIN);
    expect(found.failure).toEqual({ name: "restart-exit-legs", detail: "leg 0 forgotten" });
    expect(calls[0]).toEqual({ faults: ["outage", "restLatencyUs", "restart", "wsLoss", "wsReorder"], min: 710 / 60 });
    expect(calls[calls.length - 1]).toEqual({ faults: ["restart", "wsLoss"], min: 4 }); // the re-check
    expect(calls.every((c) => c.min <= 710 / 60)).toBe(true); // never longer than the original
  });

  it("search: an original that does not fail is refused; a judge that stops failing on re-check is an error, not a result", async () => {
    await expect(shrinkSearch({ restart: 0.1 }, 5 * MIN, async () => undefined)).rejects.toThrow(/do not fail the target check: cannot shrink/);
    let n = 0;
    const flaky: StillFails = async () => (++n <= 4 ? { name: "x", detail: "" } : undefined);
    await expect(shrinkSearch({ restart: 0.1 }, 5 * MIN, flaky)).rejects.toThrow(/no longer fails the target check on re-check/);
  });
});

describe("shrink on a real case: flaw mutant mutant_exit_leg_not_saved (docs/flaws.md I9) under chaos seed 4", () => {
  it("restart-exit-legs: fewer faults, a shorter safety phase; the file fails the same invariant on the mutant and passes on the real kernel", async () => {
    const wasm = ensureMutantWasm("mutant_exit_leg_not_saved"); // built once, cached under kernel/pkg/mutants/
    const out = join(mkdtempSync(join(tmpdir(), "dita-shrink-")), "seed4.json");
    const res = await shrinkChaosSeed({ seed: 4, out, kernelWasm: wasm });
    expect(res.repro).toBe(`npx dita run --file ${out} --seed 4 --kernel ${wasm}`);
    expect(res.target).toBe("restart-exit-legs");
    expect(res.shrunk.faults.length).toBeLessThan(res.original.faults.length);
    expect(res.shrunk.faults).toContain("restart");
    expect(res.shrunk.durationUs).toBeLessThan(res.original.durationUs);
    const file = loadScenarioFile(out);
    expect(file.swarm).toBeUndefined();
    expect(Object.keys(file.faults ?? {}).sort()).toEqual(res.shrunk.faults);
    expect(file.durationUs).toBe(res.shrunk.durationUs);
    const mutant = (await loadKernel({ wasmPath: wasm })) as KernelModule;
    const onMutant = await runScenario(file, { seed: 4, kernelModule: mutant });
    expect(firstFailure(file, onMutant)?.name).toBe("restart-exit-legs");
    const onReal = await runScenario(file, { seed: 4 });
    expect(onReal.ok).toBe(true);
  }, 600_000);
});
