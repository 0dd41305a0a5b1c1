/**
 * alignToTick (issue 12: GBM ticks rounded on their digits, not through decimal.js) gives exactly
 * the decimal.js result (half-even to the tick, never below one tick) for every input form.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { alignToTick, alignToTickReference } from "./market.js";

describe("alignToTick", () => {
  it("equals the decimal.js definition on toPrecision(15) prices, plain decimal strings and ties", () => {
    const precision = fc.integer({ min: 0, max: 10 });
    fc.assert(
      fc.property(fc.double({ min: 1e-12, max: 1e9, noNaN: true }), precision, (x, p) => {
        const s = x.toPrecision(15);
        expect(alignToTick(s, p)).toBe(alignToTickReference(s, p));
      }),
      { numRuns: 5000 },
    );
    const digits = fc.string({ unit: fc.constantFrom("0", "1", "4", "5", "6", "9"), minLength: 1, maxLength: 14 });
    fc.assert(
      fc.property(digits, fc.option(digits, { nil: undefined }), precision, (i, f, p) => {
        const s = f === undefined ? i : `${i}.${f}`;
        expect(alignToTick(s, p)).toBe(alignToTickReference(s, p));
      }),
      { numRuns: 5000 },
    );
    // half-even ties, carries and the one-tick floor, written out
    expect(alignToTick("0.18785", 4)).toBe("0.1878");
    expect(alignToTick("0.18775", 4)).toBe("0.1878");
    expect(alignToTick("0.187850000001", 4)).toBe("0.1879");
    expect(alignToTick("9.99995", 4)).toBe("10.0000");
    expect(alignToTick("0.00004", 4)).toBe("0.0001");
    expect(alignToTick("2.5", 0)).toBe("2");
    expect(alignToTick("1e-7", 4)).toBe("0.0001");
  });
});
