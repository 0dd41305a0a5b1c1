/**
 * The replay's HTML report (reports/ helpers: one self-contained page, inline SVG, no script):
 * the verdict and divergences at the top; per trade and per leg production's booked figure vs
 * the kernel's vs the exchange's; per BALANCE row the drift of the kernel's capital against the
 * exchange wallet, as a table and as plots (capital vs wallet, drift) over time.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { okCell, page, table, isoUs, type Cell } from "../reports/html.js";
import { escapeXml, linePlot } from "../reports/svg.js";
import type { ReplayResult } from "./engine.js";

/** Plots are for the eye (reports/svg.ts): figures are in the tables. */
const num = (s: string): number => Number(s);

function moneyCell(v: string | null, ref?: string | null): Cell {
  if (v === null) return null;
  if (ref === undefined || ref === null) return v;
  return { text: v, cls: v === ref ? "ok" : "bad" };
}

/** Render the report page of one replay. `title` names the history (file or table). */
export function renderReplayReport(r: ReplayResult, title: string): string {
  const balRows: Cell[][] = r.balances.map((b) => [b.seq, isoUs(b.tsUs), b.walletUsdt, b.kernelCapitalBeforeUsdt, b.driftUsdt === null ? null : { text: b.driftUsdt, cls: b.driftUsdt === "0" ? "ok" : "warn" }, b.kernelCapitalAfterUsdt, b.code]);
  const balances = table("balances", ["seq", "time (UTC)", "exchange wallet", "kernel capital before", "drift (kernel − wallet)", "kernel capital after", "outcome"], balRows);
  const divs = table("divergences", ["seq", "kind", "detail", "recorded", "kernel"], r.divergences.map((d) => [d.seq, { text: d.kind, cls: "bad" }, d.detail, d.recorded, d.kernel]));
  const anomalies = table("anomalies", ["seq", "time (UTC)", "code", "trade", "detail", "kernel estimate", "exchange"], r.anomalies.map((a) => [a.seq, isoUs(a.tsUs), a.code, a.tradeId, a.detail, a.kernelEstimateUsdt, a.exchangeUsdt]));
  const evidence = table("nominal-prices", ["seq", "kind", "venue order", "MARKET bound price (evidence, never fed)"], r.nominalPrices.map((e) => [e.seq, e.kind, e.venueOrderId, e.nominalPrice]));
  const codes = table("codes", ["kernel outcome", "count"], Object.entries(r.codes).map(([c, n]) => [c, n]));
  const ledger = table("ledger", ["field", "value"], Object.entries(r.ledger).map(([k, v]) => [k, String(v)]));
  const body =
    `<h1>dita replay — ${escapeXml(title)}</h1>` +
    replayVerdict(r) +
    replayMeta(r, title) +
    `<h2>Trades: booked vs kernel vs exchange</h2>${tradesTable(r)}` +
    `<h2>Divergences</h2>${divs}` +
    `<h2>Capital vs exchange wallet (BALANCE rows)</h2>${balancePlots(r)}${balances}` +
    `<h2>MARKET bound prices in the record</h2>${evidence}` +
    `<h2>Kernel anomalies</h2>${anomalies}` +
    `<h2>Kernel outcomes</h2>${codes}` +
    `<h2>Final ledger</h2>${ledger}` +
    `<p class="note">Verdict cell: ${escapeXml(r.ok ? "ok" : "divergences found")}; ${table("verdict", ["ok"], [[okCell(r.ok)]])}</p>`;
  return page(`dita replay ${title}`, body);
}

/** The verdict box: no divergence, or how many and the first 12. */
function replayVerdict(r: ReplayResult): string {
  return r.ok
    ? `<div class="verdict pass"><div class="big">NO DIVERGENCE</div>production's records and the kernel agree on every compared row</div>`
    : `<div class="verdict fail"><div class="big">${r.divergences.length} DIVERGENCE${r.divergences.length === 1 ? "" : "S"}</div><ul>${r.divergences
        .slice(0, 12)
        .map((d) => `<li>${escapeXml(`seq ${d.seq} ${d.kind}: ${d.detail}`)}</li>`)
        .join("")}</ul></div>`;
}

