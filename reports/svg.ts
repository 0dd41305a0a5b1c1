/**
 * Small inline-SVG plotting helpers for the self-contained run and gate reports (no network and
 * no script at view time). Output is plain SVG markup as a string, deterministic for the same
 * input (coordinates rounded to 0.01 px), with every text escaped.
 *
 * Values are plotted as JS numbers: plots are for the eye; exact figures live in the tables.
 */

/** One (x, y) sample; x is usually simulated time in microseconds. */
export interface XY {
  x: number;
  y: number;
}

/** One line of a line plot. `step` draws a step-after line (value holds until the next sample). */
export interface Series {
  name: string;
  color: string;
  points: XY[];
  step?: boolean;
  dash?: string;
}

/** Escape text for XML/HTML element content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Round a coordinate to 0.01 px and print it without trailing zeros. */
export function fmtCoord(v: number): string {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? "0" : String(r);
}

/**
 * "Nice" axis ticks (steps of 1, 2, 2.5 or 5 × 10^k) covering [min, max] with at most `maxTicks`
 * ticks. A degenerate range (min == max) gets one tick at min; non-finite input throws RangeError.
 */
export function niceTicks(min: number, max: number, maxTicks = 6): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new RangeError(`niceTicks: non-finite range [${min}, ${max}]`);
  if (maxTicks < 2) throw new RangeError(`niceTicks: maxTicks must be >= 2, got ${maxTicks}`);
  if (min > max) [min, max] = [max, min];
  if (min === max) return [min];
  const raw = (max - min) / (maxTicks - 1);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  let step = mag * 10;
  for (const m of [1, 2, 2.5, 5, 10]) {
    const s = m * mag;
    if (Math.floor(max / s + 1e-9) - Math.ceil(min / s - 1e-9) + 1 <= maxTicks) {
      step = s;
      break;
    }
  }
  const ticks: number[] = [];
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  // A span below the floating-point resolution of its magnitude has no room for nice ticks.
  if (last - first + 1 > maxTicks || last < first) return [min, max];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  for (let i = 1; i < ticks.length; i++) if (!(ticks[i] > ticks[i - 1])) return [min, max];
  return ticks;
}

const TIME_STEPS_US = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, // µs
  1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, // ms
  1e6, 2e6, 5e6, 10e6, 15e6, 30e6, // s
  60e6, 120e6, 300e6, 600e6, 900e6, 1800e6, // min
  3600e6, 2 * 3600e6, 3 * 3600e6, 6 * 3600e6, 12 * 3600e6, // h
  86400e6, 2 * 86400e6, 7 * 86400e6, 14 * 86400e6, 28 * 86400e6,
];

/**
 * Axis ticks for a time offset range in microseconds, on round time units (1 s, 15 min, 2 h, 1 d,
 * ...), at most `maxTicks`. Falls back to {@link niceTicks} beyond four weeks per step.
 */
export function timeTicks(min: number, max: number, maxTicks = 7): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new RangeError(`timeTicks: non-finite range [${min}, ${max}]`);
  if (min > max) [min, max] = [max, min];
  if (min === max) return [min];
  for (const step of TIME_STEPS_US) {
    const first = Math.ceil(min / step);
    const last = Math.floor(max / step);
    if (last - first + 1 <= maxTicks) {
      const out: number[] = [];
      for (let i = first; i <= last; i++) out.push(i * step);
      return out;
    }
  }
  return niceTicks(min, max, maxTicks);
}

/**
 * Linear map from domain [d0, d1] to range [r0, r1]. A degenerate domain maps everything to the
 * middle of the range.
 */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  if (d0 === d1) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/**
 * Format a simulated-time offset in microseconds for an axis: "0", "250ms", "12s", "5m", "3h",
 * "2d 4h" (sign kept).
 */
