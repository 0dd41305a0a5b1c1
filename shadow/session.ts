/**
 * A live shadow session (docs/shadow.md): the real kernel driven by a driver (scripted intents,
 * the seeded random trader, or observe-only), connected to a BingX swap host (VST, or the loopback
 * `dita venue serve`) through the shared wire adapter (venues/bingx/adapter.ts via sim/wire.ts),
 * a REST transport and the user-data WebSocket, on an injected clock.
 *
 * Connector policy — the SAME rules and constants as the simulator's runtime (sim/runtime.ts:
 * REST_TIMEOUT_US, RATE_LIMIT_DEFAULT_BACKOFF_US, STUCK_AFTER_US, LIMIT_RECONCILE_EVERY_US,
 * WATCHDOG_EVERY_US, KEEPALIVE_EVERY_US; reply classification `classifyReply`):
 * - a REST call unanswered within REST_TIMEOUT_US, throttled (109429 / 100410: the kernel is given
 *   RATE_LIMITED and the call waits out the "unblocked after" time) or unavailable (5xx / 100500)
 *   is retried with the same parameters: the same client order id (I11);
 * - a retried SUBMIT answered "clientOrderID unique check failed" is resolved by an order query;
 *   a CANCEL answered "order not exist" / "already filled" is followed by an order query;
 * - full reconciliation rounds (positions, open orders, one query per tracked order, balance):
 *   at start, after every stream gap (reconnect) and new listen key, after an unreadable frame,
 *   from the watchdog (slots waiting > STUCK_AFTER_US, resting LIMITs every 60 s), at exit;
 * - listen-key keepalive every 30 min (docs/bingx-protocol.md §listen key); a 404 renews the key.
 * NOTE (issue 14 / simspeed): this is a second implementation of that policy, written because the
 * shared connector split out of sim/runtime.ts (branch simspeed) had not landed; the two MUST be
 * unified into one connector driven by a virtual clock (sim) or this real clock (live).
 *
 * Live specifics: WS frames are stamped with their venue time `E` (J5); unknown event types are
 * logged, counted and skipped (never fatal); fills of orders that are not ours (shared VST account)
 * are reported as foreign and never booked (the kernel parks id-only events it cannot route).
 */
import type { AccountEvent, Intent, KernelConfig, Outcome, ReconcileReport, SlotImage, Stage, VenueCommand, VenueEvent } from "../kernel/types.js";
import type { RestRequest, RestResponse, WsMessage } from "../venues/venue.js";
import type { ContractSpec, ScriptedIntent } from "../sim/types.js";
import type { FillRoute, LedgerSample, ParitySample, SlotSample } from "../sim/record.js";
import type { Kernel, KernelModule } from "../sim/runtime.js";
import {
  KEEPALIVE_EVERY_US, LIMIT_RECONCILE_EVERY_US, RATE_LIMIT_DEFAULT_BACKOFF_US, REST_TIMEOUT_US, STUCK_AFTER_US, WATCHDOG_EVERY_US,
} from "../sim/runtime.js";
import { PATHS, Wire, classifyReply, parseBalanceReply, parseCommandResponse, parseListenKeyReply, parseWsMessage, restamp, type KernelInput, type ReplyClass } from "../sim/wire.js";
import { AdapterError, incomeRequest, listenKeyRequest, parseContractsReply, parseEnvelope, parseIncomeReply, parseReconcile, type IncomeRow } from "../venues/bingx/adapter.js";
import { toInstrumentSpec } from "../venues/bingx/contracts.js";
import { isWireObject } from "../venues/bingx/json.js";
import type { LiveClock, TimerHandle } from "../venues/bingx/live/clock.js";
import { checkMarginAsset, type VenueTarget } from "../venues/bingx/live/hosts.js";
import type { RestTransport } from "../venues/bingx/live/rest-client.js";
import type { Redactor } from "../venues/bingx/live/secrets.js";
import { Backoff, UserStream, type WsFactory } from "../venues/bingx/live/user-stream.js";
import { RandomTrader, scriptedIntents } from "../sim/drivers.js";
import { RngStreams } from "../sim/rng.js";
import { TraceRecorder, canonicalJson, type TraceKind } from "../sim/trace.js";
import { Dec } from "../sim/num.js";
import { Latency, fmtLatency } from "./metrics.js";

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

