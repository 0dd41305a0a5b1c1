/**
 * `Kernel.slotHead(i)` (kernel/index.ts, binary slot head, kernel/src/typed.rs
 * `encode_slot_head`): the fields of slot i's image that the simulator's fill fingerprints and
 * slot heads read (sim/kernel-feed.ts headFingerprint, sim/kernel-host.ts), read without the
 * image. Every value must equal the image's own (typed.ts `slotHeadOf`), exact decimal text
 * included, in every stage the simulator reaches (chaos runs below), and the head is dropped by
 * the images' rule (`changedSlots`).
 *
 * `Kernel.slotOrders(i)` (binary order view, `encode_slot_orders`): the fields the venue
 * connector reads (venues/connector/ports.ts SlotOrders), by the same rules against typed.ts
 * `slotOrdersOf`.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadKernel, type Kernel, type KernelModule } from "./index.js";
import { slotHeadOf, slotOrdersOf, type SlotHeadImage, type SlotOrdersImage } from "./typed.js";
import { kernelConfigFor, runScenario } from "../sim/run.js";
import { getScenario } from "../scenarios/index.js";

let mod: KernelModule;
beforeAll(async () => {
  mod = await loadKernel();
});

const sym = "FET-USDT";

/** `k[view](bad)` throws what `k.slot(bad)` throws (same code and message) for each bad index. */
function refusesLikeSlot(view: "slotHead" | "slotOrders"): void {
  const k = mod.create(kernelConfigFor(getScenario("chaos")!));
  const thrown = (f: () => unknown): unknown => {
    try {
      f();
    } catch (e) {
      return e;
    }
    return undefined;
  };
  for (const bad of [1.5, -1, 4096, 2 ** 32, Number.NaN]) {
    const a = thrown(() => k.slot(bad));
    expect(a, `slot(${bad})`).toBeDefined();
    expect(thrown(() => k[view](bad)), `${view}(${bad})`).toMatchObject({ code: (a as { code: string }).code, message: (a as Error).message });
  }
  k.dispose();
}

/**
 * A kernel module whose kernels check every `view(i)` the simulator reads against `reference(slot(i))`
 * (toStrictEqual) and hand each checked view to `saw`.
 */
function checkingModule<V>(view: "slotHead" | "slotOrders", reference: (k: Kernel, i: number) => V, saw: (v: V) => void): KernelModule {
  return {
    manifest: mod.manifest,
    benchStream: (...a) => mod.benchStream(...a),
    create(config, opts) {
      const k: Kernel = mod.create(config, opts);
      const read = (k[view] as (i: number) => V).bind(k);
      (k as unknown as Record<string, (i: number) => V>)[view] = (i: number): V => {
        const v = read(i);
        expect(v).toStrictEqual(reference(k, i));
        saw(v);
        return v;
      };
      return k;
    },
  };
}

