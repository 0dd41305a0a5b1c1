/**
 * Input fuzzing of the WASM kernel boundary (kernel/types.ts header; G2, G5-G7, G26, F3, F14, A8,
 * H6, J3, L1, P2, P4, Q2, Q5, Q7, Q8): fast-check corrupts exactly one field of an otherwise valid
 * intent, venue event, mark price, account event, restore image or reconcile report — NaN, ±Inf,
 * 1e300, negatives, zero, empty / NUL / very long strings, wrong JSON types, unknown enum values,
 * unknown fields, missing fields, broken JSON — and checks that the kernel
 *   1. never traps or throws across the boundary,
 *   2. refuses with the diagnostic the contract names (INVALID_INTENT / INVALID_EVENT /
 *      INVALID_STATE / ANCHOR_REJECTED ...) and `details.field` naming the corrupted field,
 *   3. leaves its state unchanged (snapshot before == after).
 * Replay: the failure report prints seed and path; DITA_FUZZ_SEED / DITA_FUZZ_PATH replay it,
 * DITA_FUZZ_RUNS sets the budget (default 300 per property).
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Outcome } from "../kernel/types.js";
import { loadRawKernel } from "../kernel/raw-abi.js";
import { KernelDriver, config, kernelModule, submitOf, type Submit } from "./kernel-harness.js";

const RUNS = Number(process.env.DITA_FUZZ_RUNS ?? 300);
/** Fixed default seed so the CI gate is reproducible; DITA_FUZZ_SEED explores / replays others. */
const SEED = process.env.DITA_FUZZ_SEED ? Number(process.env.DITA_FUZZ_SEED) : 20260611;
const PATH = process.env.DITA_FUZZ_PATH;
const params = { numRuns: RUNS, seed: SEED, ...(PATH ? { path: PATH } : {}) };

const LONG = "x".repeat(10_000);
const NUL = "a\u0000b";
/** Decimal-string corruptions that no field may accept. */
const BAD_DECIMALS: unknown[] = ["NaN", "Infinity", "-Infinity", "1e300", "1E5", "", "abc", "0x10", " 1", "1,5", NUL, LONG, Number.NaN, Number.POSITIVE_INFINITY, 5, null, true, {}, []];
/** Positive-decimal corruptions (sizes, prices): the above plus zero, negatives and absurd magnitudes. */
const BAD_POSITIVE: unknown[] = [...BAD_DECIMALS, "0", "-5", "-0.0001", "10000000000000000", "1000000000000000.1"];
const BAD_ID: unknown[] = ["", NUL, 5, null, true, {}, []];
const BAD_TS: unknown[] = [-1, 1.5, "5", Number.NaN, Number.POSITIVE_INFINITY, 1e300, null];

interface Corruption {
  field: string;
  value: unknown;
  /** "delete" removes the field; "add" adds an unknown field. */
  op: "set" | "delete" | "add";
}
/** True when JSON.stringify turns the value into null (null, NaN, ±Infinity). */
function jsonNull(v: unknown): boolean {
  return v === null || (typeof v === "number" && !Number.isFinite(v));
}
/**
 * Corruptions of one field each. Values that serialise to JSON null on an optional field are left
 * out here (they read as "absent" across the JSON boundary) and tested on their own below.
 */
