/**
 * A live shadow session (docs/shadow.md): the real kernel driven by a driver (scripted intents,
 * the seeded random trader, or observe-only), connected to a BingX swap host (VST, or the loopback
 * `dita venue serve`) through the shared wire adapter (venues/bingx/adapter.ts via sim/wire.ts),
 * a REST transport and the user-data WebSocket, on an injected clock.
 *
 * One connector, not two: retries (same client order id, I11), resolve-by-query, reconciliation
 * rounds, the watchdog and the listen-key keepalive/renewal are the simulator's own
 * `VenueConnector` (venues/connector/connector.ts), driven here through its ports by the injected
 * real clock (`Clock.at` = a timer), an HTTP transport (`Transport.send` = fetch; a socket error is
 * reported as a synthetic HTTP 599 so the connector retries; a lost answer is left to the
 * connector's own REST_TIMEOUT_US) and this session as its `KernelPort`. The host adds what is
 * live-only: the WebSocket (connect with the key the connector created or extended; after every
 * gap reconnect with backoff, then a reconcile), mark-price polls, periodic balance / position
 * checks, foreign-fill classification, metrics and the recording.
 *
 * Live specifics: WS frames are stamped with their venue time `E` (J5); unknown event types are
 * logged, counted and skipped (never fatal); fills of orders that are not ours (shared VST account)
 * are reported as foreign and never booked (the kernel parks id-only events it cannot route).
 */
import type { AccountEvent, Intent, KernelConfig, Outcome, ReconcileReport, SlotImage, Stage, VenueCommand, VenueEvent } from "../kernel/types.js";
import type { RestRequest, RestResponse, WsMessage } from "../venues/venue.js";
import type { ContractSpec, ScriptedIntent } from "../sim/types.js";
import type { FillRoute, LedgerSample, ParitySample, SlotSample } from "../sim/record.js";
import type { Kernel, KernelModule } from "../sim/runtime-types.js";
import { STUCK_AFTER_US, VenueConnector } from "../venues/connector/connector.js";
import { memoryStore } from "../venues/connector/funding.js";
import type { Clock, ConnectorLogKind, KernelPort, OutboundCall, Transport } from "../venues/connector/ports.js";
import { PATHS, Wire, classifyReply, parseBalanceReply, parseListenKeyReply, restamp, type KernelInput } from "../venues/connector/wire.js";
import { AdapterError, incomeRequest, listenKeyRequest, parseCommandResponse, parseContractsReply, parseEnvelope, parseIncomeReply, parseReconcile, type IncomeRow } from "../venues/bingx/adapter.js";
import { toInstrumentSpec } from "../venues/bingx/contracts.js";
import { isWireObject } from "../venues/bingx/json.js";
import type { LiveClock, TimerHandle } from "../venues/bingx/live/clock.js";
import { VenueRefused, checkMarginAsset, type VenueTarget } from "../venues/bingx/live/hosts.js";
import type { RestTransport } from "../venues/bingx/live/rest-client.js";
import type { Redactor } from "../venues/bingx/live/secrets.js";
import { Backoff, UserStream, type WsFactory } from "../venues/bingx/live/user-stream.js";
import { RandomTrader, scriptedIntents } from "../sim/drivers.js";
import { RngStreams } from "../sim/rng.js";
import { TraceRecorder, canonicalJson, type TraceKind } from "../sim/trace.js";
import { Dec } from "../sim/num.js";
import { feedKernelInput, fillRoute, slotFingerprint } from "../sim/kernel-feed.js";
import { Latency, fmtLatency } from "./metrics.js";
import { ShadowHistory } from "./history.js";

/** What emits intents. */
export type ShadowDriver =
  | { kind: "observe" }
  | { kind: "random"; symbols: string[]; maxSlots: number; intentsPerHour: number }
  | { kind: "scripted"; intents: ScriptedIntent[]; startUs: number };

/** Options of {@link ShadowSession}. */
export interface ShadowOptions {
  target: VenueTarget;
  realMoney: boolean;
  clock: LiveClock;
  rest: RestTransport;
  redactor: Redactor;
  wsFactory?: WsFactory;
  kernelModule: KernelModule;
  /** Contracts the session trades / observes (must exist on the venue). */
  symbols: string[];
  driver: ShadowDriver;
  /** Seed of the random trader ("driver" stream, as in `dita run`). */
  seed: number;
  /** Session length, ms (the driver stops, then the exit procedure runs). */
  durationMs: number;
  slotCount: number;
  leverage: number;
  /** Status line period, ms [5000]. */
  statusEveryMs?: number;
  /** Balance check period, ms [5000]: a REST balance read compared with kernel capital when idle. */
  balanceEveryMs?: number;
  /** Mark-price poll period per symbol, ms [1000]. */
  markEveryMs?: number;
  /** Cancel working orders on exit [true]. */
  cancelOnExit: boolean;
  /** Close open positions with EXIT_RESIDUAL MARKET on exit [false]. */
  flattenOnExit?: boolean;
  pnlAnomalyToleranceUsdt?: string;
  /** Status and log lines (already redacted). */
  log: (line: string) => void;
}

/** One balance check: kernel capital before the read was applied vs the wallet read. */
export interface BalanceCheck {
  tUs: number;
  capitalUsdt: string;
  walletUsdt: string;
  /** capital − wallet. */
  driftUsdt: string;
  /** Foreign fills' realized − fees since the last anchor (explains −drift on a shared account). */
  foreignNetUsdt: string;
  /** |capital − wallet + foreignNet|. */
  unexplainedDriftUsdt: string;
  idle: boolean;
}

/** A fill of an order that is not ours. */
export interface ForeignFill {
  tUs: number;
  symbol: string;
  venueOrderId: string;
  clientOrderId?: string;
  cumQty: string;
  avgPrice: string;
  realizedPnlUsdt?: string;
  feeUsdt?: string;
}

/** A stream gap and how long it took to be reconnected and reconciled. */
export interface GapRecord {
  startUs: number;
  reason: string;
  reconnectedUs?: number;
  reconciledUs?: number;
}

const QUIESCENT: readonly Stage[] = ["IDLE", "CLOSED", "POSITION_OPEN"];
const WORKING: readonly Stage[] = ["ENTRY_WORKING", "EXIT_WORKING"];

/** The live session. `run()` resolves with the record when the session has ended. */
export class ShadowSession {
  readonly wire = new Wire(false);
  readonly trace = new TraceRecorder(true);
  kernel!: Kernel;
  contracts: ContractSpec[] = [];
  marginAsset = "";
  initialWalletUsdt = "0";

