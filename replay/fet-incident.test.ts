/**
 * The FET incident history dataset (replay/datasets/fet-incident.arrow): replaying it shows, per
 * leg, production's booked figure (3,214.4652 on leg 0, 5,990.90 on the trade) against the
 * kernel's and the exchange's (31.2084 + 132.7916 = 164), with the MARKET bound price 0.229 only
 * as evidence (the adapter never feeds it as a fill price, spec §0.2 / docs/bingx-protocol.md).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadKernel } from "../kernel/index.js";
import { readHistoryArrow } from "./arrow-source.js";
import { replayRows } from "./engine.js";
import { replayCommand } from "./command.js";
import { FET_INCIDENT_ARROW, buildFetIncidentRows } from "./datasets/fet-incident.js";

describe("FET incident dataset (replay/datasets/fet-incident.arrow)", () => {
  it("the shipped file holds exactly the rows its generator builds", async () => {
    const built = buildFetIncidentRows(await loadKernel());
    const shipped = [];
    for await (const b of readHistoryArrow(FET_INCIDENT_ARROW)) shipped.push(...b);
    expect(shipped).toEqual(built);
    expect(shipped.filter((r) => r.kind === "WS_RAW").map((r) => r.nominal_price)).toEqual(["0.229", "0.229"]);
  });

  it("per leg: production booked 3214.4652 / derived 2776.4348, kernel and exchange 31.2084 / 132.7916; trade 5990.9 vs 164", async () => {
    const r = await replayRows(await loadKernel(), readHistoryArrow(FET_INCIDENT_ARROW));
    expect(r.trades).toHaveLength(1);
    const t = r.trades[0];
    expect([t.bookedUsdt, t.kernelUsdt, t.exchangeUsdt, t.pnlSource]).toEqual(["5990.9", "164", "164", "exchange"]);
    expect(t.legs.map((l) => [l.legIndex, l.quantity, l.bookedUsdt, l.kernelUsdt, l.exchangeUsdt])).toEqual([
      [0, "26007", "3214.4652", "31.2084", "31.2084"],
      [1, "176269", "2776.4348", "132.7916", "132.7916"],
    ]);
    // the bound price never reached the books: no leg booked at 0.229
    expect(t.exitVwap).not.toBe("0.229");
    expect(r.divergences.map((d) => [d.kind, d.legIndex ?? null, d.recorded, d.kernel])).toEqual([
      ["BOOKED_MISMATCH", 0, "3214.4652", "31.2084"],
      ["BOOKED_MISMATCH", 1, "2776.4348", "132.7916"],
      ["BOOKED_MISMATCH", null, "5990.9", "164"],
    ]);
    expect(r.ok).toBe(false);
    // kernel capital = exchange wallet at the closing BALANCE row (drift 0), the position is flat
    expect(r.balances.map((b) => [b.walletUsdt, b.driftUsdt])).toEqual([["10000", "0"], ["10126.1339328", "0"]]);
  });

  it("`dita replay` prints the per-leg table and the report shows it", async () => {
    const out = mkdtempSync(join(tmpdir(), "dita-fet-"));
    const res = await replayCommand({ arrow: FET_INCIDENT_ARROW, out });
    expect(res.code).toBe(1);
    expect(res.text).toMatch(/leg 0 \(26007\)\s+3214\.4652\s+31\.2084\s+31\.2084/);
    expect(res.text).toMatch(/fet-short-incident\s+5990\.9\s+164\s+164/);
    const html = readFileSync(join(out, "index.html"), "utf8");
    expect(html).toContain('id="trades"');
    expect(html).toContain("3214.4652");
    expect(html).toContain('id="plot-capital"');
    expect(html).toContain('id="plot-drift"');
  });
});
