/**
 * Exact decimal arithmetic for the simulator (money and quantities as decimal strings, never
 * binary floats; docs/architecture.md §The kernel is sans-IO). A configured decimal.js clone with 60
 * significant digits, so sums of 28-digit kernel figures stay exact.
 */
import { Decimal } from "decimal.js";

export const Dec = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -40, toExpPos: 40 });
export type Dec = InstanceType<typeof Dec>;

/** Parse a decimal string; throws naming `field` when it is not a finite decimal. */
export function dec(field: string, value: string | number | undefined): Dec {
  if (value === undefined || value === null || value === "") throw new Error(`${field}: missing decimal value`);
  let d: Dec;
  try {
    d = new Dec(value);
  } catch (e) {
    throw new Error(`${field}: not a decimal: ${String(value)} (${(e as Error).message})`);
  }
  if (!d.isFinite()) throw new Error(`${field}: not finite: ${String(value)}`);
  return d;
}

/** Σ of decimal strings. */
export function sum(values: readonly string[]): Dec {
  let acc = new Dec(0);
  for (const v of values) acc = acc.plus(new Dec(v));
  return acc;
}
