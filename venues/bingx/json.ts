/**
 * Wire JSON for BingX: exact building and lossless reading.
 *
 * BingX order ids are 19-digit integers above 2^53 sent as JSON *numbers* (docs/bingx-protocol.md §3);
 * `JSON.parse` silently corrupts them (TOOLCHAIN.md). The mock builds its bodies with
 * {@link toJsonText}, where {@link RawNumber} emits digits verbatim, and the adapter reads bodies
 * with {@link parseJsonLossless}, where every JSON number stays its source text.
 */
import { LosslessNumber, isLosslessNumber, parse as losslessParse } from "lossless-json";

/** A JSON number emitted verbatim (e.g. a 19-digit order id, an integer leverage). */
export class RawNumber {
  constructor(public readonly text: string) {
    if (!/^-?\d+(\.\d+)?$/.test(text)) throw new Error(`RawNumber: not a JSON number text: ${JSON.stringify(text)}`);
  }
}

/** A JSON value the builder accepts. `undefined` members of objects are omitted. */
export type JsonValue = string | number | boolean | null | RawNumber | JsonValue[] | { [k: string]: JsonValue | undefined };

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * True when `s` is printable ASCII other than '"' and '\\' (0x20-0x7e without 0x22 and 0x5c): such a
 * string needs no escaping (JSON.stringify otherwise). A loop: ~10 % cheaper than the regex test
 * per body (issue 12 profile).
 */
function isPlain(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}
const quote = (s: string): string => (isPlain(s) ? '"' + s + '"' : JSON.stringify(s));

/**
 * Object keys as written (`"key":`), by key: the venue writes the same few dozen keys in every
 * body, and quoting each again was ~40 % of toJsonText (issue 12 profile). Bounded: keys are no
 * longer remembered once QUOTED_KEYS_MAX are.
 */
const quotedKeys = new Map<string, string>();
const QUOTED_KEYS_MAX = 4096;

/** A string as JSON text, exactly as {@link toJsonText} writes it (for builders that write text directly). */
export const jsonString = quote;

/**
 * Serialise `v` to JSON text, keys in insertion order; RawNumber members emitted verbatim.
 * Throws on a non-finite number (a bug: the venue never emits NaN/Infinity).
 */
export function toJsonText(v: JsonValue): string {
  if (v === null) return "null";
  if (typeof v === "string") return quote(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v instanceof RawNumber) return v.text;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`toJsonText: non-finite number ${v}`);
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) {
    let out = "[";
    for (let i = 0; i < v.length; i++) out += (i === 0 ? "" : ",") + toJsonText(v[i]!);
    return out + "]";
  }
  let out = "{";
  let first = true;
  for (const k in v) {
    if (!hasOwn.call(v, k)) continue;
    const m = v[k];
    if (m === undefined) continue;
    let qk = quotedKeys.get(k);
    if (qk === undefined) {
      qk = quote(k) + ":";
      if (quotedKeys.size < QUOTED_KEYS_MAX) quotedKeys.set(k, qk);
    }
    out += (first ? "" : ",") + qk + toJsonText(m);
    first = false;
  }
  return out + "}";
}

/** A parsed JSON value in which every number is kept as {@link WireNumber} (its exact text). */
export type Wire = string | boolean | null | WireNumber | Wire[] | { [k: string]: Wire };
/** A JSON number as its exact source text. */
export interface WireNumber {
  readonly isLosslessNumber: true;
  readonly value: string;
}

/**
 * Parse raw JSON text losslessly: numbers become WireNumber (exact text). Throws SyntaxError on
 * malformed text (callers wrap it in an error naming the payload).
 */
export function parseJsonLossless(text: string): Wire {
  const fast = scanJson(text);
  return fast !== BAIL ? fast : (losslessParse(text) as Wire);
}

// ───────────────────────────── the fast exact scanner ─────────────────────────────
//
// Issue 12 profile: lossless-json's parser was ~6 % of a simulator run. {@link scanJson} reads the
// plain subset of JSON the venue and BingX send (no escapes in strings, no duplicate keys, no
// `__proto__` key) in one tight pass and builds the value lossless-json would build (plain objects
// and arrays, numbers as lossless-json LosslessNumber with their exact text). Anything outside
// that subset — an escape, a control character, a duplicate or `__proto__` key, or any syntax
// error — returns BAIL and the whole text goes to lossless-json, so results AND refusals (its
// SyntaxError messages) are lossless-json's own. venues/bingx/json.test.ts checks both against
// lossless-json on generated texts.

