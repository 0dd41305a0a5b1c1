import fc from "fast-check";
import seedrandom from "seedrandom";
import { describe, expect, it } from "vitest";
import { Dec } from "./dec.js";
import { RawNumber, isWireNumber, parseJsonLossless, toJsonText, type JsonValue, type Wire } from "./json.js";
import { T0, body, call, frames, mkVenue, num, openKey, place } from "./test-util.js";

const ORDER = "/openApi/swap/v2/trade/order";
const S = 1_000_000;

describe("MARKET orders (docs/bingx-protocol.md §5, §12; Flaw 7, E24, A9)", () => {
  it("walks several depth levels: several fills at different prices, true cumulative ap/z, bound price in p/price, coarse cumQuote", () => {
    const v = mkVenue({ model: { levelDepthUsdt: "5000" }, quirks: { depthLevels: 4, slippageBps: 5 } });
    openKey(v, T0);
    v.onMarketTick({ tsUs: T0 + 1, symbol: "FET-USDT", priceUsdt: "0.1878" });
    const r = place(v, T0 + 2, { symbol: "FET-USDT", side: "BUY", type: "MARKET", quantity: "100000", clientOrderId: "Dita-T1-E0" });
    expect(r.code).toBe(0);
    // The POST reply already shows the fill (real VST, docs/bingx-protocol.md §4.1), price echoes 0.
    expect(r.data.order.status).toBe("FILLED");
    expect(r.data.order.executedQty).toBe("100000");
    expect(num(r.data.order.price)).toBe("0");
    expect(r.data.order.clientOrderId).toBe("dita-t1-e0"); // lower-cased by the server
    const fs = frames(v.drainStream());
    const trades = fs.filter((f) => f.e === "ORDER_TRADE_UPDATE" && f.o.x === "TRADE");
    expect(trades.length).toBeGreaterThanOrEqual(3);
    // Per-fill prices recovered from the cumulative (z, ap) pairs differ: a real multi-level walk.
    let prevN = new Dec(0);
    let prevZ = new Dec(0);
    const fillPrices: string[] = [];
    for (const t of trades) {
      const z = new Dec(t.o.z);
      const n = z.mul(t.o.ap);
      fillPrices.push(n.minus(prevN).div(z.minus(prevZ)).toDecimalPlaces(4).toFixed());
      prevN = n;
      prevZ = z;
      expect(t.o.p).toBe(trades[0].o.p); // the nominal price never moves
      expect(t.o.c).toBeUndefined(); // omitWsClientOrderId default (spec §6.2)
      expect(new Dec(t.o.n).isNeg()).toBe(true); // fee paid = negative n
    }
    expect(new Set(fillPrices).size).toBeGreaterThan(1);
    expect(trades.at(-1).o.X).toBe("FILLED");
    expect(trades.at(-1).o.z).toBe("100000");
    // Protective bound 20-25 % above the tape for a BUY; the true average stays near the tape.
    const p = new Dec(trades[0].o.p);
    expect(p.gte("0.2253") && p.lte("0.2348")).toBe(true);
    const ap = new Dec(trades.at(-1).o.ap);
    expect(ap.gte("0.1878") && ap.lt("0.19")).toBe(true);
    const q = body(call(v, "GET", ORDER, { symbol: "FET-USDT", orderId: num(r.data.order.orderId) }, T0 + 3)).data.order;
    expect(q.price).toBe(trades[0].o.p);
    expect(q.avgPrice).toBe(trades.at(-1).o.ap);
    expect(q.cumQuote).toMatch(/^\d+$/); // coarse (docs/bingx-protocol.md §4.2)
    expect(q.cumQuote).toBe(ap.mul(100000).toDecimalPlaces(0, Dec.ROUND_HALF_UP).toFixed());
    expect(new Dec(q.commission).isNeg()).toBe(true);
  });

  it("marketBoundPrice:false makes p the near-fill tape price; a SELL bound is below the tape", () => {
    const v = mkVenue({ quirks: { marketBoundPrice: false } });
    openKey(v, T0);
    v.onMarketTick({ tsUs: T0 + 1, symbol: "BTC-USDT", priceUsdt: "64880.6" });
    place(v, T0 + 2, { symbol: "BTC-USDT", side: "SELL", type: "MARKET", quantity: "0.01" });
    const t = frames(v.drainStream()).find((f) => f.o?.x === "TRADE");
    expect(t.o.p).toBe("64880.6");
    const w = mkVenue({ model: { boundPct: 0.2194 } });
    openKey(w, T0);
    w.onMarketTick({ tsUs: T0 + 1, symbol: "FET-USDT", priceUsdt: "0.1878" });
    place(w, T0 + 2, { symbol: "FET-USDT", side: "BUY", type: "MARKET", quantity: "26007" });
    expect(frames(w.drainStream()).find((f) => f.o?.x === "TRADE").o.p).toBe("0.2291"); // FET incident shape: 0.229 vs 0.1878
    place(w, T0 + 3, { symbol: "FET-USDT", side: "SELL", type: "MARKET", quantity: "26007", reduceOnly: "true" });
    expect(frames(w.drainStream()).find((f) => f.o?.x === "TRADE").o.p).toBe("0.1465");
  });
});

