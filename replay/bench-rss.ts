/**
 * Peak-RSS probe of an Arrow replay (run by replay/bench.ts in a child process, so the figure
 * covers only this replay): `node --import tsx replay/bench-rss.ts <history.arrow>` prints one
 * JSON line {rows, replayMs, cpuMs, peakRssMb, rssSource, divergences}.
 *
 * Peak RSS = VmHWM of /proc/self/status (the high-water mark of this process image) on Linux.
 * Not getrusage's maxRSS: Linux carries the pre-exec maximum into it, so a child spawned by a
 * large parent (the bench process holds chdb, ~450–650 MB) reported the parent's size (seen:
 * 454–459 MB from the bench vs 230–251 MB for the same replay started from a shell).
 */
import { existsSync, readFileSync } from "node:fs";
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
function peakRss(): { mb: number; source: string } {
  if (existsSync("/proc/self/status")) {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return { mb: Math.round((Number(m[1]) / 1024) * 10) / 10, source: "VmHWM" };
  }
  return { mb: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10, source: "getrusage maxRSS (includes a pre-exec parent's peak on Linux)" };
}
const { mb: peakRssMb, source: rssSource } = peakRss();
process.stdout.write(JSON.stringify({ rows: r.rows.read, replayMs, cpuMs, peakRssMb, rssSource, divergences: r.divergences.length }) + "\n");
