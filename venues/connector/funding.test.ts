/**
 * Funding recovery (issue 12; venues/connector/funding.ts): the connector against the mock venue
 * and the real kernel (built WASM), with a timer-list clock and a stream whose frames the test
 * delivers, holds or drops. Funding is booked from income rows when its frame is lost, and booked
 * exactly once when both copies arrive, in either order, duplicated, or across a restart
 * (docs/bingx-protocol.md §9.1; docs/accounting.md §3.1). Flaw IDs: Flaw 10 / I10
 * (duplicates, also across restarts), I14 (the startup reconcile recovers what died with the process).
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadKernel, type Kernel, type KernelModule } from "../../kernel/index.js";
import type { Outcome, ReconcileReport, SlotImage, Stage } from "../../kernel/types.js";
import type { RestResponse, WsMessage } from "../venue.js";
import { DEFAULT_CONTRACTS, toInstrumentSpec } from "../bingx/contracts.js";
import { Dec } from "../bingx/dec.js";
import type { BingxMockVenue } from "../bingx/mock-venue.js";
import { mkVenue, openKey, place, T0 } from "../bingx/test-util.js";
import { fundingEventId, parseBalanceReply, parseIncomeReply, parseWsMessage, incomeRequest } from "../bingx/adapter.js";
import { VenueConnector } from "./connector.js";
import { FUNDING_PERIOD_US, FUNDING_SETTLE_DELAY_US, INCOME_MIN_SPACING_US, memoryStore } from "./funding.js";
import type { DurableStore, KernelInput, KernelPort, Transport } from "./ports.js";
import { TimerClock } from "./test-clock.js";
import { Wire } from "./wire.js";

const S = 1_000_000;
/** 08:00 UTC of the test day: the funding time every test crosses. */
const G = T0 + FUNDING_PERIOD_US;
const START = G - 600 * S;
const SYMBOLS = ["BTC-USDT", "FET-USDT"];

let km: KernelModule;
beforeAll(async () => {
  km = await loadKernel();
});

interface Rig {
  clock: TimerClock;
  venue: BingxMockVenue;
  connector: VenueConnector;
  kernel: () => Kernel;
  outcomes: { what: string; eventId?: string; o: Outcome }[];
  held: WsMessage[];
  sent: { tUs: number; path: string; params: Record<string, string> }[];
  store: DurableStore;
  /** Stream policy: deliver a frame now, or hold it (the test delivers or drops it later). */
  policy: { deliver: (m: WsMessage) => boolean };
  deliver: (m: WsMessage) => void;
  advance: (tUs: number, stepUs?: number) => void;
  restart: (downUs: number, stepUs?: number) => void;
  funding: () => { kernel: string; venue: string };
}
const rigs: Rig[] = [];
afterEach(() => {
  for (const r of rigs.splice(0)) r.kernel().dispose();
});

/**
 * The connector between the mock venue (positions opened directly at the venue: FET short and,
 * when `btc`, a BTC long of the same notional) and a real kernel seeded from the venue's wallet.
 */
