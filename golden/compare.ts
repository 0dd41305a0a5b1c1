/**
 * Exact comparison of golden expectations with kernel outputs, and a readable diff.
 *
 * Decimal figures (every key ending in "Usdt", plus entryVwap, exitVwap, quantity, exitedQty) are
 * compared by exact value with decimal.js at 60 significant digits: "242.7312" equals "242.73120",
 * "242.7312" does not equal "242.73120001". Flags are compared as sets. Everything else is
 * compared by strict equality. Source: issue 3 "values as decimal strings, compared exactly".
 */
import { Dec } from "../sim/num.js";
import { DECIMAL_TEXT as DECIMAL_RE } from "../sim/field-check.js";

const EXTRA_DECIMAL_KEYS = new Set(["entryVwap", "exitVwap", "quantity", "exitedQty"]);

/** True when `key` names a decimal figure compared by value. */
export function isDecimalKey(key: string): boolean {
  return key.endsWith("Usdt") || EXTRA_DECIMAL_KEYS.has(key);
}

/** Canonical text of a decimal string ("242.73120" → "242.7312", "-0" → "0"); other values unchanged. */
export function canonicalDecimal(v: unknown): unknown {
  if (typeof v !== "string" || !DECIMAL_RE.test(v)) return v;
  const d = new Dec(v);
  return d.isZero() ? "0" : d.toFixed();
}

/** One difference: a JSON-ish path and both values (undefined = absent). */
export interface Difference {
  path: string;
  expected: unknown;
  actual: unknown;
}

/** Deep-compare `expected` with `actual` and list every difference. */
export function diffValues(expected: unknown, actual: unknown, path = ""): Difference[] {
  const out: Difference[] = [];
  walk(expected, actual, path, "", out);
  return out;
}

function walk(e: unknown, a: unknown, path: string, key: string, out: Difference[]): void {
  if (key === "flags" && Array.isArray(e) && Array.isArray(a)) {
    const es = [...(e as string[])].sort();
    const as = [...(a as string[])].sort();
    if (JSON.stringify(es) !== JSON.stringify(as)) out.push({ path, expected: es, actual: as });
    return;
  }
  if (isDecimalKey(key) && typeof e === "string" && typeof a === "string" && DECIMAL_RE.test(e) && DECIMAL_RE.test(a)) {
    if (!new Dec(e).eq(new Dec(a))) out.push({ path, expected: e, actual: a });
    return;
  }
  if (Array.isArray(e) && Array.isArray(a)) {
    const n = Math.max(e.length, a.length);
    for (let i = 0; i < n; i++) {
      const label = elementLabel(e[i]) ?? elementLabel(a[i]) ?? String(i);
      walk(e[i], a[i], `${path}[${label}]`, key, out);
    }
    return;
  }
  if (isObj(e) && isObj(a)) {
    const keys = [...new Set([...Object.keys(e), ...Object.keys(a)])];
    for (const k of keys) walk(e[k], a[k], path ? `${path}.${k}` : k, k, out);
    return;
  }
  if (e !== a) out.push({ path, expected: e, actual: a });
}

/** Arrays of trades / legs are labelled by their identity, so a diff line says which one. */
function elementLabel(v: unknown): string | undefined {
  if (!isObj(v)) return undefined;
  if (typeof v.tradeId === "string") return v.tradeId;
  if (typeof v.legIndex === "number") return `leg ${v.legIndex}`;
  return undefined;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Render differences as lines "  <path>: expected <e>, actual <a>". */
export function formatDifferences(diffs: Difference[]): string {
  const show = (v: unknown): string => (v === undefined ? "(absent)" : JSON.stringify(v));
  return diffs.map((d) => `  ${d.path}: expected ${show(d.expected)}, actual ${show(d.actual)}`).join("\n");
}

/** Exact decimal equality of two decimal strings (helper for mustNotBook checks). */
export function decimalEquals(a: string, b: string): boolean {
  return DECIMAL_RE.test(a) && DECIMAL_RE.test(b) && new Dec(a).eq(new Dec(b));
}