export function formatOffsetUs(us: number): string {
  if (us === 0) return "0";
  const sign = us < 0 ? "-" : "";
  const a = Math.abs(us);
  const trim = (v: number) => String(Number(v.toFixed(1)));
  if (a < 1_000) return `${sign}${trim(a)}µs`;
  if (a < 1_000_000) return `${sign}${trim(a / 1_000)}ms`;
  if (a < 60_000_000) return `${sign}${trim(a / 1_000_000)}s`;
  // compound units from one minute up: 1m10s, 1h30m, 2d 4h
  const units: [string, number][] = [
    ["d", 86_400_000_000],
    ["h", 3_600_000_000],
    ["m", 60_000_000],
    ["s", 1_000_000],
  ];
  const start = units.findIndex(([, v]) => a >= v);
  const [bigName, big] = units[start];
  const [smallName, small] = units[start + 1];
  const n = Math.floor(a / big);
  const rest = Math.round((a - n * big) / small);
  const sep = bigName === "d" ? " " : "";
  return `${sign}${n}${bigName}${rest ? `${sep}${rest}${smallName}` : ""}`;
}

/** Compact number for y-axis labels (up to 6 significant digits, no exponent below 1e12). */
export function formatNumber(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e12 || a < 1e-6) return v.toExponential(3);
  return String(Number(v.toPrecision(6)));
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function frame(width: number, height: number, left = 70): Frame {
  return { width, height, left, right: width - 16, top: 34, bottom: height - 34 };
}

function open(id: string, title: string, f: Frame, ariaDesc: string): string {
  return (
    `<svg id="${escapeXml(id)}" class="plot" xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" ` +
    `viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="${escapeXml(title + ": " + ariaDesc)}">` +
    `<title>${escapeXml(title)}</title>` +
    `<rect x="0" y="0" width="${f.width}" height="${f.height}" fill="#fff"/>` +
    `<text x="${f.left}" y="18" font-size="13" font-weight="bold" fill="#222">${escapeXml(title)}</text>`
  );
}

function xAxis(f: Frame, x: (v: number) => number, ticks: number[], fmt: (v: number) => string, label: string): string {
  let s = `<g class="x-axis" font-size="10" fill="#555">`;
  s += `<line x1="${f.left}" y1="${f.bottom}" x2="${f.right}" y2="${f.bottom}" stroke="#888"/>`;
  for (const t of ticks) {
    const px = fmtCoord(x(t));
    s += `<line x1="${px}" y1="${f.bottom}" x2="${px}" y2="${f.bottom + 4}" stroke="#888"/>`;
    s += `<text x="${px}" y="${f.bottom + 15}" text-anchor="middle">${escapeXml(fmt(t))}</text>`;
  }
  s += `<text x="${fmtCoord((f.left + f.right) / 2)}" y="${f.height - 4}" text-anchor="middle">${escapeXml(label)}</text></g>`;
  return s;
}

function yAxis(f: Frame, y: (v: number) => number, ticks: number[], fmt: (v: number) => string, label: string): string {
  let s = `<g class="y-axis" font-size="10" fill="#555">`;
  s += `<line x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${f.bottom}" stroke="#888"/>`;
  for (const t of ticks) {
    const py = fmtCoord(y(t));
    s += `<line x1="${f.left}" y1="${py}" x2="${f.right}" y2="${py}" stroke="#eee"/>`;
    s += `<text x="${f.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${escapeXml(fmt(t))}</text>`;
  }
  s += `<text transform="translate(12 ${fmtCoord((f.top + f.bottom) / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(label)}</text></g>`;
  return s;
}

function legend(f: Frame, items: { name: string; color: string }[]): string {
  let s = `<g class="legend" font-size="11">`;
  let x = f.right;
  // right-aligned, laid out from the right edge leftwards
  const placed: string[] = [];
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i];
    const w = 22 + it.name.length * 6.2;
    x -= w;
    placed.unshift(
      `<rect x="${fmtCoord(x)}" y="9" width="12" height="10" fill="${escapeXml(it.color)}"/>` +
        `<text x="${fmtCoord(x + 16)}" y="18" fill="#333">${escapeXml(it.name)}</text>`,
    );
  }
  s += placed.join("") + `</g>`;
  return s;
}

