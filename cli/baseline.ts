/**
 * The gate baseline (cli/baseline.json, committed): budgets, tolerances, the golden values the
 * gate must reproduce exactly, and the benchmark figures as ratios against the native kernel
 * measured in the same run (so a faster or slower machine moves both sides together).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchResult } from "./bench.js";
import { UsageError } from "./errors.js";
import { REPO_ROOT } from "./modules.js";

/** Repository-relative path of the baseline. */
export const BASELINE_PATH = "cli/baseline.json";

/** Benchmark figures normalised by the native kernel's events/s of the same run. */
export interface NormalisedBench {
  /** wasmEventsPerSec / nativeEventsPerSec. */
  wasmPerNative: number;
  /** simEventsPerSec / nativeEventsPerSec. */
  simPerNative: number;
  /** simSpeedup / nativeEventsPerSec × 1e6 (soak speed-up per million native events/s). */
  soakPerNative: number;
  /** chaosRunsPerMin / nativeEventsPerSec × 1e6. */
  chaosPerNative: number;
}

export interface Baseline {
  note: string;
  tolerance: {
    /** A normalised figure may fall to (1 − perfRatio) × baseline before the gate says no-go. */
    perfRatio: number;
    /** RSS growth may exceed the baseline by rssGrowthRel × baseline + rssGrowthSlackMb. */
    rssGrowthRel: number;
    rssGrowthSlackMb: number;
  };
  budgets: { chaosSeeds: number; chaosFrom: number; scenarioSeed: number };
  bench: (NormalisedBench & { rssGrowthMb: number; recorded: { host: BenchResult["host"]; wasmSha256: string | null; raw: Partial<BenchResult> } }) | null;
  /** Golden case name → the exact `actual` outputs the gate must reproduce. */
  golden: Record<string, unknown>;
}

/** Defaults used when the baseline file has no value yet (documented in README "The gate"). */
export const DEFAULT_BASELINE: Baseline = {
  note: "Written by `dita gate --update-baseline`; review the diff before committing. Golden values compare exactly; bench figures are ratios against the native kernel of the same run.",
  tolerance: { perfRatio: 0.6, rssGrowthRel: 0.5, rssGrowthSlackMb: 16 },
  budgets: { chaosSeeds: 500, chaosFrom: 1, scenarioSeed: 1 },
  bench: null,
  golden: {},
};

/**
 * Load the baseline. @throws UsageError when the file exists but is not valid JSON or lacks a
 * section (naming it); returns undefined when there is no file.
 */
export function loadBaseline(path = join(REPO_ROOT, BASELINE_PATH)): Baseline | undefined {
  if (!existsSync(path)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new UsageError(`${BASELINE_PATH}: not valid JSON: ${(e as Error).message}`);
  }
  const b = raw as Partial<Baseline>;
  for (const key of ["tolerance", "budgets", "golden"] as const) {
    if (typeof b[key] !== "object" || b[key] === null) throw new UsageError(`${BASELINE_PATH}: field ${key} missing or not an object`);
  }
  return { ...DEFAULT_BASELINE, ...b } as Baseline;
}

/** Write the baseline (stable key order, trailing newline). */
export function saveBaseline(b: Baseline, path = join(REPO_ROOT, BASELINE_PATH)): void {
  writeFileSync(path, JSON.stringify(b, null, 2) + "\n");
}

/** Normalise a bench result by its own native events/s; undefined when a figure is missing. */
export function normalise(r: BenchResult): NormalisedBench | undefined {
  const n = r.nativeEventsPerSec;
  if (!n || r.wasmEventsPerSec === null || r.simEventsPerSec === null || r.simSpeedup === null || r.chaosRunsPerMin === null) return undefined;
  return {
    wasmPerNative: r.wasmEventsPerSec / n,
    simPerNative: r.simEventsPerSec / n,
    soakPerNative: (r.simSpeedup / n) * 1e6,
    chaosPerNative: (r.chaosRunsPerMin / n) * 1e6,
  };
}

/** Canonical JSON (object keys sorted) for exact comparison of golden values. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/** Up to `max` paths where `a` and `b` differ, as "path: expected X, got Y". */
export function diffPaths(a: unknown, b: unknown, path = "", max = 5, out: string[] = []): string[] {
  if (out.length >= max) return out;
  if (canonicalJson(a) === canonicalJson(b)) return out;
  const isObj = (x: unknown) => x !== null && typeof x === "object";
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])].sort();
    for (const k of keys) diffPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k, max, out);
    return out;
  }
  const show = (x: unknown) => (x === undefined ? "(absent)" : JSON.stringify(x).slice(0, 80));
  out.push(`${path || "(root)"}: expected ${show(a)}, got ${show(b)}`);
  return out;
}
