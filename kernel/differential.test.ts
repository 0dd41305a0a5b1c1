/**
 * Native vs WASM differential in the suite (issue 11): ≥ 200,000 records of the same stream
 * through both kernels; every outcome (digested) and the final saved state must be
 * byte-identical. The native side is built by the rustup cargo on PATH (first run compiles the
 * crate in release into kernel/target/differential, later runs only when sources change).
 */
import { describe, expect, it } from "vitest";
import { loadKernel } from "./index.js";
import { perturbedStream, runDifferential, wasmDigest } from "./differential.js";

describe("native / WASM differential (issue 11)", () => {
  it("issue 11 / E7: ≥ 200,000 records (bench stream + duplicated and corrupted records) give byte-identical outcomes and saved state natively and in WASM", async () => {
    const r = await runDifferential(200_000, { seed: 11, slots: 6 });
    expect(r.records).toBeGreaterThanOrEqual(200_000);
    expect(r.duplicated).toBeGreaterThan(1000);
    expect(r.corrupted).toBeGreaterThan(500);
    expect(r.wasm.records).toBe(r.records);
    expect(r.native.records).toBe(r.records);
    expect({ bytes: r.native.outputBytes, digest: r.native.outputDigest }).toEqual({ bytes: r.wasm.outputBytes, digest: r.wasm.outputDigest });
    expect(r.native.state.length).toBe(r.wasm.state.length);
    expect(r.native.state === r.wasm.state, "saved states differ").toBe(true);
    expect(r.identical).toBe(true);
  }, 1_200_000);

  it("issue 11: the digest covers every outcome (one record less changes it; the same stream gives the same digest)", async () => {
    const mod = await loadKernel();
    const { config, records } = mod.benchStream(2_000, 5, 4);
    const s = perturbedStream(records, 5);
    const full = await wasmDigest(JSON.stringify(config), s.bytes);
    const firstLen = new DataView(s.bytes.buffer).getUint32(0, true);
    const fewer = await wasmDigest(JSON.stringify(config), s.bytes.subarray(firstLen));
    expect(fewer.records).toBe(full.records - 1);
    expect(fewer.outputDigest).not.toBe(full.outputDigest);
    const again = await wasmDigest(JSON.stringify(config), s.bytes);
    expect(again).toEqual(full);
  });
});
