/**
 * The typed binary ABI (kernel/README.md "ABI") against the JSON ABI, and the state digest.
 * - Every case of the behaviour table runs on a pair of kernels, one on the typed ABI and one on
 *   the JSON ABI: each hot call must give the identical Outcome and the identical state digest.
 * - Generated inputs (valid and malformed field by field) are accepted or refused identically by
 *   both paths, with the same diagnostic, and a refusal changes nothing.
 * - stateDigest() is the documented SipHash-2-4-128 of the saveState text (sourceHash ""), so equal
 *   digests ⇔ equal saved states, over many states.
 */
import { createRequire } from "node:module";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { chunkRecords } from "./bench.js";
import { loadCases, runCase } from "./cases.js";
import { type Kernel, type KernelModule, KernelError, checkedDigest, loadKernel } from "./index.js";
import { Scratch, decodeOutcome, decodeSlotHead, encodeFields } from "./typed.js";
import { guardInput } from "./input-guard.js";
import type { KernelConfig, Outcome } from "./types.js";

let mod: KernelModule;
beforeAll(async () => {
  mod = await loadKernel();
});

const HOT = new Set(["processIntent", "onVenueEvent", "markPrice", "onAccountEvent"]);
const MIRRORED = new Set(["anchorToExchange", "restoreState", "reconcile", "processBatch", "dispose"]);

/** A kernel module whose kernels run every call on a typed-ABI and a JSON-ABI kernel and compare. */
function pairModule(m: KernelModule, mismatches: string[]): KernelModule {
  return {
    ...m,
    create(config: KernelConfig) {
      const t = m.create(config);
      const j = m.create(config, { abi: "json" });
      return new Proxy(t, {
        get(target, prop: string) {
          const tv = (target as unknown as Record<string, unknown>)[prop];
          if (typeof tv !== "function") return tv;
          const jv = (j as unknown as Record<string, (...a: unknown[]) => unknown>)[prop];
          if (HOT.has(prop)) {
            return (x: unknown) => {
              const a = (tv as (x: unknown) => unknown).call(t, x);
              const b = jv.call(j, x);
              if (JSON.stringify(a) !== JSON.stringify(b)) mismatches.push(`${prop}(${JSON.stringify(x)}): typed ${JSON.stringify(a)} vs json ${JSON.stringify(b)}`);
              if (t.stateDigest() !== j.stateDigest()) mismatches.push(`${prop}(${JSON.stringify(x)}): state digests differ`);
              // the binary ledger image (kernel_ledger_bin) = the JSON one, key order included
              if (JSON.stringify(t.ledger()) !== JSON.stringify(t.snapshot().ledger)) mismatches.push(`${prop}: ledger() differs from snapshot().ledger`);
              return a;
            };
          }
          if (MIRRORED.has(prop)) {
            return (...args: unknown[]) => {
              jv.apply(j, args);
              return (tv as (...a: unknown[]) => unknown).apply(t, args);
            };
          }
          return (tv as (...a: unknown[]) => unknown).bind(t);
        },
      }) as Kernel;
    },
  };
}

describe("typed ABI = JSON ABI on the behaviour case table", () => {
  it("every hot call of every case gives the identical Outcome and state digest on both ABIs, and ledger() (binary) = the JSON ledger", () => {
    const mismatches: string[] = [];
    const pm = pairModule(mod, mismatches);
    for (const c of loadCases()) expect(runCase(pm, c), c.name).toBeNull();
    expect(mismatches.slice(0, 3)).toEqual([]);
  });
});

const CFG: KernelConfig = { slotCount: 4, initialCapitalUsdt: "10000", instruments: [{ symbol: "FET-USDT", tickSize: "0.0001", stepSize: "1" }, { symbol: "BTC-USDT", tickSize: "0.1", stepSize: "0.001" }] };

