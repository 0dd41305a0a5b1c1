/**
 * The run report page (reports/<run-id>/index.html): one self-contained HTML document for one
 * RunResult (sim/types.ts). Order: verdict with the repro command under it, failures (each failed
 * check with the slot, trade, time and trace rows of every violation, linked), run facts, plots
 * (capital: kernel vs exchange wallet; position per symbol: kernel vs venue; event timeline with
 * trades, faults, anomalies and violations marked), invariants, expectations, diagnostics (every
 * non-OK kernel outcome with its input), ledger, trades, anomalies, final slots, faults, the trace
 * rows the page links to. Every time is seconds since the scenario start; hover shows the absolute
 * time (issue 15).
 *
 * Element ids the tests (and readers' tools) rely on: #verdict, #repro, #failures, #plot-capital,
 * #plot-positions, #plot-timeline, #invariants, #expectations, #diagnostics, #ledger, #trades,
 * #trace; rows #slot-<id>, #trade-<id>, #trace-<seq>, #failure-<n>.
 */
import type { InvariantEvidence, InvariantResult, RunResult } from "../sim/types.js";
import { Dec, decDiff, isoUs, okCell, page, sinceStart, table, timeCell, type Cell } from "./html.js";
import { escapeXml, linePlot, paletteColor, timelinePlot, type Series, type TimelineMark, type TimelineSpan } from "./svg.js";

/** Names of the failed checks (invariants and expectations), for the verdict (same order as "Where it failed"). */
export function failedChecks(r: RunResult): string[] {
  return failedResults(r).map(({ kind, res }) => `${kind} ${res.name}: ${res.detail}`);
}

/** Failed checks that count against the run (invariants not in expectViolations, expectations). */
function failedResults(r: RunResult): { kind: string; res: InvariantResult }[] {
  const expected = new Set((r.expectations ?? []).flatMap((e) => (/^expect\.violation\[(.+)\]$/.exec(e.name) && e.ok ? [e.name.slice(17, -1)] : [])));
  return [
    ...r.invariants.filter((i) => !i.ok && !expected.has(i.name)).map((res) => ({ kind: "invariant", res })),
    ...(r.expectations ?? []).filter((e) => !e.ok).map((res) => ({ kind: "expectation", res })),
  ];
}

function verdict(r: RunResult, repro: string): string {
  const failed = failedChecks(r);
  const checked = r.invariants.filter((i) => i.status !== "not-checked");
  const notChecked = r.invariants.length - checked.length;
  const invOk = checked.filter((i) => i.ok).length;
  const exps = r.expectations ?? [];
  const expOk = exps.filter((e) => e.ok).length;
  const line =
    `${invOk}/${checked.length} invariants hold${notChecked ? ` (${notChecked} not checked)` : ""} · ${expOk}/${exps.length} expectations met · ` +
    `${r.trades.length} trades · ${r.faults.length} faults fired · ${r.diagnosticsTotal ?? 0} diagnostics`;
  const list = failed.length ? `<ul>${failed.map((f, n) => `<li><a href="#failure-${n}">${escapeXml(f)}</a></li>`).join("")}</ul>` : "";
  return (
    `<section id="verdict" class="verdict ${r.ok ? "pass" : "fail"}" data-ok="${r.ok}">` +
    `<div class="big">${r.ok ? "PASS" : "FAIL"}</div><div>${escapeXml(`${r.scenario} · seed ${r.seed}`)}</div>` +
    `<div id="repro">Reproduce: <code>${escapeXml(repro)}</code></div>` +
    `<div>${escapeXml(line)}</div>${list}</section>`
  );
}

