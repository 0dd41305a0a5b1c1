/**
 * Checks of a scenario file before `dita run --file F` starts (issue 15): input problems exit 2
 * naming the field and value instead of a run that fails later with an unrelated message.
 *
 * - Every scripted intent's slotId is inside the scenario's slots.
 * - Every ENTER intent is shown to a fresh kernel (the real one, same configuration) at the
 *   scenario start: when the kernel refuses it (INVALID_INTENT, INVALID_SLOT, …: negative, NaN or
 *   1e300 quantity, side "SIDEWAYS", an off-tick limit price, an unknown symbol) the run does not
 *   start, and the message says the kernel would refuse it, with the kernel's own code and reason.
 *   A scenario that expects that refusal (its `expect.diagnostics` lists the code) is let through:
 *   it is testing the kernel's diagnostics on purpose.
 * - Recorded price files exist, are files, and hold at most {@link maxPricePoints} points; inline
 *   point lists likewise (a 1.1M-point file once ran 2.5 min at 2.2 GB with no warning).
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { arrow } from "../sim/arrow-lazy.js";
import type { Intent } from "../kernel/types.js";
import type { KernelConfig } from "../kernel/types.js";
import type { Scenario } from "../sim/types.js";
import { UsageError } from "./errors.js";

/** Default most price points one run accepts (about 30 s of simulation per 250k points). */
export const DEFAULT_MAX_PRICE_POINTS = 250_000;

/** The price-point limit: $DITA_MAX_PRICE_POINTS (a positive integer) or the default. */
export function maxPricePoints(): number {
  const raw = process.env.DITA_MAX_PRICE_POINTS;
  if (raw === undefined || raw === "") return DEFAULT_MAX_PRICE_POINTS;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new UsageError(`environment DITA_MAX_PRICE_POINTS must be a positive integer, got "${raw}"`);
  return Number(raw);
}

/** The kernel surface preflight needs (kernel/index.ts KernelModule). */
export interface PreflightKernel {
  create(config: KernelConfig): { processIntent(intent: Intent): { accepted: boolean; code: string; message: string; details: Record<string, unknown> }; dispose?(): void };
}

/** Codes that mean the kernel refused the intent itself (not the moment it came at). */
const REFUSAL_CODES = new Set(["INVALID_INTENT", "INVALID_SLOT"]);

/**
 * Check the scripted intents of `scenario` (loaded from `source`).
 * @throws UsageError naming `driver.intents[i].intent.<field>`, the value and the kernel's reason.
 */
export function checkIntents(scenario: Scenario, source: string, kernel: PreflightKernel, config: KernelConfig): void {
  if (scenario.driver.kind !== "scripted") return;
  const slotCount = config.slotCount ?? 10;
  const expected = new Set(scenario.expect?.diagnostics ?? []);
  scenario.driver.intents.forEach((si, i) => {
    const f = `driver.intents[${i}].intent`;
    const it = si.intent;
    if (!Number.isInteger(it.slotId) || it.slotId < 0 || it.slotId >= slotCount) {
      if (!expected.has("INVALID_SLOT")) throw new UsageError(`${source}: ${f}.slotId: ${JSON.stringify(it.slotId)} is outside the scenario's slots 0..${slotCount - 1} (slotCount ${slotCount})`);
      return;
    }
    if (it.kind !== "ENTER") return;
    const k = kernel.create(config);
    try {
      const out = k.processIntent({ ...it, intentId: `preflight-${i}`, tsUs: scenario.startUs } as unknown as Intent);
      if (out.accepted || !REFUSAL_CODES.has(out.code) || expected.has(out.code)) return;
      const field = typeof out.details.field === "string" ? out.details.field : undefined;
      const value = field !== undefined ? (it as Record<string, unknown>)[field] : undefined;
      const named = field !== undefined ? `${f}.${field}: ${JSON.stringify(value)}` : `${f}`;
      throw new UsageError(
        `${source}: ${named}: the kernel would refuse this intent (${out.code}: ${out.message}); fix the intent, or list "${out.code}" in expect.diagnostics if the refusal is what the scenario tests`,
      );
    } finally {
      k.dispose?.();
    }
  });
}

/**
 * Check the price inputs of `scenario`: arrow files exist, are regular files and hold at most
 * `limit` rows; inline point lists hold at most `limit` points (all paths together).
 * @throws UsageError naming `prices[i].file` / `prices[i].points` and the value.
 */
export function checkPriceInputs(scenario: Scenario, source: string, limit = maxPricePoints()): void {
  let total = 0;
  scenario.prices.forEach((p, i) => {
    if (p.kind === "points") total += p.points.length;
    if (p.kind !== "arrow") return;
    const f = `prices[${i}].file`;
    const path = resolve(p.file);
    if (!existsSync(path)) throw new UsageError(`${source}: ${f}: "${p.file}": no such file`);
    if (!statSync(path).isFile()) throw new UsageError(`${source}: ${f}: "${p.file}" is a directory, not an Arrow IPC file`);
    if (!isArrowFile(path)) throw new UsageError(`${source}: ${f}: "${p.file}" is not an Arrow IPC file (no ARROW1 magic)`);
    let rows: number;
    try {
      rows = arrow().tableFromIPC(readFileSync(path)).numRows; // apache-arrow loaded only for an Arrow price file (sim/arrow-lazy.ts)
    } catch (err) {
      throw new UsageError(`${source}: ${f}: "${p.file}" cannot be read as an Arrow IPC file: ${(err as Error).message}`);
    }
    total += rows;
  });
  if (total > limit) {
    throw new UsageError(
      `${source}: prices: ${total} price points is more than the limit of ${limit} for one run (about 30 s and 0.5 GB per 250,000 points); shorten the series or raise DITA_MAX_PRICE_POINTS`,
    );
  }
}

function isArrowFile(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(6);
    const n = readSync(fd, head, 0, 6, 0);
    return n === 6 && head.toString("latin1") === "ARROW1";
  } finally {
    closeSync(fd);
  }
}
