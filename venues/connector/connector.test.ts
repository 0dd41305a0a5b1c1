/**
 * The venue connector driven as live shadow mode would drive it: a hand-made Clock (a timer
 * list, no simulator), a Transport that carries requests to the mock venue and can lose answers,
 * and a KernelPort that records what the connector feeds. Rules: docs/bingx-protocol.md
 * §retries (same client order id, I11), §listen key; reconcile rounds (E13, F19, I19).
 */
import { describe, expect, it } from "vitest";
import type { ReconcileReport, SlotImage, Stage, VenueCommand } from "../../kernel/types.js";
import type { RestResponse } from "../venue.js";
import { mkVenue, T0 } from "../bingx/test-util.js";
import { REST_TIMEOUT_US, VenueConnector } from "./connector.js";
import type { KernelInput, KernelPort, OutboundCall, Transport } from "./ports.js";
import { TimerClock } from "./test-clock.js";

function setup(loseAnswer: (call: OutboundCall) => boolean, venueOptions: Parameters<typeof mkVenue>[0] = {}) {
  const clock = new TimerClock(T0);
  const venue = mkVenue(venueOptions);
  venue.onMarketTick({ tsUs: T0, symbol: "FET-USDT", priceUsdt: "0.1878" });
  const fed: { what: string; inputs: KernelInput[] }[] = [];
  const reports: { why: string; report: ReconcileReport }[] = [];
  const sent: string[] = [];
  const kernel: KernelPort = {
    feed: (inputs, what) => fed.push({ what, inputs }),
    reconcile: (report, why) => reports.push({ why, report }),
    slotOrders: () => [] as SlotImage[],
    knownStage: () => "IDLE" as Stage,
    refreshSlotOrders: () => {
      throw new Error("no slots in this test");
    },
  };
  let connector: VenueConnector | undefined;
  const transport: Transport = {
    send(call) {
      // 10 ms each way; the request is built when it is written (live behaviour).
      const attempt = call.attempt;
      const req = call.build(clock.nowUs(), `${call.id}.${attempt}`);
      sent.push(`${call.purpose} ${req.method} ${req.path} ${req.params["clientOrderId"] ?? req.params["orderId"] ?? ""}`.trim());
      clock.at(clock.nowUs() + 10_000, () => {
        const resp: RestResponse = venue.handleRest(req, clock.nowUs());
        if (loseAnswer(call)) return;
        clock.at(clock.nowUs() + 10_000, () => connector!.onReply(call.id, attempt, resp));
      });
    },
  };
  const log: unknown[] = [];
  connector = new VenueConnector({ symbols: ["FET-USDT"], slotCount: 1, hedgeMode: false }, clock, transport, kernel, (kind, p) => log.push({ kind, p }));
  return { clock, venue, connector, fed, reports, sent, log };
}

const submit: VenueCommand = {
  kind: "SUBMIT", commandId: "k1", slotId: 0, tradeId: "t1s0", purpose: "ENTRY", clientOrderId: "t1s0-e1", symbol: "FET-USDT", side: "BUY",
  positionSide: "BOTH", orderType: "MARKET", quantity: "100", reduceOnly: false, timeInForce: "GTC",
};

