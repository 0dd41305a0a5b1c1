/**
 * The venue connector: everything between the kernel's VenueCommands and the venue's REST API
 * that is policy rather than wire format (the wire format is venues/bingx/adapter.ts through
 * ./wire.ts). Written against the ports in ./ports.ts (Clock, Transport, KernelPort) so the
 * simulator and live shadow mode run the same code.
 *
 * Jobs (docs/bingx-protocol.md §retries, §listen key; flaws E1, F15, F16, I11, I14, I19, I21):
 * - **Retries.** A REST call unanswered after REST_TIMEOUT_US is sent again with the same
 *   parameters (same client order id, fresh timestamp). Throttled replies (109429 / 100410 /
 *   HTTP 429) are retried after the venue's "unblocked after" time (a SUBMIT / CANCEL also feeds
 *   the kernel RATE_LIMITED, I21); unavailable replies (5xx, system error) after 0.5 s.
 * - **Resolve by query.** A retried SUBMIT answered "clientOrderID unique check failed" and a
 *   CANCEL answered "order not exist" / "already filled" are followed by an order query whose
 *   reply is read like the lost SUBMIT reply (I11).
 * - **Reconciliation rounds.** `requestReconcile(why)` reads positions, open orders per symbol,
 *   one query per order the kernel tracks and the balance; when every read answered the report
 *   is fed to the kernel (and the balance as an anchor). One round at a time; a request during a
 *   round queues one more. Orders whose SUBMIT is still in flight are not queried.
 * - **Watchdog.** Every WATCHDOG_EVERY_US: a slot waiting > STUCK_AFTER_US in ORDER_REQUESTED /
 *   EXIT_REQUESTED / a MARKET working stage, a resting LIMIT order unchecked for
 *   LIMIT_RECONCILE_EVERY_US, or a STALE_STATE_RECONCILING slot triggers a reconcile.
 * - **Listen key.** Created by `renewListenKey`, extended every KEEPALIVE_EVERY_US; a keepalive
 *   answered 404 or a `listenKeyExpired` frame renews it, and a renewal triggers a reconcile
 *   (frames in the gap are lost for good).
 * - **Funding recovery** (./funding.ts, issue 12). Once `startFundingRecovery` ran, every
 *   reconcile round also reads the income endpoint (FUNDING_FEE) from a cursor that survives
 *   restarts, and so does a sweep after every funding time; each payment is fed as FUNDING with
 *   the eventId its stream frame has (docs/bingx-protocol.md §9.1), so it is booked once.
 * - **Stale wallet balances.** A stream wallet balance (ACCOUNT_UPDATE `wb`) older than a wallet
 *   fact already passed on — a newer stream balance, or a REST balance read sent after it — is not
 *   passed on (trace `check` row "stale wallet balance"): anchored late it would set capital back
 *   to a wallet the later fills already moved (docs/bingx-protocol.md §6, delayed frames).
 * - **Sessions.** `endSession()` (process died) drops every answer to requests of the session and
 *   the running reconcile round; `beginSession()` (process back) accepts answers again.
 *
 * API (all times integer µs; every method runs synchronously and never throws for a venue
 * error — only for a broken invariant of its own, with a message naming it):
 *   new VenueConnector(config, clock, transport, kernel, log)
 *   dispatch(cmd)                 send a kernel VenueCommand (SUBMIT / CANCEL)
 *   onReply(callId, attempt, r)   the transport's answer to attempt `attempt` of call `callId`
 *   reachedVenue(callId)          (simulator) the request was handled by the venue
 *   onStreamFrame(msg)            a user-stream frame → kernel inputs (and listen-key control)
 *   requestReconcile(why)         ask for a full REST reconciliation
 *   refreshStreamAndReconcile(w)  extend (or renew) the listen key, then reconcile
 *   adoptListenKey(key)           a key created outside the connector (setup)
 *   startWatchdog(t0) / startKeepalive(t0)  arm the periodic timers from t0
 *   startFundingRecovery(from, store)  income sweeps in rounds and after funding times
 *   endSession() / beginSession() process down / up
 *   networkIdle(), inFlightFor(cid), isOpen(callId), submitFor(cid), streamUp, session, up
 */
import type { AccountEvent, ReconcileReport, Stage, VenueCommand, VenueEvent } from "../../kernel/types.js";
import type { RestRequest, RestResponse, WsMessage } from "../venue.js";
import { parseReconcile, type WsParseResult } from "../bingx/adapter.js";
import {
  PATHS, Wire, classifyReply, parseBalanceReply, parseCommandResponse, parseListenKeyReply, parseOrderQueryReply, parseWsMessage, restamp,
  type Cancel, type KernelInput, type ReplyClass, type Submit,
} from "./wire.js";
import type { CallPurpose, Clock, ConnectorConfig, ConnectorLogKind, DurableStore, KernelPort, OutboundCall, Transport } from "./ports.js";
import { FUNDING_PERIOD_US, FUNDING_SETTLE_DELAY_US, FundingRecovery, nextFundingUs, type SweepResult } from "./funding.js";