const BAIL: unique symbol = Symbol("bail");
type Scan = Wire | typeof BAIL;

// Scanner state: module-level (the scanner never calls out, so it is not re-entered), and
// module-level functions, so no closure is built per parse.
let T = "";
let I = 0;
let N = 0;

/** Parse `text` if it lies in the plain subset (see above), else BAIL. Never throws. */
function scanJson(text: string): Scan {
  T = text;
  I = 0;
  N = text.length;
  const v = scanValue(0);
  const ok = v !== BAIL && I === N;
  T = "";
  return ok ? v : BAIL;
}

function scanWs(): void {
  if (T.charCodeAt(I) > 0x20) return; // the usual case: no whitespace here (every JSON whitespace is ≤ 0x20)
  for (;;) {
    const c = T.charCodeAt(I);
    if (c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d) I++;
    else return;
  }
}

/** A string without escapes; T[I] is '"'. */
function scanString(): string | typeof BAIL {
  const start = ++I;
  for (;;) {
    if (I >= N) return BAIL;
    const c = T.charCodeAt(I);
    if (c === 0x22) break;
    if (c === 0x5c || c < 0x20) return BAIL; // escapes and control characters: lossless-json decides
    I++;
  }
  return T.slice(start, I++);
}

function isDigitAt(i: number): boolean {
  const c = T.charCodeAt(i);
  return c >= 0x30 && c <= 0x39;
}

/** A JSON number, kept as its exact text (lossless-json's LosslessNumber). */
function scanNumber(): WireNumber | typeof BAIL {
  const start = I;
  if (T.charCodeAt(I) === 0x2d) I++;
  let c = T.charCodeAt(I);
  if (c === 0x30) I++;
  else if (c >= 0x31 && c <= 0x39) {
    I++;
    while (isDigitAt(I)) I++;
  } else return BAIL;
  if (T.charCodeAt(I) === 0x2e) {
    I++;
    if (!isDigitAt(I)) return BAIL;
    while (isDigitAt(I)) I++;
  }
  c = T.charCodeAt(I);
  if (c === 0x65 || c === 0x45) {
    I++;
    c = T.charCodeAt(I);
    if (c === 0x2b || c === 0x2d) I++;
    if (!isDigitAt(I)) return BAIL;
    while (isDigitAt(I)) I++;
  }
  return new LosslessNumber(T.slice(start, I)) as unknown as WireNumber;
}

function scanWord(w: string, v: boolean | null): boolean | null | typeof BAIL {
  if (!T.startsWith(w, I)) return BAIL;
  I += w.length;
  return v;
}

/**
 * Keys of BingX payloads (docs/bingx-protocol.md §4-§6 field tables). An object key
 * that equals one of them is taken as that (already internalised) string instead of a fresh slice
 * of the text, which V8 would have to look up in its string table on every property store
 * (issue 12: keys are most of what a reply is made of). Same key value either way. Indexed by
 * length, then by the code of the first character: a key is compared with one or two candidates.
 */
const KNOWN_KEYS_BY_LENGTH_AND_FIRST: (string[] | undefined)[][] = [];
for (const k of [
  "code", "msg", "data", "order", "orders", "symbol", "orderId", "orderID", "side", "positionSide", "type", "origQty", "price", "executedQty",
  "avgPrice", "cumQuote", "stopPrice", "profit", "commission", "status", "time", "updateTime", "clientOrderId", "clientOrderID", "leverage",
  "workingType", "reduceOnly", "timeInForce", "postOnly", "quantity", "e", "E", "o", "s", "c", "i", "S", "q", "p", "sp", "ap", "x", "X", "N",
  "n", "T", "wt", "ps", "rp", "z", "a", "m", "B", "wb", "cw", "bc", "P", "pa", "ep", "up", "mt", "iw", "cr", "userId", "asset", "balance",
  "equity", "unrealizedProfit", "realisedProfit", "realizedProfit", "availableMargin", "usedMargin", "freezedMargin", "frozenMargin",
  "shortUid", "positionId", "isolated", "positionAmt", "availableAmt", "initialMargin", "margin", "liquidationPrice", "positionValue",
  "markPrice", "riskRate", "maxMarginReduction", "pnlRatio", "onlyOnePosition", "currency", "incomeType", "income", "info", "tranId",
  "tradeId", "listenKey", "serverTime",
])
  ((KNOWN_KEYS_BY_LENGTH_AND_FIRST[k.length] ??= [])[k.charCodeAt(0)] ??= []).push(k);

