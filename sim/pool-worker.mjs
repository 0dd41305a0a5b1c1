// Worker thread entry of sim/pool.ts: imports the task module named in workerData (with
// `bundled`, a plain-JavaScript bundle of it, sim/pool-bundle.ts, loaded without tsx; else a
// TypeScript module loaded through tsx), and answers each {i, task} message
// with {i, result} or {i, error}. Runs tasks one at a time, in the order they arrive.
import { parentPort, workerData } from "node:worker_threads";
if (workerData.bundled) {
  // The bundle carries an inline source map: stack traces then name the .ts files.
  process.setSourceMapsEnabled(true);
} else {
  const { register } = await import("tsx/esm/api");
  register();
}
const mod = await import(workerData.module);
const fn = mod[workerData.fn];
if (typeof fn !== "function") throw new Error(`pool worker: ${workerData.module} has no function export ${workerData.fn}`);
parentPort.on("message", async (msg) => {
  try {
    const result = await fn(msg.task, workerData.init);
    parentPort.postMessage({ i: msg.i, result });
  } catch (err) {
    parentPort.postMessage({ i: msg.i, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
parentPort.postMessage({ ready: true });
