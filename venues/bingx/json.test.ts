import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RawNumber, isWireNumber, parseJsonLossless, toJsonText } from "./json.js";

describe("wire JSON (docs/bingx-protocol.md §3; TOOLCHAIN.md: 19-digit ids break JSON.parse)", () => {
  it("toJsonText equals JSON.stringify on plain JSON values (any strings, keys, nesting)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const clean = JSON.parse(JSON.stringify(v)); // drops -0 and other non-JSON details
        expect(toJsonText(clean)).toBe(JSON.stringify(clean));
      }),
      { numRuns: 300, seed: 7 },
    );
  });
  it("RawNumber emits 19-digit ids verbatim and lossless parsing reads them back exactly", () => {
    const text = toJsonText({ orderId: new RawNumber("1933100000000000017"), s: "x" });
    expect(text).toBe('{"orderId":1933100000000000017,"s":"x"}');
    const back = parseJsonLossless(text) as { orderId: unknown };
    expect(isWireNumber(back.orderId) && back.orderId.value).toBe("1933100000000000017");
    expect(() => new RawNumber("1e5")).toThrow(/not a JSON number/);
    expect(() => toJsonText(Number.NaN)).toThrow(/non-finite/);
  });
});
