/**
 * The run record: what the runtime observed, in the compact form the invariant checker reads
 * (sim/invariants.ts). Every field is derived from trace rows the runtime also records, so a
 * checker failure can be followed in the Arrow trace. Doctored records drive the checker's own
 * tests (each invariant must be able to fail).
 */
import type { Intent, KernelSnapshot, LedgerSnapshot, Outcome, Stage, Transition } from "../kernel/types.js";
import type { VenueLedger } from "../venues/venue.js";
import type { ConformanceViolation } from "../venues/bingx/conformance.js";
import type { JournalFill, JournalFunding, JournalOrder, JournalStatus, SymbolBooks, VenueJournalEntry } from "../venues/bingx/journal.js";
import type { RecordStreamFolds } from "./invariants.js";

/**
 * A venue journal entry (venues/bingx/journal.ts), whole or reduced to what the oracle
 * (sim/oracle.ts) and the observer read of it. In fold mode the observer keeps only those fields
 * of each entry (a 48 h run's full journal held ~21 MB).
 */
export type JournalView =
  | VenueJournalEntry
  | Pick<JournalOrder, "kind" | "tUs" | "orderId" | "clientOrderId" | "origQty">
  | Pick<JournalFill, "kind" | "tUs" | "orderId" | "clientOrderId" | "symbol" | "qty" | "price" | "realizedUsdt" | "walletAfterUsdt">
  | Pick<JournalStatus, "kind" | "tUs" | "orderId">
  | Pick<JournalFunding, "kind" | "tUs" | "walletAfterUsdt">;

/** The fields of `e` the oracle reads (JournalView), as a new object. */
export function journalView(e: VenueJournalEntry): JournalView {
  switch (e.kind) {
    case "order":
      return { kind: e.kind, tUs: e.tUs, orderId: e.orderId, clientOrderId: e.clientOrderId, origQty: e.origQty };
    case "fill":
      return { kind: e.kind, tUs: e.tUs, orderId: e.orderId, clientOrderId: e.clientOrderId, symbol: e.symbol, qty: e.qty, price: e.price, realizedUsdt: e.realizedUsdt, walletAfterUsdt: e.walletAfterUsdt };
    case "status":
      return { kind: e.kind, tUs: e.tUs, orderId: e.orderId };
    case "funding":
      return { kind: e.kind, tUs: e.tUs, walletAfterUsdt: e.walletAfterUsdt };
  }
}

/** Venue conformance over the run: steps checked, journal entries, violations with their trace row. */
export interface ConformanceRecord {
  steps: number;
  entries: number;
  violations: (ConformanceViolation & { traceSeq: number })[];
}

/** Who placed an order (from the kernel's SUBMIT command). */
export interface OrderOwner {
  slotId: number;
  tradeId: string;
  symbol: string;
  purpose: "ENTRY" | "EXIT";
}

/** Exit-leg progress of the live slots at one restore (docs/architecture.md §Kernel reference 12, I9). */
export interface RestoreRecord {
  tUs: number;
  /** The kernel.restore trace row. */
  traceSeq: number;
  slots: {
    slotId: number;
    tradeId: string;
    symbol: string;
    /** Next exit leg to submit, as restored. */
    restoredExitLegIndex: number;
    /** Exit legs the kernel had booked fills on before the restart (same trade). */
    bookedLegs: { legIndex: number; clientOrderId: string; quantity: string }[];
  }[];
}

/** Compact slot observation (size bounds, closed-never-reopens). */
export interface SlotSample {
  tUs: number;
  slotId: number;
  tradeId: string;
  stage: Stage;
  sizeQty: string;
  initialSizeQty: string;
}

/** A kernel ledger snapshot taken after a kernel call that changed it. */
export interface LedgerSample {
  tUs: number;
  /** What caused it: "anchor" (anchorToExchange / BALANCE accepted), "restore", or an input kind. */
  cause: string;
  /** For anchors: the wallet balance the kernel was given (from a venue frame or REST read). */
  anchoredWalletUsdt?: string;
  ledger: LedgerSnapshot;
}

/** One fill given to the kernel, with where it should and did land (invariant 10). */
export interface FillRoute {
  tUs: number;
  eventId: string;
  clientOrderId?: string;
  venueOrderId?: string;
  /** Owner slot per the runtime's command book (undefined: an order no slot placed). */
  expectedSlot?: number;
  /** Slots whose position/order figures changed across the call. */
  changedSlots: number[];
  code: string;
}

/** A duplicate re-fed to the kernel: fingerprints of the full kernel snapshot around it (invariant 9). */
export interface IdempotencyProbe {
  tUs: number;
  what: string;
  beforeSha: string;
  afterSha: string;
  codes: string[];
}

/** Per-symbol signed positions of kernel and venue at a quiescent point (invariant 6). */
export interface ParitySample {
  tUs: number;
  label: string;
  kernel: Record<string, string>;
  venue: Record<string, string>;
}

