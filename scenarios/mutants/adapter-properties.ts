/**
 * Named properties of the BingX wire adapter (venues/bingx/adapter.ts) over the recorded frames in
 * venues/bingx/fixtures — the mutant runner's adapter-level suite (scenarios/mutants.ts, suite 4).
 * Each property returns null when it holds, or a message naming what broke.
 */
import { readFileSync } from "node:fs";
import { Dec } from "../../venues/bingx/dec.js";
import { parseWsMessage } from "../../venues/bingx/adapter.js";

const fixture = (name: string): string => readFileSync(new URL(`../../venues/bingx/fixtures/${name}`, import.meta.url), "utf8").trim();
const frame = (name: string) => parseWsMessage({ tsUs: 1_000_000, body: fixture(name) });

/** One adapter property: name (with its flaw / spec reference) and its check. */
export interface AdapterProperty {
  name: string;
  check: () => string | null;
}

/** The adapter properties, in run order. */
export const ADAPTER_PROPERTIES: readonly AdapterProperty[] = [
  {
    name: "FET trio / spec §0.2: the exit frame's fill price is ap 0.1866, never the MARKET bound p 0.229",
    check: () => {
      const ev = frame("ws-order-exit-bound.json").venueEvents[0];
      const price = ev && "fillPrice" in ev ? ev.fillPrice : undefined;
      return price !== undefined && new Dec(price).eq("0.1866") ? null : `fillPrice ${String(price)}`;
    },
  },
  {
    name: "A7 / spec §5.2: a paid fee (n < 0 on the wire) is a positive feeUsdt",
    check: () => {
      const ev = frame("ws-order-exit-bound.json").venueEvents[0];
      const fee = ev && "feeUsdt" in ev ? ev.feeUsdt : undefined;
      return fee !== undefined && new Dec(fee).gt(0) ? null : `feeUsdt ${String(fee)}`;
    },
  },
  {
    name: "L5: an ACCOUNT_UPDATE B row without wb yields no BALANCE (never 0)",
    check: () => {
      const r = frame("ws-account-update-nowb.json");
      return r.accountEvents.length === 0 ? null : `accountEvents ${JSON.stringify(r.accountEvents)}`;
    },
  },
  {
    name: "I1: a TRADE frame's z is a CUMULATIVE fill quantity",
    check: () => {
      const ev = frame("ws-order-trade-partial.json").venueEvents[0];
      const mode = ev && "quantityMode" in ev ? ev.quantityMode : undefined;
      return mode === "CUMULATIVE" ? null : `quantityMode ${String(mode)}`;
    },
  },
];

/** The first adapter property that fails, as "adapter properties: <name> (<problem>)", or null. */
export function firstFailingAdapterProperty(): string | null {
  for (const p of ADAPTER_PROPERTIES) {
    let problem: string | null;
    try {
      problem = p.check();
    } catch (e) {
      problem = `threw: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (problem !== null) return `adapter properties: ${p.name} (${problem})`;
  }
  return null;
}
