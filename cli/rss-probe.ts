/**
 * RSS growth probe (run by `dita bench` in a child process, so the measurement sees only this
 * loop): drives one WASM kernel through `trades` entry + exit round trips on one slot (ENTER →
 * ORDER_ACK → FULL_FILL → EXIT → ORDER_ACK → FULL_FILL, then re-entry on the CLOSED slot) and
 * samples process.memoryUsage().rss (raw process RSS) after a forced GC at each checkpoint.
 *
 * Usage: node --expose-gc --min-semi-space-size=16 --max-semi-space-size=16 --import tsx
 * cli/rss-probe.ts <checkpoint,...> (e.g. 100000,1000000). The flags are RSS_PROBE_NODE_FLAGS
 * (cli/rss-probe-flags.ts, which says why the young generation is pinned: unpinned, V8 doubles its
 * semi-spaces once after 200k–300k trades, a +16 MB RSS step that is not the kernel's memory); the
 * probe exits with an error naming the flag when one is missing.
 * Samples at every checkpoint and every min(checkpoints) trades in between. Prints one JSON line:
 * { samples: [{ trades, rssMb, heapUsedMb, externalMb, wasmMemoryMb, youngGenMb, wallMs }] }
 * (wasmMemoryMb: the kernel's linear memory, Kernel.memoryBytes(); youngGenMb: V8's new space,
 * physical size, constant when pinned). When the kernel refuses a step or throws, prints
 * { samples, failedAtTrade, error } and exits 1: a probe that silently stops trading would measure
 * nothing.
 */
import { getHeapSpaceStatistics } from "node:v8";
import { loadKernel } from "../kernel/index.js";
import type { Outcome, VenueCommand } from "../kernel/types.js";
import { RSS_PROBE_NODE_FLAGS } from "./rss-probe-flags.js";

const checkpoints = (process.argv[2] ?? "100000,1000000").split(",").map((v) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`rss-probe: bad checkpoint "${v}"`);
  return n;
});
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("rss-probe: run with node --expose-gc");
for (const f of RSS_PROBE_NODE_FLAGS) {
  if (!process.execArgv.includes(f)) throw new Error(`rss-probe: node flag ${f} missing (start it with ${RSS_PROBE_NODE_FLAGS.join(" ")}; see cli/rss-probe-flags.ts)`);
}

const mod = await loadKernel();
const k = mod.create({
  slotCount: 1,
  initialCapitalUsdt: "1000000",
  instruments: [{ symbol: "FET-USDT", tickSize: "0.0001", stepSize: "1", minQty: "1" }],
});

function must(o: Outcome, step: string, i: number): Outcome {
  if (!o.accepted) throw new Error(`rss-probe: trade ${i} ${step} refused: ${o.code} ${o.message}`);
  return o;
}
function submit(o: Outcome, step: string, i: number): Extract<VenueCommand, { kind: "SUBMIT" }> {
  const c = o.commands.find((x) => x.kind === "SUBMIT");
  if (!c || c.kind !== "SUBMIT") throw new Error(`rss-probe: trade ${i} ${step} emitted no SUBMIT`);
  return c;
}

const samples: { trades: number; rssMb: number; heapUsedMb: number; externalMb: number; wasmMemoryMb: number; youngGenMb: number; wallMs: number }[] = [];
const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;
const t0 = performance.now();
let ts = 1_781_136_000_000_000;
const last = Math.max(...checkpoints);
/** Intermediate samples every `step` trades too, so a failure late in the loop still leaves a curve. */
const step = Math.max(1, Math.min(...checkpoints));
/** Physical bytes of V8's young generation (new space): constant when the semi-space is pinned. */
function youngGenBytes(): number {
  const s = getHeapSpaceStatistics().find((x) => x.space_name === "new_space");
  if (!s) throw new Error("rss-probe: v8.getHeapSpaceStatistics() lists no new_space");
  return s.physical_space_size;
}
function sample(i: number): void {
  gc!();
  const m = process.memoryUsage();
  samples.push({ trades: i, rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external + m.arrayBuffers), wasmMemoryMb: mb(k.memoryBytes()), youngGenMb: mb(youngGenBytes()), wallMs: Math.round(performance.now() - t0) });
  process.stderr.write(`rss-probe: ${i} trades, rss ${mb(m.rss)} MB\n`);
}
let i = 1;
try {
  for (; i <= last; i++) {

    const tradeId = `t${i}`;
    const entry = submit(
      must(k.processIntent({ kind: "ENTER", intentId: `e${i}`, tsUs: ++ts, slotId: 0, tradeId, symbol: "FET-USDT", side: "LONG", quantity: "100", orderType: "MARKET", leverage: 10 }), "ENTER", i),
      "ENTER",
      i,
    );
    const evBase = { symbol: "FET-USDT", clientOrderId: entry.clientOrderId, venueOrderId: `${i}1` };
    must(k.onVenueEvent({ kind: "ORDER_ACK", eventId: `a${i}`, tsUs: ++ts, ...evBase }), "entry ORDER_ACK", i);
    must(
      k.onVenueEvent({ kind: "FULL_FILL", eventId: `f${i}`, tsUs: ++ts, ...evBase, fillQty: "100", quantityMode: "INCREMENTAL", fillPrice: "0.1878", feeUsdt: "0.00939", feeMode: "INCREMENTAL" }),
      "entry FULL_FILL",
      i,
    );
    const exit = submit(must(k.processIntent({ kind: "EXIT", intentId: `x${i}`, tsUs: ++ts, slotId: 0, orderType: "MARKET" }), "EXIT", i), "EXIT", i);
    const exBase = { symbol: "FET-USDT", clientOrderId: exit.clientOrderId, venueOrderId: `${i}2` };
    must(k.onVenueEvent({ kind: "ORDER_ACK", eventId: `b${i}`, tsUs: ++ts, ...exBase }), "exit ORDER_ACK", i);
    must(
      k.onVenueEvent({ kind: "FULL_FILL", eventId: `g${i}`, tsUs: ++ts, ...exBase, fillQty: "100", quantityMode: "INCREMENTAL", fillPrice: "0.1880", feeUsdt: "0.0094", feeMode: "INCREMENTAL" }),
      "exit FULL_FILL",
      i,
    );
    if (checkpoints.includes(i) || i % step === 0) sample(i);
  }
} catch (e) {
  // Report what was measured up to the failure, then fail (exit 1): never a silent partial figure.
  process.stdout.write(JSON.stringify({ samples, failedAtTrade: i, error: (e as Error).message }) + "\n");
  process.stderr.write(`rss-probe: failed at trade ${i}: ${(e as Error).stack}\n`);
  process.exit(1);
}
const ledger = k.ledger();
k.dispose();
process.stdout.write(JSON.stringify({ samples, tradeSeq: ledger.tradeSeq }) + "\n");
