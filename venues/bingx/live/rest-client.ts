/**
 * REST transport to a BingX swap host on Node 20's `fetch` (docs/bingx-protocol.md §signing).
 *
 * A `RestRequest` built by the shared adapter (venues/bingx/adapter.ts) goes out as BingX expects:
 * every parameter in the query string, sorted a–z; signed endpoints (those carrying `timestamp`)
 * get `recvWindow` and `&signature=<hex HMAC-SHA256>` (adapter `signParams`); every request carries
 * the `X-BX-APIKEY` header (listen-key calls need only the header). The body text comes back
 * unparsed (the adapter parses it losslessly: 19-digit order ids).
 *
 * Failures: a network error or timeout rejects with an Error whose message went through the
 * redactor (it may quote the URL, which holds the signature or a listen key). Timing of every call
 * (µs, from the injected clock) is reported to `onTiming` for the REST p50/p99 of the status line.
 */
import type { RestRequest, RestResponse } from "../../venue.js";
import { signParams } from "../adapter.js";
import type { LiveClock } from "./clock.js";
import type { Credentials, Redactor } from "./secrets.js";

/** What sends one REST request and resolves with the raw reply (no interpretation). */
export interface RestTransport {
  send(req: RestRequest): Promise<RestResponse>;
}

/** The `fetch` function (injectable for tests). */
export type FetchFn = (url: string, init: { method: string; headers: Record<string, string>; signal?: AbortSignal }) => Promise<{ status: number; text(): Promise<string> }>;

/** Options of {@link HttpRestTransport}. */
export interface HttpRestOptions {
  baseUrl: string;
  credentials: Credentials;
  redactor: Redactor;
  clock: LiveClock;
  /** Default `recvWindow` sent with signed requests, ms [5000] (docs/bingx-protocol.md §signing). */
  recvWindowMs?: number;
  /** Abort a call after this many ms [10000]. */
  timeoutMs?: number;
  fetchImpl?: FetchFn;
  /** Called after every completed call (also failed ones, with status 0). */
  onTiming?: (t: { path: string; method: string; status: number; latencyUs: number }) => void;
}

/** Build the query string of a request: signed when it carries `timestamp`. Exported for tests and the server. */
export function buildQuery(params: Record<string, string>, secretKey: string, recvWindowMs: number): string {
  if ("timestamp" in params) {
    const p = "recvWindow" in params ? params : { ...params, recvWindow: String(recvWindowMs) };
    return signParams(p, secretKey).query;
  }
  return Object.keys(params)
    .sort()
    .map((k) => `${k}=${encodeURIComponent(params[k] as string)}`)
    .join("&");
}

/** The live REST transport. */
export class HttpRestTransport implements RestTransport {
  private readonly fetchImpl: FetchFn;
  private readonly recvWindowMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly o: HttpRestOptions) {
    this.fetchImpl = o.fetchImpl ?? (fetch as unknown as FetchFn);
    this.recvWindowMs = o.recvWindowMs ?? 5000;
    this.timeoutMs = o.timeoutMs ?? 10_000;
  }

  async send(req: RestRequest): Promise<RestResponse> {
    const q = buildQuery(req.params, this.o.credentials.secretKey, this.recvWindowMs);
    const url = `${this.o.baseUrl}${req.path}${q ? `?${q}` : ""}`;
    const t0 = this.o.clock.nowUs();
    const ctl = new AbortController();
    const timer = this.o.clock.after(this.timeoutMs, () => ctl.abort());
    let status = 0;
    try {
      const res = await this.fetchImpl(url, { method: req.method, headers: { "X-BX-APIKEY": this.o.credentials.apiKey }, signal: ctl.signal });
      status = res.status;
      const body = await res.text();
      return { requestId: req.requestId, httpStatus: res.status, body };
    } catch (e) {
      throw this.o.redactor.redactError(new Error(`REST ${req.method} ${req.path} failed: ${(e as Error).message}`));
    } finally {
      timer.cancel();
      this.o.onTiming?.({ path: req.path, method: req.method, status, latencyUs: this.o.clock.nowUs() - t0 });
    }
  }
}
