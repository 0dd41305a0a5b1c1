/**
 * Input guard of the kernel binding (issue 11 "close every hole"): checks a JavaScript value
 * before it is encoded for the kernel (JSON today, a binary encoder later: both call
 * `guardInput` first), so no value is silently changed on the way in. Refused, each naming the
 * field (dotted path, `[i]` for array elements) and the value:
 *   - non-finite numbers (NaN, ±Infinity) anywhere: JSON.stringify would turn them into null
 *     ("absent") and the old replacer into the strings "NaN"/"Infinity", which were then
 *     accepted as ids (two fills with `eventId: NaN` were deduplicated into one);
 *   - a number in an integer field (`INTEGER_FIELDS`: tsUs, slotId, leverage, ...) that is not a
 *     safe integer (|n| ≤ 2^53 − 1, no fraction): above 2^53 the double is not the integer the
 *     caller meant (E7 identity: slotId 2^32 must stay 2^32, never become slot 0);
 *   - BigInt, functions, symbols, `undefined` inside arrays, non-plain objects (Date, Map, class
 *     instances: JSON.stringify would rewrite or drop them), circular references, nesting deeper
 *     than `MAX_DEPTH`, strings holding a lone UTF-16 surrogate (the UTF-8 encoder would replace
 *     it with U+FFFD), and getters that throw.
 * An object property whose value is `undefined` is "absent" (TypeScript optional fields), as in
 * JSON. Everything else (types of known fields, ranges, decimals, enums, symbols) is judged by
 * the kernel, which names the field too. The guard never throws.
 */
import type { DiagnosticCode, Outcome } from "./types.js";

/** Fields whose value is an integer JSON number in every kernel input (kernel/types.ts). */
export const INTEGER_FIELDS: ReadonlySet<string> = new Set([
  "tsUs", "slotId", "leverage", "slotHint", "venueCode", "retryAfterMs", "eventSeq", "slotCount", "maxLeverage", "archiveCapacity",
]);

/** Deepest accepted nesting of objects/arrays (kernel inputs nest 3 levels at most). */
export const MAX_DEPTH = 16;

/** Why the guard refused an input: the field path, a short text of the value, the reason. */
export interface GuardRefusal {
  field: string;
  value: string;
  reason: string;
}

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function pathOf(stack: (string | number)[]): string {
  let p = "";
  for (const k of stack) p = typeof k === "number" ? `${p}[${k}]` : p === "" ? k : `${p}.${k}`;
  return p === "" ? "(root)" : p;
}

function showValue(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "string") return v.length > 40 ? `${JSON.stringify(v.slice(0, 40))}…` : JSON.stringify(v);
  if (typeof v === "function") return "(function)";
  if (typeof v === "symbol") return v.toString();
  if (v === undefined) return "undefined";
  if (typeof v === "object" && v !== null) return `(${Object.prototype.toString.call(v).slice(8, -1)})`;
  return String(v);
}

/** The field name an integer rule applies to: the last object key on the path. */
function lastKey(stack: (string | number)[]): string | undefined {
  for (let i = stack.length - 1; i >= 0; i--) {
    const k = stack[i];
    if (typeof k === "string") return k;
  }
  return undefined;
}

/**
 * The refusal of value `v` at `stack`. A module-level function, not a closure per checked value:
 * the guard runs on every hot call, and tsx (keepNames) wraps every closure creation in a
 * `__name` call that cost about a third of a markPrice call (issue 11 per-call profile).
 */
function refusal(stack: (string | number)[], v: unknown, reason: string): GuardRefusal {
  return { field: pathOf(stack), value: showValue(v), reason };
}

function checkValue(v: unknown, stack: (string | number)[], seen: object[]): GuardRefusal | null {
  switch (typeof v) {
    case "string":
      return LONE_SURROGATE.test(v) ? refusal(stack, v, "contains a lone UTF-16 surrogate (not valid Unicode)") : null;
    case "boolean":
      return null;
    case "number": {
      if (!Number.isFinite(v)) return refusal(stack, v, "non-finite number (NaN / ±Infinity) refused: it has no JSON form");
      const k = lastKey(stack);
      if (k !== undefined && INTEGER_FIELDS.has(k) && !Number.isSafeInteger(v)) {
        return refusal(stack, v, "must be a safe integer (|n| ≤ 2^53−1, no fraction): a larger double is not the integer meant (E7)");
      }
      return null;
    }
    case "bigint":
      return refusal(stack, v, "BigInt refused: use a safe integer number (integer fields) or a decimal string (money, quantities)");
    case "function":
    case "symbol":
      return refusal(stack, v, `a ${typeof v} is not a kernel input value`);
    case "undefined":
      return refusal(stack, v, "undefined is not a kernel input value (omit the field instead)");
    case "object":
      return v === null ? null : checkObject(v, stack, seen);
  }
  return refusal(stack, v, "unsupported value type");
}

function checkObject(o: object, stack: (string | number)[], seen: object[]): GuardRefusal | null {
  if (seen.includes(o)) return refusal(stack, o, "circular reference");
  if (seen.length >= MAX_DEPTH) return refusal(stack, o, `nested deeper than ${MAX_DEPTH} levels`);
  seen.push(o);
  try {
    if (Array.isArray(o)) {
      for (let i = 0; i < o.length; i++) {
        stack.push(i);
        const r = checkValue(o[i], stack, seen);
        stack.pop();
        if (r) return r;
      }
      return null;
    }
    const proto = Object.getPrototypeOf(o);
    if (proto !== Object.prototype && proto !== null) return refusal(stack, o, "not a plain object (Date, Map, class instance ... are rewritten or dropped by JSON)");
    for (const k of Object.keys(o)) {
      stack.push(k); // before the read: a throwing getter is reported at its field
      const v = (o as Record<string, unknown>)[k];
      const r = v === undefined ? null : checkValue(v, stack, seen); // undefined = absent optional field
      stack.pop();
      if (r) return r;
    }
    return null;
  } finally {
    seen.pop();
  }
}

/**
 * Check an input value (intent, venue event, mark price, account event, anchor, reconcile
 * report, config) before encoding. Returns null when it may be encoded, else the refusal naming
 * the field. `expectObject`: the input itself must be a plain object (intents, events, reports).
 * Never throws: a getter or proxy that throws is itself refused.
 */
export function guardInput(input: unknown, expectObject = false): GuardRefusal | null {
  if (expectObject && (typeof input !== "object" || input === null || Array.isArray(input))) {
    return { field: "(root)", value: showValue(input), reason: "expected an object (this method takes one input object, not JSON text)" };
  }
  const stack: (string | number)[] = [];
  try {
    return checkValue(input, stack, []);
  } catch (err) {
    return { field: pathOf(stack), value: "(unreadable)", reason: `reading the value threw: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * The refusal as a kernel Outcome (accepted false, `code`, details.field / details.value, no
 * transitions or commands), the same shape the kernel returns for a field it refuses.
 * `ledgerSeq` is the caller's current ledger sequence (-1 when not known: nothing was read).
 */
export function guardOutcome(code: DiagnosticCode, r: GuardRefusal, ledgerSeq = -1): Outcome {
  return {
    accepted: false,
    code,
    severity: "ERROR",
    message: `${r.field} ${r.value}: ${r.reason} (binding input guard; nothing sent to the kernel)`,
    details: { field: r.field, value: r.value, guard: true },
    transitions: [],
    commands: [],
    ledgerSeq,
  };
}
