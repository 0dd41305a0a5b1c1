/**
 * The simulated process lifecycle and the run's phases (sim/README.md "Phases").
 *
 * - **Restart** (I9, I14): save → dispose → RESTART_DOWNTIME_US down → new kernel → restore →
 *   new listen key → reconcile. Requests already on the wire still reach the venue; their
 *   answers die with the process (the connector's session ends). Intents due while the process is
 *   down are deferred to the restart.
 * - **Phases**: safety (faults on) until startUs + durationUs; then liveness: faults heal, the
 *   listen key is checked, a full reconcile runs, working orders are cancelled; every slot must be
 *   quiescent with the network idle within livenessBoundUs. Positions are compared with the venue
 *   ("quiescent"), the driver flattens every open slot with EXIT_RESIDUAL MARKET, and positions
 *   are compared again ("flat").
 */
import type { Intent, SlotImage, Stage } from "../kernel/types.js";
import type { BingxMockVenue } from "../venues/bingx/mock-venue.js";
import type { VenueConnector } from "../venues/connector/connector.js";
import type { Scenario } from "./types.js";
import type { ParitySample } from "./record.js";
import type { FaultInjector } from "./faults.js";
import { kernelPositions, type RunObserver } from "./observer.js";
import type { KernelHost } from "./kernel-host.js";
import type { SimNetwork } from "./network.js";
import type { Schedule } from "./runtime-types.js";
import { Dec } from "./num.js";

/** Process downtime of a simulated restart, µs. */
export const RESTART_DOWNTIME_US = 3_000_000;
/** Liveness checks run this often, µs. */
export const LIVENESS_CHECK_EVERY_US = 1_000_000;
/** A working order is cancelled again at most this often during liveness, µs. */
export const LIVENESS_CANCEL_EVERY_US = 5_000_000;

const QUIESCENT: readonly Stage[] = ["IDLE", "CLOSED", "POSITION_OPEN"];
const WORKING: readonly Stage[] = ["ENTRY_WORKING", "EXIT_WORKING"];

export type Phase = "safety" | "liveness" | "flatten" | "done";

export class Lifecycle {
  processUp = true;
  phase: Phase = "safety";
  private healUs = 0;
  private readonly quiescentAt: (number | null)[];
  private readonly lastCancelUs = new Map<number, number>();
  private flattenSent = false;
  private readonly deferredIntents: Intent[] = [];

  constructor(
    private readonly scenario: Scenario,
    private readonly boundUs: number,
    private readonly host: KernelHost,
    private readonly connector: VenueConnector,
    private readonly network: SimNetwork,
    private readonly venue: BingxMockVenue,
    private readonly faults: FaultInjector,
    private readonly obs: RunObserver,
    private readonly now: () => number,
    private readonly schedule: Schedule,
    /** Schedule an intent at `tUs` (the runtime's intent event). */
    private readonly scheduleIntent: (tUs: number, intent: Intent) => void,
  ) {
    this.quiescentAt = Array.from({ length: host.slotCount }, () => null);
  }

  /** An intent is due: fed now, or deferred to the restart when the process is down. */
  intentDue(intent: Intent): void {
    if (!this.processUp) {
      this.deferredIntents.push(intent);
      return;
    }
    this.host.feedIntent({ ...intent, tsUs: this.now() });
  }

  /** Schedule a restart now (a restart fault fired). */
  requestRestart(why: string): void {
    this.schedule(this.now(), () => this.restart(why));
  }

  /** Process restart: save → dispose; responses in flight are lost with the process (I9, I14). */
  restart(why: string): void {
    if (!this.processUp || this.faults.isHealed) return;
    const now = this.now();
    if (why === "restartAtUs") this.faults.mark(now, "restart", `restartAtUs ${now}`);
    const saved = this.host.saveAndDispose(why);
    this.processUp = false;
    this.connector.endSession();
    this.schedule(now + RESTART_DOWNTIME_US, () => this.resume(saved));
  }

  private resume(saved: string): void {
    const now = this.now();
    this.processUp = true;
    this.connector.beginSession();
    this.host.restore(saved);
    this.connector.renewListenKey();
    this.connector.requestReconcile("restart");
    const deferred = this.deferredIntents.splice(0);
    for (const it of deferred) this.scheduleIntent(now, it);
  }

