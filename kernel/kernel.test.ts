import { beforeAll, describe, expect, it } from "vitest";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_WASM_PATH, KernelError, decodeBatchResult, encodeVenueEvents, loadKernel, type KernelModule } from "./index.js";
import { DEFAULT_CONFIG, loadCases, runCase } from "./cases.js";
import type { Intent, KernelConfig, Outcome, VenueEvent } from "./types.js";

let mod: KernelModule;
beforeAll(async () => {
  mod = await loadKernel();
});

describe("behaviour case table through the WASM binding (same table as cargo test)", () => {
  for (const c of loadCases()) {
    it(`${c.flaws.join(", ")}: ${c.name}`, () => {
      expect(runCase(mod, c)).toBeNull();
    });
  }
});

const FET_CFG: KernelConfig = { slotCount: 2, initialCapitalUsdt: "100000", instruments: [{ symbol: "FET-USDT", tickSize: "0.0001", stepSize: "1" }] };

/** The FET clean golden sequence (docs/accounting.md §7 case 1) as kernel inputs. */
function fetInputs(): ({ intent: Intent } | { ev: VenueEvent })[] {
  return [
    { intent: { kind: "ENTER", intentId: "e1", tsUs: 1, slotId: 0, tradeId: "fet", symbol: "FET-USDT", side: "SHORT", quantity: "202276", orderType: "MARKET", leverage: 3 } },
    { ev: { kind: "ORDER_ACK", eventId: "a1", tsUs: 2, symbol: "FET-USDT", clientOrderId: "d2-fet-e1", venueOrderId: "1900000000000000001" } },
    { ev: { kind: "PARTIAL_FILL", eventId: "f1", tsUs: 3, symbol: "FET-USDT", venueOrderId: "1900000000000000001", fillQty: "195259", fillPrice: "0.1878", feeUsdt: "18.3348201" } },
    { ev: { kind: "FULL_FILL", eventId: "f2", tsUs: 4, symbol: "FET-USDT", venueOrderId: "1900000000000000001", fillQty: "7017", fillPrice: "0.1878", feeUsdt: "0.6588963" } },
    { intent: { kind: "EXIT", intentId: "x1", tsUs: 5, slotId: 0, orderType: "MARKET" } },
    { ev: { kind: "ORDER_ACK", eventId: "a2", tsUs: 6, symbol: "FET-USDT", clientOrderId: "d2-fet-x1", venueOrderId: "1900000000000000002" } },
    { ev: { kind: "PARTIAL_FILL", eventId: "f3", tsUs: 7, symbol: "FET-USDT", venueOrderId: "1900000000000000002", fillQty: "26007", fillPrice: "0.1866", feeUsdt: "2.4264531" } },
    { ev: { kind: "FULL_FILL", eventId: "f4", tsUs: 8, symbol: "FET-USDT", venueOrderId: "1900000000000000002", fillQty: "176269", fillPrice: "0.1866", feeUsdt: "16.4458977" } },
  ];
}

describe("save/restore and restart (spec §0.3)", () => {
  it("spec §0.3 / I10: restart at every event boundary of the FET case yields the identical ledger and trade", () => {
    const ref = mod.create(FET_CFG);
    for (const s of fetInputs()) "intent" in s ? ref.processIntent(s.intent) : ref.onVenueEvent(s.ev);
    const want = { ledger: ref.ledger(), trades: ref.trades() };
    ref.dispose();
    expect(want.ledger.realizedPnlUsdt).toBe("242.7312");
    const inputs = fetInputs();
    for (let cut = 0; cut <= inputs.length; cut++) {
      let k = mod.create(FET_CFG);
      inputs.forEach((s, i) => {
        if (i === cut) {
          const saved = k.saveState();
          k.dispose();
          k = mod.create(FET_CFG);
          expect(k.restoreState(saved).code).toBe("OK");
          // Orders in flight → STALE until reconcile; the venue truth matches the kernel's.
          const open = k.snapshot().slots[0]!;
          if (open.stage === "STALE_STATE_RECONCILING") {
            const o = open.exitOrder ?? open.entryOrder!;
            const rec = k.reconcile({ tsUs: 100 + i, positions: [{ symbol: "FET-USDT", positionSide: "SHORT", quantity: open.sizeQty }], orders: o.venueOrderId ? [{ symbol: "FET-USDT", venueOrderId: o.venueOrderId, clientOrderId: o.clientOrderId, status: o.filledQty === "0" ? "NEW" : "PARTIALLY_FILLED", executedQty: o.filledQty, avgPrice: "0" }] : [] });
            expect(["OK", "RECONCILE_MISMATCH"]).toContain(rec.code);
          }
        }
        const o: Outcome = "intent" in s ? k.processIntent(s.intent) : k.onVenueEvent(s.ev);
        expect(o.accepted, `cut ${cut} input ${i}: ${o.message}`).toBe(true);
      });
      const got = { ledger: k.ledger(), trades: k.trades() };
      k.dispose();
      expect({ ...got.ledger, eventSeq: 0 }).toEqual({ ...want.ledger, eventSeq: 0 });
      expect(got.trades).toEqual(want.trades);
    }
  });

  it("spec §0.3: save → new instance → restore reproduces slot images and settle baselines exactly", () => {
    const k = mod.create(FET_CFG);
    fetInputs().slice(0, 7).forEach((s) => ("intent" in s ? k.processIntent(s.intent) : k.onVenueEvent(s.ev)));
    const before = k.snapshot();
    const k2 = mod.create(FET_CFG);
    expect(k2.restoreState(k.saveState()).code).toBe("OK");
    const after = k2.snapshot();
    const s0 = after.slots[0]!;
    expect(s0.stage).toBe("STALE_STATE_RECONCILING");
    expect(s0.resumeStage).toBe(before.slots[0]!.stage);
    expect({ ...s0, stage: before.slots[0]!.stage, resumeStage: undefined }).toEqual({ ...before.slots[0]!, resumeStage: undefined });
    expect(s0.settledRealizedUsdt).toBe(before.slots[0]!.settledRealizedUsdt);
    expect(s0.settledFeesUsdt).toBe(before.slots[0]!.settledFeesUsdt);
    expect(after.ledger).toEqual(before.ledger);
    // The next venue event settles only its increment.
    const last = fetInputs()[7]! as { ev: VenueEvent };
    k.onVenueEvent(last.ev);
    k2.onVenueEvent(last.ev);
    expect(k2.ledger().capitalUsdt).toBe(k.ledger().capitalUsdt);
    expect(k2.ledger().realizedPnlUsdt).toBe("242.7312");
    k.dispose();
    k2.dispose();
  });
});

