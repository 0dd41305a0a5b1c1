/**
 * `runScenario(scenario, { seed, traceFile? })`: one deterministic run of a scenario against the
 * BingX mock venue and the real kernel (WebAssembly), judged by the 12 invariants, the end-to-end
 * oracle against the venue's books (sim/oracle.ts) and the scenario's expectations (docs/architecture.md §The simulator, §Ledger invariants; the `dita run`
 * contract). The run is executed once; with `checkDeterminism: true` it is executed a second
 * time and the trace hashes compared (invariant 12), otherwise invariant 12 reports
 * `status: "not-checked"` (the gate re-executes a fixed share of runs, CI every scenario once).
 */
import { loadKernel } from "../kernel/index.js";
import type { KernelConfig } from "../kernel/types.js";
import { createBingxMockVenue } from "../venues/bingx/mock-venue.js";
import { toInstrumentSpec } from "../venues/bingx/contracts.js";
import type { DiagnosticRow, FaultProfile, RunResult, Scenario } from "./types.js";
import type { RunRecord } from "./record.js";
import { Runtime, type KernelModule, type RuntimeDeps, type RuntimeOutput } from "./runtime.js";
import { drawFaultMix, drawSwarmWindow } from "./faults.js";
import { checkInvariants } from "./invariants.js";
import { checkOracle, TruthsCache } from "./oracle.js";
import { checkExpectations } from "./expectations.js";
import { DiagnosticsCollector, collectDiagnostics, evidenceFromTraceFile, linkEvidence, rowsBySeq } from "./evidence.js";
import { wallNowMs } from "./wall-clock.js";

/** Default |kernel − exchange| tolerance passed to the kernel (KernelConfig default "0.5"). */
export const PNL_ANOMALY_TOLERANCE_USDT = "0.5";

export interface RunOptions {
  /** Run seed (safe integer): every random stream of the run derives from it. */
  seed: number;
  /** Write the trace as an Arrow IPC file here (schema in sim/README.md). */
  traceFile?: string;
  /** Execute the run a second time and compare trace hashes (invariant 12). Default false: one
   * execution, and invariant 12 says "not checked". */
  checkDeterminism?: boolean;
  /** Use this kernel module instead of loading kernel/pkg/dita_kernel.wasm. */
  kernelModule?: KernelModule;
  /**
   * Compute the SHA-256 trace hash (default true). False is for runs whose hash nobody reads
   * (chaos seeds without a determinism check, scenarios/chaos.ts): RunResult.traceHash is then
   * null ("not computed") and invariant 12 says so. Must not be false together with
   * `checkDeterminism` or `traceFile` (both need the hash). Invariants and verdicts do not
   * depend on it.
   */
  hashTrace?: boolean;
}

let kernelPromise: Promise<KernelModule> | undefined;
/**
 * The kernel module, loaded once per process: kernel/pkg/dita_kernel.wasm, or the .wasm named by
 * the environment variable DITA_KERNEL_WASM (a flaw mutant build, e.g. to replay a shrunk repro;
 * its manifest must match the checkout, kernel/index.ts loadKernel).
 */
export function sharedKernel(): Promise<KernelModule> {
  if (!kernelPromise) {
    const wasmPath = process.env.DITA_KERNEL_WASM;
    kernelPromise = loadKernel(wasmPath ? { wasmPath } : {}) as Promise<KernelModule>;
    // A failed load (e.g. a stale binary) is not cached: the next run tries again.
    kernelPromise.catch(() => {
      kernelPromise = undefined;
    });
  }
  return kernelPromise;
}

/** The kernel configuration of a scenario. */
export function kernelConfigFor(scenario: Scenario): KernelConfig {
  return {
    slotCount: scenario.slotCount ?? 10,
    initialCapitalUsdt: scenario.initialBalanceUsdt,
    instruments: scenario.contracts.map(toInstrumentSpec),
    pnlAnomalyToleranceUsdt: PNL_ANOMALY_TOLERANCE_USDT,
  };
}