  /** The session as history rows (docs/history-schema.md), for `dita replay`. */
  history!: ShadowHistory;
  /** The raw payload the batch being fed was decoded from (recorded once as WS_RAW / REST_RAW). */
  private raw?: { ws: { venueTsUs: number; text: string } } | { rest: { req: RestRequest; resp: RestResponse } };
  /** The REST reply the connector is reading right now (set around connector.onReply). */
  private replyInFlight?: { call: OutboundCall; req: RestRequest; resp: RestResponse };

  // Connector and stream.
  connector!: VenueConnector;
  private listenKey?: string;
  private readonly stream: UserStream;
  private readonly backoff = new Backoff(250, 5_000);
  private readonly owner = new Map<string, { slotId: number; tradeId: string; symbol: string }>();
  private readonly venueIdToClient = new Map<string, string>();
  private readonly submitCalls = new Set<string>();
  /** Reconcile round id → start time (from the connector's log), to date gap recoveries. */
  private readonly roundStartUs = new Map<number, number>();
  private readonly stages: Stage[] = [];
  private readonly timers = new Set<TimerHandle>();
  private ending = false;
  private stopped = false;
  private stopResolve?: () => void;
  private startUs = 0;
  private readonly prices = new Map<string, string>();
  private trader?: RandomTrader;
  private lastFrameUs = 0;
  private lastCommandUs = 0;

  // Record (sim/record.ts shapes, for the invariants that apply to a live session).
  readonly rec = {
    intents: [] as { tUs: number; intent: Intent; outcome: Outcome }[],
    venueSubmittedClientOrderIds: [] as string[],
    transitions: [] as Outcome["transitions"],
    slotSamples: [] as SlotSample[],
    ledgerSamples: [] as LedgerSample[],
    venueWallets: [] as string[],
    fills: [] as FillRoute[],
    parity: [] as ParitySample[],
    diagnostics: new Set<string>(),
    balanceChecks: [] as BalanceCheck[],
    foreign: [] as ForeignFill[],
    gaps: [] as GapRecord[],
    unknownEvents: new Map<string, number>(),
    badFrames: 0,
    rateLimitHits: 0,
    duplicateResolutions: 0,
    restErrors: 0,
    /** Last exchange positions read (signed, per symbol). */
    exchangePositions: {} as Record<string, string>,
    exchangePositionsUs: 0,
    /** Exchange positions at the session's first reconcile: a shared or pre-used account may hold
     * positions the kernel never opened; parity compares the kernel with the change since then. */
    exchangeAtStart: undefined as Record<string, string> | undefined,
    exitCancelled: [] as string[],
  };
  private ledgerSeq = -1;
  private foreignNetSinceAnchor = new Dec(0);
  private readonly unknownFills = new Map<string, { tUs: number; symbol: string; events: ForeignFill[] }>();

  // Measurements.
  readonly restLatency = new Latency();
  readonly ackLatency = new Latency();
  readonly fillLatency = new Latency();
  readonly wsLag = new Latency();
  private readonly submitSentUs = new Map<string, number>();
  private readonly acked = new Set<string>();
  private readonly filled = new Set<string>();

  constructor(private readonly o: ShadowOptions) {
    this.stream = new UserStream({
      wsBase: o.target.wsBase,
      clock: o.clock,
      redactor: o.redactor,
      factory: o.wsFactory,
      onFrame: (text, recvUs) => this.onFrame(text, recvUs),
      onOpen: () => this.onStreamOpen(),
      onGap: (reason) => this.onStreamGap(reason),
    });
  }

  /** Why the session was stopped before its duration (Ctrl-C), or null. */
  stoppedEarly: string | null = null;

  /** True for an --observe session (no orders). */
  get observeOnly(): boolean {
    return this.o.driver.kind === "observe";
  }

  /** Ask the session to end now (Ctrl-C): the exit procedure still runs. */
  stop(why: string): void {
    if (this.ending) return;
    this.stoppedEarly = why;
    this.log(`stopping: ${why}`);
    this.stopResolve?.();
  }

  get reconnects(): number {
    return Math.max(0, this.stream.counters.connects - 1);
  }

  // ───────────────────────────── lifecycle ─────────────────────────────

  /** Run the whole session. Throws (redacted) on a setup failure; refusals throw VenueRefused. */
  async run(): Promise<void> {
    this.startUs = this.now();
    this.record("run", { target: this.o.target, symbols: this.o.symbols, driver: this.o.driver.kind, seed: this.o.seed, durationMs: this.o.durationMs });
    await this.setup();
    const statusEvery = this.o.statusEveryMs ?? 5000;
    this.connector.startWatchdog(this.now());
    this.connector.startKeepalive(this.now());
    this.every(1000, () => this.classifyForeign());
    this.every(this.o.markEveryMs ?? 1000, () => this.pollMarks());
    this.every(this.o.balanceEveryMs ?? 5000, () => this.balanceCheck());
    this.every(statusEvery, () => this.log(this.statusLine()));
    this.startDriver();
    await new Promise<void>((resolve) => {
      this.stopResolve = resolve;
      this.after(this.o.durationMs, resolve);
    });
    await this.exitProcedure();
  }

