/**
 * Market data for the simulator: per-symbol price sources producing tick-size aligned
 * `MarketTick`s in time order (venues/venue.ts). Three kinds (sim/types.ts PricePath):
 * - "points": an explicit list (e.g. the FET-USDT incident path 0.1878 → 0.1866, sim/fixtures/);
 * - "gbm": seeded geometric Brownian motion with Poisson jumps, one RNG stream per symbol;
 * - "arrow": a recorded series read from an Apache Arrow IPC file with the columns
 *   `ts_us: int64` (µs since the Unix epoch), `symbol: utf8` ("FET-USDT"), `price: utf8`
 *   (decimal string); rows of other symbols are ignored, rows need not be sorted.
 * Prices are decimal strings aligned to the instrument's tick (10^-pricePrecision).
 */
import { readFileSync } from "node:fs";
import { arrow } from "./arrow-lazy.js";
import type { MarketTick } from "../venues/venue.js";
import type { ContractSpec, PricePath } from "./types.js";
import { Dec, dec } from "./num.js";
import type { RngStreams } from "./rng.js";

const US_PER_YEAR = 365 * 86_400 * 1_000_000;
const US_PER_DAY = 86_400 * 1_000_000;

/** A pull-based source of ticks for one symbol, in non-decreasing time. */
export interface PriceSource {
  readonly symbol: string;
  /** The next tick, or undefined when the source is exhausted (or past `endUs`). */
  next(): MarketTick | undefined;
}

/**
 * Align a positive price to the tick grid (half-even), never below one tick. Returns a decimal
 * string with exactly `pricePrecision` decimals. A plain decimal string ("0.187812345678901", the
 * form `toPrecision(15)` gives a GBM price) is rounded on its digits (hot path: one per generated
 * tick, issue 12 profile); anything else goes through decimal.js ({@link alignToTickReference}),
 * with the same result (property test in market.test.ts).
 */
export function alignToTick(price: Dec | number | string, pricePrecision: number): string {
  if (typeof price === "string" && PLAIN_DECIMAL.test(price)) return alignDigits(price, pricePrecision);
  return alignToTickReference(price, pricePrecision);
}

/** The definition alignToTick implements, with decimal.js. */
export function alignToTickReference(price: Dec | number | string, pricePrecision: number): string {
  const tick = new Dec(1).dividedBy(new Dec(10).pow(pricePrecision));
  let d = new Dec(price).toDecimalPlaces(pricePrecision, Dec.ROUND_HALF_EVEN);
  if (d.lessThan(tick)) d = tick;
  return d.toFixed(pricePrecision);
}

const PLAIN_DECIMAL = /^[0-9]+(\.[0-9]+)?$/;

/**
 * Half-even rounding of a plain non-negative decimal string to `places` decimals, at least one
 * tick. Reads the digits by code unit (no regular expression or padding helper per tick: a GBM
 * tick of a 48 h soak costs about a microsecond; issue 12 profile); market.test.ts compares it
 * with the decimal.js definition.
 */
function alignDigits(s: string, places: number): string {
  const dot = s.indexOf(".");
  const fracStart = dot < 0 ? s.length : dot + 1;
  const fracLen = s.length - fracStart;
  const intPart = dot < 0 ? s : s.slice(0, dot);
  let digits = fracLen >= places ? intPart + s.slice(fracStart, fracStart + places) : intPart + s.slice(fracStart) + "0".repeat(places - fracLen);
  if (fracLen > places) {
    // The first dropped digit decides; a 5 followed only by zeros is a tie, kept even.
    const first = s.charCodeAt(fracStart + places);
    if (first >= 53) {
      let tie = first === 53;
      for (let k = fracStart + places + 1; tie && k < s.length; k++) if (s.charCodeAt(k) !== 48) tie = false;
      const lastOdd = (digits.charCodeAt(digits.length - 1) - 48) % 2 === 1;
      if (!tie || lastOdd) digits = incrementDigits(digits);
    }
  }
  let z = 0;
  while (z < digits.length - 1 && digits.charCodeAt(z) === 48) z++;
  if (z > 0) digits = digits.slice(z);
  if (digits === "0") digits = "1"; // below one tick: one tick
  const padded = digits.length >= places + 1 ? digits : "0".repeat(places + 1 - digits.length) + digits;
  return places === 0 ? padded : `${padded.slice(0, padded.length - places)}.${padded.slice(padded.length - places)}`;
}

/** Add one to a string of decimal digits. */
function incrementDigits(d: string): string {
  let i = d.length - 1;
  while (i >= 0 && d[i] === "9") i--;
  if (i < 0) return "1" + "0".repeat(d.length);
  return d.slice(0, i) + String.fromCharCode(d.charCodeAt(i) + 1) + "0".repeat(d.length - 1 - i);
}

/**
 * Build the price source of one path. `startUs`/`endUs` bound generated paths (GBM starts at
 * `startUs` and stops after `endUs`); explicit and recorded paths are used as given, clipped to
 * `endUs`. Throws naming the field on bad input (unknown symbol, unaligned price, bad file).
 */
export function createPriceSource(
  path: PricePath,
  contracts: readonly ContractSpec[],
  rng: RngStreams,
  startUs: number,
  endUs: number,
): PriceSource {
  const contract = contracts.find((c) => c.symbol === path.symbol);
  if (!contract) throw new Error(`prices[].symbol: ${path.symbol} is not in the scenario's contracts`);
  switch (path.kind) {
    case "points":
      return listSource(path.symbol, pointTicks(path.symbol, path.points, contract), endUs);
    case "arrow":
      return listSource(path.symbol, readArrowTicks(path.file, path.symbol, contract), endUs);
    case "gbm":
      return gbmSource(path, contract, rng, startUs, endUs);
    default:
      throw new Error(`prices[].kind: unknown kind ${String((path as { kind: unknown }).kind)}`);
  }
}

