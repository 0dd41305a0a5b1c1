/**
 * The `dita` command (docs/architecture.md §The `dita` command): list, run, golden, chaos, mutants, bench,
 * gate. Contract other tools rely on:
 * - `--json` on every subcommand: exactly one JSON document on stdout, nothing else there (logs
 *   and progress bars go to stderr; on an error the document is `{ok:false, error:{kind, message}}`);
 * - exit 0 when every check holds, 1 when a check fails, 2 on bad usage or input (commander's own
 *   usage errors included) or an environment problem (stale kernel binary, DITA_REPORTS_DIR naming
 *   a file), with a message naming the problem on stderr; 130 after Ctrl-C;
 * - stack traces only with --verbose or DITA_DEBUG=1; a closed stdout (EPIPE, `| head`) ends quietly.
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { parseCount, parseIdList, parseSeed } from "./args.js";
import { benchCommand } from "./bench.js";
import { chaosCommand, goldenCommand, listCommand, mutantsCommand, runCommand, shrinkCommand, type CommandOutput, type CommandWrap } from "./commands.js";
import { EnvironmentError, EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from "./errors.js";
import { DEFAULT_FUZZ_INPUTS, fuzzCommand } from "./fuzz.js";
import { gateCommand } from "./gate.js";
import { applyRunHeapPolicy } from "./heap-policy.js";
import { installInterruptHandler } from "./interrupt.js";
import { emitStdout, guardStdout, handleClosedPipes, log } from "./io.js";
import { REPO_ROOT } from "./modules.js";
import { registerShadowCommands } from "../shadow/cli.js";

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;

const JSON_HELP = "print exactly one JSON document on stdout (logs and progress go to stderr)";

/** `--jobs N`: worker threads (sim/pool.ts); default every core. The JSON output is the same for every N. */
const jobsOption = () =>
  new Option("--jobs <n>", "worker threads (default: every core, os.availableParallelism()); output is identical for every N")
    .argParser(parseCount(1024))
    .default(availableParallelism(), "every core");

/**
 * `--strict-oracle` was removed (issue 12): `symbol-books` and `trade-vs-venue` are always judged.
 * Kept hidden only to answer with exit 2 and that sentence instead of commander's "unknown option".
 */
const removedStrictOracleOption = () => new Option("--strict-oracle").hideHelp();

/** Refuse the removed `--strict-oracle` (exit 2, UsageError naming the option). */
function refuseStrictOracle(o: { strictOracle?: boolean }): void {
  if (o.strictOracle) throw new UsageError("--strict-oracle was removed: symbol-books and trade-vs-venue are always judged (issue 12, sim/oracle.ts)");
}

/** Build the commander program; `sink` receives the output of the subcommand that ran. */
export function buildProgram(sink: (out: CommandOutput, json: boolean) => void): Command {
  const program = createRootProgram();
  const json = (): Option => new Option("--json", JSON_HELP);
  const wrap: CommandWrap =
    <A extends unknown[]>(fn: (...args: A) => Promise<CommandOutput>) =>
    async (...args: A) => {
      const cmd = args[args.length - 1] as Command;
      const asJson = !!cmd.opts().json;
      if (asJson) guardStdout();
      sink(await fn(...args), asJson);
    };
  for (const register of [registerRunCommands, registerChaosCommands, registerCheckCommands, registerShadowCommands, registerReplayCommands]) register(program, json, wrap);
  return program;
}

/** The bare `dita` program: name, version, global options, exit codes and examples in its help. */
function createRootProgram(): Command {
  const program = new Command();
  program
    .name("dita")
    .description("Deterministic simulation, golden replays, chaos, mutants, benchmarks and the pre-deploy gate for the DITAv2 execution kernel.")
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError("(add --help for usage)")
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .option("--verbose", "print stack traces of internal errors (also DITA_DEBUG=1)")
    .addHelpText(
      "after",
      `
Exit codes: 0 all checks hold, 1 a check failed, 2 bad usage, bad input or an environment
problem, 130 interrupted (Ctrl-C).

Examples:
  $ npx dita list
  $ npx dita run fet-incident-market-bound-price --seed 7 --json
  $ npx dita run --file my-scenario.json --seed 3
  $ npx dita golden
  $ npx dita chaos --seeds 500 --from 1000
  $ npx dita bench --json > bench.json
  $ npx dita gate            # same as npm start`,
    );
  return program;
}