  private async setup(): Promise<void> {
    const now = this.now();
    const contractsResp = await this.direct({ method: "GET", path: PATHS.contracts, params: {}, requestId: "setup-contracts" });
    const all = parseContractsReply(contractsResp);
    this.contracts = this.o.symbols.map((s) => {
      const c = all.find((x) => x.symbol === s);
      if (!c) throw new Error(`--symbols: ${s} is not a contract of the venue`);
      return c;
    });
    const balReq = this.wire.balance(this.now(), "setup-balance");
    const balResp = await this.direct(balReq);
    this.initialWalletReadUs = this.now();
    this.marginAsset = balanceAsset(balResp);
    checkMarginAsset(this.marginAsset, this.o.realMoney);
    const bal = parseBalanceReply(balResp, this.now());
    if (bal.kind !== "BALANCE" || !bal.walletBalanceUsdt) throw new Error("setup: the balance read gave no wallet balance");
    this.initialWalletUsdt = bal.walletBalanceUsdt;
    if (this.o.driver.kind !== "observe") {
      // The kernel sends positionSide BOTH + reduceOnly (one-way mode); fresh VST keys were seen in
      // hedge mode (docs/bingx-protocol.md §hosts). Refuse before any order rather than switch it.
      const t = this.now();
      const mode = await this.direct({ method: "GET", path: POSITION_MODE, params: { timestamp: String(Math.floor(t / 1000)) }, requestId: "setup-mode" });
      const env = parseEnvelope(mode);
      const dual = isWireObject(env.data) ? env.data["dualSidePosition"] : undefined;
      if (env.code !== 0) throw new Error(`setup: position mode read refused: code ${env.code} ${env.msg}`);
      if (dual === "true" || dual === true) throw new VenueRefused("account in hedge mode (dualSidePosition true): switch it to one-way mode first; the kernel sends positionSide BOTH");
      for (const c of this.contracts) {
        for (const req of this.wire.setLeverage(c.symbol, this.o.leverage, this.now(), `setup-lev-${c.symbol}`)) {
          const r = await this.direct(req);
          const cls = classifyReply(r, this.now());
          if (cls.cls !== "OK") throw new Error(`setup: leverage ${this.o.leverage} for ${c.symbol} refused: code ${cls.code} ${cls.msg}`);
        }
      }
    }
    const cfg: KernelConfig = {
      slotCount: this.o.slotCount,
      initialCapitalUsdt: bal.walletBalanceUsdt,
      instruments: this.contracts.map(toInstrumentSpec),
      pnlAnomalyToleranceUsdt: this.o.pnlAnomalyToleranceUsdt ?? "0.5",
    };
    this.kernel = this.o.kernelModule.create(cfg);
    this.history = new ShadowHistory(`shadow-${this.startUs}`);
    this.history.config(this.now(), cfg);
    for (let i = 0; i < this.o.slotCount; i++) this.stages.push("IDLE");
    const symbols = this.contracts.map((c) => c.symbol).sort();
    this.connector = new VenueConnector({ symbols, slotCount: this.o.slotCount, hedgeMode: false }, this.clockPort, this.transport, this.kernelPort, (kind, payload) => this.onConnectorLog(kind, payload));
    const lk = await this.direct(this.wire.createListenKey(this.now(), "setup-lk"), true);
    this.setListenKey(parseListenKeyReply(lk));
    this.connector.adoptListenKey(this.listenKey as string);
    // Funding whose frame is lost is booked from income rows after the seed wallet read (issue 12);
    // the session is one process, so its cursor lives in memory.
    this.connector.startFundingRecovery(this.initialWalletReadUs, memoryStore());
    this.rec.venueWallets.push(bal.walletBalanceUsdt);
    this.feedBatch([{ k: "account", ev: bal }], "setup balance", { rest: { req: balReq, resp: balResp } });
    await this.pollMarksOnce();
    await new Promise<void>((resolve, reject) => {
      const t = this.o.clock.after(10_000, () => reject(new Error("setup: the user stream did not open within 10 s")));
      this.onOpenOnce = () => {
        t.cancel();
        resolve();
      };
      this.stream.connect(this.listenKey as string);
    });
    this.connector.requestReconcile("start");
    this.log(`session up: ${this.o.target.kind} ${this.o.target.restBase}, asset ${this.marginAsset}, wallet ${bal.walletBalanceUsdt}, symbols ${this.o.symbols.join(",")}, driver ${this.o.driver.kind} (${now})`);
  }
  private onOpenOnce?: () => void;

  /** A setup call outside the retry machinery: one attempt, recorded, error replies reported by the caller. */
  private async direct(req: RestRequest, isListenKeyCreate = false): Promise<RestResponse> {
    const sent = this.now();
    this.recordRest(req, sent, undefined);
    let resp: RestResponse;
    try {
      resp = await this.o.rest.send(req);
    } catch (e) {
      throw this.o.redactor.redactError(e);
    }
    if (isListenKeyCreate && resp.httpStatus === 200) this.o.redactor.add(parseListenKeyReply(resp), "listenKey");
    this.recordRest(req, sent, resp);
    return resp;
  }

  private setListenKey(key: string): void {
    this.o.redactor.add(key, "listenKey");
    this.listenKey = key;
  }

  // ───────────────────────────── driver ─────────────────────────────

  private startDriver(): void {
    const d = this.o.driver;
    if (d.kind === "observe") return;
    if (d.kind === "scripted") {
      for (const s of scriptedIntents(d.intents, this.o.slotCount)) {
        const delayMs = Math.max(0, (s.atUs - d.startUs) / 1000);
        this.after(delayMs, () => {
          if (!this.ending) this.feedIntent({ ...s.intent, tsUs: this.now() });
        });
      }
      return;
    }
    const map = new Map(this.contracts.map((c) => [c.symbol, c]));
    this.trader = new RandomTrader(new RngStreams(this.o.seed).stream("driver"), d.symbols, map, Math.min(d.maxSlots, this.o.slotCount), d.intentsPerHour, this.initialWalletUsdt, this.o.leverage);
    const next = () => {
      this.after(this.trader!.nextDelayUs() / 1000, () => {
        if (this.ending) return;
        const intent = this.trader!.decide({ nowUs: this.now(), slots: this.slots(), prices: this.prices });
        if (intent) this.feedIntent({ ...intent, tsUs: this.now() });
        next();
      });
    };
    next();
  }

  // ───────────────────────────── kernel calls ─────────────────────────────

  private feedIntent(intent: Intent): void {
    const now = this.now();
    this.record("intent", intent);
    const out = this.kernel.processIntent(intent);
    this.history.intent(now, intent, out);
    this.rec.intents.push({ tUs: now, intent, outcome: out });
    this.afterKernelCall(out, intent.kind);
  }

  private feedBatch(inputs: KernelInput[], what: string, raw?: ShadowSession["raw"]): void {
    if (raw && "ws" in raw) this.history.wsRaw(this.now(), raw.ws.venueTsUs, raw.ws.text);
    else if (raw) this.history.restRaw(this.now(), raw.rest.req, raw.rest.resp);
    this.raw = raw;
    try {
      this.feedInputs(inputs, what);
    } finally {
      this.raw = undefined;
    }
  }

  private feedInputs(inputs: KernelInput[], what: string): void {
    for (const inp of inputs) {
      try {
        this.feedInput(inp);
      } catch (e) {
        // A kernel call that throws is a defect to report, never a silent skip: log, count, reconcile.
        this.log(`handler error in ${what}: ${this.o.redactor.redact((e as Error).message)}`);
        this.rec.diagnostics.add("HANDLER_ERROR");
        this.connector.requestReconcile(`handler error in ${what}`);
      }
    }
  }

  private feedInput(inp: KernelInput): void {
    const now = this.now();
    const fed = feedKernelInput(this.kernel, inp, (kind, ev) => this.recordInput(now, kind, ev), () => this.fingerprints());
    if (inp.k === "venue") {
      const ev = inp.ev;
      const isFill = ev.kind === "PARTIAL_FILL" || ev.kind === "FULL_FILL";
      this.measure(ev);
      if (isFill && ev.fillQty && ev.quantityMode === "CUMULATIVE") this.noteFilledQty(ev);
      if (fed.fillBefore) this.noteFill(ev, fed.out, fed.fillBefore);
      this.afterKernelCall(fed.out, ev.kind);
    } else {
      const ev: AccountEvent = inp.ev;
      if (ev.kind === "FILL_SETTLED" && fed.out.accepted && fed.out.code !== "UNRESOLVED_SLOT") this.noteSettled(ev);
      if (fed.anchoredWallet !== undefined) this.foreignNetSinceAnchor = new Dec(0);
      this.afterKernelCall(fed.out, ev.kind, fed.anchoredWallet);
    }
  }

