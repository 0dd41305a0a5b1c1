/**
 * BingX rate limits as token buckets in virtual time (docs/bingx-protocol.md §7).
 *
 * - Per account (UID), per endpoint: N requests per second (place order 10/s per the Nov-2025
 *   docs scrape, 5/s per the compiled docs; most trade/account endpoints 5/s; position mode 2/s).
 * - Per IP group: group 1 (market) 500 req / 10 s and 1000 req / min across the group;
 *   groups 2 and 3 (account/trade) 2000 req / 10 s across the group and 300 req / 10 s per
 *   endpoint. Exceeding an IP limit disables the group for a penalty ("recovers after 5 minutes").
 * Buckets are integers: level in token·µs units, so refill is exact and deterministic.
 */

/** A token bucket: `capacity` requests per `windowUs`, refilled continuously. */
export class TokenBucket {
  private levelUnits: number; // tokens × windowUs
  private lastUs: number;
  constructor(
    public readonly capacity: number,
    public readonly windowUs: number,
    startUs: number,
  ) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new Error(`TokenBucket: capacity must be a positive integer, got ${capacity}`);
    if (!Number.isInteger(windowUs) || windowUs <= 0) throw new Error(`TokenBucket: windowUs must be a positive integer, got ${windowUs}`);
    this.levelUnits = capacity * windowUs;
    this.lastUs = startUs;
  }

  private refill(nowUs: number): void {
    if (nowUs > this.lastUs) {
      this.levelUnits = Math.min(this.capacity * this.windowUs, this.levelUnits + (nowUs - this.lastUs) * this.capacity);
      this.lastUs = nowUs;
    }
  }

  /** True when one request is available at `nowUs` (does not consume). */
  available(nowUs: number): boolean {
    this.refill(nowUs);
    return this.levelUnits >= this.windowUs;
  }

  /** Consume one request; the caller checked {@link available}. */
  take(nowUs: number): void {
    this.refill(nowUs);
    this.levelUnits -= this.windowUs;
  }

  /** Virtual time (µs) at which one request becomes available again. */
  nextAvailableUs(nowUs: number): number {
    this.refill(nowUs);
    if (this.levelUnits >= this.windowUs) return nowUs;
    return nowUs + Math.ceil((this.windowUs - this.levelUnits) / this.capacity);
  }
}

/** Rate-limit metadata of one endpoint (docs/bingx-protocol.md §4 table). */
export interface EndpointLimit {
  /** Per-account requests per second; undefined = no UID limit (public / listen key). */
  readonly uidPerSec?: number;
  /** IP group 1, 2 or 3; undefined = not IP-limited (listen key). */
  readonly ipGroup?: 1 | 2 | 3;
}

/** Rate-limit configuration (defaults from docs/bingx-protocol.md §7). */
export interface RateLimitConfig {
  placeOrderPerSec: number; // 10 (CO, Nov 2025); 5 in the compiled docs
  ipGroup1Per10s: number; // 500
  ipGroup1PerMin: number; // 1000
  ipGroupPer10s: number; // 2000 (groups 2, 3)
  ipEndpointPer10s: number; // 300 (groups 2, 3)
  ipPenaltyUs: number; // 5 minutes
}

export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  placeOrderPerSec: 10,
  ipGroup1Per10s: 500,
  ipGroup1PerMin: 1000,
  ipGroupPer10s: 2000,
  ipEndpointPer10s: 300,
  ipPenaltyUs: 300_000_000,
};

/** Why a request was throttled and when the venue unblocks it (virtual µs). */
export interface Throttle {
  scope: "UID" | "IP" | "STORM";
  unblockUs: number;
}

/**
 * All buckets of one account behind one IP. `check(endpointKey, limit, nowUs)` consumes from every
 * applicable bucket when all have room, else returns the throttle (nothing consumed).
 */
export class RateLimiter {
  private readonly uid = new Map<string, TokenBucket>();
  private readonly ipEndpoint = new Map<string, TokenBucket>();
  private readonly ipGroups = new Map<string, TokenBucket[]>();
  private readonly ipDisabledUntil = new Map<number, number>();
  private readonly routeBuckets = new Map<string, { limit: EndpointLimit; buckets: { b: TokenBucket; scope: "UID" | "IP" }[] }>();
  constructor(
    private readonly cfg: RateLimitConfig,
    private readonly startUs: number,
  ) {}

  private bucket(map: Map<string, TokenBucket>, key: string, cap: number, windowUs: number): TokenBucket {
    let b = map.get(key);
    if (!b) {
      b = new TokenBucket(cap, windowUs, this.startUs);
      map.set(key, b);
    }
    return b;
  }

  /**
   * The buckets a call of `endpointKey` under `limit` draws from, in check order (IP group, IP
   * endpoint, UID), kept per endpoint while its limit object is the same (the buckets themselves
   * are created once per key: the same ones every time; issue 12 profile).
   */
  private bucketsOf(endpointKey: string, limit: EndpointLimit): { b: TokenBucket; scope: "UID" | "IP" }[] {
    const hit = this.routeBuckets.get(endpointKey);
    if (hit !== undefined && hit.limit === limit) return hit.buckets;
    const buckets: { b: TokenBucket; scope: "UID" | "IP" }[] = [];
    if (limit.ipGroup !== undefined) {
      for (const b of this.groupBuckets(limit.ipGroup)) buckets.push({ b, scope: "IP" });
      if (limit.ipGroup !== 1) buckets.push({ b: this.bucket(this.ipEndpoint, endpointKey, this.cfg.ipEndpointPer10s, 10_000_000), scope: "IP" });
    }
    if (limit.uidPerSec !== undefined) buckets.push({ b: this.bucket(this.uid, endpointKey, limit.uidPerSec, 1_000_000), scope: "UID" });
    this.routeBuckets.set(endpointKey, { limit, buckets });
    return buckets;
  }

  private groupBuckets(group: 1 | 2 | 3): TokenBucket[] {
    const key = String(group);
    let bs = this.ipGroups.get(key);
    if (!bs) {
      bs =
        group === 1
          ? [new TokenBucket(this.cfg.ipGroup1Per10s, 10_000_000, this.startUs), new TokenBucket(this.cfg.ipGroup1PerMin, 60_000_000, this.startUs)]
          : [new TokenBucket(this.cfg.ipGroupPer10s, 10_000_000, this.startUs)];
      this.ipGroups.set(key, bs);
    }
    return bs;
  }

  /** Check and consume one request of `endpointKey`; returns undefined when allowed. */
  check(endpointKey: string, limit: EndpointLimit, nowUs: number): Throttle | undefined {
    if (limit.ipGroup !== undefined) {
      const disabled = this.ipDisabledUntil.get(limit.ipGroup);
      if (disabled !== undefined && disabled > nowUs) return { scope: "IP", unblockUs: disabled };
    }
    const buckets = this.bucketsOf(endpointKey, limit);
    for (const { b, scope } of buckets) {
      if (!b.available(nowUs)) {
        if (scope === "IP" && limit.ipGroup !== undefined) {
          const until = nowUs + this.cfg.ipPenaltyUs;
          this.ipDisabledUntil.set(limit.ipGroup, until);
          return { scope, unblockUs: until };
        }
        return { scope, unblockUs: b.nextAvailableUs(nowUs) };
      }
    }
    for (const { b } of buckets) b.take(nowUs);
    return undefined;
  }
}