describe("binding lifetime and guards", () => {
  it("F20 / G30 / P1: any call after dispose() throws DISPOSED; dispose is idempotent", () => {
    const k = mod.create(DEFAULT_CONFIG);
    k.dispose();
    k.dispose();
    expect(k.disposed).toBe(true);
    for (const f of [() => k.ledger(), () => k.slot(0), () => k.processIntent({ kind: "CANCEL", intentId: "c", tsUs: 1, slotId: 0 }), () => k.saveState(), () => k.memoryBytes()]) {
      expect(f).toThrowError(KernelError);
      try {
        f();
      } catch (e) {
        expect((e as KernelError).code).toBe("DISPOSED");
      }
    }
  });

  it("issue 12: memoryBytes() is the instance's linear memory in whole 64 KiB pages", () => {
    const a = mod.create(DEFAULT_CONFIG);
    expect(a.memoryBytes()).toBeGreaterThan(0);
    expect(a.memoryBytes() % 65536).toBe(0);
    a.dispose();
  });

  it("E6: kernels are independent instances", () => {
    const a = mod.create(DEFAULT_CONFIG);
    const b = mod.create(DEFAULT_CONFIG);
    a.processIntent({ kind: "ENTER", intentId: "e", tsUs: 1, slotId: 0, tradeId: "t", symbol: "FET-USDT", side: "LONG", quantity: "1", orderType: "MARKET", leverage: 1 });
    expect(a.slot(0).stage).toBe("ORDER_REQUESTED");
    expect(b.slot(0).stage).toBe("IDLE");
    a.dispose();
    b.dispose();
  });

  it("G14 / J9: slot(i) out of range throws INVALID_SLOT naming the index; bad config names the field", () => {
    const k = mod.create(DEFAULT_CONFIG);
    expect(() => k.slot(99)).toThrowError(/out of range/);
    k.dispose();
    expect(() => mod.create({ ...DEFAULT_CONFIG, slotCount: 0 })).toThrowError(/slotCount/);
    expect(() => mod.create({ ...DEFAULT_CONFIG, defaultExitLegRatios: ["0.5"] })).toThrowError(/defaultExitLegRatios/);
    expect(() => mod.create({ ...DEFAULT_CONFIG, initialCapitalUsdt: "NaN" })).toThrowError(/initialCapitalUsdt/);
  });

  it("archiveCapacity (bounded memory): 0, 1.5, \"x\" and 10,000,001 are refused naming the field and value; 1 is accepted", () => {
    for (const bad of [0, 1.5, "x", 10_000_001]) {
      expect(() => mod.create({ ...DEFAULT_CONFIG, archiveCapacity: bad as number })).toThrowError(new RegExp(`archiveCapacity.*${String(bad).replace(".", "\\.")}`));
    }
    const k = mod.create({ ...DEFAULT_CONFIG, archiveCapacity: 1 });
    expect(k.ledger().evictedTrades).toBe(0);
    k.dispose();
  });

  it("§0.1 / §8.3 stale-binary guard: a .wasm whose manifest hash differs from the checkout is refused with `npm run build`", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dita-stale-"));
    const wasm = join(dir, "k.wasm");
    copyFileSync(DEFAULT_WASM_PATH, wasm);
    const manifest = JSON.parse(readFileSync(DEFAULT_WASM_PATH.replace(/\.wasm$/, ".json"), "utf8"));
    writeFileSync(join(dir, "k.json"), JSON.stringify({ ...manifest, sourceHash: "0".repeat(64) }));
    await expect(loadKernel({ wasmPath: wasm })).rejects.toThrowError(/npm run build/);
    // A manifest claiming mutant features for the default binary: hash mismatch too.
    writeFileSync(join(dir, "k.json"), JSON.stringify({ ...manifest, features: ["mutant_leverage_pnl"] }));
    await expect(loadKernel({ wasmPath: wasm })).rejects.toThrowError(/STALE|stale|npm run build/);
    await expect(loadKernel({ wasmPath: join(dir, "missing.wasm") })).rejects.toThrowError(/npm run build/);
    // The same artifact with its true manifest loads from another path (how mutant artifacts load).
    writeFileSync(join(dir, "k.json"), JSON.stringify(manifest));
    const other = await loadKernel({ wasmPath: wasm });
    expect(other.manifest.sourceHash).toBe(manifest.sourceHash);
    other.create(DEFAULT_CONFIG).dispose();
  });
});

