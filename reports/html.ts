/**
 * HTML building blocks shared by the run report and the gate report: one self-contained page
 * (inline CSS, no script, no external resource), tables with escaped cells, and number helpers.
 */
import { Dec } from "../sim/num.js";
import { escapeXml } from "./svg.js";

/** Money arithmetic for report figures (|K − E| etc.): the project's decimal setup (sim/num.ts), re-exported for the report modules. */
export { Dec };

/** A table cell: plain text (escaped), or pre-rendered HTML marked as such, with an optional class. */
export type Cell = string | number | boolean | null | undefined | { html: string; cls?: string } | { text: string; cls?: string };

function cell(c: Cell, tag: "td" | "th"): string {
  if (c === null || c === undefined) return `<${tag} class="empty">—</${tag}>`;
  if (typeof c === "object") {
    const cls = c.cls ? ` class="${escapeXml(c.cls)}"` : "";
    return "html" in c ? `<${tag}${cls}>${c.html}</${tag}>` : `<${tag}${cls}>${escapeXml(c.text)}</${tag}>`;
  }
  return `<${tag}>${escapeXml(String(c))}</${tag}>`;
}

/** An HTML table with a header row; `id` lets tests and readers find it. */
export function table(id: string, headers: string[], rows: Cell[][], caption?: string): string {
  const head = `<thead><tr>${headers.map((h) => cell(h, "th")).join("")}</tr></thead>`;
  const body = rows.length
    ? rows.map((r) => `<tr>${r.map((c) => cell(c, "td")).join("")}</tr>`).join("")
    : `<tr><td class="empty" colspan="${headers.length}">none</td></tr>`;
  return `<table id="${escapeXml(id)}">${caption ? `<caption>${escapeXml(caption)}</caption>` : ""}${head}<tbody>${body}</tbody></table>`;
}

/** A pass/fail badge cell. */
export function okCell(ok: boolean, yes = "ok", no = "FAIL"): Cell {
  return { text: ok ? yes : no, cls: ok ? "ok" : "bad" };
}

/** Absolute simulated time (µs since the Unix epoch) as an ISO-8601 UTC string with µs. */
export function isoUs(us: number | undefined): string {
  if (us === undefined || !Number.isFinite(us)) return "—";
  const ms = Math.floor(us / 1000);
  const rest = String(((us % 1000) + 1000) % 1000).padStart(3, "0");
  return new Date(ms).toISOString().replace("Z", `${rest}Z`);
}

/**
 * Time since the scenario start as seconds, e.g. "+70.000 s" ("+70.003505 s" when not whole ms).
 * The one time format of reports and the terminal (issue 15); the absolute time goes on hover.
 */
export function sinceStart(tUs: number, startUs: number): string {
  const us = tUs - startUs;
  const text = Number.isInteger(us / 1000) ? (us / 1e6).toFixed(3) : (us / 1e6).toFixed(6);
  return `${us < 0 ? "" : "+"}${text} s`;
}

/** A table cell with the time since start, the absolute ISO time as its hover title. */
export function timeCell(tUs: number | undefined, startUs: number): Cell {
  if (tUs === undefined || !Number.isFinite(tUs)) return null;
  return { html: `<span class="t" title="${escapeXml(isoUs(tUs))}">${escapeXml(sinceStart(tUs, startUs))}</span>` };
}

/** a − b as an exact decimal string, or undefined when either side is missing. */
export function decDiff(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined || b === undefined) return undefined;
  return new Dec(a).minus(new Dec(b)).toString();
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:0;background:#f6f7f9}
main{max-width:1340px;margin:0 auto;padding:18px 22px 60px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.verdict{border-radius:8px;padding:14px 18px;margin:0 0 14px;color:#fff}
.verdict.pass{background:#1b7f3b} .verdict.fail{background:#b3261e}
.verdict .big{font-size:30px;font-weight:800;letter-spacing:.04em}
.verdict ul{margin:6px 0 0;padding-left:20px}
.meta{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:4px 18px;background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:10px 14px}
.meta div span{color:#666}
code,.mono,td{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
table{border-collapse:collapse;background:#fff;margin:6px 0 10px;width:100%}
caption{text-align:left;color:#555;font-size:12px;padding:2px 0}
th,td{border:1px solid #e1e1e1;padding:3px 7px;text-align:left;vertical-align:top}
td{overflow-wrap:anywhere} th{overflow-wrap:normal;word-break:keep-all}
.t{white-space:nowrap}
td.body{white-space:pre-wrap;word-break:break-all;font-size:11.5px}
.verdict code{background:rgba(255,255,255,.15);color:#fff;padding:2px 6px;border-radius:4px;user-select:all}
.verdict a{color:#fff}
.failure{background:#fff;border:1px solid #e3b3ae;border-left:5px solid #b3261e;border-radius:6px;padding:8px 14px;margin:8px 0}
.failure h3{margin:2px 0 4px;font-size:15px} .failure .detail{font-family:ui-monospace,monospace;font-size:12.5px;overflow-wrap:anywhere}
:target{background:#fff3c4}
th{background:#eef0f3;font-family:system-ui,sans-serif;font-size:12.5px}
td.ok{color:#1b7f3b;font-weight:700} td.bad{color:#b3261e;font-weight:700} td.warn{color:#9a6700;font-weight:700}
td.empty{color:#999;text-align:center}
.plots svg{display:block;margin:8px 0;border:1px solid #e3e3e3;border-radius:6px;max-width:100%;height:auto}
pre{background:#fff;border:1px solid #e3e3e3;padding:8px;overflow:auto;font-size:12px}
.note{color:#555;font-size:12.5px}
section.gate{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:8px 14px;margin:10px 0}
section.gate h2{border:0;margin:4px 0}
`;

/** Wrap a body into a complete, self-contained HTML document. */
export function page(title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${escapeXml(title)}</title><style>${CSS}</style></head><body><main>${body}</main></body></html>\n`
  );
}
