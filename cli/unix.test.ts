/**
 * Issue 15: the `dita` command as a Unix tool. Every case of the "What was seen" list
 * for the CLI, run through the real bin (the one `npx dita` runs): input problems exit 2 naming the
 * field and value, environment problems are named, stack traces only with --verbose / DITA_DEBUG=1,
 * `help run` exits 0, one seed-range rule, EPIPE is quiet, SIGINT keeps finished chaos seeds and
 * exits 130, report folders are staged and never shared by two scenario files, large inputs refused
 * with the limit stated.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./modules.js";
import { randomScenario } from "../sim/fixtures/soak.js";

const tmp = mkdtempSync(join(tmpdir(), "dita-unix-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const BIN = join(REPO_ROOT, "bin", "dita.mjs");
const REPORTS = join(tmp, "reports");

function dita(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: tmp,
    encoding: "utf8",
    env: { ...process.env, DITA_REPORTS_DIR: REPORTS, DITA_NO_PROGRESS: "1", DITA_DEBUG: "", ...env },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const base = (): Record<string, any> => JSON.parse(readFileSync(join(REPO_ROOT, "scenarios", "library", "json", "fet-round-trip.json"), "utf8"));

/** Write a variant of the FET round-trip scenario file. */
function scenarioFile(name: string, edit: (s: Record<string, any>) => void): string {
  const s = base();
  edit(s);
  const file = join(tmp, `${name}.json`);
  writeFileSync(file, JSON.stringify(s));
  return file;
}
const enter = (s: Record<string, any>) => s.driver.intents[0].intent as Record<string, unknown>;

/** No stack trace lines ("    at f (file:line)") in the text. */
const noStack = (text: string) => expect(text).not.toMatch(/^\s+at .+:\d+/m);

