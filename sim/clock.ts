/**
 * Virtual clock of the simulator (docs/architecture.md §The simulator): integer microseconds since the
 * Unix epoch. It only moves forward, and only when the event queue hands out the next event.
 * Nothing on the simulation path reads a wall clock.
 */
export class VirtualClock {
  private current: number;

  /** @param startUs simulated start, integer µs (e.g. Scenario.startUs). Throws on a non-integer. */
  constructor(startUs: number) {
    assertTimeUs("startUs", startUs);
    this.current = startUs;
  }

  /** Current virtual time, integer µs. */
  get nowUs(): number {
    return this.current;
  }

  /**
   * Move the clock to `tUs`. Throws (changing nothing) when `tUs` is not an integer or lies in the
   * past: events are processed in (time, sequence) order, so a backward step is a bug.
   */
  advanceTo(tUs: number): void {
    assertTimeUs("tUs", tUs);
    if (tUs < this.current) {
      throw new Error(`clock: tUs ${tUs} is before the current time ${this.current} (time never goes back)`);
    }
    this.current = tUs;
  }
}

/** Throws when `value` is not a safe non-negative integer number of microseconds. */
export function assertTimeUs(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${field}: expected a non-negative integer number of microseconds, got ${String(value)}`);
  }
}