/** How long the connector waits for a REST answer before treating it as lost, µs. */
export const REST_TIMEOUT_US = 3_000_000;
/** Backoff when a throttled reply gives no unblock time, µs ("a few minutes" is the worst case). */
export const RATE_LIMIT_DEFAULT_BACKOFF_US = 1_000_000;
/** Longest backoff after a throttled reply, µs. */
export const RATE_LIMIT_MAX_BACKOFF_US = 10 * 60_000_000;
/** First delay before a price query for an order still working is asked again (onPriceReply), µs; doubles per answer. */
export const PRICE_REQUERY_FIRST_US = 1_000_000;
/** Longest delay between price queries of one working order, µs. */
export const PRICE_REQUERY_MAX_US = 60_000_000;
/** Backoff after an unavailable / system-error reply, µs. */
export const UNAVAILABLE_BACKOFF_US = 500_000;
/** A slot waiting this long in ORDER_REQUESTED / EXIT_REQUESTED / a MARKET working stage is suspect. */
export const STUCK_AFTER_US = 8_000_000;
/** Resting LIMIT orders are reconciled at least this often (a lost fill is otherwise invisible). */
export const LIMIT_RECONCILE_EVERY_US = 60_000_000;
/** Watchdog period, µs. */
export const WATCHDOG_EVERY_US = 5_000_000;
/** Listen-key keepalive period (docs/bingx-protocol.md §listen key: extend every 30 min). */
export const KEEPALIVE_EVERY_US = 30 * 60_000_000;

const QUIESCENT: readonly Stage[] = ["IDLE", "CLOSED", "POSITION_OPEN"];
const REQUESTED: readonly Stage[] = ["ORDER_REQUESTED", "EXIT_REQUESTED"];

interface RestCall extends OutboundCall {
  attempt: number;
  cmd?: VenueCommand;
  symbol?: string;
  /** Reconcile round this read belongs to, and its index among the round's reads. */
  round?: number;
  index?: number;
  /** The first request of a retried SUBMIT/CANCEL may already have acted (I11). */
  retried: boolean;
  sentUs: number;
}

type NewCall = Pick<RestCall, "purpose" | "build" | "cmd" | "symbol" | "clientOrderId" | "round" | "index">;

interface ReconcileRound {
  id: number;
  why: string;
  pending: Set<string>;
  reads: RestRequest[];
  replies: (RestResponse | undefined)[];
  balance?: KernelInput[];
  /** Client order ids queried for their fee (removed from `feeUnconfirmed` when the round is done). */
  feeQueried: string[];
  /** The round's income sweep, once done (funding.ts): fed after the report, before the balance. */
  funding?: SweepResult;
}

/** The connector (module docstring). One per account; survives simulated restarts as sessions. */
export class VenueConnector {
  private readonly wire: Wire;
  private readonly calls = new Map<string, RestCall>();
  private nextCall = 0;
  private epoch = 0;
  private active = true;
  private stream = false;
  private key: string | undefined;
  /** SUBMIT commands by client order id (an order query is read as the reply the SUBMIT lost). */
  private readonly submits = new Map<string, Submit>();
  private readonly orderSince = new Map<string, number>();
  private readonly lastLimitReconcile = new Map<string, number>();
  private round?: ReconcileRound;
  private roundAgain: string | undefined;
  private nextRound = 0;
  private lastWatchdogReconcileUs = -Infinity;
  /**
   * Finished orders with fills whose fee the venue has not confirmed yet (SlotImage
   * .feeUnconfirmedOrders), by client order id, until a reconcile round has queried them. Process
   * memory: cleared by endSession (the restored kernel lists those of its current trades again).
   */
  private readonly feeUnconfirmed = new Map<string, { symbol: string; venueOrderId?: string }>();
  /** Price queries in flight (`queryUnpricedFills`): venue (or client) order id → call id. */
  private readonly priceQueries = new Map<string, string>();
  /** Funding recovery from the income endpoint (funding.ts); off until startFundingRecovery. */
  private funding?: FundingRecovery;
  /**
   * The time the newest wallet fact passed on is at least as new as, µs: the event time of a
   * stream balance, or the send time of a REST balance read (the venue read the wallet after it).
   * A stream balance older than this is stale (`staleBalances`). Process memory: reset by endSession.
   */
  private walletAsOfUs = -Infinity;

