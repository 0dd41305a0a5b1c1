/**
 * Feeding one decoded venue input to the kernel, shared by the simulator's kernel host
 * (sim/kernel-host.ts) and live shadow mode (shadow/session.ts): the input's trace row, the
 * kernel call, and the facts every host records around it: which slots a fill changed (the
 * routing record of invariant 10) and the wallet a BALANCE anchored. What differs stays with
 * the host: the simulator's fault hooks and mark cache, the shadow's history, latency metrics
 * and foreign-fill bookkeeping.
 */
import type { AccountEvent, Outcome, SlotImage, VenueEvent } from "../kernel/types.js";
import { slotHeadOf } from "../kernel/typed.js";
import type { SlotHeadImage } from "../kernel/typed.js";
import type { KernelInput } from "../venues/connector/ports.js";
import type { FillRoute } from "./record.js";
import type { Kernel } from "./runtime-types.js";

/** What a host learns from one fed input. */
export interface FedInput {
  out: Outcome;
  /** For a fill: every slot's fingerprint before the call (pass to {@link fillRoute}). */
  fillBefore?: string[];
  /** For a BALANCE that anchored capital (accepted, code OK): the wallet it anchored to. */
  anchoredWallet?: string;
}

/**
 * Feed `inp` to `kernel`: for a fill, the slots' fingerprints first; then `record` gets the input
 * row (`kernel.venue` / `kernel.account`, the input itself); then the kernel call. Throws what the
 * kernel binding throws (the host reports it, never skips it silently).
 * @param fingerprints every slot's {@link slotFingerprint}, slot 0 first
 */
export function feedKernelInput(
  kernel: Kernel,
  inp: KernelInput,
  record: (kind: "kernel.venue" | "kernel.account", ev: VenueEvent | AccountEvent) => void,
  fingerprints: () => string[],
): FedInput {
  if (inp.k === "venue") {
    const ev = inp.ev;
    const fillBefore = ev.kind === "PARTIAL_FILL" || ev.kind === "FULL_FILL" ? fingerprints() : undefined;
    record("kernel.venue", ev);
    const out = kernel.onVenueEvent(ev);
    return fillBefore ? { out, fillBefore } : { out };
  }
  const ev = inp.ev;
  record("kernel.account", ev);
  const out = kernel.onAccountEvent(ev);
  const anchoredWallet = ev.kind === "BALANCE" && out.accepted && out.code === "OK" ? ev.walletBalanceUsdt : undefined;
  return anchoredWallet !== undefined ? { out, anchoredWallet } : { out };
}

/** A slot's position and order figures as one string: a fill that changes none of them did not touch the slot. */
export function slotFingerprint(s: SlotImage): string {
  return headFingerprint(slotHeadOf(s));
}

/**
 * {@link slotFingerprint} from the slot's head (kernel/index.ts `slotHead`, the same values as its
 * image): stage, trade id, size, live entry / exit orders' filled quantities ("-" without the
 * order), realized PnL and the number of exit legs.
 */
export function headFingerprint(h: SlotHeadImage): string {
  return `${h.stage}|${h.tradeId}|${h.sizeQty}|${h.entryFilledQty ?? "-"}|${h.exitFilledQty ?? "-"}|${h.realizedPnlUsdt}|${h.legCount}`;
}

/**
 * The routing record of one fill (invariant 10): the slots whose fingerprint changed across the
 * call, the owner slot of its client order id (the id from the event, else from its venue order
 * id), and the kernel's code.
 * @param clientOf client order id of a venue order id, as the host learnt it
 * @param ownerSlot the slot that placed a client order id (undefined: not ours)
 */
export function fillRoute(
  tUs: number,
  ev: VenueEvent,
  out: Outcome,
  before: string[],
  after: string[],
  clientOf: (venueOrderId: string) => string | undefined,
  ownerSlot: (clientOrderId: string) => number | undefined,
): FillRoute {
  const changedSlots = after.flatMap((f, i) => (f !== before[i] ? [i] : []));
  const cid = ev.clientOrderId ?? (ev.venueOrderId ? clientOf(ev.venueOrderId) : undefined);
  return { tUs, eventId: ev.eventId, clientOrderId: cid, venueOrderId: ev.venueOrderId, expectedSlot: cid ? ownerSlot(cid) : undefined, changedSlots, code: out.code };
}
