/**
 * The replay engine (docs/history-schema.md "What each kind does to the kernel"): feeds history
 * rows, in `(ts_us, seq)` order, through the same kernel (kernel/index.ts) and the same BingX wire
 * adapter (venues/bingx/adapter.ts, for WS_RAW / REST_RAW) as the simulator, and compares what
 * production recorded with what the kernel does:
 * - an INTENT's recorded order against the kernel's command → COMMAND_DIVERGENCE;
 * - BOOKED rows (production's booked figures) against the kernel's books → BOOKED_MISMATCH;
 * - POSITION rows against the kernel's open size → POSITION_MISMATCH;
 * - BALANCE rows: the drift of the kernel's capital against the exchange wallet (reported).
 * BOOKED / POSITION are compared, never fed. Bad rows → HistoryError (exit 2); duplicates are
 * counted and dropped (replay/order.ts).
 */
import type { Kernel, KernelModule } from "../kernel/index.js";
import type { Anomaly, KernelConfig, LedgerSnapshot, Outcome, VenueCommand, VenueEvent, AccountEvent } from "../kernel/types.js";
import { AdapterError, PATHS, parseBalanceReply, parseCommandResponse, parseWsMessage } from "../venues/bingx/adapter.js";
import { Dec } from "../sim/num.js";
import { decodeRow, type Decoded, type RecordedOrder, type WindowStart } from "./decode.js";
import { RowOrder } from "./order.js";
import { HistoryError, canonicalDecimal, type HistoryRow } from "./schema.js";

/** A place where production's record and the kernel part. */
export interface Divergence {
  kind: "COMMAND_DIVERGENCE" | "BOOKED_MISMATCH" | "POSITION_MISMATCH";
  seq: number;
  tsUs: number;
  detail: string;
  tradeId?: string;
  legIndex?: number;
  recorded?: string;
  kernel?: string;
}

/** One exit leg: production's booked figure vs the kernel's vs the exchange's (USDT). */
export interface ReplayLeg {
  legIndex: number;
  quantity: string;
  bookedUsdt: string | null;
  kernelUsdt: string;
  exchangeUsdt: string | null;
  feesUsdt: string;
  realizedSkippedNoPrice: boolean;
  /** The kernel's figure for this leg when the BOOKED row was read (before later repairs). */
  kernelAtBookedRowUsdt: string | null;
  note: string | null;
}

/** One trade: booked vs kernel vs exchange, per trade and per leg. */
export interface ReplayTrade {
  tradeId: string;
  symbol: string;
  side: string;
  closed: boolean;
  bookedUsdt: string | null;
  kernelUsdt: string;
  kernelEstimateUsdt: string;
  exchangeUsdt: string | null;
  feesUsdt: string;
  /** kernel gross − fees (what a sizer learns from, spec §5.1). */
  realizedNetUsdt: string;
  entryVwap: string;
  exitVwap: string;
  quantity: string;
  exitedQty: string;
  bookedFeesUsdt: string | null;
  pnlSource: string;
  flags: string[];
  legs: ReplayLeg[];
}

/** One BALANCE row: the kernel's capital before it vs the exchange wallet it reports. */
export interface BalancePoint {
  seq: number;
  tsUs: number;
  walletUsdt: string | null;
  kernelCapitalBeforeUsdt: string;
  kernelCapitalAfterUsdt: string;
  /** kernel capital before − wallet; null when the row carries no wallet. */
  driftUsdt: string | null;
  code: string;
}

/** What a replay produces (the `dita replay --json` document without `report`). */
export interface ReplayResult {
  ok: boolean;
  runId: string;
  rows: { read: number; fed: number; compared: number; duplicates: number; kernelInputs: number };
  codes: Record<string, number>;
  trades: ReplayTrade[];
  ledger: LedgerSnapshot;
  anomalies: Anomaly[];
  divergences: Divergence[];
  balances: BalancePoint[];
}

interface BookedRow {
  seq: number;
  tsUs: number;
  realizedUsdt: string;
  feeUsdt?: string;
  note?: string;
  kernelAtRow: string | null;
}

/** Kernel commands remembered for REST_RAW replies (by client order id), bounded. */
const COMMAND_MEMORY = 20_000;

const canon = (s: string): string => canonicalDecimal(s, undefined, "kernel output");

