/**
 * The bench's chaos figure (cli/bench.ts ChaosTimer, chaosFigureParts): `steadyRunsPerMin` is the rate
 * over the second half of the seeds, so the JIT's warm-up of the first seeds stays out of it
 * (issue 12 speed figures: 400 seeds ran at 1,305–1,333/min while a 10,000-seed sweep ran at 1,613/min).
 */
import { describe, expect, it } from "vitest";
import { ChaosTimer, chaosFigureParts } from "./bench.js";

describe("bench chaos figure (issue 12: chaos seed-runs/min)", () => {
  it("ChaosTimer marks start-up when every worker is ready and half-way at ceil(total / 2) seeds done", () => {
    const t = new ChaosTimer();
    t.onReady(1, 2);
    expect(t.startupMs).toBeUndefined();
    t.onReady(2, 2);
    expect(t.startupMs).toBeGreaterThanOrEqual(0);
    for (const done of [1, 2, 3, 4]) t.onProgress(done, 9);
    expect(t.halfMs).toBeUndefined();
    t.onProgress(5, 9);
    const half = t.halfMs;
    expect(half).toBeGreaterThanOrEqual(t.startupMs ?? Infinity);
    expect(t.halfSeeds).toBe(5);
    t.onProgress(6, 9);
    expect(t.halfMs).toBe(half); // the first crossing is kept
  });

  it("steadyRunsPerMin counts only the second half: (seeds − halfSeeds) / (wallMs − halfMs)", () => {
    // 400 seeds in 18 s, start-up 0.2 s, half done at 10 s: the second 200 seeds took 8 s.
    const f = chaosFigureParts(400, 18_000, { startupMs: 200, halfMs: 10_000, halfSeeds: 200 }, "x");
    expect(f.startupMs).toBe(200);
    expect(f.halfMs).toBe(10_000);
    expect(f.steadyRunsPerMin).toBe(1500);
    expect(f.description).toContain("second half");
  });

  it("gives no steady rate when the half-way mark is missing or covers every seed", () => {
    expect(chaosFigureParts(400, 18_000, { startupMs: 200 }, "x").steadyRunsPerMin).toBeUndefined();
    expect(chaosFigureParts(1, 500, { startupMs: 200, halfMs: 500, halfSeeds: 1 }, "x").steadyRunsPerMin).toBeUndefined();
  });
});
