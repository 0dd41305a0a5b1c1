/**
 * Live shadow mode against `dita venue serve` on loopback (issue 14 "Done when"; docs/shadow.md).
 * Every server and session is bounded in time and stops by itself; nothing leaves 127.0.0.1.
 *
 * - a random-trader session of DITA_SHADOW_SECONDS (default 60) s: idle drift ≤ 0.01 USDT at every
 *   idle balance check, 0 stuck slots, kernel = exchange positions (also = the venue's own book),
 *   every applicable invariant holding;
 * - one fault session: dropped socket and listenKeyExpired (reconnect + reconcile ≤ 5 s, nothing
 *   lost: kernel fees = venue fees, positions equal), rate-limit storms (no duplicate order, I21),
 *   foreign fills (reported, never booked; shared account, accounting spec §5.1), an unknown event
 *   type (logged, counted, skipped);
 * - same intents, same books: a scripted scenario through `dita run` and through `dita shadow`
 *   against the server with the same seed books the same trades and ledger figures.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Scenario } from "../sim/types.js";
import { runScenario } from "../sim/run.js";
import { Dec } from "../sim/num.js";
import { defaultServeScenario, runShadow, type ShadowRunOptions } from "./command.js";
import { startVenueServer, type VenueServer } from "./venue-server.js";
import { systemClock } from "./system-clock.js";
import { loadKernel } from "../kernel/index.js";
import { replayRows } from "../replay/engine.js";
import { readHistoryArrow } from "../replay/arrow-source.js";

const creds = { apiKey: "shadow-test-key-0001", secretKey: "shadow-test-secret-0001" };
const env = { BINGX_API_KEY: creds.apiKey, BINGX_SECRET_KEY: creds.secretKey };
const SECONDS = Number(process.env.DITA_SHADOW_SECONDS ?? 60);

type Doc = {
  ok: boolean;
  recording: string;
  trades: number;
  submits: number;
  ledger: Record<string, string | number>;
  balanceChecks: { count: number; idle: number; all: { idle: boolean; unexplainedDriftUsdt: string }[] };
  positions: { kernel: Record<string, string>; exchange: Record<string, string> } | null;
  stuckSlots: number[];
  gaps: { reason: string; reconnectMs: number | null; reconcileMs: number | null }[];
  rateLimitHits: number;
  foreignFills: { venueOrderId: string; symbol: string }[];
  unknownEvents: Record<string, number>;
  invariants: { name: string; ok: boolean; status: string; detail: string }[];
  checks: { name: string; ok: boolean; status: string; detail: string }[];
};

function opts(srv: VenueServer, o: Partial<ShadowRunOptions>): ShadowRunOptions {
  return {
    venue: srv.url,
    realMoney: false,
    env,
    seed: 7,
    durationS: 10,
    mode: "random",
    symbols: ["BTC-USDT"],
    intentsPerHour: 3600,
    cancelOnExit: true,
    flattenOnExit: false,
    statusEveryS: 5,
    reportsDir: mkdtempSync(join(tmpdir(), "dita-shadow-")),
    log: () => {},
    ...o,
  };
}

const equalDec = (a: string | undefined, b: string | undefined) => new Dec(a ?? "0").equals(new Dec(b ?? "0"));

function expectPositionsEqual(doc: Doc, venue: Record<string, string>): void {
  expect(doc.positions).not.toBeNull();
  const p = doc.positions as NonNullable<Doc["positions"]>;
  for (const s of Object.keys(p.kernel)) {
    expect(equalDec(p.kernel[s], p.exchange[s]), `${s}: kernel ${p.kernel[s]} vs exchange ${p.exchange[s]}`).toBe(true);
    expect(equalDec(p.kernel[s], venue[s]), `${s}: kernel ${p.kernel[s]} vs the venue's own book ${venue[s]}`).toBe(true);
  }
}

describe(`shadow: ${SECONDS}-second random-trader session on loopback`, () => {
  let srv: VenueServer;
  let doc: Doc;
  beforeAll(async () => {
    srv = await startVenueServer({ port: 0, seed: 11, clock: systemClock, scenario: defaultServeScenario(), credentials: creds, frames: { duplicate: 0.05, delay: { probability: 0.05, maxMs: 300 } } });
    const out = await runShadow(opts(srv, { durationS: SECONDS, symbols: ["BTC-USDT", "FET-USDT"], seed: 11, intentsPerHour: 2400 }));
    doc = out.doc as Doc;
  }, (SECONDS + 60) * 1000);
  afterAll(async () => srv?.close());

  it("traded: orders placed and trades booked", () => {
    expect(doc.submits).toBeGreaterThanOrEqual(5);
    expect(srv.stats.placedOrders.length).toBeGreaterThanOrEqual(5);
    expect(doc.trades).toBeGreaterThanOrEqual(1);
  });
  it("idle drift ≤ 0.01 USDT at every idle balance check (at least 3)", () => {
    const idle = doc.balanceChecks.all.filter((c) => c.idle);
    expect(idle.length).toBeGreaterThanOrEqual(3);
    for (const c of idle) expect(new Dec(c.unexplainedDriftUsdt).lessThanOrEqualTo("0.01"), JSON.stringify(c)).toBe(true);
  });
  it("0 stuck slots at exit", () => {
    expect(doc.stuckSlots).toEqual([]);
  });
  it("kernel positions = exchange positions read at exit = the venue's own book", () => {
    expectPositionsEqual(doc, srv.venue.positions());
  });
  it("every invariant that applies to a live session holds; the others say not-checked", () => {
    for (const i of doc.invariants) expect(i.ok, `${i.name}: ${i.detail}`).toBe(true);
    expect(doc.invariants.filter((i) => i.status === "not-checked").map((i) => i.name).sort()).toEqual(["determinism", "idempotency", "liveness"]);
    for (const c of doc.checks) expect(c.ok, `${c.name}: ${c.detail}`).toBe(true);
    expect(doc.ok).toBe(true);
  });
});

describe("shadow: faults on loopback (L14 listen key, I21 rate limits, spec §5.1 shared account)", () => {
  let srv: VenueServer;
  let doc: Doc;
  beforeAll(async () => {
    srv = await startVenueServer({ port: 0, seed: 5, clock: systemClock, scenario: defaultServeScenario(), credentials: creds, foreignSymbol: "FET-USDT" });
    // Faults are timed from the moment the session is up (kernel load and setup take a variable time).
    const faults = () => {
      const at = (ms: number, f: () => void) => setTimeout(f, ms);
      at(2000, () => srv.fault("drop"));
      at(3000, () => srv.fault("foreign"));
      at(4000, () => srv.fault("snapshot"));
      at(5000, () => srv.fault("storm", 2000));
      at(7500, () => srv.fault("expire"));
      at(9500, () => srv.fault("foreign"));
      at(10500, () => srv.fault("storm", 1500));
    };
    // Flatten at exit: with every position closed, total realized PnL is Σ sells − Σ buys on both sides
    // (per trade it differs in one-way mode, where the venue nets the slots of a symbol into one VWAP).
    const out = await runShadow(opts(srv, { durationS: 14, seed: 5, intentsPerHour: 7200, flattenOnExit: true, log: (l) => l.startsWith("session up") && faults() }));
    doc = out.doc as Doc;
    if (process.env.DITA_SHADOW_DUMP) (await import("node:fs")).writeFileSync(process.env.DITA_SHADOW_DUMP, JSON.stringify(doc, null, 1));
  }, 90_000);
  afterAll(async () => srv?.close());

  it("after a dropped socket and after listenKeyExpired the session reconnects and reconciles within 5 s", () => {
    const reasons = doc.gaps.map((g) => g.reason);
    expect(reasons.some((r) => r.startsWith("closed"))).toBe(true);
    expect(reasons).toContain("listenKeyExpired");
    for (const g of doc.gaps) {
      expect(g.reconnectMs, JSON.stringify(g)).not.toBeNull();
      expect(g.reconcileMs, JSON.stringify(g)).not.toBeNull();
      expect(g.reconcileMs as number).toBeLessThanOrEqual(5000);
    }
  });
  it("nothing is lost across the gaps: flat at exit on both sides, realized PnL equals the venue's (foreign fills excepted)", () => {
    expectPositionsEqual(doc, srv.venue.positions());
    for (const [s, q] of Object.entries(srv.venue.positions())) expect(equalDec(q, "0"), `${s} ${q}`).toBe(true);
    const v = srv.venue.ledger();
    const foreignRp = doc.foreignFills.reduce((a, f) => a.plus((f as { realizedPnlUsdt?: string }).realizedPnlUsdt ?? "0"), new Dec(0));
    const msg = `kernel realized ${doc.ledger["realizedPnlUsdt"]} vs venue ${v.realizedPnlUsdt} − foreign ${foreignRp.toFixed()}; gaps ${JSON.stringify(doc.gaps)}`;
    expect(new Dec(doc.ledger["realizedPnlUsdt"] as string).minus(new Dec(v.realizedPnlUsdt).minus(foreignRp)).abs().lessThanOrEqualTo("0.01"), msg).toBe(true);
    // Every check but idle drift: a fee whose stream frames fell in a gap is lost (the finding
    // tested below), which shows as drift until the next anchor. Drift is judged in the clean session.
    for (const c of doc.checks.filter((x) => x.name !== "shadow: idle drift ≤ 0.01")) expect(c.ok, `${c.name}: ${c.detail}`).toBe(true);
    for (const i of doc.invariants) expect(i.ok, `${i.name}: ${i.detail}`).toBe(true);
  });
  it("a rate-limit storm places no duplicate order (I21): every venue order has its own client order id, each one the kernel's", () => {
    expect(doc.rateLimitHits).toBeGreaterThan(0);
    const placed = srv.stats.placedOrders;
    expect(placed.length).toBeGreaterThan(0);
    expect(new Set(placed).size).toBe(placed.length);
    expect(placed.length).toBeLessThanOrEqual(doc.submits);
  });
  it("a foreign fill is reported as foreign and never booked to a slot", () => {
    const foreignOrders = srv.stats.foreignOrders.length;
    expect(foreignOrders).toBe(4);
    const ids = new Set(doc.foreignFills.map((f) => f.venueOrderId));
    expect(ids.size).toBe(foreignOrders);
    expect(doc.foreignFills.every((f) => f.symbol === "FET-USDT")).toBe(true);
    const check = doc.checks.find((c) => c.name === "shadow: foreign fills never booked");
    expect(check?.ok).toBe(true);
    expect(doc.invariants.find((i) => i.name === "routing")?.ok).toBe(true);
  });
  it("replaying the session's recording (history.arrow: WS_RAW / REST_RAW / typed rows) gives the same ledger and trades, no divergence", async () => {
    const r = await replayRows(await loadKernel(), readHistoryArrow(doc.recording));
    expect(r.divergences, JSON.stringify(r.divergences.slice(0, 3))).toEqual([]);
    expect(r.rows.read).toBeGreaterThan(50);
    for (const f of ["realizedPnlUsdt", "feesPaidUsdt", "fundingUsdt", "capitalUsdt", "tradeSeq"] as const) expect(String(r.ledger[f]), f).toBe(String(doc.ledger[f]));
  });
  it("an unknown event type (SNAPSHOT) is logged, counted and skipped; the session goes on", () => {
    expect(doc.unknownEvents["SNAPSHOT"]).toBe(1);
    expect(doc.checks.find((c) => c.name === "shadow: exit reconcile completed")?.ok).toBe(true);
  });
});

/** The FET round trip (accounting spec §7 case 1) compressed to 10 s, with the default depth walk so the venue's rng matters. */
function scriptedScenario(entryAtS = 2): Scenario {
  const t0 = 1_781_136_000_000_000;
  const points = Array.from({ length: 13 }, (_, k) => ({ tUs: t0 + k * 1_000_000, priceUsdt: k < 5 ? "0.1878" : "0.1866" }));
  return {
    name: "shadow-same-books",
    description: "FET short round trip, 10 s",
    startUs: t0,
    durationUs: 10_000_000,
    livenessBoundUs: 30_000_000,
    contracts: [{ symbol: "FET-USDT", pricePrecision: 4, quantityPrecision: 0, tradeMinQuantity: "1", tradeMinUSDT: "2", takerFeeRate: "0.0005", makerFeeRate: "0.0002", maxLeverage: 50 }],
    initialBalanceUsdt: "100000",
    slotCount: 2,
    leverage: 3,
    prices: [{ kind: "points", symbol: "FET-USDT", points }],
    driver: {
      kind: "scripted",
      intents: [
        { atUs: t0 + entryAtS * 1_000_000, intent: { kind: "ENTER", slotId: 0, tradeId: "fet-1", symbol: "FET-USDT", side: "SHORT", quantity: "202276", orderType: "MARKET", leverage: 3 } },
        { atUs: t0 + 7_000_000, intent: { kind: "EXIT", slotId: 0, orderType: "MARKET" } },
      ],
    },
  };
}

