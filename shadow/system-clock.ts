/**
 * The system clock for live sessions and `dita venue serve` (docs/shadow.md §time): the only
 * wall-clock read of the live path. It lives outside the simulation folders on purpose; the
 * simulator never imports it (sim/determinism-guard.test.ts).
 */
import type { LiveClock, TimerHandle } from "../venues/bingx/live/clock.js";

/** Wall time in µs since the epoch (ms resolution) and `setTimeout` timers. */
export const systemClock: LiveClock = {
  nowUs: () => Date.now() * 1000,
  after(delayMs: number, fn: () => void): TimerHandle {
    const t = setTimeout(fn, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(t) };
  },
};