/** `dita list`, `dita run`, `dita golden`. */
function registerRunCommands(program: Command, json: () => Option, wrap: CommandWrap): void {
  program
    .command("list")
    .description("list the scenarios: [{name, tags, description, flaws}]")
    .addOption(json())
    .addHelpText("after", "\nExamples:\n  $ npx dita list\n  $ npx dita list --json | jq -r '.[].name'")
    .action(wrap(async () => listCommand()));

  program
    .command("run")
    .description("one simulated run of a scenario; writes reports/<scenario>-seed<N>/ (summary.json, trace.arrow, index.html)")
    .argument("[name]", "scenario name (see `dita list`)")
    .addOption(new Option("--seed <n>", "run seed (non-negative integer)").argParser(parseSeed).default(1))
    .option("--file <path>", "load the scenario from a JSON file (schema: sim/types.ts Scenario, scenarios/README.md)")
    .addOption(removedStrictOracleOption())
    .option("--check-determinism", "execute the run twice and compare trace hashes (invariant 12); default once: \"not checked\"")
    .option("--history <file>", "also export the run's kernel inputs as a history Arrow file (docs/history-schema.md), for `dita replay`")
    .option("--abs-time", "show absolute times (ISO-8601 UTC) beside seconds since the scenario start")
    .option("--kernel <wasm>", "run this kernel artifact (e.g. a flaw mutant kernel/pkg/mutants/<id>.wasm) instead of kernel/pkg/dita_kernel.wasm")
    .addOption(json())
    .addHelpText(
      "after",
      "\nExamples:\n  $ npx dita run gamut-exit --seed 7\n  $ npx dita run gamut-exit --seed 7 --json | jq .traceHash\n  $ npx dita run --file scenario.json --seed 3\n  $ npx dita run gamut-exit --seed 1 --history gamut.arrow && npx dita replay --arrow gamut.arrow",
    )
    .action(
      wrap(async (name: string | undefined, o: { seed: number; file?: string; checkDeterminism?: boolean; history?: string; absTime?: boolean; kernel?: string; strictOracle?: boolean }) => {
        refuseStrictOracle(o);
        applyRunHeapPolicy(); // this process only: heap growth capped for long runs (cli/heap-policy.ts)
        return runCommand(name, { seed: o.seed, file: o.file, checkDeterminism: !!o.checkDeterminism, history: o.history, absoluteTime: !!o.absTime, kernel: o.kernel });
      }),
    );

  program
    .command("golden")
    .description("replay every golden case and compare exactly: {ok, cases:[{name, ok, expected, actual}]}")
    .option("--update", "re-bless: print each diff, then write the actual outputs into the case files")
    .addOption(json())
    .addHelpText("after", "\nExamples:\n  $ npx dita golden\n  $ npx dita golden --update   # shows the diff first (golden/README.md)")
    .action(wrap(async (o: { update?: boolean }) => goldenCommand({ update: o.update })));
}

