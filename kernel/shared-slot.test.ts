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
