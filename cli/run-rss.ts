/**
 * The bench's memory figure of a long run (issue 12: peak RSS of a 48 h `dita run` with its trace
 * ≤ 300 MB): `dita run --file` of the bench scenario stretched to `hours`, in a child process, as a
 * user would run it (report and Arrow trace written, into a temporary reports folder removed
 * afterwards). The figure is the run's own `memory.peakRssMb` (cli/commands.ts runCommand: the
 * process's maxRSS, main and run thread together).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Scenario } from "../sim/types.js";
import { REPO_ROOT } from "./modules.js";

/** One long `dita run`: its peak RSS (MB), wall time (ms, spawn to exit) and what it ran. */
export interface RunPeakRss {
  scenario: string;
  simHours: number;
  events: number;
  ok: boolean;
  traceHash: string | null;
  peakRssMb: number;
  /** Young-generation limit of the run thread (MB; cli/heap-policy.ts); null: none. */
  youngGenerationMb: number | null;
  wallMs: number;
}

/**
 * Run `scenario` for `hours` simulated hours through `dita run --file … --json` in a child process.
 * @throws Error (rejects) when the child cannot start, exits with neither 0 nor 1, or prints no
 *   `dita run` JSON document with a `memory.peakRssMb` number.
 */
export function measureRunPeakRss(scenario: Scenario, hours: number): Promise<RunPeakRss> {
  const dir = mkdtempSync(join(tmpdir(), "dita-run-rss-"));
  // Scenario names take lower-case letters, digits and '-' only.
  const name = `${scenario.name}-${Number.isInteger(hours) ? `${hours}h` : `${Math.round(hours * 3600)}s`}`;
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ ...scenario, name, durationUs: hours * 3_600_000_000 }));
  const t0 = performance.now();
  return new Promise<RunPeakRss>((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, "bin", "dita.mjs"), "run", "--file", file, "--json"], {
      cwd: REPO_ROOT,
      env: { ...process.env, DITA_REPORTS_DIR: join(dir, "reports"), DITA_NO_PROGRESS: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", (e) => reject(new Error(`dita run could not start: ${e.message}`)));
    child.on("close", (status) => {
      const wallMs = Math.round(performance.now() - t0);
      try {
        if (status !== 0 && status !== 1) throw new Error(`dita run exited ${status}: ${stderr.trim().split("\n").slice(-1)[0] ?? ""}`);
        const doc = JSON.parse(stdout) as { ok: boolean; events: number; simTimeUs: number; traceHash: string | null; memory?: { peakRssMb?: unknown; youngGenerationMb?: number | null } };
        const peak = doc.memory?.peakRssMb;
        if (typeof peak !== "number") throw new Error(`dita run printed no memory.peakRssMb (got ${JSON.stringify(doc.memory)})`);
        resolve({ scenario: name, simHours: Math.round((doc.simTimeUs / 3_600_000_000) * 100) / 100, events: doc.events, ok: doc.ok, traceHash: doc.traceHash, peakRssMb: peak, youngGenerationMb: doc.memory?.youngGenerationMb ?? null, wallMs });
      } catch (e) {
        reject(e instanceof SyntaxError ? new Error(`dita run printed no JSON document: ${e.message}`) : e);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
