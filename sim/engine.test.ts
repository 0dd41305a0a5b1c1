import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeVector, Table, tableFromIPC, tableToIPC, Utf8, vectorFromArray } from "apache-arrow";
import { EventQueue } from "./queue.js";
import { VirtualClock } from "./clock.js";
import { RngStreams } from "./rng.js";
import { createPriceSource } from "./market.js";
import { FaultInjector, drawFaultMix } from "./faults.js";
import { TraceRecorder, hashRows, writeTraceArrow } from "./trace.js";
import { FET_CONTRACT, FET_PATH } from "./fixtures/fet-incident.js";
import type { MarketTick } from "../venues/venue.js";

describe("clock and queue", () => {
  it("orders by (time, sequence): ties come out in scheduling order", () => {
    const q = new EventQueue<string>();
    q.push(5, "a");
    q.push(3, "b");
    q.push(5, "c");
    q.push(3, "d");
    q.push(0, "e");
    const out: string[] = [];
    for (let e = q.pop(); e; e = q.pop()) out.push(e.item);
    expect(out).toEqual(["e", "b", "d", "a", "c"]);
  });
  it("heap order holds for many random pushes", () => {
    const r = new RngStreams(1).stream("q");
    const q = new EventQueue<number>();
    for (let i = 0; i < 2000; i++) q.push(r.int(0, 50), i);
    let last = { t: -1, s: -1 };
    for (let e = q.pop(); e; e = q.pop()) {
      expect(e.tUs > last.t || (e.tUs === last.t && e.seq > last.s)).toBe(true);
      last = { t: e.tUs, s: e.seq };
    }
  });
  it("interleaved pushes and pops give the same order as a sorted list of (time, sequence)", () => {
    const r = new RngStreams(3).stream("q2");
    const q = new EventQueue<number>();
    const ref: { tUs: number; seq: number }[] = [];
    let now = 0;
    for (let i = 0; i < 5000; i++) {
      if (ref.length > 0 && r.int(0, 2) === 0) {
        const e = q.pop()!;
        ref.sort((a, b) => a.tUs - b.tUs || a.seq - b.seq);
        const want = ref.shift()!;
        expect([e.tUs, e.seq]).toEqual([want.tUs, want.seq]);
        now = e.tUs;
      } else {
        const tUs = now + r.int(0, 30);
        ref.push({ tUs, seq: q.push(tUs, i) });
      }
    }
    expect(q.size).toBe(ref.length);
  });
  it("refuses non-integer times and backward clock steps", () => {
    const q = new EventQueue<number>();
    expect(() => q.push(1.5, 0)).toThrow(/tUs/);
    const c = new VirtualClock(10);
    c.advanceTo(12);
    expect(() => c.advanceTo(11)).toThrow(/before the current time/);
    expect(c.nowUs).toBe(12);
  });
});

