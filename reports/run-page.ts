/**
 * The run report page (reports/<run-id>/index.html): one self-contained HTML document for one
 * RunResult (sim/types.ts). Order: verdict, run facts, plots (capital kernel vs exchange wallet,
 * position per slot, event timeline with faults marked), invariants, expectations, ledger,
 * per-trade table (kernel estimate vs exchange, provenance, flags), anomalies, final slots.
 *
 * Element ids the tests (and readers' tools) rely on: #verdict, #plot-capital, #plot-positions,
 * #plot-timeline, #invariants, #expectations, #ledger, #trades.
 */
import type { RunResult } from "../sim/types.js";
import { Dec, decDiff, isoUs, okCell, page, table, type Cell } from "./html.js";
import { escapeXml, formatOffsetUs, linePlot, paletteColor, timelinePlot, type Series, type TimelineMark, type TimelineSpan } from "./svg.js";

/** Names of the failed checks (invariants and expectations), for the verdict. */
export function failedChecks(r: RunResult): string[] {
  return [
    ...r.invariants.filter((i) => !i.ok).map((i) => `invariant ${i.name}: ${i.detail}`),
    ...(r.expectations ?? []).filter((e) => !e.ok).map((e) => `expectation ${e.name}: ${e.detail}`),
  ];
}

function verdict(r: RunResult): string {
  const failed = failedChecks(r);
  const invOk = r.invariants.filter((i) => i.ok).length;
  const exps = r.expectations ?? [];
  const expOk = exps.filter((e) => e.ok).length;
  const line = `${invOk}/${r.invariants.length} invariants hold · ${expOk}/${exps.length} expectations met · ${r.trades.length} trades · ${r.faults.length} faults fired`;
  const list = failed.length ? `<ul>${failed.map((f) => `<li>${escapeXml(f)}</li>`).join("")}</ul>` : "";
  return (
    `<section id="verdict" class="verdict ${r.ok ? "pass" : "fail"}" data-ok="${r.ok}">` +
    `<div class="big">${r.ok ? "PASS" : "FAIL"}</div><div>${escapeXml(`${r.scenario} · seed ${r.seed}`)}</div>` +
    `<div>${escapeXml(line)}</div>${list}</section>`
  );
}

function meta(r: RunResult, origin: number): string {
  const items: [string, string][] = [
    ["scenario", r.scenario],
    ["seed", String(r.seed)],
    ["trace hash", r.traceHash],
    ["events", String(r.events)],
    ["simulated time", `${formatOffsetUs(r.simTimeUs)} (${r.simTimeUs} µs)`],
    ["simulated start", isoUs(origin)],
    ["wall time", `${Math.round(r.wallMs)} ms`],
    ["trace file", r.trace ? "trace.arrow (Arrow IPC)" : "not written"],
  ];
  return `<div class="meta">${items.map(([k, v]) => `<div><span>${escapeXml(k)}:</span> <code>${escapeXml(v)}</code></div>`).join("")}</div>`;
}

/** Earliest simulated timestamp in the result (series, faults, trades), the plots' origin. */
export function runOrigin(r: RunResult): number {
  const ts = [
    ...r.series.map((p) => p.tUs),
    ...r.faults.map((f) => f.tUs),
    ...r.trades.flatMap((t) => [t.openedAtUs, t.closedAtUs].filter((v): v is number => v !== undefined)),
  ];
  return ts.length ? Math.min(...ts) : 0;
}