  /** The input row of a kernel call: the recording, and the history unless the raw payload went there already. */
  private recordInput(now: number, kind: "kernel.venue" | "kernel.account", ev: VenueEvent | AccountEvent): void {
    this.record(kind, ev);
    if (this.raw) return;
    if (kind === "kernel.venue") this.history.venue(now, ev as VenueEvent);
    else this.history.account(now, ev as AccountEvent);
  }

  private afterKernelCall(out: Outcome, cause: string, anchoredWallet?: string): void {
    const now = this.now();
    this.record("kernel.out", out);
    this.rec.diagnostics.add(out.code);
    for (const tr of out.transitions) {
      this.rec.transitions.push(tr);
      this.stages[tr.slotId] = tr.to;
    }
    if (out.ledgerSeq !== this.ledgerSeq || anchoredWallet !== undefined) {
      this.ledgerSeq = out.ledgerSeq;
      const ledger = this.kernel.ledger();
      this.rec.ledgerSamples.push({ tUs: now, cause: anchoredWallet !== undefined ? "anchor" : cause, anchoredWalletUsdt: anchoredWallet, ledger });
      this.record("ledger", { cause, ledger });
    }
    for (const id of new Set(out.transitions.map((t) => t.slotId))) this.sampleSlot(this.kernel.slot(id));
    for (const cmd of out.commands) this.dispatch(cmd);
  }

  private measure(ev: VenueEvent): void {
    const cid = ev.clientOrderId ?? (ev.venueOrderId ? this.venueIdToClient.get(ev.venueOrderId) : undefined);
    if (!cid) return;
    const sent = this.submitSentUs.get(cid);
    if (sent === undefined) return;
    const now = this.now();
    const isFill = ev.kind === "PARTIAL_FILL" || ev.kind === "FULL_FILL";
    if ((ev.kind === "ORDER_ACK" || isFill) && !this.acked.has(cid)) {
      this.acked.add(cid);
      this.ackLatency.add(now - sent);
    }
    if (isFill && !this.filled.has(cid)) {
      this.filled.add(cid);
      this.fillLatency.add(now - sent);
    }
  }

  /** Per client order id: the largest cumulative filled quantity seen (REST executedQty, WS z). */
  private readonly filledQty = new Map<string, Dec>();
  /** Per client order id: distinct settlements fed and the largest settled cumQty. */
  private readonly settled = new Map<string, { ids: Set<string>; cum: Dec }>();

  private cidOf(ev: { clientOrderId?: string; venueOrderId?: string }): string | undefined {
    return ev.clientOrderId ?? (ev.venueOrderId ? this.venueIdToClient.get(ev.venueOrderId) : undefined);
  }

  private noteFilledQty(ev: VenueEvent): void {
    const cid = this.cidOf(ev);
    if (!cid || !ev.fillQty) return;
    const q = new Dec(ev.fillQty);
    if (q.greaterThan(this.filledQty.get(cid) ?? 0)) this.filledQty.set(cid, q);
  }

  private noteSettled(ev: Extract<AccountEvent, { kind: "FILL_SETTLED" }>): void {
    const cid = this.cidOf(ev);
    if (!cid) return;
    const st = this.settled.get(cid) ?? { ids: new Set<string>(), cum: new Dec(0) };
    st.ids.add(ev.eventId);
    if (ev.cumQty && new Dec(ev.cumQty).greaterThan(st.cum)) st.cum = new Dec(ev.cumQty);
    this.settled.set(cid, st);
  }

  /** Orders whose settlements (FILL_SETTLED, by cumQty) cover everything filled (invariant 3 compares only those). */
  fullySettledOrders(): string[] {
    const out: string[] = [];
    for (const [cid, q] of this.filledQty) {
      const st = this.settled.get(cid);
      if (st && q.greaterThan(0) && st.cum.greaterThanOrEqualTo(q)) out.push(cid);
    }
    return out.sort();
  }

  /** Client order ids of every SUBMIT the kernel emitted in this session. */
  ownClientOrderIds(): Set<string> {
    return new Set(this.owner.keys());
  }

