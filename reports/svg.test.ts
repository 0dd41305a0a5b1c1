import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escapeXml, fmtCoord, formatOffsetUs, linearScale, linePlot, niceTicks, timelinePlot, timeTicks } from "./svg.js";

/** Minimal XML well-formedness check: every element opened is closed in order, attributes quoted. */
function assertWellFormed(xml: string): void {
  const stack: string[] = [];
  const tagRe = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = tagRe.exec(xml))) {
    const between = xml.slice(last, m.index);
    expect(between, `stray markup before <${m[2]}>`).not.toMatch(/[<>]/);
    last = tagRe.lastIndex;
    const [, close, name, , self] = m;
    if (self) continue;
    if (close) expect(stack.pop(), `closing </${name}>`).toBe(name);
    else stack.push(name);
  }
  expect(xml.slice(last)).not.toMatch(/[<>]/);
  expect(stack).toEqual([]);
}

describe("niceTicks", () => {
  it("gives round steps covering the range", () => {
    expect(niceTicks(0, 10, 6)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0.1866, 0.1878, 5)).toEqual([0.18675, 0.187, 0.18725, 0.1875, 0.18775]);
    expect(niceTicks(-3, 3, 7)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
  });
  it("degenerate range gives one tick; a span below float resolution gives its ends; bad input throws", () => {
    expect(niceTicks(5, 5)).toEqual([5]);
    expect(niceTicks(1e9, 1e9 + 1e-6)).toEqual([1e9, 1e9 + 1e-6]);
    expect(() => niceTicks(0, Number.NaN)).toThrow(RangeError);
    expect(() => niceTicks(0, 1, 1)).toThrow(/maxTicks/);
  });
  it("property: ticks are increasing, inside [min,max], at most maxTicks, and evenly spaced", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e9, max: 1e9, noNaN: true }),
        fc.double({ min: 1e-6, max: 1e9, noNaN: true }),
        fc.integer({ min: 2, max: 12 }),
        (min, span, maxTicks) => {
          const max = min + span;
          fc.pre(max > min && span >= Math.abs(min) * 1e-9);
          const t = niceTicks(min, max, maxTicks);
          expect(t.length).toBeLessThanOrEqual(maxTicks);
          const eps = span * 1e-6;
          for (const v of t) {
            expect(v).toBeGreaterThanOrEqual(min - eps);
            expect(v).toBeLessThanOrEqual(max + eps);
          }
          for (let i = 2; i < t.length; i++) {
            expect(Math.abs(t[i] - t[i - 1] - (t[1] - t[0]))).toBeLessThanOrEqual(Math.abs(t[1] - t[0]) * 1e-6);
          }
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });
});

