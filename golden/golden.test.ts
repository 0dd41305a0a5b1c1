/**
 * Golden replays through the WASM kernel (docs/accounting.md §7, issue 3 "golden/").
 * Budget: < 20 s. Needs the built kernel (`npm run build` → kernel/pkg/dita_kernel.wasm).
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadKernel, type KernelModule } from "../kernel/index.js";
import { bingxWsNormaliser } from "./bingx-ws.js";
import { diffValues } from "./compare.js";
import { optionsFor, replayCase } from "./replay.js";
import { replayUninterrupted, replayWithRestartAt, venueTruthAfter } from "./restart.js";
import { DEFAULT_CASES_DIR, goldenTable, judgeCase, loadCaseFile, loadCases, mutantReproduction, runGolden } from "./runner.js";
import { GoldenCaseError, validateGoldenCase, type GoldenCase } from "./schema.js";

let mod: KernelModule;
const tmpDirs: string[] = [];
const cases = loadCases();
const byName = (n: string): GoldenCase => {
  const c = cases.find((x) => x.case.name === n)?.case;
  if (c === undefined) throw new Error(`golden case ${n} missing`);
  return c;
};
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), "golden-"));
  tmpDirs.push(d);
  return d;
};

beforeAll(async () => {
  mod = await loadKernel();
});
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

describe("golden cases through the WASM kernel (spec §7)", () => {
  it("the required cases exist", () => {
    const names = cases.map((c) => c.case.name);
    for (const n of [
      "fet-short-clean",
      "fet-short-clean-fees",
      "fet-short-poisoned-exit",
      "fet-short-poisoned-exit-fees",
      "fet-short-restart",
      "fet-vwap-entry",
      "fet-dual-leverage",
      "fet-incident-bound-price",
      "fet-long-mirror",
      "fet-long-mirror-fees",
    ])
      expect(names).toContain(n);
  });

  for (const { case: c } of cases) {
    it(`${c.name}: ${c.proves[0]}`, () => {
      const { actual, problems } = replayCase(mod, c, optionsFor(c, bingxWsNormaliser()));
      const lines = judgeCase(c, actual, problems);
      expect(lines.join("\n")).toBe("");
    });
  }
});

// Cases the current kernel fails, with the expectation the spec requires (README "Pending cases").
// it.fails: this block turns red the day the kernel is fixed, so the case moves to golden/cases.
// None is open today (README "Pending cases"): the block runs only when golden/pending/ holds cases.
const PENDING_DIR = join(DEFAULT_CASES_DIR, "..", "pending");
const PENDING = existsSync(PENDING_DIR) ? loadCases(PENDING_DIR) : [];
describe.runIf(PENDING.length > 0)("known kernel defects (golden/pending): expected to fail until the kernel is fixed", () => {
  for (const { case: c } of PENDING) {
    it.fails(`KNOWN KERNEL DEFECT ${c.name}: ${c.proves[0]}`, () => {
      const { actual, problems } = replayCase(mod, c, optionsFor(c, bingxWsNormaliser()));
      expect(judgeCase(c, actual, problems).join("\n")).toBe("");
    });
  }
});

describe("spec §7 golden figures, asserted directly", () => {
  it("golden 1: FET short clean prices books realized gross +242.7312 exactly", () => {
    const { actual } = replayCase(mod, byName("fet-short-clean"));
    expect(actual.trades[0].realizedGrossUsdt).toBe("242.7312");
  });

  it("golden 2: price-less exit leg books 0 + realized_skipped_no_price, FILL_SETTLED rp=+164 → realized 164, pnlSource exchange", () => {
    const c = byName("fet-short-poisoned-exit");
    const { actual } = replayCase(mod, c, optionsFor(c));
    const before = actual.checkpoints["exit-filled-no-price"].trades?.[0];
    expect(before?.legs[0].realizedPnlUsdt).toBe("0");
    expect(before?.flags).toContain("realized_skipped_no_price");
    expect(actual.trades[0].realizedGrossUsdt).toBe("164");
    expect(actual.trades[0].pnlSource).toBe("exchange");
  });

  it("golden 5 / dual leverage: the same fills at exchange leverage 1 and 3 book identical realized PnL", () => {
    const { actual } = replayCase(mod, byName("fet-dual-leverage"));
    const [a, b] = actual.trades;
    expect(a.leverage).toBe(1);
    expect(b.leverage).toBe(3);
    const strip = (t: typeof a) => ({ ...t, tradeId: "", leverage: 0 });
    expect(diffValues(strip(a), strip(b))).toEqual([]);
  });

  it("golden 6 / spec §0: this kernel does not book the incident's 3,214.4652 on leg 1", () => {
    const c = byName("fet-incident-bound-price");
    expect(c.mutantExpectation?.leg1RealizedUsdt).toBe("3214.4652");
    const { actual } = replayCase(mod, c);
    const leg0 = actual.trades[0].legs.find((l) => l.legIndex === 0);
    expect(leg0?.realizedPnlUsdt).toBe("-1071.4884");
    expect(leg0?.realizedPnlUsdt).not.toBe(c.mutantExpectation?.leg1RealizedUsdt);
    // The mutant-suite hook reports the clean kernel as "not reproduced".
    expect(mutantReproduction(mod, c)).toEqual({
      case: "fet-incident-bound-price",
      mutants: ["mutant_leverage_pnl"],
      expectedLeg1RealizedUsdt: "3214.4652",
      actualLeg1RealizedUsdt: "-1071.4884",
      reproduced: false,
    });
  });
});

describe("spec §0.3 / golden 3: restart at every event boundary of golden 1", () => {
  const c = byName("fet-short-clean");
  // Golden 1 itself, its fee variant (fee baseline) and the poisoned variant (repair baseline).
  const restartCases: [string, string][] = [
    ["fet-short-clean", "242.7312"],
    ["fet-short-clean-fees", "242.7312"],
    ["fet-short-poisoned-exit-fees", "164"],
  ];
  it.each(restartCases)("%s: for each boundary k: save → dispose → new kernel → restore → reconcile → rest gives the uninterrupted final ledger and trade record", (name, gross) => {
    const c = byName(name);
    const base = replayUninterrupted(mod, c);
    expect(base.trades[0].realizedGrossUsdt).toBe(gross);
    const failures: string[] = [];
    for (let k = 0; k <= c.steps.length; k++) {
      const r = replayWithRestartAt(mod, c, k);
      const d = [...diffValues(base.ledger, r.ledger, "ledger"), ...diffValues(base.trades, r.trades, "trades")];
      if (r.restoreCode !== "OK" || r.reconcileCode !== "OK") failures.push(`k=${k}: restore ${r.restoreCode}, reconcile ${r.reconcileCode}`);
      if (d.length > 0) failures.push(`k=${k}: ${d.map((x) => `${x.path}: ${JSON.stringify(x.expected)} vs ${JSON.stringify(x.actual)}`).join("; ")}`);
    }
    expect(failures.join("\n")).toBe("");
  });

  it("the reconcile report at a boundary is the venue truth of the prefix (position and cumulative fills)", () => {
    const r = venueTruthAfter(c, 8, 1);
    expect(r.positions).toEqual([{ symbol: "FET-USDT", positionSide: "SHORT", quantity: "176269" }]);
    expect(r.orders.map((o) => [o.status, o.executedQty, o.avgPrice])).toEqual([
      ["FILLED", "202276", "0.1878"],
      ["FILLED", "26007", "0.1866"],
    ]);
  });
});

describe("runner: detection and re-blessing", () => {
  const doctor = (dir: string): string => {
    const file = join(dir, "fet-short-clean.json");
    copyFileSync(join(DEFAULT_CASES_DIR, "fet-short-clean.json"), file);
    const c = JSON.parse(readFileSync(file, "utf8"));
    c.expected.trades[0].realizedGrossUsdt = "242.7313";
    c.expected.checkpoints.final.ledger.capitalSource = "k_bridged";
    writeFileSync(file, JSON.stringify(c, null, 2));
    return file;
  };

  it("a doctored expectation fails with a readable diff naming the field, expected and actual", async () => {
    const dir = tmp();
    doctor(dir);
    const res = await runGolden({ casesDir: dir, kernelModule: mod });
    expect(res.ok).toBe(false);
    expect(res.cases[0].ok).toBe(false);
    expect(res.cases[0].diff).toContain('trades[fet-short-1].realizedGrossUsdt: expected "242.7313", actual "242.7312"');
    expect(res.cases[0].diff).toContain('checkpoints.final.ledger.capitalSource: expected "k_bridged", actual "e_anchored"');
    expect(res.diffText).toContain("case fet-short-clean:");
  });

  it("--update prints the diff first, then re-blesses the case; the next run passes", async () => {
    const dir = tmp();
    const file = doctor(dir);
    const printed: string[] = [];
    const res = await runGolden({ casesDir: dir, kernelModule: mod, update: true, print: (t) => printed.push(t) });
    expect(printed[0]).toContain('realizedGrossUsdt: expected "242.7313", actual "242.7312"');
    expect(printed[1]).toContain(`re-blessed ${file}`);
    expect(res.cases[0].updated).toBe(true);
    expect(loadCaseFile(file).expected.trades[0].realizedGrossUsdt).toBe("242.7312");
    const again = await runGolden({ casesDir: dir, kernelModule: mod });
    expect(again.ok).toBe(true);
  });

  it("decimal comparison is exact by value: 242.73120 equals 242.7312, 242.73120001 does not", () => {
    expect(diffValues({ realizedGrossUsdt: "242.7312" }, { realizedGrossUsdt: "242.73120" })).toEqual([]);
    expect(diffValues({ realizedGrossUsdt: "242.7312" }, { realizedGrossUsdt: "242.73120001" })).toHaveLength(1);
  });

  it("mustNotBook: an actual booking the incident figure on leg 0 fails the case", () => {
    const c = byName("fet-incident-bound-price");
    const doctored = structuredClone(c.expected);
    doctored.trades[0].legs[0].realizedPnlUsdt = "3214.4652";
    const lines = judgeCase({ ...c, expected: doctored }, doctored);
    expect(lines.join("\n")).toContain("mustNotBook: trade fet-short-incident leg 0 booked 3214.4652");
  });

  it("goldenTable lists every case with expected and actual figures", async () => {
    const res = await runGolden({ kernelModule: mod });
    const table = goldenTable(res);
    for (const { case: c } of cases) expect(table).toContain(`| ${c.name} |`);
    expect(table).toContain("gross 242.7312");
  });
});

describe("schema validator names the bad field", () => {
  const good = (): Record<string, any> => JSON.parse(readFileSync(join(DEFAULT_CASES_DIR, "fet-short-clean.json"), "utf8"));
  const field = (raw: unknown): string => {
    try {
      validateGoldenCase(raw, "doctored.json");
    } catch (e) {
      expect(e).toBeInstanceOf(GoldenCaseError);
      return (e as GoldenCaseError).field;
    }
    throw new Error("validator accepted a malformed case");
  };

  it("a fill quantity given as a JSON number", () => {
    const c = good();
    c.steps[3].event.fillQty = 195259;
    expect(field(c)).toBe("steps[3].event.fillQty");
  });
  it("a checkpoint without capitalSource", () => {
    const c = good();
    delete c.expected.checkpoints.final.ledger.capitalSource;
    expect(field(c)).toBe("expected.checkpoints.final.ledger.capitalSource");
  });
  it("an order reference to an intent that has not happened yet", () => {
    const c = good();
    c.steps[2].event.clientOrderId = "@intent:i-exit-2";
    expect(field(c)).toBe("steps[2].event.clientOrderId");
  });
  it("one outcome code per step", () => {
    const c = good();
    c.expected.outcomes.pop();
    expect(field(c)).toBe("expected.outcomes");
  });
  it("an unknown field", () => {
    const c = good();
    c.expected.trades[0].realizedGross = "1";
    expect(field(c)).toBe("expected.trades[0].realizedGross");
  });
  const caseFile = (name: string): Record<string, any> => JSON.parse(readFileSync(join(DEFAULT_CASES_DIR, `${name}.json`), "utf8"));
  it("a duplicate intentId, checkpoint name or expected tradeId", () => {
    const c = good();
    c.steps[5].intent.intentId = c.steps[1].intent.intentId;
    expect(field(c)).toBe("steps[5].intent.intentId");
    const d = good();
    d.steps[7].checkpoint = "anchored";
    expect(field(d)).toBe("steps[7].checkpoint");
    const e = good();
    e.expected.trades.push({ ...e.expected.trades[0] });
    expect(field(e)).toBe("expected.trades[1].tradeId");
  });
  it('a step checkpoint named "final" (reserved)', () => {
    const c = good();
    c.steps[7].checkpoint = "final";
    expect(field(c)).toBe("steps[7].checkpoint");
  });
  it("a declared checkpoint without expected figures, and expected figures no step declares", () => {
    const c = good();
    delete c.expected.checkpoints.closed;
    expect(field(c)).toBe("expected.checkpoints.closed");
    const d = good();
    d.expected.checkpoints.nowhere = d.expected.checkpoints.closed;
    expect(field(d)).toBe("expected.checkpoints.nowhere");
  });
  it("a field a step of that op does not take, and an unknown op", () => {
    const c = good();
    c.steps[0].event = {};
    expect(field(c)).toBe("steps[0].event");
    const d = good();
    d.steps[0].op = "teleport";
    expect(field(d)).toBe("steps[0].op");
  });
  it("no steps, and no instruments", () => {
    const c = good();
    c.steps = [];
    expect(field(c)).toBe("steps");
    const d = good();
    d.config.instruments = [];
    expect(field(d)).toBe("config.instruments");
  });
  it("a restore of an image no earlier save produced", () => {
    const c = caseFile("fet-short-restart");
    c.steps[9].image = "never-saved";
    expect(field(c)).toBe("steps[9].image");
  });
  it("a BingX frame body that is not JSON, and an expected kernel input of no known kind", () => {
    const c = caseFile("fet-short-poisoned-exit-adapter");
    c.steps[7].body = "{not json";
    expect(field(c)).toBe("steps[7].body");
    const d = caseFile("fet-short-poisoned-exit-adapter");
    d.steps[7].expectKernelInputs = [{ markPrice: {} }];
    expect(field(d)).toBe("steps[7].expectKernelInputs[0]");
  });
  it("a case name outside [a-z0-9-], and a mutant expectation naming no mutant", () => {
    const c = good();
    c.name = "Fet_Short";
    expect(field(c)).toBe("name");
    const d = caseFile("fet-incident-bound-price");
    d.mutantExpectation.mutants = [];
    expect(field(d)).toBe("mutantExpectation.mutants");
  });
  it("every case in golden/cases passes", () => {
    for (const { case: c } of cases) expect(() => validateGoldenCase(caseFile(c.name), `${c.name}.json`)).not.toThrow();
  });
  it("the message names the file, the field and the value", () => {
    const c = good();
    c.expected.trades[0].feesUsdt = "0,5";
    expect(() => validateGoldenCase(c, "doctored.json")).toThrow('golden case doctored.json: field expected.trades[0].feesUsdt: expected a decimal string such as "0.1878", got "0,5"');
  });
});
