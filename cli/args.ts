/**
 * Argument parsers for the `dita` command. Each throws commander's InvalidArgumentError naming
 * the value, which the CLI turns into exit 2 (bad usage).
 */
import { InvalidArgumentError } from "commander";

/** A seed: a non-negative integer up to 2^32 − 1 (the RNG seeds 32-bit streams from it). */
export function parseSeed(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`seed must be a non-negative integer, got "${value}"`);
  const n = Number(value);
  if (n > 0xffffffff) throw new InvalidArgumentError(`seed must be at most 4294967295, got ${value}`);
  return n;
}

/** A positive integer count (e.g. --seeds), at most `max`. */
export function parseCount(max = 1_000_000): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`must be a positive integer, got "${value}"`);
    const n = Number(value);
    if (n > max) throw new InvalidArgumentError(`must be at most ${max}, got ${value}`);
    return n;
  };
}

/**
 * A comma-separated list of ids (e.g. `--only a,b`): trimmed, non-empty, no duplicates.
 * @throws InvalidArgumentError naming the empty or repeated entry.
 */
export function parseIdList(value: string): string[] {
  const ids = value.split(",").map((s) => s.trim());
  const seen = new Set<string>();
  for (const id of ids) {
    if (id === "") throw new InvalidArgumentError(`expected comma-separated ids, got an empty entry in "${value}"`);
    if (seen.has(id)) throw new InvalidArgumentError(`id "${id}" is listed twice in "${value}"`);
    seen.add(id);
  }
  return ids;
}
