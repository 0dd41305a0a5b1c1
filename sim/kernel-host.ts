/**
 * The kernel host: owns the one live kernel instance of a run and every call into it. Each call
 * is written to the trace (input row, then the "kernel.out" row), its outcome's transitions,
 * ledger changes, slot changes and fills go to the run record (sim/observer.ts), its commands go
 * to the venue connector (venues/connector/connector.ts), and the fault injector may fail one
 * input of a batch (F15 handler error) or ask for a restart (after an intent, between ACK and
 * fill, on a stage).
 *
 * Implements the connector's KernelPort (venues/connector/ports.ts).
 */
import { createHash } from "node:crypto";
import type { AccountEvent, Intent, KernelConfig, Outcome, ReconcileReport, SlotImage, Stage, VenueEvent } from "../kernel/types.js";
import type { KernelInput, KernelPort, SlotOrders } from "../venues/connector/ports.js";
import type { VenueConnector } from "../venues/connector/connector.js";
import type { FaultProfile } from "./types.js";
import type { FaultInjector } from "./faults.js";
import type { RunObserver } from "./observer.js";
import type { Kernel, KernelModule, Schedule } from "./runtime-types.js";
import { markRowBody } from "./trace.js";
import { feedKernelInput, fillRoute, headFingerprint } from "./kernel-feed.js";
import type { SlotHead } from "./runtime-types.js";

/** The slots of an outcome without transitions (shared, never added to). */
const NO_SLOTS: ReadonlySet<number> = new Set<number>();

export class KernelHost implements KernelPort {
  kernel: Kernel;
  /** Set once by the runtime after construction (the connector needs this host as its port). */
  connector!: VenueConnector;
  /** Called when a fault asks for a process restart now (`why` names it). */
  onRestartRequested: (why: string) => void = () => {
    throw new Error("kernel host: onRestartRequested is not wired");
  };
  /** Stage per slot as last reported by the kernel's transitions (avoids reading idle slots). */
  private readonly stages: Stage[] = [];
  private ledgerSeq = -1;
  private batchCodes: string[] = [];
  private batchTaken: boolean[] = [];
  /** Frames whose first copy was applied completely (for idempotency probes). */
  readonly appliedFrames = new Set<number>();
  private readonly firedStageRestarts = new Set<number>();
  /**
   * Slot images read since the kernel last changed them (frozen: every reader shares them) and
   * their fingerprints. An entry is dropped when an outcome lists its slot in `changedSlots` (the
   * kernel's own statement of which slots a call changed, docs/architecture.md; kernel/index.ts
   * caches by the same rule; a reconcile's outcome too), all of them after a restore or an
   * outcome without the list. Saves a copy of every slot per read on the hot path (issue 12
   * profile). Fingerprints, symbols and slot heads are read from the kernel's binary slot heads
   * (kernel/index.ts `slotHead`, same values as the images), so a fill reads no slot image for them.
   */
  private images: (SlotImage | undefined)[] = [];
  private prints: (string | undefined)[] = [];
  /**
   * Stage, symbol, side and size of each slot (runtime-types.ts SlotHead), kept like the
   * fingerprints: a mark sets only mark price and unrealized PnL (kernel/src/kernel/mark.rs, A4).
   */
  private heads: (SlotHead | undefined)[] = [];
  /**
   * The connector's view of each slot (ports.ts SlotOrders: stage, symbol, entry/exit orders,
   * fee-unconfirmed orders), kept like the fingerprints: a mark changes none of its fields. Saves
   * the connector's watchdog and reconcile rounds a slot image read after every mark (issue 12
   * profile: 3.6 % of chaos CPU).
   */
  private orderViews: (SlotOrders | undefined)[] = [];

  constructor(
    private readonly module: KernelModule,
    private readonly config: KernelConfig,
    readonly slotCount: number,
    private readonly obs: RunObserver,
    private readonly faults: FaultInjector,
    private readonly faultProfile: FaultProfile,
    private readonly now: () => number,
    private readonly schedule: Schedule,
  ) {
    this.kernel = module.create(config);
    for (let i = 0; i < slotCount; i++) this.stages.push("IDLE");
  }

  /** Codes of the last batch's kernel calls (idempotency probes). */
  get lastBatchCodes(): string[] {
    return this.batchCodes;
  }

