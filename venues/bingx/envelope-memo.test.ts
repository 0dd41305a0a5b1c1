/**
 * parseEnvelope parses a response's text once (issue 12 profile: a reply was parsed by
 * classifyReply and again by its handler): the same response object gives the same deep-frozen
 * envelope, a response whose body changed is parsed again, and a body that is not an envelope
 * throws on every call (docs/bingx-protocol.md §3 envelope).
 */
import { describe, expect, it } from "vitest";
import { AdapterError, parseEnvelope } from "./adapter.js";
import { isWireNumber } from "./json.js";

describe("parseEnvelope memo", () => {
  it("one parse per response: same frozen envelope, 19-digit ids kept exact, re-parsed when the body changes, errors every time", () => {
    const res = { requestId: "r1", httpStatus: 200, body: '{"code":0,"msg":"","data":{"order":{"orderId":1234567890123456789,"fills":[{"qty":"1.5"}]}}}' };
    const a = parseEnvelope(res);
    const b = parseEnvelope(res);
    expect(b).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    const order = (a.data as { order: { orderId: unknown; fills: unknown[] } }).order;
    expect(Object.isFrozen(order.fills)).toBe(true);
    expect(isWireNumber(order.orderId) && order.orderId.value).toBe("1234567890123456789");
    expect(() => {
      (order.fills as unknown[]).push(1);
    }).toThrow(TypeError);
    res.body = '{"code":101400,"msg":"changed","data":null}';
    const c = parseEnvelope(res);
    expect(c).not.toBe(a);
    expect([c.code, c.msg]).toEqual([101400, "changed"]);
    const bad = { requestId: "r2", httpStatus: 502, body: "<html>bad gateway</html>" };
    expect(() => parseEnvelope(bad)).toThrow(AdapterError);
    expect(() => parseEnvelope(bad)).toThrow(AdapterError);
  });
  it("responses with the same body text share one frozen envelope; another text gets its own (docs/bingx-protocol.md §3 envelope)", () => {
    const body = '{"code":0,"msg":"","data":{"orders":[{"orderId":1234567890123456789,"executedQty":"0.5"}]}}';
    const a = parseEnvelope({ requestId: "r3", httpStatus: 200, body });
    const b = parseEnvelope({ requestId: "r4", httpStatus: 200, body: body.slice(0) });
    expect(b).toBe(a);
    expect(Object.isFrozen(a.data)).toBe(true);
    const c = parseEnvelope({ requestId: "r5", httpStatus: 200, body: body.replace('"0.5"', '"0.6"') });
    expect(c).not.toBe(a);
    const order = (c.data as { orders: { executedQty: string }[] }).orders[0]!;
    expect(order.executedQty).toBe("0.6");
    expect(((a.data as { orders: { executedQty: string }[] }).orders[0]!).executedQty).toBe("0.5");
  });
});