describe("shadow: same intents, same books (dita run vs dita shadow, same seed)", () => {
  it("a scripted scenario books the same trades and ledger figures in the simulator and live against the loopback server", async () => {
    const sc = scriptedScenario();
    const seed = 4;
    const sim = await runScenario(sc, { seed, checkDeterminism: false });
    expect(sim.trades.length).toBe(1);
    const srv = await startVenueServer({ port: 0, seed, clock: systemClock, scenario: sc, credentials: creds, model: { marginAsset: "VST" } });
    try {
      const out = await runShadow(opts(srv, { mode: "scenario", scenario: sc, seed, durationS: 10, symbols: ["FET-USDT"] }));
      const doc = out.doc as Doc & { ledger: Record<string, string | number> };
      expect(doc.ok).toBe(true);
      const shadowTrades = (await import("node:fs")).readFileSync(join((out.doc as { report: string }).report, "summary.json"), "utf8");
      const trades = (JSON.parse(shadowTrades) as { trades: typeof sim.trades }).trades;
      const pick = (t: (typeof sim.trades)[number]) => ({ tradeId: t.tradeId, side: t.side, quantity: t.quantity, exitedQty: t.exitedQty, entryVwap: t.entryVwap, exitVwap: t.exitVwap, realizedGrossUsdt: t.realizedGrossUsdt, feesUsdt: t.feesUsdt, realizedNetUsdt: t.realizedNetUsdt, pnlSource: t.pnlSource, flags: t.flags });
      expect(trades.map(pick)).toEqual(sim.trades.map(pick));
      for (const f of ["realizedPnlUsdt", "feesPaidUsdt", "fundingUsdt", "capitalUsdt", "tradeSeq"] as const) {
        expect(String(doc.ledger[f]), f).toBe(String(sim.ledger[f]));
      }
      // The depth walk drew from the venue's rng: more than one fill price means the rng streams lined up.
      expect(sim.trades[0].entryVwap).not.toBe("0.1878");
    } finally {
      await srv.close();
    }
  }, 60_000);
});

