/**
 * Argument parsers for the `dita` command. Each throws commander's InvalidArgumentError naming
 * the value, which the CLI turns into exit 2 (bad usage).
 */
import { InvalidArgumentError } from "commander";

/** Largest seed any subcommand accepts: 2^32 − 1 (the RNG seeds 32-bit streams from it). */
export const MAX_SEED = 0xffffffff;

/** A seed: a non-negative integer up to {@link MAX_SEED}. */
export function parseSeed(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`seed must be a non-negative integer, got "${value}"`);
  const n = Number(value);
  if (n > MAX_SEED) throw new InvalidArgumentError(`seed must be at most ${MAX_SEED}, got ${value}`);
  return n;
}

/**
 * The seed range from, from+1, …, from+count−1 must stay within the seeds `dita run --seed`
 * accepts (one rule everywhere, so every chaos seed can be re-run alone).
 * @returns a message naming the options and the last seed, or undefined when the range is fine.
 */
export function seedRangeProblem(from: number, count: number, fromFlag = "--from", countFlag = "--seeds"): string | undefined {
  const last = from + count - 1;
  if (last <= MAX_SEED) return undefined;
  return `${fromFlag} ${from} ${countFlag} ${count}: the last seed ${last} is above ${MAX_SEED}, the largest seed \`dita run --seed\` accepts; use ${fromFlag} ${MAX_SEED - count + 1} or fewer seeds`;
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
