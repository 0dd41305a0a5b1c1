/**
 * The runtime loop of one simulated run (docs/architecture.md §The simulator; issue 4 "sim/").
 *
 *   driver intents ─► kernel ─► VenueCommands ─► Wire (adapter) ─► RestRequest ─(latency, faults)─►
 *   venue.handleRest ─► RestResponse ─(latency, loss)─► Wire ─► kernel inputs
 *   venue stream frames ─(latency, duplicate, reorder, delay, loss)─► Wire ─► kernel inputs
 *   market ticks ─► venue.onMarketTick (matching) and kernel.markPrice
 *
 * Everything happens in virtual time on one event queue ordered by (time, sequence). One kernel
 * instance is alive at a time: created at the start, replaced on a simulated process restart
 * (save → dispose → new → restore → reconcile), disposed at the end.
 *
 * Loss recovery (E1, F16, I11, I14, I19): a REST call that gets no answer within the timeout is
 * retried with the same client order id; a SUBMIT retry answered "duplicate clientOrderID" and a
 * CANCEL retry answered "order does not exist" are resolved by querying the order. A full REST
 * reconciliation (orders the kernel cares about, positions, balance) runs after a restart, after
 * the listen key is renewed, after a handler error (F15), when a slot waits too long, and when
 * faults heal.
 *
 * Phases: safety (faults on) until startUs + durationUs, then liveness (faults healed): working
 * orders are cancelled, every slot must become quiescent within livenessBoundUs, positions are
 * compared with the venue, the driver flattens, and positions are compared again.
 */
import { createHash } from "node:crypto";
import type {
  AccountEvent, Intent, KernelConfig, KernelSnapshot, LedgerSnapshot, MarkPrice, Outcome, ReconcileReport, SlotImage, Stage, VenueCommand, VenueEvent,
} from "../kernel/types.js";
import type { BingxMockVenue } from "../venues/bingx/mock-venue.js";
import type { MarketTick, RestRequest, RestResponse, VenueLedger, WsMessage } from "../venues/venue.js";
import type { ContractSpec, FaultProfile, Scenario, SeriesPoint } from "./types.js";
import type { FillRoute, IdempotencyProbe, LedgerSample, LivenessRecord, ParitySample, SlotSample } from "./record.js";
import { PATHS, Wire, classifyReply, parseBalanceReply, parseCommandResponse, parseListenKeyReply, parseWsMessage, restamp, type KernelInput, type ReplyClass } from "./wire.js";
import { parseReconcile } from "../venues/bingx/adapter.js";
import { EventQueue } from "./queue.js";
import { VirtualClock } from "./clock.js";
import { RngStreams } from "./rng.js";
import { FaultInjector } from "./faults.js";
import { createPriceSource, type PriceSource } from "./market.js";
import { RandomTrader, scriptedIntents } from "./drivers.js";
import { TraceRecorder, type TraceKind } from "./trace.js";
import { Dec } from "./num.js";

type Submit = Extract<VenueCommand, { kind: "SUBMIT" }>;
type Cancel = Extract<VenueCommand, { kind: "CANCEL" }>;

/** The kernel as the runtime uses it (kernel/index.ts Kernel, COMMON.md entry points). */
export interface Kernel {
  processIntent(intent: Intent): Outcome;
  onVenueEvent(ev: VenueEvent): Outcome;
  markPrice(m: MarkPrice): Outcome;
  onAccountEvent(ev: AccountEvent): Outcome;
  slot(i: number): SlotImage;
  snapshot(): KernelSnapshot;
  ledger(): LedgerSnapshot;
  saveState(): string;
  restoreState(json: string): Outcome;
  reconcile(report: ReconcileReport): Outcome;
  dispose(): void;
}

/** kernel/index.ts KernelModule: creates kernel instances. */
export interface KernelModule {
  create(config: KernelConfig): Kernel;
}

/** How long the runtime waits for a REST answer before treating it as lost, µs. */
export const REST_TIMEOUT_US = 3_000_000;
/** The network drops a REST leg older than this (latency tails are capped below the timeout). */
export const MAX_REST_LATENCY_US = 1_400_000;
/** Backoff when a throttled reply gives no unblock time, µs ("a few minutes" is the worst case). */
export const RATE_LIMIT_DEFAULT_BACKOFF_US = 1_000_000;
/** Process downtime of a simulated restart, µs. */
export const RESTART_DOWNTIME_US = 3_000_000;
/** A slot waiting this long in ORDER_REQUESTED / EXIT_REQUESTED / a MARKET working stage is suspect. */
export const STUCK_AFTER_US = 8_000_000;
/** Resting LIMIT orders are reconciled at least this often (a lost fill is otherwise invisible). */
export const LIMIT_RECONCILE_EVERY_US = 60_000_000;
/** Watchdog period, µs. */
export const WATCHDOG_EVERY_US = 5_000_000;
/** Idempotency probes: every duplicate among the first PROBE_ALL, then one in PROBE_EVERY. */
export const PROBE_ALL = 50;
export const PROBE_EVERY = 10;
/** Listen-key keepalive period (docs/bingx-protocol.md §6: extend every 30 min). */
export const KEEPALIVE_EVERY_US = 30 * 60_000_000;
/** Most series points kept at event resolution (reports); later points are periodic only (issue 15). */
export const MAX_SERIES_POINTS = 100_000;

type Ev =
  | { k: "tick"; src: number }
  | { k: "driver" }
  | { k: "intent"; intent: Intent }
  | { k: "rest.arrive"; callId: string }
  | { k: "rest.deliver"; callId: string; attempt: number; resp: RestResponse }
  | { k: "rest.timeout"; callId: string; attempt: number }
  | { k: "rest.retry"; callId: string }
  | { k: "ws.deliver"; msg: WsMessage; frame: number; copy: number; epoch: number }
  | { k: "venue.advance" }
  | { k: "restart"; why: string }
  | { k: "restart.resume"; saved: string }
  | { k: "lk.expire" }
  | { k: "lk.keepalive" }
  | { k: "storm"; untilUs: number }
  | { k: "outage"; untilUs: number }
  | { k: "watchdog" }
  | { k: "heal" }
  | { k: "liveness.check" }
  | { k: "race.cancel"; slotId: number; clientOrderId: string };

type CallPurpose = "submit" | "cancel" | "query" | "recon" | "balance" | "lk.create" | "lk.extend";

interface RestCall {
  id: string;
  purpose: CallPurpose;
  build: (nowUs: number, requestId: string) => RestRequest;
  cmd?: VenueCommand;
  symbol?: string;
  clientOrderId?: string;
  attempt: number;
  epoch: number;
  /** Reconcile round this read belongs to, and its index among the round's reads. */
  round?: number;
  index?: number;
  /** The first request of a retried SUBMIT/CANCEL may already have acted (I11). */
  retried: boolean;
  sentUs: number;
}

interface ReconcileRound {
  id: number;
  why: string;
  pending: Set<string>;
  reads: RestRequest[];
  replies: (RestResponse | undefined)[];
  balance?: KernelInput[];
}