/** `dita chaos`, `dita shrink`, `dita mutants`. */
function registerChaosCommands(program: Command, json: () => Option, wrap: CommandWrap): void {
  program
    .command("chaos")
    .description("swarm chaos over N seeds (fault mix drawn from each seed): {ok, runs, failures:[{seed, invariant, repro}]}")
    .addOption(new Option("--seeds <n>", "number of seeds").argParser(parseCount()).default(100))
    .addOption(new Option("--from <s>", "first seed").argParser(parseSeed).default(1))
    .addOption(new Option("--determinism-every <k>", "execute seeds 0, k, 2k, … of the range twice and compare trace hashes (invariant 12); default: none").argParser(parseCount()))
    .addOption(jobsOption())
    .option("--kernel <wasm>", "run this kernel artifact (e.g. a flaw mutant) instead of kernel/pkg/dita_kernel.wasm")
    .addOption(json())
    .addHelpText("after", "\nExamples:\n  $ npx dita chaos --seeds 200\n  $ npx dita chaos --seeds 1 --from 4242 --json   # re-run one seed\n  $ npx dita chaos --seeds 10000 --jobs 2")
    .addOption(removedStrictOracleOption())
    .action(
      wrap(async (o: { seeds: number; from: number; determinismEvery?: number; jobs: number; kernel?: string; strictOracle?: boolean }) => {
        refuseStrictOracle(o);
        return chaosCommand(o);
      }),
    );

  program
    .command("shrink")
    .description("shrink a failing chaos seed to a minimal scenario file (fewest faults, shortest safety phase that still fail): {repro, target, original, shrunk, file}")
    .addOption(new Option("--seed <n>", "the failing chaos seed").argParser(parseSeed).makeOptionMandatory())
    .option("--out <path>", "scenario file to write (default reports/chaos-seed<N>-shrunk.json)")
    .option("--kernel-wasm <path>", "run a kernel build other than kernel/pkg (e.g. a flaw mutant); the repro carries --kernel <path>")
    .addOption(json())
    .addHelpText("after", "\nExamples:\n  $ npx dita shrink --seed 7050\n  $ npx dita shrink --seed 3 --kernel-wasm /tmp/m.wasm --out /tmp/repro.json --json")
    .action(wrap(async (o: { seed: number; out?: string; kernelWasm?: string }) => shrinkCommand(o)));

  program
    .command("mutants")
    .description("build each flaw mutant of the kernel and run the suite against it: {total, caught, mutants:[{id, flaw, caught, caughtBy}]}")
    .addOption(new Option("--only <ids>", "comma-separated mutant ids to run instead of all").argParser(parseIdList))
    .addOption(jobsOption())
    .addOption(json())
    .addHelpText("after", "\nExamples:\n  $ npx dita mutants\n  $ npx dita mutants --only mutant_leverage_pnl,adapter_bound_price\n  $ npx dita mutants --json | jq '.mutants[] | select(.caught == false)'")
    .action(wrap(async (o: { only?: string[]; jobs: number }) => mutantsCommand({ only: o.only, jobs: o.jobs })));
}

/** `dita bench`, `dita fuzz`, `dita gate`. */
function registerCheckCommands(program: Command, json: () => Option, wrap: CommandWrap): void {
  program
    .command("bench")
    .description("benchmarks: kernel events/s WASM vs native, sim events/s, 48 h soak speed-up, chaos runs/min, RSS growth")
    .option("--quick", "smaller budgets (what the gate uses): kernel stream 100k records, 2 h soak, RSS from 10k to 50k trades, fewer chaos seeds")
    .option("--replay", "only the historical-replay bench: 100k history rows per engine (Arrow, embedded chdb, HTTP) and a 1M-row Arrow replay's peak RSS (--quick: 10k / 100k)")
    .addOption(json())
    .addHelpText("after", "\nExamples:\n  $ npx dita bench\n  $ npx dita bench --json > bench.json\n  $ npx dita bench --quick --json")
    .action(wrap(async (o: { quick?: boolean; replay?: boolean }) => benchCommand({ quick: !!o.quick, replay: !!o.replay })));

  program
    .command("fuzz")
    .description("malformed inputs through the kernel binding and raw WASM exports: {ok, inputs, traps, refusedWithoutDiagnostic, stateChanged, accepted, corruptedAccepted, byClass, seed}")
    .addOption(new Option("--inputs <n>", "number of inputs").argParser(parseCount(100_000_000)).default(DEFAULT_FUZZ_INPUTS))
    .addOption(new Option("--seed <n>", "generator seed (non-negative integer)").argParser(parseSeed).default(1))
    .addOption(json())
    .addHelpText("after", "\nExamples:\n  $ npx dita fuzz --inputs 1000000 --json\n  $ npx dita fuzz --inputs 20000 --seed 7")
    .action(wrap(async (o: { inputs: number; seed: number }) => fuzzCommand(o)));

  program
    .command("gate")
    .description("the pre-deploy gate: build from source, scenarios, golden, chaos budget, bench vs baseline; GO (0) / NO-GO (1)")
    .addOption(new Option("--chaos-seeds <n>", "chaos budget (seeds; default: budgets.chaosSeeds in cli/baseline.json)").argParser(parseCount()))
    .option("--skip-build", "do not rebuild the kernel (use the .wasm in the checkout)")
    .option("--mutants", "also run the flaw mutants (slow)")
    .option("--update-baseline", "write this run's figures into the baseline file (review the diff before committing)")
    .addOption(jobsOption())
    .addOption(removedStrictOracleOption())
    .addOption(json())
    .addHelpText("after", "\nExamples:\n  $ npm start                       # = dita gate on the embedded defaults\n  $ npx dita gate --json | jq '.ok, .report'\n  $ npx dita gate --chaos-seeds 500 --mutants")
    .action(
      wrap(async (o: { chaosSeeds?: number; skipBuild?: boolean; mutants?: boolean; updateBaseline?: boolean; jobs: number; strictOracle?: boolean }) => {
        refuseStrictOracle(o);
        return gateCommand({ chaosSeeds: o.chaosSeeds, skipBuild: !!o.skipBuild, mutants: !!o.mutants, updateBaseline: !!o.updateBaseline, jobs: o.jobs });
      }),
    );
}

