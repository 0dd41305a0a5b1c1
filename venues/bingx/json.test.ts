import fc from "fast-check";
import { parse as losslessParse } from "lossless-json";
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

  // The fast scanner (issue 12 speed) must give lossless-json's exact result, and lossless-json's
  // exact refusal, for every text: both are run on generated wire-like texts and mutations of them.
  const outcome = (f: () => unknown): { ok: unknown } | { err: string } => {
    try {
      return { ok: f() };
    } catch (e) {
      return { err: `${(e as Error).name}: ${(e as Error).message}` };
    }
  };
  const same = (text: string): void => {
    const mine = outcome(() => parseJsonLossless(text));
    const theirs = outcome(() => losslessParse(text));
    expect(mine).toStrictEqual(theirs);
  };
  const bigNumber = fc.oneof(
    fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }).map((b) => b.toString()),
    fc.tuple(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.nat(99999)).map(([a, b]) => `${a}.${b}`),
    fc.constantFrom("0", "-0", "1e5", "1E+5", "2.5e-3", "0.10", "1933100000000000017"),
  );
  const sp = fc.constantFrom("", "", " ", "\n", "\t", "\r\n ");
  // Wire-like JSON texts built as text, so numbers appear exactly as a venue writes them.
  const { wireText } = fc.letrec<{ wireText: string; leaf: string; arr: string; objText: string }>((tie) => ({
    leaf: fc.oneof(bigNumber, fc.string({ maxLength: 8 }).map((x) => JSON.stringify(x)), fc.constantFrom("true", "false", "null")),
    arr: fc.tuple(fc.array(tie("wireText"), { maxLength: 4 }), sp).map(([xs, w]) => `[${w}${xs.join(`${w},${w}`)}${w}]`),
    objText: fc
      .tuple(fc.uniqueArray(fc.tuple(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom("code", "msg", "e", "o", "symbol", "orderId", "ap", "apx", "__proto__")), tie("wireText")), { maxLength: 4, selector: ([k]) => k }), sp)
      .map(([es, w]) => `{${w}${es.map(([k, v]) => `${JSON.stringify(k)}${w}:${w}${v}`).join(`${w},${w}`)}${w}}`),
    wireText: fc.oneof({ depthSize: "small", withCrossShrink: true }, tie("leaf"), tie("arr"), tie("objText")),
  }));
  it("the fast scanner gives lossless-json's exact value for valid wire texts (numbers kept as text)", () => {
    fc.assert(fc.property(wireText, (t) => same(t)), { numRuns: 500, seed: 12 });
    for (const t of [
      '{"code":0,"msg":"","data":{"order":{"orderId":1933100000000000017,"price":0.10,"q":"1.50","x":true,"y":null,"z":[]}}}',
      // BingX keys (taken from the known-key table) next to near misses, prefixes and escapes
      '{"e":"ORDER_TRADE_UPDATE","E":1,"o":{"s":"FET-USDT","i":1,"ap":"0.1","apx":1,"a":2,"symbo":3,"symbolX":4,"sym\\u0062ol":5}}',
      '{"code":1,"code":1}', '{"code":1,"code":2}', '{"msg":"x","ms\\"g":"y"}', '{"listenKey":"k","listenKe":"k2","":0}',
      '{"a":1,"a":1}', '{"a":1,"a":2}', '{"__proto__":{"x":1}}', '{"s":"a\\"b\\u0041\\n"}', "  [ 1 , 2 , { } , [ ] ]  ", '"x"', "-0.0e-0",
    ])
      same(t);
  });
  it("the fast scanner refuses exactly what lossless-json refuses, with its message (mutated texts)", () => {
    const mutated = fc
      .tuple(wireText, fc.nat(), fc.constantFrom("", ",", "}", "]", "{", "[", '"', ":", "-", ".", "e", "0", "01", " ", "\\", "\u0001", "tru", "nul", "1.", "-.5", "x"))
      .map(([t, at, ins]) => {
        const k = t.length === 0 ? 0 : at % (t.length + 1);
        return ins === "" ? t.slice(0, k) + t.slice(k + 1) : t.slice(0, k) + ins + t.slice(k);
      });
    fc.assert(fc.property(mutated, (t) => same(t)), { numRuns: 3000, seed: 13 });
    for (const t of ["", " ", "{", "[1,]", '{"a":1,}', "01", "1.", "-", "[1 2]", '{"a" 1}', '{"a":}', "nulll", "truex", '"abc', '"a\u0001"', "1 2"]) same(t);
  });
});