/** What the runtime hands back to run.ts. */
export interface RuntimeOutput {
  traceHash: string;
  events: number;
  simTimeUs: number;
  trace: TraceRecorder;
  record: {
    intents: { tUs: number; intent: Intent; outcome: Outcome }[];
    venueSubmittedClientOrderIds: string[];
    transitions: Outcome["transitions"];
    slotSamples: SlotSample[];
    ledgerSamples: LedgerSample[];
    venueWallets: string[];
    venueLedgers: { tUs: number; ledger: VenueLedger }[];
    fills: FillRoute[];
    probes: IdempotencyProbe[];
    parity: ParitySample[];
    liveness?: LivenessRecord;
    diagnostics: string[];
    fullySettledOrders?: string[];
    settlementCounts?: Record<string, number>;
  };
  final: ReturnType<Kernel["snapshot"]>;
  finalVenueLedger: VenueLedger;
  faultMarks: FaultInjector["marks"];
  series: SeriesPoint[];
}

export interface RuntimeDeps {
  kernelModule: KernelModule;
  /** Creates the venue for this run (seeded by the runtime's "venue" stream). */
  createVenue: (opts: { contracts: ContractSpec[]; initialBalanceUsdt: string; startUs: number; rng: () => number; quirks?: Scenario["venue"] }) => BingxMockVenue;
  /** Kernel config derived from the scenario (instruments, slot count, tolerance). */
  kernelConfig: KernelConfig;
}