/** `dita replay`, `dita history load`, `dita import bingx` (replay/command.ts; docs/history-schema.md). */
function registerReplayCommands(program: Command, json: () => Option, wrap: CommandWrap): void {
  const replay = () => import("../replay/command.js");
  program
    .command("replay")
    .description("historical replay through the kernel: {ok, runId, rows, trades, ledger, anomalies, divergences, balances, report}; exit 1 on divergences")
    .option("--arrow <file>", "history Arrow file (docs/history-schema.md)")
    .option("--clickhouse [url]", "ClickHouse: embedded chdb when no URL is given, else a server at http(s)://host:8123")
    .option("--table <name>", "ClickHouse table (default dita_history)")
    .option("--run <id>", "run id to replay (needed when the table holds several)")
    .option("--chdb-path <dir>", "embedded ClickHouse data directory (default $DITA_CHDB_PATH or .dita/chdb)")
    .option("--out <dir>", "report directory (default reports/replay-<run>)")
    .addOption(json())
    .addHelpText(
      "after",
      "\nExamples:\n  $ npx dita replay --arrow replay/datasets/fet-incident.arrow\n  $ npx dita history load run.arrow --clickhouse && npx dita replay --clickhouse --run gamut-exit-seed1\n  $ npx dita replay --clickhouse http://127.0.0.1:8123 --run gamut-exit-seed1 --json",
    )
    .action(wrap(async (o: { arrow?: string; clickhouse?: string | boolean; table?: string; run?: string; chdbPath?: string; out?: string }) => (await replay()).replayCommand(o)));
  const history = program.command("history").description("history tables (docs/history-schema.md)");
  history
    .command("load")
    .description("create the history table and load a history Arrow file into ClickHouse: {ok, table, rows, runs}")
    .argument("<file>", "history Arrow file")
    .option("--clickhouse [url]", "embedded chdb when no URL is given, else http(s)://host:8123")
    .option("--table <name>", "table (default dita_history)")
    .option("--chdb-path <dir>", "embedded ClickHouse data directory (default $DITA_CHDB_PATH or .dita/chdb)")
    .addOption(json())
    .addHelpText("after", "\nExamples:\n  $ npx dita history load replay/datasets/fet-incident.arrow --clickhouse\n  $ npx dita history load run.arrow --clickhouse http://127.0.0.1:8123 --table db.history")
    .action(wrap(async (file: string, o: { clickhouse?: string | boolean; table?: string; chdbPath?: string }) => (await replay()).historyLoadCommand(file, o)));
  const imp = program.command("import").description("import exchange exports as history (docs/history-schema.md)");
  imp
    .command("bingx")
    .description("BingX exports (order history, fillHistory, income) + the bot's decision rows → a history Arrow file: {ok, out, runId, rows, counts, skipped}")
    .requiredOption("--config <file>", "KernelConfig JSON of the bot (kernel/types.ts)")
    .requiredOption("--out <file>", "history Arrow file to write")
    .requiredOption("--run <id>", "run id of the imported window")
    .option("--orders <file>", "saved reply of GET /openApi/swap/v2/trade/allOrders")
    .option("--fills <file>", "saved reply of GET /openApi/swap/v2/trade/fillHistory (or allFillOrders)")
    .option("--income <file>", "saved reply of GET /openApi/swap/v2/user/income")
    .option("--intents <file>", "the bot's decision rows: JSON lines {intent, clientOrderId?}")
    .option("--start-wallet <usdt>", "exchange wallet at the start of the window (an anchor BALANCE row)")
    .addOption(json())
    .addHelpText("after", "\nExamples:\n  $ npx dita import bingx --config cfg.json --orders orders.json --fills fills.json --income income.json --intents decisions.jsonl --run fet-0611 --out fet.arrow\n  $ npx dita replay --arrow fet.arrow")
    .action(wrap(async (o: { config: string; out: string; run: string; orders?: string; fills?: string; income?: string; intents?: string; startWallet?: string }) => (await replay()).importBingxCommand(o)));
}