describe("LIMIT orders: queue, partial fills, time in force (E25)", () => {
  it("a resting order fills only after the queue ahead has traded, partially on touches, at its limit price as maker", () => {
    const v = mkVenue({ model: { levelDepthUsdt: "2000", fullFillTicksThrough: 1000 } });
    openKey(v, T0);
    v.onMarketTick({ tsUs: T0 + 1, symbol: "ETH-USDT", priceUsdt: "3600.00" });
    const r = place(v, T0 + 2, { symbol: "ETH-USDT", side: "BUY", type: "LIMIT", price: "3590.00", quantity: "3.00", timeInForce: "GTC", clientOrderId: "q1" });
    expect(r.code).toBe(0);
    expect(r.data.order.status).toBe("NEW");
    const id = num(r.data.order.orderId);
    const q0 = body(call(v, "GET", ORDER, { symbol: "ETH-USDT", orderId: id }, T0 + 3)).data.order;
    expect(q0.status).toBe("PENDING"); // resting order in REST (docs/bingx-protocol.md §4.2)
    expect(frames(v.drainStream()).map((f) => f.o?.X)).toEqual(["NEW"]);
    // Not touched: nothing.
    expect(v.onMarketTick({ tsUs: T0 + 4, symbol: "ETH-USDT", priceUsdt: "3595.00" })).toEqual([]);
    // Touch repeatedly: the first touches only eat the queue ahead (≥ 0.27 ETH), later ones fill partially.
    const fills: any[] = [];
    let firstFillTouch = -1;
    for (let i = 0; i < 40 && fills.at(-1)?.o.X !== "FILLED"; i++) {
      const fs = frames(v.onMarketTick({ tsUs: T0 + 10 + i, symbol: "ETH-USDT", priceUsdt: "3590.00" })).filter((f) => f.o?.x === "TRADE");
      if (fs.length && firstFillTouch < 0) firstFillTouch = i;
      fills.push(...fs);
    }
    expect(firstFillTouch).toBeGreaterThan(0); // queue ahead first
    expect(fills.length).toBeGreaterThan(1); // several partial fills
    expect(fills[0].o.X).toBe("PARTIALLY_FILLED");
    expect(fills.at(-1).o.X).toBe("FILLED");
    for (const f of fills) expect(f.o.ap).toBe("3590.00"); // avgPrice keeps the contract precision
    // Maker fee 0.02 %: first fill fee = z1 × 3590 × 0.0002.
    expect(new Dec(fills[0].o.n).neg().toFixed()).toBe(new Dec(fills[0].o.z).mul(3590).mul("0.0002").toDecimalPlaces(8).toFixed());
    expect(v.positions()["ETH-USDT"]).toBe("3");
  });

  it("a tick far through the limit fills the whole remainder", () => {
    const v = mkVenue({ model: { fullFillTicksThrough: 3 } });
    openKey(v, T0);
    v.onMarketTick({ tsUs: T0 + 1, symbol: "SOL-USDT", priceUsdt: "150.00" });
    place(v, T0 + 2, { symbol: "SOL-USDT", side: "SELL", type: "LIMIT", price: "151.00", quantity: "10.0" });
    const fs = frames(v.onMarketTick({ tsUs: T0 + 3, symbol: "SOL-USDT", priceUsdt: "151.05" })).filter((f) => f.o?.x === "TRADE");
    expect(fs.length).toBe(1);
    expect(fs[0].o.X).toBe("FILLED");
    expect(fs[0].o.ap).toBe("151.00");
  });

  it("PostOnly that would take → 101215; band → 101211; IOC/FOK expire; GTC marketable takes then rests", () => {
    const v = mkVenue({ model: { levelDepthUsdt: "1000" }, quirks: { depthLevels: 3, slippageBps: 10 } });
    openKey(v, T0);
    v.onMarketTick({ tsUs: T0 + 1, symbol: "ETH-USDT", priceUsdt: "3600.00" });
    expect(place(v, T0 + 2, { symbol: "ETH-USDT", side: "BUY", type: "LIMIT", price: "3600.00", quantity: "1.00", timeInForce: "PostOnly" }).code).toBe(101215);
    expect(place(v, T0 + 3, { symbol: "ETH-USDT", side: "BUY", type: "LIMIT", price: "3590.00", quantity: "1.00", timeInForce: "PostOnly" }).data.order.status).toBe("NEW");
    expect(place(v, T0 + 4, { symbol: "ETH-USDT", side: "BUY", type: "LIMIT", price: "3970.00", quantity: "1.00" }).code).toBe(101211);
    expect(place(v, T0 + 5, { symbol: "ETH-USDT", side: "SELL", type: "LIMIT", price: "3230.00", quantity: "1.00" }).code).toBe(101211);
    // IOC not marketable: expires untouched.
    const ioc = place(v, T0 + 6, { symbol: "ETH-USDT", side: "BUY", type: "LIMIT", price: "3500.00", quantity: "1.00", timeInForce: "IOC" });
    expect(ioc.data.order.status).toBe("EXPIRED");
    expect(ioc.data.order.executedQty).toBe("0");
    // FOK needing more than the levels within the limit: expires with nothing filled.
    const fok = place(v, T0 + 7, { symbol: "ETH-USDT", side: "BUY", type: "LIMIT", price: "3600.00", quantity: "5.00", timeInForce: "FOK" });
    expect(fok.data.order.status).toBe("EXPIRED");
    expect(fok.data.order.executedQty).toBe("0");
    // IOC marketable for part: fills level 0 only (levels 1+ are above the limit), rest expires.
    const ioc2 = place(v, T0 + 8, { symbol: "ETH-USDT", side: "BUY", type: "LIMIT", price: "3600.00", quantity: "5.00", timeInForce: "IOC" });
    expect(ioc2.data.order.status).toBe("EXPIRED");
    expect(new Dec(ioc2.data.order.executedQty).gt(0)).toBe(true);
    expect(new Dec(ioc2.data.order.executedQty).lt(5)).toBe(true);
    expect(ioc2.data.order.avgPrice).toBe("3600.00");
    // GTC marketable: same partial take, remainder rests as PARTIALLY_FILLED.
    const gtc = place(v, T0 + 9, { symbol: "ETH-USDT", side: "BUY", type: "LIMIT", price: "3600.00", quantity: "5.00", timeInForce: "GTC" });
    expect(gtc.data.order.status).toBe("PARTIALLY_FILLED");
    const open = body(call(v, "GET", "/openApi/swap/v2/trade/openOrders", { symbol: "ETH-USDT" }, T0 + 10)).data.orders;
    expect(open.map((o: any) => o.status).sort()).toEqual(["PARTIALLY_FILLED", "PENDING"]);
    const ws = frames(v.drainStream()).filter((f) => f.e === "ORDER_TRADE_UPDATE");
    expect(ws.filter((f) => f.o.X === "EXPIRED").length).toBe(3);
  });
});

