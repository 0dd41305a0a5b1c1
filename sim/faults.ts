/**
 * Fault injection (docs/architecture.md §The simulator; sim/types.ts FaultProfile). Every fault has its own
 * switch (present in the profile = on), its own intensity and its own seeded stream
 * (`fault/<name>`), so switching one on never perturbs another's draws. The runtime asks the
 * injector at each decision point; the injector answers and records what fired (FaultMark).
 * `heal()` turns every fault off for the liveness phase (baseline latencies remain).
 *
 * Catalogue (what each fault does to the run, and the seed flaws it reaches):
 * - restLatencyUs / wsLatencyUs: lognormal latency by (median, p99) per REST leg / WS frame.
 * - wsDuplicate: a user-stream frame is delivered twice (Flaw 10, I10, F26: idempotency).
 * - wsReorder: a frame is held back behind the frames that follow it.
 * - wsDelay: a frame is delayed by up to maxUs.
 * - wsLoss: a frame is lost; only REST reconciliation recovers it (E1, I19, F16).
 * - restLoss: the venue acted but its REST response is lost (I11): the runtime retries with the
 *   same client order id and resolves by the duplicate-id reject or a query.
 * - rateLimitStorm: per simulated hour, with `probability`, a window of `durationUs` in which the
 *   venue throttles every call (109429 / 100410; I21).
 * - cancelFillRace: a CANCEL is issued for an order the venue has just filled (M9, I15, F17).
 * - outage: per simulated hour, with `probability`, a window of `durationUs` in which the venue is
 *   unreachable: requests time out, the stream drops frames.
 * - staleSnapshot: a REST read answers with the previous answer to the same read (E13, F19, I19).
 * - listenKeyExpiry: the user stream's listen key expires (per hour); frames are lost until a new
 *   key is made; then the runtime reconciles. `listenKeyExpiryAtUs`: the same at given times.
 * - restart: the process restarts (save → dispose → new kernel → restore → reconcile), per intent
 *   and also right after an ACK, before its fill (I9, I14, Flaw 11).
 * - handlerError: an input handler throws in the middle of a batch; the rest of the batch is still
 *   applied and the error recorded (F15); the lost input is recovered by reconciliation.
 * - wsFillPriceLoss: a WS fill frame carries no `ap` (no true price; the FET poisoned exit, spec
 *   §0.1): the kernel books 0 and FILL_SETTLED repairs it (§5.2). The venue produces the frame, so
 *   this is applied as the venue quirk `omitWsAvgPrice` for the whole run (the larger wins) and
 *   leaves no per-frame fault mark.
 */
import type { FaultMark, FaultProfile } from "./types.js";
import { RngStreams, type Rng } from "./rng.js";

/** Latencies when the latency faults are off (and after healing), µs. */
export const BASELINE_REST_LATENCY_US = 20_000;
export const BASELINE_WS_LATENCY_US = 5_000;
const US_PER_HOUR = 3_600_000_000;
const STAGES: readonly string[] = [
  "IDLE", "ORDER_REQUESTED", "ENTRY_WORKING", "POSITION_OPEN", "EXIT_REQUESTED", "EXIT_WORKING", "CLOSED", "STALE_STATE_RECONCILING",
];

/** FaultProfile fields that are a probability in [0,1] (validated here and by scenarios/validate.ts). */
export const FAULT_PROBABILITY_FIELDS = ["wsDuplicate", "wsReorder", "wsLoss", "restLoss", "cancelFillRace", "staleSnapshot", "restart", "handlerError", "wsFillPriceLoss"] as const satisfies readonly (keyof FaultProfile)[];