/** Slug usable in an element id (trade ids may hold any character). */
export function idSlug(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`);
}

/** Links for one evidence item: slot, trade, time (absolute on hover), trace rows. */
function evidenceWhere(e: InvariantEvidence, origin: number, r: RunResult): string {
  const parts: string[] = [];
  const slotRow = (r.final?.slots ?? []).some((s) => s.slotId === e.slotId);
  if (e.slotId !== undefined) parts.push(slotRow ? `<a href="#slot-${e.slotId}">slot ${e.slotId}</a>` : `slot ${e.slotId}`);
  if (e.tradeId) parts.push(r.trades.some((t) => t.tradeId === e.tradeId) ? `<a href="#trade-${idSlug(e.tradeId)}">trade ${escapeXml(e.tradeId)}</a>` : `trade ${escapeXml(e.tradeId)}`);
  if (e.symbol) parts.push(escapeXml(e.symbol));
  if (e.tUs !== undefined) parts.push(`<span class="t" title="${escapeXml(isoUs(e.tUs))}">${escapeXml(sinceStart(e.tUs, origin))}</span>`);
  if (e.traceSeq?.length) parts.push(`trace rows ${e.traceSeq.map((q) => `<a href="#trace-${q}">${q}</a>`).join(", ")}`);
  return parts.join(" · ");
}

function failures(r: RunResult, origin: number): string {
  const failed = failedResults(r);
  if (failed.length === 0) return "";
  const blocks = failed.map(({ kind, res }, n) => {
    const ev = res.evidence ?? [];
    const rows = ev.map((e) => `<li>${evidenceWhere(e, origin, r) || "(no location)"}: <span class="detail">${escapeXml(e.detail)}</span></li>`).join("");
    return (
      `<div class="failure" id="failure-${n}"><h3>${escapeXml(kind)} ${escapeXml(res.name)} — ${escapeXml(res.ok ? "held" : "FAILED")}</h3>` +
      `<div class="detail">${escapeXml(res.detail)}</div>${rows ? `<ul>${rows}</ul>` : `<p class="note">no located violation recorded</p>`}</div>`
    );
  });
  return `<h2 id="failures">Where it failed</h2>` + blocks.join("");
}

function meta(r: RunResult, origin: number): string {
  const items: [string, string][] = [
    ["scenario", r.scenario],
    ["seed", String(r.seed)],
    ["trace hash", r.traceHash ?? "not computed"],
    ["events", String(r.events)],
    ["simulated time", `${(r.simTimeUs / 1e6).toFixed(3)} s (${r.simTimeUs} µs)`],
    ["scenario start (t = 0)", isoUs(origin)],
    ["wall time", `${Math.round(r.wallMs)} ms`],
    ["trace file", r.trace ? "trace.arrow (Arrow IPC)" : "not written"],
  ];
  return `<div class="meta">${items.map(([k, v]) => `<div><span>${escapeXml(k)}:</span> <code>${escapeXml(v)}</code></div>`).join("")}</div>`;
}

/**
 * Time zero of every time on the page: the scenario start (RunResult.startUs); for results without
 * it, the earliest simulated timestamp (series, faults, trades).
 */
export function runOrigin(r: RunResult): number {
  if (r.startUs !== undefined) return r.startUs;
  const ts = [
    ...r.series.map((p) => p.tUs),
    ...r.faults.map((f) => f.tUs),
    ...r.trades.flatMap((t) => [t.openedAtUs, t.closedAtUs].filter((v): v is number => v !== undefined)),
  ];
  return ts.length ? Math.min(...ts) : 0;
}

/** Violations with a time, for the plots' markers: [{x, label, href}]. */
function violationMarks(r: RunResult, origin: number): { x: number; label: string; href: string }[] {
  return failedResults(r).flatMap(({ res }, n) =>
    (res.evidence ?? [])
      .filter((e) => e.tUs !== undefined)
      .map((e) => ({ x: e.tUs as number, label: `${sinceStart(e.tUs as number, origin)} (${isoUs(e.tUs)}) ${res.name}: ${e.detail}`, href: `#failure-${n}` })),
  );
}