function plots(r: RunResult, origin: number): string {
  const capital: Series[] = [
    { name: "kernel capital", color: paletteColor(0), step: true, points: r.series.map((p) => ({ x: p.tUs, y: Number(p.kernelCapitalUsdt) })) },
    { name: "exchange wallet", color: paletteColor(1), step: true, dash: "5 3", points: r.series.map((p) => ({ x: p.tUs, y: Number(p.venueWalletUsdt) })) },
  ];
  const slotCount = Math.max(0, ...r.series.map((p) => p.slotSizes.length));
  const positions: Series[] = [];
  for (let i = 0; i < slotCount; i++) {
    const pts = r.series.map((p) => ({ x: p.tUs, y: Number(p.slotSizes[i] ?? "0") }));
    if (pts.some((p) => p.y !== 0)) positions.push({ name: `slot ${i}`, color: paletteColor(i), step: true, points: pts });
  }
  const slotsUsed = [...new Set(r.trades.map((t) => t.slotId))].sort((a, b) => a - b);
  const faultKinds = [...new Set(r.faults.map((f) => String(f.fault)))].sort();
  const anomalies = r.final?.anomalies ?? [];
  const lanes = [...slotsUsed.map((s) => `slot ${s} trades`), ...faultKinds.map((k) => `fault: ${k}`), ...(anomalies.length ? ["anomalies"] : [])];
  const end = origin + r.simTimeUs;
  const spans: TimelineSpan[] = r.trades.map((t) => ({
    lane: `slot ${t.slotId} trades`,
    x0: t.openedAtUs ?? origin,
    x1: t.closedAtUs ?? end,
    label: `${t.tradeId} ${t.side} ${t.quantity} ${t.symbol} net ${t.realizedNetUsdt} (${t.pnlSource})${t.closed ? "" : " open"}`,
    color: paletteColor(t.slotId),
  }));
  const marks: TimelineMark[] = [
    ...r.faults.map((f) => ({ lane: `fault: ${f.fault}`, x: f.tUs, label: `${isoUs(f.tUs)} ${f.fault}: ${f.detail}`, color: "#D55E00", fault: true })),
    ...anomalies.map((a) => ({ lane: "anomalies", x: a.tsUs, label: `${a.code} ${a.tradeId ?? ""}: ${a.detail}`, color: "#CC79A7" })),
  ];
  const tl = timelinePlot({
    id: "plot-timeline",
    title: "Event timeline (trades open → close; faults ▲; anomalies ●)",
    lanes: lanes.length ? lanes : ["(no events)"],
    spans,
    marks,
    xLabel: "simulated time since start",
    xOrigin: origin,
    xDomain: [origin, Math.max(end, ...marks.map((m) => m.x), ...spans.map((s) => s.x1))],
  });
  return (
    `<h2>Plots</h2><div class="plots">` +
    linePlot({ id: "plot-capital", title: "Capital: kernel vs exchange wallet (USDT)", series: capital, xLabel: "simulated time since start", yLabel: "USDT", xOrigin: origin, xDomain: [origin, end] }) +
    linePlot({ id: "plot-positions", title: "Position per slot (signed quantity, + long / − short)", series: positions, xLabel: "simulated time since start", yLabel: "quantity", xOrigin: origin, xDomain: [origin, end] }) +
    tl +
    `</div>`
  );
}

function ledgerTable(r: RunResult): string {
  const k = r.ledger;
  const v = r.venueLedger;
  const diffCell = (a?: string, b?: string): Cell => {
    const d = decDiff(a, b);
    if (d === undefined) return null;
    return { text: d, cls: new Dec(d).isZero() ? "ok" : "warn" };
  };
  const rows: Cell[][] = [
    ["capital / wallet balance", k.capitalUsdt, v?.walletBalanceUsdt, diffCell(k.capitalUsdt, v?.walletBalanceUsdt)],
    ["realized PnL (gross)", k.realizedPnlUsdt, v?.realizedPnlUsdt, diffCell(k.realizedPnlUsdt, v?.realizedPnlUsdt)],
    ["fees paid", k.feesPaidUsdt, v?.feesPaidUsdt, diffCell(k.feesPaidUsdt, v?.feesPaidUsdt)],
    ["funding", k.fundingUsdt, v?.fundingUsdt, diffCell(k.fundingUsdt, v?.fundingUsdt)],
    ["initial balance", null, v?.initialBalanceUsdt, null],
    ["equity", k.equityUsdt, null, null],
    ["peak capital", k.peakCapitalUsdt, null, null],
    ["unrealized PnL", k.unrealizedPnlUsdt, null, null],
    ["capital source", k.capitalSource, null, null],
    ["last anchored wallet (E)", k.eWalletBalanceUsdt, null, null],
    ["available margin (E)", k.eAvailableMarginUsdt, null, null],
    ["anchor capital", k.anchorCapitalUsdt, null, null],
    ["event seq", k.eventSeq, null, null],
    ["trade seq", k.tradeSeq, null, null],
    ["anomalies", k.anomalyCount, null, null],
  ];
  return `<h2>Ledger</h2>` + table("ledger", ["field", "kernel ledger", "venue ledger", "kernel − venue"], rows);
}

