/**
 * `dita shadow` and `dita venue serve` (docs/shadow.md). Both return a CommandOutput (cli/main.ts
 * prints it) and follow the CLI contract: exit 0 all checks hold, 1 a check failed, 2 bad usage or
 * a refusal (non-VST host, non-VST asset, credentials on a group-readable file) — refused before
 * any connection is opened.
 */
import { resolve } from "node:path";
import type { Scenario } from "../sim/types.js";
import { sharedKernel } from "../sim/run.js";
import { writeTraceArrow } from "../sim/trace.js";
import { randomScenario } from "../sim/fixtures/soak.js";
import { nextCounterDir, stagingDir, writeRunReport } from "../reports/write.js";
import { HttpRestTransport, type FetchFn } from "../venues/bingx/live/rest-client.js";
import { CredentialError, Redactor, loadCredentials, type Credentials } from "../venues/bingx/live/secrets.js";
import { VST_REST_URL, VenueRefused, resolveVenue } from "../venues/bingx/live/hosts.js";
import type { LiveClock } from "../venues/bingx/live/clock.js";
import type { WsFactory } from "../venues/bingx/live/user-stream.js";
import { startVenueServer, type FrameFaults, type ScheduledFaults } from "./venue-server.js";
import { EXIT_CHECK_FAILED, EXIT_OK, UsageError } from "../cli/errors.js";
import { ShadowSession, type ShadowDriver } from "./session.js";
import { shadowRunResult } from "./result.js";
import { systemClock } from "./system-clock.js";

/** The scenario `dita venue serve` uses without --scenario/--file: BTC-USDT and FET-USDT on seeded GBM, 0.5 s ticks. */
export function defaultServeScenario(): Scenario {
  return randomScenario("venue-serve", 24 * 30, {}, { stepUs: 500_000, intentsPerHour: 1800 });
}

/** Options of {@link runShadow} (CLI flags, plus injectable clock/transport for tests). */
export interface ShadowRunOptions {
  venue: string;
  realMoney: boolean;
  credentialsFile?: string;
  env: NodeJS.ProcessEnv;
  seed: number;
  durationS: number;
  mode: "observe" | "random" | "scenario";
  /** With mode "scenario": the scenario (its contracts, slot count, leverage and scripted intents). */
  scenario?: Scenario;
  symbols?: string[];
  slots?: number;
  intentsPerHour?: number;
  leverage?: number;
  cancelOnExit: boolean;
  flattenOnExit: boolean;
  statusEveryS: number;
  reportsDir: string;
  log: (line: string) => void;
  clock?: LiveClock;
  fetchImpl?: FetchFn;
  wsFactory?: WsFactory;
  /** Called with the session once it exists (Ctrl-C handling, tests). */
  onSession?: (s: ShadowSession) => void;
}

/** Refusals and bad input become UsageError (exit 2); nothing has been opened yet. */
function refuse(e: unknown): never {
  if (e instanceof VenueRefused || e instanceof CredentialError) throw new UsageError(e.message);
  throw e;
}

