/**
 * Fold mode (sim/observer.ts, sim/invariants.ts RecordStreamFolds): the run observer folds the
 * record's per-row streams (venue ledgers, ledger samples, slot samples, transitions, intents,
 * fills) while the run goes instead of keeping them, and keeps only what the oracle reads of the
 * venue journal, so a 48 h run does not hold them in memory.
 * The invariants and the oracle must judge such a record exactly as they judge the same run's
 * record with its arrays: same results, details and evidence, on passing runs and on doctored
 * failing ones; and a streamed record whose arrays also hold entries is refused, never passed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { getScenario } from "../scenarios/index.js";
import { executeOnce, sharedKernel, toRecord } from "./run.js";
import { drawFaultMix, drawSwarmWindow } from "./faults.js";
import { checkInvariants, RecordStreamFolds } from "./invariants.js";
import { checkOracle } from "./oracle.js";
import { STREAMED_FIELDS, type RunRecord } from "./record.js";
import type { KernelModule } from "./runtime-types.js";
import type { InvariantResult, Scenario } from "./types.js";

let kernel: KernelModule;
beforeAll(async () => {
  kernel = await sharedKernel();
});

function scenarioFor(name: string, seed: number): Scenario {
  const s = getScenario(name);
  if (!s) throw new Error(`no scenario ${name}`);
  if (!s.swarm || !s.swarmWindow) return s;
  const w = drawSwarmWindow(seed, s.startUs, s.swarmWindow);
  return { ...s, startUs: w.startUs, durationUs: w.durationUs };
}

/** The run's record, with its arrays (fold false) or folded during the run (fold true). */
function record(name: string, seed: number, fold: boolean): RunRecord {
  const s = scenarioFor(name, seed);
  const faults = s.swarm ? drawFaultMix(seed) : (s.faults ?? {});
  const out = executeOnce(s, seed, faults, kernel, false, undefined, undefined, true, fold);
  return toRecord(s, seed, out, out.traceHash === null ? [] : [out.traceHash]);
}

const judge = (rec: RunRecord): InvariantResult[] => [...checkInvariants(rec), ...checkOracle(rec)];

/** What the observer does in fold mode, done to a record's arrays: feed them to folds, empty them. */
function streamedCopy(rec: RunRecord): RunRecord {
  const folds = new RecordStreamFolds(rec.initialBalanceUsdt);
  for (const v of rec.venueLedgers) folds.venueLedger(v);
  for (const s of rec.ledgerSamples) folds.ledgerSample(s);
  for (const s of rec.slotSamples) folds.slotSample(s);
  for (const t of rec.transitions) folds.transition(t);
  for (const i of rec.intents) folds.intent(i);
  for (const f of rec.fills) folds.fill(f);
  return { ...rec, venueLedgers: [], ledgerSamples: [], slotSamples: [], transitions: [], intents: [], fills: [], streamed: folds };
}

describe("fold mode: the record's streams folded during the run judge like its arrays", () => {
  it.each([
    ["random-clean", 1],
    ["i10-duplicates-across-restarts", 1],
    ["restart-between-exit-legs", 1],
    ["chaos", 7],
    ["chaos", 3],
  ])("%s seed %i: same invariant and oracle results, and the folded arrays are empty", (name, seed) => {
    const kept = record(name, seed, false);
    const folded = record(name, seed, true);
    expect(kept.streamed).toBeUndefined();
    expect(folded.streamed).toBeInstanceOf(RecordStreamFolds);
    for (const k of STREAMED_FIELDS) expect(folded[k], k).toEqual([]);
    // The run kept entries in every stream it folds (else the comparison proves little).
    for (const k of ["ledgerSamples", "slotSamples", "transitions", "intents", "fills", "venueLedgers"] as const) expect(kept[k].length, k).toBeGreaterThan(0);
    // The journal keeps every entry, reduced to what the oracle reads (sim/record.ts JournalView).
    expect(folded.venueJournal!.length).toBe(kept.venueJournal!.length);
    expect(folded.venueJournal!.some((e) => "feeRate" in e || "markPrice" in e)).toBe(false);
    const a = judge(kept);
    expect(judge(folded)).toEqual(a);
    expect(a.every((r) => r.ok)).toBe(true);
  });

  it("doctored records: each streamed invariant fails the same way from folds as from arrays (Flaw 4, A1, I13, G13, L5)", () => {
    const base = record("i10-duplicates-across-restarts", 1, false);
    const doctor: [string, (r: RunRecord) => void][] = [
      ["venue-conservation", (r) => (r.venueLedgers[0] = { ...r.venueLedgers[0], ledger: { ...r.venueLedgers[0].ledger, walletBalanceUsdt: "1" } })],
      ["capital-exchange-anchored", (r) => {
        const i = r.ledgerSamples.findIndex((s) => s.cause === "anchor");
        r.ledgerSamples[i] = { ...r.ledgerSamples[i], anchoredWalletUsdt: "123.45" };
      }],
      ["capital-exchange-anchored", (r) => {
        const i = r.ledgerSamples.findIndex((s) => s.cause !== "anchor" && s.cause !== "restore");
        r.ledgerSamples[i] = { ...r.ledgerSamples[i], ledger: { ...r.ledgerSamples[i].ledger, capitalUsdt: "1" } };
      }],
      ["size-bounds", (r) => r.slotSamples.push({ ...r.slotSamples[0], sizeQty: "-1" })],
      ["size-bounds", (r) => {
        const c = r.transitions.find((t) => t.to === "CLOSED")!;
        r.transitions.push({ ...c, from: "CLOSED", to: "POSITION_OPEN", tsUs: c.tsUs + 1 });
      }],
      ["exits-never-skipped", (r) => {
        const i = r.intents.findIndex((x) => x.intent.kind === "EXIT" && x.outcome.accepted);
        r.intents[i] = { ...r.intents[i], outcome: { ...r.intents[i].outcome, commands: [] } };
      }],
      ["exits-never-skipped", (r) => (r.venueSubmittedClientOrderIds = [])],
      ["routing", (r) => (r.fills[0] = { ...r.fills[0], changedSlots: [0, 1, 2].filter((s) => s !== r.fills[0].expectedSlot).slice(0, 1) })],
      // A missing field is a violation, never 0 (issue 12): the same checker error from a fold.
      ["capital-exchange-anchored", (r) => (r.ledgerSamples[1] = { ...r.ledgerSamples[1], ledger: { ...r.ledgerSamples[1].ledger, feesPaidUsdt: "" } })],
      ["size-bounds", (r) => (r.slotSamples[0] = { ...r.slotSamples[0], initialSizeQty: undefined as never })],
    ];
    for (const [name, change] of doctor) {
      const rec: RunRecord = structuredClone({ ...base, streamed: undefined });
      change(rec);
      const fromArrays = judge(rec);
      const bad = fromArrays.find((r) => r.name === name)!;
      expect(bad.ok, name).toBe(false);
      expect(judge(streamedCopy(rec)), name).toEqual(fromArrays);
    }
  });

  it("a folded record whose streamed arrays also hold entries is a checker error, never a pass", () => {
    const rec = record("random-clean", 1, true);
    rec.slotSamples.push({ tUs: 1, slotId: 0, tradeId: "t", stage: "POSITION_OPEN", sizeQty: "1", initialSizeQty: "1" });
    const r = judge(rec).find((x) => x.name === "size-bounds")!;
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/RunRecord\.slotSamples has 1 entries, but the record's streams were folded during the run/);
  });
});
