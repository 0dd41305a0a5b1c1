/**
 * A thin driver over the real WASM kernel binding (kernel/index.ts `loadKernel`) for the
 * kernel-level flaw tests, the model-based test and the fuzzers: it builds exact kernel inputs
 * (intents, venue events, account events) with deterministic ids and timestamps, so a test reads
 * as the event sequence of the flaw it reproduces. It does not re-implement any kernel behaviour.
 *
 * Units: quantities in base coin, prices and money in USDT, all as decimal strings; time in µs.
 */
import { Dec } from "../sim/num.js";
import { loadKernel } from "../kernel/index.js";
import type {
  AccountEvent,
  Intent,
  InstrumentSpec,
  KernelConfig,
  KernelSnapshot,
  LedgerSnapshot,
  MarkPrice,
  Outcome,
  ReconcileReport,
  SlotImage,
  TradeRecord,
  VenueCommand,
  VenueEvent,
  VenueEventKind,
} from "../kernel/types.js";

/** Exact decimals for comparisons: the project's decimal setup (sim/num.ts, 60 significant digits), under a short name. */
export const D = Dec;
export type D = Dec;

/** The kernel methods the agreed binding exposes (COMMON brief, kernel/index.ts). */
export interface KernelApi {
  processIntent(intent: Intent): Outcome;
  onVenueEvent(ev: VenueEvent): Outcome;
  markPrice(m: MarkPrice): Outcome;
  onAccountEvent(ev: AccountEvent): Outcome;
  anchorToExchange(walletBalanceUsdt: string, availableMarginUsdt: string, eventSeq: number): Outcome;
  slot(i: number): SlotImage;
  snapshot(): KernelSnapshot;
  ledger(): LedgerSnapshot;
  trades(): TradeRecord[];
  tradeRealized(tradeId: string): { realizedGrossUsdt: string; feesUsdt: string; realizedNetUsdt: string; pnlSource: string; closed: boolean } | undefined;
  saveState(): string;
  restoreState(json: string): Outcome;
  reconcile(report: ReconcileReport): Outcome;
  dispose(): void;
}
export interface KernelModuleApi {
  create(config: KernelConfig): KernelApi;
}

let modulePromise: Promise<KernelModuleApi> | undefined;
/**
 * The loaded WASM kernel module (loaded once per test file / process). DITA_KERNEL_WASM=<path>
 * loads another artifact (e.g. a flaw-mutant build) through the same verified loader.
 */
export function kernelModule(): Promise<KernelModuleApi> {
  const wasmPath = process.env.DITA_KERNEL_WASM;
  modulePromise ??= loadKernel(wasmPath ? { wasmPath } : {}) as unknown as Promise<KernelModuleApi>;
  return modulePromise;
}

export const FET_SPEC: InstrumentSpec = { symbol: "FET-USDT", tickSize: "0.0001", stepSize: "1", minQty: "1" };
export const BTC_SPEC: InstrumentSpec = { symbol: "BTC-USDT", tickSize: "0.1", stepSize: "0.0001", minQty: "0.0001" };

/** Default config: 4 slots, 100,000 USDT seed capital, FET and BTC. */
export function config(extra: Partial<KernelConfig> = {}): KernelConfig {
  return { slotCount: 4, initialCapitalUsdt: "100000", instruments: [FET_SPEC, BTC_SPEC], ...extra };
}

export type Submit = Extract<VenueCommand, { kind: "SUBMIT" }>;
export type CancelCmd = Extract<VenueCommand, { kind: "CANCEL" }>;

/** Order identity a venue event can carry. */
export interface OrderRef {
  symbol: string;
  clientOrderId?: string;
  venueOrderId?: string;
}

export interface FillOpts {
  kind?: "PARTIAL_FILL" | "FULL_FILL";
  mode?: "INCREMENTAL" | "CUMULATIVE";
  feeUsdt?: string;
  feeMode?: "INCREMENTAL" | "CUMULATIVE";
  eventId?: string;
  /** Drop the client order id (BingX WS often omits `c`). */
  noClientId?: boolean;
  slotHint?: number;
}

/**
 * Drives one kernel instance with exact inputs. Time advances 1 ms per input unless set; event
 * ids are "ev-<n>" (unique in the process) unless given; venue order ids come from venueIdOf.
 */
/** Process-wide id counter: ids stay unique across drivers (a restored kernel remembers ids). */
let idCounter = 0;

/** The 19-digit venue order id (> 2^53, BingX form) of a client order id: a pure function of it. */
export function venueIdOf(clientOrderId: string): string {
  let h = 0n;
  for (const ch of clientOrderId) h = (h * 131n + BigInt(ch.codePointAt(0) ?? 0)) % 100_000_000_000_000_000n;
  return (1_900_000_000_000_000_000n + h).toString();
}

