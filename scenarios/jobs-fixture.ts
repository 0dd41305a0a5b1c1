/** Task module for scenarios/jobs.test.ts (sim/pool.ts): doubles its input after a delay of that many ms. */
export async function slowDouble(n: number): Promise<number> {
  if (n < 0) throw new Error(`negative input ${n}`);
  await new Promise((r) => setTimeout(r, n));
  return 2 * n;
}

/** Task for scenarios/jobs.test.ts: which thread ran it and the V8 heap limits it ran under. */
export async function threadLimits(): Promise<{ isMainThread: boolean; maxYoungGenerationSizeMb: number | undefined }> {
  const { isMainThread, resourceLimits } = await import("node:worker_threads");
  return { isMainThread, maxYoungGenerationSizeMb: resourceLimits.maxYoungGenerationSizeMb };
}
