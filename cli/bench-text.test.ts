/**
 * `dita bench`'s human table (cli/bench.ts benchText): each figure says what it measured, so that a
 * reader can tell the 10-minute runs' end-to-end rate (JIT warm-up included) from the soak's.
 */
import { describe, expect, it } from "vitest";
import { benchText, type BenchResult } from "./bench.js";

function result(over: Partial<BenchResult>): BenchResult {
  return {
    host: { os: "Linux x64", cpuModel: "test cpu", cores: 2, nodeVersion: "v20.0.0", totalMemMb: 1024 },
    wasmSha256: null,
    budget: "full",
    wasmEventsPerSec: null,
    nativeEventsPerSec: null,
    ratio: null,
    kernelStream: null,
    simEventsPerSec: 28_770,
    simScenario: "random-clean",
    simSpeedup: null,
    soak: null,
    chaosRunsPerMin: null,
    chaos: null,
    rssGrowthMb: null,
    rss: null,
    rssCurve: [],
    simNoisePct: 12.2,
    unavailable: [],
    wallMs: 0,
    ...over,
  };
}

const simRow = (text: string) => text.split("\n").find((l) => l.includes("sim events/s (end to end)")) ?? "";

describe("benchText: the end-to-end sim row", () => {
  it("names the runs, their simulated length, their events, the warm-up run and the noise band", () => {
    const row = simRow(benchText(result({ simRuns: { runs: 10, warmupRuns: 1, meanEvents: 2210, simMinutes: 10 } })));
    expect(row).toContain("28,770");
    expect(row).toContain("random-clean: 10 runs of 10 min (2210 events each) after 1 warm-up run, JIT warm-up included");
    expect(row).toContain("±12.2%");
  });

  it("without the run details (an older result) still names the scenario and the noise band", () => {
    const row = simRow(benchText(result({})));
    expect(row).toContain("random-clean, ±12.2%");
    expect(row).not.toContain("warm-up");
  });
});
