import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { AccountEvent, VenueCommand, VenueEvent } from "../../kernel/types.js";
import type { RestResponse } from "../venue.js";
import {
  AdapterError,
  balanceRequest,
  balanceRowExtras,
  commandToRequest,
  incomeRequest,
  leverageRequest,
  listenKeyRequest,
  parseBalanceReply,
  parseCommandResponse,
  parseContractsReply,
  parseIncomeReply,
  parseLeverageReply,
  parseListenKeyReply,
  parseOrderObject,
  parseReconcile,
  parseWsMessage,
  reconcileRequests,
  retryAfterMsFromMsg,
  signParams,
  tryParseEnvelope,
  parseEnvelope,
} from "./adapter.js";
import { classifyReply } from "../connector/wire.js";
import { DEFAULT_CONTRACTS } from "./contracts.js";
import { parseJsonLossless } from "./json.js";
import { T0, openKey } from "./test-util.js";
import { mkVenue } from "./test-util.js";

const fx = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8").trim();
const res = (name: string, httpStatus = 200, requestId = "req-1"): RestResponse => ({ requestId, httpStatus, body: fx(name) });
const ws = (name: string, tsUs = T0) => parseWsMessage({ tsUs, body: fx(name) });

const submit = (over: Partial<Extract<VenueCommand, { kind: "SUBMIT" }>> = {}): Extract<VenueCommand, { kind: "SUBMIT" }> => ({
  kind: "SUBMIT",
  commandId: "cmd-1",
  slotId: 2,
  tradeId: "t1",
  purpose: "ENTRY",
  clientOrderId: "dita-t1-e0",
  symbol: "BTC-USDT",
  side: "BUY",
  positionSide: "BOTH",
  orderType: "MARKET",
  quantity: "0.001",
  reduceOnly: false,
  timeInForce: "GTC",
  ...over,
});
const cancel = (over: Partial<Extract<VenueCommand, { kind: "CANCEL" }>> = {}): Extract<VenueCommand, { kind: "CANCEL" }> => ({
  kind: "CANCEL",
  commandId: "cmd-c",
  slotId: 1,
  tradeId: "t2",
  symbol: "ETH-USDT",
  clientOrderId: "dita-eth2-e0",
  ...over,
});

function expectAdapterError(fn: () => unknown, field: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AdapterError);
    expect((e as AdapterError).field).toBe(field);
    return;
  }
  throw new Error(`expected an AdapterError on ${field}`);
}

describe("fixtures: 19-digit ids stay exact (docs/bingx-protocol.md §3; TOOLCHAIN.md)", () => {
  it("JSON.parse would corrupt them; the adapter does not", () => {
    const text = fx("query-order-market-filled.json");
    expect(String((JSON.parse(text) as any).data.order.orderId)).not.toBe("1933100000000000017");
    expect(parseOrderObject((parseJsonLossless(text) as any).data.order, "data.order").venueOrderId).toBe("1933100000000000017");
  });
});

