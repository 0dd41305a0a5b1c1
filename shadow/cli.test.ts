/**
 * `dita shadow` through the real CLI (bin/dita.mjs, a child process) against an in-process
 * `dita venue serve` on loopback (docs/shadow.md §refusals, §secrets):
 * - a non-VST host exits 2 before any connection (a listener on that address counts 0 connections);
 * - a group-readable credentials file exits 2;
 * - a session with a canary API key and secret: the key, the secret and every listen key the
 *   server issued appear 0 times in stdout, stderr, summary.json, index.html and trace.arrow;
 *   the simulator's trace.arrow holds no listen key either.
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tableFromIPC } from "apache-arrow";
import { REPO_ROOT } from "../cli/modules.js";
import { runScenario } from "../sim/run.js";
import { getScenario } from "../scenarios/index.js";
import { defaultServeScenario } from "./command.js";
import { startVenueServer } from "./venue-server.js";
import { systemClock } from "./system-clock.js";

const CANARY_KEY = "CANARY-APIKEY-7f3a9c2e51d04b88";
const CANARY_SECRET = "CANARY-SECRET-e6b1d7a02c9f4a37";

function dita(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO_ROOT, "bin", "dita.mjs"), ...args], { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }, timeout: 90_000 }, (err, stdout, stderr) => {
      const code = err && typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : err ? -1 : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe("dita shadow refusals (exit 2, nothing opened)", () => {
  it("a non-VST host exits 2 and opens no connection: a listener on that address sees 0 connections", async () => {
    let connections = 0;
    const listener: Server = createServer((sock) => {
      connections++;
      sock.destroy();
    });
    await new Promise<void>((res) => listener.listen(0, "127.0.0.2", () => res()));
    const port = (listener.address() as { port: number }).port;
    try {
      const env = { BINGX_API_KEY: CANARY_KEY, BINGX_SECRET_KEY: CANARY_SECRET, DITA_REPORTS_DIR: mkdtempSync(join(tmpdir(), "dita-refuse-")) };
      for (const venue of [`https://127.0.0.2:${port}`, `http://127.0.0.2:${port}`]) {
        const r = await dita(["shadow", "--venue", venue, "--duration", "5", "--json"], env);
        expect(r.code, r.stderr).toBe(2);
        expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: "usage" } });
        expect(r.stderr).toMatch(/--venue/);
      }
      const live = await dita(["shadow", "--venue", "https://open-api.bingx.com", "--duration", "5", "--json"], env);
      expect(live.code).toBe(2);
      expect(JSON.parse(live.stdout).error.message).toMatch(/not the VST host.*--real-money-i-understand/);
      expect(connections).toBe(0);
    } finally {
      listener.close();
    }
  }, 60_000);

  it("a group-readable credentials file exits 2 naming the file; the secret is not shown", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dita-cred-"));
    const f = join(dir, "keys.env");
    writeFileSync(f, `BINGX_API_KEY=${CANARY_KEY}\nBINGX_SECRET_KEY=${CANARY_SECRET}\n`);
    chmodSync(f, 0o640);
    const r = await dita(["shadow", "--venue", "http://127.0.0.1:1", "--credentials-file", f, "--json"], { DITA_REPORTS_DIR: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/mode 640 lets group or others read it/);
    expect(r.stdout + r.stderr).not.toContain(CANARY_SECRET);
  }, 30_000);
});

describe("canary key and secret appear 0 times in any output, file or report of a session", () => {
  it("a shadow session through the CLI against venue serve: stdout, stderr, summary.json, index.html, trace.arrow", async () => {
    const creds = { apiKey: CANARY_KEY, secretKey: CANARY_SECRET };
    const srv = await startVenueServer({ port: 0, seed: 9, clock: systemClock, scenario: defaultServeScenario(), credentials: creds, scheduled: { expireEveryMs: 4000 } });
    const reports = mkdtempSync(join(tmpdir(), "dita-canary-"));
    try {
      const r = await dita(["shadow", "--venue", srv.url, "--random", "--seed", "9", "--duration", "9", "--intents-per-hour", "3600", "--status-every", "2", "--json"], {
        BINGX_API_KEY: CANARY_KEY,
        BINGX_SECRET_KEY: CANARY_SECRET,
        DITA_REPORTS_DIR: reports,
      });
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as { report: string; recording: string; submits: number };
      expect(doc.submits).toBeGreaterThan(0);
      const keys = srv.stats.issuedListenKeys;
      expect(keys.length).toBeGreaterThanOrEqual(2); // setup + at least one renewal after an expiry
      const texts: [string, string][] = [["stdout", r.stdout], ["stderr", r.stderr]];
      for (const dir of readdirSync(reports)) {
        for (const f of readdirSync(join(reports, dir))) texts.push([`${dir}/${f}`, readFileSync(join(reports, dir, f)).toString("latin1")]);
      }
      expect(texts.length).toBeGreaterThanOrEqual(5);
      for (const [name, text] of texts) {
        for (const secret of [CANARY_KEY, CANARY_SECRET, ...keys]) expect(text.includes(secret), `${name} contains a secret`).toBe(false);
        expect(/signature=[0-9a-f]{16}/.test(text), `${name} contains a signature`).toBe(false);
      }
      // The recording does hold the traffic (redacted): REST_RAW and WS_RAW rows exist.
      const table = tableFromIPC(readFileSync(doc.recording));
      const kinds = new Set(table.getChild("kind")!.toArray() as string[]);
      expect(kinds.has("REST_RAW") && kinds.has("WS_RAW")).toBe(true);
      expect(texts.some(([, t]) => t.includes("<redacted:listenKey>"))).toBe(true);
    } finally {
      await srv.close();
    }
  }, 90_000);

  it("the simulator's trace.arrow holds no listen key (each is <listenKey:n>)", async () => {
    const sc = getScenario("fet-incident-market-bound-price") ?? getScenario("gamut-exit");
    expect(sc).toBeDefined();
    const file = join(mkdtempSync(join(tmpdir(), "dita-trace-")), "trace.arrow");
    await runScenario(sc!, { seed: 1, traceFile: file, checkDeterminism: false });
    const table = tableFromIPC(readFileSync(file));
    const kinds = table.getChild("kind")!.toArray() as string[];
    const bodies = table.getChild("body")!.toArray() as string[];
    const lk = bodies.filter((b, i) => kinds[i] === "venue.resp" && b.includes("listenKey"));
    expect(lk.length).toBeGreaterThan(0);
    for (const b of lk) {
      expect(b).toContain("<listenKey:0>");
      expect(/[0-9a-f]{64}/.test(b)).toBe(false);
    }
  }, 60_000);
});

describe("dita venue serve through the CLI", () => {
  it("serves on an ephemeral port, stops by itself after --duration and prints its counters; a bad --faults item exits 2 naming it", async () => {
    const env = { BINGX_API_KEY: CANARY_KEY, BINGX_SECRET_KEY: CANARY_SECRET };
    const ok = await dita(["venue", "serve", "--port", "0", "--seed", "3", "--duration", "2", "--faults", "drop:1s,dup:0.1", "--json"], env);
    expect(ok.code, ok.stderr).toBe(0);
    const doc = JSON.parse(ok.stdout) as { ok: boolean; url: string; stats: { drops: number; listenKeysIssued: number } };
    expect(doc.ok).toBe(true);
    expect(doc.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(doc.stats.drops).toBeGreaterThanOrEqual(1);
    expect(ok.stdout + ok.stderr).not.toContain(CANARY_SECRET);
    const bad = await dita(["venue", "serve", "--port", "0", "--faults", "drop:soon", "--json"], env);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error.message).toMatch(/--faults drop:soon/);
  }, 60_000);
});
