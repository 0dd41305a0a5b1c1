/**
 * The gate report page (reports/gate-<n>/index.html): go / no-go at the top with every reason,
 * then one section per gate step (build, scenarios, golden, chaos, bench, ...) with its own
 * verdict, reasons, duration and table.
 *
 * Element ids: #verdict (data-ok), #section-<name> per section.
 */
import { okCell, page, table, type Cell } from "./html.js";
import { escapeXml } from "./svg.js";

/** Host description recorded with benchmark figures (and in the gate report). */
export interface HostInfo {
  os: string;
  cpuModel: string;
  cores: number;
  nodeVersion: string;
  totalMemMb?: number;
}

/** A gate table cell; `{href, text}` renders as a link relative to the report. */
export type GateCell = string | number | boolean | null | { href: string; text: string };

/** One section of the gate (one step). */
export interface GateSection {
  /** "build" | "scenarios" | "golden" | "chaos" | "bench" | "mutants" ... */
  name: string;
  ok: boolean;
  /** True when the step was not run (then ok says whether skipping it is acceptable). */
  skipped?: boolean;
  durationMs: number;
  /** One line per reason for no-go; for a passing section, notes (may be empty). */
  reasons: string[];
  /** A table for the report (a boolean cell renders as ok / FAIL; {href, text} as a relative link). */
  table?: { headers: string[]; rows: GateCell[][] };
  /** Machine-readable details (also in summary.json). */
  data?: unknown;
}

/** The whole gate result: `dita gate --json` prints it (plus `report`). */
export interface GateResult {
  ok: boolean;
  durationMs: number;
  sections: GateSection[];
  /** Repository-relative path of the baseline the run was compared against. */
  baseline: string;
  host: HostInfo;
  /** Wall-clock start (ISO), for the reader; not part of any simulation. */
  startedAt: string;
  report?: string;
}

/** Every no-go reason, prefixed with its section. */
export function gateReasons(g: GateResult): string[] {
  return g.sections.filter((s) => !s.ok).flatMap((s) => (s.reasons.length ? s.reasons.map((r) => `${s.name}: ${r}`) : [`${s.name}: failed`]));
}

function sectionHtml(s: GateSection): string {
  const status = s.skipped ? (s.ok ? "skipped" : "SKIPPED (required)") : s.ok ? "go" : "NO-GO";
  const rows: Cell[][] = (s.table?.rows ?? []).map((r) =>
    r.map((c): Cell => {
      if (typeof c === "boolean") return okCell(c);
      if (c !== null && typeof c === "object") return { html: `<a href="${escapeXml(c.href)}">${escapeXml(c.text)}</a>` };
      return c;
    }),
  );
  return (
    `<section class="gate" id="section-${escapeXml(s.name)}" data-ok="${s.ok}">` +
    `<h2>${escapeXml(s.name)} — <span class="${s.ok ? "okt" : "badt"}">${escapeXml(status)}</span> <span class="note">(${(s.durationMs / 1000).toFixed(1)} s)</span></h2>` +
    (s.reasons.length ? `<ul>${s.reasons.map((r) => `<li>${escapeXml(r)}</li>`).join("")}</ul>` : "") +
    (s.table ? table(`table-${s.name}`, s.table.headers, rows) : "") +
    `</section>`
  );
}

/** Render the gate report page. Pure: same GateResult, same HTML. */
export function renderGateReport(g: GateResult): string {
  const reasons = gateReasons(g);
  const verdict =
    `<section id="verdict" class="verdict ${g.ok ? "pass" : "fail"}" data-ok="${g.ok}">` +
    `<div class="big">${g.ok ? "GO" : "NO-GO"}</div>` +
    `<div>pre-deploy gate · ${g.sections.length} sections · ${(g.durationMs / 1000).toFixed(1)} s · baseline ${escapeXml(g.baseline)}</div>` +
    (reasons.length ? `<ul>${reasons.map((r) => `<li>${escapeXml(r)}</li>`).join("")}</ul>` : `<div>every section holds</div>`) +
    `</section>`;
  const summary = table(
    "sections",
    ["section", "result", "duration", "reasons / notes"],
    g.sections.map((s) => [s.name, s.skipped ? { text: "skipped", cls: s.ok ? "warn" : "bad" } : okCell(s.ok, "go", "NO-GO"), `${(s.durationMs / 1000).toFixed(1)} s`, s.reasons.slice(0, 2).join("; ") + (s.reasons.length > 2 ? ` (+${s.reasons.length - 2} more below)` : "")]),
  );
  const host = `<div class="meta">${Object.entries({ ...g.host, startedAt: g.startedAt })
    .map(([k, v]) => `<div><span>${escapeXml(k)}:</span> <code>${escapeXml(String(v))}</code></div>`)
    .join("")}</div>`;
  return page(`${g.ok ? "GO" : "NO-GO"} · dita gate`, verdict + host + `<h2>Sections</h2>` + summary + g.sections.map(sectionHtml).join(""));
}
