import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dec, fmt, isCanonicalDecimal, isPositiveText, negText, normDecimal, parseDecimal, toPlaces } from "./dec.js";

// The text fast paths of dec.ts (issue 12 speed) against decimal.js itself: for every plain
// decimal text, and for texts that are not plain decimals, the same answer as parsing it.
const digits = (min: number, max: number) => fc.array(fc.constantFrom(..."0123456789"), { minLength: min, maxLength: max }).map((a) => a.join(""));
const decimalText = fc.oneof(
  fc.tuple(fc.boolean(), digits(1, 70), fc.option(digits(1, 70))).map(([n, i, f]) => `${n ? "-" : ""}${i}${f === null ? "" : `.${f}`}`),
  fc.constantFrom("0", "-0", "0.0", "-0.00", "00", "01.50", "1.50", "0.1878", "-12", "100000", "1e5", "+1", " 1", "1.", ".5", "", "abc", "0x10", "Infinity", "NaN"),
  fc.string({ maxLength: 6 }),
);
const outcome = (f: () => unknown): unknown => {
  try {
    return { ok: f() };
  } catch (e) {
    return { err: (e as Error).message };
  }
};

describe("dec.ts text fast paths equal decimal.js (docs/bingx-protocol.md §3 exact figures)", () => {
  it("normDecimal(t) === fmt(parseDecimal(t)), undefined exactly when parseDecimal refuses", () => {
    fc.assert(
      fc.property(decimalText, (t) => {
        const d = parseDecimal(t);
        expect(normDecimal(t)).toBe(d ? fmt(d) : undefined);
      }),
      { numRuns: 3000, seed: 21 },
    );
  });
  it("a canonical text is what fmt prints for it (decimal.js keeps parsed values exact)", () => {
    fc.assert(
      fc.property(decimalText, (t) => {
        if (isCanonicalDecimal(t)) expect(fmt(new Dec(t))).toBe(t);
      }),
      { numRuns: 3000, seed: 22 },
    );
  });
  it("negText and isPositiveText answer (and throw) as decimal.js does", () => {
    fc.assert(
      fc.property(decimalText, (t) => {
        expect(outcome(() => negText(t))).toStrictEqual(outcome(() => fmt(new Dec(t).neg())));
        expect(outcome(() => isPositiveText(t))).toStrictEqual(outcome(() => new Dec(t).gt(0)));
      }),
      { numRuns: 3000, seed: 23 },
    );
    expect(isPositiveText(undefined)).toBe(false);
  });
  it("toPlaces(d, dp, rm) is toDecimalPlaces(d, dp, rm): same value, sign and text, for parsed and computed values (docs/bingx-protocol.md §10 rounding)", () => {
    const parsed = decimalText.filter((t) => parseDecimal(t) !== undefined).map((t) => new Dec(t));
    const computed = fc.tuple(parsed, parsed, parsed).map(([a, b, c]) => (c.isZero() ? a.mul(b) : a.mul(b).div(c)));
    const special = fc.constantFrom(new Dec(0), new Dec("-0"), new Dec(Infinity), new Dec(-Infinity), new Dec(NaN));
    const rounding = fc.constantFrom(Dec.ROUND_UP, Dec.ROUND_DOWN, Dec.ROUND_CEIL, Dec.ROUND_FLOOR, Dec.ROUND_HALF_UP, Dec.ROUND_HALF_DOWN, Dec.ROUND_HALF_EVEN);
    fc.assert(
      fc.property(fc.oneof(parsed, computed, special), fc.integer({ min: 0, max: 12 }), rounding, (d, dp, rm) => {
        const fast = toPlaces(d, dp, rm);
        const ref = d.toDecimalPlaces(dp, rm);
        expect([fast.toString(), fast.isNeg(), fast.isNaN() || fast.equals(ref)]).toEqual([ref.toString(), ref.isNeg(), true]);
      }),
      { numRuns: 3000, seed: 24 },
    );
  });
});