describe("REST command replies → venue events (spec §0.2, §4.1, §8)", () => {
  it("VST MARKET reply already FILLED → ORDER_ACK + CUMULATIVE fill at avgPrice (never price:0), clientOrderID spelling accepted", () => {
    const evs = parseCommandResponse(submit(), res("place-order-market-vst.json"), T0 + 5);
    expect(evs).toEqual<VenueEvent[]>([
      { kind: "ORDER_ACK", eventId: "rest:ack:1736012449498123456", tsUs: T0 + 5, symbol: "BTC-USDT", venueOrderId: "1736012449498123456", clientOrderId: "dita-t1-e0", slotHint: 2 },
      {
        kind: "FULL_FILL",
        eventId: "rest:1736012449498123456:0.001",
        tsUs: T0 + 5,
        symbol: "BTC-USDT",
        venueOrderId: "1736012449498123456",
        clientOrderId: "dita-t1-e0",
        slotHint: 2,
        fillQty: "0.001",
        quantityMode: "CUMULATIVE",
        fillPrice: "64881.5",
        reason: "rest-order-reply",
      },
    ]);
  });
  it("documented 7-field reply → ORDER_ACK only", () => {
    const evs = parseCommandResponse(submit({ clientOrderId: "x1" }), res("place-order-documented.json"), T0);
    expect(evs.map((e) => [e.kind, e.venueOrderId])).toEqual([["ORDER_ACK", "1735950529123455232"]]);
  });
  it("E12 / L3 / spec §0.2: a filled MARKET exit's bound price (0.2290) never becomes the fill price; avgPrice 0.1866 does; cumulative fee from commission", () => {
    const o = parseOrderObject((parseJsonLossless(fx("query-order-market-filled.json")) as any).data.order, "data.order");
    expect(o).toEqual({ symbol: "FET-USDT", venueOrderId: "1933100000000000017", clientOrderId: "dita-fet1-x0", status: "FILLED", executedQty: "26007", avgPrice: "0.1866", feeUsdt: "2.4264531" });
  });
  it("cancel reply after a partial fill → cumulative fill + CANCEL_ACK carrying the executed quantity (REST CANCELLED double L; F15, chaos seed 899)", () => {
    const evs = parseCommandResponse(cancel({ venueOrderId: "1812345678901234567" }), res("cancel-order-ok.json"), T0);
    expect(evs.map((e) => [e.kind, e.fillQty, e.fillPrice, e.eventId])).toEqual([
      ["PARTIAL_FILL", "0.2", "3650", "rest:1812345678901234567:0.2"],
      ["CANCEL_ACK", "0.2", "3650", "rest:cancel:1812345678901234567"],
    ]);
  });
  it("I21: rate limit in both generations → RATE_LIMITED with retryAfterMs relative to the response time", () => {
    const nowUs = 1_781_136_000_000_000;
    const a = parseCommandResponse(submit(), res("error-rate-limited-new.json"), nowUs);
    expect(a).toEqual([expect.objectContaining({ kind: "RATE_LIMITED", venueCode: 109429, retryAfterMs: 300_000, clientOrderId: "dita-t1-e0", slotHint: 2 })]);
    const b = parseCommandResponse(submit(), res("error-rate-limited-old.json"), nowUs);
    expect(b).toEqual([expect.objectContaining({ kind: "RATE_LIMITED", venueCode: 100410, retryAfterMs: 5_000 })]);
    expect(retryAfterMsFromMsg("no hint", nowUs)).toBeUndefined();
    expect(retryAfterMsFromMsg("will be unblocked after 1781135999000", nowUs)).toBe(0);
    const http = parseCommandResponse(submit(), { requestId: "r", httpStatus: 429, body: "Too Many Requests" }, nowUs);
    expect(http.map((e) => e.kind)).toEqual(["RATE_LIMITED"]);
  });
  it("I11: duplicate clientOrderID (VST 101400) and margin (101204) → ORDER_REJECT with venueCode", () => {
    expect(parseCommandResponse(submit(), res("error-duplicate-client-order-id.json"), T0)).toEqual([
      expect.objectContaining({ kind: "ORDER_REJECT", venueCode: 101400, reason: "OTHER: clientOrderID unique check failed", eventId: "rest:reject:cmd-1:req-1" }),
    ]);
    expect(parseCommandResponse(submit(), res("error-insufficient-margin.json"), T0)[0]).toMatchObject({ kind: "ORDER_REJECT", venueCode: 101204 });
  });
  it("E17 / F17: cancel rejects keep their meaning across code generations (not-exist vs not-cancellable)", () => {
    for (const [f, code, prefix] of [
      ["error-order-not-exist-new.json", 109421, "ORDER_NOT_EXIST"],
      ["error-order-not-exist-old.json", 80016, "ORDER_NOT_EXIST"],
      ["error-already-filled-new.json", 109422, "ORDER_NOT_CANCELLABLE"],
      ["error-already-filled-old.json", 80018, "ORDER_NOT_CANCELLABLE"],
    ] as const) {
      const [e] = parseCommandResponse(cancel(), res(f), T0);
      expect(e).toMatchObject({ kind: "CANCEL_REJECT", venueCode: code });
      expect(e!.reason!.startsWith(prefix + ":")).toBe(true);
    }
  });
  it("H8: an unknown order status is an error naming the field, not an ACK", () => {
    const body = fx("place-order-market-vst.json").replace('"FILLED"', '"WORKING"');
    expectAdapterError(() => parseCommandResponse(submit(), { requestId: "r", httpStatus: 200, body }, T0), "data.order.status");
    expectAdapterError(() => parseCommandResponse(submit(), { requestId: "r", httpStatus: 502, body: "<html>bad gateway</html>" }, T0), "body");
  });
});

