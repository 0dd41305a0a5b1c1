/**
 * Issue 11 "close every hole", on the WASM build (native `cargo test` cannot see wasm32 usize
 * truncation): slot ids beyond 32 bits, the binding's input guard (non-finite numbers, unsafe
 * integers, BigInt, cycles, wrong types), duplicate JSON keys and symbols through the raw exports,
 * and the restore source-hash policy. Every refusal must carry a diagnostic naming the field and
 * leave saveState byte-identical.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { KernelError, loadKernel } from "./index.js";
import { guardInput } from "./input-guard.js";
import { loadRawKernel, type RawInstance, type RawKernelModule } from "./raw-abi.js";
import type { KernelConfig, Outcome } from "./types.js";

const CFG: KernelConfig = { slotCount: 4, initialCapitalUsdt: "100000", instruments: [{ symbol: "FET-USDT", tickSize: "0.0001", stepSize: "1" }, { symbol: "BTC-USDT", tickSize: "0.1", stepSize: "0.001" }] };

let mod: RawKernelModule;
beforeAll(async () => {
  mod = await loadRawKernel();
});

/** A kernel whose slot 0 holds an open FET LONG of 1000 (and slot 1 an open BTC SHORT). */
function withOpenPositions(): RawInstance {
  const r = mod.create(CFG);
  const k = r.kernel;
  const ok = (o: Outcome) => expect(o.accepted, `${o.code} ${o.message}`).toBe(true);
  ok(k.processIntent({ kind: "ENTER", intentId: "e0", tsUs: 1, slotId: 0, tradeId: "t0", symbol: "FET-USDT", side: "LONG", quantity: "1000", orderType: "MARKET", leverage: 3 }));
  ok(k.onVenueEvent({ kind: "FULL_FILL", eventId: "f0", tsUs: 2, symbol: "FET-USDT", clientOrderId: "d2-t0-e1", venueOrderId: "9001", fillQty: "1000", fillPrice: "0.2", feeUsdt: "0.1" }));
  ok(k.processIntent({ kind: "ENTER", intentId: "e1", tsUs: 3, slotId: 1, tradeId: "t1", symbol: "BTC-USDT", side: "SHORT", quantity: "0.5", orderType: "MARKET", leverage: 2 }));
  ok(k.onVenueEvent({ kind: "FULL_FILL", eventId: "f1", tsUs: 4, symbol: "BTC-USDT", clientOrderId: "d2-t1-e1", venueOrderId: "9002", fillQty: "0.5", fillPrice: "60000", feeUsdt: "1" }));
  return r;
}

/** The refusal contract: not accepted, one of `codes`, details.field = `field`, no commands, state unchanged. */
function expectRefused(r: RawInstance, call: () => Outcome, codes: string[], field: string, what: string): void {
  const before = r.kernel.saveState();
  let o: Outcome;
  try {
    o = call();
  } catch (err) {
    throw new Error(`${what} threw instead of returning an outcome: ${(err as Error).name} ${(err as Error).message}`);
  }
  expect(o.accepted, `${what} accepted: ${o.code} ${o.message}`).toBe(false);
  expect(codes, `${what} → ${o.code} ${o.message}`).toContain(o.code);
  expect(o.details.field, `${what}: ${o.message}`).toBe(field);
  expect(o.message.length).toBeGreaterThan(0);
  expect(o.commands).toEqual([]);
  expect(r.kernel.saveState(), `${what} changed the state`).toBe(before);
}

