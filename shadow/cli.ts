/**
 * Registers `dita shadow` and `dita venue serve` on the commander program (kept out of
 * cli/main.ts so that file only gains one call). Flags are documented in docs/shadow.md.
 * Secrets are never flags: BINGX_API_KEY / BINGX_SECRET_KEY or --credentials-file (mode 0600).
 */
import { Command, Option } from "commander";
import { parseSeed } from "../cli/args.js";
import { reportsRoot, resolveScenario, type CommandOutput, type CommandWrap } from "../cli/commands.js";
import { UsageError } from "../cli/errors.js";
import { log } from "../cli/io.js";
import { runShadow, venueServeCommand, VST_REST_URL } from "./command.js";
import type { ShadowSession } from "./session.js";


function positive(field: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d*\.?\d+$/.test(v) || !(n > 0)) throw new UsageError(`${field} ${v}: must be a positive number`);
    return n;
  };
}

function symbolList(v: string): string[] {
  const xs = v.split(",").map((s) => s.trim()).filter(Boolean);
  for (const s of xs) if (!/^[A-Z0-9]{1,20}-[A-Z]{2,10}$/.test(s)) throw new UsageError(`--symbols: ${s} is not a BingX symbol like BTC-USDT`);
  if (xs.length === 0) throw new UsageError("--symbols: empty list");
  return xs;
}

/** Add the two subcommands (`dita shadow`, `dita venue serve`) to `program`. */
export function registerShadowCommands(program: Command, json: () => Option, wrap: CommandWrap): void {
  registerShadow(program, json, wrap);
  registerVenueServe(program, json, wrap);
}

/** `dita shadow`. */
function registerShadow(program: Command, json: () => Option, wrap: CommandWrap): void {
  program
    .command("shadow")
    .description("live shadow mode: the real kernel against BingX VST (default) or a loopback `dita venue serve`; status on stderr, report + recording at exit")
    .option("--venue <url>", "REST base URL (VST by default; loopback http://127.0.0.1:P for the mock; anything else needs --real-money-i-understand)", VST_REST_URL)
    .option("--real-money-i-understand", "allow a non-VST host and a non-VST balance asset (REAL MONEY)")
    .option("--credentials-file <path>", "API key pair file, mode 0600 (else BINGX_API_KEY / BINGX_SECRET_KEY)")
    .option("--observe", "send no orders: only reconcile balance and positions")
    .option("--random", "drive the seeded random trader (default when no scenario is given)")
    .option("--scenario <name>", "drive a scripted scenario's intents (see `dita list`)")
    .option("--file <path>", "drive a scripted scenario file's intents")
    .addOption(new Option("--seed <n>", "seed of the random trader").argParser(parseSeed).default(1))
    .addOption(new Option("--duration <s>", "session length, seconds").argParser(positive("--duration")).default(60))
    .addOption(new Option("--symbols <list>", "contracts to trade / observe, e.g. BTC-USDT,FET-USDT").argParser(symbolList))
    .addOption(new Option("--slots <n>", "kernel slots").argParser(positive("--slots")))
    .addOption(new Option("--intents-per-hour <n>", "random trader rate").argParser(positive("--intents-per-hour")))
    .addOption(new Option("--leverage <n>", "leverage set per symbol").argParser(positive("--leverage")))
    .option("--no-cancel-on-exit", "leave working orders on the venue at exit")
    .option("--flatten-on-exit", "close open positions (EXIT_RESIDUAL MARKET) at exit")
    .addOption(new Option("--status-every <s>", "status line period, seconds").argParser(positive("--status-every")).default(5))
    .addOption(json())
    .addHelpText(
      "after",
      `
Credentials: BINGX_API_KEY and BINGX_SECRET_KEY, or --credentials-file F (chmod 600). Never on the command line.

Examples:
  $ npx dita venue serve --port 18080 &                     # loopback BingX-protocol mock
  $ npx dita shadow --venue http://127.0.0.1:18080 --random --seed 7 --duration 60
  $ npx dita shadow --observe --duration 300                # real VST, own demo keys, no orders
  $ npx dita shadow --venue http://127.0.0.1:18080 --file scenarios/library/json/fet-round-trip.json --json`,
    )
    .action(wrap(shadowAction));
}

