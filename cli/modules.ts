/**
 * Late binding of the modules the `dita` command drives (owned by other engineers; entry points
 * agreed in the project brief), through written-out imports (MODULES). Each loader checks that the source file exists and exports the
 * agreed function; otherwise it throws NotAvailableError ("not available yet: <module> missing",
 * exit 2) so a subcommand never pretends to work.
 *
 * The function shapes below mirror the agreed signatures; they are the only coupling the CLI has.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunResult, Scenario } from "../sim/types.js";
import { NotAvailableError } from "./errors.js";

/** Absolute path of the repository root (the folder holding package.json). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** sim/run.ts `runScenario`. */
export type RunScenarioFn = (scenario: Scenario, opts: { seed: number; traceFile?: string; checkDeterminism?: boolean; kernelModule?: unknown }) => Promise<RunResult>;

/** scenarios/index.ts. `loadScenarioFile` throws ScenarioError naming the bad field. */
export interface ScenariosModule {
  listScenarios(): Scenario[];
  getScenario(name: string): Scenario | undefined;
  loadScenarioFile(path: string): Scenario;
}

/** One failing chaos seed (scenarios/chaos.ts). */
export interface ChaosFailure {
  seed: number;
  invariant: string;
  detail: string;
  faultMix: unknown;
  repro: string;
}
/** scenarios/chaos.ts `runChaos`. */
export type RunChaosFn = (opts: {
  seeds: number;
  from: number;
  determinismEvery?: number;
  jobs?: number;
  onProgress?: (done: number, total: number) => void;
  onReady?: (ready: number, workers: number) => void;
  shouldStop?: () => boolean;
  kernelModule?: unknown;
}) => Promise<{ ok: boolean; runs: number; failures: ChaosFailure[]; determinismChecked: number; interrupted?: boolean }>;

/** One golden case (golden/runner.ts). */
export interface GoldenCase {
  name: string;
  ok: boolean;
  expected: unknown;
  actual: unknown;
  /** Readable diff when not ok. */
  diff?: string;
  /** True when `update` re-blessed the case. */
  updated?: boolean;
}
/** golden/runner.ts `runGolden`; `print` receives the diff printed before an update. */
export type RunGoldenFn = (opts: { update?: boolean; print?: (text: string) => void }) => Promise<{ ok: boolean; cases: GoldenCase[] }>;

/** One flaw mutant (scenarios/mutants.ts). */
export interface MutantResult {
  id: string;
  flaw: string;
  caught: boolean;
  caughtBy: string[] | string | null;
}
/** scenarios/mutants.ts `runMutants`. */
export type RunMutantsFn = (opts: {
  only?: string[];
  jobs?: number;
  onProgress?: (done: number, total: number, id?: string) => void;
}) => Promise<{ total: number; caught: number; mutants: MutantResult[] }>;

/**
 * The modules `loadExport` may load, each by a written-out import, so that the `dita` command runs
 * as one bundle (bin/dita.mjs, sim/bundle-cache.mjs) and these modules are in it: a computed
 * `import()` of a .ts path would need tsx at run time and load a second copy of every module it
 * imports.
 */
const MODULES: Record<string, () => Promise<Record<string, unknown>>> = {
  "sim/run.ts": () => import("../sim/run.js"),
  "scenarios/index.ts": () => import("../scenarios/index.js"),
  "scenarios/chaos.ts": () => import("../scenarios/chaos.js"),
  "scenarios/mutants.ts": () => import("../scenarios/mutants.js"),
  "scenarios/shrink.ts": () => import("../scenarios/shrink.js"),
  "golden/runner.ts": () => import("../golden/runner.js"),
  "kernel/bench.ts": () => import("../kernel/bench.js"),
  "kernel/fuzz.ts": () => import("../kernel/fuzz.js"),
};

/**
 * Import `relPath` (repo-relative, `.ts` source, one of MODULES) and return its export `name`.
 * @throws NotAvailableError when the file or the export does not exist yet; Error naming the path
 *   when it is not in MODULES.
 */
export async function loadExport<T>(relPath: string, name: string): Promise<T> {
  const abs = join(REPO_ROOT, relPath);
  if (!existsSync(abs)) throw new NotAvailableError(relPath);
  const load = MODULES[relPath];
  if (!load) throw new Error(`loadExport: ${relPath} is not listed in cli/modules.ts MODULES`);
  const mod = await load();
  const value = mod[name];
  if (value === undefined) throw new NotAvailableError(relPath, `export ${name} missing`);
  return value as T;
}

/** sim/run.ts runScenario. */
export const loadRunScenario = (): Promise<RunScenarioFn> => loadExport<RunScenarioFn>("sim/run.ts", "runScenario");

/** scenarios/index.ts (listScenarios, getScenario, loadScenarioFile). */
export async function loadScenarios(): Promise<ScenariosModule> {
  return {
    listScenarios: await loadExport("scenarios/index.ts", "listScenarios"),
    getScenario: await loadExport("scenarios/index.ts", "getScenario"),
    loadScenarioFile: await loadExport("scenarios/index.ts", "loadScenarioFile"),
  };
}

/** scenarios/chaos.ts runChaos. */
export const loadRunChaos = (): Promise<RunChaosFn> => loadExport<RunChaosFn>("scenarios/chaos.ts", "runChaos");

/** golden/runner.ts runGolden. */
export const loadRunGolden = (): Promise<RunGoldenFn> => loadExport<RunGoldenFn>("golden/runner.ts", "runGolden");

/** scenarios/mutants.ts runMutants. */
export const loadRunMutants = (): Promise<RunMutantsFn> => loadExport<RunMutantsFn>("scenarios/mutants.ts", "runMutants");
