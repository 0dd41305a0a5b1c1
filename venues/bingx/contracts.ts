/**
 * BingX USDT-M perpetual contracts table, ContractSpec validation and tick/step helpers.
 *
 * Precision rules (docs/bingx-protocol.md §10): `pricePrecision` / `quantityPrecision` are decimal places;
 * tick = 10^-pricePrecision, step = 10^-quantityPrecision; over-precision is accepted and
 * silently TRUNCATED (0.123456 at 4 dp ⇒ 0.1234), never rounded. Minimums: `tradeMinQuantity`
 * (base coin) and `tradeMinUSDT` (notional). Per-asset price precision exists here for every
 * symbol (Flaw 8, E16: never a zero or guessed tick/step).
 */
import type { InstrumentSpec } from "../../kernel/types.js";
import type { ContractSpec } from "../types.js";
import { Dec, fmt, parseDecimal, toPlaces } from "./dec.js";

/** Bad contract data; `field` names the offending field, `value` its text. */
export class ContractSpecError extends Error {
  constructor(
    public readonly field: string,
    public readonly value: string,
    detail: string,
  ) {
    super(`contract spec: ${field}=${value}: ${detail}`);
    this.name = "ContractSpecError";
  }
}

/**
 * Default contracts (values as BingX publishes them in /quote/contracts, docs/bingx-protocol.md §4.4 / §9:
 * BTC-USDT is the documented example; the others are plausible current values). Fees: taker
 * 0.05 %, maker 0.02 %. FET-USDT: pricePrecision 4, quantityPrecision 0 (the incident symbol).
 */
export const DEFAULT_CONTRACTS: readonly ContractSpec[] = Object.freeze([
  { symbol: "BTC-USDT", pricePrecision: 1, quantityPrecision: 4, tradeMinQuantity: "0.0001", tradeMinUSDT: "2", takerFeeRate: "0.0005", makerFeeRate: "0.0002", maxLeverage: 125 },
  { symbol: "ETH-USDT", pricePrecision: 2, quantityPrecision: 2, tradeMinQuantity: "0.01", tradeMinUSDT: "2", takerFeeRate: "0.0005", makerFeeRate: "0.0002", maxLeverage: 100 },
  { symbol: "FET-USDT", pricePrecision: 4, quantityPrecision: 0, tradeMinQuantity: "1", tradeMinUSDT: "2", takerFeeRate: "0.0005", makerFeeRate: "0.0002", maxLeverage: 50 },
  { symbol: "TRX-USDT", pricePrecision: 5, quantityPrecision: 0, tradeMinQuantity: "1", tradeMinUSDT: "2", takerFeeRate: "0.0005", makerFeeRate: "0.0002", maxLeverage: 75 },
  { symbol: "SOL-USDT", pricePrecision: 2, quantityPrecision: 1, tradeMinQuantity: "0.1", tradeMinUSDT: "2", takerFeeRate: "0.0005", makerFeeRate: "0.0002", maxLeverage: 100 },
]);

const SYMBOL_RE = /^[A-Z0-9]{1,20}-[A-Z]{2,10}$/;

function req(obj: Record<string, unknown>, field: string): unknown {
  if (!(field in obj) || obj[field] === undefined) throw new ContractSpecError(field, "undefined", "missing");
  return obj[field];
}

function intField(obj: Record<string, unknown>, field: string, min: number, max: number): number {
  const v = req(obj, field);
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
    throw new ContractSpecError(field, String(v), `must be an integer in [${min}, ${max}]`);
  return v;
}

function decField(obj: Record<string, unknown>, field: string, min: string, max: string, minInclusive: boolean): string {
  const v = req(obj, field);
  if (typeof v !== "string") throw new ContractSpecError(field, String(v), "must be a decimal string");
  const d = parseDecimal(v);
  if (!d) throw new ContractSpecError(field, v, "not a plain decimal");
  const lo = new Dec(min);
  if (minInclusive ? d.lt(lo) : d.lte(lo)) throw new ContractSpecError(field, v, `must be ${minInclusive ? ">=" : ">"} ${min}`);
  if (d.gt(max)) throw new ContractSpecError(field, v, `must be <= ${max}`);
  return v;
}

/**
 * Validate an untrusted contract row shaped as {@link ContractSpec} (e.g. from a scenario file).
 * Throws ContractSpecError naming the field; returns a fresh object on success.
 */
