/**
 * `dita venue serve` as a BingX-protocol server on 127.0.0.1 (docs/shadow.md §venue serve):
 * API-key and signature checks (100413 / 100412 / 100001), the listen-key endpoints, the gzip user
 * stream with Ping → Pong, an unknown listen key refused, and a rate-limit storm answered 109429.
 * Loopback only; every server is closed by the test.
 */
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { buildQuery } from "../venues/bingx/live/rest-client.js";
import { systemClock } from "./system-clock.js";
import { defaultServeScenario } from "./command.js";
import { startVenueServer, type VenueServer } from "./venue-server.js";

const creds = { apiKey: "serve-test-key-0001", secretKey: "serve-test-secret-0001" };
let srv: VenueServer;

beforeAll(async () => {
  srv = await startVenueServer({ port: 0, seed: 3, clock: systemClock, scenario: defaultServeScenario(), credentials: creds, pingEveryMs: 200 });
});
afterAll(async () => {
  await srv.close();
});

async function call(method: string, path: string, query: string, apiKey = creds.apiKey): Promise<{ status: number; body: string }> {
  const res = await fetch(`${srv.url}${path}${query ? `?${query}` : ""}`, { method, headers: { "X-BX-APIKEY": apiKey } });
  return { status: res.status, body: await res.text() };
}
const signed = (p: Record<string, string>, secret = creds.secretKey) => buildQuery({ ...p, timestamp: String(Math.floor(systemClock.nowUs() / 1000)) }, secret, 5000);

describe("venue serve: REST auth (docs/bingx-protocol.md §signing)", () => {
  it("a correctly signed balance read answers code 0 with the VST asset", async () => {
    const r = await call("GET", "/openApi/swap/v2/user/balance", signed({}));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ code: 0, data: { balance: { asset: "VST" } } });
  });
  it("a wrong signature gets 100001, a missing one 100412, a wrong API key 100413; none acts", async () => {
    const bad = await call("POST", "/openApi/swap/v2/trade/order", signed({ symbol: "BTC-USDT", side: "BUY", positionSide: "BOTH", type: "MARKET", quantity: "0.001" }, "not-the-secret-xx"));
    expect(JSON.parse(bad.body).code).toBe(100001);
    const q = `symbol=BTC-USDT&timestamp=${Math.floor(systemClock.nowUs() / 1000)}`;
    expect(JSON.parse((await call("GET", "/openApi/swap/v2/user/positions", q)).body).code).toBe(100412);
    expect(JSON.parse((await call("GET", "/openApi/swap/v2/user/positions", signed({}), "wrong-key-000000")).body).code).toBe(100413);
    // Tampering with a signed query after signing is caught too.
    const tampered = signed({ symbol: "BTC-USDT", side: "BUY", positionSide: "BOTH", type: "MARKET", quantity: "0.001" }).replace("quantity=0.001", "quantity=0.002");
    expect(JSON.parse((await call("POST", "/openApi/swap/v2/trade/order", tampered)).body).code).toBe(100001);
    expect(srv.stats.placedOrders).toEqual([]);
    expect(srv.venue.positions()["BTC-USDT"] ?? "0").toBe("0");
  });
  it("a rate-limit storm answers 109429 with an unblock time and places nothing", async () => {
    srv.fault("storm", 500);
    const r = JSON.parse((await call("GET", "/openApi/swap/v2/user/positions", signed({}))).body);
    expect(r.code).toBe(109429);
    expect(r.msg).toMatch(/unblocked after \d{13}/);
    await new Promise((res) => setTimeout(res, 600));
    expect(JSON.parse((await call("GET", "/openApi/swap/v2/user/positions", signed({}))).body).code).toBe(0);
  });
});

describe("venue serve: user stream (docs/bingx-protocol.md §user stream)", () => {
  it("listen key create/extend/delete; the stream sends gzip frames, pings, and order frames after a fill", async () => {
    const created = await call("POST", "/openApi/user/auth/userDataStream", "");
    const key = JSON.parse(created.body).listenKey as string;
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect((await call("PUT", "/openApi/user/auth/userDataStream", `listenKey=${key}`)).status).toBe(200);
    expect((await call("PUT", "/openApi/user/auth/userDataStream", `listenKey=${"0".repeat(64)}`)).status).toBe(404);
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/swap-market?listenKey=${key}`);
    const texts: string[] = [];
    let binaryOnly = true;
    ws.on("message", (d, isBinary) => {
      if (!isBinary) binaryOnly = false;
      const t = gunzipSync(d as Buffer).toString();
      texts.push(t);
      if (t === "Ping") ws.send("Pong");
    });
    await new Promise((res) => ws.once("open", res));
    // Wait for a market tick, then place a MARKET order: NEW, TRADE and ACCOUNT_UPDATE frames follow.
    await new Promise((res) => setTimeout(res, 700));
    const placed = JSON.parse((await call("POST", "/openApi/swap/v2/trade/order", signed({ symbol: "BTC-USDT", side: "BUY", positionSide: "BOTH", type: "MARKET", quantity: "0.001", clientOrderId: "srvtest1" }))).body);
    expect(placed.code).toBe(0);
    await new Promise((res) => setTimeout(res, 300));
    expect(texts).toContain("Ping");
    expect(texts.some((t) => t.includes('"e":"ORDER_TRADE_UPDATE"') && t.includes('"x":"TRADE"'))).toBe(true);
    expect(texts.some((t) => t.includes('"e":"ACCOUNT_UPDATE"'))).toBe(true);
    expect(binaryOnly).toBe(true);
    expect(srv.stats.placedOrders).toEqual(["srvtest1"]);
    // Expiry: a listenKeyExpired frame on this key's socket.
    srv.fault("expire");
    await new Promise((res) => setTimeout(res, 100));
    expect(texts.some((t) => t.includes('"e":"listenKeyExpired"'))).toBe(true);
    ws.terminate();
    expect((await call("DELETE", "/openApi/user/auth/userDataStream", `listenKey=${key}`)).status).toBe(404);
  });
  it("a socket with an unknown listen key is closed with 1008", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/swap-market?listenKey=${"f".repeat(64)}`);
    const code = await new Promise<number>((res) => ws.on("close", (c) => res(c)));
    expect(code).toBe(1008);
  });
  it("a socket that never answers Ping is dropped after two missed Pongs", async () => {
    const key = JSON.parse((await call("POST", "/openApi/user/auth/userDataStream", "")).body).listenKey as string;
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/swap-market?listenKey=${key}`);
    const closed = new Promise<void>((res) => ws.on("close", () => res()));
    await closed; // pings every 200 ms, never answered: dropped after ~600 ms
    expect(ws.readyState).toBe(WebSocket.CLOSED);
  });
});