describe("issue 11 / E7: slot ids are checked as full integers before narrowing (wasm32)", () => {
  it("E7 / issue 11: EXIT_RESIDUAL for slot 4294967296 is INVALID_SLOT through the binding, never slot 0's position", () => {
    const r = withOpenPositions();
    for (const slotId of [4294967296, 4294967297, 2 ** 40, Number.MAX_SAFE_INTEGER, -4294967296]) {
      expectRefused(r, () => r.kernel.processIntent({ kind: "EXIT_RESIDUAL", intentId: `xr-${slotId}`, tsUs: 10, slotId, orderType: "MARKET" }), ["INVALID_SLOT"], "slotId", `slotId ${slotId}`);
    }
    // The position of slot 0 is untouched and still exits normally.
    const ok = r.kernel.processIntent({ kind: "EXIT_RESIDUAL", intentId: "xr-0", tsUs: 11, slotId: 0, orderType: "MARKET" });
    expect(ok.code).toBe("OK");
    expect(ok.commands[0]).toMatchObject({ kind: "SUBMIT", quantity: "1000" });
  });

  it("E7 / issue 11: slot ids 2^32, 2^53+1 and 2^64+1 given as raw JSON to the kernel_call export are INVALID_SLOT / INVALID_INTENT", () => {
    const r = withOpenPositions();
    for (const id of ["4294967296", "4294967297", "9007199254740993", "18446744073709551617", "-4294967296"]) {
      const text = `{"kind":"EXIT_RESIDUAL","intentId":"raw-${id.replace("-", "m")}","tsUs":10,"slotId":${id},"orderType":"MARKET"}`;
      expectRefused(r, () => r.outcome("processIntent", text), ["INVALID_SLOT", "INVALID_INTENT"], "slotId", `raw slotId ${id}`);
    }
    // CANCEL and EXIT too (every intent kind goes through the same check).
    expectRefused(r, () => r.outcome("processIntent", `{"kind":"EXIT","intentId":"rx","tsUs":10,"slotId":4294967296,"orderType":"MARKET"}`), ["INVALID_SLOT"], "slotId", "raw EXIT 2^32");
    expectRefused(r, () => r.outcome("processIntent", `{"kind":"CANCEL","intentId":"rc","tsUs":10,"slotId":4294967296}`), ["INVALID_SLOT"], "slotId", "raw CANCEL 2^32");
  });

  it("E7 / issue 11: the slot(i) getter refuses 2^32 (binding and raw export) instead of returning slot 0", () => {
    const r = withOpenPositions();
    expect(() => r.kernel.slot(4294967296)).toThrowError(KernelError);
    expect(() => r.kernel.slot(1.5)).toThrowError(KernelError);
    const env = r.call("slot", "4294967296");
    expect(env.ok).toBe(false);
    if (!env.ok) expect(env.outcome.code).toBe("INVALID_SLOT");
  });
});