function checkScenario(s: Scenario): void {
  if (!s || typeof s !== "object") throw new Error("scenario: not an object");
  if (typeof s.name !== "string" || s.name === "") throw new Error(`scenario.name: ${String(s.name)} must be a non-empty string`);
  if (!Number.isSafeInteger(s.startUs) || s.startUs < 0) throw new Error(`scenario.startUs: ${String(s.startUs)} must be an integer µs time`);
  if (!Number.isSafeInteger(s.durationUs) || s.durationUs <= 0) throw new Error(`scenario.durationUs: ${String(s.durationUs)} must be a positive integer`);
  if (s.livenessBoundUs !== undefined && (!Number.isSafeInteger(s.livenessBoundUs) || s.livenessBoundUs <= 0)) {
    throw new Error(`scenario.livenessBoundUs: ${String(s.livenessBoundUs)} must be a positive integer`);
  }
  if (!Array.isArray(s.contracts) || s.contracts.length === 0) throw new Error("scenario.contracts: at least one contract is needed");
  if (!Array.isArray(s.prices) || s.prices.length === 0) throw new Error("scenario.prices: at least one price path is needed");
}

/**
 * One execution of the runtime (no judging). `rowTap` sees every trace row as it is written
 * (seq, time, kind, canonical body; sim/trace.ts TraceRecorder.tap). `hashTrace` false: no
 * trace hash is computed (RuntimeOutput.traceHash null; refused with a trace file). `foldRecord`:
 * the record's per-row streams are folded during the run, not kept (RunRecord.streamed; the
 * invariants judge the same, sim/invariants.ts RecordStreamFolds).
 */
export function executeOnce(
  scenario: Scenario,
  seed: number,
  faults: FaultProfile,
  kernelModule: KernelModule,
  keepTrace: boolean,
  traceFile?: string,
  rowTap?: RuntimeDeps["rowTap"],
  hashTrace = true,
  foldRecord = false,
): RuntimeOutput {
  const rt = new Runtime(
    scenario,
    seed,
    faults,
    {
      kernelModule,
      createVenue: (o) => createBingxMockVenue({ ...o, contracts: o.contracts }),
      kernelConfig: kernelConfigFor(scenario),
      ...(rowTap ? { rowTap } : {}),
      foldRecord,
    },
    keepTrace,
    traceFile,
    hashTrace,
  );
  return rt.run();
}

/** The run record the invariants read, from one execution and the hashes of all executions. */
export function toRecord(scenario: Scenario, seed: number, out: RuntimeOutput, hashes: string[]): RunRecord {
  return {
    scenario: scenario.name,
    seed,
    initialBalanceUsdt: scenario.initialBalanceUsdt,
    pnlAnomalyToleranceUsdt: PNL_ANOMALY_TOLERANCE_USDT,
    ...out.record,
    final: out.final,
    finalVenueLedger: out.finalVenueLedger,
    hashes,
    contracts: scenario.contracts,
    faultFree: !scenario.swarm && Object.keys(scenario.faults ?? {}).length === 0,
  };
}

/**
 * Run `scenario` with `opts.seed`. Throws (before running anything) on a malformed scenario or
 * seed, naming the field. The returned RunResult's `ok` is true when every invariant holds (those
 * listed in expect.expectViolations must fail instead) and every expectation holds.
 */
export async function runScenario(given: Scenario, opts: RunOptions): Promise<RunResult> {
  const { scenario, hashTrace } = prepareRun(given, opts);
  const kernelModule = opts.kernelModule ?? (await sharedKernel());
  const faults = scenario.swarm ? drawFaultMix(opts.seed) : (scenario.faults ?? {});
  // Wall-clock timing of the run, outside the simulation path; never part of the trace.
  const t0 = wallNowMs();
  // The trace streams to its Arrow file while the run goes (memory stays flat); rows are not kept.
  // Its diagnostics are folded from the rows as they are written, so a passing run's trace is
  // not read back (sim/evidence.ts evidenceFromTraceFile).
  const live = opts.traceFile ? new DiagnosticsCollector() : undefined;
  const out = executeOnce(scenario, opts.seed, faults, kernelModule, false, opts.traceFile, live ? (seq, tUs, kind, body) => live.row(seq, tUs, kind, body) : undefined, hashTrace, true);
  const wallMs = wallNowMs() - t0;
  // No hash computed: no hash to compare (invariant 12 then says "not checked", hash not computed).
  const hashes: string[] = out.traceHash === null ? [] : [out.traceHash];
  if (opts.checkDeterminism === true) {
    const again = executeOnce(scenario, opts.seed, faults, kernelModule, false, undefined, undefined, true, true).traceHash;
    if (again === null) throw new Error("determinism: the second execution computed no trace hash");
    hashes.push(again);
  }
  const { invariants, expectations, ok } = judgeRun(scenario, opts.seed, out, hashes);
  const result: RunResult = {
    scenario: scenario.name,
    seed: opts.seed,
    ok,
    traceHash: out.traceHash,
    events: out.events,
    simTimeUs: out.simTimeUs,
    wallMs,
    invariants,
    expectations,
    ledger: out.final.ledger,
    venueLedger: out.finalVenueLedger,
    trades: out.final.trades,
    final: out.final,
    faults: out.faultMarks,
    series: out.series,
    startUs: scenario.startUs,
  };
  await attachEvidence(result, out, opts.traceFile, live);
  if (scenario.swarm || Object.keys(faults).length > 0) result.faultMix = faults;
  if (opts.traceFile) result.trace = opts.traceFile;
  return result;
}

