/**
 * Write a value as pretty-printed JSON to a file in pieces: the bytes are exactly
 * `JSON.stringify(value, null, 2) + "\n"`, but the whole document is never one string in memory.
 * A 48 h run's summary.json is ~15 MB (series, trades twice); built in one piece it raised the
 * run's peak memory by tens of MB (issue 12, peak RSS of a 48 h `dita run`).
 *
 * As JSON.stringify does, each member's toJSON(key) is applied first. Arrays and objects with the
 * plain prototypes are then walked member by member; every other value (strings, numbers, class
 * instances, Maps, Dates' results) is handed to JSON.stringify whole and re-indented to its depth,
 * so JSON.stringify's own rules decide every leaf. (Unlike JSON.stringify, a toJSON result that
 * is a class instance with its own toJSON has that applied again; no report value has one.)
 */
import { closeSync, openSync, writeSync } from "node:fs";

/** Text is flushed to the file once this many characters are pending. */
const FLUSH_CHARS = 1 << 20;

/**
 * Write `value` to `path` (created or truncated) as `JSON.stringify(value, null, 2) + "\n"`.
 * @throws Error when `value` is not representable as a JSON document (undefined, a function or a
 *   symbol at the top), as JSON.stringify would give no text; errors of the file system as thrown by fs.
 */
export function writeJsonFile(path: string, value: unknown): void {
  const fd = openSync(path, "w");
  try {
    let pending = "";
    const put = (s: string) => {
      pending += s;
      if (pending.length >= FLUSH_CHARS) {
        writeSync(fd, pending);
        pending = "";
      }
    };
    if (!emit(value, "", "", put)) throw new Error(`writeJsonFile ${path}: the value (${typeof value}) has no JSON text`);
    put("\n");
    writeSync(fd, pending);
  } finally {
    closeSync(fd);
  }
}

/** A value JSON.stringify leaves out of an object (and writes as null in an array). */
function skipped(v: unknown): boolean {
  return v === undefined || typeof v === "function" || typeof v === "symbol";
}

/** `v` as JSON.stringify sees it as the member `key` of its holder: its toJSON(key) result, if it has one. */
function resolve(v: unknown, key: string): unknown {
  return v !== null && typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function" ? (v as { toJSON: (k: string) => unknown }).toJSON(key) : v;
}

/** Arrays and objects whose prototype is Object.prototype or null are walked; anything else is a leaf. */
function walkable(v: unknown): v is unknown[] | Record<string, unknown> {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v);
  return Array.isArray(v) ? proto === Array.prototype : proto === Object.prototype || proto === null;
}

/** Emit the JSON text of `v` at indentation `indent`; false (nothing emitted) when it has none. */
function emit(v: unknown, key: string, indent: string, put: (s: string) => void): boolean {
  const x = resolve(v, key);
  if (skipped(x)) return false;
  write(x, indent, put);
  return true;
}

/** Write a resolved, not skipped value (JSON.stringify's gap "  " at every level). */
function write(v: unknown, indent: string, put: (s: string) => void): void {
  if (!walkable(v)) {
    // A leaf (string, number, boolean, null, class instance, ...): JSON.stringify's own text,
    // re-indented to this depth (JSON text has no raw newline inside a string).
    const text = JSON.stringify(v, null, 2);
    put(indent === "" || !text.includes("\n") ? text : text.split("\n").join("\n" + indent));
    return;
  }
  const inner = indent + "  ";
  if (Array.isArray(v)) {
    if (v.length === 0) return put("[]");
    put("[\n");
    for (let i = 0; i < v.length; i++) {
      put(inner);
      if (!emit(v[i], String(i), inner, put)) put("null");
      put(i + 1 < v.length ? ",\n" : "\n");
    }
    put(indent + "]");
    return;
  }
  let first = true;
  for (const k of Object.keys(v)) {
    const x = resolve(v[k], k);
    if (skipped(x)) continue;
    put(first ? "{\n" : ",\n");
    first = false;
    put(`${inner}${JSON.stringify(k)}: `);
    write(x, inner, put);
  }
  put(first ? "{}" : `\n${indent}}`);
}
