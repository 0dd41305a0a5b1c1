/**
 * Types shared by the runtime's modules (runtime.ts event loop, kernel-host.ts, network.ts,
 * lifecycle.ts, observer.ts): the kernel as the simulator drives it and what a run hands back.
 */
import type {
  AccountEvent, Intent, KernelConfig, KernelSnapshot, LedgerSnapshot, MarkPrice, Outcome, ReconcileReport, SlotImage, VenueEvent,
} from "../kernel/types.js";
import type { VenueLedger } from "../venues/venue.js";
import type { FaultMark, SeriesPoint } from "./types.js";
import type { FillRoute, IdempotencyProbe, LedgerSample, LivenessRecord, ParitySample, SlotSample } from "./record.js";
import type { TraceRecorder } from "./trace.js";

/** The kernel as the runtime uses it (kernel/index.ts Kernel, COMMON.md entry points). */
export interface Kernel {
  processIntent(intent: Intent): Outcome;
  onVenueEvent(ev: VenueEvent): Outcome;
  markPrice(m: MarkPrice): Outcome;
  onAccountEvent(ev: AccountEvent): Outcome;
  slot(i: number): SlotImage;
  snapshot(): KernelSnapshot;
  ledger(): LedgerSnapshot;
  saveState(): string;
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
}

/** What the runtime hands back to run.ts. */
export interface RuntimeOutput {
  traceHash: string;
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