/** Validate a profile; throws naming the first bad field (bad input changes nothing). */
export function validateFaultProfile(p: FaultProfile): void {
  const prob = (name: string, v: unknown) => {
    if (v === undefined) return;
    if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw new Error(`faults.${name}: probability ${String(v)} outside [0,1]`);
  };
  const pos = (name: string, v: unknown) => {
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new Error(`faults.${name}: ${String(v)} must be a positive number`);
  };
  for (const k of FAULT_PROBABILITY_FIELDS) prob(k, p[k]);
  if (p.listenKeyExpiry !== undefined && !(typeof p.listenKeyExpiry === "number" && p.listenKeyExpiry >= 0)) {
    throw new Error(`faults.listenKeyExpiry: ${String(p.listenKeyExpiry)} must be a rate >= 0 per hour`);
  }
  for (const k of ["restLatencyUs", "wsLatencyUs"] as const) {
    const v = p[k];
    if (v === undefined) continue;
    pos(`${k}.medianUs`, v.medianUs);
    pos(`${k}.p99Us`, v.p99Us);
    if (v.p99Us < v.medianUs) throw new Error(`faults.${k}.p99Us: ${v.p99Us} is below medianUs ${v.medianUs}`);
  }
  if (p.wsDelay) {
    prob("wsDelay.probability", p.wsDelay.probability);
    pos("wsDelay.maxUs", p.wsDelay.maxUs);
  }
  if (p.restartAtUs !== undefined) {
    if (!Array.isArray(p.restartAtUs)) throw new Error(`faults.restartAtUs: expected an array of µs times`);
    p.restartAtUs.forEach((t, i) => {
      if (!Number.isSafeInteger(t) || t < 0) throw new Error(`faults.restartAtUs[${i}]: ${String(t)} is not an integer µs time`);
    });
  }
  if (p.listenKeyExpiryAtUs !== undefined) {
    if (!Array.isArray(p.listenKeyExpiryAtUs)) throw new Error(`faults.listenKeyExpiryAtUs: expected an array of µs times`);
    p.listenKeyExpiryAtUs.forEach((t, i) => {
      if (!Number.isSafeInteger(t) || t < 0) throw new Error(`faults.listenKeyExpiryAtUs[${i}]: ${String(t)} is not an integer µs time`);
    });
  }
  if (p.restartOnStage !== undefined) {
    if (!Array.isArray(p.restartOnStage)) throw new Error(`faults.restartOnStage: expected an array of {slotId, stage}`);
    p.restartOnStage.forEach((r, i) => {
      if (!r || !Number.isInteger(r.slotId) || r.slotId < 0) throw new Error(`faults.restartOnStage[${i}].slotId: ${String(r?.slotId)} is not a slot id`);
      if (!STAGES.includes(r.stage)) throw new Error(`faults.restartOnStage[${i}].stage: unknown stage ${String(r.stage)}`);
    });
  }
  for (const k of ["rateLimitStorm", "outage"] as const) {
    const v = p[k];
    if (!v) continue;
    prob(`${k}.probability`, v.probability);
    pos(`${k}.durationUs`, v.durationUs);
  }
}

/** How one user-stream frame is delivered: extra delays (µs) per copy; [] = lost. */
export interface WsDeliveryPlan {
  delaysUs: number[];
  /** Held back behind later frames (reorder). */
  reordered: boolean;
}

/** A time window [startUs, endUs). */
export interface Window {
  startUs: number;
  endUs: number;
}

export class FaultInjector {
  private healed = false;
  readonly marks: FaultMark[] = [];
  private readonly s: (name: keyof FaultProfile | "windows") => Rng;
  /** Outage and rate-limit storm windows, drawn once for the safety phase. */
  readonly outages: Window[];
  readonly storms: Window[];
  readonly listenKeyExpiries: number[];

