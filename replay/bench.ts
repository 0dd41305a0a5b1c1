/**
 * Replay benchmark (`dita bench --replay`): wall time of a replay of N synthetic history rows
 * through each engine (Arrow file, embedded chdb, ClickHouse over HTTP — chdb served on loopback,
 * replay/testing/chdb-http-server.ts), and the peak RSS of a large Arrow replay measured in a
 * child process (replay/bench-rss.ts). Targets (issue 13): 100,000 rows ≤ 15 s per engine; a
 * 1,000,000-row Arrow replay with peak RSS ≤ 300 MB. Wall-clock timing lives here only.
 *
 * The synthetic history: round trips on 10 slots (INTENT ENTER with its recorded order,
 * ORDER_ACK, FULL_FILL, MARK, INTENT EXIT with its recorded order, ORDER_ACK, FULL_FILL,
 * FILL_SETTLED), a BALANCE every 100 trades at the exact expected wallet, so a correct replay has
 * no divergence and zero drift (the bench checks both). Recorded client order ids follow the
 * kernel's derivation (kernel/src/kernel.rs: `d2-<trade>-e1`, `d2-<trade>-x<leg>`); were it to
 * change, the replay would report COMMAND_DIVERGENCE and the bench would fail, not hide it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadKernel } from "../kernel/index.js";
import { Dec } from "../sim/num.js";
import { REPO_ROOT } from "../cli/modules.js";
import { readHistoryArrow } from "./arrow-source.js";
import { openEmbedded, openHttp, type HistoryStore } from "./clickhouse.js";
import { replayRows, type ReplayResult } from "./engine.js";
import { configRow } from "./export-run.js";
import { HistoryArrowWriter, emptyRow, type HistoryRow } from "./schema.js";
import { startChdbHttpServer } from "./testing/chdb-http-server.js";

const SYMBOL = "FET-USDT";
const RUN = "bench";
const T0 = 1781186400000000;

/**
 * Write `n` synthetic history rows (plus the CONFIG row) to `path`, streaming.
 * @returns rows written.
 */
export async function writeSyntheticHistory(path: string, n: number): Promise<number> {
  const w = new HistoryArrowWriter(path);
  w.write(configRow(RUN, T0, "bench", { slotCount: 10, initialCapitalUsdt: "100000", instruments: [{ symbol: SYMBOL, tickSize: "0.0001", stepSize: "1", minQty: "1" }] }));
  let seq = 1;
  let t = T0;
  let wallet = new Dec("100000");
  const row = (kind: HistoryRow["kind"]): HistoryRow => emptyRow(RUN, seq++, (t += 1000), kind, "bench");
  w.write({ ...row("BALANCE"), event_id: "bal-0", wallet_usdt: wallet.toFixed(), available_usdt: wallet.toFixed() });
  for (let i = 0; w.count < n; i++) {
    const slot = i % 10;
    const tid = `t${i}`;
    const entryPrice = new Dec(0.18 + (i % 97) / 10000).toFixed(4);
    const exitPrice = new Dec(entryPrice).plus(((i % 7) - 3) / 10000).toFixed(4);
    const rp = new Dec(100).mul(new Dec(exitPrice).minus(entryPrice)).toFixed();
    const fee = "0.009";
    const enter = { kind: "ENTER", intentId: `e${i}`, tsUs: t + 1000, slotId: slot, tradeId: tid, symbol: SYMBOL, side: "LONG", quantity: "100", orderType: "MARKET", leverage: 2 };
    w.write({ ...row("INTENT"), intent_id: enter.intentId, slot_id: slot, trade_id: tid, symbol: SYMBOL, payload: JSON.stringify(enter), client_order_id: `d2-${tid}-e1`, side: "BUY", order_type: "MARKET", qty: "100" });
    const eid = String(1_900_000_000_000_000_000n + BigInt(2 * i));
    const xid = String(1_900_000_000_000_000_000n + BigInt(2 * i + 1));
    w.write({ ...row("ORDER_ACK"), event_id: `ack-${eid}`, symbol: SYMBOL, venue_order_id: eid, client_order_id: `d2-${tid}-e1` });
    w.write({ ...row("FULL_FILL"), event_id: `fill-${eid}`, symbol: SYMBOL, venue_order_id: eid, qty: "100", price: entryPrice, fee_usdt: fee, payload: '{"quantityMode":"INCREMENTAL","feeMode":"INCREMENTAL"}' });
    w.write({ ...row("MARK"), symbol: SYMBOL, price: exitPrice });
    const exit = { kind: "EXIT", intentId: `x${i}`, tsUs: t + 1000, slotId: slot, orderType: "MARKET" };
    w.write({ ...row("INTENT"), intent_id: exit.intentId, slot_id: slot, payload: JSON.stringify(exit), client_order_id: `d2-${tid}-x1`, side: "SELL", order_type: "MARKET", qty: "100" });
    w.write({ ...row("ORDER_ACK"), event_id: `ack-${xid}`, symbol: SYMBOL, venue_order_id: xid, client_order_id: `d2-${tid}-x1` });
    w.write({ ...row("FULL_FILL"), event_id: `fill-${xid}`, symbol: SYMBOL, venue_order_id: xid, qty: "100", price: exitPrice, fee_usdt: fee, payload: '{"quantityMode":"INCREMENTAL","feeMode":"INCREMENTAL"}' });
    w.write({ ...row("FILL_SETTLED"), event_id: `settled-${xid}`, symbol: SYMBOL, trade_id: tid, venue_order_id: xid, realized_pnl_usdt: rp, fee_usdt: fee, qty: "100" });
    wallet = wallet.plus(rp).minus(new Dec(fee).mul(2));
    if (i % 100 === 99) w.write({ ...row("BALANCE"), event_id: `bal-${i}`, wallet_usdt: wallet.toFixed(), available_usdt: wallet.toFixed() });
  }
  await w.close();
  return w.count;
}