const QUIESCENT: readonly Stage[] = ["IDLE", "CLOSED", "POSITION_OPEN"];
const WORKING: readonly Stage[] = ["ENTRY_WORKING", "EXIT_WORKING"];
const REQUESTED: readonly Stage[] = ["ORDER_REQUESTED", "EXIT_REQUESTED"];

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
  private readonly q = new EventQueue<Ev>();
  private readonly wire: Wire;
  private readonly clock: VirtualClock;
  private readonly rngs: RngStreams;
  private readonly faults: FaultInjector;
  private readonly venue: BingxMockVenue;
  private kernel: Kernel;
  private readonly trace: TraceRecorder;
  private readonly sources: PriceSource[] = [];
  private readonly prices = new Map<string, string>();
  private readonly trader?: RandomTrader;
  private readonly slotCount: number;
  private readonly endSafetyUs: number;
  private readonly boundUs: number;
  private readonly hardEndUs: number;

  private epoch = 0;
  private processUp = true;
  private streamUp = false;
  private listenKey: string | undefined;
  private nextCall = 0;
  private nextFrame = 0;
  private events = 0;
  private readonly calls = new Map<string, RestCall>();
  private readonly deferredIntents: Intent[] = [];
  private ledgerSeq = -1;
  private lastSeriesUs = -1;
  private readonly seriesEveryUs: number;

  /** Client order id → owner (the runtime's command book, from SUBMIT commands). */
  private readonly owner = new Map<string, { slotId: number; tradeId: string; symbol: string }>();
  /** Venue order id → client order id, from the venue's own replies (ground truth, before loss). */
  private readonly venueIdToClient = new Map<string, string>();
  private readonly submittedAtVenue = new Set<string>();
  /** SUBMIT commands by client order id (an order query is read as the reply the SUBMIT lost). */
  private readonly submits = new Map<string, Submit>();
  private readonly orderSince = new Map<string, number>();
  private readonly lastLimitReconcile = new Map<string, number>();
  private reconcile?: ReconcileRound;
  private reconcileAgain: string | undefined;
  private nextRound = 0;
  /** Frames whose first copy was applied completely (for idempotency probes). */
  private readonly appliedFrames = new Set<number>();
  private readonly firedStageRestarts = new Set<number>();
  private dupSeen = 0;
  /** Stage per slot as last reported by the kernel's transitions (avoids reading idle slots). */
  private readonly stages: Stage[] = [];
  /** FILL_SETTLED event ids the venue emitted (→ venue order id) and those fed to the kernel. */
  private readonly emittedSettles = new Map<string, string>();
  private readonly fedSettles = new Set<string>();

  // Liveness state.
  private phase: "safety" | "liveness" | "flatten" | "done" = "safety";
  private healUs = 0;
  private readonly quiescentAt: (number | null)[];
  private lastCancelUs = new Map<number, number>();
  private flattenSent = false;

  // Record.
  private readonly rec: RuntimeOutput["record"];
  private readonly series: SeriesPoint[] = [];
  private readonly diagnostics = new Set<string>();
  private batchCodes: string[] = [];
  private batchTaken: boolean[] = [];

  constructor(
    private readonly scenario: Scenario,
    private readonly seed: number,
    private readonly faultProfile: FaultProfile,
    private readonly deps: RuntimeDeps,
    keepTrace: boolean,
  ) {
    this.clock = new VirtualClock(scenario.startUs);
    this.wire = new Wire(scenario.venue?.hedgeMode ?? false);
    this.rngs = new RngStreams(seed);
    this.slotCount = deps.kernelConfig.slotCount ?? 10;
    this.endSafetyUs = scenario.startUs + scenario.durationUs;
    this.boundUs = scenario.livenessBoundUs ?? 300_000_000;
    this.hardEndUs = this.endSafetyUs + 3 * this.boundUs;
    this.seriesEveryUs = Math.max(1_000_000, Math.floor((scenario.durationUs + this.boundUs) / 400));
    this.trace = new TraceRecorder(keepTrace);
    this.faults = new FaultInjector(faultProfile, this.rngs, scenario.startUs, this.endSafetyUs);
    this.faults.now = () => this.clock.nowUs;
    // Every fault that fires becomes a trace row (and a RunResult.faults mark).
    this.faults.onMark = (m) => this.record(m.tUs, "fault", m);
    const venueRng = this.rngs.stream("venue");
    this.venue = deps.createVenue({
      contracts: scenario.contracts,
      initialBalanceUsdt: scenario.initialBalanceUsdt,
      startUs: scenario.startUs,
      rng: () => venueRng.uniform(),
      quirks: venueQuirks(scenario.venue, faultProfile),
    });
    this.kernel = deps.kernelModule.create(deps.kernelConfig);
    this.quiescentAt = Array.from({ length: this.slotCount }, () => null);
    for (let i = 0; i < this.slotCount; i++) this.stages.push("IDLE");
    this.rec = {
      intents: [], venueSubmittedClientOrderIds: [], transitions: [], slotSamples: [], ledgerSamples: [], venueWallets: [],
      venueLedgers: [], fills: [], probes: [], parity: [], diagnostics: [],
    };
    const contracts = new Map(scenario.contracts.map((c) => [c.symbol, c]));
    scenario.prices.forEach((p, i) => {
      this.sources.push(createPriceSource(p, scenario.contracts, this.rngs, scenario.startUs, this.hardEndUs));
      this.scheduleTick(i);
    });
    if (scenario.driver.kind === "scripted") {
      for (const s of scriptedIntents(scenario.driver.intents, this.slotCount)) this.q.push(Math.max(s.atUs, scenario.startUs), { k: "intent", intent: s.intent });
    } else {
      const d = scenario.driver;
      this.trader = new RandomTrader(this.rngs.stream("driver"), d.symbols, contracts, Math.min(d.maxSlots, this.slotCount), d.intentsPerHour,
        scenario.initialBalanceUsdt, scenario.leverage ?? 1);
      this.q.push(scenario.startUs + 1_000_000 + this.trader.nextDelayUs(), { k: "driver" });
    }
    for (const w of this.faults.storms) this.q.push(w.startUs, { k: "storm", untilUs: w.endUs });
    for (const w of this.faults.outages) this.q.push(w.startUs, { k: "outage", untilUs: w.endUs });
    for (const t of this.faults.listenKeyExpiries) this.q.push(t, { k: "lk.expire" });
    for (const t of faultProfile.restartAtUs ?? []) {
      if (t < scenario.startUs || t >= this.endSafetyUs) throw new Error(`faults.restartAtUs: ${t} lies outside the safety phase [${scenario.startUs}, ${this.endSafetyUs})`);
      this.q.push(t, { k: "restart", why: "restartAtUs" });
    }
    this.q.push(scenario.startUs + WATCHDOG_EVERY_US, { k: "watchdog" });
    this.q.push(scenario.startUs + 60_000_000, { k: "venue.advance" });
    this.q.push(scenario.startUs + KEEPALIVE_EVERY_US, { k: "lk.keepalive" });
    this.q.push(this.endSafetyUs, { k: "heal" });
  }

  // ───────────────────────────── main loop ─────────────────────────────

  /** Run to the end; returns the trace hash, the record and the final states. Disposes the kernel. */
  run(): RuntimeOutput {
    const now = this.clock.nowUs;
    this.record(now, "run", { scenario: this.scenario.name, seed: this.seed, faults: this.faultProfile, slotCount: this.slotCount });
    this.record(now, "phase", { phase: "safety" });
    this.setup();
    try {
      for (let e = this.q.pop(); e && this.phase !== "done"; e = this.q.pop()) {
        if (e.tUs > this.hardEndUs) break;
        this.clock.advanceTo(e.tUs);
        this.events++;
        this.handle(e.item);
      }
      const end = this.clock.nowUs;
      if (this.phase !== "done") this.finishLiveness(end, "hard end reached");
      this.record(end, "phase", { phase: "end" });
      const final = this.kernel.snapshot();
      const finalVenueLedger = this.venue.ledger();
      this.noteVenueLedger(end);
      this.record(end, "ledger", { kernel: final.ledger, venue: finalVenueLedger, positions: this.venue.positions() });
      this.rec.diagnostics = [...this.diagnostics].sort();
      this.rec.fullySettledOrders = this.fullySettledOrders();
      this.rec.settlementCounts = this.settlementCounts();
      return {
        traceHash: this.trace.digest(),
        events: this.events,
        simTimeUs: end - this.scenario.startUs,
        trace: this.trace,
        record: this.rec,
        final,
        finalVenueLedger,
        faultMarks: this.faults.marks,
        series: this.series,
      };
    } finally {
      this.kernel.dispose();
    }
  }

  private handle(ev: Ev): void {
    const now = this.clock.nowUs;
    switch (ev.k) {
      case "tick":
        return this.onTick(ev.src);
      case "driver":
        return this.onDriver();
      case "intent":
        if (!this.processUp) {
          this.deferredIntents.push(ev.intent);
          return;
        }
        return this.feedIntent({ ...ev.intent, tsUs: now });
      case "rest.arrive":
        return this.onRestArrive(ev.callId);
      case "rest.deliver":
        return this.onRestDeliver(ev.callId, ev.attempt, ev.resp);
      case "rest.timeout":
        return this.onRestTimeout(ev.callId, ev.attempt);
      case "rest.retry":
        return this.onRestRetry(ev.callId);
      case "ws.deliver":
        return this.onWsDeliver(ev.msg, ev.frame, ev.copy, ev.epoch);
      case "venue.advance":
        this.emitFrames(this.venue.advanceTo(now));
        this.sampleSeries(now);
        this.q.push(now + 60_000_000, { k: "venue.advance" });
        return;
      case "restart":
        return this.restart(ev.why);
      case "restart.resume":
        return this.resume(ev.saved);
      case "lk.expire":
        if (this.faults.isHealed) return;
        this.faults.mark(now, "listenKeyExpiry", "listen key expired");
        this.emitFrames(this.venue.injectListenKeyExpiry(now));
        return;
      case "lk.keepalive":
        if (this.listenKey && this.processUp) {
          const key = this.listenKey;
          this.send({ purpose: "lk.extend", build: (t, id) => this.wire.extendListenKey(key, t, id) });
        }
        this.q.push(now + KEEPALIVE_EVERY_US, { k: "lk.keepalive" });
        return;
      case "storm":
        if (this.faults.isHealed) return;
        this.faults.mark(now, "rateLimitStorm", `until ${ev.untilUs}`);
        this.venue.injectRateLimitStorm(Math.min(ev.untilUs, this.endSafetyUs));
        return;
      case "outage":
        if (this.faults.isHealed) return;
        this.faults.mark(now, "outage", `until ${ev.untilUs}`);
        this.venue.injectOutage(Math.min(ev.untilUs, this.endSafetyUs));
        return;
      case "watchdog":
        this.watchdog();
        this.q.push(now + WATCHDOG_EVERY_US, { k: "watchdog" });
        return;
      case "heal":
        return this.heal();
      case "liveness.check":
        return this.livenessCheck();
      case "race.cancel": {
        if (!this.processUp) return;
        const s = this.kernel.slot(ev.slotId);
        const live = s.entryOrder?.clientOrderId === ev.clientOrderId || s.exitOrder?.clientOrderId === ev.clientOrderId;
        if (!live || !WORKING.includes(s.stage)) return;
        this.feedIntent({ kind: "CANCEL", intentId: `race${this.events}`, tsUs: now, slotId: ev.slotId });
        return;
      }
    }
  }

  /** Setup before the first event: leverage per symbol and the first listen key (no faults yet). */
  private setup(): void {
    const now = this.clock.nowUs;
    const lev = this.scenario.leverage ?? 1;
    for (const c of this.scenario.contracts) {
      this.wire.setLeverage(c.symbol, lev, now, `setup-${c.symbol}`).forEach((req) => {
        const resp = this.venueRest(req, now);
        if (resp.httpStatus !== 200 || (JSON.parse(resp.body) as { code?: number }).code !== 0) {
          throw new Error(`setup: leverage ${lev} for ${c.symbol} refused by the venue: ${resp.body}`);
        }
      });
    }
    const resp = this.venueRest(this.wire.createListenKey(now, "setup-lk"), now);
    this.listenKey = parseListenKeyReply(resp);
    this.streamUp = true;
    this.anchorFromVenue(now);
  }

  /** Initial anchor from a balance read at setup (docs/accounting.md §3.2: boot seed goes through the anchor). */
  private anchorFromVenue(now: number): void {
    const resp = this.venueRest(this.wire.balance(now, "setup-balance"), now);
    this.feedBatch([{ k: "account", ev: parseBalanceReply(resp, now) }], "setup balance", -1);
  }

  // ───────────────────────────── market and driver ─────────────────────────────

  private onTick(src: number): void {
    const tick = this.pendingTicks[src];
    if (!tick) return;
    const now = this.clock.nowUs;
    const t: MarketTick = { ...tick, tsUs: now };
    this.prices.set(t.symbol, t.priceUsdt);
    this.record(now, "market", t);
    this.emitFrames(this.venue.onMarketTick(t));
    if (this.processUp) {
      const mark = { tsUs: now, symbol: t.symbol, markPrice: t.priceUsdt };
      this.record(now, "kernel.mark", mark);
      const out = this.kernel.markPrice(mark);
      if (out.code !== "OK") this.record(now, "kernel.out", out);
      this.diagnostics.add(out.code);
    }
    this.scheduleTick(src);
  }

  /** Pull the next tick of source `src` and schedule it (sources are pull-based). */
  private scheduleTick(src: number): void {
    const next = this.sources[src].next();
    this.pendingTicks[src] = next;
    if (next) this.q.push(Math.max(this.clock.nowUs, next.tsUs), { k: "tick", src });
  }
  private readonly pendingTicks: (MarketTick | undefined)[] = [];

  private onDriver(): void {
    const now = this.clock.nowUs;
    if (!this.trader || this.phase !== "safety") return;
    if (this.processUp) {
      const slots = this.slots();
      const intent = this.trader.decide({ nowUs: now, slots, prices: this.prices });
      if (intent) this.feedIntent(intent);
    }
    this.q.push(now + this.trader.nextDelayUs(), { k: "driver" });
  }

  // ───────────────────────────── kernel calls ─────────────────────────────

  private feedIntent(intent: Intent): void {
    const now = this.clock.nowUs;
    this.record(now, "intent", intent);
    const out = this.kernel.processIntent(intent);
    this.rec.intents.push({ tUs: now, intent, outcome: out });
    this.afterKernelCall(out, intent.kind);
    if (this.faults.restartNow(now, `intent ${intent.intentId}`)) this.q.push(now, { k: "restart", why: "restart fault after intent" });
  }

  /**
   * Feed a batch of inputs decoded from one payload. A handler error mid-batch (F15) skips one
   * input, records the error, and the rest of the batch is still applied; the skipped input is
   * recovered by a reconciliation. Returns true when every input was applied.
   */
  private feedBatch(inputs: KernelInput[], what: string, frame: number): boolean {
    const now = this.clock.nowUs;
    const failAt = this.faults.handlerErrorAt(now, inputs.length, what);
    let complete = true;
    this.batchCodes = [];
    this.batchTaken = [];
    inputs.forEach((inp, i) => {
      if (i === failAt) {
        complete = false;
        this.record(now, "handler.error", { what, index: i, of: inputs.length, input: inp, error: "simulated handler exception (F15)" });
        this.requestReconcile(`handler error in ${what}`);
        return;
      }
      this.feedInput(inp);
    });
    // A copy is a duplicate only of a first copy the kernel took in: a first copy refused for
    // missing context (UNRESOLVED_SLOT before the ACK taught the id, a stage that did not allow
    // it yet) leaves the second copy a first application, not a duplicate.
    const takenIn = this.batchTaken.every((x) => x);
    if (complete && takenIn && frame >= 0) this.appliedFrames.add(frame);
    return complete;
  }

  private feedInput(inp: KernelInput): void {
    const now = this.clock.nowUs;
    if (inp.k === "venue") {
      const ev = inp.ev;
      const isFill = ev.kind === "PARTIAL_FILL" || ev.kind === "FULL_FILL";
      const before = isFill ? this.fingerprints() : undefined;
      this.record(now, "kernel.venue", ev);
      const out = this.kernel.onVenueEvent(ev);
      if (isFill && before) this.noteFill(ev, out, before);
      this.afterKernelCall(out, ev.kind);
      if (ev.kind === "ORDER_ACK" && this.faults.restartNow(now, `ACK of ${ev.clientOrderId ?? ev.venueOrderId}`)) {
        this.q.push(now, { k: "restart", why: "restart fault between ACK and fill" });
      }
    } else {
      const ev: AccountEvent = inp.ev;
      this.record(now, "kernel.account", ev);
      const out = this.kernel.onAccountEvent(ev);
      // A settlement the kernel could not place (UNRESOLVED_SLOT: it came before the order's ACK)
      // is information the kernel never got.
      if (ev.kind === "FILL_SETTLED" && (out.accepted || out.code === "DUPLICATE_EVENT") && out.code !== "UNRESOLVED_SLOT") this.fedSettles.add(ev.eventId);
      const anchored = ev.kind === "BALANCE" && out.accepted && out.code === "OK" ? ev.walletBalanceUsdt : undefined;
      this.afterKernelCall(out, ev.kind, anchored);
    }
  }

  private afterKernelCall(out: Outcome, cause: string, anchoredWallet?: string): void {
    const now = this.clock.nowUs;
    this.record(now, "kernel.out", out);
    this.diagnostics.add(out.code);
    this.batchCodes.push(out.code);
    this.batchTaken.push(out.accepted || out.code === "DUPLICATE_EVENT");
    for (const tr of out.transitions) {
      this.rec.transitions.push(tr);
      this.stages[tr.slotId] = tr.to;
    }
    const ledgerMoved = out.ledgerSeq !== this.ledgerSeq || anchoredWallet !== undefined;
    if (ledgerMoved) {
      this.ledgerSeq = out.ledgerSeq;
      const ledger = this.kernel.ledger();
      this.rec.ledgerSamples.push({ tUs: now, cause: anchoredWallet !== undefined ? "anchor" : cause, anchoredWalletUsdt: anchoredWallet, ledger });
      this.record(now, "ledger", { cause, ledger });
    }
    const touched = new Set(out.transitions.map((t) => t.slotId));
    for (const id of touched) this.sampleSlot(this.kernel.slot(id));
    if (touched.size > 0 || ledgerMoved) this.sampleSeries(now, false);
    for (const cmd of out.commands) this.dispatchCommand(cmd);
    this.checkStageRestarts(out);
  }

  private checkStageRestarts(out: Outcome): void {
    const rs = this.faultProfile.restartOnStage;
    if (!rs || this.faults.isHealed) return;
    rs.forEach((r, i) => {
      if (this.firedStageRestarts.has(i)) return;
      if (out.transitions.some((t) => t.slotId === r.slotId && t.to === r.stage)) {
        this.firedStageRestarts.add(i);
        this.faults.mark(this.clock.nowUs, "restart", `restartOnStage slot ${r.slotId} ${r.stage}`);
        this.q.push(this.clock.nowUs, { k: "restart", why: `restartOnStage ${r.slotId}/${r.stage}` });
      }
    });
  }

  private sampleSlot(s: SlotImage): void {
    this.rec.slotSamples.push({ tUs: this.clock.nowUs, slotId: s.slotId, tradeId: s.tradeId, stage: s.stage, sizeQty: s.sizeQty, initialSizeQty: s.initialSizeQty });
  }

  private slots(): SlotImage[] {
    const out: SlotImage[] = [];
    for (let i = 0; i < this.slotCount; i++) out.push(this.kernel.slot(i));
    return out;
  }

  private fingerprints(): string[] {
    return this.slots().map(
      (s) => `${s.stage}|${s.tradeId}|${s.sizeQty}|${s.entryOrder?.filledQty ?? "-"}|${s.exitOrder?.filledQty ?? "-"}|${s.realizedPnlUsdt}|${s.legs.length}`,
    );
  }

  private noteFill(ev: VenueEvent, out: Outcome, before: string[]): void {
    const after = this.fingerprints();
    const changed = after.flatMap((f, i) => (f !== before[i] ? [i] : []));
    const cid = ev.clientOrderId ?? (ev.venueOrderId ? this.venueIdToClient.get(ev.venueOrderId) : undefined);
    const own = cid ? this.owner.get(cid) : undefined;
    this.rec.fills.push({ tUs: this.clock.nowUs, eventId: ev.eventId, clientOrderId: cid, venueOrderId: ev.venueOrderId, expectedSlot: own?.slotId, changedSlots: changed, code: out.code });
    const slots = this.slots();
    for (const i of changed) this.sampleSlot(slots[i]);
  }

  // ───────────────────────────── commands and REST ─────────────────────────────

  private dispatchCommand(cmd: VenueCommand): void {
    const now = this.clock.nowUs;
    if (cmd.kind === "SUBMIT") {
      this.submits.set(cmd.clientOrderId, cmd);
      this.owner.set(cmd.clientOrderId, { slotId: cmd.slotId, tradeId: cmd.tradeId, symbol: cmd.symbol });
      this.orderSince.set(cmd.clientOrderId, now);
      this.send({ purpose: "submit", cmd, symbol: cmd.symbol, clientOrderId: cmd.clientOrderId, build: (t, id) => this.wire.command(cmd, t, id) });
    } else {
      this.send({ purpose: "cancel", cmd, symbol: cmd.symbol, clientOrderId: cmd.clientOrderId, build: (t, id) => this.wire.command(cmd, t, id) });
    }
  }

  private send(c: Pick<RestCall, "purpose" | "build" | "cmd" | "symbol" | "clientOrderId" | "round" | "index">): string {
    const id = `c${this.nextCall++}`;
    const call: RestCall = { ...c, id, attempt: 0, epoch: this.epoch, retried: false, sentUs: this.clock.nowUs };
    this.calls.set(id, call);
    this.transmit(call);
    return id;
  }

  private transmit(call: RestCall): void {
    const now = this.clock.nowUs;
    this.q.push(now + Math.min(MAX_REST_LATENCY_US, this.faults.restLatencyUs()), { k: "rest.arrive", callId: call.id });
    this.q.push(now + REST_TIMEOUT_US, { k: "rest.timeout", callId: call.id, attempt: call.attempt });
  }

  private venueRest(req: RestRequest, now: number): RestResponse {
    this.record(now, "venue.req", req);
    const resp = this.venue.handleRest(req, now);
    this.record(now, "venue.resp", resp);
    this.emitFrames(this.venue.drainStream());
    this.noteVenueLedger(now);
    return resp;
  }

  private onRestArrive(callId: string): void {
    const call = this.calls.get(callId);
    if (!call) return;
    const now = this.clock.nowUs;
    const req = call.build(now, `${call.id}.${call.attempt}`);
    const resp = this.venueRest(req, now);
    if (call.epoch !== this.epoch) this.calls.delete(callId);
    if (call.purpose === "submit" && call.clientOrderId && !this.submittedAtVenue.has(call.clientOrderId)) {
      this.submittedAtVenue.add(call.clientOrderId);
      this.rec.venueSubmittedClientOrderIds.push(call.clientOrderId);
    }
    // Ground truth for routing: the venue's own order id for each client order id, read from
    // the venue's reply before any network fault touches it.
    const submit = call.clientOrderId ? this.submits.get(call.clientOrderId) : undefined;
    if (submit && (call.purpose === "submit" || call.purpose === "query") && classifyReply(resp, now).cls === "OK") {
      for (const ev of parseCommandResponse(submit, resp, now)) {
        if (ev.venueOrderId) this.venueIdToClient.set(ev.venueOrderId, submit.clientOrderId);
      }
    }
    if (this.faults.restResponseLost(now, `${req.method} ${req.path} ${call.clientOrderId ?? ""}`)) {
      return;
    }
    let delivered = resp;
    if (req.method === "GET") delivered = this.maybeStale(req, resp, now);
    this.q.push(now + Math.min(MAX_REST_LATENCY_US, this.faults.restLatencyUs()), { k: "rest.deliver", callId, attempt: call.attempt, resp: delivered });
  }

  private readonly lastReads = new Map<string, RestResponse>();
  /** Stale snapshot reads (E13, F19): answer with the previous answer to the same read. */
  private maybeStale(req: RestRequest, resp: RestResponse, now: number): RestResponse {
    const key = `${req.path}?${Object.keys(req.params).filter((k) => k !== "timestamp" && k !== "signature" && k !== "recvWindow").sort().map((k) => `${k}=${req.params[k]}`).join("&")}`;
    const prev = this.lastReads.get(key);
    this.lastReads.set(key, resp);
    if (prev && this.faults.staleRead(now, key)) {
      return { ...prev, requestId: resp.requestId };
    }
    return resp;
  }

  private onRestTimeout(callId: string, attempt: number): void {
    const call = this.calls.get(callId);
    if (!call || call.attempt !== attempt) return;
    if (call.epoch !== this.epoch) {
      this.calls.delete(callId);
      return;
    }
    const now = this.clock.nowUs;
    this.record(now, "check", { timeout: callId, purpose: call.purpose, attempt });
    this.retry(call, 0);
  }

  private retry(call: RestCall, afterUs: number): void {
    call.attempt++;
    call.retried = true;
    const now = this.clock.nowUs;
    // Invalidate the outstanding timeout of the previous attempt by the attempt number.
    this.q.push(now + Math.max(0, afterUs), { k: "rest.retry", callId: call.id });
  }

  private onRestRetry(callId: string): void {
    const call = this.calls.get(callId);
    if (!call) return;
    if (call.epoch !== this.epoch) {
      // The process that would have retried it is gone.
      this.calls.delete(callId);
      return;
    }
    this.transmit(call);
  }

  private onRestDeliver(callId: string, attempt: number, resp: RestResponse): void {
    const call = this.calls.get(callId);
    const now = this.clock.nowUs;
    this.record(now, "net.resp", { callId, attempt, httpStatus: resp.httpStatus, body: resp.body, late: !call || call.attempt !== attempt });
    if (!call || call.attempt !== attempt || call.epoch !== this.epoch || !this.processUp) return;
    const c = classifyReply(resp, now);
    switch (call.purpose) {
      case "submit": {
        const cmd = call.cmd as Submit;
        if (this.retryIfNeeded(call, c, resp)) return;
        this.calls.delete(callId);
        if (c.duplicateClientOrderId && call.retried) {
          // I11: the first attempt placed the order and its reply was lost; resolve by a query.
          this.record(now, "check", { resolve: "duplicate clientOrderId after retry", clientOrderId: cmd.clientOrderId });
          this.sendQuery(cmd.symbol, cmd.clientOrderId);
          return;
        }
        this.feedBatch(this.venueInputs(parseCommandResponse(cmd, resp, now)), `submit reply ${cmd.clientOrderId}`, -1);
        return;
      }
      case "cancel": {
        const cmd = call.cmd as Cancel;
        if (this.retryIfNeeded(call, c, resp)) return;
        this.calls.delete(callId);
        this.feedBatch(this.venueInputs(parseCommandResponse(cmd, resp, now)), `cancel reply ${cmd.clientOrderId}`, -1);
        if (c.cls === "ORDER_NOT_EXIST" || c.cls === "ORDER_ALREADY_FILLED") {
          // Cancelled by a lost first attempt, or filled meanwhile (the fill frame may be lost): query.
          this.sendQuery(cmd.symbol, cmd.clientOrderId);
        }
        return;
      }
      case "query": {
        if (c.rateLimited || c.unavailable) return this.retry(call, this.backoffUs(c));
        this.calls.delete(callId);
        const submit = call.clientOrderId ? this.submits.get(call.clientOrderId) : undefined;
        if (c.cls === "OK" && submit) {
          this.feedBatch(this.venueInputs(parseCommandResponse(submit, resp, now)), `order query ${call.clientOrderId}`, -1);
        } else {
          this.requestReconcile(`order query ${call.clientOrderId} answered ${c.code ?? resp.httpStatus}`);
        }
        return;
      }
      case "recon": {
        const r = this.reconcile;
        const accept = c.cls === "OK" || (call.symbol !== undefined && c.cls === "ORDER_NOT_EXIST");
        if (!accept) return this.retry(call, this.backoffUs(c));
        this.calls.delete(callId);
        if (r && r.id === call.round && call.index !== undefined) {
          r.replies[call.index] = resp;
          this.roundDone(callId);
        }
        return;
      }
      case "balance": {
        if (c.cls !== "OK") return this.retry(call, this.backoffUs(c));
        this.calls.delete(callId);
        const inputs: KernelInput[] = [{ k: "account", ev: parseBalanceReply(resp, now) }];
        const r = this.reconcile;
        if (r && r.id === call.round) {
          r.balance = inputs;
          this.roundDone(callId);
        } else {
          this.feedBatch(inputs, "balance reply", -1);
        }
        return;
      }
      case "lk.create": {
        if (resp.httpStatus !== 200) return this.retry(call, this.backoffUs(c));
        this.calls.delete(callId);
        this.listenKey = parseListenKeyReply(resp);
        this.streamUp = true;
        this.record(now, "check", { stream: "up" });
        this.requestReconcile("listen key renewed");
        return;
      }
      case "lk.extend":
        this.calls.delete(callId);
        if (resp.httpStatus === 404) {
          this.streamUp = false;
          this.renewListenKey();
        }
        return;
    }
  }

  private venueInputs(evs: VenueEvent[]): KernelInput[] {
    return evs.map((ev) => ({ k: "venue", ev }));
  }

  private backoffUs(c: ReplyClass): number {
    if (c.rateLimited) {
      const us = c.retryAfterMs !== undefined ? Math.max(1_000, Math.round(c.retryAfterMs * 1000)) : RATE_LIMIT_DEFAULT_BACKOFF_US;
      return Math.min(us, 10 * 60_000_000);
    }
    return 500_000;
  }

  /** Throttled or unavailable SUBMIT/CANCEL: feed RATE_LIMITED to the kernel (I21) and retry the same request (same client order id). */
  private retryIfNeeded(call: RestCall, c: ReplyClass, resp: RestResponse): boolean {
    if (c.rateLimited) {
      this.feedBatch(this.venueInputs(parseCommandResponse(call.cmd as VenueCommand, resp, this.clock.nowUs)), `rate limited ${call.clientOrderId}`, -1);
      this.retry(call, this.backoffUs(c));
      return true;
    }
    if (c.unavailable) {
      this.retry(call, this.backoffUs(c));
      return true;
    }
    return false;
  }

  private sendQuery(symbol: string, clientOrderId: string): string {
    return this.send({ purpose: "query", symbol, clientOrderId, build: (t, id) => this.wire.queryOrder(symbol, clientOrderId, t, id) });
  }

  // ───────────────────────────── user stream ─────────────────────────────

  /** Frames the venue emitted: schedule their delivery through the stream's faults. */
  private emitFrames(frames: WsMessage[]): void {
    if (frames.length === 0) return;
    const now = this.clock.nowUs;
    this.noteVenueLedger(now);
    this.sampleSeries(now, false);
    for (const msg of frames) {
      const frame = this.nextFrame++;
      this.record(now, "venue.ws", { frame, body: msg.body });
      // The wallet balances the venue itself states (ACCOUNT_UPDATE wb): anchors must be one of these.
      for (const ev of parseWsMessage(msg).accountEvents) {
        if (ev.kind === "BALANCE" && ev.walletBalanceUsdt !== undefined) this.rec.venueWallets.push(ev.walletBalanceUsdt);
        if (ev.kind === "FILL_SETTLED" && ev.venueOrderId) this.emittedSettles.set(ev.eventId, ev.venueOrderId);
      }
      this.maybeRaceCancel(msg.body, now);
      if (!this.streamUp || !this.processUp || this.venueDown(now)) {
        this.record(now, "check", { frame, dropped: this.processUp ? "stream down" : "process down" });
        continue;
      }
      const plan = this.faults.wsPlan(now, `frame ${frame}`);
      plan.delaysUs.forEach((d, copy) => {
        this.wsInFlight++;
        this.q.push(now + d, { k: "ws.deliver", msg, frame, copy, epoch: this.epoch });
      });
    }
  }

  private venueDown(now: number): boolean {
    return this.faults.inOutage(now);
  }

  /** cancel/fill race: when the venue fills an order, race a CANCEL against the fill's delivery. */
  private maybeRaceCancel(body: string, now: number): void {
    if (!this.faultProfile.cancelFillRace || this.faults.isHealed || !body.includes("ORDER_TRADE_UPDATE") || !/"X":"(FILLED|PARTIALLY_FILLED)"/.test(body)) return;
    const m = /"i":"?(\d+)"?/.exec(body);
    const cid = m ? this.venueIdToClient.get(m[1]) : undefined;
    const own = cid ? this.owner.get(cid) : undefined;
    if (!own || !cid) return;
    if (this.faults.cancelFillRace(now, `fill of ${cid}`)) this.q.push(now + 1, { k: "race.cancel", slotId: own.slotId, clientOrderId: cid });
  }

  private onWsDeliver(msg: WsMessage, frame: number, copy: number, epoch: number): void {
    const now = this.clock.nowUs;
    this.wsInFlight--;
    if (epoch !== this.epoch || !this.processUp || !this.streamUp) {
      this.record(now, "net.ws", { frame, copy, dropped: true });
      return;
    }
    this.record(now, "net.ws", { frame, copy });
    const parsed = parseWsMessage(msg);
    if (parsed.missing?.length) this.record(now, "adapter.missing", { frame, fields: parsed.missing });
    if (parsed.unknownEventType !== undefined) this.record(now, "adapter.skipped", { frame, unknownEventType: parsed.unknownEventType });
    const inputs: KernelInput[] = [...this.venueInputs(parsed.venueEvents), ...parsed.accountEvents.map((ev): KernelInput => ({ k: "account", ev }))];
    if (parsed.control?.kind === "LISTEN_KEY_EXPIRED") {
      this.streamUp = false;
      this.renewListenKey();
    }
    // Idempotency probe (invariant 9): the full saved state before and after a duplicate. The
    // state grows with the trade archive, so after the first PROBE_ALL duplicates only every
    // PROBE_EVERY-th is probed (the rest are still fed, and still deduplicated by the kernel).
    let probe = copy > 0 && this.appliedFrames.has(frame) && inputs.length > 0;
    if (probe) probe = this.dupSeen++ < PROBE_ALL || this.dupSeen % PROBE_EVERY === 0;
    const before = probe ? this.stateSha() : "";
    this.feedBatch(inputs, `frame ${frame}`, copy === 0 ? frame : -1);
    if (probe) {
      const after = this.stateSha();
      this.rec.probes.push({ tUs: now, what: `frame ${frame} copy ${copy}`, beforeSha: before, afterSha: after, codes: this.batchCodes });
      this.record(now, "idem.probe", { frame, before, after });
    }
  }

  private stateSha(): string {
    return createHash("sha256").update(this.kernel.saveState()).digest("hex");
  }

  private renewListenKey(): void {
    if ([...this.calls.values()].some((c) => c.purpose === "lk.create" && c.epoch === this.epoch)) return;
    this.streamUp = false;
    this.send({ purpose: "lk.create", build: (t, id) => this.wire.createListenKey(t, id) });
  }

  // ───────────────────────────── reconciliation ─────────────────────────────

  /** Ask for a full REST reconciliation (queued behind a running one). */
  private requestReconcile(why: string): void {
    if (!this.processUp) return;
    if (this.reconcile) {
      this.reconcileAgain = why;
      return;
    }
    const now = this.clock.nowUs;
    const id = this.nextRound++;
    const tracked: { symbol: string; venueOrderId?: string; clientOrderId?: string }[] = [];
    const seen = new Set<string>();
    for (const s of this.slots()) {
      if (s.stage === "IDLE" || s.stage === "CLOSED") continue;
      for (const o of [s.entryOrder, s.exitOrder]) {
        if (!o || seen.has(o.clientOrderId)) continue;
        seen.add(o.clientOrderId);
        // A SUBMIT still on its way (or waiting to be retried after a throttle) is not "not
        // found": querying it now would let the kernel finish an order the venue places later.
        if (this.submitInFlight(o.clientOrderId)) continue;
        tracked.push(o.venueOrderId ? { symbol: s.symbol, venueOrderId: o.venueOrderId } : { symbol: s.symbol, clientOrderId: o.clientOrderId });
        this.lastLimitReconcile.set(o.clientOrderId, now);
      }
    }
    const reads = this.wire.reconcileReads(this.symbols(), tracked, now, `rc${id}`);
    const r: ReconcileRound = { id, why, pending: new Set(), reads, replies: reads.map(() => undefined) };
    this.reconcile = r;
    this.record(now, "check", { reconcile: "start", round: id, why, reads: reads.length });
    reads.forEach((req, index) => {
      const isQuery = req.path === PATHS.order;
      r.pending.add(this.send({ purpose: "recon", round: id, index, symbol: isQuery ? req.params["symbol"] : undefined, build: (t, rid) => restamp(req, t, rid) }));
    });
    r.pending.add(this.send({ purpose: "balance", round: id, build: (t, rid) => this.wire.balance(t, rid) }));
  }

  private submitInFlight(clientOrderId: string): boolean {
    for (const c of this.calls.values()) {
      if (c.purpose === "submit" && c.clientOrderId === clientOrderId) return true;
    }
    return false;
  }

  private symbols(): string[] {
    return this.scenario.contracts.map((c) => c.symbol).sort();
  }

  private roundDone(callId: string): void {
    const r = this.reconcile;
    if (!r) return;
    r.pending.delete(callId);
    if (r.pending.size > 0) return;
    this.reconcile = undefined;
    const now = this.clock.nowUs;
    const replies = r.reads.map((request, i) => ({ request, response: r.replies[i] as RestResponse }));
    this.feedReconcile(parseReconcile(replies, now, this.symbols()), r.why, true);
    if (r.balance) this.feedBatch(r.balance, "reconcile balance", -1);
    this.record(now, "check", { reconcile: "done", round: r.id });
    if (this.reconcileAgain) {
      const again = this.reconcileAgain;
      this.reconcileAgain = undefined;
      this.requestReconcile(again);
    }
  }

  private feedReconcile(report: ReconcileReport, why: string, full: boolean): void {
    const now = this.clock.nowUs;
    this.record(now, "kernel.reconcile", { why, full, report });
    const before = this.fingerprints();
    const out = this.kernel.reconcile(report);
    this.afterKernelCall(out, "RECONCILE");
    const after = this.fingerprints();
    const slots = this.slots();
    after.forEach((f, i) => {
      if (f !== before[i]) this.sampleSlot(slots[i]);
    });
  }

  /** Periodic loss suspicion: slots waiting too long, resting LIMIT orders, stale-state slots. */
  private watchdog(): void {
    if (!this.processUp || this.reconcile) return;
    const now = this.clock.nowUs;
    if (now - this.lastWatchdogReconcileUs < STUCK_AFTER_US) return;
    let why: string | undefined;
    for (let i = 0; i < this.slotCount; i++) {
      if (QUIESCENT.includes(this.stages[i])) continue;
      const s = this.kernel.slot(i);
      this.stages[i] = s.stage;
      if (s.stage === "STALE_STATE_RECONCILING") why = `slot ${s.slotId} STALE_STATE_RECONCILING`;
      const o = s.stage === "ENTRY_WORKING" || s.stage === "ORDER_REQUESTED" ? s.entryOrder : s.stage === "EXIT_WORKING" || s.stage === "EXIT_REQUESTED" ? s.exitOrder : undefined;
      if (!o) continue;
      const inFlight = [...this.calls.values()].some((c) => c.clientOrderId === o.clientOrderId && c.epoch === this.epoch);
      if (inFlight) continue;
      const since = this.orderSince.get(o.clientOrderId) ?? now;
      const last = this.lastLimitReconcile.get(o.clientOrderId) ?? since;
      if ((REQUESTED.includes(s.stage) || o.orderType === "MARKET") && now - last > STUCK_AFTER_US) why = `slot ${s.slotId} ${s.stage} for ${now - since}µs`;
      else if (o.orderType === "LIMIT" && now - last > LIMIT_RECONCILE_EVERY_US) why = `slot ${s.slotId} resting LIMIT ${o.clientOrderId}`;
    }
    if (why) {
      this.lastWatchdogReconcileUs = now;
      this.requestReconcile(why);
    }
  }
  private lastWatchdogReconcileUs = -Infinity;

  // ───────────────────────────── restarts ─────────────────────────────

  /** Process restart: save → dispose; responses in flight are lost with the process (I9, I14). */
  private restart(why: string): void {
    if (!this.processUp || this.faults.isHealed) return;
    const now = this.clock.nowUs;
    if (why === "restartAtUs") this.faults.mark(now, "restart", `restartAtUs ${now}`);
    const saved = this.kernel.saveState();
    this.record(now, "check", { restart: why, savedSha: createHash("sha256").update(saved).digest("hex") });
    this.kernel.dispose();
    this.processUp = false;
    this.streamUp = false;
    this.epoch++;
    // Requests already on the wire still reach the venue; their answers die with the process.
    this.reconcile = undefined;
    this.reconcileAgain = undefined;
    this.q.push(now + RESTART_DOWNTIME_US, { k: "restart.resume", saved });
  }

  private resume(saved: string): void {
    const now = this.clock.nowUs;
    this.kernel = this.deps.kernelModule.create(this.deps.kernelConfig);
    this.processUp = true;
    this.record(now, "kernel.restore", { bytes: saved.length });
    const out = this.kernel.restoreState(saved);
    this.record(now, "kernel.out", out);
    this.diagnostics.add(out.code);
    if (!out.accepted) throw new Error(`restart: restoreState refused the kernel's own saved state: ${out.code} ${out.message}`);
    this.ledgerSeq = out.ledgerSeq;
    this.rec.ledgerSamples.push({ tUs: now, cause: "restore", ledger: this.kernel.ledger() });
    for (const s of this.slots()) {
      this.sampleSlot(s);
      this.stages[s.slotId] = s.stage;
    }
    this.renewListenKey();
    this.requestReconcile("restart");
    const deferred = this.deferredIntents.splice(0);
    for (const it of deferred) this.q.push(now, { k: "intent", intent: it });
  }

  // ───────────────────────────── liveness ─────────────────────────────

  private heal(): void {
    const now = this.clock.nowUs;
    this.faults.heal();
    this.phase = "liveness";
    this.healUs = now;
    this.record(now, "phase", { phase: "liveness" });
    if (this.processUp) {
      // The listen key may have expired unnoticed (its listenKeyExpired frame can be lost): a
      // keepalive answered 404 renews it.
      const key = this.listenKey;
      if (!this.streamUp || !key) this.renewListenKey();
      else this.send({ purpose: "lk.extend", build: (t, id) => this.wire.extendListenKey(key, t, id) });
      this.requestReconcile("faults healed");
    }
    this.q.push(now, { k: "liveness.check" });
  }

  private networkIdle(): boolean {
    if (this.calls.size > 0 || this.reconcile) return false;
    return true;
  }

  private livenessCheck(): void {
    const now = this.clock.nowUs;
    if (this.phase === "done") return;
    if (!this.processUp) {
      this.q.push(now + 1_000_000, { k: "liveness.check" });
      return;
    }
    const slots = this.slots();
    const idle = this.networkIdle() && !this.pendingWs();
    let all = true;
    for (const s of slots) {
      const q = this.isQuiescent(s) && idle;
      if (this.phase === "liveness" && q && this.quiescentAt[s.slotId] === null) this.quiescentAt[s.slotId] = now;
      if (!q) all = false;
      if (WORKING.includes(s.stage) && now - (this.lastCancelUs.get(s.slotId) ?? -Infinity) > 5_000_000) {
        const o = s.stage === "ENTRY_WORKING" ? s.entryOrder : s.exitOrder;
        if (o && !o.cancelRequested) {
          this.lastCancelUs.set(s.slotId, now);
          this.feedIntent({ kind: "CANCEL", intentId: `live${s.slotId}-${now}`, tsUs: now, slotId: s.slotId });
        }
      }
    }
    if (this.phase === "liveness") {
      if (all) {
        this.rec.parity.push(this.paritySample("quiescent", slots));
        this.phase = "flatten";
        this.record(now, "phase", { phase: "flatten" });
        for (const s of slots) {
          if (s.stage === "POSITION_OPEN" && new Dec(s.sizeQty).greaterThan(0)) {
            this.feedIntent({ kind: "EXIT_RESIDUAL", intentId: `flat${s.slotId}`, tsUs: now, slotId: s.slotId, orderType: "MARKET" });
          }
        }
        this.flattenSent = true;
      } else if (now > this.healUs + this.boundUs) {
        this.finishLiveness(now, "bound exceeded");
        return;
      }
    } else if (this.phase === "flatten" && this.flattenSent) {
      const flat = slots.every((s) => s.stage === "IDLE" || s.stage === "CLOSED" || (s.stage === "POSITION_OPEN" && new Dec(s.sizeQty).isZero()));
      if (flat && idle) {
        this.rec.parity.push(this.paritySample("flat", slots));
        this.finishLiveness(now, "flat");
        return;
      }
      if (now > this.healUs + 3 * this.boundUs - 1_000_000) {
        this.rec.parity.push(this.paritySample("flatten timeout", slots));
        this.finishLiveness(now, "flatten bound exceeded");
        return;
      }
    }
    this.q.push(now + 1_000_000, { k: "liveness.check" });
  }

  private pendingWs(): boolean {
    return this.wsInFlight > 0;
  }
  private wsInFlight = 0;

  private isQuiescent(s: SlotImage): boolean {
    if (!QUIESCENT.includes(s.stage)) return false;
    if (s.stage === "POSITION_OPEN" && s.exitOrder && new Dec(s.exitOrder.filledQty).lessThan(s.exitOrder.quantity)) return false;
    return true;
  }

  private paritySample(label: string, slots: SlotImage[]): ParitySample {
    const kernel = this.paritySampleKernel(slots);
    const venue = this.venue.positions();
    const p = { tUs: this.clock.nowUs, label, kernel, venue };
    this.record(p.tUs, "check", { parity: p });
    return p;
  }

  private finishLiveness(now: number, why: string): void {
    if (this.phase === "done") return;
    const slots = this.processUp ? this.slots() : [];
    this.rec.liveness = {
      healUs: this.healUs || now,
      boundUs: this.boundUs,
      quiescentAtUs: this.quiescentAt.slice(),
      stagesAtBound: slots.map((s) => s.stage),
    };
    this.record(now, "phase", { phase: "done", why });
    this.phase = "done";
  }

  // ───────────────────────────── bookkeeping ─────────────────────────────

  /** Number of exchange settlements (fills) the venue emitted per client order id. */
  private settlementCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const vid of this.emittedSettles.values()) {
      const cid = this.venueIdToClient.get(vid);
      if (cid) out[cid] = (out[cid] ?? 0) + 1;
    }
    return out;
  }

  /** Client order ids every exchange settlement of which reached the kernel (invariant 3). */
  private fullySettledOrders(): string[] {
    const missing = new Set<string>();
    const any = new Set<string>();
    for (const [eventId, vid] of this.emittedSettles) {
      any.add(vid);
      if (!this.fedSettles.has(eventId)) missing.add(vid);
    }
    const out: string[] = [];
    for (const vid of any) {
      const cid = this.venueIdToClient.get(vid);
      if (cid && !missing.has(vid)) out.push(cid);
    }
    return out.sort();
  }

  private lastWallet = "";
  private noteVenueLedger(now: number): void {
    const l = this.venue.ledger();
    if (l.walletBalanceUsdt === this.lastWallet) return;
    this.lastWallet = l.walletBalanceUsdt;
    this.rec.venueWallets.push(l.walletBalanceUsdt);
    this.rec.venueLedgers.push({ tUs: now, ledger: l });
  }

  /**
   * Series point for the report's plots (issue 15: event resolution). Called on every venue
   * advance (forced, at most every seriesEveryUs) and after every kernel call that moved the ledger
   * and every batch of venue frames; a point is kept only when capital, wallet or a position changed.
   * Past MAX_SERIES_POINTS only the periodic samples are kept (bounded memory on long soaks).
   * Event-resolution points are taken only when the trace is kept (a report will be written): they
   * cost about a third of a chaos run's simulation time, which runs without a report do not pay.
   */
  private sampleSeries(now: number, periodic = true): void {
    if (!this.processUp) return;
    if (!periodic && this.trace.rows === undefined) return;
    if (periodic ? now - this.lastSeriesUs < this.seriesEveryUs : this.series.length >= MAX_SERIES_POINTS) return;
    const slots = this.slots();
    const slotSizes = slots.map((s) => (s.side === "SHORT" ? new Dec(s.sizeQty).negated().toFixed() : s.sizeQty));
    const kernelPositions = this.paritySampleKernel(slots);
    const p: SeriesPoint = {
      tUs: now,
      kernelCapitalUsdt: this.kernel.ledger().capitalUsdt,
      venueWalletUsdt: this.venue.ledger().walletBalanceUsdt,
      slotSizes,
      kernelPositions,
      venuePositions: this.venue.positions(),
    };
    const key = JSON.stringify([p.kernelCapitalUsdt, p.venueWalletUsdt, slotSizes, p.venuePositions]);
    if (periodic) this.lastSeriesUs = now;
    else if (key === this.lastSeriesKey) return;
    this.lastSeriesKey = key;
    this.series.push(p);
  }
  private lastSeriesKey = "";

  /** Kernel position per symbol (Σ signed slot sizes), every contract present. */
  private paritySampleKernel(slots: SlotImage[]): Record<string, string> {
    const kernel: Record<string, string> = {};
    for (const c of this.scenario.contracts) kernel[c.symbol] = "0";
    for (const s of slots) {
      if (!s.symbol || !s.side) continue;
      const signed = s.side === "LONG" ? new Dec(s.sizeQty) : new Dec(s.sizeQty).negated();
      kernel[s.symbol] = new Dec(kernel[s.symbol] ?? "0").plus(signed).toFixed();
    }
    return kernel;
  }

  private record(tUs: number, kind: TraceKind, payload: unknown): void {
    this.trace.record(tUs, kind, payload);
  }
}

export type { LedgerSnapshot };