  /**
   * @param config symbols, slot count, hedge mode
   * @param clock time and timers (ports.ts Clock)
   * @param transport carries requests (ports.ts Transport); answers come back through onReply
   * @param kernel the kernel as fed by this connector (ports.ts KernelPort)
   * @param log receives observation rows (`check`: timeouts, resolutions, reconcile start/done,
   *   stream up; `net.resp`: every answer delivered); never receives secrets (listen keys are not logged)
   */
  constructor(
    private readonly config: ConnectorConfig,
    private readonly clock: Clock,
    private readonly transport: Transport,
    private readonly kernel: KernelPort,
    private readonly log: (kind: ConnectorLogKind, payload: unknown) => void,
  ) {
    this.wire = new Wire(config.hedgeMode);
  }

  /** Current session number (incremented by endSession). */
  get session(): number {
    return this.epoch;
  }
  /** True between beginSession and endSession (the process is up). */
  get up(): boolean {
    return this.active;
  }
  /** True while a valid listen key is believed to exist (user-stream frames can be trusted to arrive). */
  get streamUp(): boolean {
    return this.stream;
  }
  /** The SUBMIT command of a client order id, if this connector dispatched it. */
  submitFor(clientOrderId: string): Submit | undefined {
    return this.submits.get(clientOrderId);
  }
  /** True while call `callId` is tracked (not answered, not dropped). */
  isOpen(callId: string): boolean {
    return this.calls.has(callId);
  }
  /** No REST call tracked, no reconcile round running and no income sweep waiting (funding.ts). */
  networkIdle(): boolean {
    return this.calls.size === 0 && !this.round && !this.funding?.busy();
  }
  /** True when a call of the current session for this client order id is in flight. */
  inFlightFor(clientOrderId: string): boolean {
    for (const c of this.calls.values()) if (c.clientOrderId === clientOrderId && c.session === this.epoch) return true;
    return false;
  }

  // ───────────────────────────── sessions and timers ─────────────────────────────

  /** The process died: answers to this session's requests are dropped, the round is abandoned. */
  endSession(): void {
    this.active = false;
    this.stream = false;
    this.epoch++;
    this.round = undefined;
    this.roundAgain = undefined;
    this.feeUnconfirmed.clear();
    this.priceQueries.clear(); // their calls died with the session; reconcile prices what they would have
    this.funding?.endSession();
    this.walletAsOfUs = -Infinity;
  }

  /** The process is back (a new session): answers are accepted again. The caller renews the listen key and reconciles. */
  beginSession(): void {
    this.active = true;
  }

  /** A listen key created outside the connector (synchronous setup): the stream is up. */
  adoptListenKey(key: string): void {
    this.key = key;
    this.stream = true;
  }

  /** Arm the watchdog: first run at t0 + WATCHDOG_EVERY_US, then every WATCHDOG_EVERY_US. */
  startWatchdog(t0Us: number): void {
    const tick = (): void => {
      this.watchdog();
      this.clock.at(this.clock.nowUs() + WATCHDOG_EVERY_US, tick);
    };
    this.clock.at(t0Us + WATCHDOG_EVERY_US, tick);
  }

  /** Arm the listen-key keepalive: first at t0 + KEEPALIVE_EVERY_US, then every KEEPALIVE_EVERY_US. */
  startKeepalive(t0Us: number): void {
    const tick = (): void => {
      if (this.key && this.active) {
        const key = this.key;
        this.send({ purpose: "lk.extend", build: (t, id) => this.wire.extendListenKey(key, t, id) });
      }
      this.clock.at(this.clock.nowUs() + KEEPALIVE_EVERY_US, tick);
    };
    this.clock.at(t0Us + KEEPALIVE_EVERY_US, tick);
  }

  /** Create a new listen key unless a creation of this session is already in flight. */
  renewListenKey(): void {
    for (const c of this.calls.values()) if (c.purpose === "lk.create" && c.session === this.epoch) return;
    this.stream = false;
    this.send({ purpose: "lk.create", build: (t, id) => this.wire.createListenKey(t, id) });
  }

  /**
   * After faults heal or a reconnect: the listen key may have expired unnoticed (its
   * listenKeyExpired frame can be lost), so extend it (a 404 renews it) or renew it; then reconcile.
   */
  refreshStreamAndReconcile(why: string): void {
    const key = this.key;
    if (!this.stream || !key) this.renewListenKey();
    else this.send({ purpose: "lk.extend", build: (t, id) => this.wire.extendListenKey(key, t, id) });
    this.requestReconcile(why);
  }

  // ───────────────────────────── commands and REST ─────────────────────────────

  /** Send a kernel command (SUBMIT or CANCEL) to the venue. */
  dispatch(cmd: VenueCommand): void {
    if (cmd.kind === "SUBMIT") {
      this.submits.set(cmd.clientOrderId, cmd);
      this.orderSince.set(cmd.clientOrderId, this.clock.nowUs());
    }
    this.send({ purpose: cmd.kind === "SUBMIT" ? "submit" : "cancel", cmd, symbol: cmd.symbol, clientOrderId: cmd.clientOrderId, build: commandBuild(this.wire, cmd) });
  }