function noData(f: Frame): string {
  return `<text class="no-data" x="${fmtCoord((f.left + f.right) / 2)}" y="${fmtCoord((f.top + f.bottom) / 2)}" text-anchor="middle" fill="#999" font-size="12">no data</text>`;
}

/** Options of {@link linePlot}. */
export interface LinePlotOptions {
  /** Element id (the report tests look plots up by id). */
  id: string;
  title: string;
  series: Series[];
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  xFormat?: (x: number) => string;
  yFormat?: (y: number) => string;
  /** Plot x relative to this origin (e.g. the run's start time); ticks are offsets from it.
   * Without xFormat, x is a time offset in µs with ticks on round time units. */
  xOrigin?: number;
  /** Explicit x range (absolute, like the samples), e.g. the run's whole simulated time. */
  xDomain?: [number, number];
  /**
   * Hover text of each sample (a `<circle class="pt">` with a `<title>` per kept sample, e.g. the
   * absolute time and value). Off when absent. At most MAX_HOVER_POINTS per series get one.
   */
  pointTitle?: (p: XY, s: Series) => string;
  /** Vertical markers across the plot (violations, faults): `<line class="vmark">` with a title. */
  vmarks?: { x: number; label: string; color: string; href?: string; opacity?: number }[];
}

/** Most hover circles drawn per series. */
export const MAX_HOVER_POINTS = 400;

/**
 * Thin a sorted series to what a plot `columns` pixels wide can show: per pixel column the first,
 * lowest, highest and last sample (so every step and spike stays visible). Series with at most
 * 4 × columns samples are returned as they are.
 */
export function decimate(points: XY[], x: (v: number) => number, columns: number): XY[] {
  if (points.length <= 4 * columns) return points;
  const out: XY[] = [];
  let col = Number.NaN;
  let bucket: XY[] = [];
  const flush = () => {
    if (bucket.length === 0) return;
    const lo = bucket.reduce((a, b) => (b.y < a.y ? b : a));
    const hi = bucket.reduce((a, b) => (b.y > a.y ? b : a));
    const keep = [bucket[0], lo, hi, bucket[bucket.length - 1]].sort((a, b) => a.x - b.x);
    for (const p of keep) if (out[out.length - 1] !== p) out.push(p);
    bucket = [];
  };
  for (const p of points) {
    const c = Math.floor(x(p.x));
    if (c !== col) {
      flush();
      col = c;
    }
    bucket.push(p);
  }
  flush();
  return out;
}

function vmarkLines(f: Frame, x: (v: number) => number, origin: number, marks: NonNullable<LinePlotOptions["vmarks"]>): string {
  let s = `<g class="vmarks">`;
  for (const m of marks) {
    const px = fmtCoord(x(m.x - origin));
    const line =
      `<line class="vmark" x1="${px}" y1="${f.top}" x2="${px}" y2="${f.bottom}" stroke="${escapeXml(m.color)}" stroke-width="1.5" stroke-dasharray="3 2"${m.opacity !== undefined ? ` stroke-opacity="${m.opacity}"` : ""}>` +
      `<title>${escapeXml(m.label)}</title></line>`;
    s += m.href ? `<a href="${escapeXml(m.href)}">${line}</a>` : line;
  }
  return s + `</g>`;
}

/**
 * A line plot with axes, grid, legend and one `<path class="series">` per non-empty series
 * (`data-series` = series name). Non-finite samples are dropped. An all-empty plot shows "no data".
 */