export class KernelDriver {
  tUs = 1_781_136_000_000_000;
  readonly outcomes: Outcome[] = [];

  constructor(readonly k: KernelApi) {}

  static async create(extra: Partial<KernelConfig> = {}): Promise<KernelDriver> {
    const m = await kernelModule();
    return new KernelDriver(m.create(config(extra)));
  }

  private tick(): number {
    this.tUs += 1000;
    return this.tUs;
  }
  private id(prefix: string): string {
    idCounter += 1;
    return `${prefix}-${idCounter}`;
  }
  private keep(o: Outcome): Outcome {
    this.outcomes.push(o);
    return o;
  }

  /** The venue order id of a client order id (venueIdOf). */
  venueId(clientOrderId: string): string {
    return venueIdOf(clientOrderId);
  }

  /** Apply an intent (intentId and tsUs defaulted); the outcome is also kept in `outcomes`. */
  intent(i: Omit<Intent, "intentId" | "tsUs"> & { intentId?: string; tsUs?: number }): Outcome {
    const full = { intentId: this.id("in"), tsUs: this.tick(), ...i } as Intent;
    return this.keep(this.k.processIntent(full));
  }

  /** ENTER (MARKET, leverage 3, FET-USDT unless `extra` says otherwise). */
  enter(
    slotId: number,
    tradeId: string,
    side: "LONG" | "SHORT",
    quantity: string,
    extra: Partial<Extract<Intent, { kind: "ENTER" }>> = {},
  ): Outcome {
    return this.intent({ kind: "ENTER", slotId, tradeId, symbol: "FET-USDT", side, quantity, orderType: "MARKET", leverage: 3, ...extra } as Intent);
  }
  /** EXIT of the next leg (MARKET unless `extra` says otherwise). */
  exit(slotId: number, extra: Partial<Extract<Intent, { kind: "EXIT" }>> = {}): Outcome {
    return this.intent({ kind: "EXIT", slotId, orderType: "MARKET", ...extra } as Intent);
  }
  /** EXIT_RESIDUAL (G1). */
  exitResidual(slotId: number, extra: Partial<Extract<Intent, { kind: "EXIT_RESIDUAL" }>> = {}): Outcome {
    return this.intent({ kind: "EXIT_RESIDUAL", slotId, orderType: "MARKET", ...extra } as Intent);
  }
  /** CANCEL of the slot's working order. */
  cancel(slotId: number): Outcome {
    return this.intent({ kind: "CANCEL", slotId } as Intent);
  }

  /** Send a raw venue event (eventId and tsUs defaulted). */
  event(ev: Omit<VenueEvent, "eventId" | "tsUs"> & { eventId?: string; tsUs?: number }): Outcome {
    const full: VenueEvent = { eventId: this.id("ev"), tsUs: this.tick(), ...ev } as VenueEvent;
    return this.keep(this.k.onVenueEvent(full));
  }

  /** The order identity a venue event for `cmd` carries (symbol, client and venue order id). */
  ref(cmd: Submit | CancelCmd, withVenueId = true): OrderRef {
    return { symbol: cmd.symbol, clientOrderId: cmd.clientOrderId, ...(withVenueId ? { venueOrderId: this.venueId(cmd.clientOrderId) } : {}) };
  }

