/**
 * A golden case (golden/cases/*.json, golden/schema.ts) as history rows, so that replaying it
 * through `dita replay` must give exactly the case's golden figures (issue 13 "Done when").
 *
 * Mapping: intent → INTENT (the recorded order's client order id is the one the case's kernel
 * derived: `@intent:` references are resolved by running the case alongside, as golden/replay.ts
 * does); venue / account / mark / reconcile → their kinds; anchor → BALANCE with payload
 * `{"anchorEventSeq"}`; bingxWs → WS_RAW (through the real adapter at replay); a save immediately
 * followed by a restore of the same image → RESTART. Any other save/restore pattern is refused.
 */
import type { KernelModule } from "../kernel/index.js";
import { applyStep, resolveRefs, startReplay } from "../golden/replay.js";
import type { GoldenCase, GoldenStep } from "../golden/schema.js";
import { bingxWsNormaliser } from "../golden/bingx-ws.js";
import { stepTs } from "../golden/restart.js";
import { accountEventRow, configRow, venueEventRow } from "./export-run.js";
import { emptyRow, type HistoryRow } from "./schema.js";

/** Source column of golden exports. */
export const GOLDEN_SOURCE = "golden";


/**
 * Rows of case `c`. @throws Error for a step pattern the history cannot express (a restore of an
 * image saved earlier than the step before it).
 */
export function historyFromGolden(mod: KernelModule, c: GoldenCase): HistoryRow[] {
  const runId = `golden-${c.name}`;
  const st = startReplay(mod, c);
  const opts = { bingxWs: bingxWsNormaliser() };
  const rows: HistoryRow[] = [];
  let seq = 1;
  // ts_us is the feed time (steps are fed in case order, so it never goes back); a step whose own
  // tsUs is earlier keeps it in event_ts_us (docs/history-schema.md).
  let feedTs = Math.min(...c.steps.map(stepTs));
  const base = (ts: number): HistoryRow => {
    feedTs = Math.max(feedTs, ts);
    return { ...emptyRow(runId, seq++, feedTs, "CONFIG", GOLDEN_SOURCE), event_ts_us: ts === feedTs ? null : ts };
  };
  try {
    rows.push(configRow(runId, feedTs, GOLDEN_SOURCE, c.config));
    c.steps.forEach((s, i) => {
      const ts = stepTs(s);
      switch (s.op) {
        case "intent": {
          applyStep(mod, c, st, s, opts);
          const coid = st.clientOrderIds.get(s.intent.intentId);
          const r: HistoryRow = { ...base(ts), kind: "INTENT", intent_id: s.intent.intentId, slot_id: s.intent.slotId, payload: JSON.stringify(s.intent), client_order_id: coid ?? null };
          if (s.intent.kind === "ENTER") {
            r.trade_id = s.intent.tradeId;
            r.symbol = s.intent.symbol;
          }
          rows.push(r);
          return;
        }
        case "venue":
          rows.push(venueEventRow(base(ts), resolveRefs(s.event, st.clientOrderIds)));
          break;
        case "account":
          rows.push(accountEventRow(base(ts), resolveRefs(s.event, st.clientOrderIds)));
          break;
        case "mark":
          rows.push({ ...base(ts), kind: "MARK", symbol: s.mark.symbol, price: s.mark.markPrice });
          break;
        case "anchor":
          rows.push({ ...base(ts), kind: "BALANCE", wallet_usdt: s.walletBalanceUsdt, available_usdt: s.availableMarginUsdt, payload: JSON.stringify({ anchorEventSeq: s.eventSeq }) });
          break;
        case "reconcile":
          rows.push({ ...base(ts), kind: "RECONCILE", payload: JSON.stringify(resolveRefs(s.report, st.clientOrderIds)) });
          break;
        case "bingxWs":
          rows.push({ ...base(ts), kind: "WS_RAW", payload: s.body });
          break;
        case "save": {
          const next = c.steps[i + 1];
          if (next?.op !== "restore" || next.image !== s.image) throw new Error(`golden case ${c.name} step ${i}: a save not immediately followed by the restore of its image has no history form`);
          break;
        }
        case "restore":
          rows.push({ ...base(ts), kind: "RESTART", reason: `restore image ${s.image}` });
          break;
      }
      applyStep(mod, c, st, s, opts);
    });
  } finally {
    st.kernel.dispose();
  }
  return rows;
}
