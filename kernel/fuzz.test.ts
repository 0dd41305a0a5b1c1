/**
 * CI budget of `dita fuzz` (issue 11): malformed inputs through the binding and the raw WASM
 * exports must give 0 traps, 0 refusals without a diagnostic, 0 state changes after a refusal,
 * 0 corrupted inputs accepted and 0 valid raw controls refused, in every class. The judging
 * itself is tested on synthetic outcomes, so a failure would be counted; the base inputs the
 * mutations start from are shown not to be refused by validation.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { FUZZ_CLASSES, FUZZ_CONFIG, FuzzGenerator, baseInputs } from "./fuzz-cases.js";
import { VALIDATION_CODES, judge, runFuzz } from "./fuzz.js";
import { loadRawKernel, type RawKernelModule } from "./raw-abi.js";
import type { Outcome } from "./types.js";

/** Inputs of the CI budget (the command's default is 1,000,000). */
const BUDGET = Number(process.env.DITA_FUZZ_BUDGET ?? 20_000);

const outcome = (o: Partial<Outcome>): Outcome => ({ accepted: false, code: "INVALID_EVENT", severity: "ERROR", message: "m", details: { field: "f" }, transitions: [], commands: [], ledgerSeq: 0, ...o });

let mod: RawKernelModule;
beforeAll(async () => {
  mod = await loadRawKernel();
});

describe("dita fuzz (issue 11)", () => {
  it(`issue 11 / E7 / G26 / Flaw 8: ${BUDGET} malformed inputs — 0 traps, 0 refusals without diagnostic, 0 state changes, 0 corrupted accepted, 0 controls refused, every class exercised`, async () => {
    const rep = await runFuzz({ inputs: BUDGET, seed: 20261130 });
    const failures = { traps: rep.traps, refusedWithoutDiagnostic: rep.refusedWithoutDiagnostic, stateChanged: rep.stateChanged, corruptedAccepted: rep.corruptedAccepted, controlRefused: rep.controlRefused };
    expect(failures, JSON.stringify(rep.samples, null, 1)).toEqual({ traps: 0, refusedWithoutDiagnostic: 0, stateChanged: 0, corruptedAccepted: 0, controlRefused: 0 });
    expect(rep.ok).toBe(true);
    expect(rep.inputs).toBe(BUDGET);
    for (const cls of FUZZ_CLASSES) expect(rep.byClass[cls].inputs, cls).toBeGreaterThan(BUDGET / FUZZ_CLASSES.length / 2);
    expect(rep.viaBinding).toBeGreaterThan(BUDGET / 4);
    expect(rep.viaRaw).toBeGreaterThan(BUDGET / 4);
    // The controls prove the raw path reaches the parser: every one was accepted.
    expect(rep.byClass["valid-raw-control"].accepted).toBe(rep.byClass["valid-raw-control"].inputs);
  }, 600_000);

  it("issue 11: the judge counts every failure kind (a fuzz run can fail)", () => {
    const bad = { mustRefuse: true, mustAccept: false };
    expect(judge(bad, outcome({ accepted: true, code: "OK" }), false)).toEqual(["corruptedAccepted"]);
    expect(judge(bad, outcome({ code: "UNRESOLVED_SLOT", details: { parked: true } }), false)).toEqual(["corruptedAccepted"]);
    expect(judge(bad, outcome({ code: "DUPLICATE_EVENT", details: {} }), true)).toEqual(["corruptedAccepted"]);
    expect(judge(bad, outcome({ details: {} }), true)).toEqual(["refusedWithoutDiagnostic"]);
    expect(judge(bad, outcome({ message: "" }), true)).toEqual(["refusedWithoutDiagnostic"]);
    expect(judge(bad, outcome({}), false)).toEqual(["stateChanged"]);
    expect(judge({ mustRefuse: false, mustAccept: true }, outcome({}), true)).toEqual(["controlRefused"]);
    expect(judge(bad, outcome({}), true)).toEqual([]);
    expect(judge({ mustRefuse: false, mustAccept: false }, outcome({ accepted: true, code: "OK" }), false)).toEqual([]);
  });

  it("issue 11: no base input is refused by validation, through the binding or raw (so a validation refusal of a mutated case is due to its mutation)", () => {
    for (const b of baseInputs(1)) {
      for (const raw of [false, true]) {
        const inst = mod.create(FUZZ_CONFIG);
        const k = inst.kernel;
        k.processIntent({ kind: "ENTER", intentId: "e0", tsUs: 1, slotId: 0, tradeId: "t0", symbol: "FET-USDT", side: "LONG", quantity: "1000", orderType: "MARKET", leverage: 3 });
        k.onVenueEvent({ kind: "FULL_FILL", eventId: "f0", tsUs: 2, symbol: "FET-USDT", clientOrderId: "d2-t0-e1", venueOrderId: "9001", fillQty: "1000", fillPrice: "0.2", feeUsdt: "0.1" });
        k.processIntent({ kind: "ENTER", intentId: "e1", tsUs: 3, slotId: 1, tradeId: "t1", symbol: "BTC-USDT", side: "SHORT", quantity: "0.5", orderType: "MARKET", leverage: 2 });
        k.onVenueEvent({ kind: "FULL_FILL", eventId: "f1", tsUs: 4, symbol: "BTC-USDT", clientOrderId: "d2-t1-e1", venueOrderId: "9002", fillQty: "0.5", fillPrice: "60000", feeUsdt: "1" });
        const o = raw ? inst.outcome(b.method, JSON.stringify(b.input)) : b.method === "anchorToExchange"
          ? k.anchorToExchange(b.input.walletBalanceUsdt as string, b.input.availableMarginUsdt as string, b.input.eventSeq as number)
          : (k[b.method] as (x: unknown) => Outcome)(b.input);
        expect(VALIDATION_CODES.has(o.code), `${b.name} via ${raw ? "raw" : "binding"}: ${o.code} ${o.message}`).toBe(false);
      }
    }
  });

  it("issue 11: the generator is deterministic by seed", () => {
    const a = new FuzzGenerator(7, "{}");
    const b = new FuzzGenerator(7, "{}");
    const c = new FuzzGenerator(8, "{}");
    const wa = Array.from({ length: 300 }, () => a.next().what);
    expect(Array.from({ length: 300 }, () => b.next().what)).toEqual(wa);
    expect(Array.from({ length: 300 }, () => c.next().what)).not.toEqual(wa);
  });
});