describe("WS frames → kernel inputs (docs/bingx-protocol.md §6, §12; spec §5.2, §6.2)", () => {
  it("NEW → ORDER_ACK with c; TRADE without c → CUMULATIVE fill (z, ap), fee = −n INCREMENTAL, plus FILL_SETTLED (rp, −n, cumQty z)", () => {
    expect(ws("ws-order-new.json").venueEvents).toEqual([
      { kind: "ORDER_ACK", eventId: "ws:1933100000000000001:NEW:0:NEW", tsUs: T0, symbol: "FET-USDT", venueOrderId: "1933100000000000001", clientOrderId: "dita-fet1-e0" },
    ]);
    const r = ws("ws-order-trade-partial.json", T0 + 7);
    expect(r.venueEvents).toEqual([
      {
        kind: "PARTIAL_FILL",
        eventId: "ws:1933100000000000001:TRADE:195259:PARTIALLY_FILLED",
        tsUs: T0 + 7,
        symbol: "FET-USDT",
        venueOrderId: "1933100000000000001",
        fillQty: "195259",
        quantityMode: "CUMULATIVE",
        fillPrice: "0.1878",
        feeUsdt: "18.3348201",
        feeMode: "INCREMENTAL",
      },
    ]);
    expect(r.accountEvents).toEqual<AccountEvent[]>([
      { kind: "FILL_SETTLED", eventId: "ws:1933100000000000001:TRADE:195259:PARTIALLY_FILLED:settled", tsUs: T0 + 7, symbol: "FET-USDT", venueOrderId: "1933100000000000001", realizedPnlUsdt: "0", feeUsdt: "18.3348201", cumQty: "195259" },
    ]);
    const full = ws("ws-order-trade-filled.json").venueEvents[0]!;
    expect(full).toMatchObject({ kind: "FULL_FILL", venueOrderId: "1933100000000000001", clientOrderId: "dita-fet1-e0", fillQty: "202276" });
  });
  it("FET incident / spec §0.2: the exit frame's p=0.2290 bound is ignored, ap=0.1866 is the fill price; rp settles", () => {
    const r = ws("ws-order-exit-bound.json");
    expect(r.venueEvents[0]).toMatchObject({ kind: "FULL_FILL", fillPrice: "0.1866", fillQty: "26007", feeUsdt: "2.4264531" });
    expect(JSON.stringify(r)).not.toContain("0.229");
    expect(r.accountEvents[0]).toMatchObject({ kind: "FILL_SETTLED", realizedPnlUsdt: "31.2084", feeUsdt: "2.4264531" });
  });
  it("Nothing is lost (no silent fallback): a TRADE frame without rp emits no FILL_SETTLED, without n a fill with no fee; both named in missing", () => {
    const body = fx("ws-order-trade-partial.json"); // edited as text: "i" is a 19-digit JSON number
    expect(body).toContain(',"rp":"0"');
    const r1 = parseWsMessage({ tsUs: T0, body: body.replace(',"rp":"0"', "") });
    expect(r1.accountEvents).toEqual([]);
    expect(r1.missing).toEqual(["frame.o.rp"]);
    expect(r1.venueEvents[0]).toMatchObject({ kind: "PARTIAL_FILL", venueOrderId: "1933100000000000001", fillQty: "195259", feeUsdt: "18.3348201" });
    expect(body).toContain(',"n":"-18.33482010"');
    const r2 = parseWsMessage({ tsUs: T0, body: body.replace(',"n":"-18.33482010"', "") });
    expect(r2.missing).toEqual(["frame.o.n"]);
    expect(r2.venueEvents[0]!.feeUsdt).toBeUndefined();
    expect(r2.venueEvents[0]!.feeMode).toBeUndefined();
    expect(r2.accountEvents[0]).toMatchObject({ kind: "FILL_SETTLED", realizedPnlUsdt: "0", feeUsdt: "0" });
    expect(ws("ws-order-trade-partial.json").missing).toBeUndefined();
  });
  it("CANCELED (single L) → CANCEL_ACK; c:'' is no client id", () => {
    const e = ws("ws-order-canceled.json").venueEvents[0]!;
    expect(e).toMatchObject({ kind: "CANCEL_ACK", venueOrderId: "1812345678901234567", reason: "CANCELED" });
    expect(e.clientOrderId).toBeUndefined();
  });
  it("F15 / F16 (chaos seed 7050): an EXPIRED/CANCELED frame after fills → CANCEL_ACK carrying z as a CUMULATIVE fillQty and ap as fillPrice; z=0 carries none", () => {
    const frame = (x: string, z: string, ap?: string) =>
      parseWsMessage({ tsUs: T0, body: JSON.stringify({ e: "ORDER_TRADE_UPDATE", E: 1, o: { s: "FET-USDT", i: 981, S: "SELL", o: "LIMIT", q: "141257", p: "0.1876", ...(ap ? { ap } : {}), x, X: x, N: "USDT", n: "0", T: 1, ps: "BOTH", rp: "0", z } }) }).venueEvents;
    expect(frame("EXPIRED", "80854", "0.1876")).toEqual([
      { kind: "CANCEL_ACK", eventId: "ws:981:EXPIRED:80854:EXPIRED", tsUs: T0, symbol: "FET-USDT", venueOrderId: "981", reason: "EXPIRED", fillQty: "80854", quantityMode: "CUMULATIVE", fillPrice: "0.1876" },
    ]);
    const noAp = frame("CANCELED", "100")[0]!;
    expect([noAp.fillQty, noAp.quantityMode, noAp.fillPrice]).toEqual(["100", "CUMULATIVE", undefined]);
    const unfilled = frame("CANCELED", "0", "0.0000")[0]!;
    expect([unfilled.fillQty, unfilled.quantityMode, unfilled.fillPrice]).toEqual([undefined, undefined, undefined]);
  });
  it("L5 / L4: ACCOUNT_UPDATE with wb → BALANCE (no available margin from cw); without wb → nothing, never 0", () => {
    expect(ws("ws-account-update-wb.json").accountEvents).toEqual([{ kind: "BALANCE", eventId: expect.stringMatching(/^ws:acct:[0-9a-f]{20}:0:USDT$/), tsUs: T0, walletBalanceUsdt: "99981.0066" }]);
    // issue 15: the missing wb is also named, so the trace shows why no balance came of the frame.
    expect(ws("ws-account-update-nowb.json")).toEqual({ venueEvents: [], accountEvents: [], missing: ["frame.a.B[0].wb"] });
  });
  it("funding ACCOUNT_UPDATE (m=FUNDING_FEE, B only) → BALANCE + FUNDING of bc", () => {
    const a = ws("ws-account-update-funding.json").accountEvents;
    expect(a.map((e) => e.kind)).toEqual(["BALANCE", "FUNDING"]);
    expect(a[1]).toMatchObject({ kind: "FUNDING", amountUsdt: "3.7986", symbol: "*" }); // cross margin: no symbol on the wire
  });
  it("L14: listenKeyExpired → a control signal, not a throw; ACCOUNT_CONFIG_UPDATE ignored; Ping → PING", () => {
    expect(ws("ws-listen-key-expired.json")).toEqual({ venueEvents: [], accountEvents: [], control: { kind: "LISTEN_KEY_EXPIRED", listenKey: "a8ea75681542e66f1a50a1616dd06ed77dab61baa0c296bca03a9b13ee5f2dd7" } });
    expect(ws("ws-account-config-update.json").ignored).toBe("ACCOUNT_CONFIG_UPDATE");
    expect(parseWsMessage({ tsUs: T0, body: "Ping" }).control).toEqual({ kind: "PING" });
  });
  it("Flaw 10 / I10: a duplicated frame yields identical event ids", () => {
    for (const f of ["ws-order-trade-partial.json", "ws-account-update-funding.json", "ws-order-canceled.json"]) {
      const ids = (r: ReturnType<typeof ws>) => [...r.venueEvents, ...r.accountEvents].map((e) => e.eventId);
      expect(ids(ws(f, T0))).toEqual(ids(ws(f, T0 + 999)));
    }
  });
  it("H6 / H8: unknown status or execution type → AdapterError naming the field; an unknown event type is skipped and named, never fatal (issue 15)", () => {
    // Was an AdapterError on frame.e, which ended a whole run at the first new frame type (issue 15).
    expect(parseWsMessage({ tsUs: T0, body: '{"e":"MARGIN_CALL","E":1}' })).toEqual({ venueEvents: [], accountEvents: [], ignored: "MARGIN_CALL", unknownEventType: "MARGIN_CALL" });
    expectAdapterError(() => parseWsMessage({ tsUs: T0, body: fx("ws-order-new.json").replace('"X":"NEW"', '"X":"RUNNING"') }), "frame.o.X");
    expectAdapterError(() => parseWsMessage({ tsUs: T0, body: fx("ws-order-new.json").replace('"x":"NEW"', '"x":"AMENDMENT"') }), "frame.o.x");
    expectAdapterError(() => parseWsMessage({ tsUs: T0, body: fx("ws-account-update-wb.json").replace('"m":"ORDER"', '"m":"MYSTERY"') }), "frame.a.m");
    expectAdapterError(() => parseWsMessage({ tsUs: T0, body: fx("ws-order-trade-partial.json").replace('"z":"195259"', '"z":"0"') }), "frame.o.z");
  });
  it("issue 15: a fill frame without ap (or with the sentinel ap 0) names frame.o.ap in missing; its fillPrice is the unpriced marker, not a price", () => {
    for (const body of [fx("ws-order-trade-partial.json").replace(/"ap":"[^"]*",?/, ""), fx("ws-order-trade-partial.json").replace(/"ap":"[^"]*"/, '"ap":"0"')]) {
      const r = parseWsMessage({ tsUs: T0, body });
      expect(r.missing).toContain("frame.o.ap");
      expect(r.venueEvents[0]).toMatchObject({ fillPrice: "0" });
    }
    expect(ws("ws-order-trade-partial.json").missing ?? []).not.toContain("frame.o.ap");
  });
  it("issue 15: a fill frame without z is an AdapterError that says z is missing (not 'got 0')", () => {
    const body = fx("ws-order-trade-partial.json").replace(/,"z":"195259"/, "");
    expect(() => parseWsMessage({ tsUs: T0, body })).toThrow(/frame\.o\.z.*\(missing\)/);
  });
});