describe("input problems exit 2 naming the field and value (intents checked before the run)", () => {
  for (const [label, field, value] of [
    ["negative quantity", "quantity", "-5"],
    ["NaN quantity", "quantity", "NaN"],
    ["1e300 quantity", "quantity", "1e300"],
    ["side SIDEWAYS", "side", "SIDEWAYS"],
  ] as const) {
    it(`${label}: exit 2, the kernel would refuse the intent (was: exit 1 "expected CLOSED, got IDLE")`, () => {
      const file = scenarioFile(`bad-${field}-${value}`, (s) => (enter(s)[field] = value));
      const r = dita(["run", "--file", file, "--json"]);
      expect(r.code).toBe(2);
      const msg = (JSON.parse(r.stdout) as { error: { message: string } }).error.message;
      expect(msg).toContain(`driver.intents[0].intent.${field}: "${value}"`);
      expect(msg).toContain("the kernel would refuse this intent (INVALID_INTENT");
      expect(existsSync(REPORTS) ? readdirSync(REPORTS).filter((n) => n.startsWith("fet-round-trip-file")) : []).toEqual([]);
    });
  }
  it("slotId -1: exit 2 naming the field (was: internal error with a stack trace)", () => {
    const r = dita(["run", "--file", scenarioFile("slot-neg", (s) => (enter(s).slotId = -1))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("driver.intents[0].intent.slotId: -1 is outside the scenario's slots 0..3");
    expect(r.stderr).not.toContain("internal error");
    noStack(r.stderr);
  });
  it("off-tick limit price: exit 2 naming the price and the tick size", () => {
    const file = scenarioFile("off-tick", (s) => Object.assign(enter(s), { orderType: "LIMIT", limitPrice: "0.18785", timeInForce: "GTC" }));
    const r = dita(["run", "--file", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('driver.intents[0].intent.limitPrice: "0.18785"');
    expect(r.stderr).toContain("tickSize 0.0001");
  });
  it("a refusal the scenario expects (expect.diagnostics lists INVALID_INTENT) is let through to the kernel", () => {
    const file = scenarioFile("expects-refusal", (s) => {
      enter(s).quantity = "-5";
      s.expect = { diagnostics: ["INVALID_INTENT"], finalStages: { "0": "IDLE" } };
    });
    const r = dita(["run", "--file", file, "--json"]);
    expect(r.code).toBe(0);
  });
  it("missing Arrow price file: exit 2 naming prices[0].file (was: internal error with a stack trace)", () => {
    const file = scenarioFile("no-arrow", (s) => (s.prices = [{ kind: "arrow", symbol: "FET-USDT", file: join(tmp, "absent.arrow") }]));
    const r = dita(["run", "--file", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`prices[0].file: "${join(tmp, "absent.arrow")}": no such file`);
    noStack(r.stderr);
  });
  it("--file naming a directory says it is a directory (was: no such file)", () => {
    const r = dita(["run", "--file", tmp]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--file ${tmp}: is a directory`);
  });
  it("large inputs are refused with the limit stated (was: 2.5 min at 2.2 GB without a word)", () => {
    const file = scenarioFile("many-points", (s) => {
      const p = s.prices[0].points as { tUs: number; priceUsdt: string }[];
      while (p.length < 130) p.push({ tUs: p[p.length - 1].tUs + 1_000_000, priceUsdt: "0.1878" });
    });
    const r = dita(["run", "--file", file], { DITA_MAX_PRICE_POINTS: "100" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/prices: 1\d\d price points is more than the limit of 100 for one run/);
  });
});

describe("environment problems are named, exit 2", () => {
  it("a stale kernel binary: environment problem naming the fix (was: a stack trace)", () => {
    const dir = join(tmp, "stale");
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(REPO_ROOT, "kernel", "pkg", "dita_kernel.wasm"), join(dir, "k.wasm"));
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, "kernel", "pkg", "dita_kernel.json"), "utf8")) as { sourceHash: string };
    writeFileSync(join(dir, "k.json"), JSON.stringify({ ...manifest, sourceHash: "0".repeat(64) }));
    const r = dita(["run", "gamut-exit", "--kernel", join(dir, "k.wasm"), "--json"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: "environment" } });
    expect(r.stderr).toMatch(/environment problem: stale kernel binary .*run `npm run build`/);
    noStack(r.stderr);
  });
  it("DITA_REPORTS_DIR naming a file: environment problem, exit 2 (was: a stack trace)", () => {
    const file = join(tmp, "a-file");
    writeFileSync(file, "x");
    const r = dita(["run", "gamut-exit"], { DITA_REPORTS_DIR: file });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`environment problem: DITA_REPORTS_DIR=${file} is a file, not a folder`);
    noStack(r.stderr);
  });
});

describe("stack traces only with --verbose or DITA_DEBUG=1", () => {
  // A kernel artifact whose manifest is current but whose bytes are not WebAssembly: an internal error.
  const corrupt = () => {
    const dir = join(tmp, "corrupt");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "k.wasm"), "not wasm");
    copyFileSync(join(REPO_ROOT, "kernel", "pkg", "dita_kernel.json"), join(dir, "k.json"));
    return join(dir, "k.wasm");
  };
  it("without: one line naming the error and how to see the trace", () => {
    const r = dita(["run", "gamut-exit", "--kernel", corrupt()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/internal error: .*\(--verbose or DITA_DEBUG=1 shows the stack trace\)/);
    noStack(r.stderr);
  });
  it("with --verbose, and with DITA_DEBUG=1: the stack trace (an input error's, which has frames; the internal error's without the hint)", () => {
    const file = scenarioFile("slot-neg-verbose", (s) => (enter(s).slotId = -1));
    expect(dita(["run", "--file", file, "--verbose"]).stderr).toMatch(/^\s+at .+:\d+/m);
    expect(dita(["run", "--file", file], { DITA_DEBUG: "1" }).stderr).toMatch(/^\s+at .+:\d+/m);
    const internal = dita(["run", "gamut-exit", "--kernel", corrupt(), "--verbose"]);
    expect(internal.stderr).toContain("internal error: CompileError");
    expect(internal.stderr).not.toContain("shows the stack trace");
  });
});

describe("help, seed ranges, pipes", () => {
  it("`dita help run` prints the run help and exits 0 (was: exit 2)", () => {
    const r = dita(["help", "run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--seed <n>");
  });
  it("chaos --from 4294967295 --seeds 2 is refused like run --seed 4294967296 (was: ran seed 2^32)", () => {
    const r = dita(["chaos", "--from", "4294967295", "--seeds", "2", "--json"]);
    expect(r.code).toBe(2);
    expect((JSON.parse(r.stdout) as { error: { message: string } }).error.message).toContain("the last seed 4294967296 is above 4294967295");
    expect(dita(["run", "gamut-exit", "--seed", "4294967296"]).code).toBe(2);
  });
  it("`dita list --json | head -c 20` ends quietly (no EPIPE stack trace)", () => {
    const r = spawnSync("bash", ["-c", `set -o pipefail; "${process.execPath}" "${BIN}" list --json | head -c 20 >/dev/null; echo "rc=\${PIPESTATUS[0]}" >&2`], {
      encoding: "utf8",
      env: { ...process.env, DITA_REPORTS_DIR: REPORTS },
      timeout: 60_000,
    });
    expect(r.stderr.trim()).toBe("rc=0");
  });
});

/** Spawn dita, send SIGINT after `afterMs`, resolve with exit code / signal / output. */
function interruptAfter(args: string[], afterMs: number): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd: tmp, env: { ...process.env, DITA_REPORTS_DIR: REPORTS, DITA_NO_PROGRESS: "1" } });
    let stdout = "";
    let stderr = "";
    c.stdout.on("data", (d) => (stdout += d));
    c.stderr.on("data", (d) => (stderr += d));
    const t = setTimeout(() => c.kill("SIGINT"), afterMs);
    c.on("exit", (code, signal) => {
      clearTimeout(t);
      resolveRun({ code, signal, stdout, stderr });
    });
  });
}

describe("SIGINT", () => {
  it("chaos: prints its JSON for the seeds done with interrupted: true and exits 130 (was: no JSON)", async () => {
    const r = await interruptAfter(["chaos", "--seeds", "500", "--json"], 8_000);
    expect(r.code).toBe(130);
    const doc = JSON.parse(r.stdout) as { interrupted: boolean; runs: number; requested: number };
    expect(doc.interrupted).toBe(true);
    expect(doc.requested).toBe(500);
    expect(doc.runs).toBeLessThan(500);
    expect(r.stderr).toContain("interrupted");
  }, 120_000);
  it("run: ends by the signal, leaving no half-written report under the run's name; the next run sweeps the staging folder", async () => {
    const root = join(REPORTS);
    // A 48 h random run (sim/fixtures/soak.ts): still running when the signal comes (a chaos run
    // now ends within the 4 s).
    const file = join(tmp, "long-run.json");
    writeFileSync(file, JSON.stringify(randomScenario("long-run", 48, {})));
    const r = await interruptAfter(["run", "--file", file, "--seed", "11"], 4_000);
    expect(r.signal === "SIGINT" || r.code === 130).toBe(true);
    expect(readdirSync(root).filter((n) => n.startsWith("long-run-seed11"))).toEqual([]);
    const done = dita(["run", "gamut-exit", "--seed", "2"]);
    expect(done.code).toBe(0);
    expect(readdirSync(root).filter((n) => n.startsWith(".staging-"))).toEqual([]);
  }, 120_000);
});

const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;
describe.skipIf(!hasScript)("SIGINT on a terminal (util-linux script gives chaos a pty)", () => {
  it("Ctrl-C during chaos with a progress bar: cursor shown and line wrap on again, the finished seeds printed, exit 130", async () => {
    const r = await new Promise<{ code: number | null; out: string }>((res) => {
      const c = spawn("script", ["-qec", `"${process.execPath}" "${BIN}" chaos --seeds 300`, "/dev/null"], { cwd: tmp, env: { ...process.env, DITA_REPORTS_DIR: REPORTS } });
      let out = "";
      c.stdout.on("data", (d) => (out += d));
      const t = setTimeout(() => c.stdin.write("\x03"), 8_000); // the terminal's Ctrl-C
      c.on("exit", (code) => {
        clearTimeout(t);
        res({ code, out });
      });
    });
    expect(r.code).toBe(130);
    expect(r.out).toContain("\x1b[?25l"); // the bar hid the cursor …
    const afterInterrupt = r.out.slice(r.out.indexOf("^C"));
    expect(afterInterrupt).toContain("\x1b[?25h\x1b[?7h"); // … and it is shown again, wrap on
    expect(r.out).toMatch(/chaos: \d+ seeds from 1 \(interrupted after \d+ of 300\)/);
  }, 120_000);
});

describe("report folders: one per scenario file, written whole", () => {
  it("two runs of the same scenario name from different files at once each print the path of their own report", async () => {
    const pass = scenarioFile("same-name-pass", () => {});
    const fail = scenarioFile("same-name-fail", (s) => (s.expect.trades[0].realizedGrossUsdt = "5990.90"));
    const go = (file: string) =>
      new Promise<{ code: number | null; doc: { ok: boolean; report: string } }>((res) => {
        const c = spawn(process.execPath, [BIN, "run", "--file", file, "--json"], { cwd: tmp, env: { ...process.env, DITA_REPORTS_DIR: REPORTS } });
        let out = "";
        c.stdout.on("data", (d) => (out += d));
        c.on("exit", (code) => res({ code, doc: JSON.parse(out) }));
      });
    const [a, b] = await Promise.all([go(pass), go(fail)]);
    expect([a.code, b.code]).toEqual([0, 1]);
    expect(a.doc.report).not.toBe(b.doc.report);
    for (const x of [a, b]) {
      const summary = JSON.parse(readFileSync(join(x.doc.report, "summary.json"), "utf8")) as { ok: boolean };
      expect(summary.ok).toBe(x.doc.ok);
      expect(readFileSync(join(x.doc.report, "index.html"), "utf8")).toContain(`data-ok="${x.doc.ok}"`);
      expect(existsSync(join(x.doc.report, "scenario.json"))).toBe(true);
    }
  }, 120_000);
});

describe("terminal failure output", () => {
  it("a failed run prints the repro first, the whole detail, slot, trade, time, trace rows and diagnostics; --json has the same", () => {
    const file = scenarioFile("fails", (s) => (s.expect.trades[0].realizedGrossUsdt = "5990.90"));
    const r = dita(["run", "--file", file, "--seed", "3"]);
    expect(r.code).toBe(1);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^FAIL {2}fet-round-trip-file {2}seed 3/);
    expect(lines[1]).toMatch(/^reproduce: npx dita run --file \/.*\/scenario\.json --seed 3$/);
    expect(r.stdout).toContain("FAILED expectation expect.trade[fet-1].realizedGrossUsdt");
    expect(r.stdout).toMatch(/- slot 0 · trade fet-1 · FET-USDT · \+70\.\d+ s · trace rows \d+/);
    expect(r.stdout).toMatch(/diagnostics: \d+ kernel call\(s\) answered other than OK|diagnostics: none/);
    const j = dita(["run", "--file", file, "--seed", "3", "--json"]);
    const doc = JSON.parse(j.stdout) as { repro: string; failures: { name: string; evidence: { slotId: number; tradeId: string; tSinceStartS: number; traceSeq: number[] }[] }[] };
    expect(doc.repro).toMatch(/^npx dita run --file \/.*\/scenario\.json --seed 3$/);
    expect(doc.failures[0].evidence[0]).toMatchObject({ slotId: 0, tradeId: "fet-1" });
    expect(doc.failures[0].evidence[0].tSinceStartS).toBeCloseTo(70, 0);
    expect(doc.failures[0].evidence[0].traceSeq.length).toBeGreaterThan(0);
  });
  it("details are never cut at 60 characters", () => {
    const file = scenarioFile("long-detail", (s) => (s.expect.trades[0].realizedGrossUsdt = "5990.901234567890123456789012345678901234567890123456789"));
    const r = dita(["run", "--file", file]);
    expect(r.stdout).toContain("expected 5990.901234567890123456789012345678901234567890123456789, got 242.7312");
  });
});

describe("chaos under a flaw mutant: a report per failing seed and a summary page", () => {
  it("mutant_leverage_pnl (FET trio 2) under chaos seed 1: dual-leverage fails; the seed's report and the summary page name seed, invariant, fault mix, repro", async () => {
    const { ensureMutantWasm } = await import("../scenarios/mutants.js");
    const wasm = ensureMutantWasm("mutant_leverage_pnl"); // built once, cached under kernel/pkg/mutants/
    const r = dita(["chaos", "--kernel", wasm, "--seeds", "1", "--from", "1", "--json"]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { failures: { seed: number; invariant: string; repro: string; report: string }[]; report: string };
    const f = doc.failures.find((x) => x.invariant === "dual-leverage");
    expect(f?.seed).toBe(1);
    expect(f?.repro).toBe(`npx dita run chaos --seed 1 --kernel ${wasm}`);
    const seedPage = readFileSync(join(f!.report, "index.html"), "utf8");
    expect(seedPage).toContain('data-ok="false"');
    expect(seedPage).toMatch(/<h3>invariant dual-leverage — FAILED<\/h3>/);
    expect(seedPage).toMatch(/<a href="#trade-[^"]+">trade /);
    const summary = readFileSync(join(doc.report, "index.html"), "utf8");
    const row = /<table id="failures">[\s\S]*?<\/table>/.exec(summary)?.[0] ?? "";
    expect(row).toContain('<a href="runs/chaos-seed1/index.html">1</a>');
    expect(row).toContain("<b>dual-leverage</b>");
    expect(row).toContain(`npx dita run chaos --seed 1 --kernel ${wasm}`);
    expect(row).toMatch(/<code>\{&quot;/); // the fault mix
  }, 600_000);
});
