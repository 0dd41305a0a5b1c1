import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ContractSpecError, DEFAULT_CONTRACTS, contractTable, formatPrice, isStepAligned, isTickAligned, parseContractSpec, stepSize, tickSize, toInstrumentSpec, truncatePrice, truncateQty } from "./contracts.js";
import { Dec } from "./dec.js";

describe("contracts table (docs/bingx-protocol.md §4.4, §10)", () => {
  const t = contractTable(DEFAULT_CONTRACTS);
  it("has BTC/ETH/FET/TRX/SOL with FET pricePrecision 4 and quantityPrecision 0", () => {
    expect([...t.keys()].sort()).toEqual(["BTC-USDT", "ETH-USDT", "FET-USDT", "SOL-USDT", "TRX-USDT"]);
    const fet = t.get("FET-USDT")!;
    expect(fet.pricePrecision).toBe(4);
    expect(fet.quantityPrecision).toBe(0);
    expect(tickSize(fet).toFixed()).toBe("0.0001");
    expect(stepSize(fet).toFixed()).toBe("1");
    expect(t.get("BTC-USDT")!.takerFeeRate).toBe("0.0005");
    expect(t.get("BTC-USDT")!.makerFeeRate).toBe("0.0002");
  });
  it("Flaw 8 / E16: truncates over-precision (0.123456 ⇒ 0.1234), never rounds up, never a zero tick", () => {
    const fet = t.get("FET-USDT")!;
    expect(truncatePrice(fet, new Dec("0.123456")).toFixed()).toBe("0.1234");
    expect(truncatePrice(fet, new Dec("0.18789999")).toFixed()).toBe("0.1878");
    expect(truncateQty(fet, new Dec("202276.9")).toFixed()).toBe("202276");
    const btc = t.get("BTC-USDT")!;
    expect(truncateQty(btc, new Dec("0.00123456789012345678901234567")).toFixed()).toBe("0.0012");
    expect(isTickAligned(btc, new Dec("64881.5"))).toBe(true);
    expect(isTickAligned(btc, new Dec("64881.55"))).toBe(false);
    expect(formatPrice(fet, new Dec("0.2"))).toBe("0.2000");
    expect(toInstrumentSpec(fet)).toEqual({ symbol: "FET-USDT", tickSize: "0.0001", stepSize: "1", minQty: "1" });
  });
  it("rejects bad specs naming the field", () => {
    const good = { ...DEFAULT_CONTRACTS[0]! };
    const bad = (o: object, field: string) => {
      try {
        parseContractSpec(o);
        throw new Error("accepted");
      } catch (e) {
        expect(e).toBeInstanceOf(ContractSpecError);
        expect((e as ContractSpecError).field).toBe(field);
      }
    };
    bad({ ...good, symbol: "BTCUSDT" }, "symbol");
    bad({ ...good, pricePrecision: -1 }, "pricePrecision");
    bad({ ...good, quantityPrecision: 1.5 }, "quantityPrecision");
    bad({ ...good, tradeMinQuantity: "0" }, "tradeMinQuantity");
    bad({ ...good, tradeMinQuantity: "0.00001" }, "tradeMinQuantity");
    bad({ ...good, takerFeeRate: "1e-4" }, "takerFeeRate");
    bad({ ...good, maxLeverage: 0 }, "maxLeverage");
    bad({ ...good, extra: 1 }, "extra");
    const { symbol: _s, ...noSymbol } = good;
    bad(noSymbol, "symbol");
    expect(() => contractTable([good, good])).toThrow(/duplicate/);
  });
  it("isTickAligned / isStepAligned read decimal places, and agree with truncate-then-compare on every value (docs/bingx-protocol.md §10)", () => {
    const specs = [...t.values()];
    const text = fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 14n }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 3 })).map(([neg, digits, scale, zeros]) => {
      const s = digits.toString().padStart(scale + 1, "0");
      const body = scale === 0 ? s : `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
      return (neg ? "-" : "") + body + (scale > 0 ? "0".repeat(zeros) : "");
    });
    const value = fc.oneof(text.map((x) => new Dec(x)), fc.constantFrom(new Dec(Infinity), new Dec(-Infinity), new Dec(NaN)));
    fc.assert(
      fc.property(value, fc.constantFrom(...specs), (d, spec) => {
        expect(isTickAligned(spec, d)).toBe(truncatePrice(spec, d).eq(d));
        expect(isStepAligned(spec, d)).toBe(truncateQty(spec, d).eq(d));
      }),
      { numRuns: 3000, seed: 12 },
    );
  });
});