/** The run page's plots: capital (kernel vs wallet), positions (kernel vs venue) and the event timeline. */
function plots(r: RunResult, origin: number): string {
  const hover = (unit: string) => (p: { x: number; y: number }, s: Series) => `${sinceStart(p.x, origin)} (${isoUs(p.x)}) ${s.name}: ${p.y} ${unit}`;
  const violations = violationMarks(r, origin);
  const vmarks = [
    ...violations.map((v) => ({ ...v, color: "#b3261e" })),
    // Faults drawn faint so that violations (solid red) stand out where many faults fired.
    ...r.faults.map((f) => ({ x: f.tUs, label: `${sinceStart(f.tUs, origin)} (${isoUs(f.tUs)}) fault ${f.fault}: ${f.detail}`, color: "#D55E00", opacity: 0.35 })),
  ];
  const capital: Series[] = [
    { name: "kernel capital", color: paletteColor(0), step: true, points: r.series.map((p) => ({ x: p.tUs, y: Number(p.kernelCapitalUsdt) })) },
    { name: "exchange wallet", color: paletteColor(1), step: true, dash: "5 3", points: r.series.map((p) => ({ x: p.tUs, y: Number(p.venueWalletUsdt) })) },
  ];
  const positions = positionSeries(r);
  const xLabel = "seconds since scenario start (hover: absolute time)";
  const xFormat = (us: number) => String(Number((us / 1e6).toPrecision(10)));
  const end = origin + r.simTimeUs;
  const tl = eventTimeline(r, origin, violations, { xLabel, xFormat });
  const common = { xLabel, xFormat, xOrigin: origin, xDomain: [origin, end] as [number, number], width: 1290, vmarks };
  return (
    `<h2>Plots</h2><p class="note">Every sample is an event (the series changes only where the run changed something); dashed vertical lines: violations (red, click to jump) and faults (orange).</p><div class="plots">` +
    linePlot({ id: "plot-capital", title: "Capital: kernel vs exchange wallet (USDT)", series: capital, yLabel: "USDT", pointTitle: hover("USDT"), ...common }) +
    linePlot({ id: "plot-positions", title: "Position per symbol: kernel (solid) vs venue (dashed), signed quantity", series: positions, yLabel: "quantity", pointTitle: hover(""), ...common }) +
    tl +
    `</div>`
  );
}

/** Signed position per symbol, kernel (solid) and venue (dashed); per slot (kernel only) for results without per-symbol positions. */
function positionSeries(r: RunResult): Series[] {
  const positions: Series[] = [];
  const symbols = [...new Set(r.series.flatMap((p) => [...Object.keys(p.kernelPositions ?? {}), ...Object.keys(p.venuePositions ?? {})]))].sort();
  symbols.forEach((sym, i) => {
    const k = r.series.filter((p) => p.kernelPositions).map((p) => ({ x: p.tUs, y: Number(p.kernelPositions?.[sym] ?? "0") }));
    const v = r.series.filter((p) => p.venuePositions).map((p) => ({ x: p.tUs, y: Number(p.venuePositions?.[sym] ?? "0") }));
    if (![...k, ...v].some((p) => p.y !== 0)) return;
    positions.push({ name: `${sym} kernel`, color: paletteColor(i), step: true, points: k });
    positions.push({ name: `${sym} venue`, color: paletteColor(i + 4), step: true, dash: "5 3", points: v });
  });
  if (symbols.length === 0) {
    // Results without per-symbol positions (older summaries): one line per slot, kernel side only.
    const slotCount = Math.max(0, ...r.series.map((p) => p.slotSizes.length));
    for (let i = 0; i < slotCount; i++) {
      const pts = r.series.map((p) => ({ x: p.tUs, y: Number(p.slotSizes[i] ?? "0") }));
      if (pts.some((p) => p.y !== 0)) positions.push({ name: `slot ${i}`, color: paletteColor(i), step: true, points: pts });
    }
  }
  return positions;
}

/**
 * The event timeline: one lane per slot (its trades, open → close), per fault kind, and for
 * violations and anomalies.
 */
