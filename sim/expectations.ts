/**
 * Scenario expectations (sim/types.ts ScenarioExpectations), each checked and reported by name:
 * "expect.finalStage[<slot>]", "expect.diagnostic[<code>]", "expect.forbidden[<code>]",
 * "expect.trade[<id>].<field>", "expect.ledger.<field>", "expect.violation[<invariant>]".
 * Decimal fields compare as exact decimals ("242.7312" = "242.73120").
 */
import type { KernelSnapshot } from "../kernel/types.js";
import type { InvariantEvidence, InvariantResult, ScenarioExpectations } from "./types.js";
import { Dec } from "./num.js";

function sameValue(a: unknown, b: unknown): boolean {
  const DECIMAL = /^-?\d+(\.\d+)?$/;
  if (typeof a === "string" && typeof b === "string" && DECIMAL.test(a) && DECIMAL.test(b)) return new Dec(a).equals(new Dec(b));
  if (typeof a === "number" && typeof b === "string" && DECIMAL.test(b)) return new Dec(a).equals(new Dec(b));
  return a === b;
}

/** Check `exp` against the final kernel state, the diagnostics seen and the invariant results. */
export function checkExpectations(
  exp: ScenarioExpectations | undefined,
  final: KernelSnapshot,
  diagnostics: readonly string[],
  invariants: readonly InvariantResult[],
): InvariantResult[] {
  if (!exp) return [];
  const out: InvariantResult[] = [];
  // A failed expectation carries where it failed (slot / trade), like an invariant's evidence.
  const push = (name: string, ok: boolean, detail: string, where: Omit<InvariantEvidence, "detail"> = {}) =>
    out.push(ok ? { name, ok, detail } : { name, ok, detail, evidence: [{ detail, ...where }] });
  for (const [slot, stage] of Object.entries(exp.finalStages ?? {})) {
    const s = final.slots[Number(slot)];
    const where = s ? { slotId: s.slotId, ...(s.tradeId ? { tradeId: s.tradeId } : {}) } : {};
    push(`expect.finalStage[${slot}]`, s?.stage === stage, `expected ${stage}, got ${s ? s.stage : "no such slot"}`, where);
  }
  const seen = new Set(diagnostics);
  for (const code of exp.diagnostics ?? []) push(`expect.diagnostic[${code}]`, seen.has(code), seen.has(code) ? "produced" : `never produced (seen: ${[...seen].join(",")})`);
  for (const code of exp.forbiddenDiagnostics ?? []) push(`expect.forbidden[${code}]`, !seen.has(code), seen.has(code) ? "produced" : "never produced");
  for (const t of exp.trades ?? []) {
    const got = final.trades.find((x) => x.tradeId === t.tradeId);
    if (!got) {
      push(`expect.trade[${t.tradeId}]`, false, "no such trade");
      continue;
    }
    for (const f of ["realizedGrossUsdt", "realizedNetUsdt", "pnlSource"] as const) {
      if (t[f] === undefined) continue;
      push(`expect.trade[${t.tradeId}].${f}`, sameValue(got[f], t[f]), `expected ${t[f]}, got ${got[f]}`, { slotId: got.slotId, tradeId: got.tradeId, symbol: got.symbol, tUs: got.closedAtUs ?? got.openedAtUs });
    }
    for (const flag of t.flags ?? []) push(`expect.trade[${t.tradeId}].flag[${flag}]`, got.flags.includes(flag), `flags ${got.flags.join(",") || "(none)"}`, { slotId: got.slotId, tradeId: got.tradeId, symbol: got.symbol });
  }
  for (const [k, v] of Object.entries(exp.ledger ?? {})) {
    const got = (final.ledger as unknown as Record<string, unknown>)[k];
    push(`expect.ledger.${k}`, sameValue(got, v), `expected ${String(v)}, got ${String(got)}`);
  }
  for (const name of exp.expectViolations ?? []) {
    const r = invariants.find((i) => i.name === name);
    push(`expect.violation[${name}]`, r !== undefined && !r.ok, r ? (r.ok ? "held, but a violation was expected" : `violated as expected: ${r.detail}`) : "no such invariant");
  }
  return out;
}
