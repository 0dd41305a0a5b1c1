/**
 * Error kinds of the `dita` command and the exit codes they map to
 * (docs/architecture.md §The `dita` command: 0 = all checks hold, 1 = a check failed, 2 = bad usage or input).
 */

/** Exit code: every check held. */
export const EXIT_OK = 0;
/** Exit code: a check failed (an invariant, a golden case, a chaos seed, the gate). */
export const EXIT_CHECK_FAILED = 1;
/** Exit code: bad usage or bad input (unknown option, malformed scenario file, missing module). */
export const EXIT_USAGE = 2;

/** Bad usage or bad input; the message names the argument / field and the value (exit 2). */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * A part of the project this command needs is not in the checkout yet (another engineer's
 * module). Exit 2 with "not available yet: <module> missing" rather than pretending.
 */
export class NotAvailableError extends UsageError {
  override name = "NotAvailableError";
  constructor(public readonly modulePath: string, detail?: string) {
    super(`not available yet: ${modulePath} missing${detail ? ` (${detail})` : ""}`);
  }
}

/**
 * The machine, not the input, is wrong: a stale or missing kernel binary, DITA_REPORTS_DIR naming a
 * file, an unwritable reports folder. Exit 2 with "environment problem: …" naming what to fix.
 */
export class EnvironmentError extends UsageError {
  override name = "EnvironmentError";
}

/** Exit code after SIGINT (128 + 2), as shells report an interrupted command. */
export const EXIT_INTERRUPTED = 130;