  /**
   * @param profile the safety-phase fault profile (validated here; throws on a bad field)
   * @param rngs the run's streams; each fault uses `fault/<name>`
   * @param startUs/endUs the safety phase, in which windows and expiries are drawn
   */
  constructor(readonly profile: FaultProfile, rngs: RngStreams, startUs: number, endUs: number) {
    validateFaultProfile(profile);
    this.s = (name) => rngs.stream(`fault/${name}`);
    this.outages = profile.outage ? drawWindows(this.s("outage"), profile.outage.probability, profile.outage.durationUs, startUs, endUs) : [];
    this.storms = profile.rateLimitStorm
      ? drawWindows(this.s("rateLimitStorm"), profile.rateLimitStorm.probability, profile.rateLimitStorm.durationUs, startUs, endUs)
      : [];
    this.listenKeyExpiries = [];
    if (profile.listenKeyExpiry && profile.listenKeyExpiry > 0) {
      const r = this.s("listenKeyExpiry");
      const meanUs = US_PER_HOUR / profile.listenKeyExpiry;
      for (let t = startUs + Math.round(r.exponential(meanUs)); t < endUs; t += Math.max(1, Math.round(r.exponential(meanUs)))) {
        this.listenKeyExpiries.push(t);
      }
    }
  }

  /** Liveness phase: every fault off from now on. */
  heal(): void {
    this.healed = true;
  }

  get isHealed(): boolean {
    return this.healed;
  }

  /** Virtual time source for marks made without an explicit time (set by the runtime). */
  now: () => number = () => 0;
  /** Called for every mark (the runtime records a trace row). */
  onMark: (m: FaultMark) => void = () => undefined;

  /** Record that a fault fired (for the report timeline and the trace); tUs -1 = now. */
  mark(tUs: number, fault: FaultMark["fault"], detail: string): FaultMark {
    const m = { tUs: tUs < 0 ? this.now() : tUs, fault, detail };
    this.marks.push(m);
    this.onMark(m);
    return m;
  }

  private on<K extends keyof FaultProfile>(k: K): FaultProfile[K] | undefined {
    return this.healed ? undefined : this.profile[k];
  }

  /** Latency of one REST leg (request or response), integer µs >= 1. */
  restLatencyUs(): number {
    const d = this.on("restLatencyUs");
    if (!d) return BASELINE_REST_LATENCY_US;
    const us = Math.max(1, Math.round(this.s("restLatencyUs").lognormal(d.medianUs, d.p99Us)));
    if (us > d.p99Us) this.mark(-1, "restLatencyUs", `REST latency tail ${us}µs (> p99 ${d.p99Us})`);
    return us;
  }

  /** Base latency of one WS frame, integer µs >= 1. */
  wsLatencyUs(): number {
    const d = this.on("wsLatencyUs");
    if (!d) return BASELINE_WS_LATENCY_US;
    const us = Math.max(1, Math.round(this.s("wsLatencyUs").lognormal(d.medianUs, d.p99Us)));
    if (us > d.p99Us) this.mark(-1, "wsLatencyUs", `WS latency tail ${us}µs (> p99 ${d.p99Us})`);
    return us;
  }

  /** Delivery plan of one WS frame emitted at tUs: loss, duplicate, delay, reorder. */
  wsPlan(tUs: number, what: string): WsDeliveryPlan {
    const base = this.wsLatencyUs();
    const loss = this.on("wsLoss");
    if (loss && this.s("wsLoss").chance(loss)) {
      this.mark(tUs, "wsLoss", `lost ${what}`);
      return { delaysUs: [], reordered: false };
    }
    let delay = base;
    const d = this.on("wsDelay");
    if (d && this.s("wsDelay").chance(d.probability)) {
      const extra = 1 + Math.floor(this.s("wsDelay").uniform() * d.maxUs);
      delay += extra;
      this.mark(tUs, "wsDelay", `${what} delayed ${extra}µs`);
    }
    let reordered = false;
    const r = this.on("wsReorder");
    if (r && this.s("wsReorder").chance(r)) {
      // Held back long enough that frames emitted shortly after overtake it.
      const hold = 2 * BASELINE_WS_LATENCY_US + Math.floor(this.s("wsReorder").uniform() * 200_000);
      delay += hold;
      reordered = true;
      this.mark(tUs, "wsReorder", `${what} held back ${hold}µs`);
    }
    const delays = [delay];
    const dup = this.on("wsDuplicate");
    if (dup && this.s("wsDuplicate").chance(dup)) {
      const again = delay + 1 + Math.floor(this.s("wsDuplicate").uniform() * 50_000);
      delays.push(again);
      this.mark(tUs, "wsDuplicate", `${what} delivered twice`);
    }
    return { delaysUs: delays, reordered };
  }

