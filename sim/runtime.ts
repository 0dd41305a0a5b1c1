/**
 * The event loop of one simulated run (docs/architecture.md §The simulator; issue 12 split). It owns the
 * virtual clock and the one event queue ordered by (time, sequence), composes the run's parts,
 * and dispatches market ticks, driver decisions, fault windows and venue time:
 *
 *   driver intents ─► KernelHost (sim/kernel-host.ts) ─► VenueCommands ─► VenueConnector
 *   (venues/connector/connector.ts: retries, resolve-by-query, reconcile rounds, watchdog,
 *   listen key) ─► SimNetwork (sim/network.ts: latency, loss, stale reads, stream faults) ─►
 *   mock venue ─► answers / stream frames ─► connector ─► KernelHost
 *   market ticks ─► venue.onMarketTick (matching) and kernel.markPrice
 *   Lifecycle (sim/lifecycle.ts): restarts, heal, liveness, flatten
 *   RunObserver (sim/observer.ts): trace rows + the RunRecord, checked against each other
 *
 * Everything is a callback on the queue; a callback runs with the clock at its time. Phases:
 * safety (faults on) until startUs + durationUs, then liveness (faults healed).
 */
import type { Intent, MarkPrice } from "../kernel/types.js";
import type { BingxMockVenue } from "../venues/bingx/mock-venue.js";
import type { MarketTick } from "../venues/venue.js";
import { VenueConnector } from "../venues/connector/connector.js";
import { parseBalanceReply, parseListenKeyReply, Wire } from "../venues/connector/wire.js";
import { memoryStore } from "../venues/connector/funding.js";
import type { ContractSpec, FaultProfile, Scenario } from "./types.js";
import { EventQueue } from "./queue.js";
import { VirtualClock } from "./clock.js";
import { RngStreams } from "./rng.js";
import { FaultInjector } from "./faults.js";
import { createPriceSource, type PriceSource } from "./market.js";
import { RandomTrader, scriptedIntents } from "./drivers.js";
import { ArrowTraceStream, TraceRecorder, marketRowBody, type TraceKind } from "./trace.js";
import { RunObserver } from "./observer.js";
import { KernelHost } from "./kernel-host.js";
import { SimNetwork } from "./network.js";
import { Lifecycle } from "./lifecycle.js";
import type { KernelModule, RuntimeOutput, Schedule } from "./runtime-types.js";
import type { KernelConfig, LedgerSnapshot } from "../kernel/types.js";

export type { Kernel, KernelModule, RuntimeOutput } from "./runtime-types.js";
export { REST_TIMEOUT_US, STUCK_AFTER_US, LIMIT_RECONCILE_EVERY_US, WATCHDOG_EVERY_US, KEEPALIVE_EVERY_US, RATE_LIMIT_DEFAULT_BACKOFF_US } from "../venues/connector/connector.js";
export { MAX_REST_LATENCY_US, PROBE_ALL, PROBE_EVERY } from "./network.js";
export { RESTART_DOWNTIME_US } from "./lifecycle.js";

/** The venue advances its own time-driven processes (funding, listen-key expiry) this often, µs. */
export const VENUE_ADVANCE_EVERY_US = 60_000_000;

export interface RuntimeDeps {
  kernelModule: KernelModule;
  /** Creates the venue for this run (seeded by the runtime's "venue" stream). */
  createVenue: (opts: { contracts: ContractSpec[]; initialBalanceUsdt: string; startUs: number; rng: () => number; quirks?: Scenario["venue"] }) => BingxMockVenue;
  /** Kernel config derived from the scenario (instruments, slot count, tolerance). */
  kernelConfig: KernelConfig;
  /** Sees every trace row as written, after the observer's tally (sim/run.ts: live diagnostics). */
  rowTap?: (seq: number, tUs: number, kind: TraceKind, body: string) => void;
  /** Fold the record's per-row streams during the run instead of keeping them (sim/observer.ts fold mode). */
  foldRecord?: boolean;
}

const WORKING = ["ENTRY_WORKING", "EXIT_WORKING"];

/**
 * Venue quirks of a run: the scenario's, with the fault profile's `wsFillPriceLoss` applied as
 * `omitWsAvgPrice` (the larger probability wins), so swarm chaos can draw the quirk.
 */
export function venueQuirks(venue: Scenario["venue"], faults: FaultProfile): Scenario["venue"] {
  if (faults.wsFillPriceLoss === undefined) return venue;
  const omitWsAvgPrice = Math.max(venue?.omitWsAvgPrice ?? 0, faults.wsFillPriceLoss);
  return { ...venue, omitWsAvgPrice };
}