function rig(o: { btc?: boolean; pageLimit?: number; start?: number } = {}): Rig {
  const start = o.start ?? START;
  const clock = new TimerClock(T0 + 1000);
  const venue = mkVenue({ quirks: { omitWalletBalance: 0 } }, "funding-test");
  venue.onMarketTick({ tsUs: T0 + 1000, symbol: "FET-USDT", priceUsdt: "0.2" });
  venue.onMarketTick({ tsUs: T0 + 1000, symbol: "BTC-USDT", priceUsdt: "100000.0" });
  place(venue, T0 + 3000, { symbol: "FET-USDT", side: "SELL", type: "MARKET", quantity: "100000", reduceOnly: "false" });
  if (o.btc) place(venue, T0 + 4000, { symbol: "BTC-USDT", side: "BUY", type: "MARKET", quantity: "0.2", reduceOnly: "false" });
  venue.drainStream();
  clock.runUntil(start);
  const key = openKey(venue, start); // valid for 60 min: the funding time lies 10 min ahead
  const wire = new Wire(false);
  const cfg = { initialCapitalUsdt: "100000", slotCount: 1, instruments: DEFAULT_CONTRACTS.map(toInstrumentSpec) };
  let kernel = km.create(cfg);
  const outcomes: Rig["outcomes"] = [];
  const feedOne = (inp: KernelInput, what: string): void => {
    const o = inp.k === "venue" ? kernel.onVenueEvent(inp.ev) : kernel.onAccountEvent(inp.ev);
    outcomes.push({ what: `${what}: ${inp.ev.kind}`, eventId: inp.ev.eventId, o });
  };
  const port: KernelPort = {
    feed: (inputs, what) => inputs.forEach((i) => feedOne(i, what)),
    reconcile: (report: ReconcileReport) => void kernel.reconcile(report),
    slotOrders: () => [kernel.slot(0)] as SlotImage[],
    knownStage: () => "IDLE" as Stage,
    refreshSlotOrders: () => kernel.slot(0),
  };
  const held: WsMessage[] = [];
  const policy = { deliver: (_m: WsMessage) => true };
  let connector: VenueConnector | undefined;
  const deliver = (m: WsMessage): void => {
    const { inputs } = connector!.onStreamFrame(m);
    port.feed(inputs, "frame");
  };
  let down = false;
  const emit = (frames: WsMessage[]): void => {
    for (const m of frames) if (!down) (policy.deliver(m) ? deliver : (x: WsMessage) => held.push(x))(m); // frames die with a process that is down
  };
  const sent: Rig["sent"] = [];
  const transport: Transport = {
    send(call) {
      const attempt = call.attempt;
      const req = call.build(clock.nowUs(), `${call.id}.${attempt}`);
      sent.push({ tUs: clock.nowUs(), path: req.path, params: req.params });
      clock.at(clock.nowUs() + 10_000, () => {
        const resp: RestResponse = venue.handleRest(req, clock.nowUs());
        emit(venue.drainStream());
        clock.at(clock.nowUs() + 10_000, () => connector!.onReply(call.id, attempt, resp));
      });
    },
  };
  connector = new VenueConnector({ symbols: SYMBOLS, slotCount: 1, hedgeMode: false }, clock, transport, port, () => {});
  connector.adoptListenKey(key);
  // The seed: the venue's wallet read at `start` anchors the kernel; the cursor starts there.
  port.feed([{ k: "account", ev: parseBalanceReply(venue.handleRest(wire.balance(start, "seed"), start), start) }], "seed");
  venue.drainStream(); // frames from before the process connected are never delivered
  const store = memoryStore();
  connector.startFundingRecovery(start, store, o.pageLimit);
  const r: Rig = {
    clock, venue, connector, kernel: () => kernel, outcomes, held, sent, store, policy, deliver,
    /** Run timers to `tUs`, letting the venue advance (funding, its frames) every `stepUs` (1 s). */
    advance: (tUs, stepUs = S) => {
      for (let t = clock.t; t < tUs; ) {
        t = Math.min(tUs, t + stepUs);
        clock.runUntil(t);
        emit(venue.advanceTo(t));
      }
    },
    /** A restart: the kernel's saved state restored into a new kernel after `downUs`, then a new listen key and a reconcile round. */
    restart: (downUs, stepUs) => {
      const saved = kernel.saveState();
      kernel.dispose();
      connector!.endSession();
      down = true;
      r.advance(clock.t + downUs, stepUs);
      down = false;
      kernel = km.create(cfg);
      expect(kernel.restoreState(saved).accepted).toBe(true);
      connector!.beginSession();
      connector!.renewListenKey();
      connector!.requestReconcile("restart");
    },
    funding: () => ({ kernel: kernel.ledger().fundingUsdt, venue: venue.ledger().fundingUsdt }),
  };
  rigs.push(r);
  return r;
}

const fundingOutcomes = (r: Rig) => r.outcomes.filter((x) => x.what.endsWith("FUNDING")).map((x) => `${x.what.split(":")[0]} ${x.o.code}`);
/** The same list with repeats of the last entry collapsed (reconcile rounds after a restart each re-read the row). */
const collapsed = (r: Rig) => fundingOutcomes(r).filter((x, i, a) => i === 0 || x !== a[i - 1]);
const isFundingFrame = (m: WsMessage) => m.body.includes('"m":"FUNDING_FEE"');

