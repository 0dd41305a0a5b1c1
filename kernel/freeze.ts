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
  if (v !== null && typeof v === "object" && !Object.isFrozen(v)) {
    for (const k of Object.keys(v as object)) deepFreeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
}
