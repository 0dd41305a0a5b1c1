/**
 * Seeded random streams (docs/architecture.md §The simulator): the only source of randomness on the
 * simulation path. Each component draws from its own named stream derived from the run seed
 * (`seedrandom.alea(`${seed}/${name}`)`), so adding a component or switching one fault on does
 * not perturb the draws of any other.
 */
import seedrandom from "seedrandom";

/** A seeded stream with the distributions the simulator needs. */
export class Rng {
  private readonly next: () => number;

  /** @param key the stream key, e.g. "42/fault/wsLoss" (seed "/" component name). */
  constructor(readonly key: string) {
    this.next = seedrandom.alea(key);
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.next();
  }

  /** Uniform in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [lo, hi] (inclusive). Throws when the bounds are not integers or hi < lo. */
  int(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) {
      throw new Error(`rng.int: bad bounds lo=${lo} hi=${hi}`);
    }
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p (p outside [0,1] throws). */
  chance(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new Error(`rng.chance: probability ${p} outside [0,1]`);
    return p > 0 && this.next() < p;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    let u = this.next();
    while (u <= 0) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /**
   * Lognormal given its median and 99th percentile (both > 0, p99 >= median):
   * mu = ln(median), sigma = ln(p99/median) / 2.3263 (z of the 99th percentile).
   */
  lognormal(median: number, p99: number): number {
    if (!(median > 0) || !(p99 >= median)) {
      throw new Error(`rng.lognormal: need 0 < median <= p99, got median=${median} p99=${p99}`);
    }
    const sigma = Math.log(p99 / median) / 2.3263478740408408;
    return Math.exp(Math.log(median) + sigma * this.normal());
  }

  /** Poisson-distributed count with mean lambda >= 0 (Knuth for small lambda, normal approx above 60). */
  poisson(lambda: number): number {
    if (!(lambda >= 0)) throw new Error(`rng.poisson: lambda ${lambda} must be >= 0`);
    if (lambda === 0) return 0;
    if (lambda > 60) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** Exponential waiting time with the given mean (> 0). */
  exponential(mean: number): number {
    if (!(mean > 0)) throw new Error(`rng.exponential: mean ${mean} must be > 0`);
    let u = this.next();
    while (u <= 0) u = this.next();
    return -Math.log(u) * mean;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("rng.pick: empty array");
    return items[Math.floor(this.next() * items.length)];
  }

  /** A shuffled copy (Fisher-Yates); the input is not modified. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}

/** The run's family of streams: `stream(name)` always returns the same stream for a name. */
export class RngStreams {
  private readonly streams = new Map<string, Rng>();

  /** @param seed the run seed (a safe integer; throws otherwise). */
  constructor(readonly seed: number) {
    if (!Number.isSafeInteger(seed)) throw new Error(`seed: expected a safe integer, got ${String(seed)}`);
  }

  /** The stream named `name` (created on first use from `${seed}/${name}`). */
  stream(name: string): Rng {
    let s = this.streams.get(name);
    if (!s) {
      s = new Rng(`${this.seed}/${name}`);
      this.streams.set(name, s);
    }
    return s;
  }
}
