/**
 * Flaw mutants (issue 5 "Flaw mutants"): each mutant re-introduces one seed flaw, either as a
 * kernel Cargo feature (kernel/Cargo.toml `mutant_*`, never in the default build), as an
 * adapter switch (venues/bingx/adapter.ts `setAdapterMutant`, never set by default) or as a venue
 * switch (venues/bingx/mock-venue.ts `setVenueMutant`, never set by default). The runner
 * builds / loads each mutant and runs the catching suites in a fixed order, stopping at the first
 * failing check:
 *   1. kernel case table (kernel/cases/*.json through WASM, kernel/cases.ts runCase)
 *   2. golden replays (golden/cases, golden/runner.ts runGolden)
 *   3. built-in scenarios (scenarios/index.ts listScenarios, sim/run.ts runScenario, seed 1)
 *   4. the adapter properties (scenarios/mutants/adapter-properties.ts, recorded BingX frames)
 *   5. kernel mutants only: the kernel-harness flaw properties (scenarios/kernel-flaws.test.ts via
 *      vitest with DITA_KERNEL_WASM=<mutant>)
 * A mutant is caught when one check fails (a thrown error counts: the check did not pass).
 * A scenario or chaos seed that fails on the clean build too is never counted as a catch.
 * A mutant with `simulator` (issue 12: every planted bug must fail a run THROUGH THE SIMULATOR,
 * not only a unit table) also runs its named scenarios (seed 1) and chaos seeds with the mutant on;
 * `simulatorCaughtBy` names the first that fails (null: none did — the mutant escaped the simulator).
 * Kernel mutant artifacts: kernel/pkg/mutants/<id>.wasm (+ .json manifest), rebuilt only when the
 * manifest's source hash differs from the checkout's (kernel/source-hash.mjs).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadKernel, type KernelModule } from "../kernel/index.js";
import { loadCases as loadKernelCases, runCase } from "../kernel/cases.js";
import { kernelSourceHash } from "../kernel/source-hash.mjs";
import { loadCases as loadGoldenCases, mutantReproduction, runGolden, type MutantReproduction } from "../golden/runner.js";
import { runScenario } from "../sim/run.js";
import { checkJobs, defaultJobs, runPool } from "../sim/pool.js";
import { setAdapterMutant, type AdapterMutant } from "../venues/bingx/adapter.js";
import { setVenueMutant, type VenueMutant } from "../venues/bingx/mock-venue.js";
import { CHAOS_SCENARIO } from "./chaos.js";
import { getScenario } from "./index.js";
import { listScenarios } from "./index.js";
import { firstFailingAdapterProperty } from "./mutants/adapter-properties.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const KERNEL_DIR = join(ROOT, "kernel");
/** Where kernel mutant artifacts are built (git-ignored, like kernel/pkg). */
export const MUTANT_WASM_DIR = join(KERNEL_DIR, "pkg", "mutants");
/** Seed of the scenario runs (the scenario suite's default seed). */
export const MUTANT_SCENARIO_SEED = 1;

/** One flaw mutant. */
export interface MutantSpec {
  /** The Cargo feature (kernel) or the adapter switch id. */
  id: string;
  /** Seed flaw IDs it re-introduces. */
  flaw: string;
  kind: "kernel-feature" | "adapter" | "venue";
  /** Runs through the simulator that must fail with this mutant on (scenario names at seed 1, chaos seeds). */
  simulator?: { scenarios?: string[]; chaosSeeds?: number[] };
}

