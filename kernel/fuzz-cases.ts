/**
 * Malformed-input generator of `dita fuzz` (issue 11): every input kind of the kernel, corrupted
 * by one mutation class at a time, sent through the binding (JS values, input guard first) or the
 * raw `kernel_call` export (exact bytes). Deterministic: one seedrandom stream per seed.
 *
 * Every case says whether it is *definitely invalid* (`mustRefuse`): the mutation breaks a rule
 * the contract states (kernel/types.ts, kernel/README.md: ids, decimals, integers, enums,
 * configured symbols, JSON syntax, unique keys, UTF-8). Such an input must be refused by
 * validation (INVALID_* / ANCHOR_REJECTED naming the field). `generic-mutation` cases may or may
 * not be valid (only trap / diagnostic / state are judged); `valid-raw-control` cases are valid
 * JSON texts sent through the raw path that must be accepted (proof the path reaches the parser).
 *
 * The kernel the cases target is `FUZZ_CONFIG` after `FUZZ_SETUP` (fuzz.ts): slot 0 holds an
 * open FET-USDT LONG (entry venue order 9001), slot 1 an open BTC-USDT SHORT, slots 2-3 idle.
 */
import seedrandom from "seedrandom";
import type { KernelConfig } from "./types.js";

/** Mutation classes (the keys of the report's byClass). */
export const FUZZ_CLASSES = [
  "slot-2^32", "unsafe-integer", "non-finite", "bigint", "circular", "wrong-type", "missing-field", "unknown-field",
  "bad-decimal", "out-of-range", "unknown-kind", "bad-enum", "bad-symbol", "bad-id", "truncated-json", "invalid-json",
  "invalid-utf8", "duplicate-key", "generic-mutation", "valid-raw-control",
] as const;
export type FuzzClass = (typeof FUZZ_CLASSES)[number];

/** Kernel input methods the fuzzer drives. */
export type FuzzMethod = "processIntent" | "onVenueEvent" | "markPrice" | "onAccountEvent" | "anchorToExchange" | "reconcile" | "restoreState";

/** One generated input. */
export interface FuzzCase {
  cls: FuzzClass;
  method: FuzzMethod;
  /** "binding": `input` is a JS value for the Kernel method; "raw": `input` is the exact bytes. */
  path: "binding" | "raw";
  input: unknown;
  /** Definitely invalid: acceptance (or a refusal that is not a validation refusal) is a failure. */
  mustRefuse: boolean;
  /** A valid control input: a refusal is a failure. */
  mustAccept: boolean;
  /** Short description (template, field, mutation) for failure samples. */
  what: string;
}

/** The fuzzed kernel's configuration. */
export const FUZZ_CONFIG: KernelConfig = {
  slotCount: 4,
  initialCapitalUsdt: "100000",
  instruments: [{ symbol: "FET-USDT", tickSize: "0.0001", stepSize: "1" }, { symbol: "BTC-USDT", tickSize: "0.1", stepSize: "0.001" }],
};

type FieldType = "id" | "tradeId" | "symbol" | "int" | "dec" | "pos" | "nonneg" | "enum" | "ratios" | "text";
interface FieldSpec {
  type: FieldType;
  required: boolean;
  /** int: inclusive range; id/text: max length in min..max (max only). */
  min?: number;
  max?: number;
  values?: string[];
  /** symbol fields the kernel checks against the configured instruments (not reconcile's). */
  checked?: boolean;
}
interface Template {
  name: string;
  method: FuzzMethod;
  make(n: number): Record<string, unknown>;
  /** Field paths ("positions.0.quantity") → spec. */
  fields: Record<string, FieldSpec>;
}

const SAFE = Number.MAX_SAFE_INTEGER;
const id = (required: boolean, max = 64): FieldSpec => ({ type: "id", required, max });
const int = (required: boolean, min: number, max: number): FieldSpec => ({ type: "int", required, min, max });
const en = (required: boolean, values: string[]): FieldSpec => ({ type: "enum", required, values });
const TS = int(true, 0, SAFE);
const SYM: FieldSpec = { type: "symbol", required: true, checked: true };
const ORDER_TYPES = ["MARKET", "LIMIT"];
const TIFS = ["GTC", "IOC", "FOK", "POST_ONLY"];
const VENUE_KINDS = ["ORDER_ACK", "PARTIAL_FILL", "FULL_FILL", "CANCEL_ACK", "CANCEL_REJECT", "ORDER_REJECT", "RATE_LIMITED"];
const MODES = ["INCREMENTAL", "CUMULATIVE"];