type Purpose = "submit" | "cancel" | "query" | "recon" | "balance" | "positions" | "lk.create" | "lk.extend" | "mark";

interface Call {
  id: string;
  purpose: Purpose;
  build: (nowUs: number, requestId: string) => RestRequest;
  cmd?: VenueCommand;
  symbol?: string;
  clientOrderId?: string;
  attempt: number;
  retried: boolean;
  round?: number;
  index?: number;
}

interface Round {
  id: number;
  why: string;
  pending: Set<string>;
  reads: RestRequest[];
  replies: (RestResponse | undefined)[];
  balance?: RestResponse;
  gaps: GapRecord[];
}

const QUIESCENT: readonly Stage[] = ["IDLE", "CLOSED", "POSITION_OPEN"];
const WORKING: readonly Stage[] = ["ENTRY_WORKING", "EXIT_WORKING"];
const REQUESTED: readonly Stage[] = ["ORDER_REQUESTED", "EXIT_REQUESTED"];

/** The live session. `run()` resolves with the record when the session has ended. */
export class ShadowSession {
  readonly wire = new Wire(false);
  readonly trace = new TraceRecorder(true);
  kernel!: Kernel;
  contracts: ContractSpec[] = [];
  marginAsset = "";
  initialWalletUsdt = "0";

  // Connector state.
  private readonly calls = new Map<string, Call>();
  private nextCall = 0;
  private round?: Round;
  private roundAgain?: string;
  private nextRound = 0;
  private listenKey?: string;
  private readonly stream: UserStream;
  private readonly backoff = new Backoff(250, 5_000);
  private streamUp = false;
  private readonly owner = new Map<string, { slotId: number; tradeId: string; symbol: string }>();
  private readonly venueIdToClient = new Map<string, string>();
  private readonly submits = new Map<string, Extract<VenueCommand, { kind: "SUBMIT" }>>();
  private readonly orderSince = new Map<string, number>();
  private readonly lastLimitReconcile = new Map<string, number>();
  private readonly stages: Stage[] = [];
  private readonly timers = new Set<TimerHandle>();
  private lastWatchdogReconcileUs = -Infinity;
  private ending = false;
  private stopped = false;
  private stopResolve?: () => void;
  private startUs = 0;
  private readonly prices = new Map<string, string>();
  private trader?: RandomTrader;
  private lastFrameUs = 0;
  private lastCommandUs = 0;
  private pendingGaps: GapRecord[] = [];

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
    exchangePositions: {} as Record<string, string>,
    exchangePositionsUs: 0,
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

