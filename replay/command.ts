/**
 * The `dita` subcommands of historical replay (docs/history-schema.md):
 * - `dita replay --arrow F | --clickhouse [URL]` → `{ok, runId, rows, codes, trades, ledger,
 *   anomalies, divergences, balances, report}`; exit 0 no divergence, 1 divergences, 2 bad history;
 * - `dita history load F.arrow --clickhouse [URL]` → creates the table and loads the file;
 * - `dita run … --history F` (exportRunHistory) → the run's kernel inputs as history rows.
 * The JSON document is the same bytes whatever the engine (Arrow, embedded chdb, HTTP).
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { KernelConfig, KernelSnapshot } from "../kernel/types.js";
import { loadKernel, type KernelModule } from "../kernel/index.js";
import { EXIT_CHECK_FAILED, EXIT_OK, UsageError } from "../cli/errors.js";
import { log, startProgress } from "../cli/io.js";
import { REPO_ROOT } from "../cli/modules.js";
import { readHistoryArrow } from "./arrow-source.js";
import { ChdbMissingError, DEFAULT_TABLE, chooseRun, openEmbedded, openHttp, type HistoryStore } from "./clickhouse.js";
import { replayRows, type ReplayResult } from "./engine.js";
import { historyFromTrace, readTraceArrow } from "./export-run.js";
import { writeReplayReport } from "./report.js";
import { HistoryArrowWriter, HistoryError, type HistoryRow } from "./schema.js";

/** What a subcommand returns (cli/commands.ts CommandOutput). */
export interface ReplayCommandOutput {
  code: number;
  doc: unknown;
  text: string;
}

/** Options of `dita replay`. */
export interface ReplayOptions {
  arrow?: string;
  /** true = embedded chdb; a string = http(s) URL. */
  clickhouse?: string | boolean;
  table?: string;
  run?: string;
  out?: string;
  chdbPath?: string;
}

/** Where embedded ClickHouse keeps its data: $DITA_CHDB_PATH, else <repo>/.dita/chdb. */
export function defaultChdbPath(): string {
  return resolve(process.env.DITA_CHDB_PATH ?? join(REPO_ROOT, ".dita", "chdb"));
}

/** Open the ClickHouse engine named by `--clickhouse [URL]`. @throws UsageError when chdb is absent. */
export async function openStore(clickhouse: string | true, chdbPath?: string): Promise<HistoryStore> {
  try {
    if (clickhouse === true) return await openEmbedded(chdbPath ?? defaultChdbPath());
    return await openHttp(clickhouse);
  } catch (e) {
    if (e instanceof ChdbMissingError || e instanceof HistoryError) throw new UsageError(e.message);
    throw e;
  }
}

let kernelPromise: Promise<KernelModule> | undefined;
function kernel(): Promise<KernelModule> {
  kernelPromise ??= loadKernel();
  return kernelPromise;
}

/** A path-safe form of a run id. */
function safeId(runId: string): string {
  return runId.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_") || "run";
}

/** The JSON document of a replay (same bytes for every engine). */
export function replayDoc(r: ReplayResult, report: string): Record<string, unknown> {
  return {
    ok: r.ok,
    runId: r.runId,
    rows: r.rows,
    codes: r.codes,
    trades: r.trades,
    ledger: r.ledger,
    anomalies: r.anomalies,
    divergences: r.divergences,
    balances: r.balances,
    report,
  };
}

/** The per-leg table: production booked vs kernel vs exchange. */
export function replayText(r: ReplayResult, report: string): string {
  const lines = [`${r.ok ? "NO DIVERGENCE" : `${r.divergences.length} DIVERGENCES`}  run ${r.runId}: ${r.rows.read} rows, ${r.rows.fed} fed, ${r.rows.compared} compared, ${r.rows.duplicates} duplicates dropped`, ""];
  const pad = (s: string | null, n: number) => (s ?? "—").padEnd(n);
  lines.push(`${pad("trade / leg", 34)}${pad("production booked", 20)}${pad("kernel", 20)}${pad("exchange", 20)}`);
  for (const t of r.trades) {
    lines.push(`${pad(t.tradeId, 34)}${pad(t.bookedUsdt, 20)}${pad(t.kernelUsdt, 20)}${pad(t.exchangeUsdt, 20)}${t.pnlSource}${t.flags.length ? ` [${t.flags.join(",")}]` : ""}`);
    for (const l of t.legs) lines.push(`${pad(`  leg ${l.legIndex} (${l.quantity})`, 34)}${pad(l.bookedUsdt, 20)}${pad(l.kernelUsdt, 20)}${pad(l.exchangeUsdt, 20)}${l.note ?? ""}`);
  }
  if (r.divergences.length) {
    lines.push("", "divergences:");
    for (const d of r.divergences.slice(0, 40)) lines.push(`  seq ${d.seq} ${d.kind}: ${d.detail}`);
    if (r.divergences.length > 40) lines.push(`  … ${r.divergences.length - 40} more (see --json / the report)`);
  }
  const last = r.balances[r.balances.length - 1];
  lines.push("", `capital ${r.ledger.capitalUsdt} USDT (${r.ledger.capitalSource}); ${r.balances.length} BALANCE rows${last?.driftUsdt ? `, last drift kernel − wallet ${last.driftUsdt}` : ""}; ${r.anomalies.length} kernel anomalies`);
  lines.push(`report: ${report}`);
  return lines.join("\n");
}