const TEMPLATES: Template[] = [
  {
    name: "ENTER", method: "processIntent",
    make: (n) => ({ kind: "ENTER", intentId: `fz-e${n}`, tsUs: 1000 + n, slotId: 2, tradeId: `fz${n}`, symbol: "FET-USDT", side: "LONG", quantity: "10", orderType: "LIMIT", limitPrice: "0.19", timeInForce: "GTC", leverage: 3, exitLegRatios: ["0.5", "0.5"] }),
    fields: { intentId: id(true), tsUs: TS, slotId: int(true, 0, 3), tradeId: { type: "tradeId", required: true, max: 24 }, symbol: SYM, side: en(true, ["LONG", "SHORT"]), quantity: { type: "pos", required: true }, orderType: en(true, ORDER_TYPES), limitPrice: { type: "pos", required: true }, timeInForce: en(false, TIFS), leverage: int(true, 1, 125), exitLegRatios: { type: "ratios", required: false } },
  },
  {
    name: "EXIT", method: "processIntent",
    make: (n) => ({ kind: "EXIT", intentId: `fz-x${n}`, tsUs: 1000 + n, slotId: 0, orderType: "MARKET", ratio: "0.5" }),
    fields: { intentId: id(true), tsUs: TS, slotId: int(true, 0, 3), orderType: en(true, ORDER_TYPES), ratio: { type: "pos", required: false, max: 1 } },
  },
  {
    name: "EXIT_RESIDUAL", method: "processIntent",
    make: (n) => ({ kind: "EXIT_RESIDUAL", intentId: `fz-r${n}`, tsUs: 1000 + n, slotId: 1, orderType: "LIMIT", limitPrice: "61000", timeInForce: "IOC" }),
    fields: { intentId: id(true), tsUs: TS, slotId: int(true, 0, 3), orderType: en(true, ORDER_TYPES), limitPrice: { type: "pos", required: true }, timeInForce: en(false, TIFS) },
  },
  {
    name: "CANCEL", method: "processIntent",
    make: (n) => ({ kind: "CANCEL", intentId: `fz-c${n}`, tsUs: 1000 + n, slotId: 0 }),
    fields: { intentId: id(true), tsUs: TS, slotId: int(true, 0, 3) },
  },
  {
    name: "PARTIAL_FILL", method: "onVenueEvent",
    make: (n) => ({ kind: "PARTIAL_FILL", eventId: `fz-f${n}`, tsUs: 1000 + n, symbol: "FET-USDT", venueOrderId: "9001", clientOrderId: "d2-t0-e1", fillQty: "1", quantityMode: "INCREMENTAL", fillPrice: "0.2", feeUsdt: "0.001", feeMode: "INCREMENTAL", venueCode: 0, reason: "fuzz" }),
    fields: { eventId: id(true), tsUs: TS, symbol: SYM, venueOrderId: id(false), clientOrderId: id(false), fillQty: { type: "pos", required: true }, quantityMode: en(false, MODES), fillPrice: { type: "nonneg", required: false }, feeUsdt: { type: "dec", required: false }, feeMode: en(false, MODES), venueCode: int(false, -2147483648, 2147483647), reason: { type: "text", required: false, max: 512 } },
  },
  {
    name: "SLOT_HINT_ACK", method: "onVenueEvent",
    make: (n) => ({ kind: "ORDER_ACK", eventId: `fz-h${n}`, tsUs: 1000 + n, symbol: "FET-USDT", slotHint: 3 }),
    fields: { eventId: id(true), tsUs: TS, symbol: SYM, slotHint: int(false, 0, 63) },
  },
  {
    name: "RATE_LIMITED", method: "onVenueEvent",
    make: (n) => ({ kind: "RATE_LIMITED", eventId: `fz-l${n}`, tsUs: 1000 + n, symbol: "BTC-USDT", venueCode: 109429, retryAfterMs: 1000 }),
    fields: { eventId: id(true), tsUs: TS, symbol: SYM, venueCode: int(false, -2147483648, 2147483647), retryAfterMs: int(false, 0, 86_400_000) },
  },
  {
    name: "MARK", method: "markPrice",
    make: (n) => ({ tsUs: 1000 + n, symbol: "FET-USDT", markPrice: "0.21" }),
    fields: { tsUs: TS, symbol: SYM, markPrice: { type: "pos", required: true } },
  },
  {
    name: "FUNDING", method: "onAccountEvent",
    make: (n) => ({ kind: "FUNDING", eventId: `fz-u${n}`, tsUs: 1000 + n, symbol: "FET-USDT", amountUsdt: "-0.5" }),
    fields: { eventId: id(true), tsUs: TS, symbol: SYM, amountUsdt: { type: "dec", required: true } },
  },
  {
    name: "FILL_SETTLED", method: "onAccountEvent",
    make: (n) => ({ kind: "FILL_SETTLED", eventId: `fz-s${n}`, tsUs: 1000 + n, symbol: "FET-USDT", tradeId: "t0", realizedPnlUsdt: "0", feeUsdt: "0.01", cumQty: "1000" }),
    fields: { eventId: id(true), tsUs: TS, symbol: SYM, tradeId: id(true, 24), realizedPnlUsdt: { type: "dec", required: true }, feeUsdt: { type: "dec", required: true }, cumQty: { type: "pos", required: false } },
  },
  {
    name: "BALANCE", method: "onAccountEvent",
    make: (n) => ({ kind: "BALANCE", eventId: `fz-b${n}`, tsUs: 1000 + n, walletBalanceUsdt: "100000", availableMarginUsdt: "90000" }),
    fields: { eventId: id(true), tsUs: TS, walletBalanceUsdt: { type: "pos", required: true }, availableMarginUsdt: { type: "dec", required: false } },
  },
  {
    name: "ANCHOR", method: "anchorToExchange",
    make: (n) => ({ walletBalanceUsdt: "100000", availableMarginUsdt: "90000", eventSeq: n }),
    fields: { walletBalanceUsdt: { type: "pos", required: true }, availableMarginUsdt: { type: "dec", required: false }, eventSeq: int(false, 0, SAFE) },
  },
  {
    name: "RECONCILE", method: "reconcile",
    make: (n) => ({
      tsUs: 1000 + n,
      positions: [{ symbol: "FET-USDT", positionSide: "BOTH", quantity: "1000" }],
      orders: [{ symbol: "FET-USDT", venueOrderId: "9001", clientOrderId: "d2-t0-e1", status: "FILLED", executedQty: "1000", avgPrice: "0.2", feeUsdt: "0.1" }],
    }),
    fields: {
      tsUs: TS,
      "positions.0.symbol": { type: "symbol", required: true, max: 32 }, "positions.0.positionSide": en(true, ["BOTH", "LONG", "SHORT"]), "positions.0.quantity": { type: "dec", required: true },
      "orders.0.symbol": { type: "symbol", required: true, max: 32 }, "orders.0.venueOrderId": id(true), "orders.0.clientOrderId": id(false),
      "orders.0.status": en(true, ["NEW", "PENDING", "PARTIALLY_FILLED", "FILLED", "CANCELLED", "EXPIRED", "NOT_FOUND"]),
      "orders.0.executedQty": { type: "nonneg", required: true }, "orders.0.avgPrice": { type: "nonneg", required: true }, "orders.0.feeUsdt": { type: "dec", required: false },
    },
  },
];
const INTENT_TEMPLATES = TEMPLATES.filter((t) => t.method === "processIntent");