  /** Ask the session to end now (Ctrl-C): the exit procedure still runs. */
  stop(why: string): void {
    if (this.ending) return;
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
    this.every(WATCHDOG_EVERY_US / 1000, () => this.watchdog());
    this.every(KEEPALIVE_EVERY_US / 1000, () => this.keepalive());
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
    const balResp = await this.direct(this.wire.balance(this.now(), "setup-balance"));
    this.marginAsset = balanceAsset(balResp);
    checkMarginAsset(this.marginAsset, this.o.realMoney);
    const bal = parseBalanceReply(balResp, this.now());
    if (bal.kind !== "BALANCE" || !bal.walletBalanceUsdt) throw new Error("setup: the balance read gave no wallet balance");
    this.initialWalletUsdt = bal.walletBalanceUsdt;
    if (this.o.driver.kind !== "observe") {
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
    for (let i = 0; i < this.o.slotCount; i++) this.stages.push("IDLE");
    const lk = await this.direct(this.wire.createListenKey(this.now(), "setup-lk"), true);
    this.setListenKey(parseListenKeyReply(lk));
    this.rec.venueWallets.push(bal.walletBalanceUsdt);
    this.feedBatch([{ k: "account", ev: bal }], "setup balance");
    await this.pollMarksOnce();
    await new Promise<void>((resolve, reject) => {
      const t = this.o.clock.after(10_000, () => reject(new Error("setup: the user stream did not open within 10 s")));
      this.onOpenOnce = () => {
        t.cancel();
        resolve();
      };
      this.stream.connect(this.listenKey as string);
    });
    this.requestReconcile("start");
    this.log(`session up: ${this.o.target.kind} ${this.o.target.restBase}, asset ${this.marginAsset}, wallet ${bal.walletBalanceUsdt}, symbols ${this.o.symbols.join(",")}, driver ${this.o.driver.kind} (${now})`);
  }
  private onOpenOnce?: () => void;

  /** A setup call outside the retry machinery: one attempt, recorded, error replies reported by the caller. */
  private async direct(req: RestRequest, isListenKeyCreate = false): Promise<RestResponse> {
    const sent = this.now();
    this.recordRest(req, sent, undefined);
    const resp = await this.o.rest.send(req);
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
    this.rec.intents.push({ tUs: now, intent, outcome: out });
    this.afterKernelCall(out, intent.kind);
  }

  private feedBatch(inputs: KernelInput[], what: string): void {
    for (const inp of inputs) {
      try {
        this.feedInput(inp);
      } catch (e) {
        // A kernel call that throws is a defect to report, never a silent skip: log, count, reconcile.
        this.log(`handler error in ${what}: ${this.o.redactor.redact((e as Error).message)}`);
        this.rec.diagnostics.add("HANDLER_ERROR");
        this.requestReconcile(`handler error in ${what}`);
      }
    }
  }

  private feedInput(inp: KernelInput): void {
    const now = this.now();
    if (inp.k === "venue") {
      const ev = inp.ev;
      const isFill = ev.kind === "PARTIAL_FILL" || ev.kind === "FULL_FILL";
      const before = isFill ? this.fingerprints() : undefined;
      this.record("kernel.venue", ev);
      const out = this.kernel.onVenueEvent(ev);
      this.measure(ev);
      if (isFill && ev.fillQty && ev.quantityMode === "CUMULATIVE") this.noteFilledQty(ev);
      if (isFill && before) this.noteFill(ev, out, before);
      this.afterKernelCall(out, ev.kind);
    } else {
      const ev: AccountEvent = inp.ev;
      this.record("kernel.account", ev);
      const out = this.kernel.onAccountEvent(ev);
      if (ev.kind === "FILL_SETTLED" && out.accepted && out.code !== "UNRESOLVED_SLOT") this.noteSettled(ev);
      const anchored = ev.kind === "BALANCE" && out.accepted && out.code === "OK" ? ev.walletBalanceUsdt : undefined;
      if (anchored !== undefined) this.foreignNetSinceAnchor = new Dec(0);
      this.afterKernelCall(out, ev.kind, anchored);
    }
    void now;
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
    return this.slots().map((s) => `${s.stage}|${s.tradeId}|${s.sizeQty}|${s.entryOrder?.filledQty ?? "-"}|${s.exitOrder?.filledQty ?? "-"}|${s.realizedPnlUsdt}|${s.legs.length}`);
  }

  private noteFill(ev: VenueEvent, out: Outcome, before: string[]): void {
    const after = this.fingerprints();
    const changed = after.flatMap((f, i) => (f !== before[i] ? [i] : []));
    const cid = ev.clientOrderId ?? (ev.venueOrderId ? this.venueIdToClient.get(ev.venueOrderId) : undefined);
    const own = cid ? this.owner.get(cid) : undefined;
    this.rec.fills.push({ tUs: this.now(), eventId: ev.eventId, clientOrderId: cid, venueOrderId: ev.venueOrderId, expectedSlot: own?.slotId, changedSlots: changed, code: out.code });
    const slots = this.slots();
    for (const i of changed) this.sampleSlot(slots[i]);
  }

  // ───────────────────────────── commands and REST ─────────────────────────────

  private dispatch(cmd: VenueCommand): void {
    this.lastCommandUs = this.now();
    if (cmd.kind === "SUBMIT") {
      this.submits.set(cmd.clientOrderId, cmd);
      this.owner.set(cmd.clientOrderId, { slotId: cmd.slotId, tradeId: cmd.tradeId, symbol: cmd.symbol });
      this.orderSince.set(cmd.clientOrderId, this.now());
      this.submitSentUs.set(cmd.clientOrderId, this.now());
      this.send({ purpose: "submit", cmd, symbol: cmd.symbol, clientOrderId: cmd.clientOrderId, build: (t, id) => this.wire.command(cmd, t, id) });
    } else {
      this.send({ purpose: "cancel", cmd, symbol: cmd.symbol, clientOrderId: cmd.clientOrderId, build: (t, id) => this.wire.command(cmd, t, id) });
    }
  }

  private send(c: Pick<Call, "purpose" | "build" | "cmd" | "symbol" | "clientOrderId" | "round" | "index">): string {
    const id = `c${this.nextCall++}`;
    const call: Call = { ...c, id, attempt: 0, retried: false };
    this.calls.set(id, call);
    this.transmit(call);
    return id;
  }

  private transmit(call: Call): void {
    if (this.stopped) return;
    const attempt = call.attempt;
    const sent = this.now();
    const req = call.build(sent, `${call.id}.${attempt}`);
    this.recordRest(req, sent, undefined);
    this.o.rest.send(req).then(
      (resp) => {
        if (call.purpose === "lk.create" && resp.httpStatus === 200) {
          try {
            this.o.redactor.add(parseListenKeyReply(resp), "listenKey");
          } catch (e) {
            this.log(`listen key reply unreadable: ${(e as Error).message}`);
          }
        }
        this.recordRest(req, sent, resp);
        this.restLatency.add(this.now() - sent);
        if (this.stopped) return;
        this.onReply(call, attempt, resp);
      },
      (err: Error) => {
        this.rec.restErrors++;
        this.record("check", { restError: this.o.redactor.redact(err.message), callId: call.id, purpose: call.purpose, attempt });
        if (this.stopped || this.calls.get(call.id) !== call || call.attempt !== attempt) return;
        // No answer (timeout or network error): the venue may have acted; retry the same request (I11).
        this.retry(call, 0);
      },
    );
  }

  private retry(call: Call, afterUs: number): void {
    call.attempt++;
    call.retried = true;
    this.after(afterUs / 1000, () => {
      if (this.calls.get(call.id) === call) this.transmit(call);
    });
  }

  private backoffUs(c: ReplyClass): number {
    if (c.rateLimited) {
      const us = c.retryAfterMs !== undefined ? Math.max(1_000, Math.round(c.retryAfterMs * 1000)) : RATE_LIMIT_DEFAULT_BACKOFF_US;
      return Math.min(us, 10 * 60_000_000);
    }
    return 500_000;
  }

  private onReply(call: Call, attempt: number, resp: RestResponse): void {
    if (this.calls.get(call.id) !== call || call.attempt !== attempt) return;
    const now = this.now();
    const c = classifyReply(resp, now);
    if (c.rateLimited) this.rec.rateLimitHits++;
    if (call.purpose === "submit" && call.clientOrderId && (c.cls === "OK" || c.duplicateClientOrderId) && !this.rec.venueSubmittedClientOrderIds.includes(call.clientOrderId)) {
      this.rec.venueSubmittedClientOrderIds.push(call.clientOrderId);
    }
    const submit = call.clientOrderId ? this.submits.get(call.clientOrderId) : undefined;
    if (submit && (call.purpose === "submit" || call.purpose === "query") && c.cls === "OK") {
      for (const ev of parseCommandResponse(submit, resp, now)) if (ev.venueOrderId) this.learnVenueId(ev.venueOrderId, submit.clientOrderId);
    }
    switch (call.purpose) {
      case "submit": {
        const cmd = call.cmd as Extract<VenueCommand, { kind: "SUBMIT" }>;
        if (this.retryIfNeeded(call, c, resp)) return;
        this.calls.delete(call.id);
        if (c.duplicateClientOrderId && call.retried) {
          this.rec.duplicateResolutions++;
          this.record("check", { resolve: "duplicate clientOrderId after retry", clientOrderId: cmd.clientOrderId });
          this.sendQuery(cmd.symbol, cmd.clientOrderId);
          return;
        }
        this.feedBatch(parseCommandResponse(cmd, resp, now).map((ev) => ({ k: "venue" as const, ev })), `submit reply ${cmd.clientOrderId}`);
        return;
      }
      case "cancel": {
        const cmd = call.cmd as Extract<VenueCommand, { kind: "CANCEL" }>;
        if (this.retryIfNeeded(call, c, resp)) return;
        this.calls.delete(call.id);
        this.feedBatch(parseCommandResponse(cmd, resp, now).map((ev) => ({ k: "venue" as const, ev })), `cancel reply ${cmd.clientOrderId}`);
        if (c.cls === "ORDER_NOT_EXIST" || c.cls === "ORDER_ALREADY_FILLED") this.sendQuery(cmd.symbol, cmd.clientOrderId);
        return;
      }
      case "query": {
        if (c.rateLimited || c.unavailable) return this.retry(call, this.backoffUs(c));
        this.calls.delete(call.id);
        if (c.cls === "OK" && submit) this.feedBatch(parseCommandResponse(submit, resp, now).map((ev) => ({ k: "venue" as const, ev })), `order query ${call.clientOrderId}`);
        else this.requestReconcile(`order query ${call.clientOrderId} answered ${c.code ?? resp.httpStatus}`);
        return;
      }
      case "recon": {
        const accept = c.cls === "OK" || (call.symbol !== undefined && c.cls === "ORDER_NOT_EXIST");
        if (!accept) return this.retry(call, this.backoffUs(c));
        this.calls.delete(call.id);
        const r = this.round;
        if (r && r.id === call.round && call.index !== undefined) {
          r.replies[call.index] = resp;
          this.roundDone(call.id);
        }
        return;
      }
      case "balance": {
        if (c.cls !== "OK") return this.retry(call, this.backoffUs(c));
        this.calls.delete(call.id);
        const r = this.round;
        if (r && r.id === call.round) {
          r.balance = resp;
          this.roundDone(call.id);
        } else this.applyBalance(resp, "balance check");
        return;
      }
      case "lk.create": {
        if (resp.httpStatus !== 200) return this.retry(call, this.backoffUs(c));
        this.calls.delete(call.id);
        this.setListenKey(parseListenKeyReply(resp));
        this.record("check", { stream: "new listen key" });
        this.stream.connect(this.listenKey as string);
        return;
      }
      case "lk.extend":
        this.calls.delete(call.id);
        if (resp.httpStatus === 404) this.renewListenKey("keepalive answered 404");
        else if (resp.httpStatus === 200 && !this.stream.connected && !this.ending && this.listenKey) this.stream.connect(this.listenKey);
        else if (resp.httpStatus !== 200) this.after(this.backoff.next(), () => this.reconnect());
        return;
      case "positions": {
        this.calls.delete(call.id);
        if (c.cls !== "OK") return;
        const symbols = this.contracts.map((x) => x.symbol).sort();
        const req = { method: "GET" as const, path: PATHS.positions, params: {}, requestId: call.id };
        this.rec.exchangePositions = exchangePositions(parseReconcile([{ request: req, response: resp }], now, symbols), symbols);
        this.rec.exchangePositionsUs = now;
        return;
      }
      case "mark": {
        this.calls.delete(call.id);
        if (c.cls === "OK") this.applyMark(resp);
        return;
      }
    }
  }

  private retryIfNeeded(call: Call, c: ReplyClass, resp: RestResponse): boolean {
    if (c.rateLimited) {
      this.feedBatch(parseCommandResponse(call.cmd as VenueCommand, resp, this.now()).map((ev) => ({ k: "venue" as const, ev })), `rate limited ${call.clientOrderId}`);
      this.retry(call, this.backoffUs(c));
      return true;
    }
    if (c.unavailable) {
      this.retry(call, this.backoffUs(c));
      return true;
    }
    return false;
  }

  private sendQuery(symbol: string, clientOrderId: string): void {
    this.send({ purpose: "query", symbol, clientOrderId, build: (t, id) => this.wire.queryOrder(symbol, clientOrderId, t, id) });
  }

  private learnVenueId(venueOrderId: string, clientOrderId: string): void {
    this.venueIdToClient.set(venueOrderId, clientOrderId);
    this.unknownFills.delete(venueOrderId);
  }

  private submitInFlight(clientOrderId?: string): boolean {
    for (const c of this.calls.values()) if (c.purpose === "submit" && (clientOrderId === undefined || c.clientOrderId === clientOrderId)) return true;
    return false;
  }

  // ───────────────────────────── marks and balance ─────────────────────────────

  private pollMarks(): void {
    if (this.ending) return;
    for (const c of this.contracts) {
      if ([...this.calls.values()].some((x) => x.purpose === "mark" && x.symbol === c.symbol)) continue;
      this.send({ purpose: "mark", symbol: c.symbol, build: (_t, id) => ({ method: "GET", path: PREMIUM_INDEX, params: { symbol: c.symbol }, requestId: id }) });
    }
  }

  private async pollMarksOnce(): Promise<void> {
    for (const c of this.contracts) this.applyMark(await this.direct({ method: "GET", path: PREMIUM_INDEX, params: { symbol: c.symbol }, requestId: `setup-mark-${c.symbol}` }));
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
    const out = this.kernel.markPrice(mark);
    if (out.code !== "OK") this.record("kernel.out", out);
    this.rec.diagnostics.add(out.code);
  }

  /** Idle: no order call in flight, no command in the last second, no frame in the last second, stream up. */
  private idle(): boolean {
    const now = this.now();
    const busy = [...this.calls.values()].some((c) => c.purpose !== "mark" && c.purpose !== "balance" && c.purpose !== "positions");
    return !busy && !this.round && this.streamUp && now - this.lastFrameUs > 1_000_000 && now - this.lastCommandUs > 1_000_000;
  }

  /** Periodic check: a balance read (drift) and a positions read (kernel vs exchange per symbol). */
  private balanceCheck(): void {
    if (this.ending || [...this.calls.values()].some((c) => c.purpose === "balance" || c.purpose === "positions")) return;
    this.send({ purpose: "balance", build: (t, id) => this.wire.balance(t, id) });
    const symbols = this.contracts.map((c) => c.symbol).sort();
    const posReq = this.wire.reconcileReads(symbols, [], this.now(), "pos").find((r) => r.path === PATHS.positions) as RestRequest;
    this.send({ purpose: "positions", build: (t, id) => restamp(posReq, t, id) });
  }

  /** Compare kernel capital with the wallet read (before applying it), then anchor. */
  private applyBalance(resp: RestResponse, what: string): void {
    const ev = parseBalanceReply(resp, this.now());
    if (ev.kind !== "BALANCE" || ev.walletBalanceUsdt === undefined) return;
    const capital = new Dec(this.kernel.ledger().capitalUsdt);
    const wallet = new Dec(ev.walletBalanceUsdt);
    const drift = capital.minus(wallet);
    const check: BalanceCheck = {
      tUs: this.now(),
      capitalUsdt: capital.toFixed(),
      walletUsdt: wallet.toFixed(),
      driftUsdt: drift.toFixed(),
      foreignNetUsdt: this.foreignNetSinceAnchor.toFixed(),
      unexplainedDriftUsdt: drift.plus(this.foreignNetSinceAnchor).abs().toFixed(),
      idle: this.idle(),
    };
    this.rec.balanceChecks.push(check);
    this.record("check", { balance: check });
    this.rec.venueWallets.push(ev.walletBalanceUsdt);
    this.feedBatch([{ k: "account", ev }], what);
  }

  // ───────────────────────────── user stream ─────────────────────────────

  private onStreamOpen(): void {
    this.streamUp = true;
    this.backoff.reset();
    const now = this.now();
    this.record("check", { stream: "open", connects: this.stream.counters.connects });
    const first = this.onOpenOnce;
    this.onOpenOnce = undefined;
    if (first) return first();
    for (const g of this.pendingGaps) g.reconnectedUs = now;
    this.requestReconcile("stream reconnected");
  }

  private onStreamGap(reason: string): void {
    this.streamUp = false;
    if (this.stopped) return;
    const g: GapRecord = { startUs: this.now(), reason };
    this.rec.gaps.push(g);
    this.pendingGaps.push(g);
    this.record("check", { stream: "gap", reason });
    this.log(`user stream gap: ${reason}`);
    this.after(this.backoff.next(), () => this.reconnect());
  }

  /** Reconnect: extend the key first (404 ⇒ a new key), then connect; reconcile when open. */
  private reconnect(): void {
    if (this.stopped || this.stream.connected) return;
    const key = this.listenKey;
    if (!key) return this.renewListenKey("no listen key");
    this.send({ purpose: "lk.extend", build: (t, id) => this.wire.extendListenKey(key, t, id) });
  }

  private renewListenKey(why: string): void {
    if ([...this.calls.values()].some((c) => c.purpose === "lk.create")) return;
    this.streamUp = false;
    this.stream.closeQuietly();
    this.record("check", { stream: "renew listen key", why });
    this.send({ purpose: "lk.create", build: (t, id) => this.wire.createListenKey(t, id) });
  }

  private keepalive(): void {
    const key = this.listenKey;
    if (!key || this.ending) return;
    this.send({ purpose: "lk.extend", build: (t, id) => this.wire.extendListenKey(key, t, id) });
  }

  private onFrame(text: string, recvUs: number): void {
    this.lastFrameUs = recvUs;
    const m = /"E":\s*"?(\d{10,16})/.exec(text);
    const tsUs = m ? Number(m[1]) * 1000 : recvUs;
    if (m) this.wsLag.add(recvUs - tsUs);
    this.record("WS_RAW", { recvUs, body: this.o.redactor.redact(text) });
    const msg: WsMessage = { tsUs, body: text };
    let parsed;
    try {
      parsed = parseWsMessage(msg);
    } catch (e) {
      if (e instanceof AdapterError && e.message.includes("frame.e=")) {
        const type = /"e":"([^"]{0,40})"/.exec(text)?.[1] ?? "?";
        this.rec.unknownEvents.set(type, (this.rec.unknownEvents.get(type) ?? 0) + 1);
        this.log(`unknown user-stream event type ${type}: logged, counted, skipped`);
        return;
      }
      this.rec.badFrames++;
      this.log(`unreadable frame skipped (${this.o.redactor.redact((e as Error).message)}); reconciling`);
      this.requestReconcile("unreadable frame");
      return;
    }
    for (const ev of parsed.accountEvents) if (ev.kind === "BALANCE" && ev.walletBalanceUsdt !== undefined) this.rec.venueWallets.push(ev.walletBalanceUsdt);
    if (parsed.control?.kind === "LISTEN_KEY_EXPIRED") {
      const g: GapRecord = { startUs: recvUs, reason: "listenKeyExpired" };
      this.rec.gaps.push(g);
      this.pendingGaps.push(g);
      this.log("listenKeyExpired: renewing the listen key");
      this.renewListenKey("listenKeyExpired");
      return;
    }
    this.noteForeign(parsed.venueEvents, parsed.accountEvents);
    const inputs: KernelInput[] = [...parsed.venueEvents.map((ev): KernelInput => ({ k: "venue", ev })), ...parsed.accountEvents.map((ev): KernelInput => ({ k: "account", ev }))];
    this.feedBatch(inputs, "frame");
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