describe("slotHead", () => {
  it("equals the image's fields through an entry, fills, an exit with legs, and is frozen and cached until the slot changes", () => {
    const k = mod.create(kernelConfigFor(getScenario("chaos")!));
    const same = (i: number) => expect(k.slotHead(i)).toStrictEqual(slotHeadOf(k.slot(i)));
    same(0);
    const h0 = k.slotHead(0);
    expect(Object.isFrozen(h0)).toBe(true);
    expect(k.slotHead(0)).toBe(h0);
    const out = k.processIntent({ intentId: "i1", tsUs: 1_000_000, slotId: 0, kind: "ENTER", tradeId: "t1", symbol: sym, side: "SHORT", quantity: "1000", orderType: "MARKET", leverage: 3, exitLegRatios: ["0.5", "0.5"] });
    expect(out.changedSlots).toContain(0);
    expect(k.slotHead(0)).not.toBe(h0);
    same(0);
    const coid = k.slot(0).entryOrder!.clientOrderId;
    k.onVenueEvent({ kind: "ORDER_ACK", eventId: "a1", tsUs: 1_000_001, symbol: sym, clientOrderId: coid, venueOrderId: "v1" });
    same(0);
    k.onVenueEvent({ kind: "PARTIAL_FILL", eventId: "f1", tsUs: 1_000_002, symbol: sym, venueOrderId: "v1", fillQty: "400", fillPrice: "0.18780", feeUsdt: "0.03" });
    const h = k.slotHead(0);
    expect(h.entryFilledQty).toBe("400");
    expect(h.side).toBe("SHORT");
    same(0);
    k.onVenueEvent({ kind: "FULL_FILL", eventId: "f2", tsUs: 1_000_003, symbol: sym, venueOrderId: "v1", fillQty: "600", fillPrice: "0.1879", feeUsdt: "0.04" });
    same(0);
    expect(k.slotHead(0).stage).toBe("POSITION_OPEN");
    k.markPrice({ tsUs: 1_000_004, symbol: sym, markPrice: "0.1800" });
    same(0);
    const ex = k.processIntent({ intentId: "i2", tsUs: 1_000_005, slotId: 0, kind: "EXIT", orderType: "MARKET" });
    expect(`${ex.code} ${ex.message}`).toMatch(/^OK /);
    same(0);
    const xcoid = k.slot(0).exitOrder!.clientOrderId;
    k.onVenueEvent({ kind: "ORDER_ACK", eventId: "a2", tsUs: 1_000_006, symbol: sym, clientOrderId: xcoid, venueOrderId: "v2" });
    k.onVenueEvent({ kind: "PARTIAL_FILL", eventId: "f3", tsUs: 1_000_007, symbol: sym, venueOrderId: "v2", fillQty: "100", fillPrice: "0.1801", feeUsdt: "0.01" });
    expect(k.slotHead(0).exitFilledQty).toBe("100");
    same(0);
    for (let i = 0; i < 4; i++) same(i);
    k.dispose();
  });

  it("refuses what slot() refuses, with the same KernelError", () => refusesLikeSlot("slotHead"));

  it("equals slotHeadOf(slot(i)) at every read of chaos runs (every stage, legs, unconfirmed fees, restarts)", async () => {
    let checked = 0;
    const seen = { stages: new Set<string>(), legs: 0, feeUnconfirmed: 0, exitFilled: 0, short: 0 };
    const checking = checkingModule<SlotHeadImage>("slotHead", (k, i) => slotHeadOf(k.slot(i)), (h) => {
      checked++;
      seen.stages.add(h.stage);
      if (h.legCount > 0) seen.legs++;
      if (h.feeUnconfirmedCount > 0) seen.feeUnconfirmed++;
      if (h.exitFilledQty !== undefined) seen.exitFilled++;
      if (h.side === "SHORT") seen.short++;
    });
    for (const seed of [1, 2, 3, 4, 5, 6]) await runScenario(getScenario("chaos")!, { seed, kernelModule: checking, hashTrace: false });
    expect(checked).toBeGreaterThan(1000);
    expect([...seen.stages].sort()).toEqual(expect.arrayContaining(["CLOSED", "ENTRY_WORKING", "EXIT_WORKING", "IDLE", "POSITION_OPEN"]));
    expect(seen.legs).toBeGreaterThan(0);
    expect(seen.exitFilled).toBeGreaterThan(0);
    expect(seen.short).toBeGreaterThan(0);
    expect(seen.feeUnconfirmed).toBeGreaterThan(0);
  }, 120_000);
});