/** One engine's figure. */
export interface EngineFigure {
  engine: "arrow" | "chdb" | "http";
  rows: number;
  /** Wall time of the replay itself (query + decode + kernel), ms. */
  replayMs: number;
  /** CPU time (user + system) of this process during the replay, ms: the figure that a busy shared machine does not inflate (for http it includes the in-process loopback server). */
  cpuMs: number;
  /** Wall time of `history load` for the ClickHouse engines, ms (not part of replayMs). */
  loadMs?: number;
  rowsPerSec: number;
  divergences: number;
  lastDriftUsdt: string | null;
}

/** The replay bench result. */
export interface ReplayBenchResult {
  rows: number;
  engines: EngineFigure[];
  /** Peak RSS of an Arrow replay of `rssRows` rows in a child process. */
  rss: { rows: number; peakRssMb: number; rssSource: string; replayMs: number; cpuMs: number; divergences: number } | null;
  targets: { maxReplaySec: number; maxPeakRssMb: number };
  ok: boolean;
}

/** Run `f`, returning its result with wall and CPU milliseconds. */
async function timed<T>(f: () => Promise<T>): Promise<{ v: T; ms: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const v = await f();
  const c = process.cpuUsage(c0);
  return { v, ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

function figure(engine: EngineFigure["engine"], r: ReplayResult, ms: number, cpuMs: number, loadMs?: number): EngineFigure {
  return {
    engine,
    rows: r.rows.read,
    replayMs: Math.round(ms),
    cpuMs: Math.round(cpuMs),
    ...(loadMs === undefined ? {} : { loadMs: Math.round(loadMs) }),
    rowsPerSec: Math.round(r.rows.read / (ms / 1000)),
    divergences: r.divergences.length,
    lastDriftUsdt: r.balances[r.balances.length - 1]?.driftUsdt ?? null,
  };
}

async function viaStore(store: HistoryStore, file: string, engine: "chdb" | "http"): Promise<EngineFigure> {
  const mod = await loadKernel();
  try {
    const t0 = performance.now();
    await store.createTable("bench_history");
    for await (const b of readHistoryArrow(file)) await store.insert("bench_history", [...b]);
    const loadMs = performance.now() - t0;
    const t = await timed(() => replayRows(mod, store.stream("bench_history", RUN)));
    return figure(engine, t.v, t.ms, t.cpuMs, loadMs);
  } finally {
    await store.close();
  }
}

/** Peak RSS of an Arrow replay of `file`, in a child process (replay/bench-rss.ts). */
export function measureRss(file: string): { peakRssMb: number; rssSource: string; replayMs: number; cpuMs: number; rows: number; divergences: number } {
  const out = spawnSync(process.execPath, ["--import", "tsx", join(REPO_ROOT, "replay", "bench-rss.ts"), file], { cwd: REPO_ROOT, encoding: "utf8", maxBuffer: 1 << 20 });
  if (out.status !== 0) throw new Error(`replay rss probe failed (exit ${out.status}): ${out.stderr.slice(-2000)}`);
  return JSON.parse(out.stdout.trim().split("\n").pop()!) as { peakRssMb: number; rssSource: string; replayMs: number; cpuMs: number; rows: number; divergences: number };
}

/**
 * Run the replay bench: `rows` rows through each engine, and a `rssRows` Arrow replay for RSS
 * (0 = skip). Temporary files are removed.
 */
export async function runReplayBench(opts: { rows: number; rssRows: number; log?: (s: string) => void }): Promise<ReplayBenchResult> {
  const say = opts.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), "dita-replay-bench-"));
  try {
    const file = join(dir, "bench.arrow");
    await writeSyntheticHistory(file, opts.rows);
    const mod = await loadKernel();
    say(`replay bench: ${opts.rows} rows through Arrow …`);
    const ta = await timed(() => replayRows(mod, readHistoryArrow(file)));
    const arrow = figure("arrow", ta.v, ta.ms, ta.cpuMs);
    say(`replay bench: embedded chdb …`);
    const chdb = await viaStore(await openEmbedded(join(dir, "chdb")), file, "chdb");
    say(`replay bench: ClickHouse over HTTP (chdb served on loopback) …`);
    const server = await startChdbHttpServer(join(dir, "chdb-http"));
    let http: EngineFigure;
    try {
      http = await viaStore(await openHttp(server.url), file, "http");
    } finally {
      await server.stop();
    }
    let rss: ReplayBenchResult["rss"] = null;
    if (opts.rssRows > 0) {
      say(`replay bench: ${opts.rssRows}-row Arrow replay for peak RSS (child process) …`);
      const big = join(dir, "big.arrow");
      await writeSyntheticHistory(big, opts.rssRows);
      rss = measureRss(big);
    }
    const targets = { maxReplaySec: 15, maxPeakRssMb: 300 };
    const engines = [arrow, chdb, http];
    const ok =
      engines.every((e) => e.divergences === 0 && e.lastDriftUsdt === "0" && (opts.rows < 100_000 || e.replayMs <= targets.maxReplaySec * 1000)) &&
      (rss === null || (rss.divergences === 0 && (opts.rssRows < 1_000_000 || rss.peakRssMb <= targets.maxPeakRssMb)));
    return { rows: opts.rows, engines, rss, targets, ok };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
