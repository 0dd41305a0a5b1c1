/**
 * `dita venue serve`: the BingX mock venue (venues/bingx/mock-venue.ts) as a real BingX-protocol
 * server on 127.0.0.1 (docs/shadow.md §venue serve, docs/bingx-protocol.md).
 *
 * - REST: every path the mock answers, parameters from the query string, `X-BX-APIKEY` checked
 *   (wrong or missing key ⇒ 100413), signed endpoints (those with `timestamp`) checked against
 *   HMAC-SHA256 of the query string as received minus `&signature=` (missing ⇒ 100412, wrong ⇒
 *   100001 "Signature verification failed"); then `mock.handleRest` at the venue's current time.
 * - User stream: `ws://127.0.0.1:P/swap-market?listenKey=K` (an unknown key is refused with close
 *   code 1008); every frame is GZIP-compressed binary; the server sends `Ping` every `pingEveryMs`
 *   and drops a socket that answered none of the last two (BingX FAQ).
 * - Time: the mock runs on venue time = the injected clock (real time under the CLI), never going
 *   back. Market ticks come from the scenario's price paths (`sim/market.ts`), shifted so the
 *   scenario's start is the server's start; explicit point paths replay at their real offsets.
 * - Randomness: the venue draws from `RngStreams(seed).stream("venue")`, the market from the same
 *   family as `dita run` does, so a scripted scenario replayed against the server with the same
 *   seed books the same fills (docs/shadow.md §same intents, same books).
 * - Faults (control endpoints under `/__dita/`, also `--faults` schedules): drop every socket,
 *   expire the listen keys (listenKeyExpired frames), a rate-limit storm (109429 + unblock time),
 *   delayed and duplicated frames, foreign fills (a MARKET round trip by "another system" on the
 *   same account, with a client order id that is not ours).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { WebSocketServer, type WebSocket } from "ws";
import { createBingxMockVenue, type BingxMockModel, type BingxMockVenue } from "../venues/bingx/mock-venue.js";
import type { RestRequest, WsMessage } from "../venues/venue.js";
import type { Scenario, PricePath } from "../sim/types.js";
import { RngStreams, type Rng } from "../sim/rng.js";
import { createPriceSource, type PriceSource } from "../sim/market.js";
import { toJsonText } from "../venues/bingx/json.js";
import type { LiveClock, TimerHandle } from "../venues/bingx/live/clock.js";
import type { Credentials } from "../venues/bingx/live/secrets.js";

/** Frame faults applied to every user-stream frame (seeded: stream "serve/frames"). */
export interface FrameFaults {
  /** Probability a frame is sent twice. */
  duplicate?: number;
  /** Probability a frame is held back by U[0, maxMs) (later frames may overtake it). */
  delay?: { probability: number; maxMs: number };
}

/** Timed faults: each fires every `everyMs` from the start (first at `everyMs`). */
export interface ScheduledFaults {
  dropEveryMs?: number;
  expireEveryMs?: number;
  storm?: { everyMs: number; durationMs: number };
  foreignEveryMs?: number;
}

/** Fault controls: drop every socket (arg = ms during which new sockets are refused), expire the listen keys, a rate-limit storm (arg = ms), a foreign round trip, an unknown-type frame. */
export type FaultKind = "drop" | "expire" | "storm" | "foreign" | "snapshot";

/** Options of {@link startVenueServer}. */
export interface ServeOptions {
  /** TCP port on 127.0.0.1 (0 = any free port). */
  port: number;
  seed: number;
  clock: LiveClock;
  /** Contracts, initial balance, price paths and venue quirks (driver and faults are ignored). */
  scenario: Scenario;
  /** The one API key pair the server accepts. */
  credentials: Credentials;
  /** Mock model overrides; `marginAsset` defaults to "VST" (the demo account, docs/bingx-protocol.md §hosts). */
  model?: BingxMockModel;
  pingEveryMs?: number;
  frames?: FrameFaults;
  scheduled?: ScheduledFaults;
  /** Symbol of foreign fills [the scenario's last contract]. */
  foreignSymbol?: string;
  /** Log line sink (stderr under the CLI). */
  log?: (line: string) => void;
}

/** A running server. */
export interface VenueServer {
  port: number;
  url: string;
  venue: BingxMockVenue;
  /** Counters for tests and the CLI's exit summary. */
  stats: ServeStats;
  fault(kind: FaultKind, arg?: number): unknown;
  close(): Promise<void>;
}

export interface ServeStats {
  restCalls: number;
  signatureFailures: number;
  apiKeyFailures: number;
  wsConnections: number;
  framesSent: number;
  duplicatesSent: number;
  delayedFrames: number;
  drops: number;
  expiries: number;
  storms: number;
  foreignOrders: string[];
  /** Client order ids of every order the venue accepted through REST (POST /trade/order, code 0), in order. */
  placedOrders: string[];
  /** Every listen key issued (for tests that check a secret never leaks; not printed by the CLI). */
  issuedListenKeys: string[];
}