/** `dita replay`. @throws UsageError (exit 2) for bad usage or bad history. */
export async function replayCommand(o: ReplayOptions): Promise<ReplayCommandOutput> {
  const engines = (o.arrow !== undefined ? 1 : 0) + (o.clickhouse !== undefined && o.clickhouse !== false ? 1 : 0);
  if (engines !== 1) throw new UsageError("replay needs exactly one source: --arrow F.arrow, --clickhouse (embedded chdb) or --clickhouse http(s)://host:8123");
  const mod = await kernel();
  let store: HistoryStore | undefined;
  let title: string;
  let batches: AsyncIterable<Iterable<HistoryRow>>;
  if (o.arrow !== undefined) {
    title = o.arrow;
    batches = readHistoryArrow(resolve(o.arrow));
  } else {
    store = await openStore(o.clickhouse as string | true, o.chdbPath);
    const table = o.table ?? DEFAULT_TABLE;
    const runId = await chooseRun(store, table, o.run).catch((e: unknown) => {
      throw e instanceof HistoryError ? new UsageError(e.message) : e;
    });
    title = `${table} run ${runId}`;
    log(`replaying ${title} from ${store.describe}`);
    batches = store.stream(table, runId);
  }
  const bar = startProgress("replay rows", 1);
  let r: ReplayResult;
  try {
    r = await replayRows(mod, batches, (n) => bar.update(n, n + 1));
  } catch (e) {
    if (e instanceof HistoryError) throw new UsageError(e.message);
    throw e;
  } finally {
    bar.stop();
    await store?.close();
  }
  if (o.run !== undefined && o.arrow !== undefined && r.runId !== o.run) throw new UsageError(`--run ${o.run}: the file holds run ${r.runId}`);
  const dir = resolve(o.out ?? join(process.env.DITA_REPORTS_DIR ?? join(REPO_ROOT, "reports"), `replay-${safeId(r.runId)}`));
  const report = join(dir, "index.html");
  const doc = replayDoc(r, report);
  writeReplayReport(r, doc, dir, title);
  return { code: r.ok ? EXIT_OK : EXIT_CHECK_FAILED, doc, text: replayText(r, report) };
}

/** `dita history load F.arrow --clickhouse [URL]`: create the table, load every row of the file. */
export async function historyLoadCommand(file: string, o: { clickhouse?: string | boolean; table?: string; chdbPath?: string }): Promise<ReplayCommandOutput> {
  if (o.clickhouse === undefined || o.clickhouse === false) throw new UsageError("history load needs --clickhouse (embedded chdb) or --clickhouse http(s)://host:8123");
  const table = o.table ?? DEFAULT_TABLE;
  const store = await openStore(o.clickhouse as string | true, o.chdbPath);
  let rows = 0;
  const runs = new Set<string>();
  try {
    await store.createTable(table);
    for await (const lazy of readHistoryArrow(resolve(file))) {
      const batch = [...lazy];
      for (const r of batch) runs.add(r.run_id);
      await store.insert(table, batch);
      rows += batch.length;
    }
  } catch (e) {
    if (e instanceof HistoryError) throw new UsageError(`${file}: ${e.message} (rows before it may already be loaded)`);
    throw e;
  } finally {
    await store.close();
  }
  const doc = { ok: true, table, rows, runs: [...runs].sort(), engine: o.clickhouse === true ? "chdb" : "http" };
  return { code: EXIT_OK, doc, text: `loaded ${rows} rows (${doc.runs.join(", ")}) into ${table} (${store.describe})` };
}

/**
 * Write the history of a finished run (`dita run … --history F`): its trace file's kernel inputs
 * plus its final books (replay/export-run.ts). Returns the number of rows written.
 */
