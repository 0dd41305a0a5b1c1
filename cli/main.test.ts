import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./modules.js";
import { RUN_RESOURCE_LIMITS } from "./heap-policy.js";

const tmp = mkdtempSync(join(tmpdir(), "dita-cli-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Run the real `dita` bin (the one `npx dita` runs) with reports in a temp folder. */
function dita(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, "bin", "dita.mjs"), ...args], {
    cwd: tmp,
    encoding: "utf8",
    env: { ...process.env, DITA_REPORTS_DIR: join(tmp, "reports"), DITA_NO_PROGRESS: "1" },
    timeout: 110_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** stdout must be exactly one JSON document (docs/architecture.md §The `dita` command). */
function oneJson(stdout: string): unknown {
  expect(stdout.trim().length).toBeGreaterThan(0);
  return JSON.parse(stdout); // throws on anything but one document
}

describe("dita: usage errors exit 2 with a message naming the problem", () => {
  it("unknown option: exit 2; with --json stdout is one JSON error document", () => {
    const r = dita("list", "--bogus", "--json");
    expect(r.code).toBe(2);
    expect(oneJson(r.stdout)).toEqual({ ok: false, error: { kind: "usage", message: "unknown option '--bogus'" } });
    expect(r.stderr).toContain("unknown option '--bogus'");
  });
  it("unknown option without --json: exit 2, nothing on stdout", () => {
    const r = dita("chaos", "--nope");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
  });
  it("bad seed value: exit 2 naming the value", () => {
    const r = dita("run", "gamut-exit", "--seed", "-3", "--json");
    expect(r.code).toBe(2);
    expect((oneJson(r.stdout) as { error: { message: string } }).error.message).toMatch(/seed must be a non-negative integer, got "-3"/);
  });
  it("bad --seeds count: exit 2", () => {
    const r = dita("chaos", "--seeds", "0");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/must be a positive integer, got "0"/);
  });
  it("unknown command and missing command: exit 2", () => {
    expect(dita("frobnicate").code).toBe(2);
    const none = dita();
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("missing command");
  });
  it("--help exits 0 and shows examples", () => {
    const r = dita("run", "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Examples:");
    expect(r.stdout).toContain("--seed <n>");
  });
  it("unknown scenario name: exit 2 naming it", () => {
    const r = dita("run", "no-such-scenario", "--json");
    expect(r.code).toBe(2);
    expect((oneJson(r.stdout) as { error: { message: string } }).error.message).toContain('unknown scenario "no-such-scenario"');
  });
  it("malformed scenario file: exit 2 naming the field and value", () => {
    const file = join(tmp, "bad-scenario.json");
    const good = JSON.parse(readFileSync(join(REPO_ROOT, "scenarios", "library", "json", "fet-round-trip.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...good, durationUs: "ten" }));
    const r = dita("run", "--file", file, "--json");
    expect(r.code).toBe(2);
    const msg = (oneJson(r.stdout) as { error: { message: string } }).error.message;
    expect(msg).toContain("durationUs");
    expect(msg).toContain('"ten"');
  });
  it("missing scenario file and a file that is not JSON: exit 2", () => {
    expect(dita("run", "--file", join(tmp, "absent.json")).stderr).toContain("no such file");
    const notJson = join(tmp, "not.json");
    writeFileSync(notJson, "{ nope");
    const r = dita("run", "--file", notJson);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(notJson);
  });
});

describe("dita list", () => {
  it("--json prints [{name, tags, description}] and exits 0", () => {
    const r = dita("list", "--json");
    expect(r.code).toBe(0);
    const list = oneJson(r.stdout) as { name: string; tags: string[]; description: string }[];
    expect(list.length).toBeGreaterThan(10);
    for (const s of list) {
      expect(typeof s.name).toBe("string");
      expect(Array.isArray(s.tags)).toBe(true);
      expect(typeof s.description).toBe("string");
    }
    expect(new Set(list.map((s) => s.name)).size).toBe(list.length);
  });
});

describe("dita run (determinism, docs/architecture.md §Ledger invariants 12)", () => {
  it("run gamut-exit --seed 7 --json twice gives the same traceHash, exit 0, and writes the report", () => {
    const a = dita("run", "gamut-exit", "--seed", "7", "--json");
    const b = dita("run", "gamut-exit", "--seed", "7", "--json");
    expect(a.stderr).not.toContain("internal error");
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const ra = oneJson(a.stdout) as { traceHash: string; ok: boolean; report: string; invariants: { name: string; ok: boolean }[]; seed: number; scenario: string };
    const rb = oneJson(b.stdout) as { traceHash: string };
    expect(ra.traceHash).toMatch(/^[0-9a-f]{64}$/);
    expect(rb.traceHash).toBe(ra.traceHash);
    expect(ra.scenario).toBe("gamut-exit");
    expect(ra.seed).toBe(7);
    expect(ra.invariants.length).toBeGreaterThanOrEqual(12);
    expect(ra.report).toBe(join(tmp, "reports", "gamut-exit-seed7"));
    for (const f of ["index.html", "summary.json", "trace.arrow"]) expect(existsSync(join(ra.report, f))).toBe(true);
    // The run executes on a worker thread with the capped young generation (cli/heap-policy.ts).
    const mem = (ra as unknown as { memory: { peakRssMb: number; youngGenerationMb: number | null } }).memory;
    expect(mem.youngGenerationMb).toBe(RUN_RESOURCE_LIMITS.maxYoungGenerationSizeMb);
    expect(mem.peakRssMb).toBeGreaterThan(0);
    expect(a.stdout).not.toContain("peak RSS"); // --json: one JSON document only
  });
});