/** Run one shadow session; returns the CLI output (JSON summary + text). */
export async function runShadow(o: ShadowRunOptions) {
  let target;
  let creds: Credentials;
  try {
    target = resolveVenue(o.venue, o.realMoney);
    creds = loadCredentials(o.env, o.credentialsFile);
  } catch (e) {
    refuse(e);
  }
  if (!(o.durationS > 0)) throw new UsageError(`--duration ${o.durationS}: must be > 0 seconds`);
  const redactor = new Redactor();
  redactor.add(creds.apiKey, "apiKey");
  redactor.add(creds.secretKey, "secretKey");
  const log = (line: string) => o.log(redactor.redact(line));
  const driver = shadowDriver(o);
  const symbols = o.symbols ?? (o.scenario ? o.scenario.contracts.map((c) => c.symbol) : defaultServeScenario().contracts.map((c) => c.symbol));
  const clock = o.clock ?? systemClock;
  const rest = new HttpRestTransport({ baseUrl: target.restBase, credentials: creds, redactor, clock, timeoutMs: 10_000, fetchImpl: o.fetchImpl });
  const session = new ShadowSession({
    target,
    realMoney: o.realMoney,
    clock,
    rest,
    redactor,
    wsFactory: o.wsFactory,
    kernelModule: await sharedKernel(),
    symbols,
    driver,
    seed: o.seed,
    durationMs: Math.round(o.durationS * 1000),
    slotCount: o.slots ?? o.scenario?.slotCount ?? 4,
    leverage: o.leverage ?? o.scenario?.leverage ?? 3,
    statusEveryMs: Math.round(o.statusEveryS * 1000),
    cancelOnExit: o.cancelOnExit,
    flattenOnExit: o.flattenOnExit,
    log,
  });
  o.onSession?.(session);
  const t0 = clock.nowUs();
  try {
    await session.run();
  } catch (e) {
    if (e instanceof VenueRefused) throw new UsageError(redactor.redact(e.message));
    throw redactor.redactError(e);
  }
  const name = `shadow-${target.kind}`;
  const result = shadowRunResult(session, name, o.seed, (clock.nowUs() - t0) / 1000);
  const dir = nextCounterDir(resolve(o.reportsDir), "shadow");
  // The report folder is written atomically (reports/write.ts): the recording and the trace go into
  // its staging folder first, and the whole folder is renamed into place by writeRunReport.
  const staging = stagingDir(dir);
  const recording = resolve(dir, "history.arrow");
  session.history.final(clock.nowUs(), session.kernel.snapshot());
  await session.history.write(resolve(staging, "history.arrow"));
  writeTraceArrow(resolve(staging, "trace.arrow"), session.trace.rows ?? []);
  result.trace = resolve(staging, "trace.arrow"); // already in place: writeRunReport keeps it and points at the final folder
  const written = writeRunReport(result, dir, { staging, repro: `npx dita shadow --venue ${target.restBase} --seed ${o.seed} --duration ${o.durationS} (${o.mode})` });
  const doc = shadowSummary(session, result, written.dir, recording, target.kind, target.restBase, o);
  const text = redactor.redact(
    [
      session.statusLine(),
      ...result.invariants.map((i) => `${i.status === "not-checked" ? "not checked" : i.ok ? "PASS" : "FAIL"}  ${i.name}: ${i.detail}`),
      ...result.expectations.map((i) => `${i.status === "not-checked" ? "not checked" : i.ok ? "PASS" : "FAIL"}  ${i.name}: ${i.detail}`),
      `${result.ok ? "OK" : "CHECK FAILED"} · ${result.trades.length} trades · report ${written.html}`,
    ].join("\n"),
  );
  session.dispose();
  return { code: result.ok ? EXIT_OK : EXIT_CHECK_FAILED, doc: JSON.parse(redactor.redact(JSON.stringify(doc))) as unknown, text };
}

function shadowDriver(o: ShadowRunOptions): ShadowDriver {
  if (o.mode === "observe") return { kind: "observe" };
  if (o.mode === "scenario") {
    const sc = o.scenario;
    if (!sc) throw new UsageError("--scenario/--file: a scenario is required for a scripted shadow session");
    if (sc.driver.kind !== "scripted") throw new UsageError(`scenario ${sc.name}: driver.kind ${sc.driver.kind}: only scripted scenarios drive a shadow session (use --random for the random trader)`);
    return { kind: "scripted", intents: sc.driver.intents, startUs: sc.startUs };
  }
  const symbols = o.symbols ?? defaultServeScenario().contracts.map((c) => c.symbol);
  const ph = o.intentsPerHour ?? 1800;
  if (!(ph > 0)) throw new UsageError(`--intents-per-hour ${ph}: must be > 0`);
  return { kind: "random", symbols, maxSlots: o.slots ?? 4, intentsPerHour: ph };
}

/** The `--json` document of a session. */
export function shadowSummary(s: ShadowSession, r: ReturnType<typeof shadowRunResult>, report: string, recording: string, kind: string, restBase: string, o: ShadowRunOptions) {
  const idle = s.rec.balanceChecks.filter((c) => c.idle);
  const exit = s.rec.parity.find((p) => p.label === "exit");
  return {
    ok: r.ok,
    venue: { kind, restBase, marginAsset: s.marginAsset },
    driver: o.mode,
    seed: o.seed,
    durationS: o.durationS,
    elapsedS: Math.round(r.wallMs / 100) / 10,
    stoppedEarly: s.stoppedEarly,
    trades: r.trades.length,
    ledger: r.ledger,
    exchangeLedger: r.venueLedger,
    balanceChecks: {
      count: s.rec.balanceChecks.length,
      idle: idle.length,
      maxIdleUnexplainedDriftUsdt: idle.reduce((a, c) => (Number(c.unexplainedDriftUsdt) > Number(a) ? c.unexplainedDriftUsdt : a), "0"),
      all: s.rec.balanceChecks,
    },
    positions: exit ? { kernel: exit.kernel, exchange: exit.venue, exchangeAtStart: s.rec.exchangeAtStart ?? null, exchangeNow: s.rec.exchangePositions } : null,
    stuckSlots: s.stuckSlots(),
    latency: { rest: s.restLatency.summary(), submitToAck: s.ackLatency.summary(), submitToFill: s.fillLatency.summary(), wsLag: s.wsLag.summary() },
    reconnects: s.reconnects,
    gaps: s.rec.gaps.map((g) => ({ reason: g.reason, reconnectMs: g.reconnectedUs === undefined ? null : (g.reconnectedUs - g.startUs) / 1000, reconcileMs: g.reconciledUs === undefined ? null : (g.reconciledUs - g.startUs) / 1000 })),
    rateLimitHits: s.rec.rateLimitHits,
    duplicateResolutions: s.rec.duplicateResolutions,
    restErrors: s.rec.restErrors,
    submits: s.ownClientOrderIds().size,
    foreignFills: s.rec.foreign,
    unknownEvents: Object.fromEntries(s.rec.unknownEvents),
    badFrames: s.rec.badFrames,
    cancelledOnExit: s.rec.exitCancelled,
    invariants: r.invariants.map((i) => ({ name: i.name, ok: i.ok, status: i.status ?? "checked", detail: i.detail })),
    checks: r.expectations.map((i) => ({ name: i.name, ok: i.ok, status: i.status ?? "checked", detail: i.detail })),
    traceHash: r.traceHash,
    report,
    recording,
  };
}