/** A kernel pair holding an open FET position (slot 0) and a working entry order (slot 1). */
function openPair(): { t: Kernel; j: Kernel } {
  const t = mod.create(CFG);
  const j = mod.create(CFG, { abi: "json" });
  for (const k of [t, j]) {
    k.processIntent({ kind: "ENTER", intentId: "e1", tsUs: 1, slotId: 0, tradeId: "fet", symbol: "FET-USDT", side: "SHORT", quantity: "202276", orderType: "MARKET", leverage: 3 });
    k.onVenueEvent({ kind: "ORDER_ACK", eventId: "a1", tsUs: 2, symbol: "FET-USDT", clientOrderId: "d2-fet-e1", venueOrderId: "1900000000000000001" });
    k.onVenueEvent({ kind: "FULL_FILL", eventId: "f1", tsUs: 3, symbol: "FET-USDT", venueOrderId: "1900000000000000001", fillQty: "202276", fillPrice: "0.1878", feeUsdt: "18.9" });
    k.processIntent({ kind: "ENTER", intentId: "e2", tsUs: 4, slotId: 1, tradeId: "btc", symbol: "BTC-USDT", side: "LONG", quantity: "0.5", orderType: "LIMIT", limitPrice: "60000.1", leverage: 2 });
  }
  return { t, j };
}

const KEYS = ["kind", "intentId", "eventId", "tsUs", "slotId", "tradeId", "symbol", "side", "quantity", "orderType", "limitPrice", "leverage", "ratio", "venueOrderId", "clientOrderId", "fillQty", "fillPrice", "feeUsdt", "quantityMode", "feeMode", "slotHint", "venueCode", "retryAfterMs", "markPrice", "walletBalanceUsdt", "realizedPnlUsdt", "amountUsdt", "cumQty", "reason", "exitLegRatios", "bogus"];
const STRINGS = ["ENTER", "EXIT", "EXIT_RESIDUAL", "CANCEL", "ORDER_ACK", "PARTIAL_FILL", "FULL_FILL", "CANCEL_ACK", "CANCEL_REJECT", "ORDER_REJECT", "RATE_LIMITED", "BALANCE", "FILL_SETTLED", "FUNDING", "enter", "FET-USDT", "BTC-USDT", "NOPE-USDT", "fet-usdt", "LONG", "SHORT", "MARKET", "LIMIT", "CUMULATIVE", "INCREMENTAL", "d2-fet-e1", "d2-btc-e1", "1900000000000000001", "1", "0", "-1", "0.1878", "1e5", "1.", "NaN", "Infinity", "", " ", "100", "202276", "1000000000000001", "0.00000000000000000001", "x\u00e9", "a\"b", "t2"];
const value = fc.oneof(
  fc.constantFrom(...STRINGS),
  fc.string({ maxLength: 6 }),
  fc.constantFrom(0, 1, -1, 3, 63, 64, 4294967296, -4294967296, 2 ** 53 - 1, -(2 ** 53 - 1), 1000, 86_400_001),
  fc.integer(),
  fc.boolean(),
  // arrays of strings travel as tag 5 (exitLegRatios and wrong fields alike)
  fc.array(fc.constantFrom("0.5", "1", "0.25", "0.75", "0.3333", "x", "", "-1", "2", "0.50", "d2-fet-e1"), { maxLength: 4 }),
);
const record = fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 12 });
const METHODS = ["processIntent", "onVenueEvent", "markPrice", "onAccountEvent"] as const;

