/**
 * Scenarios of the end-to-end oracle (issue 12, sim/oracle.ts): each reaches one venue rule or one
 * piece of saved state that only the oracle's comparison with the venue can judge.
 *
 * - `oneway-reduce-only-clamp`: in one-way mode a resting reduce-only exit larger than the netted
 *   venue position fills only up to the position and expires (docs/bingx-protocol.md §4.1
 *   reduceOnly, §8 101290); the venue conformance property "reduce-only never increases or flips a
 *   position" judges every step (mutant venue_reduce_only_no_clamp flips it).
 * - `restart-between-exit-legs`: a restart after exit leg 1 of 2 filled; the restored slot must
 *   continue with leg 2 (restart-exit-legs; mutant mutant_exit_leg_not_saved forgets it).
 * - `listen-key-lapse-mid-exit`: a resting exit fills in 4 parts and the listen key lapses at the
 *   third, whose frame the venue never emits (docs/bingx-protocol.md §6): the kernel learns that
 *   fill through REST without its rp, so E covers 3 of 4 fills and kernel-vs-exchange must not
 *   compare the trade (chaos seed 9580).
 */
import type { Scenario } from "../../sim/types.js";
import { NEVER, START_US, at, enter, exit, scripted, stepsPath } from "./build.js";

/** The oracle scenarios. */
export function oracleScenarios(): Scenario[] {
  return [
    scripted({
      name: "oneway-reduce-only-clamp",
      description:
        "One-way netting: slots 0 and 1 long 1,000 + 500 FET, slot 0 rests a reduce-only SELL LIMIT 1,000 @ 0.1890, then slot 2 shorts 800 (venue nets to +700). The tape trades through 0.1890: the reduce-only order fills 700 — the whole position, never beyond — and expires; kernel and venue both net 0 (slot 0 keeps 300). Venue conformance checks the clamp on every step.",
      flaws: ["docs/bingx-protocol.md §4.1 reduceOnly", "101290", "issue 12"],
      tags: ["oracle", "venue-conformance", "netting"],
      durationSec: 120,
      livenessBoundSec: 30,
      prices: [stepsPath("FET-USDT", [[0, "0.1878"], [40, "0.1895"]], 120)],
      intents: [
        enter(5, 0, "ro-a", "LONG", "1000"),
        enter(6, 1, "ro-b", "LONG", "500"),
        exit(10, 0, { orderType: "LIMIT", limitPrice: "0.1890", timeInForce: "GTC" }),
        enter(15, 2, "ro-c", "SHORT", "800"),
      ],
      expect: {
        finalStages: { "0": "POSITION_OPEN", "1": "POSITION_OPEN", "2": "POSITION_OPEN" },
        forbiddenDiagnostics: [...NEVER, "OVERFILL"],
        diagnostics: ["VENUE_REJECTED"],
      },
    }),
    scripted({
      name: "restart-between-exit-legs",
      description:
        "SHORT 30,000 FET with exit legs 0.5 / 0.5; leg 1 (15,000) fills, the process restarts (save → new kernel → restore → reconcile), then leg 2 closes the remaining 15,000. The restored slot continues with leg 2 (restart-exit-legs) and the trade closes with both legs.",
      flaws: ["I9", "issue 12"],
      tags: ["oracle", "restart"],
      durationSec: 120,
      prices: [stepsPath("FET-USDT", [[0, "0.1878"], [30, "0.1870"], [70, "0.1866"]], 120)],
      intents: [enter(5, 0, "legs-1", "SHORT", "30000", { exitLegRatios: ["0.5", "0.5"] }), exit(35, 0), exit(80, 0)],
      faults: { restartAtUs: [START_US + 50_000_000] },
      expect: {
        finalStages: { "0": "CLOSED" },
        forbiddenDiagnostics: [...NEVER, "OVERFILL", "PNL_ANOMALY"],
        // 15,000 × (0.1878 − 0.1870) + 15,000 × (0.1878 − 0.1866) = 12 + 18 = 30
        trades: [{ tradeId: "legs-1", realizedGrossUsdt: "30" }],
      },
    }),
    scripted({
      name: "listen-key-lapse-mid-exit",
      description:
        "SHORT 300,000 FET at 0.1878; a reduce-only BUY LIMIT exit rests at 0.1870 and fills in 4 parts at 31–34 s. The listen key expires at 33 s, just before the third fill: the venue emits no frame for it (no valid key), so its rp (68.4848) never reaches the kernel, which learns the fill through REST. The kernel books 300,000 × 0.0008 = 240; E is 171.5152 (3 of 4 fills), and invariant 3 does not compare an incomplete E (chaos seed 9580).",
      flaws: ["L14", "docs/bingx-protocol.md §6", "chaos seed 9580"],
      tags: ["oracle", "stream", "listen-key"],
      durationSec: 120,
      prices: [stepsPath("FET-USDT", [[0, "0.1878"], [30, "0.1870"]], 120)],
      intents: [enter(5, 0, "lk-1", "SHORT", "300000"), exit(10, 0, { orderType: "LIMIT", limitPrice: "0.1870", timeInForce: "GTC" })],
      faults: { listenKeyExpiryAtUs: [at(33)] },
      expect: {
        finalStages: { "0": "CLOSED" },
        forbiddenDiagnostics: [...NEVER, "OVERFILL", "PNL_ANOMALY"],
        trades: [{ tradeId: "lk-1", realizedGrossUsdt: "240" }],
      },
    }),
  ];
}
