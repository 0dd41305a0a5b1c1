/**
 * Scenarios driven by the simulator's seeded random trader (entries, multi-leg exits, cancels,
 * re-entries across several slots and symbols): "random-clean" without faults, and "chaos", the
 * swarm scenario whose fault mix the simulator draws from the run seed (sim drawFaultMix, rates up
 * to VOPR's). `dita run chaos --seed S` reproduces chaos seed S exactly; scenarios/chaos.ts runs
 * it over many seeds.
 */
import type { Scenario } from "../../sim/types.js";
import { BTC, FET, START_US } from "./build.js";

const MIN = 60_000_000;

/** Simulated length of one random-clean run (safety phase); the liveness phase follows. */
export const CHAOS_DURATION_US = 10 * MIN;
/** Chaos draws its safety-phase length in [6, 14] min (mean 10, as before) around a funding time (sim/faults.ts drawSwarmWindow). */
export const CHAOS_MIN_DURATION_US = 6 * MIN;
export const CHAOS_MAX_DURATION_US = 14 * MIN;

function randomScenario(name: string, description: string, swarm: boolean): Scenario {
  return {
    name,
    description,
    flaws: ["invariants 1-12"],
    tags: swarm ? ["chaos", "swarm"] : ["random"],
    startUs: START_US,
    durationUs: CHAOS_DURATION_US,
    livenessBoundUs: 5 * MIN,
    contracts: [FET, BTC],
    initialBalanceUsdt: "100000",
    slotCount: 4,
    leverage: 5,
    prices: [
      { kind: "gbm", symbol: "FET-USDT", startPriceUsdt: "0.1878", volatility: 1.2, drift: 0, jumpsPerDay: 24, jumpStdev: 0.01, stepUs: 1_000_000 },
      { kind: "gbm", symbol: "BTC-USDT", startPriceUsdt: "60000.0", volatility: 0.6, drift: 0, jumpsPerDay: 12, jumpStdev: 0.005, stepUs: 1_000_000 },
    ],
    driver: { kind: "random", symbols: ["FET-USDT", "BTC-USDT"], maxSlots: 3, intentsPerHour: 480 },
    // Chaos draws its start and length from the seed so that a funding time falls inside (issue 12).
    ...(swarm ? { swarm: true, swarmWindow: { minDurationUs: CHAOS_MIN_DURATION_US, maxDurationUs: CHAOS_MAX_DURATION_US } } : {}),
    venue: { depthLevels: 3, slippageBps: 2 },
    expect: { forbiddenDiagnostics: ["INTERNAL", "INVALID_STATE", "INVALID_INTENT", "INVALID_EVENT"] },
  };
}

/** The random-driver scenarios. */
export function randomScenarios(): Scenario[] {
  return [
    randomScenario("random-clean", "Seeded random trader on FET and BTC without faults: every invariant holds, every slot settles.", false),
    randomScenario(
      "chaos",
      "Swarm chaos: seeded random trader plus a fault mix drawn from the seed (loss ≤ 30 %, duplicates ≤ 50 %, reordering, delay, rate-limit storms, restarts), safety then liveness. Reproduce a seed with `npx dita run chaos --seed S`.",
      true,
    ),
  ];
}
