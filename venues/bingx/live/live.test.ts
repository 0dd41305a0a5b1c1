/**
 * The live BingX client's pure parts: signing test vectors (docs/bingx-protocol.md §signing),
 * host and asset refusals (docs/shadow.md §refusals), credential loading and redaction
 * (docs/shadow.md §secrets).
 */
import { createHmac } from "node:crypto";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { signParams } from "../adapter.js";
import { buildQuery } from "./rest-client.js";
import { VST_REST_URL, VST_WS_URL, VenueRefused, checkMarginAsset, resolveVenue } from "./hosts.js";
import { CredentialError, Redactor, loadCredentials } from "./secrets.js";
import { Backoff } from "./user-stream.js";

// The worked example of the BingX swap docs (key pair published there, not a real account).
const DOC_SECRET = "mheO6dR8ovSsxZQCOYEFCtelpuxcWGTfHw7te326y6jOwq5WpvFQ9JNljoTwBXZGv5It07m9RXSPpDQEK2w";

describe("signing test vectors (docs/bingx-protocol.md §signing)", () => {
  it("HMAC-SHA256 of the swap-v2 doc's leverage example equals the published 4f581e…", () => {
    // The doc splices without sorting; the server hashes the string as received.
    const s = createHmac("sha256", DOC_SECRET).update("symbol=BTC-USDT&timestamp=1667872120843&side=LONG&leverage=6").digest("hex");
    expect(s).toBe("4f581ecdb1fa09b9d6e57886b6f70cffed17f82b93399722939e49a38edec2bf");
  });
  it("signParams on the recvWindow example gives f8d883… (openssl and an independent client agree; the compiled docs print 1e63e8…, which does not reproduce)", () => {
    const { query, signature } = signParams({ symbol: "BTC-USDT", timestamp: "1696751141337", recvWindow: "0" }, DOC_SECRET);
    expect(signature).toBe("f8d883609dfd31c824feb4de865b071008dedb1d461451fa70847875c8e7a7a2");
    expect(query).toBe(`recvWindow=0&symbol=BTC-USDT&timestamp=1696751141337&signature=${signature}`);
  });
  it("buildQuery signs requests with a timestamp (adding recvWindow) and leaves header-only calls unsigned", () => {
    const q = buildQuery({ timestamp: "1696751141337", symbol: "BTC-USDT" }, DOC_SECRET, 0);
    expect(q).toBe("recvWindow=0&symbol=BTC-USDT&timestamp=1696751141337&signature=f8d883609dfd31c824feb4de865b071008dedb1d461451fa70847875c8e7a7a2");
    expect(buildQuery({ listenKey: "abc" }, DOC_SECRET, 5000)).toBe("listenKey=abc");
    expect(buildQuery({}, DOC_SECRET, 5000)).toBe("");
  });
});

describe("venue refusals (docs/shadow.md §refusals)", () => {
  it("VST is the default target; loopback is the mock; anything else needs the real-money flag", () => {
    expect(resolveVenue(VST_REST_URL, false)).toEqual({ restBase: VST_REST_URL, wsBase: VST_WS_URL, kind: "vst" });
    expect(resolveVenue("http://127.0.0.1:18080", false)).toEqual({ restBase: "http://127.0.0.1:18080", wsBase: "ws://127.0.0.1:18080/swap-market", kind: "loopback" });
    for (const bad of ["https://open-api.bingx.com", "https://evil.example", "http://open-api-vst.bingx.com", "https://127.0.0.2:443", "https://k:s@open-api-vst.bingx.com", "not a url", "https://open-api-vst.bingx.com/?x=1"]) {
      expect(() => resolveVenue(bad, false), bad).toThrow(VenueRefused);
    }
    expect(resolveVenue("https://open-api.bingx.com", true).kind).toBe("real-money");
  });
  it("a balance asset other than VST is refused unless real money is allowed", () => {
    expect(() => checkMarginAsset("VST", false)).not.toThrow();
    expect(() => checkMarginAsset("USDT", false)).toThrow(/balance asset USDT: not VST/);
    expect(() => checkMarginAsset("USDT", true)).not.toThrow();
  });
});

describe("credentials and redaction (docs/shadow.md §secrets)", () => {
  const KEY = "canary-api-key-0123456789";
  const SECRET = "canary-secret-9876543210";
  it("reads the environment; a missing variable is named, its value never shown", () => {
    expect(loadCredentials({ BINGX_API_KEY: KEY, BINGX_SECRET_KEY: SECRET })).toEqual({ apiKey: KEY, secretKey: SECRET });
    expect(() => loadCredentials({ BINGX_API_KEY: KEY })).toThrow(/BINGX_SECRET_KEY is not set/);
  });
  it("reads an owner-only file and refuses a group- or world-readable one", () => {
    const dir = mkdtempSync(join(tmpdir(), "dita-cred-"));
    const f = join(dir, "keys.env");
    writeFileSync(f, `BINGX_API_KEY=${KEY}\nBINGX_SECRET_KEY=${SECRET}\n`);
    chmodSync(f, 0o644);
    let err: unknown;
    try {
      loadCredentials({}, f);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CredentialError);
    expect(String(err)).toMatch(/mode 644 lets group or others read it/);
    expect(String(err)).not.toContain(SECRET);
    chmodSync(f, 0o600);
    expect(loadCredentials({}, f)).toEqual({ apiKey: KEY, secretKey: SECRET });
    const j = join(dir, "keys.json");
    writeFileSync(j, JSON.stringify({ apiKey: KEY, secretKey: SECRET }), { mode: 0o600 });
    expect(loadCredentials({}, j)).toEqual({ apiKey: KEY, secretKey: SECRET });
  });
  it("the redactor replaces every registered secret and any signature parameter", () => {
    const r = new Redactor();
    r.add(KEY, "apiKey");
    r.add(SECRET, "secretKey");
    r.add("a".repeat(64), "listenKey");
    const text = `GET /x?listenKey=${"a".repeat(64)}&signature=0123456789abcdef0123 key ${KEY} secret ${SECRET}`;
    const out = r.redact(text);
    expect(out).not.toContain(KEY);
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain("a".repeat(64));
    expect(out).toContain("<redacted:listenKey>");
    expect(out).toContain("signature=<redacted:signature>");
    expect(r.redactError(new Error(`boom ${SECRET}`)).message).toBe("boom <redacted:secretKey>");
    expect(() => r.add("short", "x")).toThrow(/shorter than 8/);
  });
  it("reconnect backoff doubles up to its cap and resets", () => {
    const b = new Backoff(250, 1000);
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([250, 500, 1000, 1000]);
    b.reset();
    expect(b.next()).toBe(250);
  });
});