describe("timeTicks", () => {
  const H = 3_600_000_000;
  it("uses round time units", () => {
    expect(timeTicks(0, 6 * H, 7)).toEqual([0, H, 2 * H, 3 * H, 4 * H, 5 * H, 6 * H]);
    expect(timeTicks(0, 48 * H, 7)).toEqual([0, 12 * H, 24 * H, 36 * H, 48 * H]);
    expect(timeTicks(0, 2_500_000, 7)).toEqual([0, 500_000, 1_000_000, 1_500_000, 2_000_000, 2_500_000]);
    expect(timeTicks(7, 7)).toEqual([7]);
  });
  it("property: at most maxTicks, inside the range, evenly spaced", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), fc.integer({ min: 1, max: 1e12 }), (a, span) => {
        const t = timeTicks(a, a + span, 7);
        expect(t.length).toBeGreaterThan(0);
        expect(t.length).toBeLessThanOrEqual(7);
        for (const v of t) {
          expect(v).toBeGreaterThanOrEqual(a);
          expect(v).toBeLessThanOrEqual(a + span);
        }
        for (let i = 2; i < t.length; i++) expect(t[i] - t[i - 1]).toBe(t[1] - t[0]);
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});

describe("scales and formats", () => {
  it("linearScale maps ends and midpoints; degenerate domain maps to the middle", () => {
    const s = linearScale(10, 20, 100, 0);
    expect(s(10)).toBe(100);
    expect(s(20)).toBe(0);
    expect(s(15)).toBe(50);
    expect(linearScale(3, 3, 0, 10)(99)).toBe(5);
  });
  it("formatOffsetUs picks a readable unit", () => {
    expect(formatOffsetUs(0)).toBe("0");
    expect(formatOffsetUs(250_000)).toBe("250ms");
    expect(formatOffsetUs(12_000_000)).toBe("12s");
    expect(formatOffsetUs(5 * 60_000_000)).toBe("5m");
    expect(formatOffsetUs(70_000_000)).toBe("1m10s");
    expect(formatOffsetUs(3 * 3_600_000_000)).toBe("3h");
    expect(formatOffsetUs(5_400_000_000)).toBe("1h30m");
    expect(formatOffsetUs(52 * 3_600_000_000)).toBe("2d 4h");
    expect(formatOffsetUs(-90_000_000)).toBe("-1m30s");
  });
  it("escapeXml escapes markup and quotes; fmtCoord rounds to 0.01", () => {
    expect(escapeXml(`<a href="x">&'`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    expect(fmtCoord(1.23456)).toBe("1.23");
    expect(fmtCoord(-0.001)).toBe("0");
  });
});

describe("linePlot", () => {
  const base = { id: "plot-capital", title: "Capital <USDT>", xLabel: "simulated time", yLabel: "USDT" };
  it("draws one path per non-empty series, step lines with H/V segments, escaped names, well-formed", () => {
    const svg = linePlot({
      ...base,
      series: [
        { name: "kernel capital", color: "#0072B2", step: true, points: [{ x: 0, y: 100 }, { x: 10, y: 110 }, { x: 20, y: 105 }] },
        { name: "venue <wallet>", color: "#E69F00", points: [{ x: 0, y: 100 }, { x: 20, y: 104 }] },
        { name: "empty", color: "#000", points: [] },
      ],
    });
    assertWellFormed(svg);
    expect(svg.startsWith('<svg id="plot-capital"')).toBe(true);
    const paths = svg.match(/<path class="series"[^>]*>/g) ?? [];
    expect(paths).toHaveLength(2);
    expect(paths[0]).toMatch(/d="M[\d.]+ [\d.]+H[\d.]+V[\d.]+H[\d.]+V[\d.]+"/);
    expect(paths[1]).toMatch(/d="M[\d.]+ [\d.]+L[\d.]+ [\d.]+"/);
    expect(svg).toContain("venue &lt;wallet&gt;");
    expect(svg).toContain("Capital &lt;USDT&gt;");
    expect(svg).not.toContain("no data");
  });
  it("plots inside the frame: every path coordinate lies within the plot area", () => {
    const svg = linePlot({ ...base, width: 500, height: 200, series: [{ name: "a", color: "#000", points: [{ x: 5, y: -3 }, { x: 9, y: 7 }, { x: 7, y: 1e6 }] }] });
    const d = /class="series"[^>]* d="([^"]+)"/.exec(svg)?.[1] ?? "";
    const nums = d.match(/-?[\d.]+/g)!.map(Number);
    for (let i = 0; i < nums.length; i += 2) {
      expect(nums[i]).toBeGreaterThanOrEqual(70);
      expect(nums[i]).toBeLessThanOrEqual(500 - 16);
      expect(nums[i + 1]).toBeGreaterThanOrEqual(34);
      expect(nums[i + 1]).toBeLessThanOrEqual(200 - 34);
    }
  });
  it("xDomain widens the x axis beyond the samples (same axis as the timeline)", () => {
    const svg = linePlot({ ...base, xDomain: [0, 120_000_000], series: [{ name: "a", color: "#000", points: [{ x: 50_000_000, y: 1 }, { x: 60_000_000, y: 2 }] }] });
    expect(svg).toContain(">0</text>");
    expect(svg).toContain(">2m</text>");
  });
  it("with no finite samples it says no data", () => {
    const svg = linePlot({ ...base, series: [{ name: "a", color: "#000", points: [{ x: 1, y: Number.NaN }] }] });
    assertWellFormed(svg);
    expect(svg).toContain("no data");
    expect(svg).not.toContain('class="series"');
  });
  it("is deterministic for the same input", () => {
    const o = { ...base, series: [{ name: "a", color: "#000", points: [{ x: 1, y: 2 }, { x: 3, y: 5 }] }] };
    expect(linePlot(o)).toBe(linePlot(o));
  });
});

describe("timelinePlot", () => {
  it("draws spans, fault triangles and marks on their lanes, well-formed", () => {
    const svg = timelinePlot({
      id: "plot-timeline",
      title: "Events",
      lanes: ["slot 0", "faults"],
      spans: [{ lane: "slot 0", x0: 0, x1: 50, label: "trade T1", color: "#0072B2" }],
      marks: [
        { lane: "faults", x: 10, label: "wsLoss", color: "#D55E00", fault: true },
        { lane: "faults", x: 30, label: "restart", color: "#D55E00", fault: true },
        { lane: "slot 0", x: 40, label: "PNL_ANOMALY", color: "#CC79A7" },
      ],
      xLabel: "simulated time",
    });
    assertWellFormed(svg);
    expect(svg.match(/<rect class="span"/g)).toHaveLength(1);
    expect(svg.match(/<path class="fault"/g)).toHaveLength(2);
    expect(svg.match(/<circle class="mark"/g)).toHaveLength(1);
    expect(svg).toContain("<title>wsLoss</title>");
  });
  it("refuses a mark on an unknown lane instead of dropping it", () => {
    expect(() =>
      timelinePlot({ id: "t", title: "t", lanes: ["a"], spans: [], marks: [{ lane: "b", x: 1, label: "x", color: "#000" }], xLabel: "t" }),
    ).toThrow(/unknown lane "b"/);
  });
});