describe("shadow: an entry fee whose stream frames fell in a gap is recovered from the venue's commission (issue 12 class C, I10)", () => {
  it("the REST reply books the entry fill without a fee; the reconcile after the gap confirms the finished order's fee from its commission: kernel fees = venue fees exactly", async () => {
    const sc = scriptedScenario(3);
    const srv = await startVenueServer({ port: 0, seed: 4, clock: systemClock, scenario: sc, credentials: creds });
    try {
      // The socket is dropped 0.5 s before the entry and new sockets are refused for 1 s: the entry's
      // NEW / TRADE / ACCOUNT_UPDATE frames (which carry the fee) are lost; the REST reply is not.
      const log = (l: string) => l.startsWith("session up") && setTimeout(() => srv.fault("drop", 1000), 2500);
      const out = await runShadow(opts(srv, { mode: "scenario", scenario: sc, seed: 4, durationS: 10, symbols: ["FET-USDT"], log }));
      const doc = out.doc as Doc;
      expect(doc.gaps.length).toBeGreaterThanOrEqual(1);
      expectPositionsEqual(doc, srv.venue.positions());
      const venueFees = new Dec(srv.venue.ledger().feesPaidUsdt);
      const kernelFees = new Dec(doc.ledger["feesPaidUsdt"] as string);
      // The entry fee (202276 FET at ≈0.1878 × 0.0005 ≈ 18.99 USDT) came only in the lost frames;
      // before the fee-confirmation fix the kernel booked 18–20 USDT less than the venue charged.
      expect(kernelFees.toFixed(), `kernel fees ${kernelFees.toFixed()} vs venue ${venueFees.toFixed()}`).toBe(venueFees.toFixed());
      expect(kernelFees.greaterThan("18")).toBe(true);
    } finally {
      await srv.close();
    }
  }, 60_000);
});