describe("validation, precision and minimums (docs/bingx-protocol.md §8, §10; I11, Flaw 8)", () => {
  it("truncates over-precision, refuses below-minimum (101400), unknown symbol (109400/80014), duplicate client order id (101400), reduce-only increase (101290), margin (101204)", () => {
    const v = mkVenue();
    openKey(v, T0);
    v.onMarketTick({ tsUs: T0 + 1 * S, symbol: "BTC-USDT", priceUsdt: "64880.6" });
    const r = place(v, T0 + 2 * S, { symbol: "BTC-USDT", side: "BUY", type: "MARKET", quantity: "0.00123456789012345678901234567", clientOrderId: "a1" });
    expect(r.data.order.executedQty).toBe("0.0012");
    const lim = place(v, T0 + 3 * S, { symbol: "BTC-USDT", side: "SELL", type: "LIMIT", price: "65000.99", quantity: "0.0010", reduceOnly: "true" });
    expect(lim.data.order.price).toBe("65000.9");
    expect(place(v, T0 + 4 * S, { symbol: "BTC-USDT", side: "BUY", type: "MARKET", quantity: "0.00009" }).code).toBe(101400);
    expect(place(v, T0 + 5 * S, { symbol: "BTC-USDT", side: "BUY", type: "MARKET", quantity: "0.0000" }).code).toBe(101400);
    const small = mkVenue();
    openKey(small, T0);
    small.onMarketTick({ tsUs: T0 + 1 * S, symbol: "FET-USDT", priceUsdt: "0.1878" });
    const minNotional = place(small, T0 + 2 * S, { symbol: "FET-USDT", side: "BUY", type: "MARKET", quantity: "10" });
    expect(minNotional.code).toBe(101400);
    expect(minNotional.msg).toMatch(/minimum nominal/);
    expect(place(v, T0 + 6 * S, { symbol: "DOGE-USDT", side: "BUY", type: "MARKET", quantity: "1" }).code).toBe(109400);
    const old = mkVenue({ quirks: { newErrorCodes: false } });
    expect(place(old, T0 + 6 * S, { symbol: "DOGE-USDT", side: "BUY", type: "MARKET", quantity: "1" }).code).toBe(80014);
    const dup = place(v, T0 + 7 * S, { symbol: "BTC-USDT", side: "BUY", type: "MARKET", quantity: "0.0012", clientOrderId: "A1" });
    expect(dup).toMatchObject({ code: 101400, msg: "clientOrderID unique check failed" });
    expect(place(v, T0 + 8 * S, { symbol: "BTC-USDT", side: "BUY", type: "MARKET", quantity: "0.001", reduceOnly: "true" }).code).toBe(101290);
    expect(place(v, T0 + 9 * S, { symbol: "BTC-USDT", side: "SELL", type: "MARKET", quantity: "0.0013", reduceOnly: "true" }).code).toBe(101290);
    expect(place(v, T0 + 10 * S, { symbol: "BTC-USDT", side: "BUY", type: "MARKET", quantity: "100" }).code).toBe(101204);
    expect(place(v, T0 + 11 * S, { symbol: "BTC-USDT", side: "BUY", type: "LIMIT", quantity: "0.001" }).code).toBe(109400);
    expect(place(v, T0 + 12 * S, { symbol: "BTC-USDT", side: "BUY", type: "MARKET", quantity: "0.001", positionSide: "LONG" }).code).toBe(109400);
    expect(v.positions()["BTC-USDT"]).toBe("0.0012");
  });

  it("refuses a stale or missing timestamp with 100421 and changes nothing", () => {
    const v = mkVenue();
    v.onMarketTick({ tsUs: T0 + 1, symbol: "BTC-USDT", priceUsdt: "64880.6" });
    const res = v.handleRest({ method: "POST", path: ORDER, params: { symbol: "BTC-USDT", side: "BUY", positionSide: "BOTH", type: "MARKET", quantity: "0.001", timestamp: String(Math.floor(T0 / 1000) - 6000) }, requestId: "x" }, T0 + 2);
    expect(JSON.parse(res.body).code).toBe(100421);
    expect(v.positions()["BTC-USDT"]).toBe("0");
  });

  it("hedge mode: LONG/SHORT position sides, closing beyond the position → 101205, reduceOnly refused", () => {
    const v = mkVenue({ quirks: { hedgeMode: true } });
    openKey(v, T0);
    v.onMarketTick({ tsUs: T0 + 1, symbol: "ETH-USDT", priceUsdt: "3600.00" });
    expect(place(v, T0 + 2, { symbol: "ETH-USDT", side: "BUY", type: "MARKET", quantity: "1.00" }).code).toBe(109400);
    expect(place(v, T0 + 3, { symbol: "ETH-USDT", side: "BUY", positionSide: "LONG", type: "MARKET", quantity: "1.00" }).code).toBe(0);
    expect(place(v, T0 + 4, { symbol: "ETH-USDT", side: "SELL", positionSide: "SHORT", type: "MARKET", quantity: "0.40" }).code).toBe(0);
    expect(place(v, T0 + 5, { symbol: "ETH-USDT", side: "SELL", positionSide: "LONG", type: "MARKET", quantity: "2.00" }).code).toBe(101205);
    expect(place(v, T0 + 6, { symbol: "ETH-USDT", side: "SELL", positionSide: "LONG", type: "MARKET", quantity: "0.50", reduceOnly: "true" }).code).toBe(109400);
    expect(v.positions()["ETH-USDT"]).toBe("0.6");
    const pos = body(call(v, "GET", "/openApi/swap/v2/user/positions", {}, T0 + 7)).data;
    expect(pos.map((p: any) => [p.positionSide, p.positionAmt])).toEqual([["LONG", "1"], ["SHORT", "0.4"]]);
  });

  it("leverage: set/get, above max → 101414, wrong side for the mode → 109400", () => {
    const v = mkVenue();
    const lev = "/openApi/swap/v2/trade/leverage";
    expect(body(call(v, "POST", lev, { symbol: "FET-USDT", side: "BOTH", leverage: "3" }, T0 + 1)).data).toMatchObject({ symbol: "FET-USDT" });
    expect(num(body(call(v, "GET", lev, { symbol: "FET-USDT" }, T0 + 2)).data.longLeverage)).toBe("3");
    expect(body(call(v, "POST", lev, { symbol: "FET-USDT", side: "BOTH", leverage: "51" }, T0 + 3)).code).toBe(101414);
    expect(body(call(v, "POST", lev, { symbol: "FET-USDT", side: "LONG", leverage: "5" }, T0 + 4)).code).toBe(109400);
  });
});

