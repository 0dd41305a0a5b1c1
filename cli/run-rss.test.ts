/**
 * The bench's peak-RSS figure of a long `dita run` (issue 12; cli/run-rss.ts): a short run of the
 * same kind must give the run's own memory figure, with the run thread's young-generation limit.
 */
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { getScenario } from "../scenarios/index.js";
import { RUN_RESOURCE_LIMITS } from "./heap-policy.js";
import { measureRunPeakRss } from "./run-rss.js";

describe("peak RSS of a dita run (bench runPeakRss, issue 12)", () => {
  it("runs dita run --file in a child process and reports its peak RSS, events and young-generation limit, leaving no temporary folder", async () => {
    const before = readdirSync(tmpdir()).filter((f) => f.startsWith("dita-run-rss-")).length;
    const sc = getScenario("random-clean")!;
    const r = await measureRunPeakRss(sc, 0.05);
    expect(r.scenario).toBe("random-clean-180s");
    expect(r.simHours).toBe(0.05);
    expect(r.ok).toBe(true);
    expect(r.events).toBeGreaterThan(500);
    expect(r.traceHash).toMatch(/^[0-9a-f]{64}$/);
    // More than a bare node process (~40 MB), far less than the machine.
    expect(r.peakRssMb).toBeGreaterThan(40);
    expect(r.peakRssMb).toBeLessThan(1000);
    expect(r.youngGenerationMb).toBe(RUN_RESOURCE_LIMITS.maxYoungGenerationSizeMb);
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith("dita-run-rss-")).length).toBe(before);
  });
});