  private requestReconcile(why: string): void {
    if (this.stopped) return;
    if (this.round) {
      this.roundAgain = why;
      return;
    }
    const now = this.now();
    const id = this.nextRound++;
    const tracked: { symbol: string; venueOrderId?: string; clientOrderId?: string }[] = [];
    const seen = new Set<string>();
    for (const s of this.slots()) {
      if (s.stage === "IDLE" || s.stage === "CLOSED") continue;
      for (const o of [s.entryOrder, s.exitOrder]) {
        if (!o || seen.has(o.clientOrderId)) continue;
        seen.add(o.clientOrderId);
        if (this.submitInFlight(o.clientOrderId)) continue;
        tracked.push(o.venueOrderId ? { symbol: s.symbol, venueOrderId: o.venueOrderId } : { symbol: s.symbol, clientOrderId: o.clientOrderId });
        this.lastLimitReconcile.set(o.clientOrderId, now);
      }
    }
    const symbols = this.contracts.map((c) => c.symbol).sort();
    const reads = this.wire.reconcileReads(symbols, tracked, now, `rc${id}`);
    const r: Round = { id, why, pending: new Set(), reads, replies: reads.map(() => undefined), gaps: this.pendingGaps.splice(0) };
    this.round = r;
    this.record("check", { reconcile: "start", round: id, why, reads: reads.length });
    reads.forEach((req, index) => {
      const isQuery = req.path === PATHS.order;
      r.pending.add(this.send({ purpose: "recon", round: id, index, symbol: isQuery ? req.params["symbol"] : undefined, build: (t, rid) => restamp(req, t, rid) }));
    });
    r.pending.add(this.send({ purpose: "balance", round: id, build: (t, rid) => this.wire.balance(t, rid) }));
  }

