/**
 * The golden replay runner: loads golden/cases/*.json, replays each through the WASM kernel
 * (kernel/index.ts loadKernel), compares the outputs exactly with the expected section and, with
 * `update`, re-blesses: prints the diff first, then writes the actual outputs into the case files.
 *
 * Used by golden/golden.test.ts (vitest) and by `dita golden [--update]` (cli/).
 * Source: issue 3 "golden/", docs/accounting.md §7.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, basename } from "node:path";
import { fileURLToPath } from "node:url";
import { loadKernel, type KernelModule } from "../kernel/index.js";
import { decimalEquals, diffValues, formatDifferences, type Difference } from "./compare.js";
import { bingxWsNormaliser } from "./bingx-ws.js";
import { optionsFor, replayCase } from "./replay.js";
import { GoldenCaseError, validateGoldenCase, type GoldenCase, type GoldenExpected } from "./schema.js";

/** Default case directory: golden/cases beside this file. */
export const DEFAULT_CASES_DIR = join(dirname(fileURLToPath(import.meta.url)), "cases");

/** The result of one case. */
export interface GoldenCaseResult {
  name: string;
  ok: boolean;
  expected: GoldenExpected;
  actual: GoldenExpected;
  /** Readable diff lines (expected vs actual, mustNotBook violations, adapter problems); absent when ok. */
  diff?: string;
  /** True when `update` rewrote this case's expected section. */
  updated?: boolean;
}

/** The result of a golden run. */
export interface GoldenRunResult {
  ok: boolean;
  cases: GoldenCaseResult[];
  /** All diffs of failing cases, as printed before an update; "" when every case passes. */
  diffText: string;
}

export interface RunGoldenOptions {
  /** Re-bless: write the actual outputs into each differing case file (after printing its diff). */
  update?: boolean;
  /** Directory of *.json cases (default golden/cases). */
  casesDir?: string;
  /** Path of the kernel .wasm (default: the binding's default, kernel/pkg/dita_kernel.wasm). */
  wasmPath?: string;
  /** Where the diff is printed before an update (default: process.stdout). */
  print?: (text: string) => void;
  /** An already loaded kernel module (tests reuse one). */
  kernelModule?: KernelModule;
}

/**
 * Load and validate every case of `dir`, sorted by file name.
 * @throws GoldenCaseError naming the file and the bad field; Error when the name does not match the file.
 */
export function loadCases(dir: string = DEFAULT_CASES_DIR): { file: string; case: GoldenCase }[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort();
  return files.map((f) => {
    const file = join(dir, f);
    const c = loadCaseFile(file);
    return { file, case: c };
  });
}

/**
 * Load and validate one case file.
 * @throws GoldenCaseError (bad field) or Error (unreadable / not JSON / name ≠ file stem).
 */
export function loadCaseFile(file: string): GoldenCase {
  const text = readFileSync(file, "utf8");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`golden case ${file}: not valid JSON: ${(e as Error).message}`);
  }
  const c = validateGoldenCase(raw, file);
  const stem = basename(file, ".json");
  if (c.name !== stem) throw new Error(`golden case ${file}: field name: ${JSON.stringify(c.name)} must equal the file stem ${JSON.stringify(stem)}`);
  return c;
}

/**
 * Compare one case's actual outputs with its expectations, including the mustNotBook guards.
 * Returns the difference lines (empty = pass).
 */
export function judgeCase(c: GoldenCase, actual: GoldenExpected, problems: string[] = []): string[] {
  const lines: string[] = [];
  const diffs: Difference[] = diffValues(c.expected, actual);
  if (diffs.length > 0) lines.push(formatDifferences(diffs));
  for (const m of c.mustNotBook ?? []) {
    const t = actual.trades.find((x) => x.tradeId === m.tradeId);
    if (t === undefined) {
      lines.push(`  mustNotBook: trade ${m.tradeId} not found`);
      continue;
    }
    const booked = m.legIndex === undefined ? t.realizedGrossUsdt : t.legs.find((l) => l.legIndex === m.legIndex)?.realizedPnlUsdt;
    if (booked === undefined) lines.push(`  mustNotBook: trade ${m.tradeId} has no leg ${m.legIndex}`);
    else if (decimalEquals(booked, m.realizedPnlUsdt))
      lines.push(`  mustNotBook: trade ${m.tradeId}${m.legIndex === undefined ? "" : ` leg ${m.legIndex}`} booked ${booked} (${m.why})`);
  }
  for (const p of problems) lines.push(`  ${p}`);
  return lines;
}

/**
 * Run every golden case through the WASM kernel.
 * With `update`, each differing case's diff is printed first, then its expected section is
 * replaced by the actual outputs (mustNotBook / mutantExpectation are never rewritten: a
 * mustNotBook violation keeps the case failing).
 * @throws GoldenCaseError for a malformed case (nothing is run or written then).
 */