describe("slotOrders", () => {
  it("equals the image's order fields through an entry, a LIMIT exit and fee-unconfirmed orders carried across a re-entry (I10, chaos seed 10010), and is frozen and cached until the slot changes", () => {
    const k = mod.create(kernelConfigFor(getScenario("chaos")!));
    const same = (i: number) => expect(k.slotOrders(i)).toStrictEqual(slotOrdersOf(k.slot(i)));
    same(0);
    const v0 = k.slotOrders(0);
    expect(Object.isFrozen(v0)).toBe(true);
    expect(Object.isFrozen(v0.feeUnconfirmedOrders)).toBe(true);
    expect(k.slotOrders(0)).toBe(v0);
    k.processIntent({ intentId: "i1", tsUs: 1_000_000, slotId: 0, kind: "ENTER", tradeId: "t1", symbol: sym, side: "LONG", quantity: "1000", orderType: "MARKET", leverage: 3 });
    expect(k.slotOrders(0)).not.toBe(v0);
    const coid = k.slot(0).entryOrder!.clientOrderId;
    expect(k.slotOrders(0).entryOrder).toStrictEqual({ clientOrderId: coid, orderType: "MARKET" });
    k.onVenueEvent({ kind: "ORDER_ACK", eventId: "a1", tsUs: 1_000_001, symbol: sym, clientOrderId: coid, venueOrderId: "v1" });
    expect(k.slotOrders(0).entryOrder).toStrictEqual({ clientOrderId: coid, venueOrderId: "v1", orderType: "MARKET" });
    k.onVenueEvent({ kind: "FULL_FILL", eventId: "f1", tsUs: 1_000_002, symbol: sym, venueOrderId: "v1", fillQty: "1000", fillPrice: "0.1878" });
    same(0);
    const ex = k.processIntent({ intentId: "i2", tsUs: 1_000_003, slotId: 0, kind: "EXIT", orderType: "LIMIT", limitPrice: "0.1990" });
    expect(`${ex.code} ${ex.message}`).toMatch(/^OK /);
    expect(k.slotOrders(0).exitOrder?.orderType).toBe("LIMIT");
    same(0);
    const xcoid = k.slot(0).exitOrder!.clientOrderId;
    k.onVenueEvent({ kind: "ORDER_ACK", eventId: "a2", tsUs: 1_000_004, symbol: sym, clientOrderId: xcoid, venueOrderId: "v2" });
    k.onVenueEvent({ kind: "FULL_FILL", eventId: "f2", tsUs: 1_000_005, symbol: sym, venueOrderId: "v2", fillQty: "1000", fillPrice: "0.1990" });
    const closed = k.slotOrders(0);
    expect(closed.stage).toBe("CLOSED");
    // both orders finished with fills whose fee no event carried: listed until the venue confirms it
    expect(closed.feeUnconfirmedOrders.map((f) => f.clientOrderId)).toEqual([coid, xcoid]);
    expect(closed.feeUnconfirmedOrders[0]).toStrictEqual({ symbol: sym, clientOrderId: coid, venueOrderId: "v1" });
    same(0);
    // a re-entry archives the trade; its unconfirmed fee references move to the new trade
    k.processIntent({ intentId: "i3", tsUs: 1_000_006, slotId: 0, kind: "ENTER", tradeId: "t2", symbol: sym, side: "SHORT", quantity: "10", orderType: "MARKET", leverage: 1 });
    expect(k.slotOrders(0).feeUnconfirmedOrders.length).toBe(2);
    same(0);
    for (let i = 0; i < 4; i++) same(i);
    k.dispose();
  });

  it("refuses what slot() refuses, with the same KernelError", () => refusesLikeSlot("slotOrders"));

  it("equals slotOrdersOf(slot(i)) at every read of chaos runs (working orders with and without venue ids, unconfirmed fees, restarts)", async () => {
    let checked = 0;
    const seen = { stages: new Set<string>(), entry: 0, exit: 0, withVenueId: 0, withoutVenueId: 0, feeUnconfirmed: 0 };
    const checking = checkingModule<SlotOrdersImage>("slotOrders", (k, i) => slotOrdersOf(k.slot(i)), (v) => {
      checked++;
      seen.stages.add(v.stage);
      for (const o of [v.entryOrder, v.exitOrder]) if (o) o.venueOrderId === undefined ? seen.withoutVenueId++ : seen.withVenueId++;
      if (v.entryOrder) seen.entry++;
      if (v.exitOrder) seen.exit++;
      if (v.feeUnconfirmedOrders.length > 0) seen.feeUnconfirmed++;
    });
    for (const seed of [1, 2, 3, 4, 5, 6]) await runScenario(getScenario("chaos")!, { seed, kernelModule: checking, hashTrace: false });
    expect(checked).toBeGreaterThan(500);
    expect([...seen.stages].sort()).toEqual(expect.arrayContaining(["ENTRY_WORKING", "EXIT_WORKING", "POSITION_OPEN"]));
    expect(seen.entry).toBeGreaterThan(0);
    expect(seen.exit).toBeGreaterThan(0);
    expect(seen.withVenueId).toBeGreaterThan(0);
    expect(seen.withoutVenueId).toBeGreaterThan(0);
    expect(seen.feeUnconfirmed).toBeGreaterThan(0);
  }, 120_000);
});