/** An object key; T[I] is '"'. A known key comes back as the constant string (same value). */
function scanKey(): string | typeof BAIL {
  const start = I + 1;
  const end = T.indexOf('"', start);
  const byFirst = end < 0 ? undefined : KNOWN_KEYS_BY_LENGTH_AND_FIRST[end - start];
  const known = byFirst === undefined ? undefined : byFirst[T.charCodeAt(start)];
  if (known !== undefined) {
    for (let j = 0; j < known.length; j++) {
      const k = known[j]!;
      // The whole span up to the next quote equals k, so it holds no escape or control character.
      if (T.startsWith(k, start)) {
        I = end + 1;
        return k;
      }
    }
  }
  return scanString();
}

function scanObject(depth: number): Scan {
  I++; // '{'
  if (T.charCodeAt(I) <= 0x20) scanWs(); // whitespace is rare: the call only when there is some
  const o: { [k: string]: Wire } = {};
  if (T.charCodeAt(I) === 0x7d) {
    I++;
    return o;
  }
  for (;;) {
    if (T.charCodeAt(I) !== 0x22) return BAIL;
    const k = scanKey();
    if (k === BAIL || k === "__proto__" || hasOwn.call(o, k)) return BAIL;
    if (T.charCodeAt(I) <= 0x20) scanWs();
    if (T.charCodeAt(I) !== 0x3a) return BAIL;
    I++;
    const m = scanValue(depth + 1);
    if (m === BAIL) return BAIL;
    o[k] = m;
    const d = T.charCodeAt(I++);
    if (d === 0x7d) return o;
    if (d !== 0x2c) return BAIL;
    if (T.charCodeAt(I) <= 0x20) scanWs();
  }
}

function scanArray(depth: number): Scan {
  I++; // '['
  if (T.charCodeAt(I) <= 0x20) scanWs();
  const a: Wire[] = [];
  if (T.charCodeAt(I) === 0x5d) {
    I++;
    return a;
  }
  for (;;) {
    const m = scanValue(depth + 1);
    if (m === BAIL) return BAIL;
    a.push(m);
    const d = T.charCodeAt(I++);
    if (d === 0x5d) return a;
    if (d !== 0x2c) return BAIL;
  }
}

function scanValue(depth: number): Scan {
  if (depth > 512) return BAIL; // deep nesting: lossless-json's own recursion decides
  if (T.charCodeAt(I) <= 0x20) scanWs();
  const c = T.charCodeAt(I);
  let v: Scan;
  if (c === 0x22) v = scanString();
  else if (c === 0x7b) v = scanObject(depth);
  else if (c === 0x5b) v = scanArray(depth);
  else if (c === 0x74) v = scanWord("true", true);
  else if (c === 0x66) v = scanWord("false", false);
  else if (c === 0x6e) v = scanWord("null", null);
  else v = scanNumber();
  if (v === BAIL) return BAIL;
  if (T.charCodeAt(I) <= 0x20) scanWs();
  return v;
}

/** True when `v` is a JSON number kept as text. */
export function isWireNumber(v: unknown): v is WireNumber {
  // instanceof first: every number this module parses is a LosslessNumber of this copy of the
  // library, and the class's marker getter answers true for them; the marker lookup (other
  // copies of lossless-json) only for the rest (issue 12 profile: 0.6 % in the symbol lookup).
  return v instanceof LosslessNumber || isLosslessNumber(v);
}

/** True when `v` is a JSON object (not an array, not null). */
export function isWireObject(v: unknown): v is { [k: string]: Wire } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !isLosslessNumber(v);
}