  // ─── KernelPort ───
  knownStage(i: number): Stage {
    return this.stages[i];
  }
  refreshSlotOrders(i: number): SlotOrders {
    const s = this.slotOrderView(i);
    this.stages[i] = s.stage;
    return s;
  }
  slotOrders(): SlotOrders[] {
    const out: SlotOrders[] = [];
    for (let i = 0; i < this.slotCount; i++) out.push(this.slotOrderView(i));
    return out;
  }
  /** Slot `i`'s order view: kept until the kernel changes the slot other than by a mark. */
  private slotOrderView(i: number): SlotOrders {
    const hit = this.orderViews[i];
    if (hit !== undefined) return hit;
    const v: SlotOrders = this.kernel.slotOrders(i);
    this.orderViews[i] = v;
    return v;
  }
  /** Image of slot `i`, deep-frozen and shared until the kernel changes the slot (never mutate it). */
  slot(i: number): SlotImage {
    const hit = this.images[i];
    if (hit !== undefined) return hit;
    const s = this.kernel.sharedSlot(i);
    this.images[i] = s;
    return s;
  }
  /** Stage, symbol, side and size of every slot, in slot order (the trader's view, the report series). */
  slotHeads(): SlotHead[] {
    const out: SlotHead[] = [];
    for (let i = 0; i < this.slotCount; i++) out.push(this.head(i));
    return out;
  }
  /** Slot `i`'s head, kept until the kernel changes the slot other than by a mark. */
  private head(i: number): SlotHead {
    let h = this.heads[i];
    if (h === undefined) {
      const s = this.kernel.slotHead(i);
      h = Object.freeze({ slotId: s.slotId, stage: s.stage, symbol: s.symbol, side: s.side, sizeQty: s.sizeQty });
      this.heads[i] = h;
    }
    return h;
  }
  slots(): SlotImage[] {
    const out: SlotImage[] = [];
    for (let i = 0; i < this.slotCount; i++) out.push(this.slot(i));
    return out;
  }
  feed(inputs: KernelInput[], what: string): void {
    this.feedBatch(inputs, what, -1);
  }
  reconcile(report: ReconcileReport, why: string): void {
    const now = this.now();
    this.obs.record(now, "kernel.reconcile", { why, full: true, report });
    const before = this.fingerprints();
    this.lastMark.clear();
    const out = this.kernel.reconcile(report);
    this.forgetImages(out.changedSlots);
    this.afterKernelCall(out, "RECONCILE");
    const after = this.fingerprints();
    after.forEach((f, i) => {
      if (f !== before[i]) this.sampleSlot(this.kernel.slotHead(i));
    });
  }

  // ─── process lifecycle ───
  /** Save the kernel's state, trace it (with its SHA-256) and dispose the kernel (a restart). Returns the saved JSON. */
  saveAndDispose(why: string): string {
    this.obs.beforeRestart(this.slots());
    const saved = this.kernel.saveState();
    this.obs.record(this.now(), "check", { restart: why, savedSha: createHash("sha256").update(saved).digest("hex") });
    this.kernel.dispose();
    return saved;
  }

  /** A new kernel restored from `saved`; throws when the kernel refuses its own saved state. */
  restore(saved: string): void {
    const now = this.now();
    this.kernel = this.module.create(this.config);
    this.forgetImages(undefined);
    this.lastMark.clear();
    const restoreSeq = this.obs.trace.count;
    this.obs.record(now, "kernel.restore", { bytes: saved.length });
    const out = this.kernel.restoreState(saved);
    this.forgetImages(undefined);
    this.obs.record(now, "kernel.out", out);
    this.obs.diagnostics.add(out.code);
    if (!out.accepted) throw new Error(`restart: restoreState refused the kernel's own saved state: ${out.code} ${out.message}`);
    this.ledgerSeq = out.ledgerSeq;
    this.obs.ledgerSample({ tUs: now, cause: "restore", ledger: this.kernel.ledger() });
    const restored = this.slots();
    for (const s of restored) {
      this.sampleSlot(s);
      this.stages[s.slotId] = s.stage;
    }
    this.obs.noteRestore(now, restoreSeq, restored);
  }

  /** State digest for idempotency probes: computed in the kernel, no state export (kperf, issue 11). */
  stateSha(): string {
    return this.kernel.stateDigest();
  }

  // ─── calls ───
  /** Give the kernel an intent (trace row, record, commands, restart-after-intent fault). */
  feedIntent(intent: Intent): void {
    const now = this.now();
    this.obs.record(now, "intent", intent);
    this.lastMark.clear();
    const out = this.kernel.processIntent(intent);
    this.forgetImages(out.changedSlots);
    this.obs.intent(now, intent, out);
    this.afterKernelCall(out, intent.kind);
    if (this.faults.restartNow(now, `intent ${intent.intentId}`)) this.onRestartRequested("restart fault after intent");
  }

