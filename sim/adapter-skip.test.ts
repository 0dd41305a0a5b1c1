/**
 * Issue 15: one user-stream frame of an unknown event type must not end a run. The venue below
 * is the BingX mock with one extra frame (`"e":"MARGIN_CALL"`, a type the adapter does not know)
 * emitted on its first stream advance; the run finishes, the frame is traced as adapter.skipped
 * and listed among the diagnostics (ADAPTER_UNKNOWN_EVENT), and the run's verdict is unchanged.
 */
import { describe, expect, it } from "vitest";
import { getScenario } from "../scenarios/index.js";
import { createBingxMockVenue } from "../venues/bingx/mock-venue.js";
import { collectDiagnostics } from "./evidence.js";
import { kernelConfigFor, sharedKernel } from "./run.js";
import { Runtime, type KernelModule } from "./runtime.js";

describe("runtime: unknown user-stream event types are skipped, never fatal (issue 15)", () => {
  it("a MARGIN_CALL frame is traced as adapter.skipped and the run completes as without it", async () => {
    const scenario = getScenario("gamut-exit")!;
    const kernelModule = (await sharedKernel()) as KernelModule;
    const run = (inject: boolean) => {
      let injected = !inject;
      const rt = new Runtime(
        scenario,
        7,
        {},
        {
          kernelModule,
          kernelConfig: kernelConfigFor(scenario),
          createVenue: (o) => {
            const v = createBingxMockVenue({ ...o, contracts: o.contracts });
            const advance = v.advanceTo.bind(v);
            v.advanceTo = (nowUs: number) => {
              const frames = advance(nowUs);
              if (injected) return frames;
              injected = true;
              return [...frames, { tsUs: nowUs, body: '{"e":"MARGIN_CALL","E":1781136000000}' }];
            };
            return v;
          },
        },
        true,
      );
      return rt.run();
    };
    const plain = run(false);
    const withUnknown = run(true);
    const skipped = withUnknown.trace.rows!.filter((r) => r.kind === "adapter.skipped");
    expect(skipped).toHaveLength(1);
    expect(JSON.parse(skipped[0].body)).toMatchObject({ unknownEventType: "MARGIN_CALL" });
    const diag = collectDiagnostics(withUnknown.trace.rows!).rows.filter((d) => d.code === "ADAPTER_UNKNOWN_EVENT");
    expect(diag).toHaveLength(1);
    expect(diag[0].input).toContain("MARGIN_CALL");
    expect(withUnknown.final.ledger).toEqual(plain.final.ledger);
    expect(withUnknown.final.trades).toEqual(plain.final.trades);
  });
});