export class Runtime {
  private readonly q = new EventQueue<() => void>();
  private readonly clock: VirtualClock;
  private readonly rngs: RngStreams;
  private readonly faults: FaultInjector;
  private readonly venue: BingxMockVenue;
  private readonly trace: TraceRecorder;
  private readonly obs: RunObserver;
  private readonly host: KernelHost;
  private readonly network: SimNetwork;
  private readonly connector: VenueConnector;
  private readonly life: Lifecycle;
  private readonly sources: PriceSource[] = [];
  private readonly pendingTicks: (MarketTick | undefined)[] = [];
  private readonly prices = new Map<string, string>();
  private readonly trader?: RandomTrader;
  private readonly slotCount: number;
  private readonly endSafetyUs: number;
  private readonly hardEndUs: number;
  private events = 0;

  constructor(
    private readonly scenario: Scenario,
    private readonly seed: number,
    private readonly faultProfile: FaultProfile,
    deps: RuntimeDeps,
    keepTrace: boolean,
    /** Stream the trace to this Arrow IPC file as the run goes (sim/trace.ts ArrowTraceStream). */
    traceFile?: string,
    /** Compute the SHA-256 trace hash (default true); false: RuntimeOutput.traceHash is null. */
    hashTrace = true,
  ) {
    this.clock = new VirtualClock(scenario.startUs);
    this.rngs = new RngStreams(seed);
    this.slotCount = deps.kernelConfig.slotCount ?? 10;
    this.endSafetyUs = scenario.startUs + scenario.durationUs;
    const boundUs = scenario.livenessBoundUs ?? 300_000_000;
    this.hardEndUs = this.endSafetyUs + 3 * boundUs;
    const seriesEveryUs = Math.max(1_000_000, Math.floor((scenario.durationUs + boundUs) / 400));
    this.trace = new TraceRecorder(keepTrace, traceFile ? new ArrowTraceStream(traceFile) : undefined, hashTrace);
    const now = () => this.clock.nowUs;
    const schedule: Schedule = (tUs, fn) => {
      this.q.push(tUs, fn);
    };
    this.faults = new FaultInjector(faultProfile, this.rngs, scenario.startUs, this.endSafetyUs);
    this.faults.now = now;
    const venueRng = this.rngs.stream("venue");
    this.venue = deps.createVenue({
      contracts: scenario.contracts,
      initialBalanceUsdt: scenario.initialBalanceUsdt,
      startUs: scenario.startUs,
      rng: () => venueRng.uniform(),
      quirks: venueQuirks(scenario.venue, faultProfile),
    });
    this.obs = new RunObserver(this.trace, this.venue, seriesEveryUs, { contracts: scenario.contracts, initialBalanceUsdt: scenario.initialBalanceUsdt }, deps.foldRecord === true);
    if (deps.rowTap) this.chainRowTap(deps.rowTap);
    // Every fault that fires becomes a trace row (and a RunResult.faults mark).
    this.faults.onMark = (m) => this.obs.record(m.tUs, "fault", m);
    this.host = new KernelHost(deps.kernelModule, deps.kernelConfig, this.slotCount, this.obs, this.faults, faultProfile, now, schedule);
    this.host.contracts = scenario.contracts;
    this.network = new SimNetwork(this.venue, this.faults, faultProfile, this.obs, this.host, now, schedule);
    this.connector = new VenueConnector(
      { symbols: scenario.contracts.map((c) => c.symbol).sort(), slotCount: this.slotCount, hedgeMode: scenario.venue?.hedgeMode ?? false },
      { nowUs: now, at: schedule },
      this.network,
      this.host,
      (kind, payload) => this.obs.record(this.clock.nowUs, kind, payload),
    );
    this.host.connector = this.connector;
    this.network.connector = this.connector;
    this.life = new Lifecycle(scenario, boundUs, this.host, this.connector, this.network, this.venue, this.faults, this.obs, now, schedule, (t, it) => this.scheduleIntent(t, it));
    this.network.process = this.life;
    this.host.onRestartRequested = (why) => this.life.requestRestart(why);
    this.network.onRaceCancel = (t, slotId, cid) => schedule(t, () => this.raceCancel(slotId, cid));

    if (scenario.driver.kind === "random") {
      const d = scenario.driver;
      const contracts = new Map(scenario.contracts.map((c) => [c.symbol, c]));
      this.trader = new RandomTrader(this.rngs.stream("driver"), d.symbols, contracts, Math.min(d.maxSlots, this.slotCount), d.intentsPerHour,
        scenario.initialBalanceUsdt, scenario.leverage ?? 1);
    }
    this.scheduleStart();
  }