/** `dita venue serve`. */
function registerVenueServe(program: Command, json: () => Option, wrap: CommandWrap): void {
  const venue = program.command("venue").description("venue tools");
  venue
    .command("serve")
    .description("the BingX mock venue as a BingX-protocol server on 127.0.0.1 (REST with signature checks, listen keys, gzip user stream with pings, faults)")
    .addOption(new Option("--port <p>", "TCP port on 127.0.0.1 (0 = any free port)").argParser((v) => Number(v)).default(18080))
    .addOption(new Option("--seed <n>", "venue and market seed").argParser(parseSeed).default(1))
    .option("--faults <list>", "drop:EVERY, expire:EVERY, storm:EVERY/DURATION, foreign:EVERY, dup:P, delay:P/MAX (e.g. drop:20s,storm:30s/3s,dup:0.1)")
    .option("--scenario <name>", "take contracts, balance, prices and venue quirks from a scenario")
    .option("--file <path>", "… or from a scenario file")
    .addOption(new Option("--duration <s>", "stop by itself after this many seconds").argParser(positive("--duration")))
    .option("--credentials-file <path>", "the API key pair the server accepts (else BINGX_API_KEY / BINGX_SECRET_KEY)")
    .addOption(json())
    .addHelpText("after", "\nExamples:\n  $ BINGX_API_KEY=k... BINGX_SECRET_KEY=s... npx dita venue serve --port 18080 --seed 7\n  $ npx dita venue serve --faults drop:20s,expire:45s,storm:30s/3s,foreign:25s --duration 120")
    .action(
      wrap(async (o: Record<string, unknown>) => {
        const scenarioWanted = o["scenario"] !== undefined || o["file"] !== undefined;
        const scenario = scenarioWanted ? (await resolveScenario(o["scenario"] as string | undefined, o["file"] as string | undefined)).scenario : undefined;
        return venueServeCommand({
          port: o["port"] as number,
          seed: o["seed"] as number,
          faults: o["faults"] as string | undefined,
          scenario,
          durationS: o["duration"] as number | undefined,
          credentialsFile: o["credentialsFile"] as string | undefined,
          env: process.env,
          log,
        });
      }),
    );
}

/**
 * The `dita shadow` action: one of --observe, --random, --scenario/--file (UsageError otherwise),
 * then runShadow until the duration ends or Ctrl-C stops the session (working orders cancelled,
 * then the report).
 */
async function shadowAction(o: Record<string, unknown>): Promise<CommandOutput> {
  const scenarioWanted = o["scenario"] !== undefined || o["file"] !== undefined;
  const modes = [!!o["observe"], !!o["random"], scenarioWanted].filter(Boolean).length;
  if (modes > 1) throw new UsageError("give one of --observe, --random, --scenario/--file");
  const scenario = scenarioWanted ? (await resolveScenario(o["scenario"] as string | undefined, o["file"] as string | undefined)).scenario : undefined;
  let session: ShadowSession | undefined;
  const onSig = () => session?.stop("SIGINT (Ctrl-C): cancelling working orders, then the report");
  process.once("SIGINT", onSig);
  try {
    return await runShadow({
      venue: o["venue"] as string,
      realMoney: !!o["realMoneyIUnderstand"],
      credentialsFile: o["credentialsFile"] as string | undefined,
      env: process.env,
      seed: o["seed"] as number,
      durationS: o["duration"] as number,
      mode: o["observe"] ? "observe" : scenarioWanted ? "scenario" : "random",
      scenario,
      symbols: o["symbols"] as string[] | undefined,
      slots: o["slots"] as number | undefined,
      intentsPerHour: o["intentsPerHour"] as number | undefined,
      leverage: o["leverage"] as number | undefined,
      cancelOnExit: o["cancelOnExit"] !== false,
      flattenOnExit: !!o["flattenOnExit"],
      statusEveryS: o["statusEvery"] as number,
      reportsDir: reportsRoot(),
      log,
      onSession: (s) => (session = s),
    });
  } finally {
    process.removeListener("SIGINT", onSig);
  }
}