/** Feeds rows to the kernel; `finish()` returns the result. One Replayer per replay. */
export class Replayer {
  readonly #mod: KernelModule;
  #kernel: Kernel | undefined;
  #config: KernelConfig | undefined;
  #start: WindowStart | undefined;
  #firstFed = true;
  readonly #order = new RowOrder();
  readonly #codes: Record<string, number> = {};
  readonly #divergences: Divergence[] = [];
  readonly #balances: BalancePoint[] = [];
  readonly #booked = new Map<string, { trade?: BookedRow; legs: Map<number, BookedRow> }>();
  readonly #commands = new Map<string, VenueCommand>();
  #read = 0;
  #fed = 0;
  #compared = 0;
  #inputs = 0;

  constructor(mod: KernelModule) {
    this.#mod = mod;
  }

  /** Rows read so far (for progress bars). */
  get rowsRead(): number {
    return this.#read;
  }

  /**
   * Apply one row. @throws HistoryError (bad row, window not starting as declared, a reply or
   * frame the adapter refuses).
   */
  push(row: HistoryRow): void {
    this.#read++;
    if (!this.#order.accept(row)) return;
    const d = decodeRow(row);
    if (this.#kernel === undefined) {
      if (d.t !== "config") throw new HistoryError(row.seq, "kind", `the first row must be CONFIG (the kernel configuration and how the window starts), got ${row.kind}`);
      this.#config = d.config;
      this.#start = d.start;
      this.#kernel = this.#mod.create(d.config);
      return;
    }
    if (d.t === "config") throw new HistoryError(row.seq, "kind", "a second CONFIG row: one replay is one window of one run");
    if (d.t === "booked" || d.t === "position") {
      this.#compared++;
      if (d.t === "booked") this.#noteBooked(row, d);
      else this.#checkPosition(row, d);
      return;
    }
    this.#checkWindowStart(row, d);
    this.#fed++;
    this.#feed(row, d);
  }

  #checkWindowStart(row: HistoryRow, d: Decoded): void {
    if (!this.#firstFed) return;
    this.#firstFed = false;
    if (this.#start === "restore" && !(d.t === "restart" && d.state !== undefined)) {
      throw new HistoryError(row.seq, "kind", `CONFIG says the window starts from a saved state: the first fed row must be RESTART with payload.state, got ${row.kind}`);
    }
    if (this.#start === "reconcile" && d.t !== "reconcile") {
      throw new HistoryError(row.seq, "kind", `CONFIG says the window starts from a RECONCILE row: the first fed row must be RECONCILE, got ${row.kind}`);
    }
  }

  #count(out: Outcome): Outcome {
    this.#inputs++;
    this.#codes[out.code] = (this.#codes[out.code] ?? 0) + 1;
    return out;
  }