/** The mutant table (order = run order). Kernel ids are the Cargo feature names of kernel/Cargo.toml. */
export const MUTANTS: readonly MutantSpec[] = [
  { id: "mutant_leverage_pnl", flaw: "FET trio (2): realized PnL x exchange leverage (docs/accounting.md §0)", kind: "kernel-feature" },
  { id: "mutant_exit_initial_size", flaw: "A1, E8", kind: "kernel-feature" },
  { id: "mutant_slot0_fallback", flaw: "J8, G13", kind: "kernel-feature" },
  { id: "mutant_entry_last_price", flaw: "E10a", kind: "kernel-feature" },
  { id: "mutant_entry_overwrite", flaw: "I1", kind: "kernel-feature" },
  { id: "mutant_dedup_window64", flaw: "Flaw 10, M6", kind: "kernel-feature" },
  { id: "mutant_settle_terminal_only", flaw: "Flaw 5", kind: "kernel-feature" },
  { id: "mutant_stale_reject_destroys", flaw: "M9", kind: "kernel-feature" },
  { id: "mutant_closed_reopen", flaw: "I13", kind: "kernel-feature" },
  { id: "mutant_cancel_no_reset", flaw: "Flaw 1, Flaw 2", kind: "kernel-feature" },
  { id: "mutant_cancel_no_transition", flaw: "M2", kind: "kernel-feature" },
  { id: "mutant_hardcoded_prev_stage", flaw: "G3, M1", kind: "kernel-feature" },
  { id: "mutant_no_overfill_clamp", flaw: "A3, I8", kind: "kernel-feature" },
  { id: "mutant_seen_not_cleared", flaw: "F26", kind: "kernel-feature" },
  { id: "mutant_restore_baseline_reset", flaw: "FET trio (3): settle baseline lost on restart (spec §0.3), I10", kind: "kernel-feature" },
  { id: "mutant_anchor_accepts_zero", flaw: "L5 (kernel)", kind: "kernel-feature" },
  { id: "mutant_fees_ignored", flaw: "A7, E18", kind: "kernel-feature" },
  { id: "mutant_mark_basis", flaw: "A4", kind: "kernel-feature" },
  { id: "mutant_no_leverage_cap", flaw: "G12", kind: "kernel-feature" },
  { id: "mutant_duplicate_trade_id", flaw: "E7", kind: "kernel-feature" },
  { id: "mutant_trade_seq_frozen", flaw: "M13", kind: "kernel-feature" },
  { id: "mutant_cancel_reject_strands", flaw: "I15, E17", kind: "kernel-feature" },
  { id: "mutant_seen_not_saved", flaw: "I10", kind: "kernel-feature" },
  { id: "mutant_restore_no_validation", flaw: "Flaw 11, G8, J7, G14", kind: "kernel-feature" },
  { id: "mutant_entry_plain_mean", flaw: "E10 (issue 12): entry VWAP booked as a plain mean of fill prices", kind: "kernel-feature", simulator: { scenarios: ["flaw-05-settle-partial-exit-fills"], chaosSeeds: [6] } },
  { id: "mutant_funding_sign", flaw: "spec §3 (issue 12): funding booked with the wrong sign", kind: "kernel-feature", simulator: { scenarios: ["funding-across-0800"] } },
  { id: "mutant_exit_leg_not_saved", flaw: "I9 (issue 12): saved state forgets the exit-leg index", kind: "kernel-feature", simulator: { scenarios: ["restart-between-exit-legs"], chaosSeeds: [6] } },
  { id: "adapter_bound_price", flaw: "FET trio (1): fill price from MARKET bound price p instead of ap (spec §0.2)", kind: "adapter" },
  { id: "adapter_fee_sign", flaw: "A7 (adapter): fee sign not flipped (spec §5.2)", kind: "adapter" },
  { id: "adapter_missing_wb_zero", flaw: "L5 (adapter): missing wb read as 0", kind: "adapter" },
  { id: "adapter_cumulative_as_incremental", flaw: "I1 (adapter): cumulative z treated as incremental", kind: "adapter" },
  { id: "adapter_settlement_no_cum_qty", flaw: "spec §5.2 repair (adapter): FILL_SETTLED without z, paired with fills by arrival order", kind: "adapter" },
  { id: "adapter_event_id_no_cum_qty", flaw: "Flaw 10, A7 (issue 12): WS event ids drop the cumulative quantity z, so later partial fills and their fees are deduplicated away", kind: "adapter", simulator: { scenarios: ["flaw-05-settle-partial-exit-fills"], chaosSeeds: [6] } },
  { id: "venue_reduce_only_no_clamp", flaw: "101290 (issue 12): the venue does not clamp a reduce-only order to the position, so it flips", kind: "venue", simulator: { scenarios: ["oneway-reduce-only-clamp"] } },
];

