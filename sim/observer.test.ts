/**
 * The run observer checks that the RunRecord agrees with the trace it summarises (issue 12:
 * "an observer that derives the RunRecord from the trace or asserts that the two agree").
 */
import { describe, expect, it } from "vitest";
import type { Intent, Outcome } from "../kernel/types.js";
import { mkVenue } from "../venues/bingx/test-util.js";
import { RunObserver } from "./observer.js";
import { TraceRecorder } from "./trace.js";

const intent = { kind: "CANCEL", intentId: "i1", tsUs: 1, slotId: 0 } as Intent;
const outcome = { accepted: true, code: "OK", message: "", transitions: [], commands: [], ledgerSeq: 0 } as unknown as Outcome;

function observer(): RunObserver {
  const o = new RunObserver(new TraceRecorder(false), mkVenue(), 1_000_000);
  o.record(1, "ledger", { final: true }); // the run's final ledger row
  return o;
}

describe("RunObserver.verifyAgainstTrace", () => {
  it("passes when every record intent has its trace row", () => {
    const o = observer();
    o.record(1, "intent", intent);
    o.intent(1, intent, outcome);
    expect(() => o.verifyAgainstTrace()).not.toThrow();
  });

  it("throws naming the field when the record has an intent the trace lacks", () => {
    const o = observer();
    o.intent(1, intent, outcome);
    expect(() => o.verifyAgainstTrace()).toThrow(/RunRecord\.intents has 1 entries but the trace has 0/);
  });

  it("throws when a ledger row has no ledger sample in the record", () => {
    const o = observer();
    o.record(1, "ledger", { cause: "X" });
    expect(() => o.verifyAgainstTrace()).toThrow(/RunRecord\.ledgerSamples has 0 entries but the trace has 1/);
  });

  it("throws when an idempotency probe row has no probe in the record", () => {
    const o = observer();
    o.record(1, "idem.probe", { frame: 1 });
    expect(() => o.verifyAgainstTrace()).toThrow(/RunRecord\.probes/);
  });
});