  /** After the observer's tally, every trace row also goes to `extra` (RuntimeDeps.rowTap). */
  private chainRowTap(extra: NonNullable<RuntimeDeps["rowTap"]>): void {
    const tally = this.trace.tap;
    this.trace.tap = (seq, tUs, kind, body) => {
      tally?.(seq, tUs, kind, body);
      // A row tap is given only with a trace file, so every row's text is built (hashed, streamed).
      if (body === undefined) throw new Error(`rowTap: trace row ${seq} (${kind}) has no text; a row tap needs the trace hashed or streamed`);
      extra(seq, tUs, kind, body);
    };
  }

  /**
   * The run's first events, in this order (ties in the queue keep it): each price source's first
   * tick, the scripted intents or the random trader's first decision, fault windows (storms,
   * outages, listen-key expiries, planned restarts; a planned time outside the safety phase
   * throws naming the field), the connector's watchdog, funding recovery and keepalive, the
   * venue's own clock, and the end of the safety phase (heal).
   */
  private scheduleStart(): void {
    const { scenario, faultProfile } = this;
    scenario.prices.forEach((p, i) => {
      this.sources.push(createPriceSource(p, scenario.contracts, this.rngs, scenario.startUs, this.hardEndUs));
      this.scheduleTick(i);
    });
    if (scenario.driver.kind === "scripted") {
      for (const s of scriptedIntents(scenario.driver.intents, this.slotCount)) this.scheduleIntent(Math.max(s.atUs, scenario.startUs), s.intent);
    } else if (this.trader) {
      this.q.push(scenario.startUs + 1_000_000 + this.trader.nextDelayUs(), () => this.onDriver());
    }
    for (const w of this.faults.storms) this.q.push(w.startUs, () => this.onStorm(w.endUs));
    for (const w of this.faults.outages) this.q.push(w.startUs, () => this.onOutage(w.endUs));
    for (const t of this.faults.listenKeyExpiries) this.q.push(t, () => this.onListenKeyExpiry());
    for (const t of faultProfile.listenKeyExpiryAtUs ?? []) {
      if (t < scenario.startUs || t >= this.endSafetyUs) throw new Error(`faults.listenKeyExpiryAtUs: ${t} lies outside the safety phase [${scenario.startUs}, ${this.endSafetyUs})`);
      this.q.push(t, () => this.onListenKeyExpiry());
    }
    for (const t of faultProfile.restartAtUs ?? []) {
      if (t < scenario.startUs || t >= this.endSafetyUs) throw new Error(`faults.restartAtUs: ${t} lies outside the safety phase [${scenario.startUs}, ${this.endSafetyUs})`);
      this.q.push(t, () => this.life.restart("restartAtUs"));
    }
    this.connector.startWatchdog(scenario.startUs);
    // Funding lost with its frame is recovered from the income endpoint (issue 12); the cursor
    // lives on the run's simulated disk, which outlives the simulated process.
    this.connector.startFundingRecovery(scenario.startUs, memoryStore());
    this.q.push(scenario.startUs + VENUE_ADVANCE_EVERY_US, () => this.onVenueAdvance());
    this.connector.startKeepalive(scenario.startUs);
    this.q.push(this.endSafetyUs, () => this.life.heal());
  }

  /** Run to the end; returns the trace hash, the record and the final states. Disposes the kernel. */
  run(): RuntimeOutput {
    const now = this.clock.nowUs;
    this.obs.record(now, "run", { scenario: this.scenario.name, seed: this.seed, faults: this.faultProfile, slotCount: this.slotCount });
    this.obs.record(now, "phase", { phase: "safety" });
    this.setup();
    try {
      for (let e = this.q.pop(); e && this.life.phase !== "done"; e = this.q.pop()) {
        if (e.tUs > this.hardEndUs) break;
        this.clock.advanceTo(e.tUs);
        this.events++;
        e.item();
      }
      const end = this.clock.nowUs;
      if (this.life.phase !== "done") this.life.finish(end, "hard end reached");
      this.obs.record(end, "phase", { phase: "end" });
      const final = this.host.kernel.snapshot();
      const finalVenueLedger = this.obs.finalVenueLedger(end);
      this.obs.record(end, "ledger", { kernel: final.ledger, venue: finalVenueLedger, positions: this.venue.positions() });
      const record = this.obs.finish(end);
      return {
        traceHash: this.trace.hashed ? this.trace.digest() : null,
        events: this.events,
        simTimeUs: end - this.scenario.startUs,
        trace: this.trace,
        record,
        final,
        finalVenueLedger,
        faultMarks: this.faults.marks,
        series: this.obs.series,
      };
    } finally {
      this.trace.close();
      this.host.kernel.dispose();
    }
  }

