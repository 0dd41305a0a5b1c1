/**
 * Live-session measurements for the status line and the summary (docs/shadow.md §status):
 * latency samples with p50 / p99 (nearest-rank), in µs.
 */

/** A bounded list of latency samples (the newest `cap` kept), µs. */
export class Latency {
  private readonly xs: number[] = [];
  count = 0;
  constructor(private readonly cap = 10_000) {}

  add(us: number): void {
    if (!Number.isFinite(us)) return;
    this.count++;
    this.xs.push(Math.max(0, us));
    if (this.xs.length > this.cap) this.xs.shift();
  }

  /** Nearest-rank percentile (0 < p ≤ 100) in µs, undefined without samples. */
  pct(p: number): number | undefined {
    if (this.xs.length === 0) return undefined;
    const s = [...this.xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  }

  /** `{count, p50Ms, p99Ms}` with ms rounded to 0.1. */
  summary(): { count: number; p50Ms: number | null; p99Ms: number | null } {
    const ms = (v: number | undefined) => (v === undefined ? null : Math.round(v / 100) / 10);
    return { count: this.count, p50Ms: ms(this.pct(50)), p99Ms: ms(this.pct(99)) };
  }
}

/** "12.3/45.6ms" or "—" for the status line. */
export function fmtLatency(l: Latency): string {
  const s = l.summary();
  return s.p50Ms === null ? "—" : `${s.p50Ms}/${s.p99Ms}ms`;
}
