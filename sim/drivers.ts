/**
 * Drivers: what emits intents into a run.
 * - ScriptedDriver: a timed list (sim/types.ts ScriptedIntent); intent ids "s<index>".
 * - RandomTrader: a seeded trader for chaos (stream "driver"): entries (MARKET and LIMIT, long and
 *   short) across several slots and symbols, multi-leg exits, cancels of working orders and
 *   re-entries into CLOSED slots, at a Poisson rate of `intentsPerHour`.
 * Both read the kernel's slot images (what a strategy sees), never the venue's books.
 */
import type { Intent, TimeInForce } from "../kernel/types.js";
import type { SlotHead } from "./runtime-types.js";
import type { ContractSpec, ScriptedIntent } from "./types.js";
import type { Rng } from "./rng.js";
import { Dec } from "./num.js";

const US_PER_HOUR = 3_600_000_000;

/** Validate and order a scripted intent list; throws naming the bad entry. */
export function scriptedIntents(list: readonly ScriptedIntent[], slotCount: number): { atUs: number; intent: Intent }[] {
  const out = list.map((s, i) => {
    if (!s || typeof s !== "object") throw new Error(`driver.intents[${i}]: not an object`);
    if (!Number.isSafeInteger(s.atUs) || s.atUs < 0) throw new Error(`driver.intents[${i}].atUs: ${String(s.atUs)} is not an integer µs time`);
    const it = s.intent;
    if (!it || !["ENTER", "EXIT", "EXIT_RESIDUAL", "CANCEL"].includes(String(it.kind))) {
      throw new Error(`driver.intents[${i}].intent.kind: ${String(it?.kind)} is not ENTER, EXIT, EXIT_RESIDUAL or CANCEL`);
    }
    if (!Number.isInteger(it.slotId) || it.slotId < 0 || it.slotId >= slotCount) {
      throw new Error(`driver.intents[${i}].intent.slotId: ${String(it.slotId)} outside 0..${slotCount - 1}`);
    }
    const intent = { ...it, intentId: `s${i}`, tsUs: s.atUs } as unknown as Intent;
    return { atUs: s.atUs, intent, i };
  });
  return out.sort((a, b) => a.atUs - b.atUs || a.i - b.i).map(({ atUs, intent }) => ({ atUs, intent }));
}

export interface TraderView {
  nowUs: number;
  /** Every slot, in slot order (only stage, symbol and side are read). */
  slots: readonly SlotHead[];
  /** Last tape price per symbol. */
  prices: Map<string, string>;
}

/** Seeded random trader (chaos driver). */
export class RandomTrader {
  private n = 0;
  private trades = 0;

  constructor(
    private readonly rng: Rng,
    private readonly symbols: readonly string[],
    private readonly contracts: ReadonlyMap<string, ContractSpec>,
    private readonly maxSlots: number,
    private readonly intentsPerHour: number,
    private readonly capitalUsdt: string,
    private readonly leverage: number,
  ) {
    if (symbols.length === 0) throw new Error("driver.symbols: at least one symbol is needed");
    for (const s of symbols) if (!contracts.has(s)) throw new Error(`driver.symbols: ${s} is not in the scenario's contracts`);
    if (!Number.isInteger(maxSlots) || maxSlots < 1) throw new Error(`driver.maxSlots: ${String(maxSlots)} must be a positive integer`);
    if (!(intentsPerHour > 0)) throw new Error(`driver.intentsPerHour: ${String(intentsPerHour)} must be > 0`);
  }

  /** Delay to the next decision, integer µs >= 1 (exponential, mean 1/rate). */
  nextDelayUs(): number {
    return Math.max(1, Math.round(this.rng.exponential(US_PER_HOUR / this.intentsPerHour)));
  }

  /** One decision: an intent for some slot, or undefined when nothing sensible can be done. */
  decide(view: TraderView): Intent | undefined {
    const slots = view.slots.slice(0, this.maxSlots);
    const order = this.rng.shuffle(slots.map((s) => s.slotId));
    const roll = this.rng.uniform();
    for (const slotId of order) {
      const s = slots[slotId];
      const intent = this.actOn(s, view, roll);
      if (intent) return intent;
    }
    return undefined;
  }

  private base(slotId: number, nowUs: number) {
    return { intentId: `r${this.n++}`, tsUs: nowUs, slotId };
  }