/**
 * The uncorrupted input of every template (numbered `n`), for the sanity test that no base input
 * is refused by validation: a validation refusal of a mutated case is then due to its mutation.
 */
export function baseInputs(n: number): { name: string; method: FuzzMethod; input: Record<string, unknown> }[] {
  return TEMPLATES.map((t) => ({ name: t.name, method: t.method, input: t.make(n) }));
}
/** Keys no input kind accepts (unknown-field). */
const UNKNOWN_KEYS = ["foo", "Kind", "slot_id", "eventID", "tsus", "symbol ", "", "constructor", "toString", "qty", "price"];

const BAD_DECIMALS = ["", "NaN", "inf", "Infinity", "-Infinity", "1e5", "1E5", "1.", ".5", "1,5", "--1", "+1", "0x10", " 1", "1 ", "1.2.3", "abc", "1000000000000001", "-1000000000000001", "0.000000000000000000001", "\u0661", "1_000", "0.1\u0000"];
const BAD_IDS = ["", "a b", "a\"b", "a\\b", "\u00e9t\u00e9", "x".repeat(65), "\u0000", "tab\there", "new\nline"];
const BAD_TRADE_IDS = ["", "a".repeat(25), "a/b", "a.b", "a b", "\u00e9", "a:b"];
const BAD_SYMBOLS = ["NOPE-USDT", "fet-usdt", "FET-USDT ", "FETUSDT", "FET-USDC", "ETH-USDT", "Fet-Usdt", "btc-usdt", "FET_USDT", "x".repeat(33), ""];
const UNSAFE_INTS = [2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e300, 1.5, -0.5, 1e21, -(2 ** 53), 0.1, 4294967296.5];
const SLOT_2_32 = [2 ** 32, 2 ** 32 + 1, 2 ** 32 + 2, 2 ** 33, 2 ** 40, SAFE, -(2 ** 32), 2 ** 31, 2 ** 31 - 1, -1, 4, 64];
const SLOT_2_32_RAW = ["4294967296", "4294967297", "9007199254740993", "18446744073709551616", "18446744073709551617", "4294967296.0", "4.294967296e9", "-4294967296", "4294967300"];