  /** True when the REST response to a request the venue handled is lost (I11). */
  restResponseLost(tUs: number, what: string): boolean {
    const p = this.on("restLoss");
    if (p && this.s("restLoss").chance(p)) {
      this.mark(tUs, "restLoss", `response lost after the venue acted: ${what}`);
      return true;
    }
    return false;
  }

  /** True when tUs lies inside a venue outage window. */
  inOutage(tUs: number): boolean {
    return !this.healed && inWindows(this.outages, tUs);
  }

  /** The storm window containing tUs, if any. */
  stormAt(tUs: number): Window | undefined {
    if (this.healed) return undefined;
    return this.storms.find((w) => w.startUs <= tUs && tUs < w.endUs);
  }

  /** True when a REST read should answer with its previous answer (E13, F19). */
  staleRead(tUs: number, what: string): boolean {
    const p = this.on("staleSnapshot");
    if (p && this.s("staleSnapshot").chance(p)) {
      this.mark(tUs, "staleSnapshot", `stale answer to ${what}`);
      return true;
    }
    return false;
  }

  /** True when a CANCEL should be raced against a fill the venue just emitted. */
  cancelFillRace(tUs: number, what: string): boolean {
    const p = this.on("cancelFillRace");
    if (p && this.s("cancelFillRace").chance(p)) {
      this.mark(tUs, "cancelFillRace", `cancel raced against ${what}`);
      return true;
    }
    return false;
  }

  /** True when the process restarts at this point (`where`: "intent" or "ack"). */
  restartNow(tUs: number, where: string): boolean {
    const p = this.on("restart");
    if (p && this.s("restart").chance(p)) {
      this.mark(tUs, "restart", `process restart at ${where}`);
      return true;
    }
    return false;
  }

  /**
   * For a batch of n inputs: the index at which the handler throws, or -1. Only batches of two or
   * more inputs are eligible (the error is "mid-batch", F15).
   */
  handlerErrorAt(tUs: number, n: number, what: string): number {
    const p = this.on("handlerError");
    if (n < 2 || !p) return -1;
    const r = this.s("handlerError");
    if (!r.chance(p)) return -1;
    const k = r.int(0, n - 2);
    this.mark(tUs, "handlerError", `handler threw at input ${k} of ${n} in ${what}`);
    return k;
  }
}

/** Per simulated hour of [startUs, endUs): with probability p one window starts at a uniform time in that hour. */
function drawWindows(r: Rng, probabilityPerHour: number, durationUs: number, startUs: number, endUs: number): Window[] {
  const out: Window[] = [];
  for (let h = startUs; h < endUs; h += US_PER_HOUR) {
    const hit = r.chance(probabilityPerHour);
    const at = h + Math.floor(r.uniform() * Math.min(US_PER_HOUR, endUs - h));
    if (!hit) continue;
    const startW = Math.max(at, out.length ? out[out.length - 1].endUs : at);
    if (startW < endUs) out.push({ startUs: startW, endUs: startW + durationUs });
  }
  return out;
}

function inWindows(ws: readonly Window[], t: number): boolean {
  for (const w of ws) if (w.startUs <= t && t < w.endUs) return true;
  return false;
}

/**
 * Swarm mode: draw a fault mix from the seed (its own stream "<seed>/swarm"). Each fault is on
 * with probability 1/2; intensities are uniform within bounds (loss ≤ 30 %, duplicates ≤ 50 %).
 * The same seed always gives the same mix; print it with the run.
 */
