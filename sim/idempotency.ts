/**
 * Offline idempotency check (docs/architecture.md §Ledger invariants 9; Flaw 10, I10, F26): re-feed a recorded input
 * batch to a fresh kernel restored from a saved state and compare. The runtime performs the same
 * comparison live on every probed duplicate frame (sim/runtime.ts); this function lets a checker
 * or a test do it from a trace: saved state + the inputs of one payload.
 */
import type { KernelConfig } from "../kernel/types.js";
import type { IdempotencyProbe } from "./record.js";
import type { Kernel, KernelModule } from "./runtime.js";
import type { KernelInput } from "../venues/connector/wire.js";

function feed(k: Kernel, inputs: readonly KernelInput[]): string[] {
  return inputs.map((i) => (i.k === "venue" ? k.onVenueEvent(i.ev) : k.onAccountEvent(i.ev)).code);
}

/** The kernel's state digest (kernel/README.md "State digest"): equal ⇔ equal saved state. */
const sha = (k: Kernel) => k.stateDigest();

/**
 * Restore `savedState` into a new kernel, apply `inputs` once, then apply `duplicate` (normally
 * the same inputs again) and report the state hash before and after the duplicate. Throws when the
 * kernel refuses the saved state. The kernel instance is disposed before returning.
 */
export function refeedDuplicate(
  kernelModule: KernelModule,
  config: KernelConfig,
  savedState: string,
  inputs: readonly KernelInput[],
  duplicate: readonly KernelInput[] = inputs,
): IdempotencyProbe {
  const k = kernelModule.create(config);
  try {
    const restored = k.restoreState(savedState);
    if (!restored.accepted) throw new Error(`refeedDuplicate: restoreState refused the saved state: ${restored.code} ${restored.message}`);
    feed(k, inputs);
    const beforeSha = sha(k);
    const codes = feed(k, duplicate);
    return { tUs: 0, what: "offline re-feed", beforeSha, afterSha: sha(k), codes };
  } finally {
    k.dispose();
  }
}