  /**
   * Feed a batch of inputs decoded from one payload. A handler error mid-batch (F15) skips one
   * input, records the error, and the rest of the batch is still applied; the skipped input is
   * recovered by a reconciliation. `frame` ≥ 0 marks a first stream copy (idempotency probes).
   * Returns true when every input was applied.
   */
  feedBatch(inputs: KernelInput[], what: string, frame: number): boolean {
    const now = this.now();
    const failAt = this.faults.handlerErrorAt(now, inputs.length, what);
    let complete = true;
    this.batchCodes = [];
    this.batchTaken = [];
    inputs.forEach((inp, i) => {
      if (i === failAt) {
        complete = false;
        this.obs.record(now, "handler.error", { what, index: i, of: inputs.length, input: inp, error: "simulated handler exception (F15)" });
        this.connector.requestReconcile(`handler error in ${what}`);
        return;
      }
      this.feedInput(inp);
    });
    // A copy is a duplicate only of a first copy the kernel took in: a first copy refused for
    // missing context (UNRESOLVED_SLOT before the ACK taught the id, a stage that did not allow
    // it yet) leaves the second copy a first application, not a duplicate.
    const takenIn = this.batchTaken.every((x) => x);
    if (complete && takenIn && frame >= 0) this.appliedFrames.add(frame);
    return complete;
  }

  private feedInput(inp: KernelInput): void {
    const now = this.now();
    this.lastMark.clear();
    const fed = feedKernelInput(this.kernel, inp, (kind, ev) => this.obs.record(now, kind, ev), () => this.fingerprints());
    if (inp.k === "venue") {
      const ev = inp.ev;
      this.forgetImages(fed.out.changedSlots);
      if (fed.fillBefore) this.noteFill(ev, fed.out, fed.fillBefore);
      this.afterKernelCall(fed.out, ev.kind);
      if (ev.kind === "ORDER_ACK" && this.faults.restartNow(now, `ACK of ${ev.clientOrderId ?? ev.venueOrderId}`)) {
        this.onRestartRequested("restart fault between ACK and fill");
      }
    } else {
      const ev: AccountEvent = inp.ev;
      const out = fed.out;
      this.forgetImages(out.changedSlots);
      // A settlement the kernel could not place (UNRESOLVED_SLOT: it came before the order's ACK)
      // is information the kernel never got.
      if (ev.kind === "FILL_SETTLED" && (out.accepted || out.code === "DUPLICATE_EVENT") && out.code !== "UNRESOLVED_SLOT") this.obs.fedSettles.add(ev.eventId);
      this.afterKernelCall(out, ev.kind, fed.anchoredWallet);
    }
  }

  /**
   * Give the kernel a mark price (its outcome is traced only when not OK) — unless the mark would
   * change nothing: the same price as the last mark given for `symbol`, with no other kernel call
   * since (a mark only sets each slot's mark price and recomputes unrealized PnL from it and the
   * slot; the kernel ignores its time). Such a mark is skipped: no call, no trace row
   * (sim/README.md "Cheaper time"). Returns true when the mark was given.
   */
  mark(tUs: number, symbol: string, priceUsdt: string): boolean {
    if (this.lastMark.get(symbol) === priceUsdt) return false;
    if (!this.holdsSymbol(symbol)) return false;
    const mark = { tsUs: tUs, symbol, markPrice: priceUsdt };
    // The row text only when someone reads it (a chaos seed without hash or file does not).
    this.obs.record(tUs, "kernel.mark", this.obs.trace.needsBody("kernel.mark") ? markRowBody(tUs, symbol, priceUsdt) : undefined);
    const out = this.kernel.markPrice(mark);
    // A mark sets mark price and unrealized PnL only ("unrealized PnL only, never an entry basis",
    // A4): the fingerprint fields (stage, trade, size, filled quantities, realized PnL, legs) stay,
    // unless the outcome reports a stage transition.
    this.forgetImages(out.changedSlots, out.transitions.length === 0);
    if (out.code !== "OK") this.obs.record(tUs, "kernel.out", out);
    this.obs.diagnostics.add(out.code);
    this.lastMark.set(symbol, priceUsdt);
    return true;
  }
  /**
   * True when some slot's symbol is `symbol` (any stage: a CLOSED slot keeps its symbol and its
   * mark price). The kernel's mark touches only such slots (kernel/src/kernel/mark.rs: slots whose
   * symbol is the mark's; the ledger's unrealized PnL is their sum), so a mark of a symbol no slot
   * holds changes nothing and is not given (sim/README.md "Cheaper time").
   */
  private holdsSymbol(symbol: string): boolean {
    for (let i = 0; i < this.slotCount; i++) if (this.head(i).symbol === symbol) return true;
    return false;
  }

  /** Last mark price given per symbol since the last other kernel call (cleared by every other call). */
  private readonly lastMark = new Map<string, string>();