describe("typed ABI refuses exactly where the JSON ABI does (generated field records)", () => {
  it("same Outcome (code, field, message) and same state digest on both paths; an input refusal changes nothing", () => {
    const { t, j } = openPair();
    fc.assert(
      fc.property(fc.constantFrom(...METHODS), record, (method, rec) => {
        const before = t.stateDigest();
        const a = (t[method] as (x: unknown) => Outcome).call(t, rec);
        const b = (j[method] as (x: unknown) => Outcome).call(j, rec);
        expect(JSON.stringify(a)).toBe(JSON.stringify(b));
        expect(t.stateDigest()).toBe(j.stateDigest());
        const code = a.code;
        if (["INVALID_INTENT", "INVALID_EVENT", "INVALID_SLOT", "ANCHOR_REJECTED"].includes(code)) expect(t.stateDigest()).toBe(before);
      }),
      { numRuns: 3000, seed: 11 },
    );
  });

  it("an ENTER's exitLegRatios (binary tag 5) is accepted or refused exactly as its JSON text (I20, G18)", () => {
    const { t, j } = openPair();
    const ratios: string[][] = [["0.5", "0.5"], ["0.5", "0.50"], ["0.3333"], [], ["x"], ["0.25", "0.75", "0"], ["1.5", "-0.5"], ["1"]];
    ratios.forEach((r, i) => {
      const enter = { kind: "ENTER", intentId: `r${i}`, tsUs: 10 + i, slotId: 2, tradeId: `r${i}`, symbol: "FET-USDT", side: "LONG", quantity: "100", orderType: "MARKET", leverage: 2, exitLegRatios: r };
      expect(encodeFields(new Scratch(), enter)).toBeGreaterThan(0);
      const a = t.processIntent(enter as never);
      const b = j.processIntent(enter as never);
      expect(JSON.stringify(a), JSON.stringify(r)).toBe(JSON.stringify(b));
      expect(t.stateDigest()).toBe(j.stateDigest());
      if (a.accepted) {
        expect(t.slot(2).exitLegRatios).toEqual(j.slot(2).exitLegRatios);
        for (const k of [t, j]) k.onVenueEvent({ kind: "CANCEL_ACK", eventId: `rc${i}`, tsUs: 20 + i, symbol: "FET-USDT", clientOrderId: `d2-r${i}-e1` });
      }
    });
    expect(t.saveState().replace(/"sourceHash":"[^"]*"/, "")).toBe(j.saveState().replace(/"sourceHash":"[^"]*"/, ""));
  });

  it("inputs without a binary form go through the JSON path (null, NaN, BigInt, arrays of non-strings, objects, unsafe integers)", () => {
    const sc = new Scratch();
    // eslint-disable-next-line no-sparse-arrays
    const holed = ["0.5", , "0.5"];
    const big = new Array(256).fill("0.1");
    for (const bad of [null, [1], "x", 5, { a: null }, { a: Number.NaN }, { a: Infinity }, { a: 1.5 }, { a: 2 ** 53 }, { a: 10n }, { a: [1] }, { a: ["0.5", 1] }, { a: holed }, { a: big }, { a: [["0.5"]] }, { a: { b: 1 } }, { a: () => 1 }, Object.create({ x: 1 })]) {
      expect(encodeFields(sc, bad), String(JSON.stringify(bad, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)))).toBe(-1);
    }
    expect(encodeFields(sc, { kind: "ORDER_ACK", tsUs: 5, ok: true, skipped: undefined })).toBeGreaterThan(0);
    expect(sc.bytes[0]).toBe(3);
    // an ENTER's exitLegRatios (array of strings): tag 5, u8 count, u16 length + bytes each
    const n = encodeFields(sc, { exitLegRatios: ["0.5", "0.25", "0.25"] });
    expect(Array.from(sc.bytes.subarray(0, n))).toEqual([1, 13, ...new TextEncoder().encode("exitLegRatios"), 5, 3, 3, 0, 48, 46, 53, 4, 0, 48, 46, 50, 53, 4, 0, 48, 46, 50, 53]);
  });
});

describe("records larger than the input arena (16 KiB) grow it and are encoded again (kernel/index.ts FixedScratch)", () => {
  it("a 40,000-byte field, a 16 × 30,000-byte record and then a small one answer as the JSON ABI does, state equal", () => {
    const { t, j } = openPair();
    const inputs: Record<string, unknown>[] = [
      { kind: "EXIT", intentId: "x".repeat(40_000), tsUs: 10, slotId: 0, ratio: "0.5" },
      Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, String(i).repeat(30_000)])),
      { kind: "EXIT", intentId: "small", tsUs: 11, slotId: 0, ratio: "0.5" },
      { kind: "CANCEL", intentId: "é".repeat(20_000), tsUs: 12, slotId: 1 },
    ];
    for (const input of inputs) {
      const a = t.processIntent(input as never);
      const b = j.processIntent(input as never);
      expect(a).toEqual(b);
    }
    expect(t.saveState()).toBe(j.saveState());
    t.dispose();
    j.dispose();
  });
});

