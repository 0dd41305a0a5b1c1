import { describe, expect, it } from "vitest";
import { refeedDuplicate } from "./idempotency.js";
import { kernelConfigFor, sharedKernel } from "./run.js";
import { fetIncidentScenario } from "./fixtures/fet-incident.js";
import { idempotency } from "./invariants.js";
import type { KernelInput } from "../venues/connector/wire.js";
import type { RunRecord } from "./record.js";

describe("offline idempotency re-feed (invariant 9; Flaw 10, I10, F26)", () => {
  it("a duplicated fill + settlement changes nothing after save/restore; a distinct fact does (the check can fail)", async () => {
    const mod = await sharedKernel();
    const config = kernelConfigFor(fetIncidentScenario());
    const k = mod.create(config);
    const ts = 1_781_168_410_000_000;
    const enter = k.processIntent({ kind: "ENTER", intentId: "i1", tsUs: ts, slotId: 0, tradeId: "fet", symbol: "FET-USDT", side: "SHORT", quantity: "202276", orderType: "MARKET", leverage: 3 });
    expect(enter.accepted).toBe(true);
    const cmd = enter.commands[0];
    const ack: KernelInput = { k: "venue", ev: { kind: "ORDER_ACK", eventId: "ack1", tsUs: ts + 1, symbol: "FET-USDT", venueOrderId: "1870000000000000001", clientOrderId: cmd.clientOrderId } };
    expect(k.onVenueEvent(ack.ev as never).accepted).toBe(true);
    const saved = k.saveState();
    k.dispose();
    const fill: KernelInput[] = [
      { k: "venue", ev: { kind: "PARTIAL_FILL", eventId: "f1", tsUs: ts + 2, symbol: "FET-USDT", venueOrderId: "1870000000000000001", fillQty: "195259", quantityMode: "CUMULATIVE", fillPrice: "0.1878", feeUsdt: "18.33", feeMode: "INCREMENTAL" } },
      { k: "account", ev: { kind: "FILL_SETTLED", eventId: "f1:settled", tsUs: ts + 2, symbol: "FET-USDT", venueOrderId: "1870000000000000001", realizedPnlUsdt: "0", feeUsdt: "18.33" } },
    ];
    const dup = refeedDuplicate(mod, config, saved, fill);
    expect(dup.codes).toEqual(["DUPLICATE_EVENT", "DUPLICATE_EVENT"]);
    expect(dup.afterSha).toBe(dup.beforeSha);
    const next: KernelInput[] = [
      { k: "venue", ev: { kind: "FULL_FILL", eventId: "f2", tsUs: ts + 3, symbol: "FET-USDT", venueOrderId: "1870000000000000001", fillQty: "202276", quantityMode: "CUMULATIVE", fillPrice: "0.1878" } },
    ];
    const distinct = refeedDuplicate(mod, config, saved, fill, next);
    expect(distinct.afterSha).not.toBe(distinct.beforeSha);
    expect(idempotency({ probes: [distinct] } as unknown as RunRecord).ok).toBe(false);
    expect(idempotency({ probes: [dup] } as unknown as RunRecord).ok).toBe(true);
  });
});
