import { runScenario } from "./sim/run.js";
import { setAdapterMutant } from "./venues/bingx/adapter.js";
import { getScenario } from "./scenarios/index.js";
if (process.env.MUT) setAdapterMutant(process.env.MUT as any);
const sc = getScenario("chaos")!;
let bad = 0;
const n = Number(process.env.N ?? 60);
for (let seed = 1; seed <= n; seed++) {
  const r = await runScenario(sc, { seed, checkDeterminism: false });
  if (!r.ok) { bad++; console.log(seed, r.invariants.filter((i) => !i.ok).map((i) => i.name + ": " + i.detail.slice(0, 200)).join(" | ")); }
}
console.log("failed", bad, "of", n);
