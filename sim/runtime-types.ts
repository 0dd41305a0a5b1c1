/**
 * Types shared by the runtime's modules (runtime.ts event loop, kernel-host.ts, network.ts,
 * lifecycle.ts, observer.ts): the kernel as the simulator drives it and what a run hands back.
 */
import type {
  AccountEvent, Intent, KernelConfig, KernelSnapshot, LedgerSnapshot, MarkPrice, Outcome, ReconcileReport, SlotImage, VenueEvent,
} from "../kernel/types.js";
import type { VenueLedger } from "../venues/venue.js";
import type { FaultMark, SeriesPoint } from "./types.js";
import type { RunRecord } from "./record.js";
import type { TraceRecorder } from "./trace.js";
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

/**
 * What the runtime observed: the fields of a RunRecord (sim/record.ts, where each is documented)
 * before run.ts `toRecord` adds the run's identity, its final state and its trace hashes. The
 * fields a RunRecord may lack (a record built by a test or an older file) are always present here.
 */
export type RuntimeRecord = Omit<RunRecord, RunIdentityField | RuntimeFilledField> & Required<Pick<RunRecord, RuntimeFilledField>>;

/** RunRecord fields run.ts `toRecord` sets, not the runtime. */
type RunIdentityField = "scenario" | "seed" | "initialBalanceUsdt" | "pnlAnomalyToleranceUsdt" | "final" | "finalVenueLedger" | "hashes" | "contracts" | "faultFree";

/** RunRecord fields that are optional there and that the runtime always fills. */
type RuntimeFilledField = "diagnostics" | "venueJournal" | "conformance" | "restores";

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