type Rand = () => number;

/** Deterministic generator of fuzz cases for one seed. */
export class FuzzGenerator {
  readonly #rand: Rand;
  #n = 0;
  readonly #savedState: string;

  /** @param savedState the fuzzed kernel's saveState text (restoreState mutations start from it). */
  constructor(seed: number, savedState: string) {
    this.#rand = seedrandom.alea(`dita-fuzz/${seed}`);
    this.#savedState = savedState;
  }

  #int(n: number): number {
    return Math.floor(this.#rand() * n);
  }
  #pick<T>(xs: readonly T[]): T {
    return xs[this.#int(xs.length)] as T;
  }
  #coin(): boolean {
    return this.#rand() < 0.5;
  }

  /** The next case; classes are drawn uniformly, so each gets about 1/20 of the inputs. */
  next(): FuzzCase {
    this.#n++;
    const cls = this.#pick(FUZZ_CLASSES);
    return this.#make(cls);
  }

  /** A case of class `cls` (exposed for targeted tests). */
  make(cls: FuzzClass): FuzzCase {
    this.#n++;
    return this.#make(cls);
  }

  #make(cls: FuzzClass): FuzzCase {
    switch (cls) {
      case "slot-2^32": return this.#slot232();
      case "unsafe-integer": return this.#fieldOfType(cls, ["int"], () => this.#pick(UNSAFE_INTS));
      case "non-finite": return this.#binding(cls, this.#anyField(), () => this.#pick([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]));
      case "bigint": return this.#binding(cls, this.#anyField(), () => BigInt(this.#int(1e6)) * 10n ** 20n);
      case "circular": return this.#circular();
      case "wrong-type": return this.#wrongType();
      case "missing-field": return this.#missing();
      case "unknown-field": return this.#unknown();
      case "bad-decimal": return this.#fieldOfType(cls, ["dec", "pos", "nonneg"], () => this.#pick(BAD_DECIMALS));
      case "out-of-range": return this.#outOfRange();
      case "unknown-kind": return this.#unknownKind();
      case "bad-enum": return this.#badEnum();
      case "bad-symbol": return this.#fieldOfType(cls, ["symbol"], () => this.#pick(BAD_SYMBOLS), (s) => s.checked === true);
      case "bad-id": return this.#badId();
      case "truncated-json": return this.#truncated();
      case "invalid-json": return this.#invalidJson();
      case "invalid-utf8": return this.#invalidUtf8();
      case "duplicate-key": return this.#duplicateKey();
      case "generic-mutation": return this.#generic();
      case "valid-raw-control": return this.#control();
    }
  }

  #template(filter?: (t: Template) => boolean): Template {
    return this.#pick(filter ? TEMPLATES.filter(filter) : TEMPLATES);
  }

  /** A (template, field) pair whose field spec passes `ok`. */
  #field(ok: (s: FieldSpec) => boolean, templates: Template[] = TEMPLATES): { t: Template; path: string; spec: FieldSpec } {
    const pairs: { t: Template; path: string; spec: FieldSpec }[] = [];
    for (const t of templates) for (const [path, spec] of Object.entries(t.fields)) if (ok(spec)) pairs.push({ t, path, spec });
    return this.#pick(pairs);
  }

  #anyField(): { t: Template; path: string } {
    return this.#field(() => true);
  }

  /** Encode a JS input for the raw path (anchorToExchange's object is the JSON the binding builds). */
  #raw(cls: FuzzClass, t: Template, value: Record<string, unknown>, mustRefuse: boolean, what: string): FuzzCase {
    return { cls, method: t.method, path: "raw", input: JSON.stringify(value), mustRefuse, mustAccept: false, what: `${t.name} ${what}` };
  }

  #binding(cls: FuzzClass, f: { t: Template; path: string }, value: () => unknown): FuzzCase {
    const obj = f.t.make(this.#n);
    const v = value();
    setPath(obj, f.path, v);
    return { cls, method: f.t.method, path: "binding", input: obj, mustRefuse: true, mustAccept: false, what: `${f.t.name} ${f.path}=${show(v)}` };
  }

  /** Set one field of type `types` to a bad value, through the binding or raw (both definite). */
  #fieldOfType(cls: FuzzClass, types: FieldType[], value: () => unknown, extra: (s: FieldSpec) => boolean = () => true): FuzzCase {
    const f = this.#field((s) => types.includes(s.type) && extra(s));
    if (this.#coin()) return this.#binding(cls, f, value);
    const obj = f.t.make(this.#n);
    const v = value();
    setPath(obj, f.path, v);
    return this.#raw(cls, f.t, obj, true, `${f.path}=${show(v)}`);
  }

  #slot232(): FuzzCase {
    const t = this.#pick(INTENT_TEMPLATES);
    const obj = t.make(this.#n);
    if (this.#coin()) {
      const v = this.#pick(SLOT_2_32);
      obj.slotId = v;
      return { cls: "slot-2^32", method: t.method, path: "binding", input: obj, mustRefuse: true, mustAccept: false, what: `${t.name} slotId=${v}` };
    }
    const v = this.#pick(SLOT_2_32_RAW);
    obj.slotId = 0;
    const text = JSON.stringify(obj).replace(`"slotId":0`, `"slotId":${v}`);
    if (this.#coin()) return { cls: "slot-2^32", method: t.method, path: "raw", input: text, mustRefuse: true, mustAccept: false, what: `${t.name} raw slotId=${v}` };
    const hint = TEMPLATES.find((x) => x.name === "SLOT_HINT_ACK") as Template;
    const ev = JSON.stringify(hint.make(this.#n)).replace(`"slotHint":3`, `"slotHint":${v}`);
    return { cls: "slot-2^32", method: "onVenueEvent", path: "raw", input: ev, mustRefuse: true, mustAccept: false, what: `ORDER_ACK raw slotHint=${v}` };
  }

  #circular(): FuzzCase {
    // anchorToExchange's binding takes three scalars, so a cycle cannot reach it.
    const t = this.#template((x) => x.method !== "anchorToExchange");
    const obj = t.make(this.#n);
    const where = this.#int(3);
    if (where === 0) obj.self = obj;
    else if (where === 1) obj.nested = { back: obj };
    else {
      const arr: unknown[] = ["0.5"];
      arr.push(arr);
      obj[t.method === "reconcile" ? "positions" : "exitLegRatios"] = arr;
    }
    return { cls: "circular", method: t.method, path: "binding", input: obj, mustRefuse: true, mustAccept: false, what: `${t.name} circular#${where}` };
  }

  #wrongType(): FuzzCase {
    if (this.#int(8) === 0) {
      const t = this.#template((x) => x.method !== "anchorToExchange");
      const v = this.#pick<unknown>(["text", 5, true, null, [], [t.make(this.#n)]]);
      if (this.#coin()) return { cls: "wrong-type", method: t.method, path: "binding", input: v, mustRefuse: true, mustAccept: false, what: `${t.name} root=${show(v)}` };
      return { cls: "wrong-type", method: t.method, path: "raw", input: JSON.stringify(v), mustRefuse: true, mustAccept: false, what: `${t.name} raw root=${show(v)}` };
    }
    const f = this.#field(() => true);
    const jsonOnly = this.#wrongValueFor(f.spec);
    const bindingOnly: unknown[] = [() => "x", new Date(0), new Map(), Symbol("s"), [undefined]];
    const useBinding = this.#coin();
    const v = useBinding && this.#int(3) === 0 ? this.#pick(bindingOnly) : jsonOnly;
    const obj = f.t.make(this.#n);
    setPath(obj, f.path, v);
    if (useBinding) return { cls: "wrong-type", method: f.t.method, path: "binding", input: obj, mustRefuse: true, mustAccept: false, what: `${f.t.name} ${f.path}=${show(v)}` };
    return this.#raw("wrong-type", f.t, obj, true, `${f.path}=${show(v)}`);
  }

  /** A JSON value of the wrong type for a field (never null on an optional field: null = absent). */
  #wrongValueFor(spec: FieldSpec): unknown {
    const forString: unknown[] = [5, 0, true, false, {}, [], ["x"], { v: "1" }, -1];
    const forInt: unknown[] = ["5", "0", true, {}, [], [1], "1e3"];
    const forRatios: unknown[] = ["0.5", 5, {}, true, [0.5, 0.5], [["1"]]];
    const pool = spec.type === "int" ? forInt : spec.type === "ratios" ? forRatios : forString;
    return spec.required && this.#int(6) === 0 ? null : this.#pick(pool);
  }

  #missing(): FuzzCase {
    const f = this.#field((s) => s.required);
    const obj = f.t.make(this.#n);
    deletePath(obj, f.path);
    if (this.#coin() && f.t.method !== "anchorToExchange") return { cls: "missing-field", method: f.t.method, path: "binding", input: obj, mustRefuse: true, mustAccept: false, what: `${f.t.name} -${f.path}` };
    return this.#raw("missing-field", f.t, obj, true, `-${f.path}`);
  }

  #unknown(): FuzzCase {
    const t = this.#template();
    const obj = t.make(this.#n);
    const key = this.#pick(UNKNOWN_KEYS);
    const nested = t.method === "reconcile" && this.#coin();
    if (nested) ((obj.orders as Record<string, unknown>[])[0] as Record<string, unknown>)[key] = 1;
    else obj[key] = 1;
    // Own keys named like Object.prototype members are plain data in JSON; through the binding
    // they are own properties too, so both paths must refuse them.
    if (this.#coin() && t.method !== "anchorToExchange") return { cls: "unknown-field", method: t.method, path: "binding", input: obj, mustRefuse: true, mustAccept: false, what: `${t.name} +${nested ? "orders[0]." : ""}${key}` };
    return this.#raw("unknown-field", t, obj, true, `+${nested ? "orders[0]." : ""}${key}`);
  }

  #outOfRange(): FuzzCase {
    const f = this.#field((s) => ["int", "pos", "nonneg", "ratios", "text", "id", "tradeId"].includes(s.type));
    const s = f.spec;
    let v: unknown;
    switch (s.type) {
      case "int": v = this.#coin() ? (s.min as number) - 1 - this.#int(3) : (s.max as number) + 1 + this.#int(3); break;
      case "pos": v = this.#pick(s.max === 1 ? ["0", "-1", "-0.5", "1.5", "2"] : ["0", "-1", "-0.5", "-0.00000001"]); break;
      case "nonneg": v = this.#pick(["-1", "-0.5", "-0.00000001"]); break;
      case "ratios": v = this.#pick([["0.5", "0.6"], ["0.3"], ["0"], ["1.5", "-0.5"], [], ["0.5", "0.5", "0.5"]]); break;
      case "text": v = "r".repeat(513 + this.#int(100)); break;
      default: v = "x".repeat((s.max ?? 64) + 1 + this.#int(5)); break;
    }
    if (s.type === "int" && ((v as number) < -SAFE || (v as number) > SAFE)) v = s.min === 0 ? -1 : (s.min as number) - 1;
    const obj = f.t.make(this.#n);
    setPath(obj, f.path, v);
    if (this.#coin()) return { cls: "out-of-range", method: f.t.method, path: "binding", input: obj, mustRefuse: true, mustAccept: false, what: `${f.t.name} ${f.path}=${show(v)}` };
    return this.#raw("out-of-range", f.t, obj, true, `${f.path}=${show(v)}`);
  }

  #unknownKind(): FuzzCase {
    const t = this.#template((x) => "kind" in x.make(0));
    const obj = t.make(this.#n);
    obj.kind = this.#pick(["ENTERR", "exit", "", "FILLED", "BALANCES", "funding", "ORDER_ACK ", "Cancel", "PARTIAL-FILL", "MARK", "\u0000"]);
    if (this.#coin()) return { cls: "unknown-kind", method: t.method, path: "binding", input: obj, mustRefuse: true, mustAccept: false, what: `${t.name} kind=${show(obj.kind)}` };
    return this.#raw("unknown-kind", t, obj, true, `kind=${show(obj.kind)}`);
  }

  #badEnum(): FuzzCase {
    const f = this.#field((s) => s.type === "enum");
    const valid = f.spec.values as string[];
    const v = this.#pick([this.#pick(valid).toLowerCase(), "", "X", `${this.#pick(valid)} `, "BOTH_", "1"]);
    const obj = f.t.make(this.#n);
    setPath(obj, f.path, v);
    if (this.#coin()) return { cls: "bad-enum", method: f.t.method, path: "binding", input: obj, mustRefuse: true, mustAccept: false, what: `${f.t.name} ${f.path}=${show(v)}` };
    return this.#raw("bad-enum", f.t, obj, true, `${f.path}=${show(v)}`);
  }

  #badId(): FuzzCase {
    const f = this.#field((s) => s.type === "id" || s.type === "tradeId");
    const v = this.#pick(f.spec.type === "tradeId" ? BAD_TRADE_IDS : f.spec.max === 24 ? [...BAD_IDS, "x".repeat(25)] : BAD_IDS);
    const obj = f.t.make(this.#n);
    setPath(obj, f.path, v);
    if (this.#coin()) return { cls: "bad-id", method: f.t.method, path: "binding", input: obj, mustRefuse: true, mustAccept: false, what: `${f.t.name} ${f.path}=${show(v)}` };
    return this.#raw("bad-id", f.t, obj, true, `${f.path}=${show(v)}`);
  }

  /** A valid input's JSON text (restoreState: the saved state). */
  #validText(): { t: Template | null; method: FuzzMethod; text: string } {
    if (this.#int(10) === 0) return { t: null, method: "restoreState", text: this.#savedState };
    const t = this.#template();
    return { t, method: t.method, text: JSON.stringify(t.make(this.#n)) };
  }

  #rawCase(cls: FuzzClass, method: FuzzMethod, input: string | Uint8Array, mustRefuse: boolean, what: string): FuzzCase {
    return { cls, method, path: "raw", input, mustRefuse, mustAccept: false, what };
  }

  #truncated(): FuzzCase {
    const v = this.#validText();
    const cut = this.#int(v.text.length);
    return this.#rawCase("truncated-json", v.method, v.text.slice(0, cut), true, `${v.t?.name ?? "STATE"} cut@${cut}/${v.text.length}`);
  }

  #invalidJson(): FuzzCase {
    const v = this.#validText();
    const s = v.text;
    const op = this.#int(9);
    let out: string;
    switch (op) {
      case 0: out = `{,${s.slice(1)}`; break;
      case 1: out = `${s.slice(0, -1)}]`; break;
      case 2: out = `${s} x`; break;
      case 3: out = s.replace(/:("[^"]*"|-?\d+)/, ":NaN"); break;
      case 4: out = s.replace(/"([A-Za-z]+)":/, "'$1':"); break;
      case 5: out = `${s.slice(0, -1)},}`; break;
      case 6: out = `/*c*/${s}`; break;
      case 7: out = s.replace(/:"([^"]*)"/, ':"$1\u0001"'); break;
      default: out = s.replace(/"([A-Za-z]+)":/, "$1:"); break;
    }
    return this.#rawCase("invalid-json", v.method, out, true, `${v.t?.name ?? "STATE"} op${op}`);
  }

  #invalidUtf8(): FuzzCase {
    const v = this.#validText();
    const bytes = new TextEncoder().encode(v.text);
    const at = this.#int(bytes.length + 1);
    const bad = this.#pick([[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0x80]]);
    const out = new Uint8Array(bytes.length + bad.length);
    out.set(bytes.subarray(0, at), 0);
    out.set(bad, at);
    out.set(bytes.subarray(at), at + bad.length);
    return this.#rawCase("invalid-utf8", v.method, out, true, `${v.t?.name ?? "STATE"} bytes ${bad.map((b) => b.toString(16)).join(" ")} @${at}`);
  }

  #duplicateKey(): FuzzCase {
    const t = this.#template();
    const obj = t.make(this.#n);
    const text = JSON.stringify(obj);
    const keys = [...text.matchAll(/"([A-Za-z]+)":("[^"]*"|-?\d+)/g)];
    const m = this.#pick(keys);
    const key = m[1] as string;
    const escaped = this.#int(4) === 0 ? `\\u00${key.charCodeAt(0).toString(16)}${key.slice(1)}` : key;
    const dupValue = this.#coin() ? (m[2] as string) : this.#pick([`"1"`, "0", `"FET-USDT"`, `"x"`]);
    const at = (m.index as number) + m[0].length;
    const out = `${text.slice(0, at)},"${escaped}":${dupValue}${text.slice(at)}`;
    return this.#rawCase("duplicate-key", t.method, out, true, `${t.name} dup ${key}${escaped !== key ? " (escaped)" : ""}`);
  }

  #generic(): FuzzCase {
    const v = this.#validText();
    if (v.t !== null && this.#coin()) {
      const f = this.#field(() => true, [v.t]);
      const obj = v.t.make(this.#n);
      const val = this.#pick<unknown>(["", "0", "1", "-1", "0.5", "FET-USDT", "BTC-USDT", 0, 1, -1, 63, true, null, "LIMIT", "MARKET", "CUMULATIVE", "t0", "9001", "d2-t0-e1", "*"]);
      setPath(obj, f.path, val);
      return { cls: "generic-mutation", method: v.method, path: "binding", input: obj, mustRefuse: false, mustAccept: false, what: `${v.t.name} ${f.path}=${show(val)}` };
    }
    const b = [...v.text];
    const edits = 1 + this.#int(3);
    const alphabet = `{}[]":,0123456789-.aeEfnrtuxLS \\`;
    for (let i = 0; i < edits && b.length > 0; i++) {
      const at = this.#int(b.length);
      const op = this.#int(3);
      if (op === 0) b[at] = this.#pick([...alphabet]);
      else if (op === 1) b.splice(at, 1);
      else b.splice(at, 0, this.#pick([...alphabet]));
    }
    return this.#rawCase("generic-mutation", v.method, b.join(""), false, `${v.t?.name ?? "STATE"} ${edits} byte edits`);
  }

  #control(): FuzzCase {
    const n = this.#n;
    if (this.#coin()) {
      const text = JSON.stringify({ tsUs: 1000 + n, symbol: this.#coin() ? "FET-USDT" : "BTC-USDT", markPrice: `0.${1 + this.#int(9)}${this.#int(10)}` });
      return { cls: "valid-raw-control", method: "markPrice", path: "raw", input: text, mustRefuse: false, mustAccept: true, what: "MARK valid raw JSON" };
    }
    const text = JSON.stringify({ kind: "RATE_LIMITED", eventId: `ctl${n}`, tsUs: 1000 + n, symbol: "FET-USDT", retryAfterMs: this.#int(5000) });
    return { cls: "valid-raw-control", method: "onVenueEvent", path: "raw", input: text, mustRefuse: false, mustAccept: true, what: "RATE_LIMITED valid raw JSON" };
  }
}

/** Set `obj` at a dotted path ("orders.0.symbol"). */
function setPath(obj: Record<string, unknown>, path: string, v: unknown): void {
  const parts = path.split(".");
  let o = obj as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) o = o[p] as Record<string, unknown>;
  o[parts[parts.length - 1] as string] = v;
}

function deletePath(obj: Record<string, unknown>, path: string): void {
  const parts = path.split(".");
  let o = obj as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) o = o[p] as Record<string, unknown>;
  delete o[parts[parts.length - 1] as string];
}

/** Short text of a value for case descriptions. */
export function show(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "function") return "(function)";
  if (typeof v === "symbol") return "(symbol)";
  if (v instanceof Date) return "(Date)";
  if (v instanceof Map) return "(Map)";
  if (typeof v === "number") return String(v);
  if (v === undefined) return "undefined";
  let s: string;
  try {
    s = JSON.stringify(v);
  } catch (err) {
    s = `(${(err as Error).message})`;
  }
  return s.length > 40 ? `${s.slice(0, 40)}…(${s.length})` : s;
}
