/**
 * Deep freeze of a JSON-shaped value, shared by the kernel binding (cached slot images handed to
 * readers, kernel/index.ts `sharedSlot`) and the BingX adapter (REST envelopes parsed once and
 * shared by their handlers, venues/bingx/adapter.ts): a value several readers hold must not be
 * changed by any of them.
 */

/**
 * Freeze `v` and every object and array inside it, in place; returns `v`. Already frozen
 * sub-objects are not walked again. Primitives are returned unchanged. Meant for JSON-shaped
 * (acyclic) values: a cycle would recurse without end, and JSON text cannot express one.
 */
export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === "object" && !Object.isFrozen(v)) freezeObject(v as object);
  return v;
}

/**
 * Freeze the unfrozen object `o` and its unfrozen object members. Members that are primitives
 * (most of a slot image: strings, numbers, booleans, arrays of id strings) are skipped without a
 * call, and arrays are walked by index instead of through an `Object.keys` array (the generic
 * walk was 1.5 % of a 40-seed chaos run in the issue 12 profile).
 */
function freezeObject(o: object): void {
  if (Array.isArray(o)) {
    for (let i = 0; i < o.length; i++) {
      const c: unknown = o[i];
      if (c !== null && typeof c === "object" && !Object.isFrozen(c)) freezeObject(c);
    }
  } else {
    const r = o as Record<string, unknown>;
    for (const k in r) {
      if (!Object.prototype.hasOwnProperty.call(r, k)) continue;
      const c = r[k];
      if (c !== null && typeof c === "object" && !Object.isFrozen(c)) freezeObject(c);
    }
  }
  Object.freeze(o);
}