  private send(c: NewCall): string {
    const id = `c${this.nextCall++}`;
    // Every field written out in one order (one object shape): a spread of the varying NewCall
    // shapes was 2 % of a soak's CPU (issue 12 profile). Absent fields are undefined, as before.
    const call: RestCall = {
      id, purpose: c.purpose, build: c.build, cmd: c.cmd, symbol: c.symbol, clientOrderId: c.clientOrderId, round: c.round, index: c.index,
      attempt: 0, session: this.epoch, retried: false, sentUs: this.clock.nowUs(),
    };
    this.calls.set(id, call);
    this.transmit(call);
    return id;
  }

  private transmit(call: RestCall): void {
    this.transport.send(call);
    const attempt = call.attempt;
    this.clock.at(this.clock.nowUs() + REST_TIMEOUT_US, () => this.onTimeout(call.id, attempt));
  }

  /**
   * (Simulator transport) the request of `callId` was handled by the venue. A request of an
   * ended session reached the venue but nobody waits for it: the call is forgotten now.
   */
  reachedVenue(callId: string): void {
    const call = this.calls.get(callId);
    if (call && call.session !== this.epoch) this.calls.delete(callId);
  }

  private onTimeout(callId: string, attempt: number): void {
    const call = this.calls.get(callId);
    if (!call || call.attempt !== attempt) return;
    if (call.session !== this.epoch) {
      this.calls.delete(callId);
      return;
    }
    this.log("check", { timeout: callId, purpose: call.purpose, attempt });
    this.retry(call, 0);
  }

  private retry(call: RestCall, afterUs: number): void {
    call.attempt++;
    call.retried = true;
    // The outstanding timeout of the previous attempt is invalidated by the attempt number.
    this.clock.at(this.clock.nowUs() + Math.max(0, afterUs), () => this.onRetry(call.id));
  }

  private onRetry(callId: string): void {
    const call = this.calls.get(callId);
    if (!call) return;
    if (call.session !== this.epoch) {
      // The process that would have retried it is gone.
      this.calls.delete(callId);
      return;
    }
    this.transmit(call);
  }

  /** The transport's answer `resp` to attempt `attempt` of call `callId`. Late or stale answers are logged and ignored. */
  onReply(callId: string, attempt: number, resp: RestResponse): void {
    const call = this.calls.get(callId);
    const now = this.clock.nowUs();
    this.log("net.resp", { callId, attempt, httpStatus: resp.httpStatus, body: resp.body, late: !call || call.attempt !== attempt });
    if (!call || call.attempt !== attempt || call.session !== this.epoch || !this.active) return;
    const c = classifyReply(resp, now);
    switch (call.purpose) {
      case "submit":
        return this.onSubmitReply(call, c, resp, now);
      case "cancel":
        return this.onCancelReply(call, c, resp, now);
      case "query":
        return this.onQueryReply(call, c, resp, now);
      case "price":
        return this.onPriceReply(call, c, resp, now);
      case "recon":
        return this.onReconReply(call, c, resp);
      case "balance":
        return this.onBalanceReply(call, c, resp, now);
      case "income":
        return this.onIncomeReply(call, c, resp, now);
      case "lk.create":
        return this.onListenKeyCreated(call, c, resp);
      case "lk.extend":
        this.calls.delete(callId);
        if (resp.httpStatus === 404) {
          this.stream = false;
          this.renewListenKey();
        }
        return;
    }
  }

  private onSubmitReply(call: RestCall, c: ReplyClass, resp: RestResponse, now: number): void {
    const cmd = call.cmd as Submit;
    if (this.retryIfNeeded(call, c, resp)) return;
    this.calls.delete(call.id);
    if (c.duplicateClientOrderId && call.retried) {
      // I11: the first attempt placed the order and its reply was lost; resolve by a query.
      this.log("check", { resolve: "duplicate clientOrderId after retry", clientOrderId: cmd.clientOrderId });
      this.sendQuery(cmd.symbol, cmd.clientOrderId);
      return;
    }
    this.kernel.feed(venueInputs(parseCommandResponse(cmd, resp, now)), `submit reply ${cmd.clientOrderId}`);
  }

  private onCancelReply(call: RestCall, c: ReplyClass, resp: RestResponse, now: number): void {
    const cmd = call.cmd as Cancel;
    if (this.retryIfNeeded(call, c, resp)) return;
    this.calls.delete(call.id);
    this.kernel.feed(venueInputs(parseCommandResponse(cmd, resp, now)), `cancel reply ${cmd.clientOrderId}`);
    if (c.cls === "ORDER_NOT_EXIST" || c.cls === "ORDER_ALREADY_FILLED") {
      // Cancelled by a lost first attempt, or filled meanwhile (the fill frame may be lost): query.
      this.sendQuery(cmd.symbol, cmd.clientOrderId);
    }
  }

