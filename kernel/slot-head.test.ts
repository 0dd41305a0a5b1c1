/**
 * `Kernel.slotHead(i)` (kernel/index.ts, binary slot head, kernel/src/typed.rs
 * `encode_slot_head`): the fields of slot i's image that the simulator's fill fingerprints and
 * slot heads read (sim/kernel-feed.ts headFingerprint, sim/kernel-host.ts), read without the
 * image. Every value must equal the image's own (typed.ts `slotHeadOf`), exact decimal text
 * included, in every stage the simulator reaches (chaos runs below), and the head is dropped by
 * the images' rule (`changedSlots`).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadKernel, type Kernel, type KernelModule } from "./index.js";
import { slotHeadOf, type SlotHeadImage } from "./typed.js";
import { kernelConfigFor, runScenario } from "../sim/run.js";
import { getScenario } from "../scenarios/index.js";

let mod: KernelModule;
beforeAll(async () => {
  mod = await loadKernel();
});

const sym = "FET-USDT";

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

  it("refuses what slot() refuses, with the same KernelError", () => {
    const k = mod.create(kernelConfigFor(getScenario("chaos")!));
    for (const bad of [1.5, -1, 4096, 2 ** 32, Number.NaN]) {
      let a: unknown;
      let b: unknown;
      try {
        k.slot(bad);
      } catch (e) {
        a = e;
      }
      try {
        k.slotHead(bad);
      } catch (e) {
        b = e;
      }
      expect(a, `slot(${bad})`).toBeDefined();
      expect(b, `slotHead(${bad})`).toMatchObject({ code: (a as { code: string }).code, message: (a as Error).message });
    }
    k.dispose();
  });

  it("equals slotHeadOf(slot(i)) at every read of chaos runs (every stage, legs, unconfirmed fees, restarts)", async () => {
    let checked = 0;
    const seen = { stages: new Set<string>(), legs: 0, feeUnconfirmed: 0, exitFilled: 0, short: 0 };
    const checking: KernelModule = {
      manifest: mod.manifest,
      benchStream: (...a) => mod.benchStream(...a),
      create(config, opts) {
        const k: Kernel = mod.create(config, opts);
        const head = k.slotHead.bind(k);
        k.slotHead = (i: number): SlotHeadImage => {
          const h = head(i);
          expect(h).toStrictEqual(slotHeadOf(k.slot(i)));
          checked++;
          seen.stages.add(h.stage);
          if (h.legCount > 0) seen.legs++;
          if (h.feeUnconfirmedCount > 0) seen.feeUnconfirmed++;
          if (h.exitFilledQty !== undefined) seen.exitFilled++;
          if (h.side === "SHORT") seen.short++;
          return h;
        };
        return k;
      },
    };
    for (const seed of [1, 2, 3, 4, 5, 6]) await runScenario(getScenario("chaos")!, { seed, kernelModule: checking, hashTrace: false });
    expect(checked).toBeGreaterThan(1000);
    expect([...seen.stages].sort()).toEqual(expect.arrayContaining(["CLOSED", "ENTRY_WORKING", "EXIT_WORKING", "IDLE", "POSITION_OPEN"]));
    expect(seen.legs).toBeGreaterThan(0);
    expect(seen.exitFilled).toBeGreaterThan(0);
    expect(seen.short).toBeGreaterThan(0);
    expect(seen.feeUnconfirmed).toBeGreaterThan(0);
  }, 120_000);
});
