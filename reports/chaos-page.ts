/**
 * The chaos summary page (reports/chaos-<n>/index.html, issue 15): one row per failing seed with
 * the violated invariant(s), the fault mix drawn from the seed, the repro command and a link to
 * the seed's own run report (runs/chaos-seed<S>/index.html, each written atomically by
 * reports/write.ts), with summary.json.
 *
 * Element ids: #verdict (data-ok, data-interrupted), #failures.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { page, table, type Cell } from "./html.js";
import { escapeXml } from "./svg.js";
import { REPORT_FILES } from "./write.js";

/** One failing seed on the summary page. */
export interface ChaosSeedRow {
  seed: number;
  /** Violated checks with their details. */
  checks: { invariant: string; detail: string }[];
  faultMix: unknown;
  repro: string;
  /** Report folder of the seed's run, relative to the summary page (undefined: not written). */
  reportHref?: string;
}

/** What the summary page shows. */
export interface ChaosSummary {
  ok: boolean;
  from: number;
  /** Seeds run (fewer than asked when interrupted). */
  runs: number;
  requested: number;
  interrupted: boolean;
  seeds: ChaosSeedRow[];
}

/** Render the chaos summary page. Pure. */
export function renderChaosSummary(s: ChaosSummary): string {
  const last = s.from + s.runs - 1;
  const head =
    `<section id="verdict" class="verdict ${s.ok ? "pass" : "fail"}" data-ok="${s.ok}" data-interrupted="${s.interrupted}">` +
    `<div class="big">${s.ok ? "PASS" : "FAIL"}${s.interrupted ? " (interrupted)" : ""}</div>` +
    `<div>${escapeXml(`chaos: ${s.runs} of ${s.requested} seeds run (${s.from}…${last}), ${s.seeds.length} failing`)}</div></section>`;
  const rows: Cell[][] = s.seeds.map((r) => [
    r.reportHref ? { html: `<a href="${escapeXml(r.reportHref)}/index.html">${r.seed}</a>` } : r.seed,
    { html: r.checks.map((c) => `<b>${escapeXml(c.invariant)}</b>: ${escapeXml(c.detail)}`).join("<br>") },
    { html: `<code>${escapeXml(JSON.stringify(r.faultMix ?? {}))}</code>` },
    { html: `<code>${escapeXml(r.repro)}</code>` },
  ]);
  return page(`${s.ok ? "PASS" : "FAIL"} · chaos ${s.from}…${last}`, head + `<h2>Failing seeds</h2>` + table("failures", ["seed", "violated", "fault mix", "reproduce"], rows));
}

/**
 * Write summary.json and index.html into `dir` (created if needed; the seeds' reports under
 * `dir/runs/` stay), each file written whole under a temporary name and renamed into place.
 * Returns the page path.
 */
export function writeChaosSummary(s: ChaosSummary, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const put = (name: string, text: string) => {
    const tmp = join(dir, `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, text);
    renameSync(tmp, join(dir, name));
  };
  put(REPORT_FILES.summary, JSON.stringify(s, null, 2) + "\n");
  put(REPORT_FILES.html, renderChaosSummary(s));
  return join(dir, REPORT_FILES.html);
}