  private onQueryReply(call: RestCall, c: ReplyClass, resp: RestResponse, now: number): void {
    if (c.rateLimited || c.unavailable) return this.retry(call, backoffUs(c));
    this.calls.delete(call.id);
    const submit = call.clientOrderId ? this.submits.get(call.clientOrderId) : undefined;
    if (c.cls === "OK" && submit) {
      this.kernel.feed(venueInputs(parseCommandResponse(submit, resp, now)), `order query ${call.clientOrderId}`);
    } else {
      this.requestReconcile(`order query ${call.clientOrderId} answered ${c.code ?? resp.httpStatus}`);
    }
  }

  private onReconReply(call: RestCall, c: ReplyClass, resp: RestResponse): void {
    const r = this.round;
    const accept = c.cls === "OK" || (call.symbol !== undefined && c.cls === "ORDER_NOT_EXIST");
    if (!accept) return this.retry(call, backoffUs(c));
    this.calls.delete(call.id);
    if (r && r.id === call.round && call.index !== undefined) {
      r.replies[call.index] = resp;
      this.roundDone(call.id);
    }
  }

  private onBalanceReply(call: RestCall, c: ReplyClass, resp: RestResponse, now: number): void {
    if (c.cls !== "OK") return this.retry(call, backoffUs(c));
    this.calls.delete(call.id);
    this.walletAsOfUs = Math.max(this.walletAsOfUs, call.sentUs);
    const inputs: KernelInput[] = [{ k: "account", ev: parseBalanceReply(resp, now) }];
    const r = this.round;
    if (r && r.id === call.round) {
      r.balance = inputs;
      this.roundDone(call.id);
    } else {
      this.kernel.feed(inputs, "balance reply");
    }
  }

  private onListenKeyCreated(call: RestCall, c: ReplyClass, resp: RestResponse): void {
    if (resp.httpStatus !== 200) return this.retry(call, backoffUs(c));
    this.calls.delete(call.id);
    this.key = parseListenKeyReply(resp);
    this.stream = true;
    this.log("check", { stream: "up" });
    this.requestReconcile("listen key renewed");
  }

  /** Throttled or unavailable SUBMIT/CANCEL: feed RATE_LIMITED to the kernel (I21) and retry the same request (same client order id). */
  private retryIfNeeded(call: RestCall, c: ReplyClass, resp: RestResponse): boolean {
    if (c.rateLimited) {
      this.kernel.feed(venueInputs(parseCommandResponse(call.cmd as VenueCommand, resp, this.clock.nowUs())), `rate limited ${call.clientOrderId}`);
      this.retry(call, backoffUs(c));
      return true;
    }
    if (c.unavailable) {
      this.retry(call, backoffUs(c));
      return true;
    }
    return false;
  }

  private sendQuery(symbol: string, clientOrderId: string): string {
    return this.send({ purpose: "query", symbol, clientOrderId, build: queryBuild(this.wire, symbol, clientOrderId) });
  }

  // ───────────────────────────── user stream ─────────────────────────────

  /**
   * A user-stream frame delivered to the process: decoded by the adapter into kernel inputs
   * (venue events first, then account events, in frame order). A `listenKeyExpired` frame marks
   * the stream down and renews the key (docs/bingx-protocol.md §listen key; L14: a signal, never
   * a throw). Returns the inputs for the host to feed and the wire fields the frame lacked.
   * `parsed`: the adapter's decoding of this very frame when the caller already has it (the
   * simulator decodes each emitted frame once, sim/network.ts; parseWsMessage is a pure function
   * of the frame); by default the frame is decoded here.
   * @throws AdapterError (venues/bingx/errors.ts) for a frame the adapter refuses (unknown event type, …)
   */
  onStreamFrame(msg: WsMessage, parsed: WsParseResult = parseWsMessage(msg)): { inputs: KernelInput[]; missing?: string[]; unknownEventType?: string } {
    const account = this.dropStaleBalances(fundingBeforeBalance(parsed.accountEvents));
    const inputs: KernelInput[] = [...venueInputs(parsed.venueEvents), ...account.map((ev): KernelInput => ({ k: "account", ev }))];
    this.queryUnpricedFills(parsed.venueEvents);
    if (parsed.control?.kind === "LISTEN_KEY_EXPIRED") {
      this.stream = false;
      this.renewListenKey();
    }
    return {
      inputs,
      ...(parsed.missing?.length ? { missing: parsed.missing } : {}),
      ...(parsed.unknownEventType !== undefined ? { unknownEventType: parsed.unknownEventType } : {}),
    };
  }