describe("cancel (docs/bingx-protocol.md §4.2, §8; E17, F17)", () => {
  it("cancel of a resting order → CANCELLED in REST, CANCELED on WS; cancel after fill → already-filled / not-exist codes in both generations", () => {
    for (const [newErrorCodes, filled, notExist] of [
      [true, 109422, 109421],
      [false, 80018, 80016],
    ] as const) {
      const v = mkVenue({ quirks: { newErrorCodes } });
      openKey(v, T0);
      v.onMarketTick({ tsUs: T0 + 1, symbol: "ETH-USDT", priceUsdt: "3600.00" });
      const r = place(v, T0 + 2, { symbol: "ETH-USDT", side: "BUY", type: "LIMIT", price: "3500.00", quantity: "1.00", clientOrderId: "c1" });
      v.drainStream();
      const c = body(call(v, "DELETE", ORDER, { symbol: "ETH-USDT", clientOrderId: "c1" }, T0 + 3));
      expect(c.code).toBe(0);
      expect(c.data.order.status).toBe("CANCELLED");
      const ws = frames(v.drainStream());
      expect(ws.map((f) => [f.o.x, f.o.X])).toEqual([["CANCELED", "CANCELED"]]);
      expect(body(call(v, "DELETE", ORDER, { symbol: "ETH-USDT", orderId: num(r.data.order.orderId) }, T0 + 4)).code).toBe(filled);
      const m = place(v, T0 + 5, { symbol: "ETH-USDT", side: "BUY", type: "MARKET", quantity: "1.00" });
      expect(body(call(v, "DELETE", ORDER, { symbol: "ETH-USDT", orderId: num(m.data.order.orderId) }, T0 + 6))).toMatchObject({ code: filled, msg: "order already filled" });
      expect(body(call(v, "DELETE", ORDER, { symbol: "ETH-USDT", orderId: "1234567890123456789" }, T0 + 7)).code).toBe(notExist);
      expect(body(call(v, "GET", ORDER, { symbol: "ETH-USDT", orderId: "1234567890123456789" }, T0 + 8)).code).toBe(notExist);
      const ne = mkVenue({ quirks: { newErrorCodes }, model: { cancelFilledAnswer: "NOT_EXIST" } });
      ne.onMarketTick({ tsUs: T0 + 1, symbol: "ETH-USDT", priceUsdt: "3600.00" });
      const m2 = place(ne, T0 + 2, { symbol: "ETH-USDT", side: "BUY", type: "MARKET", quantity: "1.00" });
      expect(body(call(ne, "DELETE", ORDER, { symbol: "ETH-USDT", orderId: num(m2.data.order.orderId) }, T0 + 3)).code).toBe(notExist);
    }
  });
});

describe("rate limits (docs/bingx-protocol.md §7; I21)", () => {
  it("per-account token bucket: the 11th place-order within a second is throttled with 109429 and an 'unblocked after <ms>' time; refills", () => {
    const v = mkVenue();
    v.onMarketTick({ tsUs: T0 + 1, symbol: "BTC-USDT", priceUsdt: "64880.6" });
    const codes: number[] = [];
    for (let i = 0; i < 11; i++) codes.push(place(v, T0 + 10 + i, { symbol: "BTC-USDT", side: "BUY", type: "MARKET", quantity: "0.0001" }).code);
    expect(codes.slice(0, 10).every((c) => c === 0)).toBe(true);
    const last = place(v, T0 + 30, { symbol: "BTC-USDT", side: "BUY", type: "MARKET", quantity: "0.0001" });
    expect(last.code).toBe(109429);
    const m = /unblocked after (\d+)/.exec(last.msg);
    expect(m).not.toBeNull();
    const unblockMs = Number(m![1]);
    expect(unblockMs).toBeGreaterThan(Math.floor((T0 + 30) / 1000));
    expect(unblockMs).toBeLessThanOrEqual(Math.floor((T0 + 30) / 1000) + 101); // 10/s: one token per 100 ms
    // Other endpoints have their own buckets.
    expect(body(call(v, "GET", "/openApi/swap/v2/user/positions", {}, T0 + 31)).code).toBe(0);
    // After the unblock time one request is available again.
    expect(place(v, unblockMs * 1000 + 1, { symbol: "BTC-USDT", side: "BUY", type: "MARKET", quantity: "0.0001" }).code).toBe(0);
    const old = mkVenue({ quirks: { newErrorCodes: false } });
    for (let i = 0; i < 6; i++) call(old, "GET", "/openApi/swap/v2/user/positions", {}, T0 + i);
    expect(body(call(old, "GET", "/openApi/swap/v2/user/positions", {}, T0 + 7)).code).toBe(100410);
  });

  it("IP group limit: the per-endpoint IP bucket (300 req / 10 s by default) disables the whole group for 5 minutes", () => {
    const v = mkVenue({ model: { rateLimits: { ipEndpointPer10s: 20 } } });
    let t = T0;
    let first = -1;
    let firstMsg = "";
    for (let i = 0; i < 60 && first < 0; i++) {
      t += 200_000; // 5/s: exactly the UID refill rate, above the IP endpoint refill (2/s)
      const r = body(call(v, "GET", "/openApi/swap/v2/user/positions", {}, t));
      if (r.code !== 0) (first = i), (firstMsg = r.msg);
    }
    expect(first).toBeGreaterThan(25); // 20 + refills
    expect(first).toBeLessThan(40);
    expect(firstMsg).toContain(`unblocked after ${Math.ceil((t + 300 * S) / 1000)}`);
    const r = body(call(v, "GET", "/openApi/swap/v2/user/balance", {}, t + 1)); // same IP group 3, other endpoint
    expect(r.code).toBe(109429);
    expect(r.msg).toContain(`unblocked after ${Math.ceil((t + 300 * S) / 1000)}`);
    expect(body(call(v, "GET", "/openApi/swap/v2/user/income", {}, t + 2)).code).toBe(0); // group 2 unaffected
    expect(body(call(v, "GET", "/openApi/swap/v2/user/balance", {}, t + 300 * S)).code).toBe(0);
  });

  it("injected storm and outage windows: 109429 until the storm ends, HTTP 503 + 100500 during an outage (nothing placed)", () => {
    const v = mkVenue();
    v.onMarketTick({ tsUs: T0 + 1, symbol: "BTC-USDT", priceUsdt: "64880.6" });
    v.injectRateLimitStorm(T0 + 10 * S);
    const r = place(v, T0 + 2, { symbol: "BTC-USDT", side: "BUY", type: "MARKET", quantity: "0.001" });
    expect(r.code).toBe(109429);
    expect(r.msg).toContain(`unblocked after ${Math.ceil((T0 + 10 * S) / 1000)}`);
    expect(place(v, T0 + 10 * S, { symbol: "BTC-USDT", side: "BUY", type: "MARKET", quantity: "0.001" }).code).toBe(0);
    v.injectOutage(T0 + 20 * S);
    const o = call(v, "POST", ORDER, { symbol: "BTC-USDT", side: "BUY", positionSide: "BOTH", type: "MARKET", quantity: "0.001" }, T0 + 11 * S);
    expect(o.httpStatus).toBe(503);
    expect(JSON.parse(o.body).code).toBe(100500);
    expect(v.positions()["BTC-USDT"]).toBe("0.001");
  });
});