  /** End of the safety phase: faults heal, the stream is checked, a reconcile runs, liveness checks start. */
  heal(): void {
    const now = this.now();
    this.faults.heal();
    this.phase = "liveness";
    this.healUs = now;
    this.obs.record(now, "phase", { phase: "liveness" });
    if (this.processUp) this.connector.refreshStreamAndReconcile("faults healed");
    this.schedule(now, () => this.livenessCheck());
  }

  private livenessCheck(): void {
    const now = this.now();
    if (this.phase === "done") return;
    if (!this.processUp) {
      this.schedule(now + LIVENESS_CHECK_EVERY_US, () => this.livenessCheck());
      return;
    }
    const slots = this.host.slots();
    const idle = this.connector.networkIdle() && !this.network.pendingWs;
    let all = true;
    for (const s of slots) {
      const q = isQuiescent(s) && idle;
      if (this.phase === "liveness" && q && this.quiescentAt[s.slotId] === null) this.quiescentAt[s.slotId] = now;
      if (!q) all = false;
      if (WORKING.includes(s.stage) && now - (this.lastCancelUs.get(s.slotId) ?? -Infinity) > LIVENESS_CANCEL_EVERY_US) {
        const o = s.stage === "ENTRY_WORKING" ? s.entryOrder : s.exitOrder;
        if (o && !o.cancelRequested) {
          this.lastCancelUs.set(s.slotId, now);
          this.host.feedIntent({ kind: "CANCEL", intentId: `live${s.slotId}-${now}`, tsUs: now, slotId: s.slotId });
        }
      }
    }
    if (this.phase === "liveness") {
      if (all) {
        this.obs.parity(this.paritySample("quiescent", slots));
        this.phase = "flatten";
        this.obs.record(now, "phase", { phase: "flatten" });
        for (const s of slots) {
          if (s.stage === "POSITION_OPEN" && new Dec(s.sizeQty).greaterThan(0)) {
            this.host.feedIntent({ kind: "EXIT_RESIDUAL", intentId: `flat${s.slotId}`, tsUs: now, slotId: s.slotId, orderType: "MARKET" });
          }
        }
        this.flattenSent = true;
      } else if (now > this.healUs + this.boundUs) {
        this.finish(now, "bound exceeded");
        return;
      }
    } else if (this.phase === "flatten" && this.flattenSent) {
      const flat = slots.every((s) => s.stage === "IDLE" || s.stage === "CLOSED" || (s.stage === "POSITION_OPEN" && new Dec(s.sizeQty).isZero()));
      if (flat && idle) {
        this.obs.parity(this.paritySample("flat", slots));
        this.finish(now, "flat");
        return;
      }
      if (now > this.healUs + 3 * this.boundUs - 1_000_000) {
        this.obs.parity(this.paritySample("flatten timeout", slots));
        this.finish(now, "flatten bound exceeded");
        return;
      }
    }
    this.schedule(now + LIVENESS_CHECK_EVERY_US, () => this.livenessCheck());
  }

  private paritySample(label: string, slots: SlotImage[]): ParitySample {
    return { tUs: this.now(), label, kernel: kernelPositions(this.scenario.contracts, slots), venue: this.venue.positions() };
  }

  /** End the liveness phase (idempotent): the liveness record and the "done" phase row. */
  finish(now: number, why: string): void {
    if (this.phase === "done") return;
    const slots = this.processUp ? this.host.slots() : [];
    this.obs.rec.liveness = {
      healUs: this.healUs || now,
      boundUs: this.boundUs,
      quiescentAtUs: this.quiescentAt.slice(),
      stagesAtBound: slots.map((s) => s.stage),
    };
    this.obs.record(now, "phase", { phase: "done", why });
    this.phase = "done";
  }
}

/** Quiescent: IDLE, CLOSED, or POSITION_OPEN without a working exit. */
export function isQuiescent(s: SlotImage): boolean {
  if (!QUIESCENT.includes(s.stage)) return false;
  if (s.stage === "POSITION_OPEN" && s.exitOrder && new Dec(s.exitOrder.filledQty).lessThan(s.exitOrder.quantity)) return false;
  return true;
}
