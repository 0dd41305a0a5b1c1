/**
 * Types shared by the runtime's modules (runtime.ts event loop, kernel-host.ts, network.ts,
 * lifecycle.ts, observer.ts): the kernel as the simulator drives it and what a run hands back.
 */
import type {
  AccountEvent, Intent, KernelConfig, KernelSnapshot, LedgerSnapshot, MarkPrice, Outcome, ReconcileReport, SlotImage, VenueEvent,
} from "../kernel/types.js";
import type { VenueLedger } from "../venues/venue.js";
import type { FaultMark, SeriesPoint } from "./types.js";
import type { ConformanceRecord, FillRoute, IdempotencyProbe, JournalView, LedgerSample, LivenessRecord, OrderOwner, ParitySample, RestoreRecord, SlotSample } from "./record.js";
import type { SymbolBooks } from "../venues/bingx/journal.js";
import type { TraceRecorder } from "./trace.js";
import type { RecordStreamFolds } from "./invariants.js";
import type { SlotHeadImage, SlotOrdersImage } from "../kernel/typed.js";

/**
 * The fields of a slot image that a mark price never changes (a mark sets only mark price and
 * unrealized PnL, kernel/src/kernel/mark.rs, A4): what the random trader (sim/drivers.ts) and the
 * report series (sim/observer.ts sampleSeries) read. A full SlotImage is one.
 */
export type SlotHead = Pick<SlotImage, "slotId" | "stage" | "symbol" | "side" | "sizeQty">;

/** The kernel as the runtime uses it (kernel/index.ts Kernel, COMMON.md entry points). */
export interface Kernel {
  processIntent(intent: Intent): Outcome;
  onVenueEvent(ev: VenueEvent): Outcome;
  markPrice(m: MarkPrice): Outcome;
  onAccountEvent(ev: AccountEvent): Outcome;
  slot(i: number): SlotImage;
  /** Image of slot i shared with every caller, deep-frozen (kernel/index.ts sharedSlot). */
  sharedSlot(i: number): SlotImage;
  /** Head of slot i (fingerprint and slot-head fields), frozen, without the image (kernel/index.ts slotHead). */
  slotHead(i: number): SlotHeadImage;
  /** Order view of slot i (the connector's SlotOrders fields), frozen, without the image (kernel/index.ts slotOrders). */
  slotOrders(i: number): SlotOrdersImage;
  snapshot(): KernelSnapshot;
  ledger(): LedgerSnapshot;
  saveState(): string;
  /** Digest of the kernel's canonical state, computed in the kernel (kernel/README.md "State digest"). */
  stateDigest(): string;
  restoreState(json: string): Outcome;
  reconcile(report: ReconcileReport): Outcome;
  dispose(): void;
}

/** kernel/index.ts KernelModule: creates kernel instances. */
export interface KernelModule {
  create(config: KernelConfig): Kernel;
}

/** What the runtime observed, before run.ts adds the run's identity (sim/record.ts RunRecord). */
export interface RuntimeRecord {
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
  /** The venue's journal (orders, fills, status changes, funding), for the oracle (sim/oracle.ts). */
  venueJournal: JournalView[];
  /** Venue conformance checked after every venue step (venues/bingx/conformance.ts). */
  conformance: ConformanceRecord;
  /** The venue's per-symbol books at the end of the run. */
  venueSymbolBooks?: Record<string, SymbolBooks>;
  /** Owner of every order the kernel submitted, by client order id. */
  orderOwners?: Record<string, OrderOwner>;
  /** Exit-leg progress around each restart (invariant restart-exit-legs). */
  restores: RestoreRecord[];
  /** Fold mode: the per-row streams folded during the run, their arrays left empty (sim/record.ts RunRecord.streamed). */
  streamed?: RecordStreamFolds;
}

/** What the runtime hands back to run.ts. */
export interface RuntimeOutput {
  /** SHA-256 hex over the canonical trace; null when the run was made without it (hashTrace false). */
  traceHash: string | null;
  events: number;
  simTimeUs: number;
  trace: TraceRecorder;
  record: RuntimeRecord;
  final: KernelSnapshot;
  finalVenueLedger: VenueLedger;
  faultMarks: FaultMark[];
  series: SeriesPoint[];
}

/** Schedules a callback on the run's one event queue at `tUs` (ordered by time, then by scheduling order). */
export type Schedule = (tUs: number, fn: () => void) => void;
