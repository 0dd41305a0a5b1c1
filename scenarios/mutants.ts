/**
 * Flaw mutants (issue 5 "Flaw mutants"): each mutant re-introduces one seed flaw, either as a
 * kernel Cargo feature (kernel/Cargo.toml `mutant_*`, never in the default build) or as an
 * adapter switch (venues/bingx/adapter.ts `setAdapterMutant`, never set by default). The runner
 * builds / loads each mutant and runs the catching suites in a fixed order, stopping at the first
 * failing check:
 *   1. kernel case table (kernel/cases/*.json through WASM, kernel/cases.ts runCase)
 *   2. golden replays (golden/cases, golden/runner.ts runGolden)
 *   3. built-in scenarios (scenarios/index.ts listScenarios, sim/run.ts runScenario, seed 1)
 *   4. the adapter properties (scenarios/mutants/adapter-properties.ts, recorded BingX frames)
 *   5. kernel mutants only: the kernel-harness flaw properties (scenarios/kernel-flaws.test.ts via
 *      vitest with DITA_KERNEL_WASM=<mutant>)
 * A mutant is caught when one check fails (a thrown error counts: the check did not pass).
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
import { setAdapterMutant, type AdapterMutant } from "../venues/bingx/adapter.js";
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
  kind: "kernel-feature" | "adapter";
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
  { id: "adapter_bound_price", flaw: "FET trio (1): fill price from MARKET bound price p instead of ap (spec §0.2)", kind: "adapter" },
  { id: "adapter_fee_sign", flaw: "A7 (adapter): fee sign not flipped (spec §5.2)", kind: "adapter" },
  { id: "adapter_missing_wb_zero", flaw: "L5 (adapter): missing wb read as 0", kind: "adapter" },
  { id: "adapter_cumulative_as_incremental", flaw: "I1 (adapter): cumulative z treated as incremental", kind: "adapter" },
  { id: "adapter_settlement_no_cum_qty", flaw: "spec §5.2 repair (adapter): FILL_SETTLED without z, paired with fills by arrival order", kind: "adapter" },
];

/** The result of one mutant. */
export interface MutantRunResult {
  id: string;
  flaw: string;
  kind: MutantSpec["kind"];
  caught: boolean;
  /** "<suite>: <case or scenario> (<first problem>)", null when it survived every suite. */
  caughtBy: string | null;
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

/** Suite 3: the built-in scenarios at MUTANT_SCENARIO_SEED. */
async function scenarios(mod: KernelModule): Promise<string | null> {
  for (const s of listScenarios()) {
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

async function runOne(m: MutantSpec): Promise<MutantRunResult> {
  if (m.kind === "kernel-feature") {
    const wasmPath = ensureMutantWasm(m.id);
    const mod = await loadKernel({ wasmPath });
    const caughtBy = await catchingSuites(mod, wasmPath);
    const r: MutantRunResult = { id: m.id, flaw: m.flaw, kind: m.kind, caught: caughtBy !== null, caughtBy };
    const inc = fetIncidentCase();
    if (inc.mutantExpectation!.mutants.includes(m.id)) r.reproduction = mutantReproduction(mod, inc);
    return r;
  }
  const mod = await loadKernel();
  setAdapterMutant(m.id as AdapterMutant);
  try {
    const caughtBy = await catchingSuites(mod, undefined);
    return { id: m.id, flaw: m.flaw, kind: m.kind, caught: caughtBy !== null, caughtBy };
  } finally {
    setAdapterMutant(null);
  }
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
  const mutants: MutantRunResult[] = [];
  for (const m of list) {
    mutants.push(await runOne(m));
    opts.onProgress?.(mutants.length, list.length, m.id);
  }
  return { total: mutants.length, caught: mutants.filter((m) => m.caught).length, mutants };
}
