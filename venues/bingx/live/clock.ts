/**
 * The clock a live BingX session runs on (docs/shadow.md §time). Live code never reads a wall
 * clock itself: it is handed one of these (the system clock in shadow/system-clock.ts, a test's
 * own clock), so the simulation path's determinism guard keeps holding and tests can drive time.
 */

/** A cancellable timer handle. */
export interface TimerHandle {
  cancel(): void;
}

/** Wall time and timers, integer microseconds since the Unix epoch. */
export interface LiveClock {
  /** Current time, integer µs since the Unix epoch (BingX `timestamp` = floor(nowUs / 1000)). */
  nowUs(): number;
  /** Call `fn` once after `delayMs` milliseconds (≥ 0). */
  after(delayMs: number, fn: () => void): TimerHandle;
}