/** Business error codes of the auth layer (docs/bingx-protocol.md §errors). */
export const AUTH_CODES = { SIGNATURE: 100001, NULL_SIGNATURE: 100412, BAD_API_KEY: 100413 } as const;

const CONTROL = "/__dita/";

/** Shift a price path so the scenario's start maps to `startUs` (GBM paths start at `startUs` anyway). */
function shiftPath(p: PricePath, scenarioStartUs: number, startUs: number): PricePath {
  if (p.kind !== "points") return p;
  return { ...p, points: p.points.map((x) => ({ tUs: x.tUs - scenarioStartUs + startUs, priceUsdt: x.priceUsdt })) };
}

/** Start the server; resolves once it listens. Throws on a bad scenario or a busy port. */
export async function startVenueServer(o: ServeOptions): Promise<VenueServer> {
  const s = new Serve(o);
  await s.listen();
  return s;
}

class Serve implements VenueServer {
  readonly venue: BingxMockVenue;
  readonly stats: ServeStats = { restCalls: 0, signatureFailures: 0, apiKeyFailures: 0, wsConnections: 0, framesSent: 0, duplicatesSent: 0, delayedFrames: 0, drops: 0, expiries: 0, storms: 0, foreignOrders: [], placedOrders: [], issuedListenKeys: [] };
  port = 0;
  url = "";
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Map<WebSocket, { key: string; missedPongs: number }>();
  private readonly sources: PriceSource[] = [];
  private readonly timers = new Set<TimerHandle>();
  private readonly frameRng: Rng;
  private readonly startUs: number;
  private lastUs: number;
  private closed = false;
  private foreignN = 0;
  private refuseUntilUs = 0;