  private roundDone(callId: string): void {
    const r = this.round;
    if (!r) return;
    r.pending.delete(callId);
    if (r.pending.size > 0) return;
    this.round = undefined;
    const now = this.now();
    const symbols = this.contracts.map((c) => c.symbol).sort();
    const report = parseReconcile(r.reads.map((request, i) => ({ request, response: r.replies[i] as RestResponse })), now, symbols);
    this.rec.exchangePositions = exchangePositions(report, symbols);
    this.rec.exchangePositionsUs = now;
    this.record("kernel.reconcile", { why: r.why, report });
    this.afterKernelCall(this.kernel.reconcile(report), "RECONCILE");
    if (r.balance) this.applyBalance(r.balance, "reconcile balance");
    for (const g of r.gaps) g.reconciledUs = now;
    this.record("check", { reconcile: "done", round: r.id });
    this.rec.parity.push(this.paritySample(`reconcile ${r.id} (${r.why})`));
    if (this.roundAgain) {
      const again = this.roundAgain;
      this.roundAgain = undefined;
      this.requestReconcile(again);
    }
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
    return { tUs: this.now(), label, kernel, venue: { ...this.rec.exchangePositions } };
  }

  private watchdog(): void {
    this.classifyForeign();
    if (this.round || this.ending) return;
    const now = this.now();
    if (now - this.lastWatchdogReconcileUs < STUCK_AFTER_US) return;
    let why: string | undefined;
    for (let i = 0; i < this.o.slotCount; i++) {
      if (QUIESCENT.includes(this.stages[i])) continue;
      const s = this.kernel.slot(i);
      this.stages[i] = s.stage;
      if (s.stage === "STALE_STATE_RECONCILING") why = `slot ${s.slotId} STALE_STATE_RECONCILING`;
      const o = s.stage === "ENTRY_WORKING" || s.stage === "ORDER_REQUESTED" ? s.entryOrder : s.stage === "EXIT_WORKING" || s.stage === "EXIT_REQUESTED" ? s.exitOrder : undefined;
      if (!o) continue;
      if ([...this.calls.values()].some((c) => c.clientOrderId === o.clientOrderId)) continue;
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

  /** Slots not quiescent whose order has waited longer than STUCK_AFTER_US. */
  stuckSlots(): number[] {
    const now = this.now();
    return this.slots()
      .filter((s) => !QUIESCENT.includes(s.stage))
      .filter((s) => {
        const o = s.stage === "ENTRY_WORKING" || s.stage === "ORDER_REQUESTED" ? s.entryOrder : s.exitOrder;
        if (WORKING.includes(s.stage) && o?.orderType === "LIMIT" && !this.ending) return false; // a resting LIMIT is working, not stuck
        const since = o ? (this.orderSince.get(o.clientOrderId) ?? now) : now;
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
    if (this.o.cancelOnExit || this.o.flattenOnExit) {
      while (this.now() < deadline) {
        let waiting = false;
        for (const s of this.slots()) {
          if (this.o.cancelOnExit && WORKING.includes(s.stage)) {
            waiting = true;
            const o = s.stage === "ENTRY_WORKING" ? s.entryOrder : s.exitOrder;
            if (o && !o.cancelRequested && !this.calls.size) {
              this.rec.exitCancelled.push(o.clientOrderId);
              this.feedIntent({ kind: "CANCEL", intentId: `exit-cancel-${s.slotId}-${this.now()}`, tsUs: this.now(), slotId: s.slotId });
            }
          } else if (this.o.flattenOnExit && s.stage === "POSITION_OPEN" && new Dec(s.sizeQty).greaterThan(0) && !s.exitOrder?.quantity) {
            waiting = true;
            this.feedIntent({ kind: "EXIT_RESIDUAL", intentId: `exit-flat-${s.slotId}-${this.now()}`, tsUs: this.now(), slotId: s.slotId, orderType: "MARKET" });
          } else if (!QUIESCENT.includes(s.stage)) waiting = true;
        }
        const busy = [...this.calls.values()].some((c) => c.purpose !== "mark" && c.purpose !== "balance" && c.purpose !== "positions");
        if (!waiting && !busy) break;
        await sleep(200);
      }
    }
    // Quiet period for the last frames, then a final reconcile (positions, orders, balance).
    await sleep(1200);
    this.classifyForeign(true);
    this.requestReconcile("exit");
    const until = this.now() + 15_000_000;
    while ((this.round || this.roundAgain) && this.now() < until) await sleep(100);
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

  private async readIncome(): Promise<void> {
    const req = incomeRequest({ nowUs: this.now(), requestId: "exit-income" }, { startTimeMs: Math.floor(this.startUs / 1000) - 1000, endTimeMs: Math.floor(this.now() / 1000) + 1000, limit: 1000 });
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