describe("stream frames read again (a duplicated frame; issue 12)", () => {
  it("the same frame text gives equal, separate results every time, at each frame's own tsUs; a bad frame is refused every time", () => {
    for (const name of ["ws-order-trade-partial.json", "ws-account-update-wb.json", "ws-account-update-funding.json"]) {
      const first = ws(name, T0 + 1);
      const again = ws(name, T0 + 1);
      expect(again).toStrictEqual(first);
      expect(again.venueEvents).not.toBe(first.venueEvents);
      for (const [i, ev] of again.accountEvents.entries()) expect(ev).not.toBe(first.accountEvents[i]);
      // Results are the caller's own: changing one leaves the next read untouched.
      if (first.accountEvents[0]) (first.accountEvents[0] as { eventId: string }).eventId = "changed";
      expect(ws(name, T0 + 1)).toStrictEqual(again);
      // Stamped with the frame's own time, not a remembered one.
      const later = ws(name, T0 + 9);
      for (const ev of [...later.venueEvents, ...later.accountEvents]) expect(ev.tsUs).toBe(T0 + 9);
    }
    const bad = fx("ws-order-trade-partial.json").slice(0, -3);
    expect(() => parseWsMessage({ tsUs: T0, body: bad })).toThrow(AdapterError);
    expect(() => parseWsMessage({ tsUs: T0, body: bad })).toThrow(/frame=.*not JSON/);
  });
});