describe("funding (docs/bingx-protocol.md §9)", () => {
  it("settles at 00/08/16 UTC only, rate > 0 longs pay, income FUNDING_FEE rows with tranId and ACCOUNT_UPDATE m=FUNDING_FEE", () => {
    const v = mkVenue({ startUs: T0 + 3600 * S, model: { fundingRate: "0.0001", fundingRates: { "FET-USDT": "-0.0003" } } });
    let t = T0 + 3600 * S;
    openKey(v, t);
    v.onMarketTick({ tsUs: t + 1, symbol: "BTC-USDT", priceUsdt: "60000.0" });
    v.onMarketTick({ tsUs: t + 2, symbol: "FET-USDT", priceUsdt: "0.2000" });
    place(v, t + 3, { symbol: "BTC-USDT", side: "BUY", type: "MARKET", quantity: "0.1000" });
    place(v, t + 4, { symbol: "FET-USDT", side: "SELL", type: "MARKET", quantity: "10000" });
    v.drainStream();
    const keyExt = (at: number) => {
      const out = v.advanceTo(at);
      expect(call(v, "PUT", "/openApi/user/auth/userDataStream", { listenKey: v.listenKeys()[0]! }, at, false).httpStatus).toBe(200);
      return out;
    };
    // 01:00 → 07:59:59: nothing (keep the listen key alive every 30 min).
    for (let h = 1.5; h < 8; h += 0.5) expect(keyExt(T0 + h * 3600 * S)).toEqual([]);
    expect(v.advanceTo(T0 + 8 * 3600 * S - 1)).toEqual([]);
    const at8 = frames(v.advanceTo(T0 + 8 * 3600 * S));
    expect(at8.map((f) => [f.e, f.a.m, f.a.B[0].bc])).toEqual([
      ["ACCOUNT_UPDATE", "FUNDING_FEE", "-0.6"], // long 0.1 BTC × 60000 × 0.0001 paid
      ["ACCOUNT_UPDATE", "FUNDING_FEE", "-0.6"], // short 10000 FET × 0.2 × −0.0003: shorts pay when rate < 0
    ]);
    expect(at8[0].a.P).toEqual([]); // cross margin: B only
    for (let h = 8; h < 16; h += 0.5) expect(keyExt(T0 + h * 3600 * S)).toEqual([]);
    v.setFundingRate("FET-USDT", "0.0005");
    expect(frames(v.advanceTo(T0 + 16 * 3600 * S)).map((f) => f.a.B[0].bc)).toEqual(["-0.6", "1"]);
    expect(v.ledger().fundingUsdt).toBe("-0.8");
    const inc = body(call(v, "GET", "/openApi/swap/v2/user/income", { incomeType: "FUNDING_FEE" }, T0 + 16 * 3600 * S + 1)).data;
    expect(inc.map((r: any) => [r.income, num(r.time)])).toEqual([
      ["-0.6", String((T0 + 8 * 3600 * S) / 1000)],
      ["-0.6", String((T0 + 8 * 3600 * S) / 1000)],
      ["-0.6", String((T0 + 16 * 3600 * S) / 1000)],
      ["1", String((T0 + 16 * 3600 * S) / 1000)],
    ]);
    expect(new Set(inc.map((r: any) => r.tranId)).size).toBe(4);
    expect(inc.every((r: any) => r.info === "Funding Fee")).toBe(true);
  });
});

describe("listen key (docs/bingx-protocol.md §6; L14, L6)", () => {
  it("create is bare {listenKey}; without extension it expires after 60 min with a listenKeyExpired frame and the stream stops; extend resets", () => {
    const v = mkVenue();
    const res = call(v, "POST", "/openApi/user/auth/userDataStream", {}, T0, false);
    expect(Object.keys(JSON.parse(res.body))).toEqual(["listenKey"]);
    const key = JSON.parse(res.body).listenKey as string;
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(call(v, "PUT", "/openApi/user/auth/userDataStream", { listenKey: key }, T0 + 30 * 60 * S, false).httpStatus).toBe(200);
    expect(v.advanceTo(T0 + 90 * 60 * S - 1)).toEqual([]);
    const exp = frames(v.advanceTo(T0 + 90 * 60 * S));
    expect(exp).toEqual([{ e: "listenKeyExpired", E: expect.anything(), listenKey: key }]);
    expect(num(exp[0].E)).toBe(String((T0 + 90 * 60 * S) / 1000));
    expect(call(v, "PUT", "/openApi/user/auth/userDataStream", { listenKey: key }, T0 + 91 * 60 * S, false).httpStatus).toBe(404);
    v.onMarketTick({ tsUs: T0 + 92 * 60 * S, symbol: "BTC-USDT", priceUsdt: "64880.6" });
    place(v, T0 + 92 * 60 * S + 1, { symbol: "BTC-USDT", side: "BUY", type: "MARKET", quantity: "0.001" });
    expect(v.drainStream()).toEqual([]); // no key: frames are lost (recover via REST reconcile)
    openKey(v, T0 + 93 * 60 * S);
    place(v, T0 + 93 * 60 * S + 1, { symbol: "BTC-USDT", side: "BUY", type: "MARKET", quantity: "0.001" });
    expect(v.drainStream().length).toBeGreaterThan(0);
    const inj = v.injectListenKeyExpiry(T0 + 94 * 60 * S);
    expect(frames(inj)[0].e).toBe("listenKeyExpired");
    expect(v.listenKeys()).toEqual([]);
  });
});

