/**
 * Runs without a trace hash (issue 12 speed: a chaos seed whose hash nobody reads). The recorder
 * made with `hash: false` has no digest and builds row text only for the kinds its tap reads; a
 * run made so keeps every verdict, invariant and expectation of the hashed run, says
 * `traceHash: null` and invariant 12 says "trace hash not computed" (never a made-up value).
 */
import { describe, expect, it } from "vitest";
import { TraceRecorder, type TraceKind } from "./trace.js";
import { runScenario } from "./run.js";
import { getScenario } from "../scenarios/index.js";

describe("trace without hash", () => {
  it("digest() throws, and the tap gets bodies of its kinds only (others undefined)", () => {
    const t = new TraceRecorder(false, undefined, false);
    const seen: [TraceKind, string | undefined][] = [];
    t.tap = (_seq, _tUs, kind, body) => seen.push([kind, body]);
    t.tapBodyWanted = (kind) => kind === "ledger";
    t.record(1, "ledger", { b: 1, a: 2 });
    t.record(2, "venue.ws", { x: 1 });
    t.record(3, "kernel.mark", '{"already":"text"}');
    expect(seen).toEqual([["ledger", '{"a":2,"b":1}'], ["venue.ws", undefined], ["kernel.mark", '{"already":"text"}']]);
    expect(t.count).toBe(3);
    expect(t.countOf("venue.ws")).toBe(1);
    expect(t.needsBody("venue.ws")).toBe(false);
    expect(t.needsBody("ledger")).toBe(true);
    expect(() => t.digest()).toThrow(/no trace hash was computed/);
    // A hashed recorder builds every row's text whatever its tap reads.
    const h = new TraceRecorder(false);
    expect(h.needsBody("venue.ws")).toBe(true);
  });

  it("hashTrace false: same verdicts, invariants, expectations, events and ledger as the hashed run; traceHash null and determinism says not computed", async () => {
    const s = getScenario("chaos")!;
    for (const seed of [3, 7]) {
      const hashed = await runScenario(s, { seed });
      const bare = await runScenario(s, { seed, hashTrace: false });
      expect(hashed.traceHash).toMatch(/^[0-9a-f]{64}$/);
      expect(bare.traceHash).toBeNull();
      expect(bare.ok).toBe(hashed.ok);
      expect(bare.events).toBe(hashed.events);
      expect(bare.ledger).toEqual(hashed.ledger);
      expect(bare.expectations).toEqual(hashed.expectations);
      const strip = (r: typeof hashed) => r.invariants.filter((i) => i.name !== "determinism");
      expect(strip(bare)).toEqual(strip(hashed));
      const det = bare.invariants.find((i) => i.name === "determinism")!;
      expect(det.status).toBe("not-checked");
      expect(det.detail).toMatch(/trace hash not computed/);
    }
  }, 120_000);

  it("a tally given only the bodies tallyReadsBody asks for folds the same digests, codes and problems as one given every body (chaos seeds 3, 7, 11)", async () => {
    const { executeOnce, sharedKernel } = await import("./run.js");
    const { TALLY_BODY_KINDS, TraceTally, tallyReadsBody } = await import("./trace-tally.js");
    const { drawFaultMix } = await import("./faults.js");
    const s = getScenario("chaos")!;
    const k = await sharedKernel();
    let skipped = 0;
    for (const seed of [3, 7, 11]) {
      const rows = executeOnce(s, seed, drawFaultMix(seed), k, true).trace.rows!;
      const full = new TraceTally();
      const lean = new TraceTally();
      for (const r of rows) {
        full.row(r.seq, r.tUs, r.kind, r.body);
        // The payload a row was recorded from has the same keys and values as its parsed text.
        const reads = tallyReadsBody(r.kind, JSON.parse(r.body));
        if (TALLY_BODY_KINDS.has(r.kind) && !reads) skipped++;
        lean.row(r.seq, r.tUs, r.kind, reads ? r.body : undefined);
      }
      for (const name of Object.keys(full.seqs) as (keyof typeof full.seqs)[]) {
        expect({ name, hex: lean.seqs[name].hex(), count: lean.seqs[name].count }).toEqual({ name, hex: full.seqs[name].hex(), count: full.seqs[name].count });
      }
      expect(lean.diagnostics()).toEqual(full.diagnostics());
      expect(lean.problems).toEqual([]);
      expect(full.problems).toEqual([]);
    }
    // The filter does drop rows (venue requests other than order POSTs, other checks, non-fill venue events).
    expect(skipped).toBeGreaterThan(100);
  }, 120_000);

  it("hashTrace false is refused with checkDeterminism or traceFile, naming the option", async () => {
    const s = getScenario("chaos")!;
    await expect(runScenario(s, { seed: 1, hashTrace: false, checkDeterminism: true })).rejects.toThrow(/hashTrace.*checkDeterminism/);
    await expect(runScenario(s, { seed: 1, hashTrace: false, traceFile: "/nonexistent/t.arrow" })).rejects.toThrow(/hashTrace.*traceFile/);
  });
});