  private actOn(s: SlotHead, view: TraderView, roll: number): Intent | undefined {
    switch (s.stage) {
      case "IDLE":
      case "CLOSED":
        return roll < 0.6 ? this.enter(s.slotId, view) : undefined;
      case "POSITION_OPEN": {
        const r = this.rng.uniform();
        if (r < 0.55) return { ...this.base(s.slotId, view.nowUs), kind: "EXIT", ...this.exitOrder(s, view) };
        if (r < 0.85) return { ...this.base(s.slotId, view.nowUs), kind: "EXIT_RESIDUAL", ...this.exitOrder(s, view) };
        return undefined;
      }
      case "ENTRY_WORKING":
      case "EXIT_WORKING":
        return roll < 0.5 ? { ...this.base(s.slotId, view.nowUs), kind: "CANCEL" } : undefined;
      default:
        return undefined;
    }
  }

  private enter(slotId: number, view: TraderView): Intent | undefined {
    const symbol = this.rng.pick(this.symbols);
    const c = this.contracts.get(symbol) as ContractSpec;
    const px = view.prices.get(symbol);
    if (!px) return undefined;
    const price = new Dec(px);
    // Notional: 5-40 % of capital × leverage / slots, truncated to the step.
    const share = this.rng.between(0.05, 0.4);
    const notional = this.slotBudget().times(share.toFixed(6));
    const qty = notional.dividedBy(price).toDecimalPlaces(c.quantityPrecision, Dec.ROUND_DOWN);
    if (qty.lessThan(c.tradeMinQuantity) || qty.times(price).lessThan(c.tradeMinUSDT)) return undefined;
    // One-way mode nets all slots of a symbol into one venue position: a strategy keeps one
    // direction per symbol (opposite slots would make reduce-only exits fail with 101290).
    const held = view.slots.find((s) => s.symbol === symbol && s.stage !== "IDLE" && s.stage !== "CLOSED" && s.side);
    const coin = this.rng.chance(0.5) ? "LONG" : "SHORT";
    const side = held?.side ?? coin;
    const legs = this.rng.int(1, 3);
    const exitLegRatios = legs === 1 ? ["1"] : legs === 2 ? ["0.5", "0.5"] : ["0.3", "0.3", "0.4"];
    const isLimit = this.rng.chance(0.35);
    this.trades++;
    const tradeId = `t${this.trades}s${slotId}`;
    const b = this.base(slotId, view.nowUs);
    if (!isLimit) {
      return { ...b, kind: "ENTER", tradeId, symbol, side, quantity: qty.toFixed(), orderType: "MARKET", leverage: this.leverage, exitLegRatios };
    }
    // LIMIT near the tape, on the passive side, so it rests and may fill later.
    const offsetBps = this.rng.between(1, 40);
    const factor = side === "LONG" ? 1 - offsetBps / 10_000 : 1 + offsetBps / 10_000;
    const limitPrice = price.times(factor.toFixed(8)).toDecimalPlaces(c.pricePrecision, Dec.ROUND_HALF_EVEN).toFixed(c.pricePrecision);
    const timeInForce: TimeInForce = this.rng.pick(["GTC", "GTC", "GTC", "IOC", "POST_ONLY"] as const);
    return { ...b, kind: "ENTER", tradeId, symbol, side, quantity: qty.toFixed(), orderType: "LIMIT", limitPrice, timeInForce, leverage: this.leverage, exitLegRatios };
  }

  /** Capital × leverage / slots, computed on the first entry and kept (the same Decimal each time). */
  private slotBudget(): Dec {
    if (this.budget === undefined) this.budget = new Dec(this.capitalUsdt).times(this.leverage).dividedBy(this.maxSlots);
    return this.budget;
  }
  private budget: Dec | undefined;

  private exitOrder(s: SlotHead, view: TraderView): { orderType: "MARKET" | "LIMIT"; limitPrice?: string; timeInForce?: TimeInForce } {
    const px = view.prices.get(s.symbol);
    const c = this.contracts.get(s.symbol);
    if (!px || !c || !this.rng.chance(0.3)) return { orderType: "MARKET" };
    const offsetBps = this.rng.between(1, 30);
    const factor = s.side === "LONG" ? 1 + offsetBps / 10_000 : 1 - offsetBps / 10_000;
    const limitPrice = new Dec(px).times(factor.toFixed(8)).toDecimalPlaces(c.pricePrecision, Dec.ROUND_HALF_EVEN).toFixed(c.pricePrecision);
    return { orderType: "LIMIT", limitPrice, timeInForce: "GTC" };
  }
}
