/**
 * reports/json-file.ts writes summary.json in pieces (issue 12: a 48 h run's 15 MB summary built as
 * one string raised the peak RSS); the file must be byte for byte `JSON.stringify(v, null, 2) + "\n"`,
 * which the reports and their readers rely on.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { writeJsonFile } from "./json-file.js";

const dir = mkdtempSync(join(tmpdir(), "json-file-"));
const file = join(dir, "x.json");
const written = (v: unknown) => (writeJsonFile(file, v), readFileSync(file, "utf8"));

describe("writeJsonFile: the bytes of JSON.stringify(v, null, 2) + newline", () => {
  it("the run report fixture (a RunResult with trades, series, evidence)", () => {
    const r = JSON.parse(readFileSync(new URL("./fixtures/run-result.json", import.meta.url), "utf8"));
    expect(written(r)).toBe(JSON.stringify(r, null, 2) + "\n");
  });

  it("JSON.stringify's rules: undefined/function members left out, null in arrays, toJSON, empty containers, class instances, escapes", () => {
    class Money {
      constructor(readonly v: string) {}
      toJSON() {
        return this.v;
      }
    }
    class Box {
      a = 1;
      nested = { b: [1, { c: "x" }] };
    }
    const v = {
      a: undefined, b: () => 1, c: [undefined, () => 1, Symbol("s"), 1], d: {}, e: [], f: { g: undefined }, h: new Money("1.5"),
      i: new Date(0), j: new Box(), k: new Map([[1, 2]]), l: "line\nbreak \"quoted\" \u2028 é", m: -0, n: NaN, o: [[[]], [{}]],
      p: { toJSON: (k: string) => ({ key: k, deep: [1, 2] }) }, q: { toJSON: () => undefined }, r: Object.assign(Object.create(null), { x: 1 }),
    };
    expect(written(v)).toBe(JSON.stringify(v, null, 2) + "\n");
    expect(written([1, "a", null])).toBe(JSON.stringify([1, "a", null], null, 2) + "\n");
    expect(written("top")).toBe('"top"\n');
  });

  it("any JSON-like value (fast-check)", () => {
    fc.assert(
      fc.property(fc.anything({ withBoxedValues: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withSparseArray: true, withObjectString: true }), (v) => {
        let expected: string | undefined;
        try {
          expected = JSON.stringify(v, null, 2);
        } catch (e) {
          expect(() => writeJsonFile(file, v)).toThrow();
          return;
        }
        if (expected === undefined) expect(() => writeJsonFile(file, v)).toThrow(/has no JSON text/);
        else expect(written(v)).toBe(expected + "\n");
      }),
      { numRuns: 300 },
    );
  });

  it("a value with no JSON text is refused, naming the file", () => {
    expect(() => writeJsonFile(file, undefined)).toThrow(/x\.json: the value \(undefined\) has no JSON text/);
  });
});
