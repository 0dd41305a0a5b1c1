/**
 * Funding recovery from the income endpoint (issue 12): a funding payment whose stream frame
 * (`ACCOUNT_UPDATE m=FUNDING_FEE`) was lost — stream loss, an outage, a restart, an expired listen
 * key — is booked from its income row (`GET /openApi/swap/v2/user/income`, incomeType
 * FUNDING_FEE; docs/bingx-protocol.md §4.4, §9.1).
 *
 * - **When.** The connector (./connector.ts) runs one income sweep inside every reconcile round
 *   (its FUNDING events are fed after the reconcile report and before the round's balance
 *   anchor) and one after every funding time (00/08/16 UTC) + FUNDING_SETTLE_DELAY_US (fed, then a
 *   balance read re-anchors capital).
 * - **From where.** A cursor in a {@link DurableStore} (it survives a process restart): every
 *   FUNDING_FEE row stamped at or before it has been fed to the kernel (or was already in the
 *   seed wallet: the cursor starts at that read, its origin). A sweep reads from the start of the
 *   cursor's one-hour identity window (so every payment group it counts is whole, see
 *   fundingEventId), never at or before the origin, to the sweep's start time; after the rows are fed the cursor moves to the
 *   sweep's end minus FUNDING_SETTLE_DELAY_US (rows are assumed to be readable within that delay
 *   of their time), never backwards. Overlapping reads are harmless: see identity.
 * - **Identity.** Each row becomes a FUNDING event whose eventId is the one the stream frame of
 *   the same payment gets (venues/bingx/adapter.ts fundingEventId: asset, hour, amount,
 *   occurrence). The kernel dedups account events by eventId and saves the ids with its state, so
 *   a payment is booked once in any order (frame first, row first, duplicated frames, repeated
 *   sweeps, restarts in between).
 * - **Paging and limits.** Pages of INCOME_PAGE_LIMIT (1000, the endpoint's maximum) rows in
 *   windows of at most INCOME_MAX_WINDOW_MS (7 days, the endpoint's default span); a full page
 *   continues from its last row's time (rows already read are recognised by tranId). Requests are
 *   spaced by INCOME_MIN_SPACING_US (the endpoint allows 5/s per account, docs/bingx-protocol.md
 *   §7). A refused or lost page is retried by the connector's retry policy (throttled: after the
 *   venue's unblock time; unavailable / other: after 0.5 s; unanswered: after REST_TIMEOUT_US),
 *   never skipped: the sweep, and a round waiting for it, finishes only when every page answered.
 *
 * Process memory (sweeps in flight) is dropped by `endSession`; the cursor is not.
 */
import type { RestRequest, RestResponse } from "../venue.js";
import { incomeFundingEvents, incomeRequest, parseIncomeReply, FUNDING_KEY_WINDOW_MS, type IncomeRow } from "../bingx/adapter.js";
import type { Clock, DurableStore, KernelInput } from "./ports.js";

/** Funding period: payments at every multiple of 8 h since the epoch, 00/08/16 UTC (docs/bingx-protocol.md §9), µs. */
export const FUNDING_PERIOD_US = 28_800_000_000;
/** A funding sweep runs this long after each funding time; income rows are assumed readable this long after their time, µs. */
export const FUNDING_SETTLE_DELAY_US = 60_000_000;
/** Rows per income page: the endpoint's maximum `limit` (docs/bingx-protocol.md §4.4). */
export const INCOME_PAGE_LIMIT = 1000;
/** Longest startTime..endTime span of one income request (the endpoint's default span: 7 days), ms. */
export const INCOME_MAX_WINDOW_MS = 7 * 24 * 3_600_000;
/** Income requests are at least this far apart: 5 per second per account (docs/bingx-protocol.md §7), µs. */
export const INCOME_MIN_SPACING_US = 200_000;
/** Key of the income cursor (ms since the epoch, decimal text) in the DurableStore. */
export const FUNDING_CURSOR_KEY = "funding.incomeCursorMs";
/** Key of the cursor's origin (the seed wallet read, ms): no sweep reads at or before it. */
export const FUNDING_ORIGIN_KEY = "funding.incomeOriginMs";