  #venue(ev: VenueEvent): void {
    this.#count(this.#kernel!.onVenueEvent(ev));
  }

  #account(ev: AccountEvent): void {
    this.#count(this.#kernel!.onAccountEvent(ev));
  }

  #feed(row: HistoryRow, d: Decoded): void {
    const k = this.#kernel!;
    switch (d.t) {
      case "intent": {
        const out = this.#count(k.processIntent(d.intent));
        for (const c of out.commands) this.#remember(c);
        this.#checkCommand(row, d.recorded, out);
        return;
      }
      case "venue":
        return this.#venue(d.ev);
      case "account":
        if (d.ev.kind === "BALANCE") return this.#balance(row, d.ev.walletBalanceUsdt, () => k.onAccountEvent(d.ev));
        return this.#account(d.ev);
      case "anchor":
        return this.#balance(row, d.walletUsdt, () => k.anchorToExchange(d.walletUsdt, d.availableUsdt, d.eventSeq));
      case "mark":
        this.#count(k.markPrice(d.mark));
        return;
      case "restart":
        return this.#restart(row, d.state);
      case "reconcile":
        this.#count(k.reconcile(d.report));
        return;
      case "ws":
        return this.#ws(row, d.tsUs, d.body);
      case "rest":
        return this.#rest(row, d);
      default:
        throw new HistoryError(row.seq, "kind", `kind ${row.kind} is not fed`);
    }
  }

  #remember(c: VenueCommand): void {
    this.#commands.delete(c.clientOrderId);
    this.#commands.set(c.clientOrderId, c);
    if (this.#commands.size > COMMAND_MEMORY) this.#commands.delete(this.#commands.keys().next().value as string);
  }

  /** A replayed SUBMIT / CANCEL against the order production recorded for the intent. */
  #checkCommand(row: HistoryRow, rec: RecordedOrder | null, out: Outcome): void {
    const cmd = out.commands[0];
    const div = (detail: string, recorded?: string, kernel?: string): void => {
      this.#divergences.push({ kind: "COMMAND_DIVERGENCE", seq: row.seq, tsUs: row.ts_us, detail, ...(recorded === undefined ? {} : { recorded }), ...(kernel === undefined ? {} : { kernel }) });
    };
    if (out.commands.length > 1) div(`intent ${row.intent_id}: the kernel sent ${out.commands.length} commands; an intent sends at most one`);
    if (rec === null) {
      if (cmd) div(`intent ${row.intent_id}: the kernel sent ${cmd.kind} ${cmd.clientOrderId}; no order was recorded`, "(none)", `${cmd.kind} ${cmd.clientOrderId}`);
      return;
    }
    if (!cmd) {
      div(`intent ${row.intent_id}: an order was recorded (${rec.clientOrderId ?? "?"}) but the kernel sent nothing (${out.code})`, rec.clientOrderId ?? "(order)", `(none: ${out.code})`);
      return;
    }
    const diffs: string[] = [];
    const cmp = (field: string, recorded: string | null, kernel: string | undefined): void => {
      if (recorded === null) return;
      if (recorded !== (kernel ?? null)) diffs.push(`${field} recorded ${recorded}, kernel ${kernel ?? "(none)"}`);
    };
    cmp("clientOrderId", rec.clientOrderId, cmd.clientOrderId);
    if (cmd.kind === "SUBMIT") {
      cmp("side", rec.side, cmd.side);
      cmp("orderType", rec.orderType, cmd.orderType);
      cmp("quantity", rec.qty, canon(cmd.quantity));
      cmp("limitPrice", rec.limitPrice, cmd.limitPrice === undefined ? undefined : canon(cmd.limitPrice));
    } else if (rec.side !== null || rec.qty !== null || rec.orderType !== null) {
      diffs.push(`recorded a SUBMIT (${rec.side ?? ""} ${rec.qty ?? ""}), kernel sent CANCEL`);
    }
    if (diffs.length) div(`intent ${row.intent_id}: ${diffs.join("; ")}`, rec.clientOrderId ?? undefined, cmd.clientOrderId);
  }

  #balance(row: HistoryRow, wallet: string | undefined, call: () => Outcome): void {
    const before = this.#kernel!.ledger().capitalUsdt;
    const out = this.#count(call());
    const after = this.#kernel!.ledger().capitalUsdt;
    this.#balances.push({
      seq: row.seq,
      tsUs: row.ts_us,
      walletUsdt: wallet ?? null,
      kernelCapitalBeforeUsdt: canon(before),
      kernelCapitalAfterUsdt: canon(after),
      driftUsdt: wallet === undefined ? null : canon(new Dec(before).minus(new Dec(wallet)).toFixed()),
      code: out.code,
    });
  }

  #restart(row: HistoryRow, state: string | undefined): void {
    const saved = state ?? this.#kernel!.saveState();
    this.#kernel!.dispose();
    this.#kernel = this.#mod.create(this.#config!);
    const out = this.#count(this.#kernel.restoreState(saved));
    if (!out.accepted) throw new HistoryError(row.seq, "payload", `restoreState refused the ${state === undefined ? "replayed kernel's own" : "recorded"} state: ${out.code} ${out.message}`);
  }

  #ws(row: HistoryRow, tsUs: number, body: string): void {
    let parsed: ReturnType<typeof parseWsMessage>;
    try {
      parsed = parseWsMessage({ tsUs, body });
    } catch (e) {
      if (e instanceof AdapterError) throw new HistoryError(row.seq, "payload", e.message);
      throw e;
    }
    for (const ev of parsed.venueEvents) this.#venue(ev);
    for (const ev of parsed.accountEvents) this.#account(ev);
  }

  #rest(row: HistoryRow, d: Extract<Decoded, { t: "rest" }>): void {
    const res = { requestId: `history-${row.seq}`, httpStatus: d.httpStatus, body: d.body };
    try {
      if (d.path === PATHS.order && (d.method === "POST" || d.method === "DELETE" || d.method === "GET")) {
        const coid = d.params["clientOrderID"] ?? d.params["clientOrderId"];
        const cmd = coid === undefined ? undefined : this.#commands.get(coid);
        if (cmd === undefined) throw new HistoryError(row.seq, "payload", `REST_RAW reply for client order id ${coid ?? "(none in params)"}, which no replayed command sent`);
        for (const ev of parseCommandResponse(cmd, res, d.tsUs)) this.#venue(ev);
        return;
      }
      if (d.path === PATHS.balanceV2 || d.path === PATHS.balanceV3) {
        const ev = parseBalanceReply(res, d.tsUs);
        this.#balance(row, ev.kind === "BALANCE" ? ev.walletBalanceUsdt : undefined, () => this.#kernel!.onAccountEvent(ev));
        return;
      }
    } catch (e) {
      if (e instanceof AdapterError) throw new HistoryError(row.seq, "payload", e.message);
      throw e;
    }
    throw new HistoryError(row.seq, "payload", `REST_RAW path ${d.method} ${d.path} is not replayed (order replies and balance reads are; reconcile reads come as RECONCILE rows)`);
  }

  #noteBooked(row: HistoryRow, d: Extract<Decoded, { t: "booked" }>): void {
    const e = this.#booked.get(d.tradeId) ?? { legs: new Map<number, BookedRow>() };
    this.#booked.set(d.tradeId, e);
    const now = this.#kernelFigure(d.tradeId, d.legIndex);
    const b: BookedRow = { seq: row.seq, tsUs: row.ts_us, realizedUsdt: d.realizedUsdt, feeUsdt: d.feeUsdt, note: d.note, kernelAtRow: now };
    if (d.legIndex === undefined) e.trade = b;
    else e.legs.set(d.legIndex, b);
  }

  #kernelFigure(tradeId: string, legIndex: number | undefined): string | null {
    const t = this.#kernel!.trades().find((x) => x.tradeId === tradeId);
    if (!t) return null;
    if (legIndex === undefined) return canon(t.realizedGrossUsdt);
    const leg = t.legs.find((l) => l.legIndex === legIndex);
    return leg ? canon(leg.realizedPnlUsdt) : null;
  }

  #checkPosition(row: HistoryRow, d: Extract<Decoded, { t: "position" }>): void {
    let net = new Dec(0);
    const k = this.#kernel!;
    const slots = k.snapshot().slots;
    for (const s of slots) {
      if (s.symbol !== d.symbol || s.side === undefined) continue;
      const size = new Dec(s.sizeQty);
      net = s.side === "LONG" ? net.plus(size) : net.minus(size);
    }
    const recorded = d.side === "SHORT" ? new Dec(d.qty).neg() : new Dec(d.qty);
    if (!net.eq(recorded)) {
      this.#divergences.push({
        kind: "POSITION_MISMATCH",
        seq: row.seq,
        tsUs: row.ts_us,
        detail: `${d.symbol}: recorded ${d.side ?? "flat"} ${d.qty}, kernel net ${net.toFixed()}`,
        recorded: recorded.toFixed(),
        kernel: net.toFixed(),
      });
    }
  }

  /** End the replay: compare the BOOKED rows with the kernel's final books; dispose the kernel. */
  finish(): ReplayResult {
    if (this.#kernel === undefined) throw new HistoryError(undefined, "kind", "the history has no rows (a CONFIG row must come first)");
    const k = this.#kernel;
    try {
      const snap = k.snapshot();
      const trades = snap.trades.map((t): ReplayTrade => {
        const b = this.#booked.get(t.tradeId);
        return {
          tradeId: t.tradeId,
          symbol: t.symbol,
          side: t.side,
          closed: t.closed,
          bookedUsdt: b?.trade?.realizedUsdt ?? null,
          kernelUsdt: canon(t.realizedGrossUsdt),
          kernelEstimateUsdt: canon(t.kernelEstimateUsdt),
          exchangeUsdt: t.exchangeRealizedUsdt === undefined ? null : canon(t.exchangeRealizedUsdt),
          feesUsdt: canon(t.feesUsdt),
          realizedNetUsdt: canon(t.realizedNetUsdt),
          entryVwap: canon(t.entryVwap),
          exitVwap: canon(t.exitVwap),
          quantity: canon(t.quantity),
          exitedQty: canon(t.exitedQty),
          bookedFeesUsdt: b?.trade?.feeUsdt ?? null,
          pnlSource: t.pnlSource,
          flags: [...t.flags].sort(),
          legs: t.legs.map((l) => {
            const bl = b?.legs.get(l.legIndex);
            return {
              legIndex: l.legIndex,
              quantity: canon(l.quantity),
              bookedUsdt: bl?.realizedUsdt ?? null,
              kernelUsdt: canon(l.realizedPnlUsdt),
              exchangeUsdt: l.exchangeRealizedPnlUsdt === undefined ? null : canon(l.exchangeRealizedPnlUsdt),
              feesUsdt: canon(l.feesUsdt),
              realizedSkippedNoPrice: l.realizedSkippedNoPrice,
              kernelAtBookedRowUsdt: bl?.kernelAtRow ?? null,
              note: bl?.note ?? null,
            };
          }),
        };
      });
      this.#compareBooked(trades);
      return {
        ok: this.#divergences.length === 0,
        runId: "",
        rows: { read: this.#read, fed: this.#fed, compared: this.#compared, duplicates: this.#order.duplicates, kernelInputs: this.#inputs },
        codes: Object.fromEntries(Object.entries(this.#codes).sort(([a], [b]) => (a < b ? -1 : 1))),
        trades,
        ledger: snap.ledger,
        anomalies: snap.anomalies,
        divergences: this.#divergences,
        balances: this.#balances,
      };
    } finally {
      k.dispose();
    }
  }

  #compareBooked(trades: ReplayTrade[]): void {
    for (const [tradeId, b] of this.#booked) {
      const t = trades.find((x) => x.tradeId === tradeId);
      const rows = [...(b.trade ? [{ leg: undefined, r: b.trade }] : []), ...[...b.legs].map(([leg, r]) => ({ leg, r }))];
      for (const { leg, r } of rows) {
        const kernel = t === undefined ? undefined : leg === undefined ? t.kernelUsdt : t.legs.find((l) => l.legIndex === leg)?.kernelUsdt;
        const what = `trade ${tradeId}${leg === undefined ? "" : ` leg ${leg}`}`;
        if (kernel === undefined) {
          this.#divergences.push({ kind: "BOOKED_MISMATCH", seq: r.seq, tsUs: r.tsUs, tradeId, ...(leg === undefined ? {} : { legIndex: leg }), detail: `${what}: production booked ${r.realizedUsdt}; the kernel has no such ${leg === undefined ? "trade" : "leg"}`, recorded: r.realizedUsdt });
        } else if (kernel !== r.realizedUsdt) {
          this.#divergences.push({ kind: "BOOKED_MISMATCH", seq: r.seq, tsUs: r.tsUs, tradeId, ...(leg === undefined ? {} : { legIndex: leg }), detail: `${what}: production booked ${r.realizedUsdt}, the kernel books ${kernel}`, recorded: r.realizedUsdt, kernel });
        }
        const kernelFee = t === undefined ? undefined : leg === undefined ? t.feesUsdt : t.legs.find((l) => l.legIndex === leg)?.feesUsdt;
        if (r.feeUsdt !== undefined && kernelFee !== undefined && kernelFee !== r.feeUsdt) {
          this.#divergences.push({ kind: "BOOKED_MISMATCH", seq: r.seq, tsUs: r.tsUs, tradeId, ...(leg === undefined ? {} : { legIndex: leg }), detail: `${what}: production booked fees ${r.feeUsdt}, the kernel books ${kernelFee}`, recorded: r.feeUsdt, kernel: kernelFee });
        }
      }
    }
    this.#divergences.sort((a, b) => a.seq - b.seq);
  }
}

/**
 * Replay every row of `batches` (an engine's row stream) through a new Replayer.
 * @param onProgress called after each batch with the rows read so far.
 * @throws HistoryError for bad history (exit 2).
 */
export async function replayRows(mod: KernelModule, batches: AsyncIterable<Iterable<HistoryRow>> | Iterable<Iterable<HistoryRow>>, onProgress?: (rowsRead: number) => void): Promise<ReplayResult> {
  const r = new Replayer(mod);
  let runId = "";
  for await (const batch of batches) {
    for (const row of batch) {
      if (runId === "") runId = row.run_id;
      r.push(row);
    }
    onProgress?.(r.rowsRead);
  }
  const res = r.finish();
  res.runId = runId;
  return res;
}