/** The history, run, row counts and final capital / wallet line. */
function replayMeta(r: ReplayResult, title: string): string {
  return `<div class="meta">${[
    ["history", title],
    ["run", r.runId],
    ["rows read", String(r.rows.read)],
    ["fed", String(r.rows.fed)],
    ["compared (BOOKED/POSITION)", String(r.rows.compared)],
    ["duplicates dropped", String(r.rows.duplicates)],
    ["kernel inputs", String(r.rows.kernelInputs)],
    ["capital", `${r.ledger.capitalUsdt} USDT (${r.ledger.capitalSource})`],
    ["exchange wallet (last anchor)", `${r.ledger.eWalletBalanceUsdt} USDT`],
  ]
    .map(([k, v]) => `<div><span>${escapeXml(k)}:</span> ${escapeXml(v)}</div>`)
    .join("")}</div>`;
}

/** One row per trade and per leg: production booked vs kernel vs exchange. */
function tradesTable(r: ReplayResult): string {
  const legRows: Cell[][] = [];
  for (const t of r.trades) {
    legRows.push([{ text: t.tradeId, cls: "" }, "trade", moneyCell(t.bookedUsdt, t.kernelUsdt), t.kernelUsdt, t.exchangeUsdt, t.feesUsdt, t.pnlSource, t.flags.join(", "), null]);
    for (const l of t.legs) {
      legRows.push([t.tradeId, `leg ${l.legIndex} (${l.quantity})`, moneyCell(l.bookedUsdt, l.kernelUsdt), l.kernelUsdt, l.exchangeUsdt, l.feesUsdt, l.realizedSkippedNoPrice ? "skipped: no price" : "", l.kernelAtBookedRowUsdt === null ? "" : `kernel at the BOOKED row: ${l.kernelAtBookedRowUsdt}`, l.note]);
    }
  }
  return table("trades", ["trade", "leg", "production booked", "kernel", "exchange", "kernel fees", "source", "flags / state", "note"], legRows, "realized PnL, USDT (gross of fees): production booked vs kernel vs exchange; a booked figure in red differs from the kernel's");
}

/** Kernel capital vs exchange wallet, and their drift, over the BALANCE rows. */
function balancePlots(r: ReplayResult): string {
  const origin = r.balances[0]?.tsUs ?? 0;
  const withWallet = r.balances.filter((b) => b.walletUsdt !== null);
  return (
    `<div class="plots">` +
    linePlot({
      id: "plot-capital",
      title: "kernel capital (before each BALANCE row) vs exchange wallet",
      xLabel: "time since the first BALANCE row",
      yLabel: "USDT",
      xOrigin: origin,
      series: [
        { name: "kernel capital", color: "#1f6feb", points: r.balances.map((b) => ({ x: b.tsUs, y: num(b.kernelCapitalBeforeUsdt) })), step: true },
        { name: "exchange wallet", color: "#d9480f", points: withWallet.map((b) => ({ x: b.tsUs, y: num(b.walletUsdt!) })), step: true, dash: "5 3" },
      ],
    }) +
    linePlot({
      id: "plot-drift",
      title: "drift: kernel capital − exchange wallet",
      xLabel: "time since the first BALANCE row",
      yLabel: "USDT",
      xOrigin: origin,
      series: [{ name: "drift", color: "#8250df", points: withWallet.map((b) => ({ x: b.tsUs, y: num(b.driftUsdt!) })), step: true }],
    }) +
    `</div>`
  );
}

/** Write `index.html` and `summary.json` into `dir`; returns the page path. */
export function writeReplayReport(r: ReplayResult, doc: unknown, dir: string, title: string): string {
  mkdirSync(dir, { recursive: true });
  const html = join(dir, "index.html");
  writeFileSync(html, renderReplayReport(r, title));
  writeFileSync(join(dir, "summary.json"), JSON.stringify(doc, null, 2) + "\n");
  return html;
}