function corruptions(fields: Record<string, unknown[]>, required: string[]): fc.Arbitrary<Corruption> {
  const sets = Object.entries(fields).map(([field, values]) => {
    const kept = required.includes(field) ? values : values.filter((v) => !jsonNull(v));
    return fc.constantFrom(...kept).map((value): Corruption => ({ field, value, op: "set" }));
  });
  const deletes = required.map((field) => fc.constant<Corruption>({ field, value: undefined, op: "delete" }));
  const known = new Set([...Object.keys(fields), ...required, "kind"]);
  const adds = fc
    .string({ minLength: 1, maxLength: 12 })
    .filter((k) => !known.has(k) && !k.startsWith("__") && k !== "constructor")
    .map((field): Corruption => ({ field, value: 1, op: "add" }));
  return fc.oneof(...sets, ...deletes, adds);
}
function apply(base: Record<string, unknown>, c: Corruption): Record<string, unknown> {
  const out = { ...base };
  if (c.op === "delete") delete out[c.field];
  else out[c.field] = c.value;
  return out;
}
function show(c: Corruption): string {
  const v = typeof c.value === "string" && c.value.length > 40 ? `${c.value.slice(0, 20)}…(${c.value.length})` : JSON.stringify(c.value);
  return `${c.op} ${c.field}=${v}`;
}
/** The refusal contract: not accepted, one of `codes`, details.field names the field, no commands. */
function refusedNaming(o: Outcome, codes: string[], c: Corruption): void {
  expect(o.accepted, `${show(c)} was accepted (${o.code})`).toBe(false);
  expect(codes, `${show(c)} → ${o.code} ${o.message}`).toContain(o.code);
  expect(o.commands).toEqual([]);
  if (o.code.startsWith("INVALID_")) {
    const f = String(o.details.field ?? "");
    expect(f.startsWith(c.field) || c.field.startsWith(f) && f.length > 0, `${show(c)}: details.field=${f} should name ${c.field} (${o.message})`).toBe(true);
  }
}
/** Call the kernel; a throw or trap fails the property with the corruption shown. */
function call(c: Corruption, f: () => Outcome): Outcome {
  try {
    return f();
  } catch (err) {
    throw new Error(`${show(c)} made the kernel throw: ${(err as Error).message}`);
  }
}

beforeAll(async () => {
  await kernelModule();
});

