/**
 * `Kernel.sharedSlot(i)` (kernel/index.ts): the binding's cached slot image handed out without a
 * copy, deep-frozen, equal to `slot(i)`, and dropped by the same rule (`changedSlots`). Used by
 * sim/kernel-host.ts, which keeps images itself (issue 12 profile: a copy plus a freeze per read).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadKernel } from "./index.js";
import { kernelConfigFor } from "../sim/run.js";
import { getScenario } from "../scenarios/index.js";

let mod: Awaited<ReturnType<typeof loadKernel>>;
beforeAll(async () => {
  mod = await loadKernel();
});

describe("sharedSlot", () => {
  it("is deep-frozen, equals slot(), is the same object until the slot changes, and slot() still returns a mutable copy", () => {
    const k = mod.create(kernelConfigFor(getScenario("chaos")!));
    const a = k.sharedSlot(0);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.legs)).toBe(true);
    expect(a).toEqual(k.slot(0));
    expect(k.sharedSlot(0)).toBe(a);
    const copy = k.slot(0);
    expect(Object.isFrozen(copy)).toBe(false);
    copy.tradeId = "changed-by-reader";
    expect(k.sharedSlot(0).tradeId).toBe(a.tradeId);
    const out = k.processIntent({ intentId: "i1", tsUs: 1_000_000, slotId: 0, kind: "ENTER", tradeId: "t1", symbol: "FET-USDT", side: "LONG", quantity: "1000", orderType: "MARKET", leverage: 3, exitLegRatios: ["1"] });
    expect(out.changedSlots).toContain(0);
    const b = k.sharedSlot(0);
    expect(b).not.toBe(a);
    expect(b.stage).not.toBe(a.stage);
    expect(b).toEqual(k.slot(0));
    expect(() => k.sharedSlot(1.5)).toThrow(/INVALID_SLOT|slotId/);
    k.dispose();
  });
});

describe("sharedSlot after reconcile (Flaw 11, I14: reconcile keeps images by changedSlots)", () => {
  it("every image read after a reconcile equals the kernel's snapshot, an unlisted slot keeps its image, a listed one is re-read", () => {
    const k = mod.create(kernelConfigFor(getScenario("chaos")!));
    const sym = "FET-USDT";
    // Slot 0: a working entry order, 300 of 1000 filled; slot 1: idle.
    const enter = k.processIntent({ intentId: "r1", tsUs: 1_000_000, slotId: 0, kind: "ENTER", tradeId: "tr1", symbol: sym, side: "LONG", quantity: "1000", orderType: "MARKET", leverage: 3, exitLegRatios: ["1"] });
    const coid = enter.commands[0]!.clientOrderId;
    expect(k.onVenueEvent({ kind: "ORDER_ACK", eventId: "r-ack", tsUs: 1_000_001, symbol: sym, clientOrderId: coid, venueOrderId: "7001" }).accepted).toBe(true);
    expect(k.onVenueEvent({ kind: "PARTIAL_FILL", eventId: "r-f1", tsUs: 1_000_002, symbol: sym, clientOrderId: coid, venueOrderId: "7001", fillQty: "300", fillPrice: "0.2", feeUsdt: "0.03" }).accepted).toBe(true);
    const sameAsSnapshot = () => {
      const snap = k.snapshot().slots;
      for (let i = 0; i < snap.length; i++) expect(k.sharedSlot(i), `slot ${i}`).toEqual(snap[i]);
    };
    sameAsSnapshot();
    const idle = k.sharedSlot(1);
    const before0 = k.sharedSlot(0);
    // The venue agrees with the kernel: nothing to change, slot 1 is certainly not listed.
    const agree = k.reconcile({ tsUs: 1_000_010, positions: [{ symbol: sym, positionSide: "LONG", quantity: "300" }], orders: [{ symbol: sym, venueOrderId: "7001", clientOrderId: coid, status: "PARTIALLY_FILLED", executedQty: "300", avgPrice: "0.2" }] });
    expect(agree.changedSlots).not.toContain(1);
    expect(k.sharedSlot(1)).toBe(idle);
    sameAsSnapshot();
    // The venue says the order was cancelled after 300: slot 0 changes and must be re-read.
    const cancelled = k.reconcile({ tsUs: 1_000_020, positions: [{ symbol: sym, positionSide: "LONG", quantity: "300" }], orders: [{ symbol: sym, venueOrderId: "7001", clientOrderId: coid, status: "CANCELLED", executedQty: "300", avgPrice: "0.2" }] });
    expect(cancelled.changedSlots).toContain(0);
    expect(k.sharedSlot(0)).not.toBe(before0);
    expect(k.sharedSlot(1)).toBe(idle);
    sameAsSnapshot();
    // A refused reconcile (no changedSlots) drops every image: still equal to the snapshot.
    const refused = k.reconcile({ tsUs: 1_000_030, positions: [{ symbol: sym, positionSide: "LONG", quantity: "x" }], orders: [] });
    expect(refused.accepted).toBe(false);
    sameAsSnapshot();
    k.dispose();
  });
});
