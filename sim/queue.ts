/**
 * The simulator's one event queue (docs/architecture.md §The simulator): a binary min-heap ordered by
 * (time µs, sequence number). The sequence number is assigned at push time and strictly
 * increases, so two events at the same instant always come out in the order they were scheduled,
 * on every run and every machine.
 */
import { assertTimeUs } from "./clock.js";

/** One scheduled entry: the payload, its due time (µs) and its tie-breaking sequence number. */
export interface Scheduled<T> {
  tUs: number;
  seq: number;
  item: T;
}

export class EventQueue<T> {
  private heap: Scheduled<T>[] = [];
  private nextSeq = 0;

  /** Number of pending events. */
  get size(): number {
    return this.heap.length;
  }

  /** Total events ever scheduled (the next sequence number). */
  get scheduled(): number {
    return this.nextSeq;
  }

  /** Schedule `item` at `tUs` (integer µs; throws on a bad time). Returns its sequence number. */
  push(tUs: number, item: T): number {
    assertTimeUs("tUs", tUs);
    const entry: Scheduled<T> = { tUs, seq: this.nextSeq++, item };
    const h = this.heap;
    // Sift up with a hole: parents move down until the entry's place is found.
    let i = h.length;
    h.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(entry, h[parent])) break;
      h[i] = h[parent];
      i = parent;
    }
    h[i] = entry;
    return entry.seq;
  }

  /** The earliest entry without removing it, or undefined when empty. */
  peek(): Scheduled<T> | undefined {
    return this.heap[0];
  }

  /** Remove and return the earliest entry (smallest time, then smallest sequence). */
  pop(): Scheduled<T> | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop() as Scheduled<T>;
    const n = h.length;
    if (n > 0) {
      // Sift the last entry down from the root with a hole: the smaller child moves up.
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const m = r < n && less(h[r], h[l]) ? r : l;
        if (!less(h[m], last)) break;
        h[i] = h[m];
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}

function less<T>(a: Scheduled<T>, b: Scheduled<T>): boolean {
  return a.tUs < b.tUs || (a.tUs === b.tUs && a.seq < b.seq);
}