describe("an input with a binary form passes the input guard (the binding guards only the others)", () => {
  const surrogates = ["\uD800", "a\uDC00b", "x\uD83D", "\uD83D\uDE00", "é\uDFFF"];
  const anyValue = fc.oneof(
    value,
    fc.constantFrom(...surrogates),
    fc.array(fc.constantFrom("0.5", ...surrogates), { maxLength: 3 }),
    fc.constantFrom(Number.NaN, Infinity, -Infinity, 0.5, 2 ** 53, -(2 ** 60), null, undefined, 10n, [1], [["0.5"]], { a: 1 }, new Date(0)),
  );
  const anyRecord = fc.dictionary(fc.constantFrom(...KEYS), anyValue, { maxKeys: 12 });

  it("encodeFields(x) ≥ 0 ⇒ guardInput(x, true) is null, on generated records with NaN, unsafe integers, lone surrogates, BigInt, nested values", () => {
    const sc = new Scratch();
    let binary = 0;
    fc.assert(
      fc.property(anyRecord, (rec) => {
        if (encodeFields(sc, rec) < 0) return;
        binary++;
        expect(guardInput(rec, true)).toBeNull();
      }),
      { numRuns: 5000, seed: 12 },
    );
    expect(binary).toBeGreaterThan(200);
  });

  it("a lone surrogate (string or array element) has no binary form and the typed kernel refuses it by the guard, naming the field (issue 11)", () => {
    const sc = new Scratch();
    for (const bad of surrogates.filter((x) => x !== "\uD83D\uDE00")) {
      expect(encodeFields(sc, { symbol: bad }), JSON.stringify(bad)).toBe(-1);
      expect(encodeFields(sc, { exitLegRatios: ["0.5", bad] })).toBe(-1);
    }
    expect(encodeFields(sc, { symbol: "\uD83D\uDE00" })).toBeGreaterThan(0);
    const { t } = openPair();
    const before = t.stateDigest();
    const o = t.markPrice({ tsUs: 9, symbol: "FET-\uD800USDT", markPrice: "0.19" });
    expect(o).toMatchObject({ accepted: false, code: "INVALID_EVENT", details: { field: "symbol", guard: true } });
    const e = t.processIntent({ kind: "ENTER", intentId: "s1", tsUs: 10, slotId: 2, tradeId: "s1", symbol: "FET-USDT", side: "LONG", quantity: "1", orderType: "MARKET", leverage: 1, exitLegRatios: ["0.5", "\uDC00"] });
    expect(e).toMatchObject({ accepted: false, code: "INVALID_INTENT", details: { field: "exitLegRatios[1]", guard: true } });
    expect(t.stateDigest()).toBe(before);
  });

  it("a getter that throws is refused by the guard naming its field, not thrown (G26)", () => {
    const { t } = openPair();
    const m = { tsUs: 9, symbol: "FET-USDT" } as Record<string, unknown>;
    Object.defineProperty(m, "markPrice", { enumerable: true, get: () => { throw new Error("boom"); } });
    const o = t.markPrice(m as never);
    expect(o).toMatchObject({ accepted: false, code: "INVALID_EVENT", details: { field: "markPrice", guard: true } });
    expect(o.message).toMatch(/boom/);
  });
});

/**
 * SipHash-2-4-128 with the digest's key 0x00..0x0f (kernel/README.md "State digest") over `m`
 * (a string is hashed as its UTF-8 bytes), as the 16 output bytes in hex: an implementation
 * independent of the kernel's (npm siphash, lib/siphash-double.js, by the libsodium author),
 * whose `hash` returns the two 64-bit halves as big-endian 32-bit words, second half first.
 */
const sip128 = createRequire(import.meta.url)("siphash/lib/siphash-double.js") as { hash(key: number[], m: Uint8Array | string): Uint32Array };
const DIGEST_KEY = [0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c];
function siphash128(m: Uint8Array | string): string {
  const r = sip128.hash(DIGEST_KEY, m);
  const out = new DataView(new ArrayBuffer(16));
  [r[3], r[2], r[1], r[0]].forEach((w, i) => out.setUint32(4 * i, w, true));
  return Buffer.from(out.buffer).toString("hex");
}

