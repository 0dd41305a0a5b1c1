/**
 * Field checks for the project's JSON case files: scenario files (scenarios/validate.ts) and
 * golden cases (golden/schema.ts). One set of rules and one wording serve both; each check throws
 * through the caller's `fail`, which builds that file kind's own error (ScenarioError,
 * GoldenCaseError) naming the field path and the value. No check repairs or defaults a value.
 */

/** Decimal text as the project writes money and quantities: optional "-", no leading zeros, no exponent ("0.1878", "-12", "100000"). */
export const DECIMAL_TEXT = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** A JSON object (not null, not an array). */
export type Obj = Record<string, unknown>;

/** Throws the caller's error for `field` holding `value`: `reason` says what was expected. */
export type FieldFail = (field: string, value: unknown, reason: string) => never;

/** The checks, bound to one `fail` (see {@link fieldChecks}). Each returns the checked value. */
export interface FieldChecks {
  /** The `fail` the checks were made with, for a file kind's own rules (a name pattern, a cross-reference). */
  fail: FieldFail;
  /** A JSON object. */
  obj(v: unknown, f: string): Obj;
  /** Every key of `o` is in `allowed` (the Q2 lesson: a misspelt field must not silently default); `f` "" for the root. */
  only(o: Obj, f: string, allowed: readonly string[]): void;
  /** A string; non-empty unless `nonEmpty` is false. */
  str(v: unknown, f: string, nonEmpty?: boolean): string;
  /** An array of non-empty strings. */
  strings(v: unknown, f: string): string[];
  bool(v: unknown, f: string): boolean;
  /** A safe integer in [lo, hi] (default [0, MAX_SAFE_INTEGER]). */
  int(v: unknown, f: string, lo?: number, hi?: number): number;
  /** A finite number in [lo, hi]. */
  num(v: unknown, f: string, lo: number, hi: number): number;
  /** {@link DECIMAL_TEXT}, optionally > 0 or ≥ 0. */
  decimal(v: unknown, f: string, opts?: { positive?: boolean; nonNegative?: boolean }): string;
  /** An array; non-empty when `nonEmpty`. */
  arr(v: unknown, f: string, nonEmpty?: boolean): unknown[];
  /** One of `values`. */
  oneOf<T extends string>(v: unknown, f: string, values: readonly T[]): T;
}

/** The checks of {@link FieldChecks}, each failing through `fail`. */
export function fieldChecks(fail: FieldFail): FieldChecks {
  const arr = (v: unknown, f: string, nonEmpty = false): unknown[] => {
    if (!Array.isArray(v)) return fail(f, v, "expected an array");
    if (nonEmpty && v.length === 0) return fail(f, v, "must not be empty");
    return v;
  };
  const str = (v: unknown, f: string, nonEmpty = true): string => {
    if (typeof v !== "string") return fail(f, v, "expected a string");
    if (nonEmpty && v.length === 0) return fail(f, v, "must not be empty");
    return v;
  };
  return {
    fail,
    obj: (v, f) => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : fail(f, v, "expected an object")),
    only: (o, f, allowed) => {
      for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(f ? `${f}.${k}` : k, o[k], `unknown field (allowed: ${allowed.join(", ")})`);
    },
    str,
    strings: (v, f) => arr(v, f).map((x, i) => str(x, `${f}[${i}]`)),
    bool: (v, f) => (typeof v === "boolean" ? v : fail(f, v, "expected true or false")),
    int: (v, f, lo = 0, hi = Number.MAX_SAFE_INTEGER) =>
      typeof v === "number" && Number.isSafeInteger(v) && v >= lo && v <= hi ? v : fail(f, v, `expected an integer in [${lo}, ${hi}]`),
    num: (v, f, lo, hi) => (typeof v === "number" && Number.isFinite(v) && v >= lo && v <= hi ? v : fail(f, v, `expected a finite number in [${lo}, ${hi}]`)),
    decimal: (v, f, opts = {}) => {
      if (typeof v !== "string" || !DECIMAL_TEXT.test(v)) return fail(f, v, 'expected a decimal string such as "0.1878"');
      const negative = v.startsWith("-");
      const zero = /^-?0(\.0+)?$/.test(v);
      if (opts.positive && (negative || zero)) return fail(f, v, "must be > 0");
      if (opts.nonNegative && negative && !zero) return fail(f, v, "must be >= 0");
      return v;
    },
    arr,
    oneOf: <T extends string>(v: unknown, f: string, values: readonly T[]): T =>
      typeof v === "string" && (values as readonly string[]).includes(v) ? (v as T) : fail(f, v, `expected one of ${values.join(", ")}`),
  };
}

/** A value as an error message shows it: JSON, cut to 120 characters; "undefined" for undefined. */
export function showValue(value: unknown): string {
  if (value === undefined) return "undefined";
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch (err) {
    text = `<unprintable: ${(err as Error).message}>`;
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
