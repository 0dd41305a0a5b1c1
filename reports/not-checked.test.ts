/**
 * A "not-checked" invariant (determinism of a run executed once, sim/invariants.ts) is displayed
 * as "not checked" everywhere — the run page and `dita run`'s text — never as a pass, and is
 * left out of the count of invariants that hold (COMMON rules; issue 12).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunResult } from "../sim/types.js";
import { renderRunReport } from "./run-page.js";
import { runText } from "../cli/commands.js";

function fixture(): RunResult {
  const r = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", "run-result.json"), "utf8")) as RunResult;
  r.invariants = r.invariants.filter((i) => i.name !== "determinism");
  r.invariants.push({ name: "determinism", ok: true, status: "not-checked", detail: "not checked: the run was executed once (trace hash h)" });
  return r;
}

describe("not-checked invariants are never shown as a pass", () => {
  it("run page: the determinism row says 'not checked' and the count excludes it", () => {
    const r = fixture();
    const html = renderRunReport(r);
    const row = /<tr><td>determinism<\/td><td[^>]*>([^<]*)<\/td>/.exec(html);
    expect(row?.[1]).toBe("not checked");
    const holding = r.invariants.filter((i) => i.ok && i.status !== "not-checked").length;
    expect(html).toContain(`${holding}/${r.invariants.length - 1} invariants hold (1 not checked)`);
  });

  it("dita run text: the determinism row says 'not checked', not 'ok'", () => {
    const text = runText(fixture());
    const line = text.split("\n").find((l) => l.startsWith("determinism"));
    expect(line).toMatch(/^determinism\s+not checked\s/);
  });
});
