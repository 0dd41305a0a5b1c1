/**
 * 48-hour simulated soak (issue 4 "Done when"): the random trader over two symbols and four slots
 * with every fault of the catalogue on for 48 simulated hours, then healing and liveness; all 12
 * invariants must hold (determinism by a second execution of the whole soak).
 */
import { describe, expect, it } from "vitest";
import { runScenario } from "./run.js";
import { ORACLE_NAMES } from "./oracle.js";
import { randomScenario, ALL_FAULTS } from "./fixtures/soak.js";

export const SOAK_HOURS = 48;

describe("48 h soak", () => {
  it("every fault on for 48 simulated hours; all invariants hold after liveness", async () => {
    const r = await runScenario(randomScenario("soak-48h", SOAK_HOURS, ALL_FAULTS, { intentsPerHour: 20, stepUs: 10_000_000 }), { seed: 48, checkDeterminism: true });
    const bad = r.invariants.filter((i) => !i.ok).map((i) => `${i.name}: ${i.detail}`);
    expect(bad).toEqual([]);
    // The 12 ledger invariants, then the end-to-end oracle (sim/oracle.ts).
    expect(r.invariants).toHaveLength(12 + ORACLE_NAMES.length);
    expect(r.simTimeUs).toBeGreaterThanOrEqual(SOAK_HOURS * 3_600_000_000);
    expect(r.trades.length).toBeGreaterThan(100);
    const kinds = new Set(r.faults.map((f) => f.fault));
    for (const k of ["wsLoss", "wsDuplicate", "restLoss", "restart", "outage", "rateLimitStorm", "handlerError", "listenKeyExpiry"]) expect(kinds).toContain(k);
  });
});