/**
 * Check the options and the scenario (throws naming the field, before anything runs) and apply a
 * swarm window: start and length drawn from the seed so that a funding time falls inside.
 */
function prepareRun(given: Scenario, opts: RunOptions): { scenario: Scenario; hashTrace: boolean } {
  if (!Number.isSafeInteger(opts.seed)) throw new Error(`seed: ${String(opts.seed)} must be a safe integer`);
  const hashTrace = opts.hashTrace ?? true;
  if (!hashTrace && (opts.checkDeterminism === true || opts.traceFile !== undefined)) {
    throw new Error(`hashTrace: false cannot be combined with ${opts.checkDeterminism === true ? "checkDeterminism" : "traceFile"} (it needs the trace hash)`);
  }
  checkScenario(given);
  if (!(given.swarm && given.swarmWindow)) return { scenario: given, hashTrace };
  const w = drawSwarmWindow(opts.seed, given.startUs, given.swarmWindow);
  return { scenario: { ...given, startUs: w.startUs, durationUs: w.durationUs }, hashTrace };
}

/**
 * The verdict of one run: the twelve ledger invariants, then the end-to-end oracle against the
 * venue's books (sim/oracle.ts; one computation of the venue truths serves both passes over the
 * closed record, TruthsCache), then the scenario's expectations. `ok` allows the invariants the
 * scenario lists in expect.expectViolations to fail.
 */
function judgeRun(scenario: Scenario, seed: number, out: RuntimeOutput, hashes: string[]): Pick<RunResult, "invariants" | "expectations" | "ok"> {
  const record = toRecord(scenario, seed, out, hashes);
  const truths = new TruthsCache();
  const invariants = [...checkInvariants(record, truths), ...checkOracle(record, truths)];
  const expectations = checkExpectations(scenario.expect, out.final, out.record.diagnostics, invariants);
  const expectedViolations = new Set(scenario.expect?.expectViolations ?? []);
  const ok = invariants.every((i) => i.ok || expectedViolations.has(i.name)) && expectations.every((e) => e.ok);
  return { invariants, expectations, ok };
}

/**
 * Failure evidence and diagnostics from the trace (issue 15), with the same seq numbers as
 * trace.arrow: from the kept rows, or read back from the streamed trace file only for what the
 * live diagnostics cannot give (evidence rows of failed checks, an adapter finding's frame row).
 * The excerpt holds every linked evidence row, every diagnostic and its input row.
 */
async function attachEvidence(result: RunResult, out: RuntimeOutput, traceFile: string | undefined, live: DiagnosticsCollector | undefined): Promise<void> {
  const judged = [...result.invariants, ...result.expectations];
  const excerptSeqs = (diag: DiagnosticRow[]) => {
    const seqs = judged.flatMap((i) => (i.evidence ?? []).flatMap((e) => e.traceSeq ?? []));
    for (const d of diag) seqs.push(d.seq, ...(d.inputSeq !== undefined ? [d.inputSeq] : []));
    return seqs;
  };
  if (out.trace.rows) {
    const rows = out.trace.rows;
    linkEvidence(judged, rows);
    const diag = collectDiagnostics(rows);
    result.diagnostics = diag.rows;
    result.diagnosticsTotal = diag.total;
    result.traceExcerpt = rowsBySeq(rows, excerptSeqs(diag.rows));
  } else if (traceFile) {
    const ev = await evidenceFromTraceFile(traceFile, judged, excerptSeqs, live);
    result.diagnostics = ev.diagnostics.rows;
    result.diagnosticsTotal = ev.diagnostics.total;
    result.traceExcerpt = ev.excerpt;
  }
}