describe("fuzz: malformed inputs are refused naming the field, never trap, change nothing", () => {
  it("G7 / F3 / A8 / Q2 / Q7 / Q8 / H6 / G2 / G17 / J3 / Q5: corrupted ENTER intents → INVALID_INTENT naming the field", async () => {
    const d = await KernelDriver.create();
    d.open(1, "live-1", "SHORT", "1000", "0.1878");
    const base = { kind: "ENTER", intentId: "fz-1", tsUs: d.tUs + 1000, slotId: 0, tradeId: "fz-trade", symbol: "FET-USDT", side: "LONG", quantity: "1000", orderType: "LIMIT", limitPrice: "0.1850", timeInForce: "GTC", leverage: 3, exitLegRatios: ["0.5", "0.5"] };
    const arb = corruptions(
      {
        intentId: BAD_ID,
        tsUs: BAD_TS,
        slotId: [-1, 1.5, "0", null, 1e9, Number.NaN],
        tradeId: [...BAD_ID, "a".repeat(25), "has space", "x/y", LONG],
        symbol: ["", NUL, "NOPE-USDT", "fet-usdt", 5, null, LONG],
        side: ["UP", "", "long", 1, null],
        quantity: BAD_POSITIVE,
        orderType: ["STOP", "", "limit", 1, null],
        limitPrice: BAD_POSITIVE,
        timeInForce: ["GTD", "", 5, "gtc"],
        leverage: [0, -1, 1.5, 1e300, Number.NaN, Number.POSITIVE_INFINITY, "3", null, 126],
        exitLegRatios: [["0.6", "0.6"], ["0"], ["NaN"], "1", [1], ["-0.5", "1.5"], [NUL], null],
      },
      ["intentId", "tsUs", "slotId", "tradeId", "symbol", "side", "quantity", "orderType", "leverage"],
    );
    fc.assert(
      fc.property(arb, (c) => {
        const before = d.state();
        const o = call(c, () => d.k.processIntent(apply(base, c) as never));
        refusedNaming(o, c.field === "slotId" ? ["INVALID_INTENT", "INVALID_SLOT"] : ["INVALID_INTENT"], c);
        expect(d.state(), `${show(c)} changed the state`).toBe(before);
      }),
      params,
    );
    const ok = d.k.processIntent(base as never);
    expect(ok.accepted, `the uncorrupted base intent is valid (${ok.code} ${ok.message})`).toBe(true);
  });

  it("F14 / Q2 / H6: corrupted EXIT / EXIT_RESIDUAL / CANCEL intents → INVALID_INTENT naming the field", async () => {
    const d = await KernelDriver.create();
    d.open(0, "live-0", "SHORT", "1000", "0.1878");
    for (const kind of ["EXIT", "EXIT_RESIDUAL", "CANCEL"] as const) {
      const base: Record<string, unknown> = { kind, intentId: "fz-x", tsUs: d.tUs + 1000, slotId: 0, ...(kind === "CANCEL" ? {} : { orderType: "LIMIT", limitPrice: "0.1860", timeInForce: "GTC" }), ...(kind === "EXIT" ? { ratio: "0.5" } : {}) };
      const fields: Record<string, unknown[]> = { intentId: BAD_ID, tsUs: BAD_TS, kind: ["EXITT", "", 5, null] };
      if (kind !== "CANCEL") Object.assign(fields, { orderType: ["STOP", "", null], limitPrice: BAD_POSITIVE, timeInForce: ["GTD", ""] });
      if (kind === "EXIT") fields.ratio = [...BAD_POSITIVE, "1.5", "2"];
      fc.assert(
        fc.property(corruptions(fields, ["intentId", "tsUs", "slotId"]), (c) => {
          const before = d.state();
          const o = call(c, () => d.k.processIntent(apply(base, c) as never));
          refusedNaming(o, c.field === "slotId" ? ["INVALID_INTENT", "INVALID_SLOT"] : ["INVALID_INTENT"], c);
          expect(d.state(), `${kind} ${show(c)} changed the state`).toBe(before);
        }),
        { ...params, numRuns: Math.max(50, Math.floor(RUNS / 3)) },
      );
    }
  });

  it("G5 / G6 / G26 / L3 / Q7 / H6: corrupted venue events → INVALID_EVENT naming the field", async () => {
    const d = await KernelDriver.create();
    const sub: Submit = submitOf(d.enter(0, "fz-ev", "LONG", "1000", { orderType: "LIMIT", limitPrice: "0.1850" }));
    d.ack(sub);
    const base = { kind: "PARTIAL_FILL", eventId: "fz-e", tsUs: d.tUs + 1000, symbol: "FET-USDT", clientOrderId: sub.clientOrderId, venueOrderId: d.venueId(sub.clientOrderId), fillQty: "100", quantityMode: "INCREMENTAL", fillPrice: "0.1850", feeUsdt: "0.00925", feeMode: "INCREMENTAL" };
    const arb = corruptions(
      {
        kind: ["FILLED", "", 5, null, "partial_fill"],
        eventId: BAD_ID,
        tsUs: BAD_TS,
        symbol: ["", NUL, 5, null, LONG],
        clientOrderId: ["", NUL, 5, null],
        venueOrderId: ["", NUL, 1234567890123456789, null],
        fillQty: BAD_POSITIVE,
        quantityMode: ["BOTH", "", null, 1],
        fillPrice: [...BAD_DECIMALS, "-0.1850", "10000000000000000"],
        feeUsdt: [...BAD_DECIMALS, "10000000000000000"],
        feeMode: ["X", "", null],
        slotHint: [-1, 1.5, "0", Number.NaN],
      },
      ["kind", "eventId", "tsUs", "symbol"],
    );
    fc.assert(
      fc.property(arb, (c) => {
        const before = d.state();
        const o = call(c, () => d.k.onVenueEvent(apply(base, c) as never));
        refusedNaming(o, ["INVALID_EVENT"], c);
        expect(d.state(), `${show(c)} changed the state`).toBe(before);
      }),
      params,
    );
    const ok = d.k.onVenueEvent(base as never);
    expect(ok.accepted, `the uncorrupted base event is valid (${ok.code} ${ok.message})`).toBe(true);
  });

  it("G6 / Q7 / J3: corrupted mark prices → INVALID_EVENT naming the field", async () => {
    const d = await KernelDriver.create();
    d.open(0, "fz-mk", "SHORT", "1000", "0.1878");
    const base = { tsUs: d.tUs + 1000, symbol: "FET-USDT", markPrice: "0.1870" };
    fc.assert(
      fc.property(corruptions({ tsUs: BAD_TS, symbol: ["", NUL, 5, null], markPrice: BAD_POSITIVE }, ["tsUs", "symbol", "markPrice"]), (c) => {
        const before = d.state();
        const o = call(c, () => d.k.markPrice(apply(base, c) as never));
        refusedNaming(o, ["INVALID_EVENT"], c);
        expect(d.state()).toBe(before);
      }),
      params,
    );
  });

  it("L5 / Q7 / H6: corrupted account events → INVALID_EVENT (or ANCHOR_REJECTED for the wallet balance) naming the field", async () => {
    const d = await KernelDriver.create();
    const ex = d.open(0, "fz-acc", "SHORT", "1000", "0.1878");
    void ex;
    const bases: Record<string, Record<string, unknown>> = {
      BALANCE: { kind: "BALANCE", eventId: "fz-b", tsUs: d.tUs + 1000, walletBalanceUsdt: "100010", availableMarginUsdt: "90000" },
      FUNDING: { kind: "FUNDING", eventId: "fz-f", tsUs: d.tUs + 1000, symbol: "FET-USDT", amountUsdt: "-0.5" },
      FILL_SETTLED: { kind: "FILL_SETTLED", eventId: "fz-s", tsUs: d.tUs + 1000, symbol: "FET-USDT", tradeId: "fz-acc", realizedPnlUsdt: "1.2", feeUsdt: "0.09" },
    };
    const fieldsOf: Record<string, Record<string, unknown[]>> = {
      BALANCE: { eventId: BAD_ID, tsUs: BAD_TS, walletBalanceUsdt: BAD_POSITIVE, availableMarginUsdt: BAD_DECIMALS, kind: ["BALANCES", "", null] },
      FUNDING: { eventId: BAD_ID, tsUs: BAD_TS, symbol: ["", NUL, 5], amountUsdt: [...BAD_DECIMALS, "10000000000000000"] },
      FILL_SETTLED: { eventId: BAD_ID, tsUs: BAD_TS, symbol: ["", NUL, 5], realizedPnlUsdt: [...BAD_DECIMALS, "10000000000000000"], feeUsdt: [...BAD_DECIMALS, "10000000000000000"], tradeId: ["", NUL, 5], cumQty: BAD_POSITIVE },
    };
    for (const kind of Object.keys(bases)) {
      fc.assert(
        fc.property(corruptions(fieldsOf[kind], ["eventId", "tsUs"]), (c) => {
          const before = d.state();
          const o = call(c, () => d.k.onAccountEvent(apply(bases[kind], c) as never));
          const codes = kind === "BALANCE" && (c.field === "walletBalanceUsdt" || c.field === "availableMarginUsdt") ? ["INVALID_EVENT", "ANCHOR_REJECTED"] : ["INVALID_EVENT"];
          refusedNaming(o, codes, c);
          expect(d.state(), `${kind} ${show(c)} changed the state`).toBe(before);
        }),
        { ...params, numRuns: Math.max(50, Math.floor(RUNS / 3)) },
      );
    }
  });

  it("Flaw 11 / G8 / P4 / H20: arbitrary text and broken JSON given to restoreState → INVALID_STATE, never a trap", async () => {
    const d = await KernelDriver.create();
    d.open(0, "fz-rs", "SHORT", "1000", "0.1878");
    const saved = d.k.saveState();
    const m = await kernelModule();
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.json(),
      fc.integer({ min: 1, max: saved.length - 1 }).map((n) => saved.slice(0, n)),
      fc.tuple(fc.integer({ min: 0, max: saved.length - 1 }), fc.constantFrom("\u0000", "}", "\"", "NaN", "-", "9".repeat(400))).map(([i, s]) => saved.slice(0, i) + s + saved.slice(i + 1)),
    );
    fc.assert(
      fc.property(text, (t) => {
        if (t === saved) return;
        const target = new KernelDriver(m.create(config()));
        try {
          const before = target.state();
          let o: Outcome;
          try {
            o = target.k.restoreState(t);
          } catch (err) {
            throw new Error(`restoreState(${JSON.stringify(t.slice(0, 60))}) threw: ${(err as Error).message}`);
          }
          // A mangled text that is still a complete, consistent image may be accepted; anything
          // else must be refused and leave the state as it was.
          if (o.accepted) return;
          expect(o.code).toBe("INVALID_STATE");
          expect(target.state()).toBe(before);
        } finally {
          target.k.dispose();
        }
      }),
      params,
    );
  });

  it("G26 / A8 / Q7: NaN / ±Infinity given for an optional number or decimal field is refused, never dropped as JSON null", async () => {
    const d = await KernelDriver.create();
    const sub: Submit = submitOf(d.enter(0, "fz-nan", "SHORT", "1000", { orderType: "LIMIT", limitPrice: "0.1880" }));
    d.ack(sub);
    d.open(1, "fz-nan-open", "SHORT", "1000", "0.1878");
    const cases: [string, () => Outcome][] = [];
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const fill = { kind: "PARTIAL_FILL", eventId: `nan-${cases.length}`, tsUs: d.tUs + 1000, symbol: "FET-USDT", clientOrderId: sub.clientOrderId, venueOrderId: d.venueId(sub.clientOrderId), fillQty: "10", quantityMode: "INCREMENTAL", fillPrice: "0.1880" };
      cases.push([`feeUsdt=${bad}`, () => d.k.onVenueEvent({ ...fill, eventId: `nan-fee-${bad}`, feeUsdt: bad } as never)]);
      cases.push([`slotHint=${bad}`, () => d.k.onVenueEvent({ ...fill, eventId: `nan-hint-${bad}`, slotHint: bad } as never)]);
      cases.push([`exit ratio=${bad}`, () => d.k.processIntent({ kind: "EXIT", intentId: `nan-r-${bad}`, tsUs: d.tUs + 1000, slotId: 1, orderType: "MARKET", ratio: bad } as never)]);
      cases.push([`limitPrice=${bad}`, () => d.k.processIntent({ kind: "ENTER", intentId: `nan-l-${bad}`, tsUs: d.tUs + 1000, slotId: 2, tradeId: "nan-l", symbol: "FET-USDT", side: "LONG", quantity: "10", orderType: "LIMIT", leverage: 3, limitPrice: bad } as never)]);
    }
    const accepted: string[] = [];
    for (const [what, f] of cases) {
      const before = d.state();
      const o = f();
      if (o.accepted || d.state() !== before) accepted.push(`${what} → ${o.code}`);
    }
    expect(accepted, "non-finite numbers silently treated as absent").toEqual([]);
  });

  it("H20 / P2 / P4 / G2 / issue 11: JSON text given straight to the kernel_call export reaches the kernel's parser — valid text is accepted, broken text is refused naming the field, never a trap, state unchanged", async () => {
    const wasmPath = process.env.DITA_KERNEL_WASM;
    const raw = await loadRawKernel(wasmPath ? { wasmPath } : {});
    // Proof that this path reaches the parser: valid JSON texts are accepted through it
    // (the old property sent text through the binding, which re-encoded it as a JSON string, so
    // even valid text came back as "kind (missing)").
    const proof = raw.create(config());
    const p = new KernelDriver(proof.kernel);
    p.open(0, "fz-proof", "SHORT", "1000", "0.1878");
    const exitText = JSON.stringify({ kind: "EXIT", intentId: "raw-proof", tsUs: p.tUs + 1000, slotId: 0, orderType: "MARKET" });
    const exit = proof.outcome("processIntent", exitText);
    expect(exit.accepted, `valid EXIT text through kernel_call: ${exit.code} ${exit.message}`).toBe(true);
    const submit = submitOf(exit);
    const ackText = JSON.stringify({ kind: "ORDER_ACK", eventId: "raw-ack", tsUs: p.tUs + 2000, symbol: "FET-USDT", clientOrderId: submit.clientOrderId, venueOrderId: "1900000000000000777" });
    const ack = proof.outcome("onVenueEvent", ackText);
    expect(ack.accepted, `valid ORDER_ACK text through kernel_call: ${ack.code} ${ack.message}`).toBe(true);
    expect(proof.kernel.slot(0).stage).toBe("EXIT_WORKING");

    const inst = raw.create(config());
    const d = new KernelDriver(inst.kernel);
    d.open(0, "fz-raw", "SHORT", "1000", "0.1878");
    const valid = JSON.stringify({ kind: "EXIT", intentId: "raw-1", tsUs: d.tUs + 1000, slotId: 0, orderType: "MARKET" });
    const text = fc.oneof(
      fc.string({ maxLength: 100 }),
      fc.constantFrom("", "null", "[]", "{}", "\u0000", "{\"kind\":", "NaN", "1e309", "\"EXIT\"", "{\"kind\":\"EXIT\",\"kind\":\"ENTER\"}"),
      fc.integer({ min: 0, max: valid.length - 1 }).map((n) => valid.slice(0, n)),
      fc.tuple(fc.integer({ min: 0, max: valid.length - 1 }), fc.constantFrom("\u0000", "}", "\"", "{", ",", "9".repeat(400))).map(([i, c]) => valid.slice(0, i) + c + valid.slice(i + 1)),
    );
    fc.assert(
      fc.property(text, fc.boolean(), (t, asEvent) => {
        const before = d.state();
        let o: Outcome;
        try {
          o = inst.outcome(asEvent ? "onVenueEvent" : "processIntent", t);
        } catch (err) {
          throw new Error(`raw ${JSON.stringify(t.slice(0, 60))} threw: ${(err as Error).message}`);
        }
        if (o.accepted) return; // a mangled text can still be a complete, valid input
        expect(o.code.startsWith("INVALID_") || ["DUPLICATE_EVENT", "NO_POSITION", "INVALID_TRANSITION", "UNRESOLVED_SLOT", "STALE_STATE"].includes(o.code), `${JSON.stringify(t.slice(0, 60))} → ${o.code}`).toBe(true);
        if (["INVALID_INTENT", "INVALID_EVENT", "INVALID_SLOT"].includes(o.code)) expect(typeof o.details.field, `${JSON.stringify(t.slice(0, 60))}: ${o.message}`).toBe("string");
        expect(o.code).not.toBe("INTERNAL");
        expect(d.state()).toBe(before);
      }),
      params,
    );
  });

  it("I14 / H8: malformed reconcile reports → refused naming the field, state unchanged", async () => {
    const d = await KernelDriver.create();
    d.open(0, "fz-rc", "SHORT", "1000", "0.1878");
    const base = { tsUs: d.tUs + 1000, positions: [{ symbol: "FET-USDT", positionSide: "BOTH", quantity: "-1000" }], orders: [] as unknown[] };
    const order = { symbol: "FET-USDT", venueOrderId: "1900000000000000001", clientOrderId: "x", status: "FILLED", executedQty: "1", avgPrice: "0.1878" };
    const arb = fc.oneof(
      corruptions({ tsUs: BAD_TS, positions: [null, "x", [{}], [{ symbol: "FET-USDT", positionSide: "BOTH", quantity: "NaN" }], [{ symbol: "FET-USDT", positionSide: "UP", quantity: "1" }]], orders: [null, "x", [{}]] }, ["tsUs", "positions", "orders"]).map((c) => ({ c, report: apply(base, c) })),
      corruptions({ symbol: ["", 5], venueOrderId: ["", 5, null], status: ["DONE", "", null], executedQty: BAD_DECIMALS.concat(["-1"]), avgPrice: BAD_DECIMALS.concat(["-1"]), feeUsdt: BAD_DECIMALS }, ["symbol", "venueOrderId", "status", "executedQty", "avgPrice"]).map((c) => ({ c: { ...c, field: "orders" }, report: { ...base, orders: [apply(order, c)] } })),
    );
    fc.assert(
      fc.property(arb, ({ c, report }) => {
        const before = d.state();
        const o = call(c, () => d.k.reconcile(report as never));
        refusedNaming(o, ["INVALID_STATE", "INVALID_EVENT"], c);
        expect(d.state()).toBe(before);
      }),
      params,
    );
  });
});