// ───────────────────────────── venue serve ─────────────────────────────

/** Parse "500ms" / "20s" / "1.5s" → ms; throws UsageError naming `field`. */
export function parseDurationMs(field: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(v);
  if (!m) throw new UsageError(`${field}: ${v} is not a duration like 500ms or 20s`);
  const ms = Number(m[1]) * (m[2] === "s" ? 1000 : 1);
  if (!(ms > 0)) throw new UsageError(`${field}: ${v} must be > 0`);
  return ms;
}

function parseProb(field: string, v: string): number {
  const p = Number(v);
  if (!/^\d*\.?\d+$/.test(v) || !(p >= 0 && p <= 1)) throw new UsageError(`${field}: ${v} is not a probability in [0,1]`);
  return p;
}

/**
 * `--faults` list: `drop:EVERY`, `expire:EVERY`, `storm:EVERY/DURATION`, `foreign:EVERY`,
 * `dup:P`, `delay:P/MAX` (durations like 20s or 500ms). Throws UsageError naming the item.
 */
export function parseFaults(spec: string): { scheduled: ScheduledFaults; frames: FrameFaults } {
  const scheduled: ScheduledFaults = {};
  const frames: FrameFaults = {};
  for (const item of spec.split(",").map((x) => x.trim()).filter(Boolean)) {
    const [kind, arg = ""] = item.split(":");
    const f = `--faults ${item}`;
    if (kind === "drop") scheduled.dropEveryMs = parseDurationMs(f, arg);
    else if (kind === "expire") scheduled.expireEveryMs = parseDurationMs(f, arg);
    else if (kind === "foreign") scheduled.foreignEveryMs = parseDurationMs(f, arg);
    else if (kind === "storm") {
      const [every, dur] = arg.split("/");
      scheduled.storm = { everyMs: parseDurationMs(f, every ?? ""), durationMs: parseDurationMs(f, dur ?? "") };
    } else if (kind === "dup") frames.duplicate = parseProb(f, arg);
    else if (kind === "delay") {
      const [p, max] = arg.split("/");
      frames.delay = { probability: parseProb(f, p ?? ""), maxMs: parseDurationMs(f, max ?? "") };
    } else throw new UsageError(`${f}: unknown fault ${kind} (drop, expire, storm, foreign, dup, delay)`);
  }
  return { scheduled, frames };
}

/** Options of `dita venue serve`. */
export interface ServeCommandOptions {
  port: number;
  seed: number;
  faults?: string;
  scenario?: Scenario;
  durationS?: number;
  credentialsFile?: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

/** Serve until SIGINT/SIGTERM or `durationS`; the output is the server's counters. */
export async function venueServeCommand(o: ServeCommandOptions) {
  let creds: Credentials;
  try {
    creds = loadCredentials(o.env, o.credentialsFile);
  } catch (e) {
    refuse(e);
  }
  const faults = parseFaults(o.faults ?? "");
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new UsageError(`--port ${o.port}: must be an integer in 0..65535`);
  const scenario = o.scenario ?? defaultServeScenario();
  const server = await startVenueServer({ port: o.port, seed: o.seed, clock: systemClock, scenario, credentials: creds, scheduled: faults.scheduled, frames: faults.frames, log: o.log });
  o.log(`venue serve: ${scenario.name} seed ${o.seed} on ${server.url} (user stream ws://127.0.0.1:${server.port}/swap-market); faults ${o.faults ?? "none"}; Ctrl-C stops`);
  await new Promise<void>((done) => {
    const stop = () => done();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    if (o.durationS !== undefined) systemClock.after(o.durationS * 1000, stop);
  });
  await server.close();
  const { issuedListenKeys, ...stats } = server.stats;
  const doc = { ok: true, url: server.url, seed: o.seed, scenario: scenario.name, stats: { ...stats, listenKeysIssued: issuedListenKeys.length }, positions: server.venue.positions(), ledger: server.venue.ledger() };
  return { code: EXIT_OK, doc, text: `venue serve stopped: ${server.stats.restCalls} REST calls, ${server.stats.wsConnections} stream connections, ${server.stats.framesSent} frames` };
}

export { VST_REST_URL };
