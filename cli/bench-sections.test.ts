/**
 * `dita bench` runs its sections in turn (cli/bench.ts BenchSections): a section that fails leaves
 * its figure null and is listed in `unavailable` with the reason, never dropped and never zero,
 * and the next section still runs; each timed section's wall time goes to `sectionMs`.
 */
import { describe, expect, it } from "vitest";
import { BenchSections, emptyBenchResult } from "./bench.js";

describe("BenchSections", () => {
  it("a failing section is listed with its reason, its figure stays null, and the next section runs", async () => {
    const run = new BenchSections(emptyBenchResult("quick"));
    await run.section("simEventsPerSec", "sim", () => {
      throw new Error("no random-driver scenario in scenarios/ to benchmark");
    });
    await run.section("simSpeedup", "soak", async () => {
      run.res.simSpeedup = 1234;
    });
    expect(run.res.simEventsPerSec).toBeNull();
    expect(run.res.unavailable).toEqual([{ figure: "simEventsPerSec", reason: "no random-driver scenario in scenarios/ to benchmark" }]);
    expect(run.res.simSpeedup).toBe(1234);
    expect(Object.keys(run.res.sectionMs ?? {})).toEqual(["sim", "soak"]);
    for (const ms of Object.values(run.res.sectionMs ?? {})) expect(ms).toBeGreaterThanOrEqual(0);
  });

  it("a thrown non-Error value is still listed, as its text", async () => {
    const run = new BenchSections(emptyBenchResult("quick"));
    await run.section("rssGrowthMb", "rss", () => {
      throw "probe exited 137";
    });
    expect(run.res.unavailable).toEqual([{ figure: "rssGrowthMb", reason: "probe exited 137" }]);
  });

  it("a section without a part name is not timed apart", async () => {
    const run = new BenchSections(emptyBenchResult("full"));
    await run.section("wasmSha256", undefined, () => {
      run.res.wasmSha256 = "ab";
    });
    expect(run.res.sectionMs).toEqual({});
    expect(run.res.wasmSha256).toBe("ab");
  });
});
