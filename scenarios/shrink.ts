/**
 * Shrinking (issue 12): a failing chaos seed becomes a minimal repro scenario file.
 *
 * 1. The seed's swarm run is replayed as a plain scenario: the "chaos" scenario with `swarm` off,
 *    `faults` = the mix drawn from the seed (sim/faults.ts drawFaultMix) and the start and length
 *    the seed's window drew (drawSwarmWindow, when the scenario has a `swarmWindow`) — the same
 *    run, now editable. It must fail the same check (the target: the first failing invariant or
 *    expectation of the seed).
 * 2. **Fault mix**: each fault is dropped in turn (in a fixed key order); a drop is kept when the
 *    run still fails the target check. Repeated until no single fault can be dropped
 *    (1-minimal: every remaining fault is needed).
 * 3. **Duration**: the safety phase is bisected in whole minutes between 1 minute and the
 *    original length; the shortest length tried that still fails is kept (runs are
 *    deterministic, so every candidate is judged by one run). When it shortened, step 2 is
 *    repeated at the new length, then the result is re-checked.
 * 4. The result is validated (scenarios/validate.ts) and written as a `dita run --file` scenario;
 *    the repro command is the first thing reported.
 *
 * Every candidate runs with the same seed, one execution each. A kernel other than the default
 * (a flaw mutant) is given as `kernelWasm`; the repro command then carries `--kernel <path>`
 * (`dita run --kernel`, as the chaos repro of a mutant does).
 */
import { writeFileSync } from "node:fs";
import { loadKernel, type KernelModule } from "../kernel/index.js";
import { drawFaultMix, drawSwarmWindow } from "../sim/faults.js";
import { runScenario } from "../sim/run.js";
import type { FaultProfile, RunResult, Scenario } from "../sim/types.js";
import { CHAOS_SCENARIO } from "./chaos.js";
import { getScenario } from "./index.js";
import { validateScenario } from "./validate.js";

const MINUTE_US = 60_000_000;

export interface ShrinkOptions {
  /** The failing chaos seed. */
  seed: number;
  /** Where to write the scenario file. */
  out: string;
  /** Kernel .wasm to run instead of the default (a flaw mutant build). */
  kernelWasm?: string;
  /** Override the swarm scenario (default getScenario("chaos")). */
  scenario?: Scenario;
  /** Progress lines (each candidate run). */
  log?: (line: string) => void;
}

export interface ShrinkResult {
  /** The command that replays the shrunk scenario (printed first). */
  repro: string;
  seed: number;
  /** The check the shrunk scenario still fails. */
  target: string;
  detail: string;
  file: string;
  original: { faults: string[]; durationUs: number };
  shrunk: { faults: string[]; durationUs: number; faultMix: FaultProfile };
  /** Candidate runs made while shrinking. */
  runs: number;
}

/** First failing check of a run (invariants, then expectations), honouring expectViolations. */
export function firstFailure(s: Scenario, r: RunResult): { name: string; detail: string } | undefined {
  const allowed = new Set(s.expect?.expectViolations ?? []);
  const bad = [...r.invariants, ...r.expectations].find((x) => !x.ok && !allowed.has(x.name));
  return bad ? { name: bad.name, detail: bad.detail } : undefined;
}


/** A failed check: its name and detail line. */
export interface CheckFailure {
  name: string;
  detail: string;
}

/**
 * Judges one candidate: the target failure when the scenario with `faults` and a safety phase of
 * `durationUs` still fails the target check, undefined otherwise (it passes, or fails another check).
 */
export type StillFails = (faults: FaultProfile, durationUs: number) => Promise<CheckFailure | undefined>;

/** What {@link shrinkSearch} found: the smallest fault mix and safety phase that still fail. */
export interface ShrinkFound {
  faults: FaultProfile;
  durationUs: number;
  /** The failure of the found candidate (re-checked). */
  failure: CheckFailure;
}

/**
 * The search of steps 2 and 3 of the module docstring, on any judge: drop faults one at a time
 * (fixed key order) until none can go, bisect the safety phase in whole minutes in [1 min, the
 * original), drop faults again at the shorter length, and re-check the result.
 * @param mix the fault mix the original run failed with
 * @param durationUs the original safety phase (µs)
 * @throws Error when the original does not fail, or the result no longer fails on re-check
 *   (a judge that is not deterministic).
 */