  /**
   * The frame's account events without its stale wallet balances: a BALANCE whose event time is
   * before `walletAsOfUs` describes a wallet a newer fact already passed on (a delayed or reordered
   * frame; docs/bingx-protocol.md §6). Anchored, it would set capital back to that older wallet
   * and the fills in between would never reach capital (seeds 18319, 17402, 11101). Each drop is
   * traced (`check`). Equal times are kept: the venue's times are ms, so frames of one ms cannot
   * be ordered by time. The rest advance `walletAsOfUs`.
   */
  private dropStaleBalances(evs: AccountEvent[]): AccountEvent[] {
    return evs.filter((ev) => {
      if (ev.kind !== "BALANCE") return true;
      if (ev.tsUs < this.walletAsOfUs) {
        this.log("check", { balance: "stale wallet balance: not fed", eventId: ev.eventId, eventTsUs: ev.tsUs, walletAsOfUs: this.walletAsOfUs, walletBalanceUsdt: ev.walletBalanceUsdt });
        return false;
      }
      this.walletAsOfUs = Math.max(this.walletAsOfUs, ev.tsUs);
      return true;
    });
  }

  // ───────────────────────────── fills without a price ─────────────────────────────

  /**
   * Fills the stream delivered without a true price (`ap` lost: fillPrice "0", the adapter's
   * "unpriced" marker): one order query per order (executedQty + avgPrice, cumulative), whose reply
   * the kernel takes as the order's cumulative fill and uses to price the unpriced quantity
   * exactly, entry or exit (docs/accounting.md §Missing prices). One query in flight per order.
   */
  private queryUnpricedFills(evs: VenueEvent[]): void {
    for (const ev of evs) {
      if ((ev.kind !== "PARTIAL_FILL" && ev.kind !== "FULL_FILL") || (ev.fillPrice !== undefined && ev.fillPrice !== "0")) continue;
      const order = ev.venueOrderId ? { symbol: ev.symbol, venueOrderId: ev.venueOrderId } : ev.clientOrderId ? { symbol: ev.symbol, clientOrderId: ev.clientOrderId } : undefined;
      const key = order?.venueOrderId ?? order?.clientOrderId;
      if (!order || !key || this.priceQueries.has(key)) continue;
      this.log("check", { resolve: "fill without a price: order query", order: key });
      this.priceQueries.set(key, this.send({ purpose: "price", symbol: ev.symbol, clientOrderId: ev.clientOrderId, build: queryByBuild(this.wire, order) }));
    }
  }

  /**
   * The answer to a price query: the order's cumulative fill for the kernel; throttled /
   * unavailable → retried. While the order is still working (not FILLED / CANCELLED / EXPIRED) its
   * reply may cover less than the stream delivered (a reply older than the latest fill frames, a
   * stale snapshot), so the same query is asked again, 1 s after the first answer and doubling up
   * to 60 s, until the order is final (chaos seed 3612: a partial fill without `ap` stayed
   * unpriced and its trade kept the netted §5.2 repair).
   */
  private onPriceReply(call: RestCall, c: ReplyClass, resp: RestResponse, now: number): void {
    if (c.rateLimited || c.unavailable) return this.retry(call, backoffUs(c));
    let key = "";
    for (const [k, id] of this.priceQueries) if (id === call.id) key = k;
    if (c.cls !== "OK") {
      this.calls.delete(call.id);
      this.priceQueries.delete(key);
      this.log("check", { resolve: "price query not answered", order: key, code: c.code ?? resp.httpStatus });
      return;
    }
    const reply = parseOrderQueryReply(resp, now);
    if (reply.fill) this.kernel.feed(venueInputs([reply.fill]), `price query ${key}`);
    if (reply.terminal) {
      this.calls.delete(call.id);
      this.priceQueries.delete(key);
      return;
    }
    this.retry(call, Math.min(PRICE_REQUERY_MAX_US, PRICE_REQUERY_FIRST_US * 2 ** Math.min(call.attempt, 6)));
  }

  // ───────────────────────────── reconciliation ─────────────────────────────

