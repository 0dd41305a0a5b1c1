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

/**
 * Serialise `v` to JSON text, keys in insertion order; RawNumber members emitted verbatim.
 * Throws on a non-finite number (a bug: the venue never emits NaN/Infinity).
 */
const PLAIN = /^[\x20-\x7e]*$/;
const quote = (s: string): string => (PLAIN.test(s) && !s.includes('"') && !s.includes("\\") ? `"${s}"` : JSON.stringify(s));

export function toJsonText(v: JsonValue): string {
  if (v === null) return "null";
  if (typeof v === "string") return quote(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v instanceof RawNumber) return v.text;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`toJsonText: non-finite number ${v}`);
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return "[" + v.map(toJsonText).join(",") + "]";
  const parts: string[] = [];
  for (const k of Object.keys(v)) {
    const m = v[k];
    if (m === undefined) continue;
    parts.push(quote(k) + ":" + toJsonText(m));
  }
  return "{" + parts.join(",") + "}";
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
const hasOwn = Object.prototype.hasOwnProperty;

/** Parse `text` if it lies in the plain subset (see above), else BAIL. Never throws. */
function scanJson(text: string): Scan {
  const n = text.length;
  let i = 0;
  const ws = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d) i++;
      else return;
    }
  };
  const str = (): string | typeof BAIL => {
    // text[i] is '"'
    const start = ++i;
    for (;;) {
      if (i >= n) return BAIL;
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c || c < 0x20) return BAIL; // escapes and control characters: lossless-json decides
      i++;
    }
    return text.slice(start, i++);
  };
  const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
  const num = (): WireNumber | typeof BAIL => {
    const start = i;
    if (text.charCodeAt(i) === 0x2d) i++;
    let c = text.charCodeAt(i);
    if (c === 0x30) i++;
    else if (c >= 0x31 && c <= 0x39) {
      i++;
      while (isDigit(text.charCodeAt(i))) i++;
    } else return BAIL;
    if (text.charCodeAt(i) === 0x2e) {
      i++;
      if (!isDigit(text.charCodeAt(i))) return BAIL;
      while (isDigit(text.charCodeAt(i))) i++;
    }
    c = text.charCodeAt(i);
    if (c === 0x65 || c === 0x45) {
      i++;
      c = text.charCodeAt(i);
      if (c === 0x2b || c === 0x2d) i++;
      if (!isDigit(text.charCodeAt(i))) return BAIL;
      while (isDigit(text.charCodeAt(i))) i++;
    }
    return new LosslessNumber(text.slice(start, i)) as unknown as WireNumber;
  };
  const word = (w: string, v: boolean | null): boolean | null | typeof BAIL => {
    if (!text.startsWith(w, i)) return BAIL;
    i += w.length;
    return v;
  };
  const value = (depth: number): Scan => {
    if (depth > 512) return BAIL; // deep nesting: lossless-json's own recursion decides
    ws();
    const c = text.charCodeAt(i);
    let v: Scan;
    if (c === 0x22) v = str();
    else if (c === 0x7b) {
      i++;
      ws();
      const o: { [k: string]: Wire } = {};
      if (text.charCodeAt(i) === 0x7d) i++;
      else
        for (;;) {
          if (text.charCodeAt(i) !== 0x22) return BAIL;
          const k = str();
          if (k === BAIL || k === "__proto__" || hasOwn.call(o, k)) return BAIL;
          ws();
          if (text.charCodeAt(i) !== 0x3a) return BAIL;
          i++;
          const m = value(depth + 1);
          if (m === BAIL) return BAIL;
          o[k] = m;
          const d = text.charCodeAt(i);
          i++;
          if (d === 0x7d) break;
          if (d !== 0x2c) return BAIL;
          ws();
        }
      v = o;
    } else if (c === 0x5b) {
      i++;
      ws();
      const a: Wire[] = [];
      if (text.charCodeAt(i) === 0x5d) i++;
      else
        for (;;) {
          const m = value(depth + 1);
          if (m === BAIL) return BAIL;
          a.push(m);
          const d = text.charCodeAt(i);
          i++;
          if (d === 0x5d) break;
          if (d !== 0x2c) return BAIL;
        }
      v = a;
    } else if (c === 0x74) v = word("true", true);
    else if (c === 0x66) v = word("false", false);
    else if (c === 0x6e) v = word("null", null);
    else v = num();
    if (v === BAIL) return BAIL;
    ws();
    return v;
  };
  const v = value(0);
  return v !== BAIL && i === n ? v : BAIL;
}

/** True when `v` is a JSON number kept as text. */
export function isWireNumber(v: unknown): v is WireNumber {
  return isLosslessNumber(v);
}

/** True when `v` is a JSON object (not an array, not null). */
export function isWireObject(v: unknown): v is { [k: string]: Wire } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !isLosslessNumber(v);
}