function eventTimeline(r: RunResult, origin: number, violations: ReturnType<typeof violationMarks>, x: { xLabel: string; xFormat: (us: number) => string }): string {
  const { xLabel, xFormat } = x;
  const slotsUsed = [...new Set(r.trades.map((t) => t.slotId))].sort((a, b) => a - b);
  const faultKinds = [...new Set(r.faults.map((f) => String(f.fault)))].sort();
  const anomalies = r.final?.anomalies ?? [];
  const lanes = [
    ...(violations.length ? ["violations"] : []),
    ...slotsUsed.map((s) => `slot ${s} trades`),
    ...faultKinds.map((k) => `fault: ${k}`),
    ...(anomalies.length ? ["anomalies"] : []),
  ];
  const end = origin + r.simTimeUs;
  const spans: TimelineSpan[] = r.trades.map((t) => ({
    lane: `slot ${t.slotId} trades`,
    x0: t.openedAtUs ?? origin,
    x1: t.closedAtUs ?? end,
    label: `${t.tradeId} ${t.side} ${t.quantity} ${t.symbol} net ${t.realizedNetUsdt} (${t.pnlSource})${t.closed ? "" : " open"}; ${t.openedAtUs !== undefined ? sinceStart(t.openedAtUs, origin) : "?"} → ${t.closedAtUs !== undefined ? sinceStart(t.closedAtUs, origin) : "open"}`,
    color: paletteColor(t.slotId),
  }));
  const marks: TimelineMark[] = [
    ...violations.map((v) => ({ lane: "violations", x: v.x, label: v.label, color: "#b3261e", href: v.href, cls: "violation" })),
    ...r.faults.map((f) => ({ lane: `fault: ${f.fault}`, x: f.tUs, label: `${sinceStart(f.tUs, origin)} (${isoUs(f.tUs)}) ${f.fault}: ${f.detail}`, color: "#D55E00", fault: true })),
    ...anomalies.map((a) => ({ lane: "anomalies", x: a.tsUs, label: `${sinceStart(a.tsUs, origin)} (${isoUs(a.tsUs)}) ${a.code} ${a.tradeId ?? ""}: ${a.detail}`, color: "#CC79A7" })),
  ];
  return timelinePlot({
    id: "plot-timeline",
    title: "Event timeline (trades open → close; faults ▲; anomalies ●; violations ● red)",
    lanes: lanes.length ? lanes : ["(no events)"],
    spans,
    marks,
    xLabel,
    xFormat,
    width: 1290,
    xOrigin: origin,
    xDomain: [origin, Math.max(end, ...marks.map((m) => m.x), ...spans.map((s) => s.x1))],
  });
}