  /** Setup before the first event: leverage per symbol and the first listen key (no faults yet). */
  private setup(): void {
    const now = this.clock.nowUs;
    const lev = this.scenario.leverage ?? 1;
    const wire = new Wire(this.scenario.venue?.hedgeMode ?? false);
    for (const c of this.scenario.contracts) {
      wire.setLeverage(c.symbol, lev, now, `setup-${c.symbol}`).forEach((req) => {
        const resp = this.network.venueRest(req, now);
        if (resp.httpStatus !== 200 || (JSON.parse(resp.body) as { code?: number }).code !== 0) {
          throw new Error(`setup: leverage ${lev} for ${c.symbol} refused by the venue: ${resp.body}`);
        }
      });
    }
    const resp = this.network.venueRest(wire.createListenKey(now, "setup-lk"), now);
    this.connector.adoptListenKey(parseListenKeyReply(resp));
    // Initial anchor from a balance read (spec §3.2: boot seed goes through the anchor).
    const bal = this.network.venueRest(wire.balance(now, "setup-balance"), now);
    this.host.feedBatch([{ k: "account", ev: parseBalanceReply(bal, now) }], "setup balance", -1);
  }

  private scheduleIntent(tUs: number, intent: Intent): void {
    this.q.push(tUs, () => this.life.intentDue(intent));
  }

  // ───────────────────────────── market, driver, venue time, fault windows ─────────────────────────────

  private onTick(src: number): void {
    const tick = this.pendingTicks[src];
    if (!tick) return;
    const now = this.clock.nowUs;
    // A tick is due at its own time unless it was scheduled late (a source behind the clock).
    const t: MarketTick = tick.tsUs === now ? tick : { ...tick, tsUs: now };
    this.prices.set(t.symbol, t.priceUsdt);
    // The row text is built only when someone reads it (a chaos seed's tally does not).
    this.obs.record(now, "market", this.trace.needsBody("market") ? marketRowBody(now, t.symbol, t.priceUsdt) : undefined);
    this.network.emitFrames(this.venue.onMarketTick(t));
    if (this.life.processUp) this.host.mark(now, t.symbol, t.priceUsdt);
    this.scheduleTick(src);
  }

  /** Pull the next tick of source `src` and schedule it (sources are pull-based). */
  private scheduleTick(src: number): void {
    const next = this.sources[src].next();
    this.pendingTicks[src] = next;
    if (next) this.q.push(Math.max(this.clock.nowUs, next.tsUs), () => this.onTick(src));
  }

  private onDriver(): void {
    const now = this.clock.nowUs;
    if (!this.trader || this.life.phase !== "safety") return;
    if (this.life.processUp) {
      const intent = this.trader.decide({ nowUs: now, slots: this.host.slotHeads(), prices: this.prices });
      if (intent) this.host.feedIntent(intent);
    }
    this.q.push(now + this.trader.nextDelayUs(), () => this.onDriver());
  }

  private onVenueAdvance(): void {
    const now = this.clock.nowUs;
    this.network.emitFrames(this.venue.advanceTo(now));
    if (this.life.processUp) this.host.sampleSeries(now, true);
    this.q.push(now + VENUE_ADVANCE_EVERY_US, () => this.onVenueAdvance());
  }

  private onListenKeyExpiry(): void {
    if (this.faults.isHealed) return;
    const now = this.clock.nowUs;
    this.faults.mark(now, "listenKeyExpiry", "listen key expired");
    this.network.emitFrames(this.venue.injectListenKeyExpiry(now));
  }

  private onStorm(untilUs: number): void {
    if (this.faults.isHealed) return;
    this.faults.mark(this.clock.nowUs, "rateLimitStorm", `until ${untilUs}`);
    this.venue.injectRateLimitStorm(Math.min(untilUs, this.endSafetyUs));
  }

  private onOutage(untilUs: number): void {
    if (this.faults.isHealed) return;
    this.faults.mark(this.clock.nowUs, "outage", `until ${untilUs}`);
    this.venue.injectOutage(Math.min(untilUs, this.endSafetyUs));
  }

  /** cancel/fill race: a CANCEL of a still-working order, fed just after its fill was emitted. */
  private raceCancel(slotId: number, clientOrderId: string): void {
    if (!this.life.processUp) return;
    const s = this.host.slot(slotId);
    const live = s.entryOrder?.clientOrderId === clientOrderId || s.exitOrder?.clientOrderId === clientOrderId;
    if (!live || !WORKING.includes(s.stage)) return;
    this.host.feedIntent({ kind: "CANCEL", intentId: `race${this.events}`, tsUs: this.clock.nowUs, slotId });
  }
}

export type { LedgerSnapshot, MarkPrice };
