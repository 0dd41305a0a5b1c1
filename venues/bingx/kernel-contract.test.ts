/**
 * The adapter's outputs against the real kernel (kernel/index.ts, built WASM): every event the
 * adapter derives from mock-venue payloads must pass the kernel's input validation (no
 * INVALID_EVENT / INTERNAL: H6, G7), and the kernel's slot size must follow the venue position.
 * This checks the wire contract between two modules; kernel accounting is tested in the kernel.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadKernel, type Kernel } from "../../kernel/index.js";
import type { Outcome, VenueCommand } from "../../kernel/types.js";
import { commandToRequest, leverageRequest, listenKeyRequest, parseCommandResponse, parseReconcile, parseWsMessage, reconcileRequests } from "./adapter.js";
import { DEFAULT_CONTRACTS, toInstrumentSpec } from "./contracts.js";
import type { WsMessage } from "../venue.js";
import type { BingxMockVenue } from "./mock-venue.js";
import { T0, mkVenue } from "./test-util.js";

const S = 1_000_000;
let kernel: Kernel;
let v: BingxMockVenue;
let t = T0;
const outcomes: { what: string; o: Outcome }[] = [];

function deliverFrames(frames: WsMessage[] = v.drainStream()): void {
  for (const m of frames) {
    const p = parseWsMessage(m);
    for (const e of p.venueEvents) outcomes.push({ what: `ws ${e.kind}`, o: kernel.onVenueEvent(e) });
    for (const e of p.accountEvents) outcomes.push({ what: `ws ${e.kind}`, o: kernel.onAccountEvent(e) });
  }
}

function carry(cmds: VenueCommand[]): void {
  for (const c of cmds) {
    t += 1000;
    const res = v.handleRest(commandToRequest(c, { requestId: `r${t}`, nowUs: t }), t + 500);
    for (const e of parseCommandResponse(c, res, t + 500)) outcomes.push({ what: `rest ${e.kind}`, o: kernel.onVenueEvent(e) });
    deliverFrames();
  }
}

function intent(i: Record<string, unknown>): Outcome {
  t += 1000;
  const o = kernel.processIntent({ intentId: `i${t}`, tsUs: t, ...i } as never);
  outcomes.push({ what: `intent ${String(i["kind"])}`, o });
  return o;
}

beforeAll(async () => {
  const km = await loadKernel();
  kernel = km.create({ initialCapitalUsdt: "100000", instruments: DEFAULT_CONTRACTS.map(toInstrumentSpec) });
  v = mkVenue({ model: { levelDepthUsdt: "8000" }, quirks: { omitWalletBalance: 0.5 } }, "kernel-contract");
  v.handleRest(listenKeyRequest("create", { requestId: "lk", nowUs: t }), t);
  v.handleRest(leverageRequest("FET-USDT", 3, "BOTH", { requestId: "lev", nowUs: t }), t);
});
afterAll(() => kernel?.dispose());

describe("adapter events are valid kernel inputs (contract kernel/types.ts)", () => {
  it("MARKET entry (multi-fill), LIMIT exit (partial, cancelled), reduce-only residual exit, funding, rate limit: no INVALID_EVENT, sizes follow the venue", () => {
    v.onMarketTick({ tsUs: (t += 1000), symbol: "FET-USDT", priceUsdt: "0.1878" });
    carry(intent({ kind: "ENTER", slotId: 0, tradeId: "fet1", symbol: "FET-USDT", side: "SHORT", quantity: "202276", orderType: "MARKET", leverage: 3, exitLegRatios: ["0.5", "0.5"] }).commands);
    const trail = () => outcomes.map((x) => `${x.what}: ${x.o.code} ${x.o.message}`).join("\n");
    expect(kernel.slot(0).sizeQty, trail()).toBe("202276");
    expect(v.positions()["FET-USDT"]).toBe("-202276");
    // Funding at 08:00 UTC while short (rate > 0: shorts receive); keep the key alive.
    for (let h = 0.5; h <= 8; h += 0.5) {
      t = T0 + h * 3600 * S;
      deliverFrames(v.advanceTo(t));
      v.handleRest(listenKeyRequest("extend", { requestId: `ext${h}`, nowUs: t }, v.listenKeys()[0]), t);
      deliverFrames();
    }
    expect(outcomes.some((x) => x.what === "ws FUNDING" && x.o.accepted)).toBe(true);
    // LIMIT exit leg resting below the tape (a buy to close the short), partially filled by touches, then cancelled.
    deliverFrames(v.onMarketTick({ tsUs: (t += 1000), symbol: "FET-USDT", priceUsdt: "0.1870" }));
    carry(intent({ kind: "EXIT", slotId: 0, orderType: "LIMIT", limitPrice: "0.1866", timeInForce: "GTC" }).commands);
    for (let i = 0; i < 3; i++) {
      deliverFrames(v.onMarketTick({ tsUs: (t += 1000), symbol: "FET-USDT", priceUsdt: "0.1866" }));
    }
    carry(intent({ kind: "CANCEL", slotId: 0 }).commands);
    const afterCancel = kernel.slot(0);
    expect(Number(afterCancel.sizeQty)).toBe(-Number(v.positions()["FET-USDT"]));
    // Residual exit by MARKET while a storm throttles the venue: RATE_LIMITED reaches the kernel as retryable.
    v.injectRateLimitStorm(t + 5 * S);
    const residual = intent({ kind: "EXIT_RESIDUAL", slotId: 0, orderType: "MARKET" }).commands;
    carry(residual);
    expect(outcomes.some((x) => x.what === "rest RATE_LIMITED")).toBe(true);
    t += 6 * S;
    // Reconcile from REST truth (the way back after a storm / lost frames).
    const reqs = reconcileRequests(["FET-USDT"], [{ symbol: "FET-USDT", clientOrderId: (residual[0] as { clientOrderId: string }).clientOrderId }], { requestId: "rc", nowUs: t });
    const report = parseReconcile(reqs.map((request) => ({ request, response: v.handleRest(request, t) })), t, ["FET-USDT"]);
    outcomes.push({ what: "reconcile", o: kernel.reconcile(report) });
    const bad = outcomes.filter((x) => x.o.code === "INVALID_EVENT" || x.o.code === "INVALID_INTENT" || x.o.code === "INTERNAL" || x.o.code === "INVALID_STATE");
    expect(bad.map((x) => `${x.what}: ${x.o.code} ${x.o.message}`)).toEqual([]);
    expect(outcomes.filter((x) => x.what.startsWith("ws ")).length).toBeGreaterThan(10);
    expect(report.orders.map((o) => [o.status, o.venueOrderId])).toEqual([["NOT_FOUND", "0"]]); // throttled SUBMIT never placed (I11)
    expect(Number(kernel.slot(0).sizeQty)).toBe(-Number(v.positions()["FET-USDT"])); // docs/architecture.md §Ledger invariants 6
    expect(Number(kernel.slot(0).sizeQty)).toBeGreaterThan(0);
  });
});
