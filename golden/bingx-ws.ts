/**
 * The BingX adapter's user-stream normaliser (venues/bingx/adapter.ts parseWsMessage) in the shape
 * golden replays feed to the kernel: the frame's venue events first, then its account events, in
 * the adapter's order. Used by `bingxWs` steps (golden/schema.ts) to prove docs/accounting.md §0.2 at the
 * adapter level: a fill takes its price from `ap` only, never from the bound price `p`.
 */
import { parseWsMessage } from "../venues/bingx/adapter.js";
import type { BingxWsNormaliser } from "./replay.js";

/** A normaliser over the real adapter; throws the adapter's AdapterError on a malformed frame. */
export function bingxWsNormaliser(): BingxWsNormaliser {
  return (body, ctx) => {
    const r = parseWsMessage({ tsUs: ctx.tsUs, body });
    return [...r.venueEvents.map((venueEvent) => ({ venueEvent })), ...r.accountEvents.map((accountEvent) => ({ accountEvent }))];
  };
}
