/**
 * Streaming trace (issue 12): rows flushed to the Arrow IPC file as record batches while the
 * run goes; the file reads back as exactly the recorded rows, in order, across several batches,
 * and the trace hash is the hash of those rows.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromIPC } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { ArrowTraceStream, TRACE_BATCH_ROWS, TraceRecorder, hashRows, type TraceRow } from "./trace.js";

describe("ArrowTraceStream", () => {
  it("writes 2.5 batches of rows as several record batches that read back equal, and the digest is their hash", () => {
    const file = join(mkdtempSync(join(tmpdir(), "dita-trace-")), "t.arrow");
    const n = Math.floor(TRACE_BATCH_ROWS * 2.5);
    const kept = new TraceRecorder(true);
    const streamed = new TraceRecorder(false, new ArrowTraceStream(file));
    for (let i = 0; i < n; i++) {
      const payload = { i, note: i % 7 === 0 ? "ünïcödé ✓" : "x", nested: { b: 1, a: [i, null] } };
      kept.record(1_000_000 + i, i % 2 ? "market" : "check", payload);
      streamed.record(1_000_000 + i, i % 2 ? "market" : "check", payload);
    }
    streamed.close();
    streamed.close(); // idempotent
    const table = tableFromIPC(readFileSync(file));
    expect(table.batches.length).toBe(3);
    expect(table.numRows).toBe(n);
    const rows: TraceRow[] = [];
    for (let i = 0; i < table.numRows; i++) {
      const r = table.get(i)!;
      rows.push({ seq: Number(r.seq), tUs: Number(r.t_us), kind: r.kind, body: r.body });
    }
    expect(rows).toEqual(kept.rows);
    expect(hashRows(rows)).toBe(streamed.digest());
    expect(streamed.digest()).toBe(kept.digest());
    expect(() => streamed.record(0, "check", {})).toThrow(/after the trace was closed/);
  });
});

describe("hot-path row bodies", () => {
  it("marketRowBody / markRowBody equal canonicalJson of the same object (any strings, any µs time)", async () => {
    const fc = (await import("fast-check")).default;
    const { canonicalJson, marketRowBody, markRowBody } = await import("./trace.js");
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.nat({ max: Number.MAX_SAFE_INTEGER }), (symbol, price, tUs) => {
        expect(marketRowBody(tUs, symbol, price)).toBe(canonicalJson({ tsUs: tUs, symbol, priceUsdt: price }));
        expect(markRowBody(tUs, symbol, price)).toBe(canonicalJson({ tsUs: tUs, symbol, markPrice: price }));
      }),
      { numRuns: 500 },
    );
  });
});

describe("canonicalJson (issue 12: written directly, no sorted copy)", () => {
  it("equals JSON.stringify of the recursively key-sorted value for any value (index-like keys, holes, Maps, Dates, boxed values, undefined)", async () => {
    const fc = (await import("fast-check")).default;
    const { canonicalJson, canonicalJsonReference } = await import("./trace.js");
    const key = fc.oneof(fc.string(), fc.nat().map(String), fc.constantFrom("0", "01", "10", "9", "4294967294", "4294967295", "-1", "1.5", "a", "B", "ä"));
    fc.assert(
      fc.property(
        fc.anything({ key, maxDepth: 4, withSparseArray: true, withNullPrototype: true, withMap: true, withSet: true, withBoxedValues: true, withDate: true, withTypedArray: true, withUnicodeString: true }),
        (v) => {
          expect(canonicalJson(v)).toBe(canonicalJsonReference(v));
        },
      ),
      { numRuns: 3000 },
    );
    expect(canonicalJson({ b: [1, undefined, () => 1], a: { "10": 1, "9": 2, z: undefined, f: () => 0 } })).toBe('{"a":{"9":2,"10":1},"b":[1,null,null]}');
    expect(canonicalJson(undefined)).toBe(undefined);
    expect(() => canonicalJson({ a: 1n })).toThrow(TypeError);
    // An own "__proto__" key (as JSON.parse makes) is written like any key, by both.
    const proto = JSON.parse('{"b":1,"__proto__":{"x":"y"},"a":[1]}');
    expect(canonicalJson(proto)).toBe('{"__proto__":{"x":"y"},"a":[1],"b":1}');
    expect(canonicalJsonReference(proto)).toBe(canonicalJson(proto));
  });

  it("sorts index keys before keys that sort below digits in code units (' ', '!', '$'), whatever the insertion order", async () => {
    const { canonicalJson, canonicalJsonReference } = await import("./trace.js");
    const keys = ["!", "9", " ", "10", "$a", "0", "9x", "/", ":", "1.5", "01", "4294967295"];
    for (let r = 0; r < keys.length; r++) {
      const order = [...keys.slice(r), ...keys.slice(0, r)];
      const o = Object.fromEntries(order.map((k, i) => [k, i % 2 ? "s" : i]));
      expect(canonicalJson(o)).toBe(canonicalJsonReference(o));
      expect(canonicalJson(o).startsWith('{"0":')).toBe(true);
    }
  });

  it("objects whose key lists share a first key, a length or a prefix each get their own key order (shape cache), past the cache's bound too", async () => {
    const fc = (await import("fast-check")).default;
    const { canonicalJson, canonicalJsonReference } = await import("./trace.js");
    // One first key, many key lists: permutations of the rest, shorter and longer lists, index keys.
    const rest = ["z", "b", "10", "a", "9", "m", "!"];
    const seen: string[] = [];
    for (let n = 0; n <= rest.length; n++) {
      for (let r = 0; r < rest.length; r++) {
        const keys = ["k", ...[...rest.slice(r), ...rest.slice(0, r)].slice(0, n)];
        const o: Record<string, unknown> = {};
        keys.forEach((k, i) => (o[k] = i % 3 === 0 ? i : `v${i}`));
        const text = canonicalJson(o);
        expect(text).toBe(canonicalJsonReference(o));
        seen.push(text);
      }
    }
    // Encoding them all again (now from the cache, or past its bound) gives the same texts.
    let j = 0;
    for (let n = 0; n <= rest.length; n++) {
      for (let r = 0; r < rest.length; r++) {
        const keys = ["k", ...[...rest.slice(r), ...rest.slice(0, r)].slice(0, n)];
        const o: Record<string, unknown> = {};
        keys.forEach((k, i) => (o[k] = i % 3 === 0 ? i : `v${i}`));
        expect(canonicalJson(o)).toBe(seen[j++]);
      }
    }
    // Random key lists drawn from a small vocabulary repeat shapes often.
    const key = fc.constantFrom("a", "b", "c", "0", "7", "12", "k", "Z", "");
    fc.assert(
      fc.property(fc.array(fc.dictionary(key, fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.constant(undefined))), { maxLength: 20 }), (objs) => {
        for (const o of objs) expect(canonicalJson(o)).toBe(canonicalJsonReference(o));
      }),
      { numRuns: 500 },
    );
  });

  it("escapes strings and keys exactly as JSON.stringify does (quotes, backslashes, control characters, lone and paired surrogates)", async () => {
    const fc = (await import("fast-check")).default;
    const { canonicalJson, canonicalJsonReference } = await import("./trace.js");
    const awkward = ['a"b', "a\\b", "\u0000", "\n\t\u001f", "\u007f", "\ud800", "x\udfffy", "\ud83d\ude00", "", "ä€"];
    for (const s of awkward) {
      expect(canonicalJson(s)).toBe(JSON.stringify(s));
      expect(canonicalJson({ [s]: s, z: [s] })).toBe(canonicalJsonReference({ [s]: s, z: [s] }));
    }
    const unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    const text = fc.array(unit, { maxLength: 8 }).map((a) => a.join(""));
    fc.assert(
      fc.property(fc.dictionary(text, text), (o) => {
        expect(canonicalJson(o)).toBe(canonicalJsonReference(o));
      }),
      { numRuns: 2000 },
    );
  });
});
