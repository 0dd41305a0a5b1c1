import { describe, expect, it } from "vitest";
import { canonicalJson, DEFAULT_BASELINE, diffPaths, normalise, type Baseline } from "./baseline.js";
import type { BenchResult } from "./bench.js";
import { compareBench } from "./gate.js";

const bench = (over: Partial<BenchResult> = {}): BenchResult => ({
  host: { os: "linux", cpuModel: "x", cores: 2, nodeVersion: "v20" },
  wasmSha256: "ab",
  budget: "quick",
  wasmEventsPerSec: 400_000,
  nativeEventsPerSec: 1_000_000,
  ratio: 0.4,
  kernelStream: { events: 1000, description: "s", wasmBand: [1, 2], nativeBand: [1, 2] },
  simEventsPerSec: 50_000,
  simScenario: "random-clean",
  simSpeedup: 2000,
  soak: null,
  chaosRunsPerMin: 60,
  chaos: null,
  rssGrowthMb: 10,
  rss: null,
  rssCurve: [],
  simNoisePct: 2,
  unavailable: [],
  wallMs: 1,
  ...over,
});

const baselineFrom = (b: BenchResult): Baseline => ({
  ...DEFAULT_BASELINE,
  bench: { ...normalise(b)!, rssGrowthMb: b.rssGrowthMb!, recorded: { host: b.host, wasmSha256: b.wasmSha256, raw: {} } },
});

describe("gate bench comparison (figures as ratios against the native kernel of the same run)", () => {
  it("a uniformly slower machine (native and WASM both halved) is still within tolerance", () => {
    const base = baselineFrom(bench());
    const slow = bench({ wasmEventsPerSec: 200_000, nativeEventsPerSec: 500_000, simEventsPerSec: 25_000, simSpeedup: 1000, chaosRunsPerMin: 30 });
    const s = compareBench(slow, base);
    expect(s.reasons).toEqual(["all figures within tolerance (each ≥ 40% of the native-normalised baseline)"]);
    expect(s.ok).toBe(true);
  });
  it("a WASM-only regression beyond the tolerance is NO-GO naming the figure", () => {
    const s = compareBench(bench({ wasmEventsPerSec: 150_000 }), baselineFrom(bench()));
    expect(s.ok).toBe(false);
    expect(s.reasons.join("\n")).toMatch(/wasmPerNative = 0\.15 is below 0\.16/);
  });
  it("RSS growth beyond (1 + rel) × baseline + slack is NO-GO", () => {
    const s = compareBench(bench({ rssGrowthMb: 10 * 1.5 + 16 + 1 }), baselineFrom(bench()));
    expect(s.ok).toBe(false);
    expect(s.reasons.join("\n")).toMatch(/RSS growth 32 MB exceeds 31 MB/);
  });
  it("a missing figure or a missing baseline is NO-GO, never a silent pass", () => {
    const s = compareBench(bench({ nativeEventsPerSec: null, unavailable: [{ figure: "nativeEventsPerSec", reason: "binary missing" }] }), baselineFrom(bench()));
    expect(s.ok).toBe(false);
    expect(s.reasons).toContain("nativeEventsPerSec not measured: binary missing");
    expect(compareBench(bench(), undefined).ok).toBe(false);
  });
});

describe("golden comparison helpers", () => {
  it("canonicalJson ignores key order, keeps decimal strings exact", () => {
    expect(canonicalJson({ b: "1.10", a: [1, { y: 2, x: 1 }] })).toBe('{"a":[1,{"x":1,"y":2}],"b":"1.10"}');
    expect(canonicalJson({ a: "164.0" })).not.toBe(canonicalJson({ a: "164.00" }));
  });
  it("diffPaths names the differing paths", () => {
    expect(diffPaths({ leg1: { realizedUsdt: "164.0000" }, n: 1 }, { leg1: { realizedUsdt: "3214.4652" }, n: 1 })).toEqual([
      'leg1.realizedUsdt: expected "164.0000", got "3214.4652"',
    ]);
    expect(diffPaths({ a: 1 }, { a: 1 })).toEqual([]);
  });
});