describe("seeded RNG streams", () => {
  it("same seed and name → same draws; streams are independent of each other", () => {
    const a = new RngStreams(7);
    const b = new RngStreams(7);
    b.stream("other").uniform(); // touching another stream must not perturb "x"
    const xa = [1, 2, 3].map(() => a.stream("x").uniform());
    const xb = [1, 2, 3].map(() => b.stream("x").uniform());
    expect(xa).toEqual(xb);
    expect(new RngStreams(8).stream("x").uniform()).not.toEqual(xa[0]);
  });
  it("lognormal by (median, p99) has about that median and p99", () => {
    const r = new RngStreams(3).stream("ln");
    const xs = Array.from({ length: 20000 }, () => r.lognormal(1000, 10000)).sort((p, q) => p - q);
    expect(xs[10000]).toBeGreaterThan(900);
    expect(xs[10000]).toBeLessThan(1100);
    expect(xs[19800]).toBeGreaterThan(8000);
    expect(xs[19800]).toBeLessThan(12500);
  });
  it("poisson mean, int bounds, shuffle is a permutation", () => {
    const r = new RngStreams(4).stream("p");
    const mean = Array.from({ length: 5000 }, () => r.poisson(3)).reduce((s, x) => s + x, 0) / 5000;
    expect(mean).toBeGreaterThan(2.85);
    expect(mean).toBeLessThan(3.15);
    for (let i = 0; i < 100; i++) {
      const k = r.int(2, 4);
      expect(k >= 2 && k <= 4).toBe(true);
    }
    expect(r.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(() => r.chance(1.5)).toThrow(/probability/);
  });
});

function drain(src: { next(): MarketTick | undefined }): MarketTick[] {
  const out: MarketTick[] = [];
  for (let t = src.next(); t; t = src.next()) out.push(t);
  return out;
}

describe("market data", () => {
  it("FET incident fixture: 0.1878 → 0.1866, tick aligned", () => {
    const ticks = drain(createPriceSource(FET_PATH, [FET_CONTRACT], new RngStreams(1), 0, Number.MAX_SAFE_INTEGER));
    expect(ticks[0].priceUsdt).toBe("0.1878");
    expect(ticks[ticks.length - 1].priceUsdt).toBe("0.1866");
  });
  it("GBM: seeded, tick-size aligned, per-symbol stream", () => {
    const path = { kind: "gbm" as const, symbol: "FET-USDT", startPriceUsdt: "0.1878", volatility: 0.9, jumpsPerDay: 5, jumpStdev: 0.02, stepUs: 1_000_000 };
    const a = drain(createPriceSource(path, [FET_CONTRACT], new RngStreams(9), 0, 3_600_000_000));
    const b = drain(createPriceSource(path, [FET_CONTRACT], new RngStreams(9), 0, 3_600_000_000));
    const c = drain(createPriceSource(path, [FET_CONTRACT], new RngStreams(10), 0, 3_600_000_000));
    expect(a.length).toBe(3601);
    expect(a).toEqual(b);
    expect(a.map((t) => t.priceUsdt)).not.toEqual(c.map((t) => t.priceUsdt));
    for (const t of a) expect(t.priceUsdt).toMatch(/^\d+\.\d{4}$/);
    expect(new Set(a.map((t) => t.priceUsdt)).size).toBeGreaterThan(20);
  });
  it("reads a recorded Arrow IPC series (ts_us int64, symbol utf8, price utf8), sorted, other symbols ignored", () => {
    const dir = mkdtempSync(join(tmpdir(), "dita-market-"));
    const file = join(dir, "fet.arrow");
    const table = new Table({
      ts_us: makeVector(BigInt64Array.from([3n, 1n, 2n])),
      symbol: vectorFromArray(["FET-USDT", "FET-USDT", "BTC-USDT"], new Utf8()),
      price: vectorFromArray(["0.1866", "0.1878", "65000.1"], new Utf8()),
    });
    writeFileSync(file, tableToIPC(table, "file"));
    const ticks = drain(createPriceSource({ kind: "arrow", symbol: "FET-USDT", file }, [FET_CONTRACT], new RngStreams(1), 0, 100));
    expect(ticks).toEqual([
      { tsUs: 1, symbol: "FET-USDT", priceUsdt: "0.1878" },
      { tsUs: 3, symbol: "FET-USDT", priceUsdt: "0.1866" },
    ]);
  });
  it("bad input names the field: unknown symbol, unaligned price", () => {
    expect(() => createPriceSource({ ...FET_PATH, symbol: "XYZ-USDT" }, [FET_CONTRACT], new RngStreams(1), 0, 1)).toThrow(/XYZ-USDT/);
    expect(() =>
      createPriceSource({ kind: "points", symbol: "FET-USDT", points: [{ tUs: 0, priceUsdt: "0.18781" }] }, [FET_CONTRACT], new RngStreams(1), 0, 1),
    ).toThrow(/points\[0\]\.priceUsdt/);
  });
});

describe("faults", () => {
  it("each fault draws from its own stream: switching one on does not perturb another", () => {
    const loss = (extra: object) => {
      const f = new FaultInjector({ wsLoss: 0.3, ...extra }, new RngStreams(5), 0, 3_600_000_000);
      return Array.from({ length: 200 }, (_, i) => f.wsPlan(i, "x").delaysUs.length === 0);
    };
    expect(loss({})).toEqual(loss({ restLoss: 0.5, staleSnapshot: 0.2 }));
  });
  it("heal() turns every fault off", () => {
    const f = new FaultInjector({ wsLoss: 1, restLoss: 1, outage: { probability: 1, durationUs: 10_000_000 } }, new RngStreams(5), 0, 3_600_000_000);
    expect(f.wsPlan(0, "x").delaysUs).toEqual([]);
    expect(f.outages.length).toBeGreaterThan(0);
    expect(f.inOutage(f.outages[0].startUs)).toBe(true);
    f.heal();
    expect(f.wsPlan(1, "x").delaysUs.length).toBe(1);
    expect(f.restResponseLost(1, "x")).toBe(false);
    expect(f.inOutage(f.outages[0].startUs)).toBe(false);
  });
  it("a bad profile names the field and builds nothing", () => {
    expect(() => new FaultInjector({ wsLoss: 2 }, new RngStreams(1), 0, 1)).toThrow(/faults\.wsLoss/);
    expect(() => new FaultInjector({ restLatencyUs: { medianUs: 10, p99Us: 5 } }, new RngStreams(1), 0, 1)).toThrow(/p99Us/);
    expect(() => new FaultInjector({ restartOnStage: [{ slotId: 0, stage: "NOPE" }] }, new RngStreams(1), 0, 1)).toThrow(/restartOnStage\[0\]\.stage/);
  });
  it("swarm: drawFaultMix is a function of the seed, within the bounds (loss ≤ 30 %, duplicates ≤ 50 %)", () => {
    expect(drawFaultMix(11)).toEqual(drawFaultMix(11));
    const mixes = Array.from({ length: 200 }, (_, i) => drawFaultMix(i));
    expect(new Set(mixes.map((m) => JSON.stringify(m))).size).toBeGreaterThan(150);
    for (const m of mixes) {
      expect(m.wsLoss ?? 0).toBeLessThanOrEqual(0.3);
      expect(m.restLoss ?? 0).toBeLessThanOrEqual(0.3);
      expect(m.wsDuplicate ?? 0).toBeLessThanOrEqual(0.5);
    }
  });
});

describe("trace", () => {
  it("hash is over the canonical rows; Arrow IPC file round-trips with the documented schema", () => {
    const t = new TraceRecorder(true);
    t.record(1, "intent", { b: 1, a: "x" });
    t.record(2, "fault", { fault: "wsLoss" });
    const t2 = new TraceRecorder(false);
    t2.record(1, "intent", { a: "x", b: 1 }); // key order does not matter
    t2.record(2, "fault", { fault: "wsLoss" });
    expect(t.digest()).toBe(t2.digest());
    expect(hashRows(t.rows ?? [])).toBe(t.digest());
    const t3 = new TraceRecorder(false);
    t3.record(1, "intent", { a: "y", b: 1 });
    expect(t3.digest()).not.toBe(t.digest());
    const dir = mkdtempSync(join(tmpdir(), "dita-trace-"));
    const file = join(dir, "trace.arrow");
    writeTraceArrow(file, t.rows ?? []);
    const read = tableFromIPC(readFileSync(file));
    expect(read.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(["seq:Int64", "t_us:Int64", "kind:Utf8", "body:Utf8"]);
    expect(read.numRows).toBe(2);
    expect(read.getChild("body")?.get(0)).toBe('{"a":"x","b":1}');
    expect(Number(read.getChild("t_us")?.get(1))).toBe(2);
  });
});