  /** ORDER_ACK for `cmd`. */
  ack(cmd: Submit, eventId?: string): Outcome {
    return this.event({ kind: "ORDER_ACK", ...this.ref(cmd), ...(eventId ? { eventId } : {}) });
  }
  /** A fill of `qty` at `price` for `cmd` (FULL_FILL, INCREMENTAL unless `o` says otherwise). */
  fill(cmd: Submit, qty: string, price: string, o: FillOpts = {}): Outcome {
    const ref = this.ref(cmd);
    if (o.noClientId) delete ref.clientOrderId;
    return this.event({
      kind: o.kind ?? "FULL_FILL",
      ...ref,
      fillQty: qty,
      fillPrice: price,
      quantityMode: o.mode ?? "INCREMENTAL",
      ...(o.feeUsdt !== undefined ? { feeUsdt: o.feeUsdt, feeMode: o.feeMode ?? "INCREMENTAL" } : {}),
      ...(o.eventId ? { eventId: o.eventId } : {}),
      ...(o.slotHint !== undefined ? { slotHint: o.slotHint } : {}),
    });
  }
  /** CANCEL_ACK for `cmd`. */
  cancelAck(cmd: Submit | CancelCmd): Outcome {
    return this.event({ kind: "CANCEL_ACK", ...this.ref(cmd) });
  }
  /** CANCEL_REJECT for `cmd` (BingX 109414 by default). */
  cancelReject(cmd: Submit | CancelCmd, venueCode = 109414): Outcome {
    return this.event({ kind: "CANCEL_REJECT", ...this.ref(cmd), venueCode, reason: "order already filled" });
  }
  /** ORDER_REJECT for `cmd` (BingX 101400 below-minimum by default). */
  reject(cmd: Submit, venueCode = 101400): Outcome {
    return this.event({ kind: "ORDER_REJECT", ...this.ref(cmd), venueCode, reason: "below minimum" });
  }
  /** RATE_LIMITED for `cmd` (109429), with retryAfterMs when given. */
  rateLimited(cmd: Submit, retryAfterMs?: number): Outcome {
    return this.event({ kind: "RATE_LIMITED", ...this.ref(cmd), venueCode: 109429, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  /** A mark price for `symbol`. */
  mark(price: string, symbol = "FET-USDT"): Outcome {
    return this.keep(this.k.markPrice({ tsUs: this.tick(), symbol, markPrice: price }));
  }
  /** An account event (eventId and tsUs defaulted). */
  account(ev: Record<string, unknown>): Outcome {
    return this.keep(this.k.onAccountEvent({ eventId: this.id("acc"), tsUs: this.tick(), ...ev } as AccountEvent));
  }

  /** ENTER + ACK + one FULL_FILL at `price`: returns the entry SUBMIT command. */
  open(slotId: number, tradeId: string, side: "LONG" | "SHORT", qty: string, price: string, extra: Partial<Extract<Intent, { kind: "ENTER" }>> = {}, feeUsdt?: string): Submit {
    const o = this.enter(slotId, tradeId, side, qty, extra);
    expectOk(o, `ENTER ${tradeId}`);
    const cmd = submitOf(o);
    expectOk(this.ack(cmd), "entry ORDER_ACK");
    expectOk(this.fill(cmd, qty, price, feeUsdt !== undefined ? { feeUsdt } : {}), "entry FULL_FILL");
    return cmd;
  }

  /** EXIT (+ACK + FULL_FILL of the whole leg at `price`): returns the exit SUBMIT command. */
  closeLeg(slotId: number, price: string, extra: Partial<Extract<Intent, { kind: "EXIT" }>> = {}, feeUsdt?: string): Submit {
    const o = this.exit(slotId, extra);
    expectOk(o, "EXIT");
    const cmd = submitOf(o);
    expectOk(this.ack(cmd), "exit ORDER_ACK");
    expectOk(this.fill(cmd, cmd.quantity, price, feeUsdt !== undefined ? { feeUsdt } : {}), "exit FULL_FILL");
    return cmd;
  }

  /** Image of slot i. */
  slot(i: number): SlotImage {
    return this.k.slot(i);
  }
  /** A canonical JSON text of the whole kernel state (slots, ledger, trades, anomalies). */
  state(): string {
    return JSON.stringify(this.k.snapshot());
  }
}

/** Throws (with the outcome) unless it was accepted. */
export function expectOk(o: Outcome, what: string): void {
  if (!o.accepted) throw new Error(`${what} refused: ${o.code} ${o.message} ${JSON.stringify(o.details)}`);
}

/** The single SUBMIT command of an outcome (throws when there is not exactly one). */
export function submitOf(o: Outcome): Submit {
  const subs = o.commands.filter((c): c is Submit => c.kind === "SUBMIT");
  if (subs.length !== 1) throw new Error(`expected one SUBMIT command, got ${JSON.stringify(o.commands)} (${o.code} ${o.message})`);
  return subs[0];
}

/** The single CANCEL command of an outcome (throws when there is not exactly one). */
export function cancelOf(o: Outcome): CancelCmd {
  const cs = o.commands.filter((c): c is CancelCmd => c.kind === "CANCEL");
  if (cs.length !== 1) throw new Error(`expected one CANCEL command, got ${JSON.stringify(o.commands)} (${o.code} ${o.message})`);
  return cs[0];
}

/** Exact decimal equality of two decimal strings (trailing zeros irrelevant). */
export function decEq(a: string | undefined, b: string): boolean {
  return a !== undefined && new D(a).equals(new D(b));
}

/** Kinds of venue event, as a runtime list. */
export const VENUE_EVENT_KINDS: VenueEventKind[] = ["ORDER_ACK", "PARTIAL_FILL", "FULL_FILL", "CANCEL_ACK", "CANCEL_REJECT", "ORDER_REJECT", "RATE_LIMITED"];
