/**
 * Shrinking (issue 12): a failing chaos seed becomes a minimal repro scenario file.
 *
 * 1. The seed's swarm run is replayed as a plain scenario: the "chaos" scenario with
 *    `swarm` off and `faults` = the mix drawn from the seed (sim/faults.ts drawFaultMix) — the
 *    same run, now editable. It must fail the same check (the target: the first failing
 *    invariant or expectation of the seed).
 * 2. **Fault mix**: each fault is dropped in turn (in a fixed key order); a drop is kept when the
 *    run still fails the target check. Repeated until no single fault can be dropped
 *    (1-minimal: every remaining fault is needed).
 * 3. **Duration**: the safety phase is bisected in whole minutes between 1 minute and the
 *    original length; the shortest length tried that still fails is kept (runs are
 *    deterministic, so every candidate is judged by one run; the result is re-checked).
 * 4. The result is validated (scenarios/validate.ts) and written as a `dita run --file` scenario;
 *    the repro command is the first thing reported.
 *
 * Every candidate runs with the same seed, one execution each. A kernel other than the default
 * (a flaw mutant) is given as `kernelWasm`; the repro command then carries
 * `DITA_KERNEL_WASM=<path>` (sim/run.ts sharedKernel honours it).
 */
import { writeFileSync } from "node:fs";
import { loadKernel, type KernelModule } from "../kernel/index.js";
import { drawFaultMix } from "../sim/faults.js";
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
  const run = async (s: Scenario) => {
    runs++;
    let r: RunResult;
    try {
      r = await runScenario(s, { seed: opts.seed, ...(kernelModule ? { kernelModule } : {}) });
    } catch (err) {
      // A candidate that cannot run (e.g. a restart time outside a shortened safety phase) is a
      // different failure, never the target: it is reported, and the candidate is not kept.
      return { name: "run", detail: `threw: ${(err as Error).message}` };
    }
    return firstFailure(s, r);
  };

  const first = await run(base);
  if (!first) throw new Error(`shrink: chaos seed ${opts.seed} does not fail${opts.kernelWasm ? ` with kernel ${opts.kernelWasm}` : ""}: nothing to shrink`);
  const target = first.name;
  const mix = drawFaultMix(opts.seed);
  const fixed = (faults: FaultProfile, durationUs: number): Scenario => {
    const { swarm: _swarm, ...rest } = base;
    void _swarm;
    return { ...rest, name: `chaos-seed${opts.seed}-shrunk`, description: `Shrunk from chaos seed ${opts.seed} (${target}): the minimal fault mix and shortest safety phase found that still fail it.`, faults, durationUs };
  };
  const fails = async (faults: FaultProfile, durationUs: number): Promise<{ name: string; detail: string } | undefined> => {
    const f = await run(fixed(faults, durationUs));
    const hit = f?.name === target ? f : undefined;
    log(`shrink: ${Object.keys(faults).sort().join(",") || "(no faults)"} ${durationUs / MINUTE_US} min → ${hit ? `fails ${target}` : f ? `fails ${f.name} (other)` : "passes"}`);
    return hit;
  };
  let last = await fails(mix, base.durationUs);
  if (!last) throw new Error(`shrink: chaos seed ${opts.seed} fails ${target}, but its fault mix as a fixed scenario does not: cannot shrink`);

  // 2. Fault mix: drop one fault at a time until none can go.
  let faults: FaultProfile = { ...mix };
  for (let changed = true; changed; ) {
    changed = false;
    for (const key of Object.keys(faults).sort() as (keyof FaultProfile)[]) {
      const fewer = { ...faults };
      delete fewer[key];
      const f = await fails(fewer, base.durationUs);
      if (f) {
        faults = fewer;
        last = f;
        changed = true;
      }
    }
  }

  // 3. Duration: bisect whole minutes in [1 min, original).
  let lo = 1;
  let hi = Math.max(1, Math.ceil(base.durationUs / MINUTE_US));
  let best = base.durationUs;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const f = await fails(faults, mid * MINUTE_US);
    if (f) {
      best = mid * MINUTE_US;
      last = f;
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  const final = fixed(faults, best);
  const check = await fails(faults, best);
  if (!check) throw new Error(`shrink: the shrunk scenario (seed ${opts.seed}) no longer fails ${target} on re-check`);
  last = check;
  validateScenario(JSON.parse(JSON.stringify(final)));
  writeFileSync(opts.out, JSON.stringify(final, null, 2) + "\n");
  const env = opts.kernelWasm ? `DITA_KERNEL_WASM=${opts.kernelWasm} ` : "";
  return {
    repro: `${env}npx dita run --file ${opts.out} --seed ${opts.seed}`,
    seed: opts.seed,
    target,
    detail: last.detail,
    file: opts.out,
    original: { faults: Object.keys(mix).sort(), durationUs: base.durationUs },
    shrunk: { faults: Object.keys(faults).sort(), durationUs: best, faultMix: faults },
    runs,
  };
}