async function fail(kind: "usage" | "environment" | "internal", message: string, code: number, asJson: boolean): Promise<number> {
  if (asJson) await emitStdout(JSON.stringify({ ok: false, error: { kind, message } }) + "\n");
  return code;
}

/** Run the CLI on `argv` (process.argv form); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  handleClosedPipes();
  const asJson = argv.slice(2).includes("--json");
  const verbose = argv.slice(2).includes("--verbose") || process.env.DITA_DEBUG === "1";
  // chaos stops after the seed in hand and reports what it finished; gate, mutants and bench (with
  // progress bars) restore the terminal and exit 130; run, list and golden keep Node's default
  // (ended by the signal at once, even inside the synchronous simulation; the report folder is
  // staged, so nothing half-written is left under its name).
  const sub = argv.slice(2).find((a) => !a.startsWith("-"));
  if (sub === "chaos" || sub === "gate" || sub === "mutants" || sub === "bench") installInterruptHandler(sub === "chaos");
  let result: { out: CommandOutput; json: boolean } | undefined;
  const program = buildProgram((out, json) => {
    result = { out, json };
  });
  if (argv.length <= 2) {
    program.outputHelp({ error: true });
    log("\ndita: error: missing command");
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return EXIT_OK;
      // `dita help run` asks for help: exit 0 like `dita run --help` (commander ends it with code 0).
      if (err.code === "commander.help" && err.exitCode === 0) return EXIT_OK;
      // commander already printed its message on stderr
      return fail("usage", err.message.replace(/^error: /, ""), EXIT_USAGE, asJson);
    }
    if (err instanceof EnvironmentError) {
      log(`dita: environment problem: ${err.message}`);
      if (verbose) log(err.stack ?? "");
      return fail("environment", err.message, EXIT_USAGE, asJson);
    }
    if (err instanceof UsageError) {
      log(`dita: error: ${err.message}`);
      if (verbose) log(err.stack ?? "");
      return fail("usage", err.message, EXIT_USAGE, asJson);
    }
    const e = err as Error;
    log(verbose ? `dita: internal error: ${e?.stack ?? String(err)}` : `dita: internal error: ${e?.message ?? String(err)} (--verbose or DITA_DEBUG=1 shows the stack trace)`);
    return fail("internal", e?.message ?? String(err), EXIT_CHECK_FAILED, asJson);
  }
  if (!result) return EXIT_OK;
  if (result.json) await emitStdout(JSON.stringify(result.out.doc, null, 2) + "\n");
  else await emitStdout(result.out.text + "\n");
  return result.out.code;
}

const code = await main(process.argv);
// Exit explicitly: a loaded kernel or a worker must not keep the process alive after the answer.
process.exit(code);