describe("batch ABI hot path", () => {
  it("the binary batch path gives the same state as the JSON path (routing, dedup, overfill)", () => {
    const events: VenueEvent[] = [
      { kind: "ORDER_ACK", eventId: "a1", tsUs: 2, symbol: "FET-USDT", clientOrderId: "d2-t1-e1", venueOrderId: "1900000000000000001" },
      { kind: "PARTIAL_FILL", eventId: "f1", tsUs: 3, symbol: "FET-USDT", venueOrderId: "1900000000000000001", fillQty: "400", fillPrice: "0.1878", feeUsdt: "0.01" },
      { kind: "PARTIAL_FILL", eventId: "f1", tsUs: 3, symbol: "FET-USDT", venueOrderId: "1900000000000000001", fillQty: "400", fillPrice: "0.1878", feeUsdt: "0.01" },
      { kind: "PARTIAL_FILL", eventId: "u1", tsUs: 3, symbol: "FET-USDT", venueOrderId: "42", fillQty: "1", fillPrice: "1" },
      { kind: "FULL_FILL", eventId: "f2", tsUs: 4, symbol: "FET-USDT", venueOrderId: "1900000000000000001", fillQty: "1000", fillPrice: "0.19", quantityMode: "CUMULATIVE" },
      { kind: "FULL_FILL", eventId: "f3", tsUs: 5, symbol: "FET-USDT", venueOrderId: "1900000000000000001", fillQty: "5", fillPrice: "0.19" },
    ];
    const enter: Intent = { kind: "ENTER", intentId: "e1", tsUs: 1, slotId: 0, tradeId: "t1", symbol: "FET-USDT", side: "LONG", quantity: "1000", orderType: "MARKET", leverage: 2 };
    const a = mod.create(DEFAULT_CONFIG);
    const b = mod.create(DEFAULT_CONFIG);
    a.processIntent(enter);
    b.processIntent(enter);
    const json = events.map((e) => a.onVenueEvent(e).code);
    const batch = b.processBatch(encodeVenueEvents(events));
    expect(batch.count).toBe(events.length);
    expect(decodeBatchResult(batch.raw).map((r) => r.code)).toEqual(json);
    // last: a late fill on the finished entry order is clamped (OVERFILL), never applied twice.
    expect(json).toEqual(["OK", "OK", "DUPLICATE_EVENT", "UNRESOLVED_SLOT", "OK", "OVERFILL"]);
    expect(b.snapshot()).toEqual(a.snapshot());
    a.dispose();
    b.dispose();
  });

  it("G2 / P2 / P4: malformed batch records come back as INVALID_EVENT, never a trap", () => {
    const k = mod.create(DEFAULT_CONFIG);
    const rec = encodeVenueEvents([{ kind: "PARTIAL_FILL", eventId: "x", tsUs: 1, symbol: "FET-USDT", clientOrderId: "c", fillQty: "1", fillPrice: "1" }]);
    rec[10] = 99; // qty scale out of range
    const bad = k.processBatch(rec);
    expect(decodeBatchResult(bad.raw)[0]!.code).toBe("INVALID_EVENT");
    const trunc = k.processBatch(rec.slice(0, 30));
    expect(trunc.count).toBe(0);
    const garbage = k.processBatch(new Uint8Array([255, 255, 255, 255, 1, 2, 3]));
    expect(garbage.count).toBe(0);
    expect(k.slot(0).stage).toBe("IDLE");
    k.dispose();
  });

  it("bench stream: deterministic bytes, all records accepted or deliberately benign", () => {
    const s1 = mod.benchStream(5000, 7, 10);
    const s2 = mod.benchStream(5000, 7, 10);
    expect(Buffer.from(s1.records).equals(Buffer.from(s2.records))).toBe(true);
    const k = mod.create(s1.config);
    const r = k.processBatch(s1.records);
    expect(r.count).toBe(5000);
    expect(Object.keys(r.codeCounts)).toEqual(["OK"]);
    expect(k.ledger().tradeSeq).toBeGreaterThan(100);
    k.dispose();
  });
});
