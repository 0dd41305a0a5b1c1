/**
 * The BingX user-data WebSocket (docs/bingx-protocol.md §user stream), on the npm `ws` package.
 *
 * `<wsBase>?listenKey=<key>`; no subscribe message. Every server frame is GZIP-compressed binary
 * (gunzipped here); the server sends the text `Ping` about every 5 s and expects `Pong` (a missing
 * Pong is the documented cause of dropped sockets). Frames are handed over as raw text with the
 * local receive time; the shared adapter parses them. When the socket closes, errors, or no frame
 * (Ping included) arrived for `silenceMs`, `onGap` fires exactly once per connection: the owner
 * reconnects (with {@link Backoff}) and reconciles over REST, since frames in the gap are lost.
 *
 * The URL holds the listen key (a secret): errors pass through the redactor.
 */
import { gunzipSync } from "node:zlib";
import WebSocket from "ws";
import type { LiveClock, TimerHandle } from "./clock.js";
import type { Redactor } from "./secrets.js";

/** The part of a `ws` WebSocket this module uses (a test may pass its own). */
export interface WsLike {
  on(event: "open", fn: () => void): unknown;
  on(event: "message", fn: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): unknown;
  on(event: "close", fn: (code: number, reason: Buffer) => void): unknown;
  on(event: "error", fn: (err: Error) => void): unknown;
  send(text: string): void;
  terminate(): void;
}

/** Opens a WebSocket to `url`. */
export type WsFactory = (url: string) => WsLike;

/** The default factory: a `ws` client (no auto-reconnect, no permessage-deflate; BingX gzips itself). */
export const defaultWsFactory: WsFactory = (url) => new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 10_000 });

/** Counters of one stream (all connections). */
export interface StreamCounters {
  connects: number;
  gaps: number;
  frames: number;
  pings: number;
  pongs: number;
  /** Frames that arrived as text instead of gzip binary (BingX always compresses; counted, still read). */
  uncompressed: number;
}

export interface UserStreamOptions {
  wsBase: string;
  clock: LiveClock;
  redactor: Redactor;
  factory?: WsFactory;
  /** A data frame (not Ping): raw JSON text and the local receive time (µs). */
  onFrame: (text: string, recvUs: number) => void;
  /** The connection is up. */
  onOpen: () => void;
  /** The connection is gone (once per connection); `reason` is redacted. */
  onGap: (reason: string) => void;
  /** Declare the socket dead after this long without any frame, ms [20000] (Ping every ~5 s). */
  silenceMs?: number;
}

/** One user-stream connection at a time. */
export class UserStream {
  readonly counters: StreamCounters = { connects: 0, gaps: 0, frames: 0, pings: 0, pongs: 0, uncompressed: 0 };
  private ws: WsLike | undefined;
  private conn = 0;
  private gapped = new Set<number>();
  private silence: TimerHandle | undefined;
  private readonly factory: WsFactory;

  constructor(private readonly o: UserStreamOptions) {
    this.factory = o.factory ?? defaultWsFactory;
  }

  /** True while a connection is open. */
  get connected(): boolean {
    return this.ws !== undefined && !this.gapped.has(this.conn);
  }

  /** Open a connection for `listenKey` (closing any previous one silently). */
  connect(listenKey: string): void {
    this.closeQuietly();
    const id = ++this.conn;
    const url = `${this.o.wsBase}?listenKey=${encodeURIComponent(listenKey)}`;
    const ws = this.factory(url);
    this.ws = ws;
    this.counters.connects++;
    ws.on("open", () => {
      if (id !== this.conn) return;
      this.armSilence(id);
      this.o.onOpen();
    });
    ws.on("message", (data, isBinary) => {
      if (id !== this.conn) return;
      this.armSilence(id);
      let text: string;
      try {
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        if (isBinary) text = gunzipSync(buf).toString("utf8");
        else {
          this.counters.uncompressed++;
          text = buf.toString("utf8");
        }
      } catch (e) {
        this.gap(id, `undecodable frame: ${(e as Error).message}`);
        return;
      }
      if (text === "Ping") {
        this.counters.pings++;
        ws.send("Pong");
        this.counters.pongs++;
        return;
      }
      this.counters.frames++;
      this.o.onFrame(text, this.o.clock.nowUs());
    });
    ws.on("close", (code) => this.gap(id, `closed (code ${code})`));
    ws.on("error", (err) => this.gap(id, `error: ${err.message}`));
  }

  /** Close the current connection without reporting a gap (shutdown, or before reconnecting). */
  closeQuietly(): void {
    const ws = this.ws;
    if (!ws) return;
    this.gapped.add(this.conn);
    this.silence?.cancel();
    this.ws = undefined;
    ws.terminate();
  }

  private armSilence(id: number): void {
    this.silence?.cancel();
    this.silence = this.o.clock.after(this.o.silenceMs ?? 20_000, () => this.gap(id, "no frame or Ping within the silence limit"));
  }

  private gap(id: number, reason: string): void {
    if (id !== this.conn || this.gapped.has(id)) return;
    this.gapped.add(id);
    this.silence?.cancel();
    const ws = this.ws;
    this.ws = undefined;
    ws?.terminate();
    this.counters.gaps++;
    this.o.onGap(this.o.redactor.redact(reason));
  }
}

/**
 * Exponential reconnect backoff with a cap: 250 ms, 500 ms, 1 s, … ≤ `maxMs`; `reset()` after a
 * connection has been healthy. Deterministic (no jitter): one session, one socket.
 */
export class Backoff {
  private n = 0;
  constructor(
    private readonly initialMs = 250,
    private readonly maxMs = 30_000,
  ) {}

  /** The next delay, ms. */
  next(): number {
    const d = Math.min(this.maxMs, this.initialMs * 2 ** this.n);
    this.n = Math.min(this.n + 1, 30);
    return d;
  }

  reset(): void {
    this.n = 0;
  }
}