  /** Settlements fed per client order id. */
  settlementCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [cid, st] of this.settled) out[cid] = st.ids.size;
    return out;
  }

  private sampleSlot(s: SlotImage): void {
    this.rec.slotSamples.push({ tUs: this.now(), slotId: s.slotId, tradeId: s.tradeId, stage: s.stage, sizeQty: s.sizeQty, initialSizeQty: s.initialSizeQty });
  }

  slots(): SlotImage[] {
    const out: SlotImage[] = [];
    for (let i = 0; i < this.o.slotCount; i++) out.push(this.kernel.slot(i));
    return out;
  }

  private fingerprints(): string[] {
    return this.slots().map(slotFingerprint);
  }

  private noteFill(ev: VenueEvent, out: Outcome, before: string[]): void {
    const route = fillRoute(this.now(), ev, out, before, this.fingerprints(), (v) => this.venueIdToClient.get(v), (c) => this.owner.get(c)?.slotId);
    this.rec.fills.push(route);
    const slots = this.slots();
    for (const i of route.changedSlots) this.sampleSlot(slots[i]);
  }

  // ───────────────────────────── connector ports ─────────────────────────────

  /** Connector port Clock: the injected real clock; `at` is a timer (dropped once the session stopped). */
  private readonly clockPort: Clock = {
    nowUs: () => this.now(),
    at: (tUs, fn) => this.after((tUs - this.now()) / 1000, fn),
  };

  /** Connector port Transport: one attempt = one HTTP request; its answer goes back to the connector. */
  private readonly transport: Transport = { send: (call) => this.transmit(call) };

  /** Connector port KernelPort: this session feeds the kernel and records what happened. */
  private readonly kernelPort: KernelPort = {
    feed: (inputs, what) => {
      const bal = inputs.length === 1 && inputs[0].k === "account" && inputs[0].ev.kind === "BALANCE" ? inputs[0].ev : undefined;
      if (bal && bal.kind === "BALANCE" && bal.eventId.startsWith("rest:balance:")) this.noteBalanceCheck(bal.walletBalanceUsdt);
      // A SUBMIT reply (or its throttle answer) is recorded raw: the replay decodes it with the replayed command.
      const r = this.replyInFlight;
      const raw = r && r.call.purpose === "submit" && /^(submit reply|rate limited) /.test(what) ? { rest: { req: r.req, resp: r.resp } } : undefined;
      this.feedBatch(inputs, what, raw);
    },
    reconcile: (report, why) => this.applyReconcile(report, why),
    slotOrders: () => Array.from({ length: this.o.slotCount }, (_, i) => this.kernel.slotOrders(i)),
    knownStage: (i) => this.stages[i],
    refreshSlotOrders: (i) => {
      const v = this.kernel.slotOrders(i);
      this.stages[i] = v.stage;
      return v;
    },
  };

  private dispatch(cmd: VenueCommand): void {
    this.lastCommandUs = this.now();
    if (cmd.kind === "SUBMIT") {
      this.owner.set(cmd.clientOrderId, { slotId: cmd.slotId, tradeId: cmd.tradeId, symbol: cmd.symbol });
      this.submitSentUs.set(cmd.clientOrderId, this.now());
    }
    this.connector.dispatch(cmd);
  }

  private transmit(call: OutboundCall): void {
    if (this.stopped) return;
    const attempt = call.attempt;
    const sent = this.now();
    const req = call.build(sent, `${call.id}.${attempt}`);
    if (call.purpose === "submit") this.submitCalls.add(call.id);
    this.recordRest(req, sent, undefined);
    this.o.rest.send(req).then(
      (resp) => {
        let newKey: string | undefined;
        if (call.purpose === "lk.create" && resp.httpStatus === 200) {
          try {
            newKey = parseListenKeyReply(resp);
            this.o.redactor.add(newKey, "listenKey");
          } catch (e) {
            this.log(`listen key reply unreadable: ${(e as Error).message}`);
          }
        }
        this.recordRest(req, sent, resp);
        this.restLatency.add(this.now() - sent);
        if (this.stopped) return;
        this.observeReply(call, resp);
        this.replyInFlight = { call, req, resp };
        try {
          this.connector.onReply(call.id, attempt, resp);
        } finally {
          this.replyInFlight = undefined;
        }
        if (newKey) {
          this.listenKey = newKey;
          this.record("check", { stream: "new listen key" });
          this.stream.connect(newKey);
        } else if (call.purpose === "lk.extend" && !this.ending) {
          if (resp.httpStatus === 200 && !this.stream.connected && this.listenKey) this.stream.connect(this.listenKey);
          else if (resp.httpStatus !== 200 && resp.httpStatus !== 404) this.after(this.backoff.next(), () => this.reconnect());
        }
      },
      (err: Error) => {
        this.rec.restErrors++;
        this.record("check", { restError: this.o.redactor.redact(err.message), callId: call.id, purpose: call.purpose, attempt });
        if (this.stopped) return;
        // A socket error: a synthetic 5xx so the connector retries (ports.ts Transport contract).
        this.connector.onReply(call.id, attempt, { requestId: req.requestId, httpStatus: 599, body: "" });
        if (call.purpose === "lk.extend" && !this.ending) this.after(this.backoff.next(), () => this.reconnect());
      },
    );
  }

  /** What the host learns from a reply before the connector reads it: venue ids, throttles, orders placed. */
  private observeReply(call: OutboundCall, resp: RestResponse): void {
    const now = this.now();
    const c = classifyReply(resp, now);
    if (c.rateLimited) this.rec.rateLimitHits++;
    const cid = call.clientOrderId;
    if (call.purpose === "submit" && cid && (c.cls === "OK" || c.duplicateClientOrderId) && !this.rec.venueSubmittedClientOrderIds.includes(cid)) {
      this.rec.venueSubmittedClientOrderIds.push(cid);
    }
    const submit = cid ? this.connector.submitFor(cid) : undefined;
    if (submit && (call.purpose === "submit" || call.purpose === "query") && c.cls === "OK") {
      for (const ev of parseCommandResponse(submit, resp, now)) if (ev.venueOrderId) this.learnVenueId(ev.venueOrderId, submit.clientOrderId);
    }
  }

  /** Connector log rows: recorded (redacted); reconcile start/done dates the gap recoveries. */
  private onConnectorLog(kind: ConnectorLogKind, payload: unknown): void {
    this.record(kind, payload);
    const p = payload as { reconcile?: string; round?: number };
    if (kind !== "check" || p.round === undefined) return;
    if (p.reconcile === "start") {
      this.roundStartUs.set(p.round, this.now());
    } else if (p.reconcile === "done") {
      const start = this.roundStartUs.get(p.round) ?? 0;
      for (const g of this.rec.gaps) if (g.reconnectedUs !== undefined && g.reconciledUs === undefined && start >= g.reconnectedUs) g.reconciledUs = this.now();
    }
  }

  private learnVenueId(venueOrderId: string, clientOrderId: string): void {
    this.venueIdToClient.set(venueOrderId, clientOrderId);
    this.unknownFills.delete(venueOrderId);
  }

  /**
   * Fill routes with the owner resolved from everything the venue told us by the end (a stream
   * fill can outrun the REST reply or reconcile read that pairs its order id with our client id).
   */
  fillRoutes(): FillRoute[] {
    return this.rec.fills.map((f) => {
      if (f.expectedSlot !== undefined || !f.venueOrderId) return f;
      const cid = this.venueIdToClient.get(f.venueOrderId);
      const own = cid ? this.owner.get(cid) : undefined;
      return own ? { ...f, clientOrderId: cid, expectedSlot: own.slotId } : f;
    });
  }

  /** A SUBMIT of ours still tracked by the connector (its answer may yet teach a venue order id). */
  private submitInFlight(): boolean {
    for (const id of [...this.submitCalls]) {
      if (this.connector.isOpen(id)) return true;
      this.submitCalls.delete(id);
    }
    return false;
  }

  /** A read outside the connector (marks, periodic checks, setup, exit): one attempt, recorded. */
  private ownRead(req: RestRequest): Promise<RestResponse> {
    const sent = this.now();
    this.recordRest(req, sent, undefined);
    return this.o.rest.send(req).then(
      (resp) => {
        this.recordRest(req, sent, resp);
        this.restLatency.add(this.now() - sent);
        return resp;
      },
      (e: Error) => {
        this.rec.restErrors++;
        throw this.o.redactor.redactError(e);
      },
    );
  }

  // ───────────────────────────── marks and balance ─────────────────────────────

  private readonly markInFlight = new Set<string>();

  private pollMarks(): void {
    if (this.ending) return;
    for (const c of this.contracts) {
      if (this.markInFlight.has(c.symbol)) continue;
      this.markInFlight.add(c.symbol);
      this.ownRead({ method: "GET", path: PREMIUM_INDEX, params: { symbol: c.symbol }, requestId: `mark-${c.symbol}-${this.now()}` }).then(
        (resp) => {
          this.markInFlight.delete(c.symbol);
          if (!this.stopped && classifyReply(resp, this.now()).cls === "OK") this.applyMark(resp);
        },
        (e: Error) => {
          this.markInFlight.delete(c.symbol);
          this.log(`mark price read failed: ${e.message}`);
        },
      );
    }
  }

  private async pollMarksOnce(): Promise<void> {
    for (const c of this.contracts) this.applyMark(await this.ownRead({ method: "GET", path: PREMIUM_INDEX, params: { symbol: c.symbol }, requestId: `setup-mark-${c.symbol}` }));
  }

  private applyMark(resp: RestResponse): void {
    const env = parseEnvelope(resp);
    const data = isWireObject(env.data) ? env.data : undefined;
    const sym = data && typeof data["symbol"] === "string" ? data["symbol"] : undefined;
    const mp = data && typeof data["markPrice"] === "string" ? data["markPrice"] : undefined;
    if (!sym || !mp || !new Dec(mp).greaterThan(0)) return;
    this.prices.set(sym, mp);
    const mark = { tsUs: this.now(), symbol: sym, markPrice: mp };
    this.record("kernel.mark", mark);
    this.history.mark(this.now(), mark);
    const out = this.kernel.markPrice(mark);
    if (out.code !== "OK") this.record("kernel.out", out);
    this.rec.diagnostics.add(out.code);
  }

  /** Idle: the connector has nothing in flight, the stream is up, no command and no frame in the last second. */
  private idle(): boolean {
    const now = this.now();
    return this.connector.networkIdle() && this.stream.connected && now - this.lastFrameUs > 1_000_000 && now - this.lastCommandUs > 1_000_000;
  }

  private checking = false;

  /** Periodic check (outside the connector): a balance read (drift, then anchor) and a positions read (kernel vs exchange). */
  private balanceCheck(): void {
    if (this.ending || this.checking) return;
    this.checking = true;
    const symbols = this.contracts.map((c) => c.symbol).sort();
    const t = this.now();
    const posReq = this.wire.reconcileReads(symbols, [], t, `pos-${t}`).find((r) => r.path === PATHS.positions) as RestRequest;
    const idleBefore = this.idle();
    const balReq = this.wire.balance(t, `bal-${t}`);
    Promise.all([this.ownRead(balReq), this.ownRead(posReq)]).then(
      ([bal, pos]) => {
        this.checking = false;
        if (this.stopped) return;
        const idle = idleBefore && this.idle();
        if (classifyReply(pos, this.now()).cls === "OK") {
          this.rec.exchangePositions = exchangePositions(parseReconcile([{ request: posReq, response: pos }], this.now(), symbols), symbols);
          this.rec.exchangePositionsUs = this.now();
          if (idle) this.rec.parity.push(this.paritySample("idle check"));
        }
        if (classifyReply(bal, this.now()).cls !== "OK") return;
        const ev = parseBalanceReply(bal, this.now());
        if (ev.kind !== "BALANCE") return;
        this.noteBalanceCheck(ev.walletBalanceUsdt, idle);
        this.feedBatch([{ k: "account", ev }], "balance check", { rest: { req: balReq, resp: bal } });
      },
      (e: Error) => {
        this.checking = false;
        this.log(`balance check failed: ${e.message}`);
      },
    );
  }

  /** Record kernel capital vs a wallet the venue stated in a REST balance read (before it anchors). */
  private noteBalanceCheck(walletUsdt: string | undefined, idle = this.idle()): void {
    if (walletUsdt === undefined) return;
    const capital = new Dec(this.kernel.ledger().capitalUsdt);
    const drift = capital.minus(walletUsdt);
    const check: BalanceCheck = {
      tUs: this.now(),
      capitalUsdt: capital.toFixed(),
      walletUsdt: new Dec(walletUsdt).toFixed(),
      driftUsdt: drift.toFixed(),
      foreignNetUsdt: this.foreignNetSinceAnchor.toFixed(),
      unexplainedDriftUsdt: drift.plus(this.foreignNetSinceAnchor).abs().toFixed(),
      idle,
    };
    this.rec.balanceChecks.push(check);
    this.record("check", { balance: check });
    this.rec.venueWallets.push(walletUsdt);
  }

  // ───────────────────────────── user stream ─────────────────────────────

  private onStreamOpen(): void {
    this.backoff.reset();
    const now = this.now();
    this.record("check", { stream: "open", connects: this.stream.counters.connects });
    const first = this.onOpenOnce;
    this.onOpenOnce = undefined;
    if (first) return first();
    for (const g of this.rec.gaps) if (g.reconnectedUs === undefined) g.reconnectedUs = now;
    this.connector.requestReconcile("stream reconnected");
  }

  private onStreamGap(reason: string): void {
    if (this.stopped) return;
    this.rec.gaps.push({ startUs: this.now(), reason });
    this.record("check", { stream: "gap", reason });
    this.log(`user stream gap: ${reason}`);
    this.after(this.backoff.next(), () => this.reconnect());
  }

  /** After a gap: the connector extends the listen key (a 404 renews it) and reconciles; the socket reconnects when the key is confirmed. */
  private reconnect(): void {
    if (this.stopped || this.ending || this.stream.connected) return;
    this.connector.refreshStreamAndReconcile("stream gap");
  }

  private onFrame(text: string, recvUs: number): void {
    this.lastFrameUs = recvUs;
    const m = /"E":\s*"?(\d{10,16})/.exec(text);
    const tsUs = m ? Number(m[1]) * 1000 : recvUs;
    if (m) this.wsLag.add(recvUs - tsUs);
    this.record("WS_RAW", { recvUs, body: this.o.redactor.redact(text) });
    const msg: WsMessage = { tsUs, body: text };
    let inputs: KernelInput[];
    try {
      // The shared connector decodes the frame (adapter) and handles listenKeyExpired (renews the key).
      const decoded = this.connector.onStreamFrame(msg);
      inputs = decoded.inputs;
      // An unknown event type is skipped by the adapter (never fatal) and named here: logged and counted.
      if (decoded.unknownEventType !== undefined) {
        const type = decoded.unknownEventType.slice(0, 40);
        this.rec.unknownEvents.set(type, (this.rec.unknownEvents.get(type) ?? 0) + 1);
        this.log(`unknown user-stream event type ${type}: logged, counted, skipped`);
        return;
      }
    } catch (e) {
      this.rec.badFrames++;
      this.log(`unreadable frame skipped (${this.o.redactor.redact((e as Error).message)}); reconciling`);
      this.connector.requestReconcile("unreadable frame");
      return;
    }
    if (/"e":"listenKeyExpired"/.test(text)) {
      // The stream stops until a new key is used: close this socket; the connector is renewing the key.
      this.rec.gaps.push({ startUs: recvUs, reason: "listenKeyExpired" });
      this.log("listenKeyExpired: the connector renews the listen key; reconnecting");
      this.stream.closeQuietly();
      return;
    }
    const venueEvents = inputs.flatMap((i) => (i.k === "venue" ? [i.ev] : []));
    const accountEvents = inputs.flatMap((i) => (i.k === "account" ? [i.ev] : []));
    for (const ev of accountEvents) if (ev.kind === "BALANCE" && ev.walletBalanceUsdt !== undefined) this.rec.venueWallets.push(ev.walletBalanceUsdt);
    this.noteForeign(venueEvents, accountEvents);
    this.feedBatch(inputs, "frame", { ws: { venueTsUs: tsUs, text } });
  }

  /** Fills whose order is not known to be ours are held as candidates; see {@link classifyForeign}. */
  private noteForeign(venueEvents: VenueEvent[], accountEvents: AccountEvent[]): void {
    for (const ev of venueEvents) {
      if (ev.kind !== "PARTIAL_FILL" && ev.kind !== "FULL_FILL") continue;
      const vid = ev.venueOrderId;
      if (!vid || this.venueIdToClient.has(vid) || (ev.clientOrderId && this.owner.has(ev.clientOrderId))) continue;
      const settled = accountEvents.find((a) => a.kind === "FILL_SETTLED" && a.venueOrderId === vid);
      const f: ForeignFill = { tUs: this.now(), symbol: ev.symbol, venueOrderId: vid, cumQty: ev.fillQty ?? "0", avgPrice: ev.fillPrice ?? "0" };
      if (ev.clientOrderId) f.clientOrderId = ev.clientOrderId;
      if (settled && settled.kind === "FILL_SETTLED") {
        f.realizedPnlUsdt = settled.realizedPnlUsdt;
        f.feeUsdt = settled.feeUsdt;
      }
      const u = this.unknownFills.get(vid) ?? { tUs: this.now(), symbol: ev.symbol, events: [] };
      u.events.push(f);
      this.unknownFills.set(vid, u);
    }
    this.classifyForeign();
  }

  /**
   * An unknown order's fills become foreign once no SUBMIT of ours is in flight (a fill frame may
   * outrun the REST reply that teaches us the venue order id) and 2 s have passed.
   */
  private classifyForeign(force = false): void {
    if (this.submitInFlight() && !force) return;
    const now = this.now();
    for (const [vid, u] of [...this.unknownFills]) {
      if (!force && now - u.tUs < 2_000_000) continue;
      this.unknownFills.delete(vid);
      for (const f of u.events) {
        this.rec.foreign.push(f);
        const net = new Dec(f.realizedPnlUsdt ?? "0").minus(f.feeUsdt ?? "0");
        this.foreignNetSinceAnchor = this.foreignNetSinceAnchor.plus(net);
        this.record("check", { foreignFill: f });
      }
      this.log(`foreign fill(s) of order ${vid} (${u.symbol}): not ours, not booked`);
    }
  }

  // ───────────────────────────── reconciliation ─────────────────────────────

  /** KernelPort.reconcile: a full reconciliation report from the connector's round. */
  private applyReconcile(report: ReconcileReport, why: string): void {
    const symbols = this.contracts.map((c) => c.symbol).sort();
    // The venue's own pairing of order id and client order id (routing ground truth, invariant 10).
    for (const o of report.orders) {
      if (o.clientOrderId && o.venueOrderId !== "0" && this.owner.has(o.clientOrderId)) this.learnVenueId(o.venueOrderId, o.clientOrderId);
    }
    this.rec.exchangePositions = exchangePositions(report, symbols);
    this.rec.exchangePositionsUs = this.now();
    if (this.rec.exchangeAtStart === undefined) this.rec.exchangeAtStart = { ...this.rec.exchangePositions };
    this.record("kernel.reconcile", { why, full: true, report });
    this.history.reconcile(this.now(), why, report);
    this.afterKernelCall(this.kernel.reconcile(report), "RECONCILE");
    this.record("check", { reconciled: why });
  }

  /** Kernel Σ signed slot sizes vs the exchange positions of the last reconcile read. */
  paritySample(label: string): ParitySample {
    const kernel: Record<string, string> = {};
    for (const c of this.contracts) kernel[c.symbol] = "0";
    for (const s of this.slots()) {
      if (!s.symbol || !s.side) continue;
      const signed = s.side === "LONG" ? new Dec(s.sizeQty) : new Dec(s.sizeQty).negated();
      kernel[s.symbol] = new Dec(kernel[s.symbol] ?? "0").plus(signed).toFixed();
    }
    return { tUs: this.now(), label, kernel, venue: this.exchangeSinceStart() };
  }

  /** Exchange positions minus those at the first reconcile (what this session's orders can explain). */
  exchangeSinceStart(): Record<string, string> {
    const out: Record<string, string> = {};
    const base = this.rec.exchangeAtStart ?? {};
    for (const [sym, q] of Object.entries(this.rec.exchangePositions)) out[sym] = new Dec(q).minus(base[sym] ?? "0").toFixed();
    return out;
  }

  /** Slots not quiescent whose order has waited longer than STUCK_AFTER_US. */
  stuckSlots(): number[] {
    const now = this.now();
    return this.slots()
      .filter((s) => !QUIESCENT.includes(s.stage))
      .filter((s) => {
        const o = s.stage === "ENTRY_WORKING" || s.stage === "ORDER_REQUESTED" ? s.entryOrder : s.exitOrder;
        if (WORKING.includes(s.stage) && o?.orderType === "LIMIT" && !this.ending) return false; // a resting LIMIT is working, not stuck
        const since = o ? (this.submitSentUs.get(o.clientOrderId) ?? now) : now;
        return now - since > STUCK_AFTER_US;
      })
      .map((s) => s.slotId);
  }

  // ───────────────────────────── exit ─────────────────────────────

  private async exitProcedure(): Promise<void> {
    this.ending = true;
    this.record("phase", { phase: "exit", cancelOnExit: this.o.cancelOnExit });
    const deadline = this.now() + 20_000_000;
    const sleep = (ms: number) => new Promise<void>((r) => this.after(ms, r));
    const flattened = new Set<number>();
    if (this.o.cancelOnExit || this.o.flattenOnExit) {
      while (this.now() < deadline) {
        let waiting = false;
        for (const s of this.slots()) {
          if (this.o.cancelOnExit && WORKING.includes(s.stage)) {
            waiting = true;
            const o = s.stage === "ENTRY_WORKING" ? s.entryOrder : s.exitOrder;
            if (o && !o.cancelRequested && !this.connector.inFlightFor(o.clientOrderId)) {
              this.rec.exitCancelled.push(o.clientOrderId);
              this.feedIntent({ kind: "CANCEL", intentId: `exit-cancel-${s.slotId}-${this.now()}`, tsUs: this.now(), slotId: s.slotId });
            }
          } else if (this.o.flattenOnExit && s.stage === "POSITION_OPEN" && new Dec(s.sizeQty).greaterThan(0) && !flattened.has(s.slotId)) {
            waiting = true;
            flattened.add(s.slotId);
            this.feedIntent({ kind: "EXIT_RESIDUAL", intentId: `exit-flat-${s.slotId}-${this.now()}`, tsUs: this.now(), slotId: s.slotId, orderType: "MARKET" });
          } else if (!QUIESCENT.includes(s.stage)) waiting = true;
        }
        if (!waiting && this.connector.networkIdle()) break;
        await sleep(200);
      }
    }
    // Quiet period for the last frames, then a final reconcile (positions, orders, balance).
    await sleep(1200);
    this.classifyForeign(true);
    this.connector.requestReconcile("exit");
    const until = this.now() + 15_000_000;
    await sleep(50);
    while (!this.connector.networkIdle() && this.now() < until) await sleep(100);
    this.rec.parity.push(this.paritySample("exit"));
    await this.readIncome();
    this.log(this.statusLine());
    if (this.listenKey) {
      const key = this.listenKey;
      await this.direct(listenKeyRequest("delete", { nowUs: this.now(), requestId: "exit-lk-delete" }, key)).then(
        (r) => this.record("check", { listenKeyDeleted: r.httpStatus }),
        (e: Error) => this.log(`listen key delete failed: ${this.o.redactor.redact(e.message)}`),
      );
    }
    this.stopped = true;
    this.stream.closeQuietly();
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    this.record("phase", { phase: "end" });
  }

  /** The exchange's own figures since the session start (income rows), for the venue ledger. */
  income?: { rows: IncomeRow[]; complete: boolean; error?: string };

  /** When the initial wallet was read (income after it explains the wallet's moves), µs. */
  private initialWalletReadUs = 0;

  private async readIncome(): Promise<void> {
    // Income rows after the initial wallet read (ms after its reply) up to now.
    const req = incomeRequest({ nowUs: this.now(), requestId: "exit-income" }, { startTimeMs: Math.floor(this.initialWalletReadUs / 1000) + 1, endTimeMs: Math.floor(this.now() / 1000) + 1000, limit: 1000 });
    try {
      const { rows } = parseIncomeReply(await this.direct(req), this.now());
      this.income = { rows, complete: rows.length < 1000 };
    } catch (e) {
      this.income = { rows: [], complete: false, error: this.o.redactor.redact((e as Error).message) };
      this.log(`income read failed: ${this.income.error}`);
    }
  }

  /** Dispose the kernel (after the caller read what it needs). */
  dispose(): void {
    this.kernel?.dispose();
  }

  // ───────────────────────────── status ─────────────────────────────

  /** One status line (docs/shadow.md §status). */
  statusLine(): string {
    if (!this.kernel) return "[shadow] starting";
    const t = Math.round((this.now() - this.startUs) / 1e6);
    const capital = this.kernel.ledger().capitalUsdt;
    const last = this.rec.balanceChecks[this.rec.balanceChecks.length - 1];
    const p = this.paritySample("status");
    const pos = Object.keys(p.kernel)
      .map((s) => `${s} k=${p.kernel[s]} e=${p.venue[s] ?? "?"}`)
      .join(" ");
    const foreign = this.rec.foreign.length;
    const unknown = [...this.rec.unknownEvents.values()].reduce((a, b) => a + b, 0);
    return this.o.redactor.redact(
      `[shadow t+${t}s] capital ${capital} | last balance check: wallet ${last?.walletUsdt ?? "?"} drift ${last?.driftUsdt ?? "?"}${last?.idle ? " (idle)" : ""} | positions kernel/exchange@${Math.round((this.now() - this.rec.exchangePositionsUs) / 1e5) / 10}s ago: ${pos} | stuck ${this.stuckSlots().length}` +
        ` | REST ${fmtLatency(this.restLatency)} submit→ack ${fmtLatency(this.ackLatency)} submit→fill ${fmtLatency(this.fillLatency)} WS lag ${fmtLatency(this.wsLag)}` +
        ` | reconnects ${this.reconnects} rate-limited ${this.rec.rateLimitHits} foreign ${foreign} unknown-events ${unknown}`,
    );
  }

  // ───────────────────────────── plumbing ─────────────────────────────

  now(): number {
    return this.o.clock.nowUs();
  }

  private after(ms: number, fn: () => void): void {
    const h = this.o.clock.after(Math.max(0, ms), () => {
      this.timers.delete(h);
      if (!this.stopped) fn();
    });
    this.timers.add(h);
  }

  private every(ms: number, fn: () => void): void {
    this.after(ms, () => {
      fn();
      this.every(ms, fn);
    });
  }

  private log(line: string): void {
    this.o.log(this.o.redactor.redact(line));
  }

  /** One recording row; the body is redacted before it is stored. */
  record(kind: TraceKind, payload: unknown): void {
    this.trace.record(this.now(), kind, this.o.redactor.redact(typeof payload === "string" ? payload : canonicalJson(payload)));
  }

  private recordRest(req: RestRequest, sentUs: number, resp: RestResponse | undefined): void {
    const row: Record<string, unknown> = { requestId: req.requestId, method: req.method, path: req.path, params: req.params, sentUs };
    if (resp) Object.assign(row, { recvUs: this.now(), httpStatus: resp.httpStatus, body: resp.body });
    this.record("REST_RAW", row);
  }
}

