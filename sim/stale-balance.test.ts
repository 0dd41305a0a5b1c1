/**
 * capital-vs-wallet and stream wallet balances delivered late (docs/bingx-protocol.md §6; the
 * connector's "stale wallet balances", venues/connector/connector.ts). Chaos seeds 18319, 17402 and
 * 11101 failed capital-vs-wallet: an ACCOUNT_UPDATE whose frame was delayed (wsDelay / wsReorder)
 * reached the kernel after a newer wallet fact (the next frame's `wb`, a reconcile round's REST
 * balance read) and was anchored: capital went back to the older wallet, and the exit fills in
 * between never reached it again (the kernel's final capital equalled that stale wallet exactly).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { getScenario } from "../scenarios/index.js";
import { executeOnce, sharedKernel, toRecord } from "./run.js";
import { drawFaultMix, drawSwarmWindow } from "./faults.js";
import { capitalVsWallet } from "./oracle.js";
import type { RunRecord } from "./record.js";
import type { KernelModule } from "./runtime-types.js";

let kernel: KernelModule;
beforeAll(async () => {
  kernel = await sharedKernel();
});

function chaosRecord(seed: number): RunRecord {
  const given = getScenario("chaos")!;
  const w = drawSwarmWindow(seed, given.startUs, given.swarmWindow!);
  const scenario = { ...given, startUs: w.startUs, durationUs: w.durationUs };
  return toRecord(scenario, seed, executeOnce(scenario, seed, drawFaultMix(seed), kernel, false), []);
}

describe("docs/bingx-protocol.md §6, delayed ACCOUNT_UPDATE: a stale stream wallet balance is never anchored (chaos seed 18319)", () => {
  it("chaos seed 18319: frame 227 (wb 99436.4320278, delayed 0.62 s past the round's REST balance read) is not anchored; final capital = venue wallet", () => {
    const rec = chaosRecord(18319);
    const w = rec.finalVenueLedger.walletBalanceUsdt;
    expect(w).toBe("99412.86234149");
    expect(rec.final.ledger.capitalUsdt).toBe(w);
    // Before the fix the last anchor was the stale wallet, fed at the end of the run.
    const anchored = rec.ledgerSamples.filter((s) => s.cause === "anchor").map((s) => s.anchoredWalletUsdt);
    expect(anchored).not.toContain("99436.4320278");
    const r = capitalVsWallet(rec);
    expect(r.ok, r.detail).toBe(true);
    // Not weakened: had the kernel ended on that stale wallet, the check would still fail.
    const stale = { ...rec, final: { ...rec.final, ledger: { ...rec.final.ledger, capitalUsdt: "99436.4320278" } } };
    const bad = capitalVsWallet(stale);
    expect(bad.ok).toBe(false);
    expect(bad.detail).toContain("final capital 99436.4320278 != venue wallet 99412.86234149: gap 23.56968631");
  });
});