describe("issue 11: the binding's input guard refuses values JSON would rewrite, naming the field", () => {
  const fill = { kind: "PARTIAL_FILL", tsUs: 20, symbol: "FET-USDT", venueOrderId: "9001", fillQty: "1", fillPrice: "0.2" };

  it("G26 / Q7 / issue 11: NaN / ±Infinity anywhere (ids, symbols, integers, decimals) are refused, never stringified into accepted ids", () => {
    const r = withOpenPositions();
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expectRefused(r, () => r.kernel.onVenueEvent({ ...fill, eventId: bad } as never), ["INVALID_EVENT"], "eventId", `eventId ${bad}`);
      expectRefused(r, () => r.kernel.onVenueEvent({ ...fill, eventId: "n1", symbol: bad } as never), ["INVALID_EVENT"], "symbol", `symbol ${bad}`);
      expectRefused(r, () => r.kernel.onVenueEvent({ ...fill, eventId: "n2", tsUs: bad } as never), ["INVALID_EVENT"], "tsUs", `tsUs ${bad}`);
      expectRefused(r, () => r.kernel.processIntent({ kind: "CANCEL", intentId: bad, tsUs: 1, slotId: 0 } as never), ["INVALID_INTENT"], "intentId", `intentId ${bad}`);
      expectRefused(r, () => r.kernel.onAccountEvent({ kind: "FUNDING", eventId: "fu", tsUs: 1, symbol: "FET-USDT", amountUsdt: bad } as never), ["INVALID_EVENT"], "amountUsdt", `amountUsdt ${bad}`);
      expectRefused(r, () => r.kernel.markPrice({ tsUs: 1, symbol: bad, markPrice: "0.2" } as never), ["INVALID_EVENT"], "symbol", `mark symbol ${bad}`);
      expectRefused(r, () => r.kernel.anchorToExchange("100", "90", bad), ["ANCHOR_REJECTED"], "eventSeq", `eventSeq ${bad}`);
      expectRefused(r, () => r.kernel.reconcile({ tsUs: 1, positions: [{ symbol: "FET-USDT", positionSide: "BOTH", quantity: bad }], orders: [] } as never), ["INVALID_STATE"], "positions[0].quantity", `reconcile quantity ${bad}`);
    }
  });

  it("G26 / Flaw 10 / issue 11: two different fills that both carry eventId NaN are both refused; the position is not deduplicated to 400", () => {
    const r = mod.create(CFG);
    const k = r.kernel;
    k.processIntent({ kind: "ENTER", intentId: "e", tsUs: 1, slotId: 0, tradeId: "tn", symbol: "FET-USDT", side: "LONG", quantity: "1000", orderType: "MARKET", leverage: 3 });
    k.onVenueEvent({ kind: "ORDER_ACK", eventId: "a", tsUs: 2, symbol: "FET-USDT", clientOrderId: "d2-tn-e1", venueOrderId: "77" });
    const a = k.onVenueEvent({ kind: "PARTIAL_FILL", eventId: Number.NaN, tsUs: 3, symbol: "FET-USDT", venueOrderId: "77", fillQty: "400", fillPrice: "0.2" } as never);
    const b = k.onVenueEvent({ kind: "PARTIAL_FILL", eventId: Number.NaN, tsUs: 4, symbol: "FET-USDT", venueOrderId: "77", fillQty: "600", fillPrice: "0.2" } as never);
    expect([a.accepted, b.accepted]).toEqual([false, false]);
    expect(k.slot(0).sizeQty).toBe("0");
  });

  it("issue 11: integers that are not safe integers (2^53, 1e300, 1.5) in integer fields are refused naming the field", () => {
    const r = withOpenPositions();
    for (const bad of [2 ** 53, 2 ** 64, 1e300, 1.5, -(2 ** 53)]) {
      expectRefused(r, () => r.kernel.processIntent({ kind: "EXIT_RESIDUAL", intentId: `u-${bad}`, tsUs: 10, slotId: bad, orderType: "MARKET" }), ["INVALID_INTENT", "INVALID_SLOT"], "slotId", `slotId ${bad}`);
      expectRefused(r, () => r.kernel.onVenueEvent({ ...fill, eventId: `u-${bad}`, tsUs: bad } as never), ["INVALID_EVENT"], "tsUs", `tsUs ${bad}`);
      expectRefused(r, () => r.kernel.onVenueEvent({ ...fill, eventId: `h-${bad}`, slotHint: bad } as never), ["INVALID_EVENT"], "slotHint", `slotHint ${bad}`);
    }
  });

  it("issue 11: BigInt, circular values, functions, Dates, undefined array elements, lone surrogates and throwing getters return a refusal, never a TypeError", async () => {
    const r = withOpenPositions();
    const circ: Record<string, unknown> = { kind: "CANCEL", intentId: "c", tsUs: 1, slotId: 0 };
    circ.self = circ;
    const getter = { kind: "CANCEL", intentId: "g", tsUs: 1, get slotId(): number { throw new Error("boom"); } };
    const cases: [string, () => Outcome, string[], string][] = [
      ["BigInt slotId", () => r.kernel.processIntent({ kind: "CANCEL", intentId: "b", tsUs: 1, slotId: 0n } as never), ["INVALID_INTENT"], "slotId"],
      ["BigInt tsUs", () => r.kernel.onVenueEvent({ ...fill, eventId: "b2", tsUs: 5n } as never), ["INVALID_EVENT"], "tsUs"],
      ["BigInt eventSeq", () => r.kernel.anchorToExchange("100", "90", 3n as never), ["ANCHOR_REJECTED"], "eventSeq"],
      ["circular intent", () => r.kernel.processIntent(circ as never), ["INVALID_INTENT"], "self"],
      ["function symbol", () => r.kernel.markPrice({ tsUs: 1, symbol: (() => "FET-USDT") as never, markPrice: "0.2" }), ["INVALID_EVENT"], "symbol"],
      ["Date tsUs", () => r.kernel.markPrice({ tsUs: new Date(0) as never, symbol: "FET-USDT", markPrice: "0.2" }), ["INVALID_EVENT"], "tsUs"],
      ["undefined in ratios", () => r.kernel.processIntent({ kind: "ENTER", intentId: "ud", tsUs: 1, slotId: 2, tradeId: "ud", symbol: "FET-USDT", side: "LONG", quantity: "1", orderType: "MARKET", leverage: 3, exitLegRatios: ["0.5", undefined as never] }), ["INVALID_INTENT"], "exitLegRatios[1]"],
      ["lone surrogate reason", () => r.kernel.onVenueEvent({ kind: "ORDER_REJECT", eventId: "ls", tsUs: 1, symbol: "FET-USDT", venueOrderId: "9001", reason: "bad \uD800 text" } as never), ["INVALID_EVENT"], "reason"],
      ["throwing getter", () => r.kernel.processIntent(getter as never), ["INVALID_INTENT"], "slotId"],
      ["string as intent", () => r.kernel.processIntent("{\"kind\":\"CANCEL\"}" as never), ["INVALID_INTENT"], "(root)"],
      ["number as restore image", () => r.kernel.restoreState(5 as never), ["INVALID_STATE"], "state"],
    ];
    for (const [what, call, codes, field] of cases) expectRefused(r, call, codes, field, what);
    expect(() => r.kernel.tradeRealized(5n as never)).toThrowError(KernelError);
    const binding = await loadKernel();
    expect(() => binding.create({ ...CFG, slotCount: 4n } as never)).toThrowError(KernelError);
    expect(() => binding.create({ ...CFG, initialCapitalUsdt: Number.NaN } as never)).toThrowError(KernelError);
  });

  it("issue 11: guardInput passes every well-formed kernel input and names nested fields", () => {
    expect(guardInput({ kind: "ENTER", intentId: "i", tsUs: 1, slotId: 0, tradeId: "t", symbol: "FET-USDT", side: "LONG", quantity: "1", orderType: "MARKET", leverage: 3, exitLegRatios: ["0.5", "0.5"], limitPrice: undefined })).toBeNull();
    expect(guardInput({ tsUs: 1, positions: [], orders: [{ symbol: "X", venueOrderId: "1", status: "NEW", executedQty: "0", avgPrice: "0" }] })).toBeNull();
    expect(guardInput({ a: [{ tsUs: 0.5 }] })).toMatchObject({ field: "a[0].tsUs" });
    expect(guardInput({ deep: { deeper: Number.NaN } })).toMatchObject({ field: "deep.deeper" });
    expect(guardInput(Object.create(null))).toBeNull();
    let nest: unknown = {};
    for (let i = 0; i < 40; i++) nest = { n: nest };
    expect(guardInput(nest)?.reason).toMatch(/nested deeper/);
  });
});

