/**
 * The simulated network between the process and the mock venue, and the connector's Transport
 * (venues/connector/ports.ts) in the simulator.
 *
 * REST: each attempt travels `min(MAX_REST_LATENCY_US, restLatency)` to the venue (the request is
 * built on arrival, so the venue sees the arrival time), the venue answers at once, the answer
 * may be lost (restResponseLoss) or replaced by the previous answer to the same read (staleRead,
 * E13/F19), and travels back with a fresh latency draw to `connector.onReply`. Requests of a dead
 * process still reach the venue; their answers die with it (I9, I14).
 *
 * User stream: every frame the venue emits is traced, noted as ground truth (wallets it states,
 * settlements it emits), may race a CANCEL against a fill (cancelFillRace), and is delivered
 * through `faults.wsPlan` (latency, duplicates, reordering, delay, loss) unless the stream or
 * process is down or the venue is in an outage. Delivered copies go to the connector (decode,
 * listen-key control) and the kernel host; duplicates of a completely applied first copy are
 * idempotency-probed (invariant 9).
 */
import type { RestRequest, RestResponse, WsMessage } from "../venues/venue.js";
import type { BingxMockVenue } from "../venues/bingx/mock-venue.js";
import type { OutboundCall, Transport } from "../venues/connector/ports.js";
import type { VenueConnector } from "../venues/connector/connector.js";
import type { WsParseResult } from "../venues/bingx/adapter.js";
import { classifyReply, parseCommandResponse, parseWsMessage } from "../venues/connector/wire.js";
import type { FaultProfile } from "./types.js";
import type { FaultInjector } from "./faults.js";
import type { RunObserver } from "./observer.js";
import type { KernelHost } from "./kernel-host.js";
import type { Schedule } from "./runtime-types.js";
import { ownString } from "./own-string.js";

/** The network drops a REST leg older than this (latency tails are capped below the timeout). */
export const MAX_REST_LATENCY_US = 1_400_000;
/** Idempotency probes: every duplicate among the first PROBE_ALL, then one in PROBE_EVERY. */
export const PROBE_ALL = 50;
export const PROBE_EVERY = 10;

/** Process state the network needs (owned by sim/lifecycle.ts). */
export interface ProcessState {
  readonly processUp: boolean;
}

export class SimNetwork implements Transport {
  /** Set by the runtime after construction. */
  connector!: VenueConnector;
  process!: ProcessState;
  private nextFrame = 0;
  private wsInFlight = 0;
  private dupSeen = 0;
  private readonly lastReads = new Map<string, RestResponse>();

  constructor(
    private readonly venue: BingxMockVenue,
    private readonly faults: FaultInjector,
    private readonly faultProfile: FaultProfile,
    private readonly obs: RunObserver,
    private readonly host: KernelHost,
    private readonly now: () => number,
    private readonly schedule: Schedule,
  ) {}

  /** Stream copies scheduled but not delivered yet. */
  get pendingWs(): boolean {
    return this.wsInFlight > 0;
  }

  // ───────────────────────────── REST ─────────────────────────────

  /** Transport.send: one attempt travels to the venue. */
  send(call: OutboundCall): void {
    this.schedule(this.now() + Math.min(MAX_REST_LATENCY_US, this.faults.restLatencyUs()), () => this.arrive(call));
  }

  /** A request handled by the venue directly (setup, before faults): traced, frames emitted. */
  venueRest(req: RestRequest, now: number): RestResponse {
    this.obs.record(now, "venue.req", req);
    const resp = this.venue.handleRest(req, now);
    this.obs.noteListenKey(req, resp);
    this.obs.record(now, "venue.resp", resp);
    this.emitFrames(this.venue.drainStream());
    this.obs.noteVenueLedger(now);
    return resp;
  }

  private arrive(call: OutboundCall): void {
    if (!this.connector.isOpen(call.id)) return;
    const now = this.now();
    const attempt = call.attempt;
    const req = call.build(now, `${call.id}.${attempt}`);
    const resp = this.venueRest(req, now);
    this.connector.reachedVenue(call.id);
    if (call.purpose === "submit" && call.clientOrderId) this.obs.submittedAtVenueOnce(call.clientOrderId);
    // Ground truth for routing: the venue's own order id for each client order id, read from
    // the venue's reply before any network fault touches it.
    const submit = call.clientOrderId ? this.connector.submitFor(call.clientOrderId) : undefined;
    if (submit && (call.purpose === "submit" || call.purpose === "query") && classifyReply(resp, now).cls === "OK") {
      for (const ev of parseCommandResponse(submit, resp, now)) {
        if (ev.venueOrderId) this.obs.venueIdToClient.set(ownString(ev.venueOrderId), submit.clientOrderId);
      }
    }
    if (this.faults.restResponseLost(now, `${req.method} ${req.path} ${call.clientOrderId ?? ""}`)) return;
    const delivered = req.method === "GET" ? this.maybeStale(req, resp, now) : resp;
    this.schedule(now + Math.min(MAX_REST_LATENCY_US, this.faults.restLatencyUs()), () => this.connector.onReply(call.id, attempt, delivered));
  }

