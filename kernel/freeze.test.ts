import { describe, expect, it } from "vitest";
import { deepFreeze } from "./freeze.js";

describe("deepFreeze (kernel/freeze.ts: shared slot images, A12, I17)", () => {
  it("freezes every object and array of a JSON-shaped value, nested in objects and arrays", () => {
    const v = JSON.parse('{"a":1,"s":"x","n":null,"arr":["p",{"q":[1,{"r":true}]}],"o":{"legs":[{"fills":[{"qty":"1"}]}]}}');
    expect(deepFreeze(v)).toBe(v);
    const objects: unknown[] = [];
    const walk = (x: unknown): void => {
      if (x === null || typeof x !== "object") return;
      objects.push(x);
      for (const c of Object.values(x as object)) walk(c);
    };
    walk(v);
    expect(objects.length).toBe(10);
    for (const o of objects) expect(Object.isFrozen(o)).toBe(true);
    expect(() => {
      (v.o.legs[0].fills[0] as { qty: string }).qty = "2";
    }).toThrow(TypeError);
  });
  it("returns primitives unchanged and leaves an already frozen sub-object as it is", () => {
    expect(deepFreeze(3)).toBe(3);
    expect(deepFreeze(null)).toBe(null);
    const inner = { x: 1 };
    const frozen = Object.freeze({ inner });
    const v = { frozen, other: { y: 2 } };
    deepFreeze(v);
    expect(Object.isFrozen(v.other)).toBe(true);
    expect(Object.isFrozen(inner)).toBe(false); // documented: frozen sub-objects are not walked again
  });
});
