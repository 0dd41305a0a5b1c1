/**
 * Exact decimal arithmetic for the BingX venue and adapter (money, prices, quantities).
 *
 * A configured decimal.js clone with 60 significant digits (COMMON brief: never the default
 * 20-digit precision for money). Every figure the mock venue books or emits is computed with it;
 * binary floats never touch a price, a quantity or a balance.
 */
import { Decimal } from "decimal.js";

/** The decimal constructor used by everything under venues/bingx (precision 60, ROUND_HALF_UP). */
export const Dec = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -40, toExpPos: 40 });
export type Dec = InstanceType<typeof Dec>;

export const ZERO = new Dec(0);

const DECIMAL_RE = /^-?(?:\d+)(?:\.\d+)?$/;

/**
 * Parse a plain decimal string ("0.1878", "-3", "12.50"): no exponent, no sign "+", no spaces.
 * Returns undefined when the text is not such a decimal (the caller names the field in its error).
 */
export function parseDecimal(text: string): Dec | undefined {
  if (typeof text !== "string" || !DECIMAL_RE.test(text)) return undefined;
  return new Dec(text);
}

/**
 * `d.toDecimalPlaces(dp, rm)`: `d` itself when it already has at most `dp` decimals (there is
 * nothing to round; decimal.js would build an equal copy, ~400 ns: issue 12 profile), else the
 * rounded value. Decimals are immutable, so sharing the object is safe. Property-tested against
 * toDecimalPlaces in venues/bingx/dec.test.ts.
 */
export function toPlaces(d: Dec, dp: number, rm: Decimal.Rounding): Dec {
  return d.isFinite() && d.decimalPlaces() <= dp ? d : d.toDecimalPlaces(dp, rm);
}

/** Plain decimal text of `d` without exponent and without trailing zeros ("0.1878", "-12"). */
export function fmt(d: Dec): string {
  const s = d.toFixed();
  return s === "-0" ? "0" : s;
}

/** Decimal text with exactly `dp` decimals (rounding HALF_UP), e.g. BingX "0.0000" style. */
export function fixed(d: Dec, dp: number): string {
  const s = d.toFixed(dp, Dec.ROUND_HALF_UP);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/**
 * Canonical plain decimal text: what {@link fmt} prints (no leading zeros, no trailing fractional
 * zeros, no "-0"). decimal.js keeps a parsed value exact (no rounding at construction), so for
 * such a text `fmt(parseDecimal(t)) === t` (property-tested in venues/bingx/dec.test.ts).
 */
const CANONICAL_RE = /^-?(?:0|[1-9]\d*)(?:\.\d*[1-9])?$/;

/** True when `text` is canonical decimal text (see CANONICAL_RE): `fmt(parseDecimal(text)) === text`. */
export function isCanonicalDecimal(text: string): boolean {
  return typeof text === "string" && CANONICAL_RE.test(text) && text !== "-0";
}

/**
 * `fmt(parseDecimal(text))` — the normalised text of a plain decimal ("1.50" → "1.5"), or undefined
 * when `text` is not a plain decimal (as parseDecimal). Canonical text is returned as it is,
 * without building a Decimal (issue 12 profile: the adapter normalises every figure of every payload).
 */
export function normDecimal(text: string): string | undefined {
  if (isCanonicalDecimal(text)) return text;
  const d = parseDecimal(text);
  return d ? fmt(d) : undefined;
}

/**
 * The canonical text (what fmt prints) of an unsigned plain decimal text — digits, optionally a dot
 * and digits ("0.1870" → "0.187", "65000.0" → "65000", "007" → "7") — found by stripping zeros,
 * without building a Decimal; undefined for any other text (a sign, an exponent, spaces). Equals
 * normDecimal(text) whenever defined (property-tested in venues/bingx/dec.test.ts).
 */
export function canonicalPlain(text: string): string | undefined {
  if (isCanonicalDecimal(text)) return text.charCodeAt(0) === 0x2d ? undefined : text;
  if (typeof text !== "string" || !UNSIGNED_PLAIN_RE.test(text)) return undefined;
  let start = 0;
  const dot = text.indexOf(".");
  const intEnd = dot < 0 ? text.length : dot;
  while (start < intEnd - 1 && text.charCodeAt(start) === 0x30) start++;
  if (dot < 0) return text.slice(start);
  let end = text.length;
  while (end > dot + 1 && text.charCodeAt(end - 1) === 0x30) end--;
  return end === dot + 1 ? text.slice(start, dot) : text.slice(start, end);
}

const UNSIGNED_PLAIN_RE = /^\d+(?:\.\d+)?$/;

/**
 * text × 10^places as an integer Number, for a canonical non-negative text with at most `places`
 * decimals whose integer has at most 15 digits (exact in a double); undefined otherwise. Prices on
 * a tick (places = pricePrecision) compare as these integers exactly as their Decimals do.
 */
export function scaledInteger(text: string, places: number): number | undefined {
  if (!isCanonicalDecimal(text) || text.charCodeAt(0) === 0x2d) return undefined;
  const dot = text.indexOf(".");
  const frac = dot < 0 ? "" : text.slice(dot + 1);
  if (frac.length > places) return undefined;
  const digits = (dot < 0 ? text : text.slice(0, dot)) + frac.padEnd(places, "0");
  return digits.length > 15 ? undefined : Number(digits);
}

/** `fmt(-text)` for a plain decimal text; throws like `new Dec(text)` for a text that is not a number. */
export function negText(text: string): string {
  if (isCanonicalDecimal(text)) return text === "0" ? "0" : text.charCodeAt(0) === 0x2d ? text.slice(1) : "-" + text;
  return fmt(new Dec(text).neg());
}

/** `new Dec(text).gt(0)` for a decimal text (false for undefined); throws like `new Dec(text)` for a text that is not a number. */
export function isPositiveText(text: string | undefined): boolean {
  if (text === undefined) return false;
  if (isCanonicalDecimal(text)) return text !== "0" && text.charCodeAt(0) !== 0x2d;
  return new Dec(text).gt(0);
}
