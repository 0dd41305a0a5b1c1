/**
 * sim/trace-tally.ts transitionTexts (issue 12 speed): slicing the transitions of a canonical
 * kernel.out body gives exactly the text of parsing the body and JSON.stringify-ing each
 * transition (the definition), and anything it cannot read goes to the definition.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./trace.js";
import { SeqDigest, SeqMatch, transitionTexts, transitionTextsReference } from "./trace-tally.js";

/** The result of `f`, or the message of what it threw. */
function outcomeOf(f: () => string[]): { texts?: string[]; threw?: string } {
  try {
    return { texts: f() };
  } catch (e) {
    return { threw: (e as Error).message };
  }
}

/** JSON-able values with the characters a slicer could trip on: quotes, backslashes, brackets, commas, a key named transitions. */
const tricky = fc.constantFrom('"', "\\", "[", "]", "{", "}", ",", ":", ',"transitions":[', "\\\"", "é", "\u0001", "\ud800");
const text = fc.oneof(fc.string(), fc.array(fc.oneof(fc.string({ maxLength: 3 }), tricky), { maxLength: 5 }).map((a) => a.join("")));
const key = fc.oneof(text, fc.constantFrom("transitions", "tradeId", "0", "__proto__"));
const value = fc.letrec((tie) => ({
  v: fc.oneof({ maxDepth: 3 }, text, fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie("v"), { maxLength: 4 }), fc.dictionary(key, tie("v"), { maxKeys: 4 })),
})).v;

describe("trace tally: transition texts sliced from a canonical kernel.out body", () => {
  it("equal JSON.stringify of each parsed transition, for generated outcomes (nested transitions keys, escapes, brackets in strings)", () => {
    const outcome = fc.record(
      {
        accepted: fc.boolean(),
        code: fc.constantFrom("OK", "REJECTED"),
        details: fc.dictionary(key, value, { maxKeys: 3 }),
        message: text,
        transitions: fc.array(value, { maxLength: 5 }),
        zExtra: value,
      },
      { requiredKeys: ["accepted", "code", "transitions"] },
    );
    let sliced = 0;
    fc.assert(
      fc.property(outcome, (o) => {
        const body = canonicalJson(o);
        const got = outcomeOf(() => transitionTexts(body));
        expect(got).toEqual(outcomeOf(() => transitionTextsReference(body)));
        if (!("zExtra" in o) && got.texts) sliced++;
      }),
      { numRuns: 3000 },
    );
    expect(sliced).toBeGreaterThan(200); // outcomes whose transitions are the last key (484 of 3,000 in one run)
  });

  it("a recorded-shape outcome: one transition sliced as written; a nested or non-final transitions key goes to the parser", () => {
    const t = { from: "IDLE", slotId: 0, to: "ORDER_REQUESTED", tradeId: "t1s0", trigger: "ENTER", tsUs: 1781193416836715 };
    const body = canonicalJson({ accepted: true, changedSlots: [0], code: "OK", commands: [], details: {}, ledgerSeq: 1, message: "m", severity: "INFO", transitions: [t, t] });
    expect(transitionTexts(body)).toEqual([canonicalJson(t), canonicalJson(t)]);
    const nestedLast = canonicalJson({ a: 1, details: { transitions: [{ x: 1 }] } });
    expect(() => transitionTexts(nestedLast)).toThrow(TypeError); // no top-level transitions: the definition's throw
    const notLast = canonicalJson({ transitions: [{ x: "]" }], zz: { transitions: [{ y: 2 }] } });
    expect(transitionTexts(notLast)).toEqual(['{"x":"]"}']);
    expect(() => transitionTexts('{"transitions":[{"a":')).toThrow(SyntaxError);
  });
});

describe("trace tally: SeqMatch compares two line sequences as they come", () => {
  it("is equal exactly when both sides gave the same lines in the same order, however the two sides interleave (same verdict as their digests)", () => {
    const line = fc.constantFrom("a", "b", "", "a|b", "1781|{}");
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.array(line, { maxLength: 12 }), fc.array(fc.boolean(), { maxLength: 30 }), (xs, ys, order) => {
        const m = new SeqMatch();
        let i = 0;
        let j = 0;
        for (const traceFirst of order) {
          if (traceFirst && i < xs.length) m.trace.add(xs[i++]);
          else if (j < ys.length) m.record.add(ys[j++]);
        }
        while (i < xs.length) m.trace.add(xs[i++]);
        while (j < ys.length) m.record.add(ys[j++]);
        const dx = new SeqDigest();
        const dy = new SeqDigest();
        xs.forEach((x) => dx.add(x));
        ys.forEach((y) => dy.add(y));
        expect(m.equal).toBe(dx.count === dy.count && dx.hex() === dy.hex());
        expect([m.trace.count, m.record.count]).toEqual([xs.length, ys.length]);
      }),
      { numRuns: 3000 },
    );
  });

  it("a difference stays a difference after the counts catch up; a side ahead is not equal", () => {
    const m = new SeqMatch();
    m.record.add("x");
    expect(m.equal).toBe(false);
    m.trace.add("y");
    m.trace.add("z");
    m.record.add("z");
    expect(m.equal).toBe(false);
    const n = new SeqMatch();
    n.trace.add("p");
    n.trace.add("q");
    n.record.add("p");
    expect(n.equal).toBe(false);
    n.record.add("q");
    expect(n.equal).toBe(true);
  });
});