describe("funding recovery from the income endpoint (issue 12, connector + mock venue + real kernel)", () => {
  it("issue 12: the funding frame is lost; the sweep after the funding time books the income row exactly, and capital is re-anchored to the wallet", () => {
    const r = rig();
    r.policy.deliver = (m) => !isFundingFrame(m);
    r.advance(G + FUNDING_SETTLE_DELAY_US - S);
    expect(r.venue.ledger().fundingUsdt).toBe("2"); // short 100,000 FET × 0.2 × 0.0001 received
    expect(r.funding().kernel).toBe("0");
    r.advance(G + FUNDING_SETTLE_DELAY_US + S);
    expect(r.funding()).toEqual({ kernel: "2", venue: "2" });
    expect(fundingOutcomes(r)).toEqual(["income funding OK"]);
    expect(r.kernel().ledger().capitalUsdt).toBe(r.venue.ledger().walletBalanceUsdt);
    expect(r.connector.networkIdle()).toBe(true);
  });

  it("Flaw 10: frame first, then the income row: booked once (the row is a DUPLICATE_EVENT of the frame), capital equals the wallet without waiting for another anchor", () => {
    const r = rig();
    r.advance(G + 2 * S);
    expect(r.funding()).toEqual({ kernel: "2", venue: "2" });
    expect(r.kernel().ledger().capitalUsdt).toBe(r.venue.ledger().walletBalanceUsdt); // FUNDING fed before the frame's wb anchor
    r.advance(G + FUNDING_SETTLE_DELAY_US + S);
    expect(r.funding()).toEqual({ kernel: "2", venue: "2" });
    expect(fundingOutcomes(r)).toEqual(["frame OK", "income funding DUPLICATE_EVENT"]);
  });

  it("Flaw 10: income row first, then the frame (held past the sweep) and a duplicate of it: booked once", () => {
    const r = rig();
    r.policy.deliver = (m) => !isFundingFrame(m);
    r.advance(G + FUNDING_SETTLE_DELAY_US + S);
    expect(r.held.length).toBe(1);
    r.deliver(r.held[0]!);
    r.deliver(r.held[0]!);
    expect(r.funding()).toEqual({ kernel: "2", venue: "2" });
    expect(fundingOutcomes(r)).toEqual(["income funding OK", "frame DUPLICATE_EVENT", "frame DUPLICATE_EVENT"]);
  });

  it("I10: booked from income, the process restarts, the late frame and the restart's reconcile sweep are both duplicates (the kernel saved the id; the cursor survived in the store)", () => {
    const r = rig();
    r.policy.deliver = (m) => !isFundingFrame(m);
    r.advance(G + FUNDING_SETTLE_DELAY_US + S);
    const cursor = r.store.read("funding.incomeCursorMs");
    expect(Number(cursor)).toBeGreaterThanOrEqual(G / 1000);
    r.restart(3 * S);
    r.advance(r.clock.t + 5 * S);
    r.deliver(r.held[0]!);
    expect(r.funding()).toEqual({ kernel: "2", venue: "2" });
    expect(collapsed(r)).toEqual(["income funding OK", "income funding DUPLICATE_EVENT", "frame DUPLICATE_EVENT"]);
  });

  it("I14: the process is down across the funding time (frame lost with it); the restart's reconcile round books it from the stored cursor", () => {
    const r = rig();
    r.advance(G - 2 * S);
    r.restart(4 * S); // the frame is emitted while the process is down: lost with it
    expect(r.held.length).toBe(0);
    r.advance(r.clock.t + 5 * S);
    expect(r.funding()).toEqual({ kernel: "2", venue: "2" });
    expect(collapsed(r)).toEqual(["income funding OK", "income funding DUPLICATE_EVENT"]);
    expect(r.kernel().ledger().capitalUsdt).toBe(r.venue.ledger().walletBalanceUsdt);
  });

  it("a payment already in the seed wallet is never booked: the process starts 30 s after 08:00 (frames lost), the 16:00 payment is booked from income, the 08:00 one is not", () => {
    const r = rig({ start: G + 30 * S });
    r.policy.deliver = (m) => !isFundingFrame(m);
    r.advance(G + FUNDING_PERIOD_US + FUNDING_SETTLE_DELAY_US + S);
    expect(r.venue.ledger().fundingUsdt).toBe("4"); // 08:00 and 16:00, 2 each
    expect(r.funding().kernel).toBe("2");
    // Listen-key renewals every hour run reconcile rounds (each with a sweep): one books 16:00, the rest are duplicates.
    expect(fundingOutcomes(r).filter((x) => x.endsWith(" OK"))).toEqual(["income funding OK"]);
    expect(fundingOutcomes(r).every((x) => x.startsWith("income funding"))).toBe(true);
    const first = r.sent.find((x) => x.path === "/openApi/swap/v2/user/income")!;
    expect(Number(first.params["startTime"])).toBe((G + 30 * S) / 1000 + 1);
  });

  it("two payments with the same asset, hour and amount (FET short and BTC long of equal notional, BTC rate −0.0001): the stream books one, the income rows book the second (occurrence #2)", () => {
    const r = rig({ btc: true });
    r.venue.setFundingRate("BTC-USDT", "-0.0001"); // long receives, like the short FET: both +2
    r.advance(G + FUNDING_SETTLE_DELAY_US + S);
    expect(r.venue.ledger().fundingUsdt).toBe("4");
    expect(r.funding()).toEqual({ kernel: "4", venue: "4" });
    expect(fundingOutcomes(r)).toEqual(["frame OK", "frame DUPLICATE_EVENT", "income funding DUPLICATE_EVENT", "income funding OK"]);
    const ids = r.outcomes.filter((x) => x.what.startsWith("income")).map((x) => x.eventId);
    expect(ids).toEqual([fundingEventId("USDT", G / 1000, "2", 1), fundingEventId("USDT", G / 1000, "2", 2)]);
  });

  it("§7: a throttled income read is retried after the venue's unblock time, never skipped; income requests stay ≥ 200 ms apart", () => {
    const r = rig();
    r.policy.deliver = (m) => !isFundingFrame(m);
    r.advance(G + FUNDING_SETTLE_DELAY_US - S);
    r.venue.injectRateLimitStorm(G + FUNDING_SETTLE_DELAY_US + 20 * S);
    r.advance(G + FUNDING_SETTLE_DELAY_US + 10 * S);
    expect(r.funding().kernel).toBe("0");
    expect(r.connector.networkIdle()).toBe(false); // the sweep is still waiting
    r.advance(G + FUNDING_SETTLE_DELAY_US + 30 * S);
    expect(r.funding()).toEqual({ kernel: "2", venue: "2" });
    const income = r.sent.filter((s) => s.path === "/openApi/swap/v2/user/income");
    expect(income.length).toBeGreaterThan(1);
    for (let i = 1; i < income.length; i++) expect(income[i]!.tUs - income[i - 1]!.tUs).toBeGreaterThanOrEqual(INCOME_MIN_SPACING_US);
    expect(income.every((s) => s.params["incomeType"] === "FUNDING_FEE")).toBe(true);
  });

  it("paging and windows: a process down for 30 days (90 funding times) is recovered by its restart's reconcile round, page by page (limit 2), each window ≤ 7 days, pages ≥ 200 ms apart, every payment once", () => {
    const r = rig({ pageLimit: 2 });
    r.advance(G - 2 * S);
    r.restart(30 * 24 * 3600 * S - 4 * 3600 * S, 60 * S);
    const venue = new Dec(r.venue.ledger().fundingUsdt);
    expect(venue.greaterThan(0)).toBe(true);
    r.advance(r.clock.t + 120 * S);
    expect(r.funding()).toEqual({ kernel: venue.toFixed(), venue: venue.toFixed() });
    const incomeCount = r.outcomes.filter((x) => x.what.startsWith("income") && x.o.code === "OK").length;
    expect(incomeCount).toBe(90);
    const income = r.sent.filter((s) => s.path === "/openApi/swap/v2/user/income");
    const spans = income.map((s) => Number(s.params["endTime"]) - Number(s.params["startTime"]));
    expect(Math.max(...spans)).toBeLessThan(7 * 24 * 3600 * 1000);
    expect(income.every((s) => s.params["limit"] === "2")).toBe(true);
    for (let i = 1; i < income.length; i++) expect(income[i]!.tUs - income[i - 1]!.tUs).toBeGreaterThanOrEqual(INCOME_MIN_SPACING_US);
  });

  it("the stream frame and the income row of one payment get the same eventId (adapter, from the mock venue's own payloads)", () => {
    const v = mkVenue({ quirks: { omitWalletBalance: 0 } }, "funding-id");
    v.onMarketTick({ tsUs: T0 + 1000, symbol: "FET-USDT", priceUsdt: "0.2" });
    place(v, T0 + 3000, { symbol: "FET-USDT", side: "SELL", type: "MARKET", quantity: "12345", reduceOnly: "false" });
    openKey(v, G - 60 * S);
    v.drainStream();
    const frames = v.advanceTo(G + 5 * S).filter(isFundingFrame);
    expect(frames.length).toBe(1);
    const fromFrame = parseWsMessage(frames[0]!).accountEvents.filter((e) => e.kind === "FUNDING");
    const fromIncome = parseIncomeReply(v.handleRest(incomeRequest({ nowUs: G + 6 * S, requestId: "i" }, { incomeType: "FUNDING_FEE" }), G + 6 * S), G + 6 * S).funding;
    expect(fromFrame.map((e) => e.eventId)).toEqual(fromIncome.map((e) => e.eventId));
    expect(fromFrame.map((e) => e.kind === "FUNDING" && e.amountUsdt)).toEqual(fromIncome.map((e) => e.kind === "FUNDING" && e.amountUsdt));
  });
});