describe("shadow: account refusals before any order (docs/shadow.md §refusals)", () => {
  it("a balance asset other than VST (real USDT) is refused with a usage error; no order placed", async () => {
    const srv = await startVenueServer({ port: 0, seed: 1, clock: systemClock, scenario: defaultServeScenario(), credentials: creds, model: { marginAsset: "USDT" } });
    try {
      await expect(runShadow(opts(srv, { durationS: 3 }))).rejects.toThrow(/balance asset USDT: not VST/);
      expect(srv.stats.placedOrders).toEqual([]);
    } finally {
      await srv.close();
    }
  }, 30_000);
  it("an account in hedge mode is refused before any order (the kernel sends positionSide BOTH)", async () => {
    const sc = { ...defaultServeScenario(), venue: { hedgeMode: true } };
    const srv = await startVenueServer({ port: 0, seed: 1, clock: systemClock, scenario: sc, credentials: creds });
    try {
      await expect(runShadow(opts(srv, { durationS: 3 }))).rejects.toThrow(/hedge mode/);
      expect(srv.stats.placedOrders).toEqual([]);
    } finally {
      await srv.close();
    }
  }, 30_000);
});

describe("shadow: --observe on an account that already holds a position", () => {
  it("sends no order, anchors capital to the wallet, reports the exchange position; position parity says not-checked", async () => {
    const srv = await startVenueServer({ port: 0, seed: 2, clock: systemClock, scenario: defaultServeScenario(), credentials: creds });
    try {
      await new Promise((r) => setTimeout(r, 700)); // a market tick first
      const { buildQuery } = await import("../venues/bingx/live/rest-client.js");
      const q = buildQuery({ symbol: "BTC-USDT", side: "SELL", positionSide: "BOTH", type: "MARKET", quantity: "0.01", clientOrderId: "someone-else-1", timestamp: String(Math.floor(systemClock.nowUs() / 1000)) }, creds.secretKey, 5000);
      const placed = await fetch(`${srv.url}/openApi/swap/v2/trade/order?${q}`, { method: "POST", headers: { "X-BX-APIKEY": creds.apiKey } });
      expect(JSON.parse(await placed.text()).code).toBe(0);
      const before = srv.stats.placedOrders.length;
      const out = await runShadow(opts(srv, { mode: "observe", durationS: 6, symbols: ["BTC-USDT"] }));
      const doc = out.doc as Doc & { positions: { exchangeAtStart: Record<string, string> } };
      expect(srv.stats.placedOrders.length).toBe(before);
      expect(doc.submits).toBe(0);
      expect(doc.positions.exchangeAtStart["BTC-USDT"]).toBe("-0.01");
      expect(doc.invariants.find((i) => i.name === "position-parity")?.status).toBe("not-checked");
      expect(doc.balanceChecks.idle).toBeGreaterThanOrEqual(1);
      for (const c of doc.balanceChecks.all) expect(new Dec(c.unexplainedDriftUsdt).lessThanOrEqualTo("0.01")).toBe(true);
      const failed = [...doc.invariants, ...doc.checks].filter((i) => !i.ok).map((i) => `${i.name}: ${i.detail}`);
      expect(failed).toEqual([]);
      expect(doc.ok).toBe(true);
    } finally {
      await srv.close();
    }
  }, 40_000);
});