describe("VenueConnector (real timers replaced by a timer list, no simulator)", () => {
  it("I11: a SUBMIT whose answer is lost is retried with the same client order id; the duplicate answer is resolved by an order query", () => {
    let lost = false;
    const { clock, connector, fed, sent } = setup((call) => {
      if (call.purpose === "submit" && !lost) return (lost = true);
      return false;
    });
    connector.dispatch(submit);
    clock.runUntil(T0 + REST_TIMEOUT_US - 1);
    expect(fed).toEqual([]);
    expect(connector.inFlightFor("t1s0-e1")).toBe(true);
    clock.runUntil(T0 + REST_TIMEOUT_US + 1_000_000);
    expect(sent).toEqual([
      "submit POST /openApi/swap/v2/trade/order t1s0-e1",
      "submit POST /openApi/swap/v2/trade/order t1s0-e1",
      "query GET /openApi/swap/v2/trade/order t1s0-e1",
    ]);
    expect(fed.map((f) => f.what)).toEqual(["order query t1s0-e1"]);
    const kinds = fed[0].inputs.map((i) => i.ev.kind);
    expect(kinds).toContain("ORDER_ACK");
    expect(kinds).toContain("FULL_FILL");
    expect(connector.networkIdle()).toBe(true);
  });

  it("docs/accounting.md §Missing prices (spec §5.2, E12): a stream fill without ap gets one order query; its executedQty + avgPrice reach the kernel as the order's cumulative fill", () => {
    const { clock, venue, connector, fed, sent } = setup(() => false, { quirks: { omitWsAvgPrice: 1 } });
    venue.handleRest({ method: "POST", path: "/openApi/user/auth/userDataStream", params: {}, requestId: "lk" }, T0); // a stream to deliver frames on
    connector.dispatch(submit);
    clock.runUntil(T0 + 100_000);
    const frames = venue.drainStream();
    const fills = frames.flatMap((m) => connector.onStreamFrame(m).inputs).filter((i) => i.k === "venue" && (i.ev.kind === "FULL_FILL" || i.ev.kind === "PARTIAL_FILL"));
    expect(fills.length, "the venue emitted no fill frame").toBeGreaterThan(0);
    for (const f of fills) expect((f.ev as { fillPrice?: string }).fillPrice).toBe("0"); // ap lost: unpriced
    // A second frame of the same order while the query is in flight sends no second query.
    for (const m of frames) connector.onStreamFrame(m);
    const vid = (fills[0].ev as { venueOrderId?: string }).venueOrderId!;
    expect(sent.filter((x) => x.startsWith("price"))).toEqual([`price GET /openApi/swap/v2/trade/order ${vid}`]);
    clock.runUntil(T0 + 200_000);
    const priced = fed.find((f) => f.what === `price query ${vid}`);
    expect(priced, `fed: ${fed.map((f) => f.what).join(", ")}`).toBeDefined();
    const ev = priced!.inputs[0].ev;
    expect(ev).toMatchObject({ kind: "FULL_FILL", quantityMode: "CUMULATIVE", fillQty: "100", venueOrderId: vid, clientOrderId: "t1s0-e1" });
    expect(Number((ev as { fillPrice?: string }).fillPrice)).toBeGreaterThan(0);
    expect(connector.networkIdle()).toBe(true);
  });

  it("a reconcile round reads positions, open orders and the balance, then feeds the report and the balance anchor", () => {
    const { clock, connector, fed, reports } = setup(() => false);
    connector.requestReconcile("test");
    connector.requestReconcile("queued behind the first");
    clock.runUntil(T0 + 1_000_000);
    expect(reports.map((r) => r.why)).toEqual(["test", "queued behind the first"]);
    expect(reports[0].report.positions.map((p) => p.symbol)).toEqual(["FET-USDT"]);
    expect(fed.map((f) => f.what)).toEqual(["reconcile balance", "reconcile balance"]);
    expect(fed[0].inputs[0]).toMatchObject({ k: "account", ev: { kind: "BALANCE", walletBalanceUsdt: "100000" } });
  });

  it("answers to requests of an ended session are dropped (the process died), and nothing is retried for it", () => {
    const { clock, connector, fed, sent } = setup(() => false);
    connector.dispatch(submit);
    connector.endSession();
    clock.runUntil(T0 + 10 * REST_TIMEOUT_US);
    expect(fed).toEqual([]);
    expect(sent).toHaveLength(1);
    expect(connector.networkIdle()).toBe(true);
  });

  it("a keepalive answered 404 renews the listen key and reconciles (frames in the gap are lost)", () => {
    const { clock, connector, reports, sent } = setup(() => false);
    connector.adoptListenKey("0".repeat(64)); // a key the venue never issued: the extend answers 404
    connector.startKeepalive(T0);
    clock.runUntil(T0 + 30 * 60_000_000 + 1_000_000);
    expect(sent.slice(0, 2)).toEqual(["lk.extend PUT /openApi/user/auth/userDataStream", "lk.create POST /openApi/user/auth/userDataStream"]);
    expect(connector.streamUp).toBe(true);
    expect(reports.map((r) => r.why)).toEqual(["listen key renewed"]);
  });

  describe("docs/bingx-protocol.md §6 (delayed / reordered frames): a stream wallet balance older than a wallet fact already passed on is not fed (chaos seeds 18319, 17402, 11101)", () => {
    const accountFrame = (tsUs: number, wb: string) => ({
      tsUs,
      body: JSON.stringify({ e: "ACCOUNT_UPDATE", E: Math.floor(tsUs / 1000), T: Math.floor(tsUs / 1000), a: { m: "ORDER", B: [{ a: "USDT", wb, cw: wb, bc: "-1" }], P: [] } }),
    });
    const balances = (inputs: KernelInput[]) => inputs.filter((i) => i.ev.kind === "BALANCE").map((i) => (i.ev as { walletBalanceUsdt: string }).walletBalanceUsdt);

    it("a stream balance emitted before a REST balance read was sent is dropped and traced; one emitted after it is fed", () => {
      const { clock, connector, fed, log } = setup(() => false);
      clock.runUntil(T0 + 100_000);
      const sentUs = clock.nowUs();
      connector.requestReconcile("test");
      clock.runUntil(sentUs + 1_000_000);
      expect(fed.map((f) => f.what)).toEqual(["reconcile balance"]);
      expect(balances(fed[0].inputs)).toEqual(["100000"]);
      // Seed 18319: frame 227 (wb 99436.43, emitted 25 ms before the round's balance read) delivered after it.
      const stale = connector.onStreamFrame(accountFrame(sentUs - 25_000, "99436.4320278"));
      expect(balances(stale.inputs)).toEqual([]);
      expect(log).toContainEqual({ kind: "check", p: expect.objectContaining({ balance: "stale wallet balance: not fed", eventTsUs: sentUs - 25_000, walletAsOfUs: sentUs, walletBalanceUsdt: "99436.4320278" }) });
      // A balance emitted at or after the read's send time may be newer than what it read: fed.
      expect(balances(connector.onStreamFrame(accountFrame(sentUs, "99990")).inputs)).toEqual(["99990"]);
      expect(balances(connector.onStreamFrame(accountFrame(sentUs + 5_000, "99980")).inputs)).toEqual(["99980"]);
    });

    it("a stream balance older than a stream balance already passed on is dropped; one of the same time is fed (times cannot order it)", () => {
      const { connector } = setup(() => false);
      expect(balances(connector.onStreamFrame(accountFrame(T0 + 2_000, "99412.86234149")).inputs)).toEqual(["99412.86234149"]);
      expect(balances(connector.onStreamFrame(accountFrame(T0 + 1_000, "99436.4320278")).inputs)).toEqual([]);
      expect(balances(connector.onStreamFrame(accountFrame(T0 + 2_000, "99400")).inputs)).toEqual(["99400"]);
    });

    it("the watermark is process memory: after endSession a stream balance of any time is fed again", () => {
      const { connector } = setup(() => false);
      connector.onStreamFrame(accountFrame(T0 + 2_000, "99412.86234149"));
      connector.endSession();
      connector.beginSession();
      expect(balances(connector.onStreamFrame(accountFrame(T0 + 1_000, "99436.4320278")).inputs)).toEqual(["99436.4320278"]);
    });
  });
});