describe("venue ledger conservation (docs/architecture.md §Ledger invariants 1)", () => {
  it("wallet = initial + Σ realized − Σ fees + Σ funding exactly, and equals Σ WS (rp + n + funding bc) and Σ income rows, over a long random sequence", () => {
    const rnd = seedrandom("ledger-seq");
    const v = mkVenue({ model: { levelDepthUsdt: "3000", fundingRate: "0.0003" }, quirks: { omitWalletBalance: 0.3 } }, "ledger-venue");
    const syms = ["BTC-USDT", "ETH-USDT", "FET-USDT", "SOL-USDT"];
    const px: Record<string, Dec> = { "BTC-USDT": new Dec("64880.6"), "ETH-USDT": new Dec("3600.00"), "FET-USDT": new Dec("0.1878"), "SOL-USDT": new Dec("150.00") };
    const pp: Record<string, number> = { "BTC-USDT": 1, "ETH-USDT": 2, "FET-USDT": 4, "SOL-USDT": 2 };
    const qty: Record<string, () => string> = {
      "BTC-USDT": () => (0.001 + Math.floor(rnd() * 50) / 1000).toFixed(4),
      "ETH-USDT": () => (0.01 + Math.floor(rnd() * 100) / 100).toFixed(2),
      "FET-USDT": () => String(20 + Math.floor(rnd() * 20000)),
      "SOL-USDT": () => (0.1 + Math.floor(rnd() * 100) / 10).toFixed(1),
    };
    let t = T0 + 1;
    const all: any[] = [];
    openKey(v, t);
    let lastExtend = t;
    const ids: Record<string, string[]> = {};
    for (let step = 0; step < 1500; step++) {
      t += Math.floor(rnd() * 120 * S) + 300_000;
      if (t - lastExtend > 30 * 60 * S) {
        all.push(...frames(v.advanceTo(t)));
        call(v, "PUT", "/openApi/user/auth/userDataStream", { listenKey: v.listenKeys()[0]! }, t, false);
        lastExtend = t;
      }
      const s = syms[Math.floor(rnd() * syms.length)]!;
      px[s] = px[s]!.mul(1 + (rnd() - 0.5) * 0.004).toDecimalPlaces(pp[s]!);
      all.push(...frames(v.onMarketTick({ tsUs: t, symbol: s, priceUsdt: px[s]!.toFixed() })));
      const a = rnd();
      const pos = new Dec(v.positions()[s]!);
      t += 1000;
      if (a < 0.35) place(v, t, { symbol: s, side: rnd() < 0.5 ? "BUY" : "SELL", type: "MARKET", quantity: qty[s]!() });
      else if (a < 0.6) {
        const side = rnd() < 0.5 ? "BUY" : "SELL";
        const off = 1 + (side === "BUY" ? -1 : 1) * rnd() * 0.01;
        const r = place(v, t, { symbol: s, side, type: "LIMIT", price: px[s]!.mul(off).toFixed(pp[s]!), quantity: qty[s]!(), timeInForce: ["GTC", "IOC", "FOK", "PostOnly"][Math.floor(rnd() * 4)]! });
        if (r.code === 0) (ids[s] ??= []).push(num(r.data.order.orderId));
      } else if (a < 0.75 && !pos.isZero()) {
        const frac = rnd() < 0.5 ? pos.abs() : pos.abs().div(2).toDecimalPlaces(pp[s] === 4 ? 0 : 2, Dec.ROUND_DOWN);
        if (frac.gt(0)) place(v, t, { symbol: s, side: pos.gt(0) ? "SELL" : "BUY", type: "MARKET", quantity: frac.toFixed(), reduceOnly: "true" });
      } else if (a < 0.85 && (ids[s]?.length ?? 0) > 0) {
        const id = ids[s]!.splice(Math.floor(rnd() * ids[s]!.length), 1)[0]!;
        call(v, "DELETE", ORDER, { symbol: s, orderId: id }, t);
      }
      all.push(...frames(v.drainStream()));
    }
    const L = v.ledger();
    const wallet = new Dec(L.walletBalanceUsdt);
    expect(new Dec(L.initialBalanceUsdt).plus(L.realizedPnlUsdt).minus(L.feesPaidUsdt).plus(L.fundingUsdt).eq(wallet)).toBe(true);
    // Independent recomputation from the stream.
    let fromWs = new Dec(0);
    let tradeFrames = 0;
    let fundingFrames = 0;
    let noWb = 0;
    for (const f of all) {
      if (f.e === "ORDER_TRADE_UPDATE" && f.o.x === "TRADE") {
        fromWs = fromWs.plus(f.o.rp).plus(f.o.n);
        tradeFrames++;
      }
      if (f.e === "ACCOUNT_UPDATE" && f.a.m === "FUNDING_FEE") {
        fromWs = fromWs.plus(f.a.B[0].bc);
        fundingFrames++;
      }
      if (f.e === "ACCOUNT_UPDATE" && f.a.B[0].wb === undefined) noWb++;
    }
    expect(tradeFrames).toBeGreaterThan(300);
    expect(fundingFrames).toBeGreaterThan(3);
    expect(noWb).toBeGreaterThan(10); // quirk: ACCOUNT_UPDATE without wb
    expect(fromWs.eq(wallet.minus(L.initialBalanceUsdt))).toBe(true);
    expect(new Dec(L.realizedPnlUsdt).isZero()).toBe(false);
    // And from the income endpoint, page by page (startTime ascending, limit 1000).
    let fromIncome = new Dec(0);
    const seen = new Set<string>();
    let start = Math.floor(T0 / 1000);
    for (;;) {
      t += S;
      const rows = body(call(v, "GET", "/openApi/swap/v2/user/income", { startTime: String(start), endTime: String(Math.floor(t / 1000)), limit: "1000" }, t)).data;
      for (const r of rows) if (!seen.has(r.tranId)) (seen.add(r.tranId), (fromIncome = fromIncome.plus(r.income)));
      if (rows.length < 1000) break;
      start = Number(num(rows.at(-1).time));
    }
    expect(fromIncome.eq(wallet.minus(L.initialBalanceUsdt))).toBe(true);
    const bal = body(call(v, "GET", "/openApi/swap/v2/user/balance", {}, t + 1)).data.balance;
    expect(bal.balance).toBe(L.walletBalanceUsdt);
  });

  it("income windows (startTime, endTime, incomeType, symbol, limit) return exactly the matching rows of the full history, in order (issue 12 binary search)", () => {
    const rnd = seedrandom("income-windows");
    const v = mkVenue({ model: { levelDepthUsdt: "3000", fundingRate: "0.0003" } }, "income-venue");
    let t = T0 + 1;
    openKey(v, t);
    let px = new Dec("0.1878");
    for (let step = 0; step < 400; step++) {
      t += Math.floor(rnd() * 600 * S) + 1000;
      if (step % 25 === 0) call(v, "PUT", "/openApi/user/auth/userDataStream", { listenKey: v.listenKeys()[0] ?? "" }, t, false);
      px = px.mul(1 + (rnd() - 0.5) * 0.004).toDecimalPlaces(4);
      v.onMarketTick({ tsUs: t, symbol: "FET-USDT", priceUsdt: px.toFixed() });
      t += Math.floor(rnd() * 3) * 1000; // several steps in one ms now and then
      place(v, t, { symbol: "FET-USDT", side: rnd() < 0.5 ? "BUY" : "SELL", type: "MARKET", quantity: String(20 + Math.floor(rnd() * 20000)) });
      v.drainStream();
    }
    const t0Ms = Math.floor(T0 / 1000);
    const endMs = Math.floor(t / 1000);
    const history: any[] = [];
    for (let from = t0Ms; ; ) {
      const rows = body(call(v, "GET", "/openApi/swap/v2/user/income", { startTime: String(from), endTime: String(endMs), limit: "1000" }, (t += 300_000))).data;
      history.push(...rows.filter((r: any) => !history.some((h) => h.tranId === r.tranId)));
      if (rows.length < 1000) break;
      from = Number(num(rows.at(-1).time));
    }
    expect(history.length).toBeGreaterThan(500);
    for (let k = 0; k < 200; k++) {
      // Window ends often fall exactly on a row's time (rows share ms): the boundary cases.
      const rowMs = () => Number(num(history[Math.floor(rnd() * history.length)].time));
      const a = rnd() < 0.5 ? rowMs() : t0Ms + Math.floor(rnd() * (endMs - t0Ms));
      const bAny = rnd() < 0.5 ? rowMs() : a + Math.floor(rnd() * (endMs - a + 1));
      const b = Math.max(a, bAny);
      const type = ["", "REALIZED_PNL", "TRADING_FEE", "FUNDING_FEE"][Math.floor(rnd() * 4)]!;
      const limit = 1 + Math.floor(rnd() * 300);
      const params: Record<string, string> = { startTime: String(a), endTime: String(b), limit: String(limit), symbol: "FET-USDT" };
      if (type) params["incomeType"] = type;
      const want = history.filter((r) => Number(num(r.time)) >= a && Number(num(r.time)) <= b && (!type || r.incomeType === type)).slice(0, limit);
      const got = body(call(v, "GET", "/openApi/swap/v2/user/income", params, (t += 300_000))).data;
      expect(got).toEqual(want);
    }
  });

  it("stream frames are exact wire JSON in the documented key order, under every quirk that shapes them (issue 12: frames are written as text)", () => {
    // Re-serialising a frame's parse (numbers verbatim) must give the frame back byte for byte.
    const asValue = (w: Wire): JsonValue => (isWireNumber(w) ? new RawNumber(w.value) : Array.isArray(w) ? w.map(asValue) : w !== null && typeof w === "object" ? Object.fromEntries(Object.entries(w).map(([k, x]) => [k, asValue(x)])) : w);
    const orderKeys = (c: boolean, ap: boolean) => ["s", ...(c ? ["c"] : []), "i", "S", "o", "q", "p", "sp", ...(ap ? ["ap"] : []), "x", "X", "N", "n", "T", "wt", "ps", "rp", "z"];
    for (const quirks of [{}, { omitWsClientOrderId: false }, { omitWalletBalance: 1 }, { omitWalletBalance: 0, omitWsAvgPrice: 1 }, { hedgeMode: true }]) {
      const v = mkVenue({ quirks, model: { levelDepthUsdt: "3000", marginAsset: "VST" } }, "frame-text");
      openKey(v, T0);
      v.onMarketTick({ tsUs: T0 + 1, symbol: "FET-USDT", priceUsdt: "0.1878" });
      const ps = quirks.hedgeMode ? "LONG" : "BOTH";
      place(v, T0 + 2, { symbol: "FET-USDT", side: "BUY", type: "MARKET", quantity: "60000", positionSide: ps, clientOrderId: "Frame-1" });
      place(v, T0 + 3, { symbol: "FET-USDT", side: "SELL", type: "MARKET", quantity: "20000", positionSide: ps, ...(quirks.hedgeMode ? {} : { reduceOnly: "true" }) });
      const msgs = [...v.drainStream(), ...v.advanceTo(T0 + 8 * 3600 * S + 1)];
      let orderFrames = 0;
      let accountFrames = 0;
      for (const m of msgs) {
        const w = parseJsonLossless(m.body) as any;
        expect(toJsonText(asValue(w))).toBe(m.body);
        if (w.e === "ORDER_TRADE_UPDATE") {
          orderFrames++;
          expect(Object.keys(w)).toEqual(["e", "E", "o"]);
          const hasAp = !("omitWsAvgPrice" in quirks) || !["TRADE", "CALCULATED"].includes(w.o.x);
          expect(Object.keys(w.o)).toEqual(orderKeys(quirks.omitWsClientOrderId === false, hasAp));
        } else if (w.e === "ACCOUNT_UPDATE") {
          accountFrames++;
          expect(Object.keys(w)).toEqual(["e", "E", "T", "a"]);
          expect(Object.keys(w.a)).toEqual(["m", "B", "P"]);
          expect(Object.keys(w.a.B[0])).toEqual(quirks.omitWalletBalance === 1 ? ["a", "bc"] : quirks.omitWalletBalance === 0 ? ["a", "wb", "cw", "bc"] : expect.any(Array));
          expect(w.a.B[0].a).toBe("VST");
          for (const p of w.a.P) expect(Object.keys(p)).toEqual(["s", "pa", "ep", "up", "mt", "iw", "ps", "cr"]);
        }
      }
      expect(orderFrames).toBeGreaterThan(3);
      expect(accountFrames).toBeGreaterThan(2); // fills and the 08:00 funding payment
    }
  });

  it("is deterministic: the same seed and calls give byte-identical replies and frames", () => {
    const run = () => {
      const v = mkVenue({ model: { levelDepthUsdt: "3000" } }, "det");
      const out: string[] = [JSON.stringify(call(v, "POST", "/openApi/user/auth/userDataStream", {}, T0, false))];
      v.onMarketTick({ tsUs: T0 + 1, symbol: "FET-USDT", priceUsdt: "0.1878" });
      out.push(call(v, "POST", ORDER, { symbol: "FET-USDT", side: "SELL", positionSide: "BOTH", type: "MARKET", quantity: "202276" }, T0 + 2).body);
      out.push(...v.drainStream().map((m) => m.body));
      return out.join("\n");
    };
    expect(run()).toBe(run());
    expect(run()).toContain('"orderId":18'); // raw 19-digit number, not a string
  });
});

