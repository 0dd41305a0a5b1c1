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