describe("issue 11: the raw exports refuse duplicate keys and unknown symbols", () => {
  it("issue 11: duplicate JSON keys through kernel_call are refused naming the key, for every input method", () => {
    const r = withOpenPositions();
    const cases: [Parameters<RawInstance["outcome"]>[0], string, string][] = [
      ["processIntent", `{"kind":"EXIT_RESIDUAL","intentId":"d1","tsUs":5,"slotId":3,"slotId":0,"orderType":"MARKET"}`, "slotId"],
      ["onVenueEvent", `{"kind":"PARTIAL_FILL","eventId":"d2","tsUs":5,"symbol":"FET-USDT","venueOrderId":"9001","fillQty":"1","fillQty":"5000","fillPrice":"0.2"}`, "fillQty"],
      ["markPrice", `{"tsUs":5,"symbol":"FET-USDT","markPrice":"0.2","markPrice":"9"}`, "markPrice"],
      ["onAccountEvent", `{"kind":"FUNDING","eventId":"d3","tsUs":5,"symbol":"FET-USDT","amountUsdt":"1","amountUsdt":"-900"}`, "amountUsdt"],
      ["anchorToExchange", `{"walletBalanceUsdt":"1","walletBalanceUsdt":"2","eventSeq":1}`, "walletBalanceUsdt"],
      ["reconcile", `{"tsUs":5,"positions":[],"positions":[],"orders":[]}`, "positions"],
      ["processIntent", `{"kind":"CANCEL","\\u006bind":"CANCEL","intentId":"d4","tsUs":5,"slotId":0}`, "kind"],
    ];
    for (const [method, text, field] of cases) expectRefused(r, () => r.outcome(method, text), ["INVALID_INTENT", "INVALID_EVENT", "ANCHOR_REJECTED", "INVALID_STATE"], field, `${method} ${text}`);
  });

  it("Flaw 8 / issue 11: FUNDING, RATE_LIMITED, FILL_SETTLED and fills on an unknown or lower-case symbol are refused; nothing is booked or parked", () => {
    const r = withOpenPositions();
    for (const [n, sym] of ["NOPE-USDT", "fet-usdt", "FET-USDT ", "FET-USDT\u0000"].entries()) {
      expectRefused(r, () => r.kernel.onAccountEvent({ kind: "FUNDING", eventId: `fu-${n}`, tsUs: 9, symbol: sym, amountUsdt: "-3" }), ["INVALID_EVENT"], "symbol", `FUNDING ${sym}`);
      expectRefused(r, () => r.kernel.onVenueEvent({ kind: "RATE_LIMITED", eventId: `rl-${n}`, tsUs: 9, symbol: sym, venueCode: 109429 }), ["INVALID_EVENT"], "symbol", `RATE_LIMITED ${sym}`);
      expectRefused(r, () => r.kernel.onAccountEvent({ kind: "FILL_SETTLED", eventId: `fs-${n}`, tsUs: 9, symbol: sym, venueOrderId: "555", realizedPnlUsdt: "1", feeUsdt: "0.1" }), ["INVALID_EVENT"], "symbol", `FILL_SETTLED ${sym}`);
      expectRefused(r, () => r.kernel.onVenueEvent({ kind: "PARTIAL_FILL", eventId: `pf-${n}`, tsUs: 9, symbol: sym, venueOrderId: "556", fillQty: "1", fillPrice: "1" }), ["INVALID_EVENT"], "symbol", `PARTIAL_FILL ${sym}`);
    }
  });

  it("issue 11: restore refuses a state saved by another kernel build (sourceHash), naming the field", () => {
    const r = withOpenPositions();
    const st = JSON.parse(r.kernel.saveState()) as Record<string, unknown>;
    expect(st.format).toBe("dita-kernel-state/3");
    const fresh = mod.create(CFG);
    expectRefused(fresh, () => fresh.kernel.restoreState(JSON.stringify({ ...st, sourceHash: "0".repeat(64) })), ["INVALID_STATE"], "sourceHash", "foreign sourceHash");
    expect(fresh.kernel.restoreState(JSON.stringify(st)).code).toBe("OK");
  });
});
