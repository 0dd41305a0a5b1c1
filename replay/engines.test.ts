/**
 * `--arrow`, embedded ClickHouse (chdb) and an HTTP ClickHouse endpoint give byte-identical
 * `dita replay --json` documents (issue 13 "Done when"). The HTTP endpoint is a real ClickHouse
 * engine: chdb served over the ClickHouse HTTP protocol on loopback (replay/testing/
 * chdb-http-server.ts; Debian's clickhouse-server of 2018 lacks query parameters), queried by
 * `@clickhouse/client`. chdb crashes inside worker threads: this file runs in a forked process
 * (vitest.config.ts pool "forks"), with one chdb session open at a time.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { historyLoadCommand, replayCommand } from "./command.js";
import { FET_INCIDENT_ARROW } from "./datasets/fet-incident.js";
import { startChdbHttpServer, type ChdbHttpServer } from "./testing/chdb-http-server.js";
import { exportRunHistory } from "./command.js";
import { getScenario } from "../scenarios/index.js";
import { kernelConfigFor, runScenario } from "../sim/run.js";
import { UsageError } from "../cli/errors.js";
import { ChdbMissingError, loadChdb } from "./clickhouse.js";

// chdb is installed by .ci/run (`npm run install:chdb`); in CI its absence fails these tests, on a
// developer machine without it they are skipped with the reason.
const chdbMissing = await loadChdb().then(
  () => false,
  (e: unknown) => {
    if (e instanceof ChdbMissingError && process.env.CI !== "true") return true;
    throw e;
  },
);

const dir = mkdtempSync(join(tmpdir(), "dita-engines-"));
let server: ChdbHttpServer | undefined;
afterAll(async () => {
  await server?.stop();
});

async function replayJson(o: Parameters<typeof replayCommand>[0]): Promise<{ code: number; json: string }> {
  const r = await replayCommand({ ...o, out: join(dir, "report") });
  return { code: r.code, json: JSON.stringify(r.doc, null, 2) };
}

describe.skipIf(chdbMissing)("replay engines give byte-identical --json (needs chdb: npm run install:chdb)", () => {
  it("FET incident and a restart scenario: Arrow = embedded chdb = ClickHouse over HTTP (chdb served on loopback)", async () => {
    const trace = join(dir, "restart.trace.arrow");
    const sc = getScenario("gamut-restart-in-exit-working")!;
    const run = await runScenario(sc, { seed: 1, traceFile: trace, checkDeterminism: false });
    const hist = join(dir, "restart.history.arrow");
    await exportRunHistory(trace, hist, "gamut-restart-in-exit-working-seed1", kernelConfigFor(sc), run.final);

    const files = [FET_INCIDENT_ARROW, hist];
    const arrow = await Promise.all(files.map((f) => replayJson({ arrow: f })));
    expect(arrow.map((a) => a.code)).toEqual([1, 0]);

    const chdbPath = join(dir, "chdb");
    for (const f of files) await historyLoadCommand(f, { clickhouse: true, chdbPath });
    const embedded = [
      await replayJson({ clickhouse: true, chdbPath, run: "fet-incident-2026-06-11" }),
      await replayJson({ clickhouse: true, chdbPath, run: "gamut-restart-in-exit-working-seed1" }),
    ];
    expect(embedded.map((e) => e.json)).toEqual(arrow.map((a) => a.json));

    server = await startChdbHttpServer(join(dir, "chdb-http"));
    try {
      for (const f of files) await historyLoadCommand(f, { clickhouse: server.url, table: "db_history" });
      const http = [
        await replayJson({ clickhouse: server.url, table: "db_history", run: "fet-incident-2026-06-11" }),
        await replayJson({ clickhouse: server.url, table: "db_history", run: "gamut-restart-in-exit-working-seed1" }),
      ];
      expect(http.map((e) => e.json)).toEqual(arrow.map((a) => a.json));
      // the HTTP path really went through the server, with the run id bound as a parameter
      expect(server.queries.some((q) => q.includes("{run:String}"))).toBe(true);
      expect(server.queries.some((q) => q.includes("fet-incident-2026-06-11"))).toBe(false);
    } finally {
      await server.stop();
      server = undefined;
    }
  });

  it("a table with several runs needs --run (exit 2 naming it)", async () => {
    const chdbPath = join(dir, "chdb");
    await expect(replayCommand({ clickhouse: true, chdbPath, out: join(dir, "x") })).rejects.toThrow(UsageError);
    await expect(replayCommand({ clickhouse: true, chdbPath, out: join(dir, "x") })).rejects.toThrow(/--run/);
  });
});