describe("venue ledger conservation, property over seeds and quirk mixes (docs/architecture.md §Ledger invariants 1, fast-check)", () => {
  it("hedge or one-way, any depth, both code generations: wallet identity, stream recomputation and position parity hold", () => {
    let withRealized = 0;
    let withFunding = 0;
    fc.assert(
      fc.property(
        fc.record({ seed: fc.integer({ min: 0, max: 1_000_000 }), hedgeMode: fc.boolean(), newErrorCodes: fc.boolean(), depthLevels: fc.integer({ min: 1, max: 6 }), slippageBps: fc.integer({ min: 0, max: 20 }) }),
        ({ seed, hedgeMode, newErrorCodes, depthLevels, slippageBps }) => {
          const rnd = seedrandom(`prop-${seed}`);
          const v = mkVenue({ model: { levelDepthUsdt: "2500", fundingRate: "-0.0002" }, quirks: { hedgeMode, newErrorCodes, depthLevels, slippageBps, omitWalletBalance: 0.2 } }, `pv-${seed}`);
          let t = T0 + 1;
          openKey(v, t);
          let lastExtend = t;
          let px = new Dec("3600.00");
          const stream: any[] = [];
          for (let step = 0; step < 150; step++) {
            t += Math.floor(rnd() * 600 * S) + 300_000;
            if (t - lastExtend > 30 * 60 * S) {
              stream.push(...frames(v.advanceTo(t)));
              call(v, "PUT", "/openApi/user/auth/userDataStream", { listenKey: v.listenKeys()[0]! }, t, false);
              lastExtend = t;
            }
            px = px.mul(1 + (rnd() - 0.5) * 0.006).toDecimalPlaces(2);
            stream.push(...frames(v.onMarketTick({ tsUs: t, symbol: "ETH-USDT", priceUsdt: px.toFixed(2) })));
            t += 1000;
            const side = rnd() < 0.5 ? "BUY" : "SELL";
            const quantity = (0.01 + Math.floor(rnd() * 300) / 100).toFixed(2);
            const positionSide = hedgeMode ? (rnd() < 0.5 ? "LONG" : "SHORT") : "BOTH";
            const type = rnd() < 0.6 ? "MARKET" : "LIMIT";
            const extra: Record<string, string> = type === "LIMIT" ? { price: px.mul(1 + (rnd() - 0.5) * 0.01).toFixed(2), timeInForce: "GTC" } : {};
            if (!hedgeMode && rnd() < 0.3) extra["reduceOnly"] = "true";
            place(v, t, { symbol: "ETH-USDT", side, positionSide, type, quantity, ...extra });
            stream.push(...frames(v.drainStream()));
          }
          const L = v.ledger();
          const wallet = new Dec(L.walletBalanceUsdt);
          expect(new Dec(L.initialBalanceUsdt).plus(L.realizedPnlUsdt).minus(L.feesPaidUsdt).plus(L.fundingUsdt).eq(wallet)).toBe(true);
          if (L.realizedPnlUsdt !== "0") withRealized++;
          if (L.fundingUsdt !== "0") withFunding++;
          let fromWs = new Dec(0);
          for (const f of stream) {
            if (f.e === "ORDER_TRADE_UPDATE" && f.o.x === "TRADE") fromWs = fromWs.plus(f.o.rp).plus(f.o.n);
            if (f.e === "ACCOUNT_UPDATE" && f.a.m === "FUNDING_FEE") fromWs = fromWs.plus(f.a.B[0].bc);
          }
          expect(fromWs.toFixed()).toBe(wallet.minus(L.initialBalanceUsdt).toFixed());
          const rows = body(call(v, "GET", "/openApi/swap/v2/user/positions", {}, t + 1)).data as any[];
          const net = rows.reduce((a: Dec, r: any) => (r.positionSide === "SHORT" ? a.minus(r.positionAmt) : a.plus(r.positionAmt)), new Dec(0));
          expect(net.toFixed()).toBe(new Dec(v.positions()["ETH-USDT"]!).toFixed());
        },
      ),
      { numRuns: 25, seed: 20260611 },
    );
    expect(withRealized).toBeGreaterThan(15); // the property is not vacuous
    expect(withFunding).toBeGreaterThan(10);
  });
});