/** The result of one mutant. */
export interface MutantRunResult {
  id: string;
  flaw: string;
  kind: MutantSpec["kind"];
  caught: boolean;
  /** "<suite>: <case or scenario> (<first problem>)", null when it survived every suite. */
  caughtBy: string | null;
  /** Mutants with `simulator` runs: the first of them that failed, or null when none did. */
  simulatorCaughtBy?: string | null;
  /** FET leverage mutant only: leg 1 realized of golden fet-incident-bound-price vs 3214.4652. */
  reproduction?: MutantReproduction;
}

/** The result of a mutant run. */
export interface MutantsResult {
  total: number;
  caught: number;
  mutants: MutantRunResult[];
}

export interface RunMutantsOptions {
  /** Called after each mutant: (done, total, id). */
  onProgress?: (done: number, total: number, id?: string) => void;
  /** Run only these ids (table order kept). @throws Error naming an unknown id. */
  only?: string[];
  /** Worker threads (sim/pool.ts) for the suites; kernel mutants are built first, one at a time. Default every core. */
  jobs?: number;
}

/**
 * The .wasm of kernel mutant `id`, built with scripts/build-kernel.mjs unless an artifact whose
 * manifest source hash matches the checkout already exists.
 * @throws Error when the build fails (its stderr is included).
 */
