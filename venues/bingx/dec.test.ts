import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dec, canonicalPlain, fmt, isCanonicalDecimal, isPositiveText, negText, normDecimal, parseDecimal, scaledInteger, toPlaces } from "./dec.js";

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
  it("canonicalPlain(t) is normDecimal(t) for every unsigned plain text, and undefined for every other text", () => {
    const unsignedPlain = fc.tuple(digits(1, 20), fc.option(digits(1, 20))).map(([i, f]) => `${i}${f === null ? "" : `.${f}`}`);
    fc.assert(
      fc.property(fc.oneof(decimalText, unsignedPlain), (t) => {
        const c = canonicalPlain(t);
        expect(c).toBe(/^\d+(\.\d+)?$/.test(t) ? normDecimal(t) : undefined);
      }),
      { numRuns: 3000, seed: 25 },
    );
    expect([canonicalPlain("0.1870"), canonicalPlain("65000.0"), canonicalPlain("007"), canonicalPlain("0.000"), canonicalPlain("-1.0")]).toEqual(["0.187", "65000", "7", "0", undefined]);
  });
  it("scaledInteger(t, places) is t × 10^places exactly when defined, and orders prices like decimal.js (docs/bingx-protocol.md §10 tick)", () => {
    const places = fc.integer({ min: 0, max: 8 });
    fc.assert(
      fc.property(decimalText, decimalText, places, (a, b, p) => {
        const x = scaledInteger(a, p);
        if (x !== undefined) expect(String(x)).toBe(new Dec(a).mul(new Dec(10).pow(p)).toFixed());
        const canonNonNeg = isCanonicalDecimal(a) && !a.startsWith("-") && (a.split(".")[1] ?? "").length <= p;
        if (canonNonNeg && a.replace(".", "").length + p <= 15) expect(x).toBeDefined();
        if (!canonNonNeg) expect(x).toBeUndefined();
        const y = scaledInteger(b, p);
        if (x !== undefined && y !== undefined) expect([x <= y, x >= y]).toEqual([new Dec(a).lte(b), new Dec(a).gte(b)]);
      }),
      { numRuns: 3000, seed: 26 },
    );
  });
  it("scaledInteger of prices on the tick: the tick count itself, ordered as the prices are", () => {
    const tickPrice = fc.tuple(fc.bigInt({ min: 1n, max: 10n ** 15n - 1n }), fc.integer({ min: 0, max: 8 }));
    fc.assert(
      fc.property(tickPrice, fc.bigInt({ min: 1n, max: 10n ** 15n - 1n }), ([n, p], m) => {
        const a = fmt(new Dec(n.toString()).div(new Dec(10).pow(p)));
        const b = fmt(new Dec(m.toString()).div(new Dec(10).pow(p)));
        expect(scaledInteger(a, p)).toBe(Number(n));
        expect(scaledInteger(b, p)! <= scaledInteger(a, p)!).toBe(new Dec(b).lte(a));
        expect(scaledInteger(b, p)! >= scaledInteger(a, p)!).toBe(new Dec(b).gte(a));
      }),
      { numRuns: 3000, seed: 27 },
    );
  });
});
