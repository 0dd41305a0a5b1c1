/**
 * Peak-RSS probe of an Arrow replay (run by replay/bench.ts in a child process, so the figure
 * covers only this replay): `node --import tsx replay/bench-rss.ts <history.arrow>` prints one
 * JSON line {rows, replayMs, cpuMs, peakRssMb, divergences}; peak RSS = process.resourceUsage().maxRSS.
 */
import { loadKernel } from "../kernel/index.js";
import { readHistoryArrow } from "./arrow-source.js";
import { replayRows } from "./engine.js";

const file = process.argv[2];
if (!file) throw new Error("usage: bench-rss.ts <history.arrow>");
const c0 = process.cpuUsage();
const t0 = performance.now();
const r = await replayRows(await loadKernel(), readHistoryArrow(file));
const replayMs = Math.round(performance.now() - t0);
const cpu = process.cpuUsage(c0);
const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
const peakRssMb = Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
process.stdout.write(JSON.stringify({ rows: r.rows.read, replayMs, cpuMs, peakRssMb, divergences: r.divergences.length }) + "\n");
