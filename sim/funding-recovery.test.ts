/**
 * Issue 12, through the whole simulator: funding lost with its stream frame is recovered from the
 * income endpoint (venues/connector/funding.ts), and a payment that arrives both ways is booked
 * once, whichever copy comes first (docs/bingx-protocol.md §9.1). Reads the
 * trace: every FUNDING the kernel was fed and the code it answered. A frame's FUNDING names the
 * account-wide symbol "*" (cross margin: no symbol on the wire), an income row's names FET-USDT.
 */
import { describe, expect, it } from "vitest";
import { getScenario } from "../scenarios/index.js";
import { kernelConfigFor, sharedKernel } from "./run.js";
import { Runtime, type KernelModule } from "./runtime.js";
import { createBingxMockVenue } from "../venues/bingx/mock-venue.js";

async function fundingFeeds(name: string): Promise<{ fed: string[]; kernel: string; venue: string }> {
  const scenario = getScenario(name)!;
  const kernelModule = (await sharedKernel()) as KernelModule;
  const rt = new Runtime(scenario, 1, scenario.faults ?? {}, { kernelModule, kernelConfig: kernelConfigFor(scenario), createVenue: (o) => createBingxMockVenue(o) }, true);
  const out = rt.run();
  const rows = out.trace.rows!;
  const fed: string[] = [];
  rows.forEach((r, i) => {
    if (r.kind !== "kernel.account") return;
    const ev = JSON.parse(r.body) as { kind: string; symbol?: string };
    if (ev.kind !== "FUNDING") return;
    const outRow = rows.slice(i + 1).find((x) => x.kind === "kernel.out")!;
    fed.push(`${ev.symbol === "*" ? "frame" : "income"} ${(JSON.parse(outRow.body) as { code: string }).code}`);
  });
  return { fed, kernel: out.final.ledger.fundingUsdt, venue: out.finalVenueLedger.fundingUsdt };
}

const collapse = (xs: string[]) => xs.filter((x, i) => i === 0 || x !== xs[i - 1]);

describe("funding recovery through the simulator (issue 12)", () => {
  it("issue 12 / I14: funding-frame-lost-in-restart — the frame dies with the process; the restart's reconcile sweep books the income row once", async () => {
    const r = await fundingFeeds("funding-frame-lost-in-restart");
    expect(r.venue).toBe("3.79874328");
    expect(r.kernel).toBe(r.venue);
    expect(collapse(r.fed)).toEqual(["income OK", "income DUPLICATE_EVENT"]);
  });

  it("Flaw 10 / I10: funding-frame-after-income-row — the income row books it, the late frame and its duplicate are DUPLICATE_EVENTs", async () => {
    const r = await fundingFeeds("funding-frame-after-income-row");
    expect(r.kernel).toBe(r.venue);
    expect(r.fed[0]).toBe("income OK");
    expect(r.fed.filter((x) => x.startsWith("frame"))).toEqual(["frame DUPLICATE_EVENT", "frame DUPLICATE_EVENT"]);
    expect(r.fed.filter((x) => x.endsWith(" OK"))).toHaveLength(1);
  });

  it("Flaw 10: funding-across-0800 — the frame books it, the income sweep after the funding time is a DUPLICATE_EVENT", async () => {
    const r = await fundingFeeds("funding-across-0800");
    expect(r.kernel).toBe(r.venue);
    expect(collapse(r.fed)).toEqual(["frame OK", "income DUPLICATE_EVENT"]);
  });
});
