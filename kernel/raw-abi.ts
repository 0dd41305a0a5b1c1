/**
 * Raw access to the kernel's WebAssembly exports, beside the binding, for the fuzzer
 * (`dita fuzz`), the raw-JSON fuzz property and the native/WASM differential check (issue 11).
 * The binding (index.ts `Kernel`) guards and JSON-encodes JS values; this module hands the
 * kernel's parser exact bytes (malformed JSON, duplicate keys, ids of 2^32 ...) and reads the
 * result buffer straight out of module memory.
 *
 * One `RawInstance` = one WebAssembly instance holding one kernel; `kernel` is a binding `Kernel`
 * over the very same instance, so an input may go through either path and the state is shared.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { DEFAULT_WASM_PATH, Kernel, KernelError, METHOD, loadKernel, readResultText, withInput, type Exports } from "./index.js";
import { guardInput, guardOutcome } from "./input-guard.js";
import type { KernelConfig, Outcome } from "./types.js";

/** Envelope of a kernel call (api.rs): the value, or a refused getter's outcome. */
export type RawEnvelope = { ok: true; value: unknown } | { ok: false; outcome: Outcome };

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

/** One kernel instance reachable through the raw exports and through the binding. */
export class RawInstance {
  readonly ex: Exports;
  /** The binding over this same instance (shares its state). */
  readonly kernel: Kernel;

  /** @internal use RawKernelModule.create */
  constructor(ex: Exports) {
    this.ex = ex;
    this.kernel = new Kernel(ex);
  }

  /**
   * Call `method` with exact input bytes (UTF-8 JSON text, or any bytes); returns a view of the
   * result buffer in module memory, valid until the next call on this instance.
   */
  callView(method: keyof typeof METHOD, input: Uint8Array): Uint8Array {
    const ex = this.ex;
    return withInput(ex, input, (p, l) => {
      const ptr = ex.kernel_call(METHOD[method], p, l) >>> 0;
      const len = new DataView(ex.memory.buffer).getUint32(ptr, true);
      return new Uint8Array(ex.memory.buffer, ptr + 4, len);
    });
  }

  /** Call `method` with `text` as is and parse the envelope. */
  call(method: keyof typeof METHOD, text: string | Uint8Array): RawEnvelope {
    const bytes = typeof text === "string" ? enc.encode(text) : text;
    return JSON.parse(dec.decode(this.callView(method, bytes))) as RawEnvelope;
  }

  /** The outcome of an outcome-returning method called with `text` as is. */
  outcome(method: keyof typeof METHOD, text: string | Uint8Array): Outcome {
    const env = this.call(method, text);
    return env.ok ? (env.value as Outcome) : env.outcome;
  }

  /** saveState's envelope bytes, a view into module memory (valid until the next call). */
  savedStateView(): Uint8Array {
    return this.callView("saveState", enc.encode("null"));
  }
}

/** A verified kernel artifact whose instances are reachable raw. */
export interface RawKernelModule {
  /** Create a kernel instance from a config (JSON text passed as is, or a KernelConfig). */
  create(config: KernelConfig | string): RawInstance;
  /** The raw `kernel_create` result for a config text (for fuzzing configs). */
  createEnvelope(configText: string): { ok: boolean; outcome?: Outcome };
}

/**
 * Load an artifact through the binding's verified loader (stale-binary guard), then compile it
 * for raw instances. Throws KernelError (MISSING_BINARY / STALE_BINARY / a config refusal).
 */
export async function loadRawKernel(opts: { wasmPath?: string } = {}): Promise<RawKernelModule> {
  const wasmPath = resolve(opts.wasmPath ?? DEFAULT_WASM_PATH);
  await loadKernel({ wasmPath });
  const module = await WebAssembly.compile(readFileSync(wasmPath));
  const instantiate = (): Exports => new WebAssembly.Instance(module, {}).exports as unknown as Exports;
  const createEnvelope = (ex: Exports, text: string): { ok: boolean; outcome?: Outcome } =>
    JSON.parse(withInput(ex, enc.encode(text), (p, l) => readResultText(ex, ex.kernel_create(p, l)))) as { ok: boolean; outcome?: Outcome };
  return {
    create(config: KernelConfig | string): RawInstance {
      const bad = typeof config === "string" ? null : guardInput(config, true);
      if (bad) throw new KernelError("INVALID_INTENT", `${bad.field} ${bad.value}: ${bad.reason}`, guardOutcome("INVALID_INTENT", bad, 0));
      const ex = instantiate();
      const env = createEnvelope(ex, typeof config === "string" ? config : JSON.stringify(config));
      if (!env.ok) throw new KernelError(env.outcome?.code ?? "INTERNAL", env.outcome?.message ?? "kernel_create refused the config", env.outcome);
      return new RawInstance(ex);
    },
    createEnvelope(configText: string) {
      return createEnvelope(instantiate(), configText);
    },
  };
}
