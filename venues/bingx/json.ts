/**
 * Wire JSON for BingX: exact building and lossless reading.
 *
 * BingX order ids are 19-digit integers above 2^53 sent as JSON *numbers* (docs/bingx-protocol.md §3);
 * `JSON.parse` silently corrupts them (TOOLCHAIN.md). The mock builds its bodies with
 * {@link toJsonText}, where {@link RawNumber} emits digits verbatim, and the adapter reads bodies
 * with {@link parseJsonLossless}, where every JSON number stays its source text.
 */
import { isLosslessNumber, parse as losslessParse } from "lossless-json";

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
  return losslessParse(text) as Wire;
}

/** True when `v` is a JSON number kept as text. */
export function isWireNumber(v: unknown): v is WireNumber {
  return isLosslessNumber(v);
}

/** True when `v` is a JSON object (not an array, not null). */
export function isWireObject(v: unknown): v is { [k: string]: Wire } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !isLosslessNumber(v);
}