const canonicalSaved = (k: Kernel) => k.saveState().replace(/"sourceHash":"[^"]*"/, '"sourceHash":""');

describe("state digest (kernel/README.md \"State digest\")", () => {
  it("the test's SipHash-2-4-128 gives the reference vectors (veorq/SipHash vectors.h, message 0x00..n-1)", () => {
    const msg = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);
    expect(siphash128(msg(0))).toBe("a3817f04ba25a8e66df67214c7550293");
    expect(siphash128(msg(1))).toBe("da87c1d86b99af44347659119b22fc45");
    expect(siphash128(msg(8))).toBe("3b62a9ba6258f5610f83e264f31497b4");
    expect(siphash128(msg(63))).toBe("5150d1772f50834a503e069a973fbd7c");
  });

  it("digest = SipHash-2-4-128 of the saved state text, so digest equality ⇔ saved-state equality over many states", { timeout: 120_000 }, () => {
    const { config, records } = mod.benchStream(3000, 7, 4);
    const chunks = chunkRecords(records, 2048);
    const a = mod.create(config);
    const b = mod.create(config);
    const seen = new Map<string, string>();
    let states = 0;
    for (const ch of chunks) {
      a.processBatch(ch);
      const saved = canonicalSaved(a);
      const d = a.stateDigest();
      expect(d).toMatch(/^[0-9a-f]{32}$/);
      // the documented definition, by an independent implementation, on every state
      expect(d).toBe(siphash128(saved));
      // equality ⇔: a digest seen before belongs to the same saved text, and vice versa
      const prev = seen.get(d);
      if (prev !== undefined) expect(prev).toBe(saved);
      seen.set(d, saved);
      b.processBatch(ch);
      expect(b.stateDigest()).toBe(d);
      states++;
    }
    expect(states).toBeGreaterThan(50);
    expect(new Set(seen.values()).size).toBe(seen.size);
    // restoring the same saved text twice gives the same state and digest
    const r1 = mod.create(config);
    const r2 = mod.create(config);
    expect(r1.restoreState(a.saveState()).accepted).toBe(true);
    expect(r2.restoreState(a.saveState()).accepted).toBe(true);
    expect(r1.stateDigest()).toBe(r2.stateDigest());
    expect(r1.stateDigest()).toBe(siphash128(canonicalSaved(r1)));
  });
});

describe("binary output decoding refuses an unknown enum byte (no silent default; issue 11 bad input)", () => {
  const at = (bytes: number[]) => {
    const b = new Uint8Array(64);
    b.set(bytes);
    return { b, v: new DataView(b.buffer) };
  };
  it("an outcome whose code or severity byte is not a known value throws naming the field and byte", () => {
    const code = at([1, 250, 0]);
    expect(() => decodeOutcome(code.b, code.v, 0)).toThrow(/outcome\.code byte 250 is not one of the \d+ known values/);
    const sev = at([1, 0, 9]);
    expect(() => decodeOutcome(sev.b, sev.v, 0)).toThrow(/outcome\.severity byte 9 is not one of the 4 known values/);
  });
  it("a slot head whose stage or side byte is not a known value throws naming the field", () => {
    const stage = at([200, 0]);
    expect(() => decodeSlotHead(stage.b, stage.v, 0)).toThrow(/slotHead\.stage byte 200/);
    const side = at([0, 3]);
    expect(() => decodeSlotHead(side.b, side.v, 0)).toThrow(/slotHead\.side byte 3/);
  });
});

describe("stateDigest refuses a text that is not a digest (no silent fallback; issue 11)", () => {
  it("passes 32 lowercase hex digits; the kernel's error text or an empty result throws KernelError INTERNAL quoting it", () => {
    expect(checkedDigest("0123456789abcdef0123456789abcdef")).toBe("0123456789abcdef0123456789abcdef");
    for (const bad of ["error: serialising the state failed", "", "0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcde"]) {
      let thrown: unknown;
      try {
        checkedDigest(bad);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(KernelError);
      expect((thrown as KernelError).code).toBe("INTERNAL");
      expect((thrown as KernelError).message).toContain(JSON.stringify(bad));
    }
  });
});
