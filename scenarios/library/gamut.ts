/**
 * The lifecycle gamut of docs/architecture.md §Kernel reference 12 ("entry, exit, partial exit, TP, hung orders,
 * cancel-reject, and non-close cases"), plus re-entry after close, a rate-limited entry and a
 * restart in every stage. Each scenario states the outcome it expects; the simulator also checks
 * all 12 ledger invariants on every run.
 *
 * Figures: FET-USDT short of 202,276 at 0.1878 closed at 0.1866 (docs/accounting.md §7 case 1):
 * realized gross = (0.1878 − 0.1866) × 202,276 = 242.7312 exactly, whatever the leverage.
 */
import type { Scenario } from "../../sim/types.js";
import { STAGES } from "../validate.js";
import { FET_QTY, NEVER, cancel, enter, exit, fetIncidentPath, scripted, stepsPath } from "./build.js";

const CLEAN_FORBIDDEN = [...NEVER, "UNRESOLVED_SLOT", "RECONCILE_MISMATCH", "OVERFILL", "PNL_ANOMALY"];

/** Stages in which a restart is forced (every stage), with the scripted round trip that passes through each. */
const RESTART_STAGES = STAGES;

function restartScenario(stage: (typeof RESTART_STAGES)[number]): Scenario {
  // LIMIT legs so that ENTRY_WORKING and EXIT_WORKING last long enough to be restarted in:
  // SHORT 20,000 FET, sell LIMIT 0.1880 rests while the tape is 0.1878, fills once the tape trades
  // at 0.1885 (from 20 s); buy-back LIMIT 0.1866 rests at 0.1870, fills once the tape is 0.1860.
  // realized = 20,000 × (0.1880 − 0.1866) = 28 exactly (fills at the limit price).
  const key = stage.toLowerCase().replace(/_/g, "-");
  return scripted({
    name: `gamut-restart-in-${key}`,
    description: `Restart (save → new kernel → restore → reconcile) the first time slot 0 is ${stage}; the round trip must end exactly as without the restart.`,
    flaws: ["I9", "I10", "I14", "E26", "F2", "T4", "spec §0.3"],
    tags: ["gamut", "restart"],
    durationSec: 200,
    prices: [stepsPath("FET-USDT", [[0, "0.1878"], [20, "0.1885"], [70, "0.1870"], [110, "0.1860"]], 200)],
    intents: [
      // IDLE: a resting entry is cancelled first, so the slot is IDLE again (with history) when it restarts
      ...(stage === "IDLE" ? [enter(1, 0, "rst-0", "SHORT", "20000", { orderType: "LIMIT", limitPrice: "0.1950" }), cancel(3, 0)] : []),
      enter(10, 0, "rst-1", "SHORT", "20000", { orderType: "LIMIT", limitPrice: "0.1880", timeInForce: "GTC" }),
      exit(80, 0, { orderType: "LIMIT", limitPrice: "0.1866", timeInForce: "GTC" }),
    ],
    faults:
      stage === "STALE_STATE_RECONCILING"
          ? // a second restart while the first one's reconcile is still pending
            { restartOnStage: [{ slotId: 0, stage: "ENTRY_WORKING" }, { slotId: 0, stage }] }
          : { restartOnStage: [{ slotId: 0, stage }] },
    expect: {
      finalStages: { "0": "CLOSED" },
      forbiddenDiagnostics: CLEAN_FORBIDDEN,
      trades: [{ tradeId: "rst-1", realizedGrossUsdt: "28" }],
      ledger: { tradeSeq: 1 },
    },
  });
}