/** What a finished sweep hands back: the FUNDING inputs to feed, how many rows it read, and where the cursor may move once they are fed. */
export interface SweepResult {
  inputs: KernelInput[];
  rows: number;
  /** Cursor after the inputs are fed (ms since the epoch); pass to `commit`. */
  cursorMs: number;
}

interface Sweep {
  id: number;
  why: string;
  /** Whole read: [fromMs, toMs], ms. */
  fromMs: number;
  toMs: number;
  /** Current page: [pageStartMs, pageEndMs], ms. */
  pageStartMs: number;
  pageEndMs: number;
  pages: number;
  /** FUNDING_FEE rows read so far, by tranId, in the order the venue gave them (ascending time). */
  rows: Map<string, IncomeRow>;
  onDone: (r: SweepResult) => void;
}

/** A {@link DurableStore} in memory: the simulator's disk (it outlives the simulated process), or a live session's own lifetime. */
export function memoryStore(): DurableStore {
  const m = new Map<string, string>();
  return { read: (k) => m.get(k), write: (k, v) => void m.set(k, v) };
}

/** The start of the one-hour identity window holding `ms` (adapter fundingEventId rounds to the nearest hour). */
export function identityWindowStartMs(ms: number): number {
  return Math.round(ms / FUNDING_KEY_WINDOW_MS) * FUNDING_KEY_WINDOW_MS - FUNDING_KEY_WINDOW_MS / 2;
}

/** The first funding time strictly after `tUs`, µs. */
export function nextFundingUs(tUs: number): number {
  return (Math.floor(tUs / FUNDING_PERIOD_US) + 1) * FUNDING_PERIOD_US;
}

/** Income sweeps and the cursor (module docstring). One per connector. */
export class FundingRecovery {
  private readonly sweeps = new Map<number, Sweep>();
  private readonly byCall = new Map<string, number>();
  private nextSweep = 0;
  private nextSendUs = Number.NEGATIVE_INFINITY;

  /**
   * @param clock time and timers (ports.ts Clock)
   * @param store where the cursor survives restarts
   * @param symbols configured symbols (a row of another symbol is booked account-wide, as its frame is)
   * @param send sends one income request through the connector (tracked, retried) and returns its call id
   * @param log observation rows (`check`): sweep start / done; never secrets
   * @param pageLimit rows per page, 1..INCOME_PAGE_LIMIT (smaller only to test paging)
   * @throws Error naming `pageLimit` when out of range
   */
  constructor(
    private readonly clock: Clock,
    private readonly store: DurableStore,
    private readonly symbols: readonly string[],
    private readonly send: (build: (nowUs: number, requestId: string) => RestRequest) => string,
    private readonly log: (payload: unknown) => void,
    private readonly pageLimit = INCOME_PAGE_LIMIT,
  ) {
    if (!Number.isSafeInteger(pageLimit) || pageLimit < 1 || pageLimit > INCOME_PAGE_LIMIT) throw new Error(`funding recovery: pageLimit must be an integer in 1..${INCOME_PAGE_LIMIT}, got ${pageLimit}`);
  }

  /**
   * Set the cursor to `fromUs` unless the store already holds one (a restarted process keeps its
   * cursor). `fromUs` is the time of the wallet read that seeded the kernel: every funding paid up
   * to then is already in that wallet. @throws Error naming `fromUs` when it is not an integer µs ≥ 0
   */
  init(fromUs: number): void {
    if (!Number.isSafeInteger(fromUs) || fromUs < 0) throw new Error(`funding recovery: fromUs must be an integer µs ≥ 0, got ${fromUs}`);
    if (this.store.read(FUNDING_CURSOR_KEY) !== undefined) return;
    const ms = String(Math.floor(fromUs / 1000));
    this.store.write(FUNDING_ORIGIN_KEY, ms);
    this.store.write(FUNDING_CURSOR_KEY, ms);
  }

  /** The stored cursor, ms. @throws Error when `init` never ran or the stored text is not an integer */
  cursorMs(): number {
    return this.stored(FUNDING_CURSOR_KEY);
  }

  private stored(key: string): number {
    const t = this.store.read(key);
    if (t === undefined || !/^\d{1,16}$/.test(t)) throw new Error(`funding recovery: store key ${key} holds ${JSON.stringify(t)}, expected ms since the epoch (init not run?)`);
    return Number(t);
  }