function diagnosticsTable(r: RunResult, origin: number): string {
  const rows: Cell[][] = (r.diagnostics ?? []).map((d) => [
    timeCell(d.tUs, origin),
    d.slotId !== undefined ? { html: (r.final?.slots ?? []).some((s) => s.slotId === d.slotId) ? `<a href="#slot-${d.slotId}">${d.slotId}</a>` : String(d.slotId) } : null,
    { text: d.code, cls: "warn" },
    d.message,
    { html: `${escapeXml(d.inputKind)}${d.inputSeq !== undefined ? ` <a href="#trace-${d.inputSeq}">#${d.inputSeq}</a>` : ""}` },
    { text: d.input, cls: "body" },
  ]);
  const total = r.diagnosticsTotal ?? rows.length;
  const note =
    r.diagnostics === undefined
      ? "not recorded (the run kept no trace)"
      : `${total} kernel call(s) answered other than OK${total > rows.length ? `; the first ${rows.length} are listed (all are in trace.arrow: kind kernel.out)` : ""}`;
  return `<h2>Diagnostics</h2>` + table("diagnostics", ["time", "slot", "code", "message", "input row", "input"], rows, note);
}

function traceExcerpt(r: RunResult, origin: number): string {
  const rows = r.traceExcerpt ?? [];
  if (rows.length === 0) return "";
  const body = rows.map((t) => `<tr id="trace-${t.seq}"><td>${t.seq}</td><td>${(() => { const c = timeCell(t.tUs, origin) as { html: string }; return c.html; })()}</td><td>${escapeXml(t.kind)}</td><td class="body">${escapeXml(t.body)}</td></tr>`).join("");
  return (
    `<h2>Trace rows</h2><p class="note">The rows of trace.arrow (column seq) that the failures and diagnostics above point at.</p>` +
    `<table id="trace"><thead><tr><th>seq</th><th>time</th><th>kind</th><th>body</th></tr></thead><tbody>${body}</tbody></table>`
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

function tradesTable(r: RunResult, origin: number): string {
  const rows: Cell[][] = r.trades.map((t) => {
    const ke = decDiff(t.kernelEstimateUsdt, t.exchangeRealizedUsdt);
    return [
      { html: `<span id="trade-${idSlug(t.tradeId)}">${escapeXml(t.tradeId)}</span>` },
      t.slotId,
      t.symbol,
      `${t.side} ${t.leverage}x`,
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
      timeCell(t.openedAtUs, origin),
      timeCell(t.closedAtUs, origin),
    ];
  });
  return (
    `<h2>Trades</h2><p class="note">Kernel estimate = side × quantity × (exit VWAP − entry VWAP), no leverage factor; ` +
    `exchange = the venue's settled realized PnL; provenance says which one the ledger booked.</p>` +
    table(
      "trades",
      ["trade", "slot", "symbol", "side", "qty", "exited", "entry VWAP", "exit VWAP", "kernel estimate", "exchange", "K − E", "booked gross", "fees", "net", "provenance", "flags", "state", "opened", "closed"],
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
  const repro = opts.repro ?? r.repro ?? `npx dita run ${r.scenario} --seed ${r.seed}`;
  const body =
    verdict(r, repro) +
    failures(r, origin) +
    meta(r, origin) +
    plots(r, origin) +
    `<h2>Invariants</h2>` +
    table(
      "invariants",
      ["invariant", "result", "detail"],
      r.invariants.map((i) => [i.name, i.status === "not-checked" ? { text: "not checked", cls: "warn" } : okCell(i.ok, "holds", "VIOLATED"), i.detail]),
    ) +
    `<h2>Scenario expectations</h2>` +
    table("expectations", ["expectation", "result", "detail"], (r.expectations ?? []).map((e) => [e.name, okCell(e.ok, "met", "NOT MET"), e.detail])) +
    diagnosticsTable(r, origin) +
    ledgerTable(r) +
    tradesTable(r, origin) +
    `<h2>Anomalies</h2>` +
    table("anomalies", ["seq", "time", "code", "trade", "kernel estimate", "exchange", "detail"], anomalies.map((a) => [a.seq, timeCell(a.tsUs, origin), a.code, a.tradeId ?? null, a.kernelEstimateUsdt ?? null, a.exchangeUsdt ?? null, a.detail])) +
    `<h2>Final slots</h2>` +
    table(
      "slots",
      ["slot", "stage", "trade", "symbol", "side", "size", "initial size", "entry price", "realized", "fees", "flags"],
      (r.final?.slots ?? [])
        .filter((s) => s.tradeId !== "" || s.stage !== "IDLE")
        .map((s) => [
          { html: `<span id="slot-${s.slotId}">${s.slotId}</span>` },
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
    table("faults", ["time", "fault", "detail"], r.faults.map((f) => [timeCell(f.tUs, origin), String(f.fault), f.detail])) +
    (r.faultMix ? `<h2>Fault mix</h2><pre>${escapeXml(JSON.stringify(r.faultMix, null, 2))}</pre>` : "") +
    traceExcerpt(r, origin);
  return page(`${r.ok ? "PASS" : "FAIL"} · ${r.scenario} · seed ${r.seed}`, body);
}
