/**
 * The flaw-mutant runner in the CI budget: the FET leverage kernel mutant and every adapter mutant
 * (no build). The full run of every mutant is `npx dita mutants` (scenarios/README.md "Flaw mutants").
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MUTANTS, runMutants } from "./mutants.js";
import { getScenario } from "./index.js";
import { runScenario } from "../sim/run.js";
import { setAdapterMutant } from "../venues/bingx/adapter.js";

const ROOT_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");

describe("flaw mutants (scenarios/mutants.ts)", () => {
  it("FET trio (2) / docs/accounting.md §0: mutant_leverage_pnl is caught and books 3214.4652 on leg 1 of the FET incident", async () => {
    const r = await runMutants({ only: ["mutant_leverage_pnl"] });
    expect(r.total).toBe(1);
    expect(r.caught).toBe(1);
    const m = r.mutants[0]!;
    expect(m.caught).toBe(true);
    expect(m.caughtBy).toMatch(/^(kernel case table|golden|scenario|adapter properties|kernel-flaws properties): /);
    expect(m.reproduction).toMatchObject({ case: "fet-incident-bound-price", actualLeg1RealizedUsdt: "3214.4652", reproduced: true });
  }, 300_000);

  it("every adapter mutant (no kernel build needed) is caught", async () => {
    const ids = MUTANTS.filter((m) => m.kind === "adapter").map((m) => m.id);
    const r = await runMutants({ only: ids });
    expect(r.total).toBe(ids.length);
    expect(r.mutants.filter((m) => !m.caught).map((m) => m.id)).toEqual([]);
  }, 300_000);

  it("spec §5.2 / I1, docs/accounting.md §Missing prices: with adapter_settlement_no_cum_qty the scenario s52-repair-reordered-unpriced-fills pairs settlements by arrival, yet the order's true price replaces every repair: the books stay the exchange's 242.7312 (the mutant is caught by the golden adapter shape)", async () => {
    // Until issue 12 the §5.2 repair was the final figure and this mutant under-booked s52. Now the
    // order's cumqty × avgPrice re-prices the unpriced fills and replaces the repairs, so a mispaired
    // repair no longer reaches the books; the mutant stays caught by the adapter's golden shape.
    const sc = getScenario("s52-repair-reordered-unpriced-fills")!;
    const clean = await runScenario(sc, { seed: 1, checkDeterminism: false });
    expect(clean.ok).toBe(true);
    setAdapterMutant("adapter_settlement_no_cum_qty");
    try {
      const r = await runScenario(sc, { seed: 1, checkDeterminism: false });
      expect(r.final.trades[0]?.exchangeRealizedUsdt).toBe("242.7312");
      expect(r.final.trades[0]?.realizedGrossUsdt).toBe("242.7312");
      expect(r.final.trades[0]?.flags).toContain("repriced_from_order");
    } finally {
      setAdapterMutant(null);
    }
    const m = await runMutants({ only: ["adapter_settlement_no_cum_qty"] });
    expect(m.mutants[0]).toMatchObject({ caught: true, caughtBy: expect.stringMatching(/^golden: /) });
  }, 120_000);

  it("issue 12: the adapter and venue mutants of the oracle fail a run THROUGH THE SIMULATOR (their named scenario), which passes without them", async () => {
    const ids = ["adapter_event_id_no_cum_qty", "venue_reduce_only_no_clamp"];
    for (const id of ids) {
      const spec = MUTANTS.find((m) => m.id === id)!;
      for (const name of spec.simulator!.scenarios!) {
        const clean = await runScenario(getScenario(name)!, { seed: 1, checkDeterminism: false });
        expect(clean.ok, `${name} without ${id}: ${clean.invariants.filter((i) => !i.ok).map((i) => i.detail).join("; ")}`).toBe(true);
      }
    }
    const r = await runMutants({ only: ids });
    for (const m of r.mutants) {
      expect(m.caught, m.id).toBe(true);
      expect(m.simulatorCaughtBy, m.id).toMatch(/^scenario: /);
    }
    expect(r.mutants.find((m) => m.id === "venue_reduce_only_no_clamp")!.simulatorCaughtBy).toMatch(/venue-conformance: .*reduce-only/);
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
