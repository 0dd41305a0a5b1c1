/**
 * Assertions shared by the simulator's tests (test code only; nothing on the simulation path
 * imports this module).
 */
import { expect } from "vitest";

/**
 * Every number of a detail line carries at most 20 significant digits and is written in at most 30
 * characters (no quotient shown to decimal.js's 60 digits, no residue behind a run of zeros).
 */
export function expectShortNumbers(detail: string): void {
  for (const tok of detail.match(/-?\d+(\.\d+)?(e[-+]?\d+)?/g) ?? []) {
    const mantissa = tok.replace(/e.*$/, "").replace(/[-.]/g, "").replace(/^0+/, "");
    expect(mantissa.length, `${tok} in: ${detail}`).toBeLessThanOrEqual(20);
    expect(tok.length, `${tok} in: ${detail}`).toBeLessThanOrEqual(30);
  }
}