  /** Ask for a full REST reconciliation (queued behind a running one; ignored while the process is down). */
  requestReconcile(why: string): void {
    if (!this.active) return;
    if (this.round) {
      this.roundAgain = why;
      return;
    }
    const now = this.clock.nowUs();
    const id = this.nextRound++;
    const tracked: { symbol: string; venueOrderId?: string; clientOrderId?: string }[] = [];
    const seen = new Set<string>();
    const slots = this.kernel.slotOrders(); // read once: nothing below calls the kernel (issue 12 profile)
    for (const s of slots) {
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
    // Finished orders whose fee the venue has not confirmed (stream frames carrying part of it may
    // have been lost): one query each books the venue's commission (i10-duplicates-across-restarts
    // under-booked 11.82 USDT of entry fees whose frames died with the process). Remembered until a
    // round that queried them is done, so a trade archived by a re-entry meanwhile is not missed.
    this.noteFeeUnconfirmed(slots);
    const feeQueried: string[] = [];
    for (const [coid, o] of this.feeUnconfirmed) {
      feeQueried.push(coid);
      if (seen.has(coid)) continue;
      seen.add(coid);
      tracked.push(o.venueOrderId ? { symbol: o.symbol, venueOrderId: o.venueOrderId } : { symbol: o.symbol, clientOrderId: coid });
    }
    const reads = this.wire.reconcileReads(this.config.symbols, tracked, now, `rc${id}`);
    const r: ReconcileRound = { id, why, pending: new Set(), reads, replies: reads.map(() => undefined), feeQueried };
    this.round = r;
    this.log("check", { reconcile: "start", round: id, why, reads: reads.length });
    reads.forEach((req, index) => {
      const isQuery = req.path === PATHS.order;
      r.pending.add(this.send({ purpose: "recon", round: id, index, symbol: isQuery ? req.params["symbol"] : undefined, build: restampBuild(req) }));
    });
    this.sweepInRound(r);
    r.pending.add(this.send({ purpose: "balance", round: id, build: balanceBuild(this.wire) }));
  }

  /** Remember every finished order whose fee is unconfirmed (docs/accounting.md, fees). */
  private noteFeeUnconfirmed(slots: ReturnType<KernelPort["slotOrders"]>): void {
    for (const s of slots) {
      for (const o of s.feeUnconfirmedOrders ?? []) this.feeUnconfirmed.set(o.clientOrderId, { symbol: o.symbol, ...(o.venueOrderId ? { venueOrderId: o.venueOrderId } : {}) });
    }
  }

  /** Any SUBMIT for this client order id still tracked (any session: it may still reach the venue). */
  private submitInFlight(clientOrderId: string): boolean {
    for (const c of this.calls.values()) {
      if (c.purpose === "submit" && c.clientOrderId === clientOrderId) return true;
    }
    return false;
  }

  private roundDone(callId: string): void {
    const r = this.round;
    if (!r) return;
    r.pending.delete(callId);
    if (r.pending.size > 0) return;
    this.round = undefined;
    const now = this.clock.nowUs();
    const replies = r.reads.map((request, i) => ({ request, response: r.replies[i] as RestResponse }));
    const report: ReconcileReport = parseReconcile(replies, now, this.config.symbols);
    this.kernel.reconcile(report, r.why);
    for (const c of r.feeQueried) this.feeUnconfirmed.delete(c);
    if (r.funding) this.feedFunding(r.funding);
    if (r.balance) this.kernel.feed(r.balance, "reconcile balance");
    this.log("check", { reconcile: "done", round: r.id });
    if (this.roundAgain) {
      const again = this.roundAgain;
      this.roundAgain = undefined;
      this.requestReconcile(again);
    }
  }

  // ───────────────────────────── funding recovery (funding.ts) ─────────────────────────────

  /**
   * Turn on funding recovery from the income endpoint (issue 12; funding.ts): an income sweep in
   * every reconcile round from now on, and one after every funding time (00/08/16 UTC) +
   * FUNDING_SETTLE_DELAY_US, each feeding the kernel a FUNDING event per payment (the identity its
   * stream frame has, so nothing is booked twice; docs/bingx-protocol.md §9.1).
   * @param fromUs time of the wallet read that seeded the kernel (funding up to then is in it); the
   *   cursor starts there unless `store` already holds one (a restarted process)
   * @param store where the income cursor survives restarts (ports.ts DurableStore)
   * @param pageLimit rows per income page (default and maximum 1000; smaller only to test paging)
   * @throws Error when called twice, or for a bad `fromUs` / `pageLimit`
   */
  startFundingRecovery(fromUs: number, store: DurableStore, pageLimit?: number): void {
    if (this.funding) throw new Error("connector: funding recovery already started");
    const f = new FundingRecovery(this.clock, store, this.config.symbols, (build) => this.send({ purpose: "income", build }), (p) => this.log("check", p), pageLimit);
    f.init(fromUs);
    this.funding = f;
    const at = (gUs: number): void =>
      this.clock.at(gUs + FUNDING_SETTLE_DELAY_US, () => {
        this.fundingTimeSweep(gUs);
        at(gUs + FUNDING_PERIOD_US);
      });
    at(nextFundingUs(fromUs));
  }

  private onIncomeReply(call: RestCall, c: ReplyClass, resp: RestResponse, now: number): void {
    if (c.cls !== "OK") return this.retry(call, backoffUs(c));
    this.calls.delete(call.id);
    this.funding?.onPage(call.id, resp, now);
  }

  /** A reconcile round also reads income from the cursor; the round waits for the sweep. */
  private sweepInRound(r: ReconcileRound): void {
    const f = this.funding;
    if (!f) return;
    const token = `income:rc${r.id}`;
    r.pending.add(token);
    f.sweep(`reconcile round ${r.id} (${r.why})`, (res) => {
      if (this.round !== r) return;
      r.funding = res;
      this.roundDone(token);
    });
  }

  /** After funding time `gUs` + the settle delay: sweep, feed, then re-anchor capital by a balance read (the last anchor may already hold the payment). */
  private fundingTimeSweep(gUs: number): void {
    const f = this.funding;
    if (!f || !this.active) return; // a process that is down sweeps in its restart's reconcile round
    f.sweep(`funding time ${gUs}`, (res) => {
      this.feedFunding(res);
      if (res.inputs.length > 0) this.send({ purpose: "balance", build: balanceBuild(this.wire) });
    });
  }

  /** Feed a sweep's FUNDING events, then move the cursor past them. */
  private feedFunding(res: SweepResult): void {
    if (res.inputs.length > 0) this.kernel.feed(res.inputs, "income funding");
    this.funding?.commit(res.cursorMs);
  }

  /** Periodic loss suspicion: slots waiting too long, resting LIMIT orders, stale-state slots. */
  private watchdog(): void {
    if (!this.active || this.round) return;
    const now = this.clock.nowUs();
    if (now - this.lastWatchdogReconcileUs < STUCK_AFTER_US) return;
    let why: string | undefined;
    for (let i = 0; i < this.config.slotCount; i++) {
      if (QUIESCENT.includes(this.kernel.knownStage(i))) continue;
      const s = this.kernel.refreshSlotOrders(i);
      if (s.stage === "STALE_STATE_RECONCILING") why = `slot ${s.slotId} STALE_STATE_RECONCILING`;
      const o = s.stage === "ENTRY_WORKING" || s.stage === "ORDER_REQUESTED" ? s.entryOrder : s.stage === "EXIT_WORKING" || s.stage === "EXIT_REQUESTED" ? s.exitOrder : undefined;
      if (!o) continue;
      if (this.inFlightFor(o.clientOrderId)) continue;
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
}

/**
 * The account events of one frame with its FUNDING events first. A FUNDING_FEE frame's `wb` is
 * the wallet after the payment: anchored first, then the payment booked, capital would count the
 * payment twice until the next anchor (docs/accounting.md §3.1). Other frames carry no FUNDING.
 */
// Request builders (OutboundCall.build) of the frequent calls. Made by these functions, not written
// inline: the bundle renames every closure written in a named position on each call (esbuild
// keepNames: a property definition per request; issue 12 profile), a returned one it leaves alone.

/** Builder of a SUBMIT / CANCEL request. */
function commandBuild(wire: Wire, cmd: Submit | Cancel): OutboundCall["build"] {
  return (t, id) => wire.command(cmd, t, id);
}

/** Builder of an order query by client order id. */
function queryBuild(wire: Wire, symbol: string, clientOrderId: string): OutboundCall["build"] {
  return (t, id) => wire.queryOrder(symbol, clientOrderId, t, id);
}

/** Builder of an order query by venue order id, else client order id. */
function queryByBuild(wire: Wire, order: Parameters<Wire["queryOrderBy"]>[0]): OutboundCall["build"] {
  return (t, id) => wire.queryOrderBy(order, t, id);
}

/** Builder of a reconcile read: `req` with a fresh timestamp and request id. */
function restampBuild(req: RestRequest): OutboundCall["build"] {
  return (t, id) => restamp(req, t, id);
}

/** Builder of a balance read. */
function balanceBuild(wire: Wire): OutboundCall["build"] {
  return (t, id) => wire.balance(t, id);
}

function fundingBeforeBalance(evs: AccountEvent[]): AccountEvent[] {
  if (!evs.some((e) => e.kind === "FUNDING")) return evs;
  return [...evs.filter((e) => e.kind === "FUNDING"), ...evs.filter((e) => e.kind !== "FUNDING")];
}

function venueInputs(evs: VenueEvent[]): KernelInput[] {
  return evs.map((ev) => ({ k: "venue", ev }));
}

/** Backoff before retrying a refused call, µs: the venue's unblock time when throttled (≥ 1 ms, ≤ 10 min), else 0.5 s. */
export function backoffUs(c: ReplyClass): number {
  if (c.rateLimited) {
    const us = c.retryAfterMs !== undefined ? Math.max(1_000, Math.round(c.retryAfterMs * 1000)) : RATE_LIMIT_DEFAULT_BACKOFF_US;
    return Math.min(us, RATE_LIMIT_MAX_BACKOFF_US);
  }
  return UNAVAILABLE_BACKOFF_US;
}

export type { CallPurpose };
