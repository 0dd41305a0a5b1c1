/**
 * The FET incident (2026-06-11) as a history dataset: `replay/datasets/fet-incident.arrow`,
 * written by `npx tsx replay/datasets/fet-incident.ts` (a test checks the shipped file equals
 * what this builds). Sources: the golden fixtures golden/cases/fet-incident-bound-price.json
 * (config, entry fills 195,259 + 7,017 @ 0.1878, exit legs 26,007 via EXIT ratio 0.128573 and
 * 176,269 via EXIT_RESIDUAL) and fet-short-poisoned-exit-adapter.json (the exchange's raw
 * ORDER_TRADE_UPDATE frames: MARKET bound price p = 0.229, no ap, fees n, rp 31.2084 + 132.7916 =
 * the incident's settled +164), and docs/accounting.md's incident figures for what production
 * booked: 3,214.4652 on the first exit leg and 5,990.90 on the trade.
 *
 * Rows: CONFIG, anchor 10,000, ENTER (+ the recorded SELL order), ACK, two entry fills, EXIT leg 0
 * (+ recorded BUY 26,007), ACK, the raw exit frame (WS_RAW, nominal_price 0.229 as evidence),
 * BOOKED leg 0 = 3,214.4652, EXIT_RESIDUAL (+ recorded BUY 176,269), ACK, the raw frame, BOOKED
 * leg 1 = 2,776.4348 (derived: 5,990.90 − 3,214.4652; production's per-leg record of it is not
 * in the sources), BOOKED trade = 5,990.90, the anchor at the exchange wallet and a flat
 * POSITION.
 */
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import type { KernelModule } from "../../kernel/index.js";
import { loadKernel } from "../../kernel/index.js";
import type { Intent, KernelConfig } from "../../kernel/types.js";
import { parseWsMessage } from "../../venues/bingx/adapter.js";
import { configRow, intentRow, venueEventRow } from "../export-run.js";
import { emptyRow, writeHistoryArrow, type HistoryRow } from "../schema.js";

/** Where the dataset ships. */
export const FET_INCIDENT_ARROW = join(dirname(fileURLToPath(import.meta.url)), "fet-incident.arrow");
export const FET_RUN_ID = "fet-incident-2026-06-11";
const SOURCE = "dataset";
const T0 = 1781186401000000; // 2026-06-11 (golden/cases/fet-incident-bound-price.json)
const SYMBOL = "FET-USDT";
const TRADE = "fet-short-incident";
const ENTRY_ID = "1933000000000000001";
const EXIT1_ID = "1933000000000000002";
const EXIT2_ID = "1933000000000000003";

/** The kernel configuration of the incident fixture. */
export const FET_CONFIG: KernelConfig = {
  slotCount: 2,
  initialCapitalUsdt: "10000",
  instruments: [{ symbol: SYMBOL, tickSize: "0.0001", stepSize: "1", minQty: "1" }],
  pnlAnomalyToleranceUsdt: "0.5",
};

/** A raw BingX ORDER_TRADE_UPDATE frame of a MARKET exit fill: bound price p, no ap (the incident). */
function exitFrame(venueOrderId: string, tsUs: number, z: string, n: string, rp: string): string {
  const ms = Math.floor(tsUs / 1000);
  return `{"e":"ORDER_TRADE_UPDATE","E":${ms},"o":{"s":"${SYMBOL}","c":"","i":${venueOrderId},"S":"BUY","o":"MARKET","q":"${z}","p":"0.229","sp":"0","z":"${z}","x":"TRADE","X":"FILLED","N":"USDT","n":"${n}","T":${ms},"wt":"MARK_PRICE","ps":"BOTH","rp":"${rp}"}}`;
}

/**
 * Build the dataset rows. The recorded orders' client order ids are the ones the kernel derives
 * (a kernel runs alongside to learn them, as production's did).
 */
