/**
 * Test helper for venues/connector tests (not used on the simulation path): a Clock whose timers
 * are a list run in (time, scheduling order) by `runUntil` — the connector as a live process
 * would drive it, without the simulator.
 */
import type { Clock } from "./ports.js";

export class TimerClock implements Clock {
  private timers: { t: number; seq: number; fn: () => void }[] = [];
  private seq = 0;
  /** @param t current time, µs since the epoch */
  constructor(public t: number) {}
  nowUs(): number {
    return this.t;
  }
  at(tUs: number, fn: () => void): void {
    this.timers.push({ t: Math.max(tUs, this.t), seq: this.seq++, fn });
  }
  /** Run timers due up to `untilUs`, in (time, scheduling) order; the clock ends at `untilUs`. */
  runUntil(untilUs: number): void {
    for (;;) {
      this.timers.sort((a, b) => a.t - b.t || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.t > untilUs) break;
      this.timers.shift();
      this.t = next.t;
      next.fn();
    }
    this.t = Math.max(this.t, untilUs);
  }
}
