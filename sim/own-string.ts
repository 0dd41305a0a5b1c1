/**
 * Keeping a substring without keeping the text it was cut from (issue 12: peak RSS of a long run).
 *
 * V8 represents a substring of 13 or more characters as a slice of its parent string, and a string
 * built by concatenation as a rope over its parts. The adapter's JSON scanner cuts ids and decimals
 * out of each WS frame, so a map that keeps such a value keeps the whole frame text alive: at the
 * end of a 48 h random-clean run, 31,210 frame and REST texts (10.2 MB) were held only by values
 * the observer and the capital fold keep (heap snapshot, sim/README.md §Memory of a long run).
 */

/** Slices and ropes start at this length in V8 (shorter substrings are copied). */
const V8_MIN_SLICE_LENGTH = 13;

/**
 * `s` as a string that owns its characters: equal to `s`, but holding no reference to a longer
 * parent text. Prepending a character makes a rope; cutting it off again makes V8 flatten the rope
 * into a new string (a copy of `s`'s characters) and slice that copy, so the parent is released.
 * For a value a long-lived map or list keeps; not needed for values that die young.
 */
export function ownString(s: string): string {
  return s.length < V8_MIN_SLICE_LENGTH ? s : (" " + s).slice(1);
}