export async function runGolden(opts: RunGoldenOptions = {}): Promise<GoldenRunResult> {
  const cases = loadCases(opts.casesDir ?? DEFAULT_CASES_DIR);
  const mod = opts.kernelModule ?? (await loadKernel(opts.wasmPath === undefined ? undefined : { wasmPath: opts.wasmPath }));
  const ws = bingxWsNormaliser();
  const print = opts.print ?? ((t: string) => process.stdout.write(t));
  const results: GoldenCaseResult[] = [];
  const diffBlocks: string[] = [];
  for (const { file, case: c } of cases) {
    const { actual, problems } = replayCase(mod, c, optionsFor(c, ws));
    const lines = judgeCase(c, actual, problems);
    const ok = lines.length === 0;
    const r: GoldenCaseResult = { name: c.name, ok, expected: c.expected, actual };
    if (!ok) {
      r.diff = `case ${c.name}:\n${lines.join("\n")}`;
      diffBlocks.push(r.diff);
    }
    if (opts.update && !ok) {
      print(`${r.diff}\n`);
      const valueDiffs = diffValues(c.expected, actual);
      const blessed: GoldenCase = { ...c, expected: actual };
      const invalid = valueDiffs.length > 0 ? schemaProblem(blessed, file) : undefined;
      if (invalid !== undefined) {
        // The actual outputs are not a valid expectation (e.g. a non-decimal figure): never write them.
        print(`NOT re-blessed ${file}: the actual outputs do not form a valid case: ${invalid}\n`);
      } else if (valueDiffs.length > 0) {
        writeFileSync(file, `${JSON.stringify(blessed, null, 2)}\n`);
        r.updated = true;
        print(`re-blessed ${file}\n`);
        // The value diff is gone; what remains (mustNotBook, adapter mismatch) still fails.
        r.ok = judgeCase(blessed, actual, problems).length === 0;
      }
    }
    results.push(r);
  }
  return { ok: results.every((r) => r.ok), cases: results, diffText: diffBlocks.join("\n") };
}

/** The validator's message for `c`, or undefined when it is a valid case. Other errors propagate. */
function schemaProblem(c: GoldenCase, file: string): string | undefined {
  try {
    validateGoldenCase(JSON.parse(JSON.stringify(c)), file);
    return undefined;
  } catch (e) {
    if (e instanceof GoldenCaseError) return e.message;
    throw e;
  }
}

/**
 * The golden table (markdown): case, the headline expected figures and the actual ones
 * (per trade: realized gross / fees / net / pnlSource / flags; final capital and its source).
 */
export function goldenTable(result: GoldenRunResult): string {
  const headline = (e: GoldenExpected): string => {
    const trades = e.trades.map(
      (t) =>
        `${t.tradeId}: gross ${t.realizedGrossUsdt}, fees ${t.feesUsdt}, net ${t.realizedNetUsdt}, ${t.pnlSource}` +
        (t.flags.length ? ` [${t.flags.join(",")}]` : ""),
    );
    const fin = e.checkpoints.final?.ledger;
    if (fin) trades.push(`capital ${fin.capitalUsdt} (${fin.capitalSource})`);
    return trades.join("; ");
  };
  const rows = result.cases.map((c) => `| ${c.name} | ${headline(c.expected)} | ${headline(c.actual)} | ${c.ok ? "pass" : "FAIL"} |`);
  return ["| case | expected | actual | result |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/** What a flaw mutant booked on the case's mutantExpectation hook (see golden/README.md). */
export interface MutantReproduction {
  case: string;
  mutants: string[];
  expectedLeg1RealizedUsdt: string;
  /** Leg 0 realized of the case's first trade (by tradeId) under `mod`; undefined if absent. */
  actualLeg1RealizedUsdt: string | undefined;
  /** True when the module books exactly the expected figure (the mutant is reproduced). */
  reproduced: boolean;
}

/**
 * Replay a case carrying `mutantExpectation` through `mod` (e.g. a mutant artifact loaded with
 * `loadKernel({ wasmPath })`) and report whether leg 0 of its first trade books the incident figure.
 * For the mutant suite: the mutant is caught by the golden iff the case fails under it, and the
 * mutant is faithful iff `reproduced` is true.
 * @throws Error when the case has no mutantExpectation.
 */
export function mutantReproduction(mod: KernelModule, c: GoldenCase): MutantReproduction {
  const m = c.mutantExpectation;
  if (m === undefined) throw new Error(`golden case ${c.name}: field mutantExpectation: missing`);
  const { actual } = replayCase(mod, c, optionsFor(c, bingxWsNormaliser()));
  const leg = actual.trades[0]?.legs.find((l) => l.legIndex === 0);
  const got = leg?.realizedPnlUsdt;
  return {
    case: c.name,
    mutants: m.mutants,
    expectedLeg1RealizedUsdt: m.leg1RealizedUsdt,
    actualLeg1RealizedUsdt: got,
    reproduced: got !== undefined && decimalEquals(got, m.leg1RealizedUsdt),
  };
}