/** The funding period (8 h: 00/08/16 UTC are its multiples since the epoch, docs/bingx-protocol.md §9). */
export const FUNDING_PERIOD_US = 28_800_000_000;

/**
 * The start and safety-phase length of a swarm run with `Scenario.swarmWindow` (issue 12 "Funding is
 * crossed"): drawn from stream `<seed>/swarm-window` (its own stream: the fault mix is unchanged).
 * The length is uniform in [minDurationUs, maxDurationUs] whole seconds; one of the three funding
 * times of the UTC day of `dayUs` is picked and the start placed between 60 s and length − 60 s
 * before it, so a funding settlement happens inside the safety phase with positions likely open.
 * @throws Error naming the field when the bounds are not integers with 180 s ≤ min ≤ max.
 */
export function drawSwarmWindow(seed: number, dayUs: number, w: { minDurationUs: number; maxDurationUs: number }): { startUs: number; durationUs: number; fundingUs: number } {
  if (!Number.isSafeInteger(w.minDurationUs) || w.minDurationUs < 180_000_000) throw new Error(`swarmWindow.minDurationUs: ${String(w.minDurationUs)} must be an integer ≥ 180000000 µs`);
  if (!Number.isSafeInteger(w.maxDurationUs) || w.maxDurationUs < w.minDurationUs) throw new Error(`swarmWindow.maxDurationUs: ${String(w.maxDurationUs)} must be an integer ≥ minDurationUs`);
  const r = new RngStreams(seed).stream("swarm-window");
  const durationUs = r.int(Math.ceil(w.minDurationUs / 1_000_000), Math.floor(w.maxDurationUs / 1_000_000)) * 1_000_000;
  const day = Math.floor(dayUs / (3 * FUNDING_PERIOD_US)) * 3 * FUNDING_PERIOD_US;
  const fundingUs = day + r.int(0, 2) * FUNDING_PERIOD_US;
  const beforeUs = r.int(60, durationUs / 1_000_000 - 60) * 1_000_000;
  return { startUs: fundingUs - beforeUs, durationUs, fundingUs };
}

export function drawFaultMix(seed: number, rngs?: RngStreams): FaultProfile {
  const r = (rngs ?? new RngStreams(seed)).stream("swarm");
  const mix: FaultProfile = {};
  const on = () => r.chance(0.5);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  if (on()) {
    const m = r.int(2_000, 50_000);
    mix.restLatencyUs = { medianUs: m, p99Us: m * r.int(2, 20) };
  }
  if (on()) {
    const m = r.int(500, 20_000);
    mix.wsLatencyUs = { medianUs: m, p99Us: m * r.int(2, 20) };
  }
  if (on()) mix.wsDuplicate = round(r.between(0.01, 0.5));
  if (on()) mix.wsReorder = round(r.between(0.01, 0.3));
  if (on()) mix.wsDelay = { probability: round(r.between(0.01, 0.3)), maxUs: r.int(10_000, 2_000_000) };
  if (on()) mix.wsLoss = round(r.between(0.01, 0.3));
  if (on()) mix.restLoss = round(r.between(0.01, 0.3));
  if (on()) mix.rateLimitStorm = { probability: round(r.between(0.05, 1)), durationUs: r.int(1_000_000, 60_000_000) };
  if (on()) mix.cancelFillRace = round(r.between(0.05, 0.5));
  if (on()) mix.outage = { probability: round(r.between(0.05, 0.5)), durationUs: r.int(1_000_000, 120_000_000) };
  if (on()) mix.staleSnapshot = round(r.between(0.01, 0.3));
  if (on()) mix.listenKeyExpiry = round(r.between(0.05, 1));
  if (on()) mix.restart = round(r.between(0.01, 0.1));
  if (on()) mix.handlerError = round(r.between(0.01, 0.2));
  if (on()) mix.wsFillPriceLoss = round(r.between(0.05, 0.5)); // drawn last: earlier draws unchanged
  return mix;
}
