/**
 * The ports of the venue connector (venues/connector/connector.ts): what it needs from the
 * outside world, as interfaces, so that the simulator (virtual clock, simulated network, mock
 * venue) and live shadow mode (real clock, real sockets, BingX VST) drive the same connector.
 *
 * Nothing here imports sim/: the simulator implements these ports in sim/network.ts and
 * sim/runtime.ts; a live driver implements them over timers and an HTTPS / WebSocket client.
 */
import type { ReconcileReport, Stage } from "../../kernel/types.js";
import type { FeeRefImage, SlotOrdersImage } from "../../kernel/typed.js";
import type { RestRequest, RestResponse } from "../venue.js";
import type { KernelInput } from "./wire.js";

export type { KernelInput };

/**
 * Time and timers, integer microseconds since the Unix epoch.
 *
 * - Simulator: `nowUs()` is the virtual clock; `at(tUs, fn)` puts `fn` on the one event queue at
 *   `tUs` (ordered by time, then by scheduling order), so timers interleave deterministically
 *   with every other event.
 * - Live: `nowUs()` is the wall clock in µs (epoch ms × 1000, or a monotonic equivalent); `at` is a `setTimeout`
 *   of `tUs − nowUs()` (clamped at 0).
 *
 * Contract: `nowUs()` never goes back; `at` with `tUs` in the past runs `fn` as soon as possible;
 * callbacks run one at a time (never re-entrantly inside another connector call).
 */
export interface Clock {
  nowUs(): number;
  at(tUs: number, fn: () => void): void;
}

/** Why the connector sends a REST request (drives how its answer is read). */
export type CallPurpose = "submit" | "cancel" | "query" | "price" | "recon" | "balance" | "income" | "lk.create" | "lk.extend";

/**
 * One REST call the connector tracks until it is answered (or its session ends). A transport
 * receives it as a read-only view: `attempt` grows with each retry of the same call.
 */
export interface OutboundCall {
  /** Connector-unique call id (`c<n>`); the request id of attempt k is `<id>.<k>`. */
  readonly id: string;
  readonly purpose: CallPurpose;
  /** Client order id of a SUBMIT / CANCEL / order query (undefined for other reads). */
  readonly clientOrderId?: string;
  /** Retry number of the attempt in flight, from 0. */
  readonly attempt: number;
  /** Connector session (process incarnation) that sent it; answers to an older session are dropped. */
  readonly session: number;
  /**
   * Build the request of the current attempt at send time `nowUs` (µs) with `requestId`: a fresh
   * `timestamp` per attempt (docs/bingx-protocol.md §signing), the same client order id (I11).
   * A live transport calls it when it writes the request; the simulator calls it when the request
   * arrives at the mock venue (so the venue sees the arrival time).
   */
  build(nowUs: number, requestId: string): RestRequest;
}

/**
 * Carries REST requests to the venue and answers back.
 *
 * `send(call)` starts one attempt of `call` (the connector has already armed its own timeout
 * timer; it never waits on the transport). When an answer arrives the transport calls
 * `connector.onReply(call.id, attemptSent, response)`; a lost request or answer is simply never
 * reported (the connector's timeout retries it). Errors of the socket itself (connection refused,
 * TLS) are reported as a synthetic `httpStatus` ≥ 500 response so the connector retries.
 */
export interface Transport {
  send(call: OutboundCall): void;
}

/**
 * The kernel as the connector feeds it. The host (simulator or live process) owns the kernel and
 * decides what else happens around each call (trace rows, fault injection, fill bookkeeping).
 */
export interface KernelPort {
  /** Feed the inputs decoded from one payload (a REST reply or the balance of a reconcile round), in order. */
  feed(inputs: KernelInput[], what: string): void;
  /** Feed a full REST reconciliation report (`why` says what triggered it). */
  reconcile(report: ReconcileReport, why: string): void;
  /** The order view of every slot, slot 0 first (a full SlotImage is one). */
  slotOrders(): readonly SlotOrders[];
  /** Last stage the host saw for slot `i` (from the kernel's transitions; cheap, may be stale). */
  knownStage(i: number): Stage;
  /** Read slot `i`'s order view from the kernel and refresh its known stage. */
  refreshSlotOrders(i: number): SlotOrders;
}

/**
 * The part of a slot the connector reads: its stage and symbol, its entry and exit orders (which
 * reconcile rounds query and the watchdog times) and the finished orders whose fee the venue has
 * not confirmed (docs/accounting.md, fees). A kernel mark price changes none of these fields (it
 * sets mark price and unrealized PnL only, kernel/src/kernel/mark.rs, A4), so a host may keep a
 * slot's view across marks; any other kernel call that changes the slot makes it stale. The
 * kernel's binary order view (kernel/typed.ts SlotOrdersImage) is one; so is a full SlotImage.
 */
export type SlotOrders = Omit<SlotOrdersImage, "feeUnconfirmedOrders"> & {
  /** Finished orders whose fee the venue has not confirmed (absent or [] when none). */
  feeUnconfirmedOrders?: readonly FeeRefImage[];
};

/**
 * What survives a process restart: a file (or a database row) in live mode, the run's simulated
 * disk in the simulator (funding.ts memoryStore, owned by the runtime). Keys and values are
 * text; `read` of a key never written is undefined. The connector keeps its funding income cursor
 * here (venues/connector/funding.ts). A live implementation should write it no earlier than the
 * kernel state that holds what it covers (the simulator saves both at its restart).
 */
export interface DurableStore {
  read(key: string): string | undefined;
  write(key: string, value: string): void;
}

/** Row kinds the connector reports through its log (the simulator records them in the trace). */
export type ConnectorLogKind = "check" | "net.resp";

/** Static configuration of a connector. */
export interface ConnectorConfig {
  /** Symbols of the account's contracts (reconcile reads positions and open orders for each). */
  symbols: string[];
  /** Number of kernel slots (the watchdog scans them). */
  slotCount: number;
  /** BingX hedge mode (positionSide LONG/SHORT instead of BOTH). */
  hedgeMode: boolean;
}

/** Pass-through of a RestResponse in callbacks (re-exported for transports). */
export type { RestRequest, RestResponse };
