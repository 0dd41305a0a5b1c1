/**
 * Exact decimal arithmetic for the simulator (money and quantities as decimal strings, never
 * binary floats; docs/architecture.md §The kernel is sans-IO). A configured decimal.js clone with 60
 * significant digits, so sums of 28-digit kernel figures stay exact; default rounding half to even,
 * the kernel's (kernel/README.md "Rounding"). It is the one setup of the simulator, the oracle, the
 * golden runner, the reports and the kernel test harness. The mock venue keeps its own clone
 * (venues/bingx/dec.ts) whose default rounding is half-up, BingX's for the figures it books.
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

/** Most significant digits a derived figure shows in an oracle or invariant detail line. */
export const DETAIL_SIGNIFICANT_DIGITS = 20;

/**
 * A derived figure for a detail line (sim/invariants.ts, sim/oracle.ts): values that depend on a
 * quotient (the venue's blended entry, a VWAP from fills, the netting terms) carry up to this
 * clone's 60 digits, so they are shown to `digits` significant digits (default and most
 * DETAIL_SIGNIFICANT_DIGITS; fewer for tolerances and ratios); a magnitude below 1e-6 (a
 * quotient's residue, e.g. a netting of 1.647e-56) in exponent notation rather than behind a run
 * of zeros. Display only: every comparison uses the exact value.
 * @throws Error naming `digits` when it is not an integer in [1, DETAIL_SIGNIFICANT_DIGITS]
 */
export function shown(d: Dec, digits = DETAIL_SIGNIFICANT_DIGITS): string {
  if (!Number.isInteger(digits) || digits < 1 || digits > DETAIL_SIGNIFICANT_DIGITS) throw new Error(`shown: digits ${String(digits)} must be an integer in [1, ${DETAIL_SIGNIFICANT_DIGITS}]`);
  const s = d.toSignificantDigits(digits);
  return !s.isZero() && s.e < -6 ? s.toExponential() : s.toFixed();
}

/** Σ of decimal strings. */
export function sum(values: readonly string[]): Dec {
  let acc = new Dec(0);
  for (const v of values) acc = acc.plus(new Dec(v));
  return acc;
}