export function parseContractSpec(raw: unknown): ContractSpec {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ContractSpecError("contract", String(raw), "must be an object");
  const o = raw as Record<string, unknown>;
  const known = ["symbol", "pricePrecision", "quantityPrecision", "tradeMinQuantity", "tradeMinUSDT", "takerFeeRate", "makerFeeRate", "maxLeverage"];
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new ContractSpecError(k, String(o[k]), "unknown field");
  const symbol = req(o, "symbol");
  if (typeof symbol !== "string" || !SYMBOL_RE.test(symbol)) throw new ContractSpecError("symbol", String(symbol), "must look like BASE-QUOTE, e.g. FET-USDT");
  const spec: ContractSpec = {
    symbol,
    pricePrecision: intField(o, "pricePrecision", 0, 12),
    quantityPrecision: intField(o, "quantityPrecision", 0, 12),
    tradeMinQuantity: decField(o, "tradeMinQuantity", "0", "1000000000", false),
    tradeMinUSDT: decField(o, "tradeMinUSDT", "0", "1000000000", true),
    takerFeeRate: decField(o, "takerFeeRate", "0", "0.01", true),
    makerFeeRate: decField(o, "makerFeeRate", "-0.001", "0.01", true),
    maxLeverage: intField(o, "maxLeverage", 1, 200),
  };
  if (!isStepAligned(spec, new Dec(spec.tradeMinQuantity)))
    throw new ContractSpecError("tradeMinQuantity", spec.tradeMinQuantity, `not a multiple of the step 10^-${spec.quantityPrecision}`);
  return spec;
}

/**
 * The row of DEFAULT_CONTRACTS for `symbol` (a copy, safe to spread into a scenario).
 * Throws ContractSpecError naming the symbol when the table has no such row.
 */
export function defaultContract(symbol: string): ContractSpec {
  const row = DEFAULT_CONTRACTS.find((c) => c.symbol === symbol);
  if (row === undefined) throw new ContractSpecError("symbol", symbol, "not in DEFAULT_CONTRACTS");
  return { ...row };
}

/** Index contracts by symbol; throws ContractSpecError on a duplicate symbol. */
export function contractTable(specs: readonly ContractSpec[]): Map<string, ContractSpec> {
  const m = new Map<string, ContractSpec>();
  for (const raw of specs) {
    const s = parseContractSpec(raw);
    if (m.has(s.symbol)) throw new ContractSpecError("symbol", s.symbol, "duplicate symbol in the contracts table");
    m.set(s.symbol, s);
  }
  return m;
}

/** Tick size 10^-pricePrecision (docs/bingx-protocol.md §10). */
export function tickSize(spec: ContractSpec): Dec {
  return new Dec(10).pow(-spec.pricePrecision);
}

/** Step size 10^-quantityPrecision (docs/bingx-protocol.md §10). */
export function stepSize(spec: ContractSpec): Dec {
  return new Dec(10).pow(-spec.quantityPrecision);
}

/** Truncate a price to the tick, as BingX does with over-precise input (docs/bingx-protocol.md §10). */
export function truncatePrice(spec: ContractSpec, price: Dec): Dec {
  return toPlaces(price, spec.pricePrecision, Dec.ROUND_DOWN);
}

/** Truncate a quantity to the step, as BingX does (docs/bingx-protocol.md §10; real VST: 29 dp ⇒ 4 dp). */
export function truncateQty(spec: ContractSpec, qty: Dec): Dec {
  return toPlaces(qty, spec.quantityPrecision, Dec.ROUND_DOWN);
}

/** Round a price to the tick in the given direction ("up" = ceil, "down" = floor). */
export function roundPriceToTick(spec: ContractSpec, price: Dec, dir: "up" | "down"): Dec {
  return toPlaces(price, spec.pricePrecision, dir === "up" ? Dec.ROUND_CEIL : Dec.ROUND_FLOOR);
}

/**
 * True when `price` has no more than pricePrecision decimals: `truncatePrice(spec, price).eq(price)`,
 * read off the value's decimal places for a finite value (no truncated copy built; issue 12 profile).
 */
export function isTickAligned(spec: ContractSpec, price: Dec): boolean {
  return price.isFinite() ? price.decimalPlaces() <= spec.pricePrecision : truncatePrice(spec, price).eq(price);
}

/** True when `qty` has no more than quantityPrecision decimals (as {@link isTickAligned}: `truncateQty(spec, qty).eq(qty)`). */
export function isStepAligned(spec: ContractSpec, qty: Dec): boolean {
  return qty.isFinite() ? qty.decimalPlaces() <= spec.quantityPrecision : truncateQty(spec, qty).eq(qty);
}

/** Decimal text of a price at the contract's precision ("0.1878"). */
export function formatPrice(spec: ContractSpec, price: Dec): string {
  return price.toFixed(spec.pricePrecision, Dec.ROUND_DOWN);
}

/** Decimal text of a quantity at the contract's precision. */
export function formatQty(spec: ContractSpec, qty: Dec): string {
  return qty.toFixed(spec.quantityPrecision, Dec.ROUND_DOWN);
}

/** The kernel's instrument description of a contract (kernel/types.ts InstrumentSpec). */
export function toInstrumentSpec(spec: ContractSpec): InstrumentSpec {
  return { symbol: spec.symbol, tickSize: fmt(tickSize(spec)), stepSize: fmt(stepSize(spec)), minQty: spec.tradeMinQuantity };
}