  /** Stale snapshot reads (E13, F19): answer with the previous answer to the same read. */
  private maybeStale(req: RestRequest, resp: RestResponse, now: number): RestResponse {
    // Without the fault (or once healed) no read is ever answered stale (FaultInjector.staleRead
    // draws nothing and says no): keep no previous answers (10.7 MB at 12 h in a heap snapshot; it grows with the run).
    if (!this.faults.profile.staleSnapshot || this.faults.isHealed) return resp;
    const key = `${req.path}?${Object.keys(req.params).filter((k) => k !== "timestamp" && k !== "signature" && k !== "recvWindow").sort().map((k) => `${k}=${req.params[k]}`).join("&")}`;
    const prev = this.lastReads.get(key);
    this.lastReads.set(key, resp);
    if (prev && this.faults.staleRead(now, key)) {
      return { ...prev, requestId: resp.requestId };
    }
    return resp;
  }

  // ───────────────────────────── user stream ─────────────────────────────

  /** Frames the venue emitted: schedule their delivery through the stream's faults. */
  emitFrames(frames: WsMessage[]): void {
    this.obs.venueStep(this.now());
    if (frames.length === 0) return;
    const now = this.now();
    this.obs.noteVenueLedger(now);
    if (this.process.processUp) this.host.sampleSeries(now, false);
    for (const msg of frames) {
      const frame = this.nextFrame++;
      this.obs.record(now, "venue.ws", { frame, body: msg.body });
      // Decoded once: the ground truth below and every delivered copy (connector.onStreamFrame) use it.
      const parsed = parseWsMessage(msg);
      // The wallet balances the venue itself states (ACCOUNT_UPDATE wb): anchors must be one of these.
      for (const ev of parsed.accountEvents) {
        if (ev.kind === "BALANCE" && ev.walletBalanceUsdt !== undefined) this.obs.rec.venueWallets.push(ownString(ev.walletBalanceUsdt));
        if (ev.kind === "FILL_SETTLED" && ev.venueOrderId) this.obs.noteEmittedSettle(ev.eventId, ev.venueOrderId);
      }
      this.maybeRaceCancel(msg.body, now);
      if (!this.connector.streamUp || !this.process.processUp || this.faults.inOutage(now)) {
        this.obs.record(now, "check", { frame, dropped: this.process.processUp ? "stream down" : "process down" });
        continue;
      }
      const plan = this.faults.wsPlan(now, `frame ${frame}`);
      const session = this.connector.session;
      plan.delaysUs.forEach((d, copy) => {
        this.wsInFlight++;
        this.schedule(now + d, () => this.deliver(msg, parsed, frame, copy, session));
      });
    }
  }

  /** cancel/fill race: when the venue fills an order, race a CANCEL against the fill's delivery. */
  private maybeRaceCancel(body: string, now: number): void {
    if (!this.faultProfile.cancelFillRace || this.faults.isHealed || !body.includes("ORDER_TRADE_UPDATE") || !/"X":"(FILLED|PARTIALLY_FILLED)"/.test(body)) return;
    const m = /"i":"?(\d+)"?/.exec(body);
    const cid = m ? this.obs.venueIdToClient.get(m[1]) : undefined;
    const own = cid ? this.obs.owner.get(cid) : undefined;
    if (!own || !cid) return;
    if (this.faults.cancelFillRace(now, `fill of ${cid}`)) this.onRaceCancel(now + 1, own.slotId, cid);
  }

  /** Set by the runtime: schedule a racing CANCEL of `clientOrderId` on `slotId` at `tUs`. */
  onRaceCancel: (tUs: number, slotId: number, clientOrderId: string) => void = () => {
    throw new Error("network: onRaceCancel is not wired");
  };

  private deliver(msg: WsMessage, parsed: WsParseResult, frame: number, copy: number, session: number): void {
    const now = this.now();
    this.wsInFlight--;
    if (session !== this.connector.session || !this.process.processUp || !this.connector.streamUp) {
      this.obs.record(now, "net.ws", { frame, copy, dropped: true });
      return;
    }
    this.obs.record(now, "net.ws", { frame, copy });
    const { inputs, missing, unknownEventType } = this.connector.onStreamFrame(msg, parsed);
    if (missing) this.obs.record(now, "adapter.missing", { frame, fields: missing });
    if (unknownEventType !== undefined) this.obs.record(now, "adapter.skipped", { frame, unknownEventType });
    // Idempotency probe (invariant 9): the full saved state before and after a duplicate. The
    // state grows with the trade archive, so after the first PROBE_ALL duplicates only every
    // PROBE_EVERY-th is probed (the rest are still fed, and still deduplicated by the kernel).
    let probe = copy > 0 && this.host.appliedFrames.has(frame) && inputs.length > 0;
    if (probe) probe = this.dupSeen++ < PROBE_ALL || this.dupSeen % PROBE_EVERY === 0;
    const before = probe ? this.host.stateSha() : "";
    this.host.feedBatch(inputs, `frame ${frame}`, copy === 0 ? frame : -1);
    if (probe) {
      const after = this.host.stateSha();
      this.obs.rec.probes.push({ tUs: now, what: `frame ${frame} copy ${copy}`, beforeSha: before, afterSha: after, codes: this.host.lastBatchCodes });
      this.obs.record(now, "idem.probe", { frame, before, after });
    }
  }
}
