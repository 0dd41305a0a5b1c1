/**
 * Test helpers for venues/bingx tests (not used on the simulation path): a seeded mock venue and
 * REST call shorthands. Randomness from seedrandom, never Math.random.
 */
import seedrandom from "seedrandom";
import type { RestResponse, WsMessage } from "../venue.js";
import { DEFAULT_CONTRACTS } from "./contracts.js";
import { isSafeNumber, LosslessNumber, parse as losslessParse } from "lossless-json";
import type { Wire } from "./json.js";
import { createBingxMockVenue, type BingxMockOptions, type BingxMockVenue } from "./mock-venue.js";

/** 2026-06-11T00:00:00Z in µs (the FET incident day; a funding instant). */
export const T0 = 1_781_136_000_000_000;

export function mkVenue(over: Partial<BingxMockOptions> = {}, seed = "venue-test"): BingxMockVenue {
  const r = seedrandom(seed);
  return createBingxMockVenue({ contracts: [...DEFAULT_CONTRACTS], initialBalanceUsdt: "100000", startUs: T0, rng: () => r(), ...over });
}

export function call(v: BingxMockVenue, method: "GET" | "POST" | "PUT" | "DELETE", path: string, params: Record<string, string>, nowUs: number, signed = true): RestResponse {
  const p = signed ? { ...params, timestamp: String(Math.floor(nowUs / 1000)) } : params;
  return v.handleRest({ method, path, params: p, requestId: `r${nowUs}` }, nowUs);
}

/** Parse a body for assertions: safe numbers become JS numbers, unsafe ones (19-digit ids) stay exact text objects. */
export function body(res: RestResponse): any {
  return losslessParse(res.body, null, (t: string) => (isSafeNumber(t) ? Number(t) : new LosslessNumber(t)));
}

/** Numbers of a lossless body as text. */
export function num(v: Wire | undefined): string {
  if (v && typeof v === "object" && "isLosslessNumber" in v) return (v as { value: string }).value;
  return String(v);
}

export function place(v: BingxMockVenue, nowUs: number, p: Record<string, string>): any {
  return body(call(v, "POST", "/openApi/swap/v2/trade/order", { positionSide: "BOTH", ...p }, nowUs));
}

export function openKey(v: BingxMockVenue, nowUs: number): string {
  return JSON.parse(call(v, "POST", "/openApi/user/auth/userDataStream", {}, nowUs, false).body).listenKey;
}

export function frames(ms: WsMessage[]): any[] {
  return ms.map((m) => body({ requestId: "", httpStatus: 200, body: m.body }));
}
