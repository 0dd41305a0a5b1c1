/**
 * The scenario library and its validator (scenarios/index.ts, scenarios/validate.ts):
 * every built-in scenario validates, names are unique and carry their flaw IDs, the JSON example
 * loads through `loadScenarioFile`, and bad input is refused with a ScenarioError naming the
 * field and the value (Q2: unknown fields are never silently ignored).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ScenarioError, getScenario, listScenarios, loadScenarioFile, validateScenario } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "dita-scn-"));
function writeJson(name: string, value: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof value === "string" ? value : JSON.stringify(value));
  return p;
}
function base(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(getScenario("gamut-exit"))) as Record<string, unknown>;
}
function expectError(value: unknown, field: string, valueText?: string): void {
  let caught: unknown;
  try {
    validateScenario(value);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ScenarioError);
  const e = caught as ScenarioError;
  expect(e.field).toBe(field);
  expect(e.message).toContain(field);
  if (valueText !== undefined) expect(e.message).toContain(valueText);
}

describe("scenario library", () => {
  it("lists every scenario, each valid and uniquely named", () => {
    const all = listScenarios();
    expect(all.length).toBeGreaterThanOrEqual(50);
    expect(new Set(all.map((s) => s.name)).size).toBe(all.length);
    for (const s of all) expect(validateScenario(JSON.parse(JSON.stringify(s))).name).toBe(s.name);
  });

  it("has the lifecycle gamut of docs/architecture.md §Kernel reference 12, including a restart in every stage", () => {
    const names = listScenarios().map((s) => s.name);
    for (const n of ["gamut-entry", "gamut-exit", "gamut-partial-exit", "gamut-multi-leg-tp", "gamut-hung-order", "gamut-cancel-reject", "gamut-non-close", "gamut-reentry-after-close", "gamut-rate-limited-entry"]) {
      expect(names).toContain(n);
    }
    for (const stage of ["idle", "order-requested", "entry-working", "position-open", "exit-requested", "exit-working", "closed", "stale-state-reconciling"]) {
      expect(names).toContain(`gamut-restart-in-${stage}`);
    }
  });

  it("names flaw scenarios with the flaw ID they target, and every one states an expectation", () => {
    for (const s of listScenarios().filter((x) => x.tags?.includes("flaw"))) {
      expect(s.flaws?.length, s.name).toBeGreaterThan(0);
      const e = s.expect ?? {};
      expect(Boolean(e.finalStages || e.diagnostics || e.trades || e.ledger), `${s.name} states a specific outcome`).toBe(true);
    }
  });

  it("registers the swarm scenario 'chaos' (fault mix drawn from the seed)", () => {
    const c = getScenario("chaos");
    expect(c?.swarm).toBe(true);
    expect(c?.driver.kind).toBe("random");
  });

  it("returns copies: mutating a returned scenario does not change the library", () => {
    const a = getScenario("gamut-exit")!;
    a.durationUs = 1;
    expect(getScenario("gamut-exit")!.durationUs).not.toBe(1);
    expect(getScenario("no-such-scenario")).toBeUndefined();
  });
});

describe("loadScenarioFile", () => {
  it("loads the JSON example (same schema as dita run --file)", () => {
    const s = loadScenarioFile(new URL("./library/json/fet-round-trip.json", import.meta.url).pathname);
    expect(s.name).toBe("fet-round-trip-file");
    expect({ ...s, name: "gamut-exit" }).toEqual(getScenario("gamut-exit"));
  });

  it("names the file when it is missing or not JSON", () => {
    expect(() => loadScenarioFile(join(dir, "missing.json"))).toThrow(/\(file\).*cannot read/);
    expect(() => loadScenarioFile(writeJson("broken.json", "{\"name\": "))).toThrow(/\(file\).*not valid JSON/);
  });

  it("rejects an unknown top-level field, naming it", () => {
    expect(() => loadScenarioFile(writeJson("unk.json", { ...base(), leverag: 3 }))).toThrow(ScenarioError);
    expectError({ ...base(), leverag: 3 }, "leverag", "3");
  });

  it("rejects unknown and mistyped nested fields with their path and value", () => {
    const b1 = base();
    (b1.faults as Record<string, unknown> | undefined) ?? (b1.faults = {});
    (b1.faults as Record<string, unknown>).wsLos = 0.1;
    expectError(b1, "faults.wsLos", "0.1");

    const b2 = base();
    ((b2.driver as { intents: { intent: Record<string, unknown> }[] }).intents[0].intent).qty = "1";
    expectError(b2, "driver.intents[0].intent.qty", "\"1\"");

    const b3 = base();
    ((b3.driver as { intents: { atUs: unknown }[] }).intents[1]).atUs = "soon";
    expectError(b3, "driver.intents[1].atUs", "\"soon\"");

    const b4 = base();
    b4.initialBalanceUsdt = "1e5";
    expectError(b4, "initialBalanceUsdt", "1e5");

    const b5 = base();
    (b5.expect as Record<string, unknown>).finalStages = { "0": "OPEN" };
    expectError(b5, "expect.finalStages.0", "OPEN");

    const b6 = base();
    (b6.expect as Record<string, unknown>).diagnostics = ["NO_ACTIVE_EXIT_ORDER"];
    expectError(b6, "expect.diagnostics[0]", "NO_ACTIVE_EXIT_ORDER");

    const b7 = base();
    b7.faults = { wsDuplicate: 1.5 };
    expectError(b7, "faults.wsDuplicate", "1.5");

    const b8 = base();
    b8.faults = { restartOnStage: [{ slotId: 0, stage: "OPEN" }] };
    expectError(b8, "faults.restartOnStage[0].stage", "OPEN");

    const b8b = base();
    b8b.faults = { listenKeyExpiryAtUs: [1.5] };
    expectError(b8b, "faults.listenKeyExpiryAtUs[0]", "1.5");

    const b9 = base();
    (b9.prices as { symbol: string }[])[0].symbol = "XRP-USDT";
    expectError(b9, "prices[0].symbol", "XRP-USDT");

    const b10 = base();
    (b10.expect as Record<string, unknown>).ledger = { capital: "1" };
    expectError(b10, "expect.ledger.capital", "capital");

    const b11 = base();
    b11.name = "Has Spaces";
    expectError(b11, "name", "Has Spaces");
  });

  it("rejects a non-object and missing required fields", () => {
    expectError(null, "(scenario)");
    expectError([], "(scenario)");
    const b = base();
    delete b.contracts;
    expectError(b, "contracts");
  });

  it("does not modify the input it validates", () => {
    const b = base();
    const before = JSON.stringify(b);
    validateScenario(b);
    expect(JSON.stringify(b)).toBe(before);
  });
});