  constructor(private readonly o: ServeOptions) {
    const sc = o.scenario;
    this.startUs = o.clock.nowUs();
    this.lastUs = this.startUs;
    const rngs = new RngStreams(o.seed);
    const venueRng = rngs.stream("venue");
    this.frameRng = rngs.stream("serve/frames");
    this.venue = createBingxMockVenue({
      contracts: sc.contracts,
      initialBalanceUsdt: sc.initialBalanceUsdt,
      startUs: this.startUs,
      rng: () => venueRng.uniform(),
      quirks: sc.venue,
      model: { marginAsset: "VST", ...(o.model ?? {}) },
    });
    const endUs = this.startUs + 30 * 86_400_000_000;
    for (const p of sc.prices) this.sources.push(createPriceSource(shiftPath(p, sc.startUs, this.startUs), sc.contracts, rngs, this.startUs, endUs));
    this.http = createServer((req, res) => this.onHttp(req, res));
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    this.http.on("upgrade", (req, socket, head) => {
      const u = new URL(req.url ?? "/", "http://127.0.0.1");
      const key = u.searchParams.get("listenKey") ?? "";
      if (u.pathname !== "/swap-market") {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws, key));
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(this.o.port, "127.0.0.1", () => resolve());
    });
    this.port = (this.http.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}`;
    this.sources.forEach((_, i) => this.scheduleTick(i));
    this.every(this.o.pingEveryMs ?? 5000, () => this.pingAll());
    this.every(60_000, () => this.emit(this.venue.advanceTo(this.vnow())));
    const f = this.o.scheduled ?? {};
    if (f.dropEveryMs) this.every(f.dropEveryMs, () => this.fault("drop"));
    if (f.expireEveryMs) this.every(f.expireEveryMs, () => this.fault("expire"));
    if (f.storm) {
      const st = f.storm;
      this.every(st.everyMs, () => this.fault("storm", st.durationMs));
    }
    if (f.foreignEveryMs) this.every(f.foreignEveryMs, () => this.fault("foreign"));
  }

  /** Venue time: the clock, never going back (the mock refuses a backward step). */
  private vnow(): number {
    this.lastUs = Math.max(this.lastUs, this.o.clock.nowUs());
    return this.lastUs;
  }

  private after(ms: number, fn: () => void): void {
    if (this.closed) return;
    const h = this.o.clock.after(Math.max(0, ms), () => {
      this.timers.delete(h);
      if (!this.closed) fn();
    });
    this.timers.add(h);
  }

  private every(ms: number, fn: () => void): void {
    this.after(ms, () => {
      fn();
      this.every(ms, fn);
    });
  }

  // ───────────────────────────── market ─────────────────────────────

  private scheduleTick(i: number): void {
    const t = this.sources[i].next();
    if (!t) return;
    this.after(Math.max(0, (t.tsUs - this.o.clock.nowUs()) / 1000), () => {
      const now = this.vnow();
      this.emit(this.venue.onMarketTick({ ...t, tsUs: now }));
      this.scheduleTick(i);
    });
  }

  // ───────────────────────────── REST ─────────────────────────────

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    const raw = req.url ?? "/";
    const qi = raw.indexOf("?");
    const path = qi < 0 ? raw : raw.slice(0, qi);
    const query = qi < 0 ? "" : raw.slice(qi + 1);
    const method = (req.method ?? "GET").toUpperCase();
    req.resume();
    const reply = (status: number, body: string) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(body);
    };
    if (req.headers["x-bx-apikey"] !== this.o.credentials.apiKey) {
      this.stats.apiKeyFailures++;
      return reply(200, toJsonText({ code: AUTH_CODES.BAD_API_KEY, msg: "Incorrect apiKey", data: {} }));
    }
    if (path.startsWith(CONTROL)) return this.onControl(path.slice(CONTROL.length), new URLSearchParams(query), reply);
    if (!["GET", "POST", "PUT", "DELETE"].includes(method)) return reply(405, toJsonText({ code: 100400, msg: `method ${method} not allowed`, data: {} }));
    const params: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(query)) params[k] = v;
    if ("timestamp" in params) {
      const bad = this.checkSignature(query, params["signature"]);
      if (bad) return reply(200, bad);
    }
    delete params["signature"];
    this.stats.restCalls++;
    const r: RestRequest = { method: method as RestRequest["method"], path, params, requestId: `srv${this.stats.restCalls}` };
    const out = this.venue.handleRest(r, this.vnow());
    if (out.httpStatus === 200 && method === "POST" && path === "/openApi/swap/v2/trade/order" && /^\{"code":0[,}]/.test(out.body)) this.stats.placedOrders.push((params["clientOrderId"] ?? "").toLowerCase());
    if (out.httpStatus === 200 && method === "POST" && path === "/openApi/user/auth/userDataStream") {
      const k = /"listenKey":"([^"]+)"/.exec(out.body)?.[1];
      if (k) this.stats.issuedListenKeys.push(k);
    }
    reply(out.httpStatus, out.body);
    this.emit(this.venue.drainStream());
  }

  /** null when the signature of the query string as received is right, else the error body. */
  private checkSignature(query: string, sig: string | undefined): string | null {
    if (!sig) {
      this.stats.signatureFailures++;
      return toJsonText({ code: AUTH_CODES.NULL_SIGNATURE, msg: "Null signature", data: {} });
    }
    const m = /(^|&)signature=[^&]*/.exec(query);
    const signed = m ? (query.slice(0, m.index) + query.slice(m.index + m[0].length)).replace(/^&/, "") : query;
    const want = createHmac("sha256", this.o.credentials.secretKey).update(signed).digest("hex");
    const got = Buffer.from(sig.toLowerCase());
    if (got.length !== want.length || !timingSafeEqual(got, Buffer.from(want))) {
      this.stats.signatureFailures++;
      return toJsonText({ code: AUTH_CODES.SIGNATURE, msg: "Signature verification failed", data: {} });
    }
    return null;
  }

  private onControl(cmd: string, q: URLSearchParams, reply: (s: number, b: string) => void): void {
    if (cmd === "state") {
      const { issuedListenKeys, ...stats } = this.stats;
      return reply(200, JSON.stringify({ positions: this.venue.positions(), ledger: this.venue.ledger(), listenKeys: issuedListenKeys.length, stats }));
    }
    if (cmd === "drop" || cmd === "expire" || cmd === "storm" || cmd === "foreign" || cmd === "snapshot") {
      const arg = q.get("ms");
      const n = arg === null ? undefined : Number(arg);
      if (n !== undefined && !(Number.isFinite(n) && n > 0)) return reply(400, JSON.stringify({ error: `ms=${arg}: expected a positive number` }));
      return reply(200, JSON.stringify({ ok: true, result: this.fault(cmd, n) ?? null }));
    }
    reply(404, JSON.stringify({ error: `unknown control ${cmd}` }));
  }

  // ───────────────────────────── faults ─────────────────────────────

  fault(kind: FaultKind, arg?: number): unknown {
    const now = this.vnow();
    this.o.log?.(`venue serve: fault ${kind}${arg !== undefined ? ` ${arg} ms` : ""}`);
    switch (kind) {
      case "drop":
        this.stats.drops++;
        // With an argument: refuse new stream connections for that many ms (the outage lasts).
        if (arg !== undefined) this.refuseUntilUs = now + Math.round(arg * 1000);
        for (const ws of [...this.sockets.keys()]) ws.terminate();
        return this.sockets.size;
      case "expire":
        this.stats.expiries++;
        this.emit(this.venue.injectListenKeyExpiry(now));
        return undefined;
      case "storm": {
        this.stats.storms++;
        const untilUs = now + Math.round((arg ?? 3000) * 1000);
        this.venue.injectRateLimitStorm(untilUs);
        return { untilMs: Math.ceil(untilUs / 1000) };
      }
      case "foreign":
        return this.foreignRoundTrip(now);
      case "snapshot":
        // An event type the adapter does not know (BingX may add some): a client must log, count and skip it.
        this.emit([{ tsUs: now, body: toJsonText({ e: "SNAPSHOT", E: Math.floor(now / 1000), note: "unknown event type probe" }) }]);
        return undefined;
    }
  }

  /** Another system on the shared account buys and sells the minimum notional of one symbol. */
  private foreignRoundTrip(now: number): string[] {
    const sc = this.o.scenario;
    const sym = this.o.foreignSymbol ?? sc.contracts[sc.contracts.length - 1].symbol;
    const c = sc.contracts.find((x) => x.symbol === sym);
    const px = this.venue.lastPrice(sym);
    if (!c || !px) return [];
    const step = 10 ** -c.quantityPrecision;
    let qty = Math.max(Number(c.tradeMinQuantity), (Number(c.tradeMinUSDT) * 3) / Number(px));
    qty = Math.ceil(qty / step) * step;
    const qtyText = qty.toFixed(c.quantityPrecision);
    const ids: string[] = [];
    for (const side of ["BUY", "SELL"]) {
      const cid = `foreign-${++this.foreignN}`;
      const params: Record<string, string> = { symbol: sym, side, positionSide: "BOTH", type: "MARKET", quantity: qtyText, clientOrderId: cid, timestamp: String(Math.floor(now / 1000)) };
      const out = this.venue.handleRest({ method: "POST", path: "/openApi/swap/v2/trade/order", params, requestId: cid }, now);
      this.o.log?.(`venue serve: foreign ${side} ${qtyText} ${sym}: HTTP ${out.httpStatus}`);
      ids.push(cid);
      this.stats.foreignOrders.push(cid);
    }
    this.emit(this.venue.drainStream());
    return ids;
  }

  // ───────────────────────────── user stream ─────────────────────────────

  private onSocket(ws: WebSocket, key: string): void {
    if (!this.venue.listenKeys().includes(key)) {
      ws.close(1008, "listenKey not valid");
      return;
    }
    if (this.vnow() < this.refuseUntilUs) {
      ws.close(1013, "try again later");
      return;
    }
    this.stats.wsConnections++;
    this.sockets.set(ws, { key, missedPongs: 0 });
    ws.on("message", (data) => {
      const st = this.sockets.get(ws);
      if (st && data.toString() === "Pong") st.missedPongs = 0;
    });
    ws.on("close", () => this.sockets.delete(ws));
    ws.on("error", (err) => {
      this.o.log?.(`venue serve: stream socket error (${err.message}); socket dropped`);
      this.sockets.delete(ws);
    });
  }

  private pingAll(): void {
    for (const [ws, st] of this.sockets) {
      if (st.missedPongs >= 2) {
        ws.terminate();
        continue;
      }
      st.missedPongs++;
      ws.send(gzipSync(Buffer.from("Ping")), { binary: true });
    }
  }

  /** Deliver venue frames: to sockets whose listen key is valid; listenKeyExpired to its own key's sockets. */
  private emit(frames: WsMessage[]): void {
    for (const f of frames) {
      const dup = (this.o.frames?.duplicate ?? 0) > 0 && this.frameRng.uniform() < (this.o.frames?.duplicate ?? 0);
      const d = this.o.frames?.delay;
      const delayMs = d && this.frameRng.uniform() < d.probability ? this.frameRng.uniform() * d.maxMs : 0;
      const send = () => this.sendFrame(f);
      if (delayMs > 0) {
        this.stats.delayedFrames++;
        this.after(delayMs, send);
      } else send();
      if (dup) {
        this.stats.duplicatesSent++;
        this.after(delayMs + 1, send);
      }
    }
  }

  private sendFrame(f: WsMessage): void {
    const expired = /"e":"listenKeyExpired"/.test(f.body) ? /"listenKey":"([0-9a-f]+)"/.exec(f.body)?.[1] : undefined;
    const valid = new Set(this.venue.listenKeys());
    const data = gzipSync(Buffer.from(f.body));
    for (const [ws, st] of this.sockets) {
      if (expired ? st.key !== expired : !valid.has(st.key)) continue;
      ws.send(data, { binary: true });
      this.stats.framesSent++;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    for (const ws of this.sockets.keys()) ws.terminate();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}