function tradesTable(r: RunResult): string {
  const rows: Cell[][] = r.trades.map((t) => {
    const ke = decDiff(t.kernelEstimateUsdt, t.exchangeRealizedUsdt);
    return [
      t.tradeId,
      t.slotId,
      t.symbol,
      t.side,
      `${t.leverage}x`,
      t.quantity,
      t.exitedQty,
      t.entryVwap,
      t.exitVwap,
      t.kernelEstimateUsdt,
      t.exchangeRealizedUsdt ?? null,
      ke === undefined ? null : { text: ke, cls: new Dec(ke).isZero() ? "ok" : "warn" },
      t.realizedGrossUsdt,
      t.feesUsdt,
      t.realizedNetUsdt,
      { text: t.pnlSource, cls: t.pnlSource === "exchange" ? "ok" : "warn" },
      t.flags.length ? { text: t.flags.join(", "), cls: "warn" } : "",
      t.closed ? "closed" : { text: "open", cls: "warn" },
      isoUs(t.openedAtUs),
      isoUs(t.closedAtUs),
    ];
  });
  return (
    `<h2>Trades</h2><p class="note">Kernel estimate = side × quantity × (exit VWAP − entry VWAP), no leverage factor; ` +
    `exchange = the venue's settled realized PnL; provenance says which one the ledger booked.</p>` +
    table(
      "trades",
      ["trade", "slot", "symbol", "side", "lev", "qty", "exited", "entry VWAP", "exit VWAP", "kernel estimate", "exchange", "K − E", "booked gross", "fees", "net", "provenance", "flags", "state", "opened", "closed"],
      rows,
    )
  );
}

/**
 * Render the run report page for one RunResult. Pure: same result, same HTML.
 * `repro` is the command line that reproduces the run (default `npx dita run <scenario> --seed N`).
 */
export function renderRunReport(r: RunResult, opts: { repro?: string } = {}): string {
  const origin = runOrigin(r);
  const anomalies = r.final?.anomalies ?? [];
  const body =
    verdict(r) +
    meta(r, origin) +
    plots(r, origin) +
    `<h2>Invariants</h2>` +
    table("invariants", ["invariant", "result", "detail"], r.invariants.map((i) => [i.name, i.status === "not-checked" ? { text: "not checked", cls: "" } : okCell(i.ok, "holds", "VIOLATED"), i.detail])) +
    `<h2>Scenario expectations</h2>` +
    table("expectations", ["expectation", "result", "detail"], (r.expectations ?? []).map((e) => [e.name, okCell(e.ok, "met", "NOT MET"), e.detail])) +
    ledgerTable(r) +
    tradesTable(r) +
    `<h2>Anomalies</h2>` +
    table("anomalies", ["seq", "time", "code", "trade", "kernel estimate", "exchange", "detail"], anomalies.map((a) => [a.seq, isoUs(a.tsUs), a.code, a.tradeId ?? null, a.kernelEstimateUsdt ?? null, a.exchangeUsdt ?? null, a.detail])) +
    `<h2>Final slots</h2>` +
    table(
      "slots",
      ["slot", "stage", "trade", "symbol", "side", "size", "initial size", "entry price", "realized", "fees", "flags"],
      (r.final?.slots ?? [])
        .filter((s) => s.tradeId !== "" || s.stage !== "IDLE")
        .map((s) => [
          s.slotId,
          s.stage,
          s.tradeId,
          s.symbol,
          s.side ?? null,
          s.sizeQty,
          s.initialSizeQty,
          s.entryPrice,
          s.realizedPnlUsdt,
          s.feesUsdt,
          Object.entries(s.flags)
            .filter(([, v]) => v)
            .map(([k]) => k)
            .join(", "),
        ]),
      "slots never used are omitted",
    ) +
    `<h2>Faults fired</h2>` +
    table("faults", ["time", "fault", "detail"], r.faults.map((f) => [isoUs(f.tUs), String(f.fault), f.detail])) +
    (r.faultMix ? `<h2>Fault mix</h2><pre>${escapeXml(JSON.stringify(r.faultMix, null, 2))}</pre>` : "") +
    `<p class="note">Reproduce: <code>${escapeXml(opts.repro ?? `npx dita run ${r.scenario} --seed ${r.seed}`)}</code> (same seed, same trace hash).</p>`;
  return page(`${r.ok ? "PASS" : "FAIL"} · ${r.scenario} · seed ${r.seed}`, body);
}