export async function exportRunHistory(traceFile: string, out: string, runId: string, config: KernelConfig, final: KernelSnapshot): Promise<number> {
  const w = new HistoryArrowWriter(resolve(out));
  for await (const row of historyFromTrace(readTraceArrow(traceFile), { runId, config, final })) w.write(row);
  await w.close();
  return w.count;
}

/**
 * `dita bench --replay [--quick]`: the replay bench (replay/bench.ts): 100,000 rows through each
 * engine and a 1,000,000-row Arrow replay's peak RSS (--quick: 10,000 and 100,000). Exit 1 when a
 * target or a correctness check (no divergence, zero drift) fails.
 */
export async function replayBenchCommand(o: { quick: boolean; host: unknown }): Promise<ReplayCommandOutput> {
  const { runReplayBench } = await import("./bench.js");
  const rows = o.quick ? 10_000 : 100_000;
  const rssRows = o.quick ? 100_000 : 1_000_000;
  const r = await runReplayBench({ rows, rssRows, log });
  const doc = { host: o.host, budget: o.quick ? "quick" : "full", replay: r };
  const lines = [
    `replay bench: ${rows} rows per engine (target ≤ ${r.targets.maxReplaySec} s at 100,000 rows); ${rssRows}-row Arrow replay peak RSS (target ≤ ${r.targets.maxPeakRssMb} MB at 1,000,000)`,
    ...r.engines.map((e) => `  ${e.engine.padEnd(6)} ${(e.replayMs / 1000).toFixed(1)} s wall, ${(e.cpuMs / 1000).toFixed(1)} s CPU, ${e.rowsPerSec} rows/s${e.loadMs === undefined ? "" : `, load ${(e.loadMs / 1000).toFixed(1)} s`}, divergences ${e.divergences}, last drift ${e.lastDriftUsdt}`),
    r.rss ? `  rss    ${r.rss.rows} rows: peak ${r.rss.peakRssMb} MB, ${(r.rss.replayMs / 1000).toFixed(1)} s wall, ${(r.rss.cpuMs / 1000).toFixed(1)} s CPU` : "",
    r.ok ? "PASS" : "FAIL",
  ];
  return { code: r.ok ? EXIT_OK : EXIT_CHECK_FAILED, doc, text: lines.join("\n") };
}

/** Options of `dita import bingx`. */
export interface ImportBingxOptions {
  config: string;
  out: string;
  run: string;
  orders?: string;
  fills?: string;
  income?: string;
  intents?: string;
  startWallet?: string;
}

/**
 * `dita import bingx`: the exchange's exports (+ the bot's decision rows) → a history Arrow file
 * (replay/import-bingx.ts). Exit 2 naming the file, row and field for a bad export.
 */
export async function importBingxCommand(o: ImportBingxOptions): Promise<ReplayCommandOutput> {
  const { importBingx, ImportError } = await import("./import-bingx.js");
  if (!o.orders && !o.fills && !o.income) throw new UsageError("import bingx needs at least one export: --orders, --fills or --income");
  let config: KernelConfig;
  try {
    config = JSON.parse(readFileSync(resolve(o.config), "utf8")) as KernelConfig;
  } catch (e) {
    throw new UsageError(`--config ${o.config}: ${(e as Error).message}`);
  }
  let res: ReturnType<typeof importBingx>;
  try {
    res = importBingx({ runId: o.run, config, orders: o.orders, fills: o.fills, income: o.income, intents: o.intents, startWalletUsdt: o.startWallet });
  } catch (e) {
    if (e instanceof ImportError || e instanceof HistoryError) throw new UsageError(e.message);
    throw e;
  }
  const w = new HistoryArrowWriter(resolve(o.out));
  try {
    for (const r of res.rows) w.write(r);
  } catch (e) {
    if (e instanceof HistoryError) throw new UsageError(`${o.out}: ${e.message}`);
    throw e;
  } finally {
    await w.close();
  }
  const doc = { ok: true, out: resolve(o.out), runId: o.run, rows: w.count, counts: res.counts, skipped: res.skipped };
  const text = [
    `wrote ${w.count} history rows (run ${o.run}) to ${resolve(o.out)}`,
    ...Object.entries(res.counts).map(([k, n]) => `  ${k.padEnd(14)} ${n}`),
    ...Object.entries(res.skipped).map(([k, n]) => `  not imported: ${n} × ${k}`),
    `replay it: npx dita replay --arrow ${o.out}`,
  ].join("\n");
  return { code: EXIT_OK, doc, text };
}