/** Position mode endpoint (docs/bingx-protocol.md §REST endpoints). */
export const POSITION_MODE = "/openApi/swap/v1/positionSide/dual";

/** Market price endpoint (docs/bingx-protocol.md §REST endpoints). */
export const PREMIUM_INDEX = "/openApi/swap/v2/quote/premiumIndex";

/** The margin asset named by a balance reply (v2 object or v3 rows). */
export function balanceAsset(resp: RestResponse): string {
  const env = parseEnvelope(resp);
  if (env.code !== 0) throw new Error(`balance read refused: code ${env.code} ${env.msg}`);
  const data = env.data;
  const row = Array.isArray(data) ? data[0] : isWireObject(data) ? data["balance"] : undefined;
  const asset = isWireObject(row) ? row["asset"] : undefined;
  if (typeof asset !== "string") throw new Error("balance read: no asset field in the reply");
  return asset;
}

/** Signed position per symbol from a reconcile report (BOTH as signed, LONG +, SHORT −). */
export function exchangePositions(report: ReconcileReport, symbols: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of symbols) out[s] = "0";
  for (const p of report.positions) {
    const q = new Dec(p.quantity);
    const signed = p.positionSide === "SHORT" ? q.abs().negated() : p.positionSide === "LONG" ? q.abs() : q;
    out[p.symbol] = new Dec(out[p.symbol] ?? "0").plus(signed).toFixed();
  }
  return out;
}
