/** Task module for scenarios/jobs.test.ts (sim/pool.ts): doubles its input after a delay of that many ms. */
export async function slowDouble(n: number): Promise<number> {
  if (n < 0) throw new Error(`negative input ${n}`);
  await new Promise((r) => setTimeout(r, n));
  return 2 * n;
}
