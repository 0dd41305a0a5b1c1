/**
 * `--jobs N` (issue 12): chaos output is the same document whatever N is. Seeds run on worker
 * threads (sim/pool.ts) finish in any order; the result must list them in seed order. The range
 * uses a chaos scenario whose expectation fails on every seed (capital can never be 1 USDT), so
 * every seed contributes a failure with seed-specific detail and any reordering would show.
 */
import { describe, expect, it } from "vitest";
import type { Scenario } from "../sim/types.js";
import { chaosCommand } from "../cli/commands.js";
import { CHAOS_SCENARIO, runChaos } from "./chaos.js";
import { getScenario } from "./index.js";
import { checkJobs, defaultJobs, runPool } from "../sim/pool.js";

function failingChaos(): Scenario {
  const s = getScenario(CHAOS_SCENARIO)!;
  return { ...s, durationUs: 120_000_000, expect: { ...(s.expect ?? {}), ledger: { capitalUsdt: "1" } } };
}

describe("--jobs N gives byte-identical chaos output", () => {
  it("runChaos --jobs 1 and --jobs 2 on seeds 1-6 (every seed failing) give the same JSON, in seed order", async () => {
    const scenario = failingChaos();
    const one = await runChaos({ seeds: 6, from: 1, jobs: 1, scenario, determinismEvery: 3 });
    const two = await runChaos({ seeds: 6, from: 1, jobs: 2, scenario, determinismEvery: 3 });
    expect(one.failedSeeds).toEqual([1, 2, 3, 4, 5, 6]);
    expect(one.determinismChecked).toBe(2);
    expect(JSON.stringify(two)).toBe(JSON.stringify(one));
  });

  it("dita chaos --json: the document is identical for --jobs 1 and --jobs 2 (no wall time in it)", async () => {
    const a = await chaosCommand({ seeds: 3, from: 40, jobs: 1 });
    const b = await chaosCommand({ seeds: 3, from: 40, jobs: 2 });
    expect(JSON.stringify(b.doc)).toBe(JSON.stringify(a.doc));
    expect(a.doc).not.toHaveProperty("wallMs");
  });

  it("the pool returns results in task order, rejects a throwing task naming its index, and refuses a bad jobs value", async () => {
    const mod = new URL("./jobs-fixture.ts", import.meta.url).pathname;
    const tasks = [30, 5, 20, 1];
    expect(await runPool<number, number>({ module: mod, fn: "slowDouble", tasks, jobs: 3 })).toEqual([60, 10, 40, 2]);
    expect(await runPool<number, number>({ module: mod, fn: "slowDouble", tasks, jobs: 3, bundle: true })).toEqual([60, 10, 40, 2]);
    await expect(runPool<number, number>({ module: mod, fn: "slowDouble", tasks: [1, -1, 2], jobs: 2 })).rejects.toThrow(/pool task 1: .*negative input -1/s);
    expect(() => checkJobs(0)).toThrow(/jobs: must be a positive integer, got 0/);
    // Workers run a JavaScript bundle of the module (sim/pool-bundle.ts); its source map names the .ts file.
    await expect(runPool<number, number>({ module: mod, fn: "slowDouble", tasks: [1, -2], jobs: 2, bundle: true })).rejects.toThrow(/at slowDouble \(.*scenarios\/jobs-fixture\.ts:\d+:\d+\)/);
    expect(defaultJobs()).toBeGreaterThanOrEqual(1);
  });

  it("isolate runs even one task on a worker thread with the given young generation; limits without isolate are refused (dita run, cli/heap-policy.ts)", async () => {
    const mod = new URL("./jobs-fixture.ts", import.meta.url).pathname;
    const limited = await runPool<number, { isMainThread: boolean; maxYoungGenerationSizeMb?: number }>({ module: mod, fn: "threadLimits", tasks: [0], jobs: 1, bundle: true, isolate: true, resourceLimits: { maxYoungGenerationSizeMb: 24 } });
    expect(limited).toEqual([{ isMainThread: false, maxYoungGenerationSizeMb: 24 }]);
    const inThread = await runPool<number, { isMainThread: boolean }>({ module: mod, fn: "threadLimits", tasks: [0], jobs: 1 });
    expect(inThread[0].isMainThread).toBe(true);
    await expect(runPool({ module: mod, fn: "threadLimits", tasks: [0], jobs: 2, resourceLimits: { maxYoungGenerationSizeMb: 24 } })).rejects.toThrow(/resourceLimits need isolate: true/);
  });
});