function listSource(symbol: string, ticks: MarketTick[], endUs: number): PriceSource {
  let i = 0;
  return {
    symbol,
    next() {
      if (i >= ticks.length || ticks[i].tsUs > endUs) return undefined;
      return ticks[i++];
    },
  };
}

function pointTicks(symbol: string, points: { tUs: number; priceUsdt: string }[], c: ContractSpec): MarketTick[] {
  const out: MarketTick[] = [];
  let last = -1;
  points.forEach((p, k) => {
    if (!Number.isSafeInteger(p.tUs) || p.tUs < last) {
      throw new Error(`prices[${symbol}].points[${k}].tUs: ${p.tUs} must be an integer, non-decreasing`);
    }
    last = p.tUs;
    out.push({ tsUs: p.tUs, symbol, priceUsdt: checkedPrice(`prices[${symbol}].points[${k}].priceUsdt`, p.priceUsdt, c) });
  });
  return out;
}

function checkedPrice(field: string, value: string, c: ContractSpec): string {
  const d = dec(field, value);
  if (d.lessThanOrEqualTo(0)) throw new Error(`${field}: price ${value} must be > 0`);
  if (d.decimalPlaces() > c.pricePrecision) {
    throw new Error(`${field}: price ${value} is not aligned to the tick of ${c.symbol} (pricePrecision ${c.pricePrecision})`);
  }
  return d.toFixed(c.pricePrecision);
}

/**
 * Read a recorded series from an Arrow IPC file (schema in the module docstring). Throws naming
 * the file and column when a column is missing or a value is bad.
 */
export function readArrowTicks(file: string, symbol: string, c: ContractSpec): MarketTick[] {
  const { tableFromIPC } = arrow();
  let table;
  try {
    table = tableFromIPC(readFileSync(file));
  } catch (e) {
    throw new Error(`prices[${symbol}].file: cannot read Arrow IPC file ${file}: ${(e as Error).message}`);
  }
  const ts = table.getChild("ts_us");
  const sym = table.getChild("symbol");
  const px = table.getChild("price");
  if (!ts || !sym || !px) {
    throw new Error(`prices[${symbol}].file: ${file} must have columns ts_us (int64), symbol (utf8), price (utf8)`);
  }
  const out: MarketTick[] = [];
  for (let r = 0; r < table.numRows; r++) {
    if (sym.get(r) !== symbol) continue;
    const raw = ts.get(r) as bigint | number | null;
    const tsUs = typeof raw === "bigint" ? Number(raw) : raw;
    if (tsUs === null || !Number.isSafeInteger(tsUs) || tsUs < 0) {
      throw new Error(`prices[${symbol}].file: ${file} row ${r} ts_us ${String(raw)} is not a valid µs timestamp`);
    }
    out.push({ tsUs, symbol, priceUsdt: checkedPrice(`${file} row ${r} price`, String(px.get(r)), c) });
  }
  // Stable sort by time: rows at the same instant keep file order.
  return out.map((t, i) => ({ t, i })).sort((a, b) => a.t.tsUs - b.t.tsUs || a.i - b.i).map((x) => x.t);
}

function gbmSource(
  path: Extract<PricePath, { kind: "gbm" }>,
  c: ContractSpec,
  rngs: RngStreams,
  startUs: number,
  endUs: number,
): PriceSource {
  const field = `prices[${path.symbol}]`;
  if (!Number.isSafeInteger(path.stepUs) || path.stepUs <= 0) throw new Error(`${field}.stepUs: ${path.stepUs} must be a positive integer`);
  if (!(path.volatility >= 0)) throw new Error(`${field}.volatility: ${path.volatility} must be >= 0`);
  const jumpsPerDay = path.jumpsPerDay ?? 0;
  const jumpStdev = path.jumpStdev ?? 0;
  if (!(jumpsPerDay >= 0) || !(jumpStdev >= 0)) throw new Error(`${field}.jumpsPerDay/jumpStdev must be >= 0`);
  const start = checkedPrice(`${field}.startPriceUsdt`, path.startPriceUsdt, c);
  const rng = rngs.stream(`market/${path.symbol}`);
  const dtYears = path.stepUs / US_PER_YEAR;
  const drift = path.drift ?? 0;
  const sigma = path.volatility;
  const mu = (drift - (sigma * sigma) / 2) * dtYears;
  const sd = sigma * Math.sqrt(dtYears);
  const jumpLambda = (jumpsPerDay * path.stepUs) / US_PER_DAY;
  let logPrice = Math.log(Number(start));
  let t = startUs;
  let first = true;
  return {
    symbol: path.symbol,
    next() {
      if (t > endUs) return undefined;
      if (first) {
        first = false;
        const tick = { tsUs: t, symbol: path.symbol, priceUsdt: start };
        t += path.stepUs;
        return tick;
      }
      let step = mu + sd * rng.normal();
      const jumps = jumpLambda > 0 ? rng.poisson(jumpLambda) : 0;
      for (let j = 0; j < jumps; j++) step += jumpStdev * rng.normal();
      logPrice += step;
      const tick = { tsUs: t, symbol: path.symbol, priceUsdt: alignToTick(Math.exp(logPrice).toPrecision(15), c.pricePrecision) };
      t += path.stepUs;
      return tick;
    },
  };
}