describe("bodies without an envelope (docs/bingx-protocol.md §3: the listen-key create reply is bare)", () => {
  it("tryParseEnvelope reports what parseEnvelope throws, and classifyReply's msg is that error's text", () => {
    for (const body of ['{"listenKey":"ab12"}', "{}", '{"code":"x1","msg":"m"}', '{"code":null}']) {
      const res: RestResponse = { requestId: "r1", httpStatus: 200, body };
      let thrown: AdapterError | undefined;
      try {
        parseEnvelope(res);
      } catch (e) {
        thrown = e as AdapterError;
      }
      expect(thrown).toBeInstanceOf(AdapterError);
      const r = tryParseEnvelope(res);
      expect("problem" in r && r.problem).toEqual({ field: thrown!.field, value: thrown!.value, detail: expect.any(String), message: thrown!.message });
      expect(classifyReply(res, T0).msg).toBe(`no envelope: ${thrown!.message}`);
    }
    // Not JSON, or not an object: still thrown by both, and classified by the same text.
    for (const body of ["", "[1]", "nope"]) {
      const res: RestResponse = { requestId: "r2", httpStatus: 503, body };
      expect(() => tryParseEnvelope(res)).toThrow(AdapterError);
      let msg = "";
      try {
        parseEnvelope(res);
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(classifyReply(res, T0)).toMatchObject({ msg: `no envelope: ${msg}`, unavailable: true, cls: "OTHER" });
    }
  });
});

describe("balance, income, contracts, listen key replies (docs/bingx-protocol.md §3, §4.4)", () => {
  it("balance v2 / v3 docs / v3 VST spelling → BALANCE with wallet and available margin (L4)", () => {
    expect(parseBalanceReply(res("balance-v2.json"), T0)).toEqual({ kind: "BALANCE", eventId: "rest:balance:req-1", tsUs: T0, walletBalanceUsdt: "100194.9188", availableMarginUsdt: "87544.5778" });
    expect(parseBalanceReply(res("balance-v3-docs.json"), T0)).toMatchObject({ walletBalanceUsdt: "100194.9188" });
    expect(parseBalanceReply(res("balance-v3-vst.json"), T0)).toMatchObject({ walletBalanceUsdt: "99806.2231", availableMarginUsdt: "99806.2231" });
    const docsRow = (parseJsonLossless(fx("balance-v3-docs.json")) as any).data[0];
    const vstRow = (parseJsonLossless(fx("balance-v3-vst.json")) as any).data[0];
    expect(balanceRowExtras(docsRow, "d")).toEqual({ realizedProfitUsdt: "242.7312", frozenMarginUsdt: "0" });
    expect(balanceRowExtras(vstRow, "d")).toEqual({ realizedProfitUsdt: "-18.9859", frozenMarginUsdt: "0" });
    expectAdapterError(() => parseBalanceReply(res("balance-v3-vst.json"), T0, "USDT"), "data[].asset");
  });
  it("income rows with tranId → rows + FUNDING events keyed by the funding identity the stream frame shares (issue 12; was income:<tranId>, which no frame could match)", () => {
    const { rows, funding } = parseIncomeReply(res("income.json"), T0);
    expect(rows.map((r) => [r.incomeType, r.incomeUsdt, r.tranId])).toEqual([
      ["TRADING_FEE", "-18.9933864", "1000000001"],
      ["FUNDING_FEE", "3.79855128", "1000000002"],
      ["REALIZED_PNL", "31.2084", "1000000003"],
    ]);
    expect(funding).toEqual([{ kind: "FUNDING", eventId: "funding:USDT:1781164800000:3.79855128", tsUs: T0, symbol: "FET-USDT", amountUsdt: "3.79855128" }]);
  });
  it("contracts reply with numeric fields → ContractSpec; listen key create is bare", () => {
    expect(parseContractsReply(res("contracts.json"))).toEqual([DEFAULT_CONTRACTS[0]]);
    expect(parseListenKeyReply(res("listen-key-create.json"))).toMatch(/^[0-9a-f]{64}$/);
    expectAdapterError(() => parseListenKeyReply(res("error-duplicate-client-order-id.json")), "body.listenKey");
  });
});

describe("commands → requests (docs/bingx-protocol.md §4.1; Flaw 6, Flaw 9, H7)", () => {
  const ctx = { requestId: "q1", nowUs: T0 + 1_500 };
  it("MARKET sends no price; LIMIT sends price and time in force (POST_ONLY → PostOnly); reduceOnly string; timestamp ms", () => {
    expect(commandToRequest(submit(), ctx)).toEqual({
      method: "POST",
      path: "/openApi/swap/v2/trade/order",
      requestId: "q1",
      params: { timestamp: String(Math.floor((T0 + 1500) / 1000)), symbol: "BTC-USDT", side: "BUY", positionSide: "BOTH", reduceOnly: "false", type: "MARKET", quantity: "0.001", clientOrderId: "dita-t1-e0" },
    });
    const lim = commandToRequest(submit({ orderType: "LIMIT", limitPrice: "64000.0", timeInForce: "POST_ONLY", purpose: "EXIT", side: "SELL", reduceOnly: true }), ctx);
    expect(lim.params).toMatchObject({ type: "LIMIT", price: "64000", timeInForce: "PostOnly", reduceOnly: "true" });
  });
  it("hedge mode maps purpose+side to LONG/SHORT and sends no reduceOnly", () => {
    const h = { ...ctx, hedgeMode: true };
    expect(commandToRequest(submit({ side: "SELL" }), h).params).toMatchObject({ positionSide: "SHORT" });
    expect(commandToRequest(submit({ side: "BUY", purpose: "EXIT", reduceOnly: true }), h).params.positionSide).toBe("SHORT");
    expect(commandToRequest(submit({ side: "SELL", purpose: "EXIT", reduceOnly: true }), h).params.positionSide).toBe("LONG");
    expect(commandToRequest(submit(), h).params.reduceOnly).toBeUndefined();
  });
  it("CANCEL by orderId when known, else by clientOrderId, always with the order's symbol (Flaw 9)", () => {
    expect(commandToRequest(cancel({ venueOrderId: "1812345678901234567" }), ctx).params).toMatchObject({ symbol: "ETH-USDT", orderId: "1812345678901234567" });
    expect(commandToRequest(cancel(), ctx).params).toMatchObject({ symbol: "ETH-USDT", clientOrderId: "dita-eth2-e0" });
    expect(commandToRequest(cancel(), ctx).method).toBe("DELETE");
  });
  it("malformed commands are AdapterErrors naming the field", () => {
    expectAdapterError(() => commandToRequest(submit({ orderType: "LIMIT" }), ctx), "command.limitPrice");
    expectAdapterError(() => commandToRequest(submit({ limitPrice: "1" }), ctx), "command.limitPrice");
    expectAdapterError(() => commandToRequest(submit({ quantity: "0" }), ctx), "command.quantity");
    expectAdapterError(() => commandToRequest(submit({ symbol: "t-123" }), ctx), "command.symbol");
    expectAdapterError(() => commandToRequest(submit({ clientOrderId: "UPPER" }), ctx), "command.clientOrderId");
    expectAdapterError(() => commandToRequest(cancel({ venueOrderId: "12ab" }), ctx), "command.venueOrderId");
    expectAdapterError(() => commandToRequest(submit(), { requestId: "", nowUs: T0 }), "ctx.requestId");
  });
  it("signParams: sorted parameter string, lowercase hex HMAC-SHA256; the secret never appears in an error", () => {
    const secret = "mheO6dR8ovSsxZQCOYEFCtelpuxcWGTfHw7te326y6jOwq5WpvFQ9JNljoTwBXZGv5It07m9RXSPpDQEK2w";
    const { query, signature } = signParams({ timestamp: "1667872120843", symbol: "BTC-USDT", quantity: "5", side: "BUY" }, secret);
    const pre = "quantity=5&side=BUY&symbol=BTC-USDT&timestamp=1667872120843";
    expect(query).toBe(`${pre}&signature=${signature}`);
    expect(signature).toBe(createHmac("sha256", secret).update(pre).digest("hex"));
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
    expect(signParams({ takeProfit: '{"type":"TAKE_PROFIT_MARKET"}', timestamp: "1" }, secret).query.startsWith("takeProfit=%7B%22type%22")).toBe(true);
    for (const f of [() => signParams({ signature: "x" }, secret), () => signParams({ a: 1 as unknown as string }, secret)]) {
      try {
        f();
        throw new Error("accepted");
      } catch (e) {
        expect(String(e)).not.toContain(secret);
      }
    }
    expect(() => signParams({}, "")).toThrow(/secretKey is empty/);
  });
});

describe("adapter × mock venue round trip (one adapter for mock and live)", () => {
  it("command → request → venue → reply → events; stream frames → events; CUMULATIVE fills reach the order quantity at the true average price", () => {
    const v = mkVenue({ model: { levelDepthUsdt: "4000" }, quirks: { omitWalletBalance: 0 } });
    const key = parseListenKeyReply(v.handleRest(listenKeyRequest("create", { requestId: "lk", nowUs: T0 }), T0));
    expect(v.listenKeys()).toEqual([key]);
    const lev = v.handleRest(leverageRequest("FET-USDT", 3, "BOTH", { requestId: "lev", nowUs: T0 + 1 }), T0 + 1);
    expect(parseLeverageReply(lev)).toEqual({ symbol: "FET-USDT", leverage: 3 });
    // E15 / F18: a leverage failure is its own error (venue code named), never an order reject.
    expectAdapterError(() => parseLeverageReply(v.handleRest(leverageRequest("FET-USDT", 60, "BOTH", { requestId: "lev2", nowUs: T0 + 1 }), T0 + 1)), "body.code");
    v.onMarketTick({ tsUs: T0 + 2, symbol: "FET-USDT", priceUsdt: "0.1878" });
    const cmd = submit({ symbol: "FET-USDT", side: "SELL", quantity: "202276", clientOrderId: "dita-fet1-e0" });
    const req = commandToRequest(cmd, { requestId: "s1", nowUs: T0 + 3 });
    const reply = v.handleRest(req, T0 + 1003);
    const restEvents = parseCommandResponse(cmd, reply, T0 + 1003);
    expect(restEvents.map((e) => e.kind)).toEqual(["ORDER_ACK", "FULL_FILL"]);
    const venueOrderId = restEvents[0]!.venueOrderId!;
    expect(venueOrderId).toMatch(/^\d{19}$/);
    const parsed = v.drainStream().map(parseWsMessage);
    const fills = parsed.flatMap((p) => p.venueEvents).filter((e) => e.kind === "PARTIAL_FILL" || e.kind === "FULL_FILL");
    expect(fills.length).toBeGreaterThan(1);
    for (const f of fills) {
      expect(f.venueOrderId).toBe(venueOrderId);
      expect(f.clientOrderId).toBeUndefined(); // WS omits c by default: routing by order id
    }
    expect(fills.at(-1)!.fillQty).toBe("202276");
    expect(fills.at(-1)!.fillPrice).toBe(restEvents[1]!.fillPrice);
    const settled = parsed.flatMap((p) => p.accountEvents).filter((e) => e.kind === "FILL_SETTLED");
    const fees = settled.reduce((a, e) => a + Number((e as { feeUsdt: string }).feeUsdt), 0);
    expect(fees).toBeCloseTo(Number(v.ledger().feesPaidUsdt), 8);
    const balances = parsed.flatMap((p) => p.accountEvents).filter((e) => e.kind === "BALANCE");
    expect(balances.at(-1)).toMatchObject({ walletBalanceUsdt: v.ledger().walletBalanceUsdt });
    // Exit: reduce-only MARKET, cancel afterwards is rejected as not cancellable.
    v.onMarketTick({ tsUs: T0 + 60_000_000, symbol: "FET-USDT", priceUsdt: "0.1866" });
    const exit = submit({ symbol: "FET-USDT", side: "BUY", quantity: "202276", clientOrderId: "dita-fet1-x0", purpose: "EXIT", reduceOnly: true, commandId: "cmd-x" });
    const exitEvents = parseCommandResponse(exit, v.handleRest(commandToRequest(exit, { requestId: "s2", nowUs: T0 + 60_000_001 }), T0 + 60_000_001), T0 + 60_000_001);
    expect(exitEvents[1]).toMatchObject({ kind: "FULL_FILL", fillQty: "202276" });
    const exitSettled = v.drainStream().map(parseWsMessage).flatMap((p) => p.accountEvents).filter((e) => e.kind === "FILL_SETTLED");
    const rp = exitSettled.reduce((a, e) => a + Number((e as { realizedPnlUsdt: string }).realizedPnlUsdt), 0);
    expect(rp).toBeCloseTo(Number(v.ledger().realizedPnlUsdt), 6);
    expect(rp).toBeGreaterThan(0); // short from ~0.1877 to ~0.1866
    const c = cancel({ symbol: "FET-USDT", clientOrderId: "dita-fet1-x0", venueOrderId: exitEvents[0]!.venueOrderId! });
    const cr = parseCommandResponse(c, v.handleRest(commandToRequest(c, { requestId: "c1", nowUs: T0 + 60_000_002 }), T0 + 60_000_002), T0 + 60_000_002);
    expect(cr[0]).toMatchObject({ kind: "CANCEL_REJECT", venueCode: 109422 });
    expect(v.positions()["FET-USDT"]).toBe("0");
  });

  it("E24 / Flaw 7: with quirks.ackShape 'documented' the POST reply is an ACK only and the MARKET fills reach the kernel only through the stream", () => {
    const v = mkVenue({ model: { levelDepthUsdt: "3000" }, quirks: { ackShape: "documented" } });
    openKey(v, T0);
    v.onMarketTick({ tsUs: T0 + 1, symbol: "SOL-USDT", priceUsdt: "150.00" });
    const cmd = submit({ symbol: "SOL-USDT", quantity: "100.0", clientOrderId: "dita-sol-e0" });
    const reply = v.handleRest(commandToRequest(cmd, { requestId: "s", nowUs: T0 + 2 }), T0 + 2);
    expect(Object.keys((parseJsonLossless(reply.body) as any).data.order).sort()).toEqual(["clientOrderId", "orderId", "positionSide", "side", "symbol", "type", "workingType"]);
    expect(parseCommandResponse(cmd, reply, T0 + 2).map((e) => e.kind)).toEqual(["ORDER_ACK"]);
    const fills = v.drainStream().flatMap((m) => parseWsMessage(m).venueEvents).filter((e) => e.fillQty !== undefined);
    expect(fills.length).toBeGreaterThan(1);
    expect(fills.at(-1)).toMatchObject({ kind: "FULL_FILL", fillQty: "100" });
  });

  it("I11 / Flaw 11: a lost place reply is recovered by reconcile: query by clientOrderId, open orders, positions → ReconcileReport", () => {
    const v = mkVenue({ model: { levelDepthUsdt: "2000" } });
    openKey(v, T0);
    v.onMarketTick({ tsUs: T0 + 1, symbol: "ETH-USDT", priceUsdt: "3600.00" });
    v.onMarketTick({ tsUs: T0 + 2, symbol: "FET-USDT", priceUsdt: "0.1878" });
    const lost = submit({ symbol: "FET-USDT", side: "SELL", quantity: "1000", clientOrderId: "dita-lost-e0" });
    v.handleRest(commandToRequest(lost, { requestId: "s1", nowUs: T0 + 3 }), T0 + 3); // reply lost
    const resting = submit({ symbol: "ETH-USDT", orderType: "LIMIT", limitPrice: "3550.00", quantity: "2.00", clientOrderId: "dita-eth-e0", commandId: "c2" });
    const ack = parseCommandResponse(resting, v.handleRest(commandToRequest(resting, { requestId: "s2", nowUs: T0 + 4 }), T0 + 4), T0 + 4);
    const reqs = reconcileRequests(
      ["ETH-USDT", "FET-USDT"],
      [
        { symbol: "FET-USDT", clientOrderId: "dita-lost-e0" },
        { symbol: "ETH-USDT", venueOrderId: ack[0]!.venueOrderId! },
        { symbol: "ETH-USDT", clientOrderId: "dita-never-placed" },
      ],
      { requestId: "rc", nowUs: T0 + 5 },
    );
    expect(reqs.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /openApi/swap/v2/user/positions",
      "GET /openApi/swap/v2/trade/openOrders",
      "GET /openApi/swap/v2/trade/openOrders",
      "GET /openApi/swap/v2/trade/order",
      "GET /openApi/swap/v2/trade/order",
      "GET /openApi/swap/v2/trade/order",
    ]);
    const replies = reqs.map((request) => ({ request, response: v.handleRest(request, T0 + 6) }));
    const report = parseReconcile(replies, T0 + 6, ["ETH-USDT", "FET-USDT"]);
    expect(report.positions).toEqual([
      { symbol: "FET-USDT", positionSide: "BOTH", quantity: "-1000" },
      { symbol: "ETH-USDT", positionSide: "BOTH", quantity: "0" },
    ]);
    expect(report.orders).toEqual([
      expect.objectContaining({ symbol: "FET-USDT", clientOrderId: "dita-lost-e0", status: "FILLED", executedQty: "1000", avgPrice: "0.1878", feeUsdt: "0.0939" }),
      expect.objectContaining({ symbol: "ETH-USDT", venueOrderId: ack[0]!.venueOrderId!, clientOrderId: "dita-eth-e0", status: "PENDING", executedQty: "0", avgPrice: "0" }),
      { symbol: "ETH-USDT", venueOrderId: "0", clientOrderId: "dita-never-placed", status: "NOT_FOUND", executedQty: "0", avgPrice: "0" },
    ]);
    expect(report.orders[0]!.venueOrderId).toMatch(/^\d{19}$/);
    // A throttled read must not pass for the truth.
    v.injectRateLimitStorm(T0 + 100_000_000);
    const throttled = reqs.map((request) => ({ request, response: v.handleRest(request, T0 + 7) }));
    expectAdapterError(() => parseReconcile(throttled, T0 + 7, ["ETH-USDT"]), "reply(GET /openApi/swap/v2/trade/order).code");
  });

  it("balance and income requests against the mock parse into the same ledger", () => {
    const v = mkVenue({ model: { balanceV3Spelling: "docs" } });
    v.onMarketTick({ tsUs: T0 + 1, symbol: "BTC-USDT", priceUsdt: "64880.6" });
    const c = submit();
    parseCommandResponse(c, v.handleRest(commandToRequest(c, { requestId: "s", nowUs: T0 + 2 }), T0 + 2), T0 + 2);
    const b2 = parseBalanceReply(v.handleRest(balanceRequest("v2", { requestId: "b2", nowUs: T0 + 3 }), T0 + 3), T0 + 3);
    const b3 = parseBalanceReply(v.handleRest(balanceRequest("v3", { requestId: "b3", nowUs: T0 + 4 }), T0 + 4), T0 + 4);
    expect(b2).toMatchObject({ walletBalanceUsdt: v.ledger().walletBalanceUsdt });
    expect(b3).toMatchObject({ walletBalanceUsdt: v.ledger().walletBalanceUsdt });
    const inc = parseIncomeReply(v.handleRest(incomeRequest({ requestId: "i", nowUs: T0 + 5 }), T0 + 5), T0 + 5);
    expect(inc.rows.map((r) => r.incomeType)).toEqual(["TRADING_FEE"]);
    expect(inc.rows[0]!.incomeUsdt).toBe("-" + v.ledger().feesPaidUsdt);
  });
});