/** The gamut scenarios. */
export function gamutScenarios(): Scenario[] {
  return [
    scripted({
      name: "gamut-entry",
      description:
        "MARKET SHORT entry of the incident size at 0.1878; the position stays open through the safety phase and the liveness flatten closes it at 0.1870: 202,276 × 0.0008 = 161.8208.",
      tags: ["gamut"],
      durationSec: 60,
      prices: [stepsPath("FET-USDT", [[0, "0.1878"], [40, "0.1870"]], 400)],
      intents: [enter(10, 0, "ent-1", "SHORT", FET_QTY)],
      expect: { finalStages: { "0": "CLOSED", "1": "IDLE" }, forbiddenDiagnostics: CLEAN_FORBIDDEN, trades: [{ tradeId: "ent-1", realizedGrossUsdt: "161.8208" }], ledger: { tradeSeq: 1 } },
    }),
    scripted({
      name: "gamut-exit",
      description: "The clean FET round trip (docs/accounting.md §7 case 1): realized gross 242.7312 exactly.",
      flaws: ["spec §7.1", "A13", "E23", "G21"],
      tags: ["gamut", "fet"],
      durationSec: 120,
      prices: [fetIncidentPath(60, 120)],
      intents: [enter(10, 0, "fet-1", "SHORT", FET_QTY), exit(70, 0)],
      expect: {
        finalStages: { "0": "CLOSED" },
        forbiddenDiagnostics: CLEAN_FORBIDDEN,
        trades: [{ tradeId: "fet-1", realizedGrossUsdt: "242.7312" }],
        ledger: { tradeSeq: 1 },
      },
    }),
    scripted({
      name: "gamut-partial-exit",
      description:
        "One exit leg of ratio 0.5 (floor(202,276 × 0.5) = 101,138 at 0.1866: 121.3656); the other half stays open until the liveness flatten at 0.1870 (101,138 × 0.0008 = 80.9104). Total 202.276 — a full first leg would have booked 242.7312.",
      flaws: ["Flaw 5", "A1"],
      tags: ["gamut"],
      durationSec: 120,
      prices: [stepsPath("FET-USDT", [[0, "0.1878"], [60, "0.1866"], [100, "0.1870"]], 500)],
      intents: [enter(10, 0, "pex-1", "SHORT", FET_QTY), exit(70, 0, { ratio: "0.5" })],
      expect: {
        finalStages: { "0": "CLOSED" },
        forbiddenDiagnostics: CLEAN_FORBIDDEN,
        trades: [{ tradeId: "pex-1", realizedGrossUsdt: "202.276" }],
        ledger: { tradeSeq: 1 },
      },
    }),
    scripted({
      name: "gamut-multi-leg-tp",
      description:
        "Three take-profit legs with ratios 0.25 / 0.25 / 0.5 of the remaining size: 50,569 @ 0.1870, 37,926 @ 0.1866, last leg = remaining 113,781 @ 0.1850. Realized 40.4552 + 45.5112 + 318.5868 = 404.5532.",
      flaws: ["Flaw 4", "G4", "A1", "E8"],
      tags: ["gamut", "multi-leg"],
      durationSec: 200,
      prices: [stepsPath("FET-USDT", [[0, "0.1878"], [50, "0.1870"], [100, "0.1866"], [150, "0.1850"]], 200)],
      intents: [
        enter(10, 0, "tp-1", "SHORT", FET_QTY, { exitLegRatios: ["0.25", "0.25", "0.5"] }),
        exit(60, 0),
        exit(110, 0),
        exit(160, 0),
      ],
      expect: {
        finalStages: { "0": "CLOSED" },
        forbiddenDiagnostics: [...CLEAN_FORBIDDEN, "NO_POSITION"],
        trades: [{ tradeId: "tp-1", realizedGrossUsdt: "404.5532" }],
        ledger: { tradeSeq: 1 },
      },
    }),
    scripted({
      name: "gamut-hung-order",
      description: "A LONG LIMIT entry at 0.1800 never fills while the tape stays at 0.1878 (hung order); the CANCEL after 5 minutes returns the slot to IDLE.",
      flaws: ["Flaw 1", "Flaw 2"],
      tags: ["gamut", "limit"],
      durationSec: 400,
      prices: [fetIncidentPath(1000, 400)],
      intents: [enter(10, 0, "hung-1", "LONG", "20000", { orderType: "LIMIT", limitPrice: "0.1800" }), cancel(310, 0)],
      expect: { finalStages: { "0": "IDLE" }, forbiddenDiagnostics: [...CLEAN_FORBIDDEN, "NO_ACTIVE_ORDER"] },
    }),
    scripted({
      name: "gamut-cancel-reject",
      description:
        "A resting LONG LIMIT entry at 0.1870 is raced by a CANCEL right after the venue fills it (cancel/fill race): the late cancel reject never strands or drops the position, which exits at 0.1880: 20,000 × 0.0010 = 20.",
      flaws: ["E17", "F17", "I15", "M9"],
      tags: ["gamut", "limit", "race"],
      durationSec: 200,
      prices: [stepsPath("FET-USDT", [[0, "0.1878"], [30, "0.1860"], [100, "0.1880"]], 400)],
      intents: [enter(10, 0, "crj-1", "LONG", "20000", { orderType: "LIMIT", limitPrice: "0.1870" }), exit(120, 0)],
      faults: { cancelFillRace: 1 },
      expect: { finalStages: { "0": "CLOSED" }, forbiddenDiagnostics: CLEAN_FORBIDDEN, trades: [{ tradeId: "crj-1", realizedGrossUsdt: "20" }], ledger: { tradeSeq: 1 } },
    }),
    scripted({
      name: "gamut-non-close",
      description:
        "A buy-back LIMIT at 0.1700 for the short never fills (non-close); CANCEL returns the slot to POSITION_OPEN with the full size, which the liveness flatten closes at 0.1870: 202,276 × 0.0008 = 161.8208 (nothing at 0.17).",
      flaws: ["E9", "F1"],
      tags: ["gamut", "limit"],
      durationSec: 300,
      prices: [stepsPath("FET-USDT", [[0, "0.1878"], [60, "0.1866"], [260, "0.1870"]], 700)],
      intents: [enter(10, 0, "nc-1", "SHORT", FET_QTY), exit(70, 0, { orderType: "LIMIT", limitPrice: "0.1700" }), cancel(250, 0)],
      expect: {
        finalStages: { "0": "CLOSED" },
        forbiddenDiagnostics: [...CLEAN_FORBIDDEN, "NO_ACTIVE_ORDER"],
        trades: [{ tradeId: "nc-1", realizedGrossUsdt: "161.8208" }],
        ledger: { tradeSeq: 1 },
      },
    }),
    scripted({
      name: "gamut-reentry-after-close",
      description:
        "Close fet-1 (+242.7312), re-enter the same slot with a new trade id at 0.1866 and close it at 0.1880: 202,276 × (0.1866 − 0.1880) = −283.1864. Two closed trades, tradeSeq 2.",
      flaws: ["Flaw 13", "M1", "F26", "M13"],
      tags: ["gamut", "reentry"],
      durationSec: 220,
      prices: [stepsPath("FET-USDT", [[0, "0.1878"], [60, "0.1866"], [130, "0.1880"]], 220)],
      intents: [enter(10, 0, "re-1", "SHORT", FET_QTY), exit(70, 0), enter(100, 0, "re-2", "SHORT", FET_QTY), exit(160, 0)],
      expect: {
        finalStages: { "0": "CLOSED" },
        forbiddenDiagnostics: [...CLEAN_FORBIDDEN, "SLOT_BUSY"],
        trades: [
          { tradeId: "re-1", realizedGrossUsdt: "242.7312" },
          { tradeId: "re-2", realizedGrossUsdt: "-283.1864" },
        ],
        ledger: { tradeSeq: 2 },
      },
    }),
    scripted({
      name: "gamut-rate-limited-entry",
      description:
        "The venue throttles every call for 20 s (109429 / 100410) while the entry is submitted: the kernel surfaces RATE_LIMITED as retryable (I21); after the storm the run settles (liveness).",
      flaws: ["I21", "kernel-ref §5 rate limit"],
      tags: ["gamut", "rate-limit"],
      durationSec: 300,
      prices: [fetIncidentPath(1000, 300)],
      intents: [
        enter(10, 0, "rl-1", "SHORT", "20000"),
        exit(60, 0),
        enter(120, 1, "rl-2", "SHORT", "20000"),
        exit(170, 1),
        enter(230, 2, "rl-3", "SHORT", "20000"),
        exit(280, 2),
        enter(292, 3, "rl-4", "SHORT", "20000"),
      ],
      // one storm per simulated hour, as long as the safety phase: it starts somewhere in it and
      // throttles every later call
      faults: { rateLimitStorm: { probability: 1, durationUs: 300_000_000 } },
      expect: {
        finalStages: { "0": "CLOSED", "1": "CLOSED", "2": "CLOSED", "3": "CLOSED" },
        diagnostics: ["RATE_LIMITED"],
        // UNRESOLVED_SLOT may appear legitimately: when the storm ends two entries are in flight and
        // a WS fill without client order id can reach the kernel before the REST reply names it.
        forbiddenDiagnostics: [...NEVER, "OVERFILL"],
        trades: [
          { tradeId: "rl-1", realizedGrossUsdt: "0" },
          { tradeId: "rl-2", realizedGrossUsdt: "0" },
          { tradeId: "rl-3", realizedGrossUsdt: "0" },
          { tradeId: "rl-4", realizedGrossUsdt: "0" },
        ],
      },
    }),
    ...RESTART_STAGES.map(restartScenario),
  ];
}
