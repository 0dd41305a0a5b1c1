/**
 * Runner of the behaviour-case table kernel/cases/*.json through the WebAssembly binding.
 * The same table runs natively in kernel/tests/cases.rs; step semantics: kernel/README.md "Cases".
 */
import { readFileSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { Kernel, KernelModule } from "./index.js";
import type { KernelConfig } from "./types.js";

export const CASES_DIR = join(dirname(fileURLToPath(import.meta.url)), "cases");

export interface CaseFile {
  name: string;
  flaws: string[];
  description: string;
  config?: KernelConfig;
  steps: Step[];
}
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Step {
  call: string;
  input?: Json;
  /** Subset to match (see {@link subset}); an explicit null means the call returns null / nothing. */
  expect?: { [k: string]: Json } | null;
  set?: [string, Json][];
  count?: number;
  steps?: Step[];
}

export const DEFAULT_CONFIG: KernelConfig = {
  slotCount: 4,
  initialCapitalUsdt: "10000",
  instruments: [
    { symbol: "FET-USDT", tickSize: "0.0001", stepSize: "1" },
    { symbol: "BTC-USDT", tickSize: "0.1", stepSize: "0.001", minQty: "0.001" },
  ],
};

/** All case files, sorted by file name. */
export function loadCases(): CaseFile[] {
  return readdirSync(CASES_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(CASES_DIR, f), "utf8")) as CaseFile);
}

/** Subset match: every key of `expected` must match; null = absent; arrays match element-wise, same length. */
export function subset(expected: Json, actual: unknown, path = ""): string | null {
  if (expected === null) return actual === undefined || actual === null ? null : `${path}: expected absent/null, got ${JSON.stringify(actual)}`;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected an array, got ${JSON.stringify(actual)}`;
    if (actual.length !== expected.length) return `${path}: expected ${expected.length} elements, got ${actual.length}: ${JSON.stringify(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const e = subset(expected[i]!, actual[i], `${path}[${i}]`);
      if (e) return e;
    }
    return null;
  }
  if (typeof expected === "object") {
    if (typeof actual !== "object" || actual === null || Array.isArray(actual)) return `${path}: expected an object, got ${JSON.stringify(actual)}`;
    for (const [k, v] of Object.entries(expected)) {
      if (k.startsWith("$")) continue;
      const e = subset(v, (actual as Record<string, unknown>)[k], `${path}.${k}`);
      if (e) return e;
    }
    return null;
  }
  return expected === actual ? null : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

function substitute(v: Json, i: number): Json {
  if (typeof v === "string") return v.split("{i}").join(String(i));
  if (Array.isArray(v)) return v.map((x) => substitute(x, i));
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, i)]));
  return v;
}

function pointerSet(root: Json, ptr: string, val: Json): void {
  const parts = ptr.split("/").slice(1);
  let cur: Json = root;
  for (const p of parts.slice(0, -1)) cur = (cur as Record<string, Json>)[p]!;
  (cur as Record<string, Json>)[parts[parts.length - 1]!] = val;
}

function normalizedSnapshot(k: Kernel): unknown {
  const s = k.snapshot();
  for (const sl of s.slots) {
    if (sl.stage === "STALE_STATE_RECONCILING") {
      sl.stage = sl.resumeStage!;
      delete sl.resumeStage;
    }
  }
  return s;
}

/** Run one case; returns null on success or a message naming the failing step. */
export function runCase(mod: KernelModule, c: CaseFile): string | null {
  const config = c.config ?? DEFAULT_CONFIG;
  let k = mod.create(config);
  const run = (step: Step, n: number): string | null => {
    if (step.call === "repeat") {
      for (let i = 1; i <= (step.count ?? 0); i++) {
        for (const s of step.steps ?? []) {
          const e = run(substitute(s as unknown as Json, i) as unknown as Step, n);
          if (e) return e;
        }
      }
      return null;
    }
    // No "expect": only has to run and return something; an explicit null: must return null.
    const expect: Json = step.expect === undefined ? {} : step.expect;
    const before = expect !== null && typeof expect === "object" && !Array.isArray(expect) && expect["$unchanged"] === true ? JSON.stringify(k.snapshot()) : null;
    let actual: unknown;
    const input = step.input as never;
    switch (step.call) {
      case "processIntent": actual = k.processIntent(input); break;
      case "onVenueEvent": actual = k.onVenueEvent(input); break;
      case "markPrice": actual = k.markPrice(input); break;
      case "onAccountEvent": actual = k.onAccountEvent(input); break;
      case "anchorToExchange": {
        const a = step.input as { walletBalanceUsdt?: string; availableMarginUsdt?: string; eventSeq: number };
        actual = k.anchorToExchange(a.walletBalanceUsdt, a.availableMarginUsdt, a.eventSeq);
        break;
      }
      case "reconcile": actual = k.reconcile(input); break;
      case "restoreState": actual = k.restoreState(step.input as string); break;
      case "slot": actual = k.slot(step.input as number); break;
      case "ledger": actual = k.ledger(); break;
      case "trades": actual = k.trades(); break;
      case "snapshot": actual = k.snapshot(); break;
      case "tradeRealized": actual = k.tradeRealized(step.input as string) ?? null; break;
      case "saveRestore": {
        const pre = JSON.stringify(normalizedSnapshot(k));
        const saved = k.saveState();
        const fresh = mod.create(config);
        actual = fresh.restoreState(saved);
        k.dispose();
        k = fresh;
        const post = JSON.stringify(normalizedSnapshot(k));
        if (pre !== post) return `step ${n} saveRestore changed the state:\n before ${pre}\n after  ${post}`;
        break;
      }
      case "restoreTampered": {
        const st = JSON.parse(k.saveState()) as Json;
        for (const [p, v] of step.set ?? []) pointerSet(st, p, v);
        const pre = JSON.stringify(k.snapshot());
        const fresh = mod.create(config);
        actual = fresh.restoreState(JSON.stringify(st));
        fresh.dispose();
        if (JSON.stringify(k.snapshot()) !== pre) return `step ${n} restoreTampered changed the current kernel`;
        break;
      }
      default:
        return `step ${n}: unknown call ${step.call}`;
    }
    const err = subset(expect, actual);
    if (err) return `step ${n} ${step.call}${err}\n  actual: ${JSON.stringify(actual)}`;
    if (before !== null && JSON.stringify(k.snapshot()) !== before) return `step ${n} ${step.call}: state changed although $unchanged`;
    return null;
  };
  try {
    for (let n = 0; n < c.steps.length; n++) {
      const e = run(c.steps[n]!, n);
      if (e) return e;
    }
    return null;
  } finally {
    k.dispose();
  }
}