export function buildFetIncidentRows(mod: KernelModule): HistoryRow[] {
  const k = mod.create(FET_CONFIG);
  const rows: HistoryRow[] = [configRow(FET_RUN_ID, T0, SOURCE, FET_CONFIG)];
  let seq = 1;
  const at = (s: number) => T0 + Math.round(s * 1_000_000);
  const base = (s: number): HistoryRow => emptyRow(FET_RUN_ID, seq++, at(s), "CONFIG", SOURCE);
  const coid = new Map<string, string>();
  const intent = (s: number, it: Intent) => {
    const out = k.processIntent(it);
    const cmd = out.commands[0];
    if (cmd?.kind === "SUBMIT") coid.set(it.intentId, cmd.clientOrderId);
    rows.push(intentRow(base(s), it, out));
  };
  const ack = (s: number, intentId: string, venueOrderId: string) => {
    const ev = { kind: "ORDER_ACK" as const, eventId: `ack-${venueOrderId}`, tsUs: at(s), symbol: SYMBOL, venueOrderId, clientOrderId: coid.get(intentId)! };
    k.onVenueEvent(ev);
    rows.push(venueEventRow(base(s), ev));
  };
  const frame = (s: number, venueOrderId: string, z: string, n: string, rp: string, leg: number) => {
    const body = exitFrame(venueOrderId, at(s), z, n, rp);
    const parsed = parseWsMessage({ tsUs: at(s), body });
    for (const ev of parsed.venueEvents) k.onVenueEvent(ev);
    for (const ev of parsed.accountEvents) k.onAccountEvent(ev);
    rows.push({ ...base(s), kind: "WS_RAW", symbol: SYMBOL, venue_order_id: venueOrderId, nominal_price: "0.229", reason: `exit leg ${leg} fill: p is the MARKET bound price, no ap`, payload: body });
  };
  const booked = (s: number, realized: string, legIndex: number | undefined, note: string) => {
    rows.push({ ...base(s), kind: "BOOKED", trade_id: TRADE, symbol: SYMBOL, realized_pnl_usdt: realized, reason: "production booked (dolphin_pink AccountProjection)", payload: JSON.stringify({ ...(legIndex === undefined ? {} : { legIndex }), note }) });
  };
  try {
    rows.push({ ...base(0.5), kind: "BALANCE", wallet_usdt: "10000", available_usdt: "10000", payload: JSON.stringify({ anchorEventSeq: 1 }) });
    k.anchorToExchange("10000", "10000", 1);
    intent(1, { kind: "ENTER", intentId: "i-enter", tsUs: at(1), slotId: 0, tradeId: TRADE, symbol: SYMBOL, side: "SHORT", quantity: "202276", orderType: "MARKET", leverage: 3 });
    ack(2, "i-enter", ENTRY_ID);
    for (const [s, kind, qty, fee] of [[3, "PARTIAL_FILL", "195259", "18.3348201"], [4, "FULL_FILL", "7017", "0.6588963"]] as const) {
      const ev = { kind, eventId: `fill-${ENTRY_ID}-${qty}`, tsUs: at(s), symbol: SYMBOL, venueOrderId: ENTRY_ID, fillQty: qty, quantityMode: "INCREMENTAL" as const, fillPrice: "0.1878", feeUsdt: fee, feeMode: "INCREMENTAL" as const };
      k.onVenueEvent(ev);
      rows.push(venueEventRow(base(s), ev));
    }
    intent(5, { kind: "EXIT", intentId: "i-exit-1", tsUs: at(5), slotId: 0, orderType: "MARKET", ratio: "0.128573" });
    ack(6, "i-exit-1", EXIT1_ID);
    frame(7, EXIT1_ID, "26007", "-2.4264531", "31.2084", 0);
    booked(7.5, "3214.4652", 0, "the incident's booked increment: 26,007 × (0.229 − 0.1878) / 0.1878 × 0.1878 × 3 (bound price × exchange leverage, spec §0)");
    intent(8, { kind: "EXIT_RESIDUAL", intentId: "i-exit-2", tsUs: at(8), slotId: 0, orderType: "MARKET" });
    ack(9, "i-exit-2", EXIT2_ID);
    frame(10, EXIT2_ID, "176269", "-16.4458977", "132.7916", 1);
    booked(10.5, "2776.4348", 1, "derived: trade 5,990.90 − leg 0 3,214.4652 (production's per-leg record of leg 1 is not in the sources)");
    booked(10.6, "5990.9", undefined, "the trade as production booked it (FET $5,990.90 mis-book)");
    rows.push({ ...base(11), kind: "BALANCE", wallet_usdt: "10126.1339328", available_usdt: "10126.1339328", payload: JSON.stringify({ anchorEventSeq: 2 }), reason: "exchange wallet after the trade: 10,000 + rp 164 − fees 37.8660672" });
    rows.push({ ...base(12), kind: "POSITION", symbol: SYMBOL, side: null, qty: "0", reason: "exchange position after the trade: flat" });
  } finally {
    k.dispose();
  }
  return rows;
}

/** Write the dataset file. */
export async function writeFetIncident(path = FET_INCIDENT_ARROW): Promise<number> {
  return writeHistoryArrow(path, buildFetIncidentRows(await loadKernel()));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const n = await writeFetIncident();
  process.stdout.write(`wrote ${FET_INCIDENT_ARROW} (${n} rows)\n`);
}