  private afterKernelCall(out: Outcome, cause: string, anchoredWallet?: string): void {
    const now = this.now();
    this.obs.record(now, "kernel.out", out);
    this.obs.diagnostics.add(out.code);
    this.batchCodes.push(out.code);
    this.batchTaken.push(out.accepted || out.code === "DUPLICATE_EVENT");
    for (const tr of out.transitions) {
      this.obs.transition(tr);
      this.stages[tr.slotId] = tr.to;
    }
    const ledgerMoved = out.ledgerSeq !== this.ledgerSeq || anchoredWallet !== undefined;
    if (ledgerMoved) {
      this.ledgerSeq = out.ledgerSeq;
      const ledger = this.kernel.ledger();
      this.obs.ledgerSample({ tUs: now, cause: anchoredWallet !== undefined ? "anchor" : cause, anchoredWalletUsdt: anchoredWallet, ledger });
      this.obs.record(now, "ledger", { cause, ledger });
    }
    const touched: ReadonlySet<number> = out.transitions.length === 0 ? NO_SLOTS : new Set(out.transitions.map((t) => t.slotId));
    if (touched.size > 0 || ledgerMoved) this.sampleSeries(now, false);
    for (const id of touched) {
      const slot = this.kernel.slotHead(id);
      this.sampleSlot(slot);
      // A trade just closed with fees the venue has not confirmed: query them before a re-entry
      // archives the trade (frames lost silently leave no other trace; docs/accounting.md fees).
      if (slot.stage === "CLOSED" && slot.feeUnconfirmedCount > 0 && out.transitions.some((t) => t.slotId === id && t.to === "CLOSED")) {
        this.connector.requestReconcile(`fee confirmation slot ${id}`);
      }
    }
    for (const cmd of out.commands) {
      if (cmd.kind === "SUBMIT") this.obs.owner.set(cmd.clientOrderId, { slotId: cmd.slotId, tradeId: cmd.tradeId, symbol: cmd.symbol, purpose: cmd.purpose });
      this.connector.dispatch(cmd);
    }
    this.checkStageRestarts(out);
  }

  private checkStageRestarts(out: Outcome): void {
    const rs = this.faultProfile.restartOnStage;
    if (!rs || this.faults.isHealed) return;
    rs.forEach((r, i) => {
      if (this.firedStageRestarts.has(i)) return;
      if (out.transitions.some((t) => t.slotId === r.slotId && t.to === r.stage)) {
        this.firedStageRestarts.add(i);
        this.faults.mark(this.now(), "restart", `restartOnStage slot ${r.slotId} ${r.stage}`);
        this.onRestartRequested(`restartOnStage ${r.slotId}/${r.stage}`);
      }
    });
  }

  /** Contracts of the scenario (kernel positions per symbol in the report series). */
  contracts: readonly { symbol: string }[] = [];

  /** A report series point (sim/observer.ts sampleSeries); `periodic` false = event resolution. Call only while the process is up. */
  sampleSeries(now: number, periodic: boolean): void {
    this.obs.sampleSeries(now, () => this.slotHeads(), () => this.kernel.ledger().capitalUsdt, this.contracts, periodic);
  }

  /** Record slot `s` (its image or its head, kernel/index.ts slotHead) in the run record's slot samples. */
  sampleSlot(s: Pick<SlotImage, "slotId" | "tradeId" | "stage" | "sizeQty" | "initialSizeQty">): void {
    this.obs.slotSample({ tUs: this.now(), slotId: s.slotId, tradeId: s.tradeId, stage: s.stage, sizeQty: s.sizeQty, initialSizeQty: s.initialSizeQty });
  }

  /**
   * Drop the shared images of the slots a call changed (`undefined`: every slot); their
   * fingerprints too unless `keepPrints` (a mark that moved no stage).
   */
  private forgetImages(changed: readonly number[] | undefined, keepPrints = false): void {
    if (changed === undefined) {
      this.images = [];
      this.prints = [];
      this.heads = [];
      this.orderViews = [];
      return;
    }
    for (const i of changed) {
      this.images[i] = undefined;
      if (!keepPrints) {
        this.prints[i] = undefined;
        this.heads[i] = undefined;
        this.orderViews[i] = undefined;
      }
    }
  }

  private fingerprints(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.slotCount; i++) {
      let f = this.prints[i];
      if (f === undefined) {
        f = headFingerprint(this.kernel.slotHead(i));
        this.prints[i] = f;
      }
      out.push(f);
    }
    return out;
  }

  private noteFill(ev: VenueEvent, out: Outcome, before: string[]): void {
    const route = fillRoute(this.now(), ev, out, before, this.fingerprints(), (v) => this.obs.venueIdToClient.get(v), (c) => this.obs.owner.get(c)?.slotId);
    this.obs.fill(route);
    for (const i of route.changedSlots) this.sampleSlot(this.kernel.slotHead(i));
  }
}