  /** Move the cursor to `cursorMs` (never backwards). Call after the sweep's inputs were fed. */
  commit(cursorMs: number): void {
    if (cursorMs > this.cursorMs()) this.store.write(FUNDING_CURSOR_KEY, String(cursorMs));
  }

  /** True while a sweep is in flight (its pages unanswered or waiting for their send slot). */
  busy(): boolean {
    return this.sweeps.size > 0;
  }

  /** The process died: sweeps in flight are abandoned (their callbacks never run); the cursor stays. */
  endSession(): void {
    this.sweeps.clear();
    this.byCall.clear();
  }

  /** Start a sweep from the cursor's identity window to now; `onDone` gets its result once every page answered. */
  sweep(why: string, onDone: (r: SweepResult) => void): void {
    const toMs = Math.floor(this.clock.nowUs() / 1000);
    // The whole identity window of the cursor, but nothing the seed wallet already held.
    const fromMs = Math.max(this.stored(FUNDING_ORIGIN_KEY) + 1, identityWindowStartMs(this.cursorMs()));
    const s: Sweep = { id: this.nextSweep++, why, fromMs, toMs, pageStartMs: fromMs, pageEndMs: Math.min(toMs, fromMs + INCOME_MAX_WINDOW_MS - 1), pages: 0, rows: new Map(), onDone };
    this.sweeps.set(s.id, s);
    this.log({ funding: "sweep", sweep: s.id, why, fromMs, toMs });
    this.schedulePage(s);
  }

  /** The OK answer to income call `callId` (the connector retried every other answer). @throws AdapterError for a malformed reply */
  onPage(callId: string, resp: RestResponse, nowUs: number): void {
    const id = this.byCall.get(callId);
    this.byCall.delete(callId);
    const s = id === undefined ? undefined : this.sweeps.get(id);
    if (!s) return;
    const { rows } = parseIncomeReply(resp, nowUs);
    s.pages++;
    for (const r of rows) if (r.incomeType === "FUNDING_FEE" && !s.rows.has(r.tranId)) s.rows.set(r.tranId, r);
    if (rows.length >= this.pageLimit) {
      const last = rows[rows.length - 1]!.timeMs;
      if (last <= s.pageStartMs) throw new Error(`funding recovery: ${rows.length} income rows at ${last} ms fill a whole page; the endpoint cannot be paged past them (docs/bingx-protocol.md §4.4)`);
      s.pageStartMs = last;
      return this.schedulePage(s);
    }
    if (s.pageEndMs < s.toMs) {
      s.pageStartMs = s.pageEndMs + 1;
      s.pageEndMs = Math.min(s.toMs, s.pageStartMs + INCOME_MAX_WINDOW_MS - 1);
      return this.schedulePage(s);
    }
    this.sweeps.delete(s.id);
    const inputs = incomeFundingEvents([...s.rows.values()], nowUs, this.symbols).map((ev): KernelInput => ({ k: "account", ev }));
    const cursorMs = Math.max(this.cursorMs(), s.toMs - FUNDING_SETTLE_DELAY_US / 1000);
    this.log({ funding: "sweep done", sweep: s.id, pages: s.pages, rows: s.rows.size, cursorMs });
    s.onDone({ inputs, rows: s.rows.size, cursorMs });
  }

  /** Send the sweep's current page now, or at the next send slot (INCOME_MIN_SPACING_US). */
  private schedulePage(s: Sweep): void {
    const now = this.clock.nowUs();
    const at = Math.max(now, this.nextSendUs);
    this.nextSendUs = at + INCOME_MIN_SPACING_US;
    if (at > now) this.clock.at(at, () => this.sendPage(s));
    else this.sendPage(s);
  }

  /**
   * Send the sweep's current page (nothing when endSession abandoned the sweep). A method, not a
   * closure per page: the bundle names every closure written in a named position on each call
   * (esbuild keepNames; issue 12 profile).
   */
  private sendPage(s: Sweep): void {
    if (this.sweeps.get(s.id) !== s) return; // abandoned by endSession
    const q = { incomeType: "FUNDING_FEE", startTimeMs: s.pageStartMs, endTimeMs: s.pageEndMs, limit: this.pageLimit };
    const callId = this.send((t, rid) => incomeRequest({ nowUs: t, requestId: rid }, q));
    this.byCall.set(callId, s.id);
  }
}
