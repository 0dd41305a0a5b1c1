/** replay/memory.ts: the forced-GC pacer of long replays runs at the row interval it states. */
import { describe, expect, it } from "vitest";
import { GC_EVERY_ROWS, GcPacer, fullGc } from "./memory.js";

describe("GcPacer (flat memory on long replays)", () => {
  it("a V8 gc function is obtained at run time, and the pacer collects once per GC_EVERY_ROWS rows", () => {
    expect(typeof fullGc()).toBe("function");
    const p = new GcPacer();
    p.tick(GC_EVERY_ROWS - 1);
    expect(p.count).toBe(0);
    p.tick(GC_EVERY_ROWS);
    expect(p.count).toBe(1);
    p.tick(GC_EVERY_ROWS + 10);
    expect(p.count).toBe(1);
    p.tick(3 * GC_EVERY_ROWS);
    expect(p.count).toBe(2);
  });
});
