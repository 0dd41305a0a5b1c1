/**
 * Instance reuse (kernel/index.ts InstancePool): a disposed kernel's WebAssembly instance serves
 * the next `create` of its module, and behaves exactly as a new instance; an instance that trapped
 * is never reused (issue 12, chaos restarts).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { InstancePool, guardedInstance, loadKernel, type KernelModule } from "./index.js";
import type { KernelConfig } from "./types.js";

let mod: KernelModule;
beforeAll(async () => {
  mod = await loadKernel();
});

const CFG: KernelConfig = { slotCount: 4, initialCapitalUsdt: "10000", instruments: [{ symbol: "FET-USDT", tickSize: "0.0001", stepSize: "1" }] } as KernelConfig;

/** One trade's inputs on slot `slotId` (ENTER, ACK, a partial fill, a mark), trade `t`. */
function trade(k: ReturnType<KernelModule["create"]>, t: number, slotId = 0): void {
  const sym = "FET-USDT";
  const o = k.processIntent({ kind: "ENTER", intentId: `i${t}`, tsUs: 1_000 * t, slotId, tradeId: `t${t}`, symbol: sym, side: "LONG", quantity: "1000", orderType: "MARKET", leverage: 2, exitLegRatios: ["1"] });
  expect(o.accepted, o.message).toBe(true);
  const coid = o.commands[0]!.clientOrderId;
  expect(k.onVenueEvent({ kind: "ORDER_ACK", eventId: `a${t}`, tsUs: 1_000 * t + 1, symbol: sym, clientOrderId: coid, venueOrderId: `${900 + t}` }).accepted).toBe(true);
  expect(k.onVenueEvent({ kind: "PARTIAL_FILL", eventId: `f${t}`, tsUs: 1_000 * t + 2, symbol: sym, clientOrderId: coid, venueOrderId: `${900 + t}`, fillQty: "400", fillPrice: "0.2", feeUsdt: "0.04" }).accepted).toBe(true);
  k.markPrice({ tsUs: 1_000 * t + 3, symbol: sym, markPrice: "0.21" });
}

describe("kernel instance reuse (InstancePool)", () => {
  it("a kernel created on a disposed kernel's instance answers and saves exactly as one on a new instance", () => {
    const { config, records } = mod.benchStream(30_000, 7, 4);
    const used = mod.create(config);
    const initial = used.memoryBytes();
    expect(used.processBatch(records).count).toBeGreaterThan(0);
    const grown = used.memoryBytes();
    expect(grown).toBeGreaterThan(initial);
    used.dispose();
    const reused = mod.create(config); // the pool's idle instance: its memory is the one `used` grew
    expect(reused.memoryBytes()).toBe(grown);
    const reference = mod.create(config); // no idle instance left: a new one
    expect(reference.memoryBytes()).toBe(initial);
    const a = reused.processBatch(records);
    const b = reference.processBatch(records);
    expect(Buffer.from(a.raw).equals(Buffer.from(b.raw))).toBe(true);
    expect(reused.saveState()).toBe(reference.saveState());
    expect(reused.stateDigest()).toBe(reference.stateDigest());
    reused.dispose();
    reference.dispose();
  });

  it("a refused config leaves the instance reusable, and the next kernel starts empty", () => {
    const k = mod.create(CFG);
    trade(k, 1);
    k.dispose();
    expect(() => mod.create({ ...CFG, slotCount: 0 } as KernelConfig)).toThrow(/slotCount/);
    const next = mod.create(CFG);
    expect(next.snapshot().slots.every((s) => s.stage === "IDLE")).toBe(true);
    expect(next.ledger().tradeSeq).toBe(0);
    next.dispose();
  });

  it("an instance whose export trapped is marked and never taken back", () => {
    // A module exporting `memory` and `boom`, whose body is `unreachable` (a trap, as a Rust panic under panic = "abort").
    const wasm = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
      0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type: () -> i32
      0x03, 0x02, 0x01, 0x00, // function 0 of type 0
      0x05, 0x03, 0x01, 0x00, 0x01, // memory: min 1 page
      0x07, 0x11, 0x02, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x04, 0x62, 0x6f, 0x6f, 0x6d, 0x00, 0x00, // exports memory, boom
      0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b, // code: unreachable, end
    ]);
    const module = new WebAssembly.Module(wasm);
    const pool = new InstancePool(module);
    const ex = pool.take();
    expect(ex.trapped).toBe(false);
    expect(() => (ex as unknown as { boom(): number }).boom()).toThrow(WebAssembly.RuntimeError);
    expect(ex.trapped).toBe(true);
    pool.give(ex);
    expect(pool.take()).not.toBe(ex);
    const clean = guardedInstance(module);
    pool.give(clean);
    expect(pool.take()).toBe(clean);
  });
});