export function linePlot(o: LinePlotOptions): string {
  const f = frame(o.width ?? 760, o.height ?? 260);
  const origin = o.xOrigin ?? 0;
  const series = o.series.map((s) => ({ ...s, points: s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)) }));
  const all = series.flatMap((s) => s.points);
  let out = open(o.id, o.title, f, `${series.length} series, ${all.length} samples`);
  if (all.length === 0) return out + noData(f) + `</svg>`;
  let x0 = Math.min(...all.map((p) => p.x - origin), ...(o.xDomain ? [o.xDomain[0] - origin] : []));
  let x1 = Math.max(...all.map((p) => p.x - origin), ...(o.xDomain ? [o.xDomain[1] - origin] : []));
  let y0 = Math.min(...all.map((p) => p.y));
  let y1 = Math.max(...all.map((p) => p.y));
  if (x0 === x1) x1 = x0 + 1;
  if (y0 === y1) {
    const pad = Math.abs(y0) * 0.01 || 1;
    y0 -= pad;
    y1 += pad;
  } else {
    const pad = (y1 - y0) * 0.05;
    y0 -= pad;
    y1 += pad;
  }
  const x = linearScale(x0, x1, f.left, f.right);
  const y = linearScale(y0, y1, f.bottom, f.top);
  out += yAxis(f, y, niceTicks(y0, y1, 6), o.yFormat ?? formatNumber, o.yLabel);
  out += xAxis(f, x, o.xFormat ? niceTicks(x0, x1, 7) : timeTicks(x0, x1, 7), o.xFormat ?? formatOffsetUs, o.xLabel);
  if (o.vmarks?.length) out += vmarkLines(f, x, origin, o.vmarks);
  for (const s of series) {
    if (s.points.length === 0) continue;
    const pts = decimate(
      [...s.points].sort((a, b) => a.x - b.x),
      (v) => x(v - origin),
      Math.max(1, Math.round(f.right - f.left)),
    );
    let d = "";
    pts.forEach((p, i) => {
      const px = fmtCoord(x(p.x - origin));
      const py = fmtCoord(y(p.y));
      if (i === 0) d += `M${px} ${py}`;
      else if (s.step) d += `H${px}V${py}`;
      else d += `L${px} ${py}`;
    });
    if (pts.length === 1) d += `h2`; // a single sample is still visible
    out +=
      `<path class="series" data-series="${escapeXml(s.name)}" d="${d}" fill="none" stroke="${escapeXml(s.color)}" stroke-width="1.8"` +
      `${s.dash ? ` stroke-dasharray="${escapeXml(s.dash)}"` : ""}><title>${escapeXml(s.name)}</title></path>`;
    if (o.pointTitle) {
      const step = Math.max(1, Math.ceil(pts.length / MAX_HOVER_POINTS));
      for (let i = 0; i < pts.length; i += step) {
        const p = pts[i];
        out += `<circle class="pt" cx="${fmtCoord(x(p.x - origin))}" cy="${fmtCoord(y(p.y))}" r="3" fill="${escapeXml(s.color)}" fill-opacity="0.35"><title>${escapeXml(o.pointTitle(p, s))}</title></circle>`;
      }
    }
  }
  out += legend(f, series.map((s) => ({ name: s.name, color: s.color })));
  return out + `</svg>`;
}

/** A bar on a timeline lane (e.g. a trade from open to close). */
export interface TimelineSpan {
  lane: string;
  x0: number;
  x1: number;
  label: string;
  color: string;
}

/** A point event on a timeline lane (e.g. a fault that fired, an anomaly). */
export interface TimelineMark {
  lane: string;
  x: number;
  label: string;
  color: string;
  /** Drawn as a red triangle with class "fault" when true, otherwise a circle. */
  fault?: boolean;
  /** In-page link (e.g. "#failure-0") the mark leads to. */
  href?: string;
  /** Extra class of the circle, e.g. "violation". */
  cls?: string;
}

/** Options of {@link timelinePlot}. */
export interface TimelineOptions {
  id: string;
  title: string;
  lanes: string[];
  spans: TimelineSpan[];
  marks: TimelineMark[];
  xLabel: string;
  xOrigin?: number;
  width?: number;
  xFormat?: (x: number) => string;
  /** Explicit x range (e.g. the run's whole simulated time); defaults to the data's extent. */
  xDomain?: [number, number];
  legend?: { name: string; color: string }[];
}

/**
 * An event timeline: one horizontal lane per name, spans as bars (`rect.span`), marks as
 * triangles (`path.fault`) or circles (`circle.mark`), each with a `<title>` tooltip. Marks and
 * spans on unknown lanes throw RangeError (a caller bug, never silently dropped).
 */
