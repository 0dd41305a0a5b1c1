/**
 * Measurement (bench-style code, excluded from the determinism guard): events per second of full
 * simulator runs and the simulated-time / wall-time ratio of the 48 h soak.
 *
 *   npx tsx sim/measure.ts            # 48 h soak (all faults) + a 6 h run without faults
 *   npx tsx sim/measure.ts --json     # one JSON document
 *
 * Wall time is read here only (node:perf_hooks), never on the simulation path.
 */
import { performance } from "node:perf_hooks";
import { runScenario, sharedKernel } from "./run.js";
import { randomScenario, ALL_FAULTS } from "./fixtures/soak.js";
import type { FaultProfile, Scenario } from "./types.js";

interface Measurement {
  name: string;
  events: number;
  simHours: number;
  wallMs: number;
  eventsPerSec: number;
  simOverWall: number;
  ok: boolean;
}

async function measure(name: string, sc: Scenario): Promise<Measurement> {
  const t0 = performance.now();
  const r = await runScenario(sc, { seed: 48, checkDeterminism: false });
  const wallMs = performance.now() - t0;
  return {
    name,
    events: r.events,
    simHours: r.simTimeUs / 3_600_000_000,
    wallMs: Math.round(wallMs),
    eventsPerSec: Math.round(r.events / (wallMs / 1000)),
    simOverWall: Math.round(r.simTimeUs / 1000 / wallMs),
    ok: r.ok,
  };
}

async function main(): Promise<void> {
  await sharedKernel();
  const none: FaultProfile = {};
  const out = [
    await measure("soak-48h-all-faults", randomScenario("soak-48h", 48, ALL_FAULTS, { intentsPerHour: 20, stepUs: 10_000_000 })),
    await measure("random-6h-no-faults", randomScenario("random-6h", 6, none, { intentsPerHour: 40 })),
  ];
  if (process.argv.includes("--json")) {
    process.stdout.write(JSON.stringify(out) + "\n");
    return;
  }
  for (const m of out) {
    process.stdout.write(
      `${m.name}: ${m.events} events, ${m.simHours.toFixed(1)} h simulated in ${(m.wallMs / 1000).toFixed(1)} s wall → ${m.eventsPerSec} events/s, sim/wall ${m.simOverWall}× (ok=${m.ok})\n`,
    );
  }
}

await main();
