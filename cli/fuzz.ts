/**
 * `dita fuzz [--inputs N] [--seed S] [--json]` (issue 11): malformed inputs through the kernel
 * binding and the raw WASM exports against a kernel holding open positions (kernel/fuzz.ts).
 * JSON: {ok, inputs, traps, refusedWithoutDiagnostic, stateChanged, accepted, corruptedAccepted,
 * controlRefused, byClass:{<class>: counts}, seed, viaBinding, viaRaw, resets, samples, wallMs,
 * inputsPerSec}. Exit 1 when any failure count is > 0, 0 otherwise.
 */
import type { FuzzClass, FuzzReport } from "../kernel/fuzz.js";
import type { CommandOutput } from "./commands.js";
import { textTable } from "./commands.js";
import { EXIT_CHECK_FAILED, EXIT_OK } from "./errors.js";
import { startProgress } from "./io.js";
import { loadExport } from "./modules.js";

/** Default number of inputs (the figure). */
export const DEFAULT_FUZZ_INPUTS = 1_000_000;

type RunFuzzFn = (opts: { inputs: number; seed: number; onProgress?: (done: number) => void; progressEvery?: number }) => Promise<FuzzReport>;

/** Run the fuzzer and render its report (counts per class; failure samples with their input). */
export async function fuzzCommand(opts: { inputs: number; seed: number }): Promise<CommandOutput> {
  const runFuzz = await loadExport<RunFuzzFn>("kernel/fuzz.ts", "runFuzz");
  const bar = startProgress("fuzz", opts.inputs);
  const t0 = performance.now();
  let rep: FuzzReport;
  try {
    rep = await runFuzz({ inputs: opts.inputs, seed: opts.seed, onProgress: (done) => bar.update(done), progressEvery: 5_000 });
  } finally {
    bar.stop();
  }
  const wallMs = Math.round(performance.now() - t0);
  const doc = { ...rep, wallMs, inputsPerSec: Math.round(rep.inputs / Math.max(wallMs / 1000, 1e-3)) };
  const rows: (string | number)[][] = (Object.entries(rep.byClass) as [FuzzClass, FuzzReport["byClass"][FuzzClass]][]).map(([cls, c]) => [
    cls, c.inputs, c.traps, c.refusedWithoutDiagnostic, c.stateChanged, c.accepted, c.corruptedAccepted, c.controlRefused,
  ]);
  rows.push(["total", rep.inputs, rep.traps, rep.refusedWithoutDiagnostic, rep.stateChanged, rep.accepted, rep.corruptedAccepted, rep.controlRefused]);
  const lines = [
    `${rep.ok ? "PASS" : "FAIL"}  fuzz: ${rep.inputs} inputs (seed ${rep.seed}; ${rep.viaBinding} through the binding, ${rep.viaRaw} raw), ${(wallMs / 1000).toFixed(1)} s`,
    "",
    textTable(["class", "inputs", "traps", "no diagnostic", "state changed", "accepted", "corrupted accepted", "control refused"], rows),
  ];
  for (const s of rep.samples) lines.push("", `${s.failure}: [${s.cls}] ${s.method} via ${s.path}: ${s.what}`, `  got: ${s.got}`);
  if (!rep.ok) lines.push("", `reproduce: npx dita fuzz --inputs ${rep.inputs} --seed ${rep.seed}`);
  return { code: rep.ok ? EXIT_OK : EXIT_CHECK_FAILED, doc, text: lines.join("\n") };
}