export function ensureMutantWasm(id: string): string {
  const wasm = join(MUTANT_WASM_DIR, `${id}.wasm`);
  const manifest = join(MUTANT_WASM_DIR, `${id}.json`);
  const want = kernelSourceHash(KERNEL_DIR, [id]);
  if (existsSync(wasm) && existsSync(manifest)) {
    const m = JSON.parse(readFileSync(manifest, "utf8")) as { sourceHash?: string };
    if (m.sourceHash === want) return wasm;
  }
  const r = spawnSync(process.execPath, [join(ROOT, "scripts", "build-kernel.mjs"), "--features", id, "--out", wasm], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`mutant ${id}: kernel build failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  return wasm;
}

function firstLine(text: string): string {
  const l = text.split("\n").find((s) => s.trim() !== "") ?? text;
  return l.length > 200 ? `${l.slice(0, 200)}…` : l;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Suite 1: the kernel case table. Returns the catching case or null. */
function caseTable(mod: KernelModule): string | null {
  for (const c of loadKernelCases()) {
    let problem: string | null;
    try {
      problem = runCase(mod, c);
    } catch (e) {
      problem = `threw: ${errText(e)}`;
    }
    if (problem !== null) return `kernel case table: ${c.name} (${firstLine(problem)})`;
  }
  return null;
}

/** Suite 2: the golden replays. */
async function golden(mod: KernelModule): Promise<string | null> {
  let res;
  try {
    res = await runGolden({ kernelModule: mod, print: () => undefined });
  } catch (e) {
    return `golden: threw (${firstLine(errText(e))})`;
  }
  const bad = res.cases.find((c) => !c.ok);
  if (!bad) return null;
  const diff = bad.diff ? firstLine(bad.diff.split("\n").slice(1).join("\n")) : "";
  return `golden: ${bad.name}${diff ? ` (${diff.trim()})` : ""}`;
}

let cleanFailing: Promise<Set<string>> | undefined;
/**
 * Scenarios (and chaos seeds, as "chaos@<seed>") that already fail on the clean build (default
 * kernel, no adapter / venue switch): a failure there is a finding of the oracle, not a catch, so
 * the suites below never count it. Computed once per process, before any switch is set.
 */
function cleanFailures(): Promise<Set<string>> {
  if (!cleanFailing) {
    cleanFailing = (async () => {
      const mod = await loadKernel();
      const out = new Set<string>();
      const seeds = [...new Set(MUTANTS.flatMap((m) => m.simulator?.chaosSeeds ?? []))];
      for (const s of listScenarios()) if (!(await runScenario(s, { seed: MUTANT_SCENARIO_SEED, kernelModule: mod, checkDeterminism: false })).ok) out.add(s.name);
      for (const seed of seeds) if (!(await runScenario(getScenario(CHAOS_SCENARIO)!, { seed, kernelModule: mod, checkDeterminism: false })).ok) out.add(`chaos@${seed}`);
      return out;
    })();
  }
  return cleanFailing;
}

/** Suite 3: the built-in scenarios at MUTANT_SCENARIO_SEED (those that pass on the clean build). */
async function scenarios(mod: KernelModule): Promise<string | null> {
  const clean = await cleanFailures();
  for (const s of listScenarios()) {
    if (clean.has(s.name)) continue;
    try {
      const r = await runScenario(s, { seed: MUTANT_SCENARIO_SEED, kernelModule: mod, checkDeterminism: false });
      if (!r.ok) {
        const bad = [...r.invariants, ...r.expectations].find((i) => !i.ok);
        return `scenario: ${s.name} seed ${MUTANT_SCENARIO_SEED} (${bad ? `${bad.name}: ${firstLine(bad.detail)}` : "not ok"})`;
      }
    } catch (e) {
      return `scenario: ${s.name} seed ${MUTANT_SCENARIO_SEED} (threw: ${firstLine(errText(e))})`;
    }
  }
  return null;
}

/** Suite 5: scenarios/kernel-flaws.test.ts against the mutant artifact (kernel mutants only). */
function kernelFlawProperties(wasmPath: string): string | null {
  const r = spawnSync(process.execPath, [join(ROOT, "node_modules", "vitest", "vitest.mjs"), "run", "scenarios/kernel-flaws.test.ts", "--reporter=dot"], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, DITA_KERNEL_WASM: wasmPath },
  });
  if (r.status === 0) return null;
  const out = `${r.stdout}\n${r.stderr}`;
  const failed = out.split("\n").find((l) => /FAIL|×/.test(l));
  return `kernel-flaws properties: ${failed ? failed.trim().slice(0, 200) : `vitest exit ${r.status}`}`;
}

/** Run the suites against `mod` in the fixed order; the first failing check, or null. */
async function catchingSuites(mod: KernelModule, wasmPath: string | undefined): Promise<string | null> {
  return caseTable(mod) ?? (await golden(mod)) ?? (await scenarios(mod)) ?? firstFailingAdapterProperty() ?? (wasmPath ? kernelFlawProperties(wasmPath) : null);
}

/** The golden case carrying `mutantExpectation` (the FET incident). */
function fetIncidentCase() {
  const c = loadGoldenCases().find((x) => x.case.mutantExpectation !== undefined);
  if (!c) throw new Error("golden/cases: no case carries mutantExpectation (the FET incident case)");
  return c.case;
}

/**
 * The runs through the simulator named by `m.simulator` (scenarios at MUTANT_SCENARIO_SEED, chaos
 * seeds), with the mutant already switched on; the first failing one, or null.
 * @throws Error naming an unknown scenario.
 */
async function simulatorRuns(m: MutantSpec, mod: KernelModule): Promise<string | null> {
  const clean = await cleanFailures();
  const runs: { label: string; run: () => ReturnType<typeof runScenario> }[] = [];
  for (const name of m.simulator?.scenarios ?? []) {
    const s = getScenario(name);
    if (!s) throw new Error(`mutant ${m.id}: simulator scenario ${JSON.stringify(name)} does not exist`);
    if (clean.has(name)) continue; // fails without the mutant too: not evidence
    runs.push({ label: `scenario: ${name} seed ${MUTANT_SCENARIO_SEED}`, run: () => runScenario(s, { seed: MUTANT_SCENARIO_SEED, kernelModule: mod, checkDeterminism: false }) });
  }
  for (const seed of m.simulator?.chaosSeeds ?? []) {
    const s = getScenario(CHAOS_SCENARIO)!;
    if (clean.has(`chaos@${seed}`)) continue;
    runs.push({ label: `chaos seed ${seed}`, run: () => runScenario(s, { seed, kernelModule: mod, checkDeterminism: false }) });
  }
  for (const { label, run } of runs) {
    try {
      const r = await run();
      if (!r.ok) {
        const bad = [...r.invariants, ...r.expectations].filter((i) => !i.ok);
        return `${label} (${bad.map((b) => `${b.name}: ${firstLine(b.detail)}`).join(" | ") || "not ok"})`;
      }
    } catch (e) {
      return `${label} (threw: ${firstLine(errText(e))})`;
    }
  }
  return null;
}

async function runOne(m: MutantSpec): Promise<MutantRunResult> {
  await cleanFailures(); // before any switch is set
  if (m.kind === "kernel-feature") {
    const wasmPath = ensureMutantWasm(m.id);
    const mod = await loadKernel({ wasmPath });
    const caughtBy = await catchingSuites(mod, wasmPath);
    const r: MutantRunResult = { id: m.id, flaw: m.flaw, kind: m.kind, caught: caughtBy !== null, caughtBy };
    if (m.simulator) r.simulatorCaughtBy = await simulatorRuns(m, mod);
    const inc = fetIncidentCase();
    if (inc.mutantExpectation!.mutants.includes(m.id)) r.reproduction = mutantReproduction(mod, inc);
    return r;
  }
  const mod = await loadKernel();
  const set = (on: boolean) => (m.kind === "venue" ? setVenueMutant(on ? (m.id as VenueMutant) : null) : setAdapterMutant(on ? (m.id as AdapterMutant) : null));
  set(true);
  try {
    const caughtBy = await catchingSuites(mod, undefined);
    const r: MutantRunResult = { id: m.id, flaw: m.flaw, kind: m.kind, caught: caughtBy !== null, caughtBy };
    if (m.simulator) r.simulatorCaughtBy = await simulatorRuns(m, mod);
    return r;
  } finally {
    set(false);
  }
}

/** One mutant by id (the pool's task function; results come back in table order whatever --jobs is). */
export async function mutantTask(id: string): Promise<MutantRunResult> {
  const m = MUTANTS.find((x) => x.id === id);
  if (!m) throw new Error(`mutantTask: unknown mutant id ${JSON.stringify(id)}`);
  return runOne(m);
}

/**
 * Build / load each mutant and run the catching suites against it (see the file header).
 * @returns {total, caught, mutants:[{id, flaw, kind, caught, caughtBy, reproduction?}]}
 * @throws Error for an unknown id in `only`, or when a kernel mutant does not build.
 */
export async function runMutants(opts: RunMutantsOptions = {}): Promise<MutantsResult> {
  const known = new Set(MUTANTS.map((m) => m.id));
  for (const id of opts.only ?? []) if (!known.has(id)) throw new Error(`runMutants: only: unknown mutant id ${JSON.stringify(id)}`);
  const list = opts.only ? MUTANTS.filter((m) => opts.only!.includes(m.id)) : [...MUTANTS];
  const jobs = checkJobs(opts.jobs ?? defaultJobs(), "runMutants: jobs");
  // Builds share kernel/target (cargo's lock): one at a time, before the suites fan out.
  for (const m of list) if (m.kind === "kernel-feature") ensureMutantWasm(m.id);
  const mutants = await runPool<string, MutantRunResult>({
    module: fileURLToPath(import.meta.url),
    fn: "mutantTask",
    tasks: list.map((m) => m.id),
    jobs,
    onProgress: (done, total) => opts.onProgress?.(done, total),
  });
  return { total: mutants.length, caught: mutants.filter((m) => m.caught).length, mutants };
}