export async function shrinkSearch(mix: FaultProfile, durationUs: number, stillFails: StillFails): Promise<ShrinkFound> {
  if (!(await stillFails(mix, durationUs))) throw new Error("shrink: the original fault mix and length do not fail the target check: cannot shrink");
  let faults = await dropFaults(mix, durationUs, stillFails);
  let best = durationUs;
  let lo = 1;
  let hi = Math.max(1, Math.ceil(durationUs / MINUTE_US));
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (mid * MINUTE_US < best && (await stillFails(faults, mid * MINUTE_US))) {
      best = mid * MINUTE_US;
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  if (best < durationUs) faults = await dropFaults(faults, best, stillFails);
  const failure = await stillFails(faults, best);
  if (!failure) throw new Error("shrink: the shrunk scenario no longer fails the target check on re-check");
  return { faults, durationUs: best, failure };
}

/** Drop single faults (sorted key order) while the run still fails; repeat until none can go. */
async function dropFaults(start: FaultProfile, durationUs: number, stillFails: StillFails): Promise<FaultProfile> {
  let faults: FaultProfile = { ...start };
  for (let changed = true; changed; ) {
    changed = false;
    for (const key of Object.keys(faults).sort() as (keyof FaultProfile)[]) {
      const fewer = { ...faults };
      delete fewer[key];
      if (await stillFails(fewer, durationUs)) {
        faults = fewer;
        changed = true;
      }
    }
  }
  return faults;
}

/**
 * Shrink a failing chaos seed to a minimal scenario file (module docstring).
 * @throws Error naming the seed when the seed does not fail, or when the replayed fixed-mix
 *   scenario does not fail the same check (the shrink would have nothing to preserve).
 */
export async function shrinkChaosSeed(opts: ShrinkOptions): Promise<ShrinkResult> {
  if (!Number.isSafeInteger(opts.seed)) throw new Error(`shrink: seed must be a safe integer, got ${String(opts.seed)}`);
  const base = opts.scenario ?? getScenario(CHAOS_SCENARIO);
  if (!base || base.swarm !== true) throw new Error(`shrink: scenario "${base?.name ?? CHAOS_SCENARIO}" must be a swarm scenario`);
  const kernelModule: KernelModule | undefined = opts.kernelWasm ? ((await loadKernel({ wasmPath: opts.kernelWasm })) as KernelModule) : undefined;
  const log = opts.log ?? (() => undefined);
  let runs = 0;
  const run = async (s: Scenario): Promise<CheckFailure | undefined> => {
    runs++;
    let r: RunResult;
    try {
      r = await runScenario(s, { seed: opts.seed, ...(kernelModule ? { kernelModule } : {}) });
    } catch (err) {
      // A candidate that cannot run is a different failure, never the target: it is reported,
      // and the candidate is not kept.
      return { name: "run", detail: `threw: ${(err as Error).message}` };
    }
    return firstFailure(s, r);
  };

  const first = await run(base);
  if (!first) throw new Error(`shrink: chaos seed ${opts.seed} does not fail${opts.kernelWasm ? ` with kernel ${opts.kernelWasm}` : ""}: nothing to shrink`);
  const target = first.name;
  const mix = drawFaultMix(opts.seed);
  // The window the seed's swarm run drew (runScenario does the same draw), fixed in the file.
  const window = base.swarmWindow ? drawSwarmWindow(opts.seed, base.startUs, base.swarmWindow) : { startUs: base.startUs, durationUs: base.durationUs };
  const fixed = (faults: FaultProfile, durationUs: number): Scenario => {
    const { swarm: _swarm, swarmWindow: _window, ...rest } = base;
    void _swarm;
    void _window;
    return {
      ...rest,
      name: `chaos-seed${opts.seed}-shrunk`,
      tags: ["chaos", "shrunk"],
      description: `Shrunk from chaos seed ${opts.seed} (${target}): the minimal fault mix and shortest safety phase found that still fail it.`,
      startUs: window.startUs,
      faults,
      durationUs,
    };
  };
  const stillFails: StillFails = async (faults, durationUs) => {
    const f = await run(fixed(faults, durationUs));
    const hit = f?.name === target ? f : undefined;
    log(`shrink: ${Object.keys(faults).sort().join(",") || "(no faults)"} ${Number((durationUs / MINUTE_US).toFixed(2))} min → ${hit ? `fails ${target}` : f ? `fails ${f.name} (other)` : "passes"}`);
    return hit;
  };
  let found: ShrinkFound;
  try {
    found = await shrinkSearch(mix, window.durationUs, stillFails);
  } catch (err) {
    throw new Error(`shrink: chaos seed ${opts.seed} fails ${target}; ${(err as Error).message.replace(/^shrink: /, "")}`);
  }
  const final = fixed(found.faults, found.durationUs);
  validateScenario(JSON.parse(JSON.stringify(final)));
  writeFileSync(opts.out, JSON.stringify(final, null, 2) + "\n");
  const kernelArg = opts.kernelWasm ? ` --kernel ${opts.kernelWasm}` : "";
  return {
    repro: `npx dita run --file ${opts.out} --seed ${opts.seed}${kernelArg}`,
    seed: opts.seed,
    target,
    detail: found.failure.detail,
    file: opts.out,
    original: { faults: Object.keys(mix).sort(), durationUs: window.durationUs },
    shrunk: { faults: Object.keys(found.faults).sort(), durationUs: found.durationUs, faultMix: found.faults },
    runs,
  };
}
