/**
 * Every built-in scenario through the simulator (sim/run.ts runScenario: real WASM kernel, BingX
 * mock venue, adapter, faults, safety then liveness): all 12 invariants must hold (except those a
 * scenario lists in expect.expectViolations), every expectation must hold, and every fault the
 * scenario switches on must actually have fired — a scenario whose fault never fired proves
 * nothing. One test per scenario, named after it, so `-t <name>` runs one and a mutant run can
 * say which scenario caught it. Seed 1 (SCENARIO_SEED overrides).
 */
import { describe, expect, it } from "vitest";
import { runScenario } from "../sim/run.js";
import type { FaultProfile, RunResult } from "../sim/types.js";
import { listScenarios } from "./index.js";

const SEED = Number(process.env.SCENARIO_SEED ?? 1);
/** Fault keys that are shapes, not events, and so leave no fault mark. */
const NOT_MARKED = new Set<keyof FaultProfile>(["restLatencyUs", "wsLatencyUs"]);

function failures(r: RunResult): string[] {
  return [...r.invariants, ...r.expectations].filter((x) => !x.ok).map((x) => `${x.name}: ${x.detail}`);
}

describe("scenarios through the simulator", () => {
  for (const s of listScenarios()) {
    if (s.swarm) continue; // the swarm scenario is chaos.test.ts's
    it(`${s.name} [${(s.flaws ?? []).join(", ")}]`, async () => {
      // CI re-executes each scenario once: invariant 12 is checked here, not merely "not checked".
      const r = await runScenario(s, { seed: SEED, checkDeterminism: true });
      const violated = new Set(s.expect?.expectViolations ?? []);
      const bad = failures(r).filter((f) => !violated.has(f.split(":")[0]));
      expect(bad, `${s.name} seed ${SEED}: reproduce with npx dita run ${s.name} --seed ${SEED}`).toEqual([]);
      expect(r.ok).toBe(true);
      expect(r.invariants.length, "all 12 invariants were checked").toBeGreaterThanOrEqual(12);
      expect(r.invariants.find((i) => i.name === "determinism")?.status).toBe("checked");
      const fired = new Set(r.faults.map((f) => String(f.fault)));
      for (const key of Object.keys(s.faults ?? {}) as (keyof FaultProfile)[]) {
        if (NOT_MARKED.has(key)) continue;
        const mark = key === "restartOnStage" || key === "restartAtUs" ? "restart" : key === "listenKeyExpiryAtUs" ? "listenKeyExpiry" : key;
        expect(fired.has(mark), `fault ${key} never fired (fired: ${[...fired].join(",") || "none"})`).toBe(true);
      }
    });
  }
});