export interface LivenessRecord {
  /** When faults healed. */
  healUs: number;
  boundUs: number;
  /** First time each slot was quiescent with nothing in flight (null = never within the run). */
  quiescentAtUs: (number | null)[];
  /** Final stage of each slot at the bound. */
  stagesAtBound: string[];
}

export interface RunRecord {
  scenario: string;
  seed: number;
  initialBalanceUsdt: string;
  pnlAnomalyToleranceUsdt: string;
  intents: { tUs: number; intent: Intent; outcome: Outcome }[];
  /** Client order ids of SUBMIT requests the venue received (venue-side truth). */
  venueSubmittedClientOrderIds: string[];
  /** Every stage transition the kernel reported, in order (each outcome's `transitions`). */
  transitions: Transition[];
  slotSamples: SlotSample[];
  ledgerSamples: LedgerSample[];
  /** Every distinct wallet balance the venue ledger held (anchors must come from these). */
  venueWallets: string[];
  venueLedgers: { tUs: number; ledger: VenueLedger }[];
  fills: FillRoute[];
  probes: IdempotencyProbe[];
  parity: ParitySample[];
  liveness?: LivenessRecord;
  final: KernelSnapshot;
  finalVenueLedger: VenueLedger;
  /**
   * Client order ids every exchange settlement of which reached the kernel (invariant 3 compares
   * only those legs; a settlement lost on the stream is information the kernel never had).
   * Undefined: compare every leg with an exchange figure.
   */
  fullySettledOrders?: string[];
  /** Exchange settlements (fills) per client order id; the kernel compares per fill, so the
   * tolerance of a leg is the per-fill tolerance × its settlements. Undefined: 1 per leg. */
  settlementCounts?: Record<string, number>;
  /** Diagnostic codes produced during the run (sorted, unique). */
  diagnostics?: string[];
  /** Trace hashes of repeated executions of the same run (invariant 12). */
  hashes: string[];
  /** The contracts table of the run (tick/step, wire precision of average prices). */
  contracts?: import("./types.js").ContractSpec[];
  /** True when the run injected no fault (no fault profile entry, no swarm mix): anomalies are then failures. */
  faultFree?: boolean;
  /**
   * The venue's journal: orders, fills (with position and wallet around them), status changes,
   * funding; in fold mode (RunRecord.streamed) only the fields the oracle reads (JournalView).
   */
  venueJournal?: JournalView[];
  /** Venue conformance on every venue step (invariant venue-conformance). */
  conformance?: ConformanceRecord;
  /** The venue's per-symbol books at the end of the run. */
  venueSymbolBooks?: Record<string, SymbolBooks>;
  /** Owner (slot, trade, purpose) of every order the kernel submitted, by client order id. */
  orderOwners?: Record<string, OrderOwner>;
  /** Exit-leg progress around each restart. */
  restores?: RestoreRecord[];
  /**
   * Present when the run observer folded the per-row streams (STREAMED_FIELDS) while the run went
   * instead of keeping them (sim/invariants.ts RecordStreamFolds): those arrays are then empty and
   * the invariants judge from these folds. Absent: the arrays hold every entry.
   */
  streamed?: RecordStreamFolds;
}

/** Record fields folded during the run instead of kept, when RunRecord.streamed is present. */
export const STREAMED_FIELDS = ["venueLedgers", "ledgerSamples", "slotSamples", "transitions", "intents", "fills"] as const;

/**
 * The folds fed during the run (RunRecord.streamed), or undefined when the record keeps its arrays.
 * @throws Error when the streams were folded but a streamed field also has entries (which one is the run?).
 */
export function streamedFolds(rec: RunRecord): RecordStreamFolds | undefined {
  const s = rec.streamed;
  if (!s) return undefined;
  for (const k of STREAMED_FIELDS) if (rec[k].length > 0) throw new Error(`RunRecord.${k} has ${rec[k].length} entries, but the record's streams were folded during the run`);
  return s;
}

/** Time of the record's last ledger sample (undefined: none). */
export function lastLedgerSampleUs(rec: RunRecord): number | undefined {
  const s = streamedFolds(rec);
  if (s) return s.capitalAnchored.lastUs;
  return rec.ledgerSamples.length > 0 ? rec.ledgerSamples[rec.ledgerSamples.length - 1]!.tUs : undefined;
}

/** The record's last anchor sample that carries the wallet it was given (undefined: none). */
export function lastAnchorSample(rec: RunRecord): LedgerSample | undefined {
  const s = streamedFolds(rec);
  if (s) return s.capitalAnchored.lastAnchor;
  const anchors = rec.ledgerSamples.filter((x) => x.cause === "anchor" && x.anchoredWalletUsdt !== undefined);
  return anchors[anchors.length - 1];
}