export function timelinePlot(o: TimelineOptions): string {
  const laneH = 26;
  const width = o.width ?? 760;
  const height = 34 + 34 + Math.max(1, o.lanes.length) * laneH;
  const laneLabelW = Math.min(160, 20 + Math.max(0, ...o.lanes.map((l) => l.length)) * 6.2);
  const f = frame(width, height, Math.max(70, laneLabelW));
  const origin = o.xOrigin ?? 0;
  const laneIdx = new Map(o.lanes.map((l, i) => [l, i] as const));
  for (const it of [...o.spans, ...o.marks]) {
    if (!laneIdx.has(it.lane)) throw new RangeError(`timelinePlot: unknown lane "${it.lane}" (lanes: ${o.lanes.join(", ")})`);
  }
  let out = open(o.id, o.title, f, `${o.lanes.length} lanes, ${o.spans.length} spans, ${o.marks.length} marks`);
  const xs = [...o.spans.flatMap((s) => [s.x0, s.x1]), ...o.marks.map((m) => m.x)].map((v) => v - origin);
  let [x0, x1] = o.xDomain ? [o.xDomain[0] - origin, o.xDomain[1] - origin] : xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  if (x0 === x1) x1 = x0 + 1;
  const x = linearScale(x0, x1, f.left, f.right);
  const laneY = (l: string) => f.top + (laneIdx.get(l) as number) * laneH + laneH / 2;
  out += `<g class="lanes" font-size="11" fill="#333">`;
  o.lanes.forEach((l, i) => {
    const yy = f.top + i * laneH;
    out += `<rect x="${f.left}" y="${fmtCoord(yy)}" width="${fmtCoord(f.right - f.left)}" height="${laneH}" fill="${i % 2 ? "#fafafa" : "#f2f2f2"}"/>`;
    out += `<text x="${f.left - 6}" y="${fmtCoord(yy + laneH / 2)}" text-anchor="end" dominant-baseline="middle">${escapeXml(l)}</text>`;
  });
  out += `</g>`;
  out += xAxis(f, x, o.xFormat ? niceTicks(x0, x1, 7) : timeTicks(x0, x1, 7), o.xFormat ?? formatOffsetUs, o.xLabel);
  for (const s of o.spans) {
    const a = x(Math.min(s.x0, s.x1) - origin);
    const b = x(Math.max(s.x0, s.x1) - origin);
    out +=
      `<rect class="span" x="${fmtCoord(a)}" y="${fmtCoord(laneY(s.lane) - 7)}" width="${fmtCoord(Math.max(2, b - a))}" height="14" rx="3" ` +
      `fill="${escapeXml(s.color)}" fill-opacity="0.75"><title>${escapeXml(s.label)}</title></rect>`;
  }
  for (const m of o.marks) {
    const px = x(m.x - origin);
    const py = laneY(m.lane);
    if (m.fault) {
      out +=
        `<path class="fault" d="M${fmtCoord(px)} ${fmtCoord(py - 7)}L${fmtCoord(px + 6)} ${fmtCoord(py + 6)}L${fmtCoord(px - 6)} ${fmtCoord(py + 6)}Z" ` +
        `fill="${escapeXml(m.color)}" stroke="#600" stroke-width="0.6"><title>${escapeXml(m.label)}</title></path>`;
    } else {
      const c = `<circle class="mark${m.cls ? ` ${escapeXml(m.cls)}` : ""}" cx="${fmtCoord(px)}" cy="${fmtCoord(py)}" r="5" fill="${escapeXml(m.color)}"><title>${escapeXml(m.label)}</title></circle>`;
      out += m.href ? `<a href="${escapeXml(m.href)}">${c}</a>` : c;
    }
  }
  if (o.legend?.length) out += legend(f, o.legend);
  return out + `</svg>`;
}

/** A fixed, colour-blind-friendly palette (Okabe-Ito); index wraps around. */
export function paletteColor(i: number): string {
  const p = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];
  return p[((i % p.length) + p.length) % p.length];
}
