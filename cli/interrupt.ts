/**
 * Ctrl-C (SIGINT) for the `dita` command (issue 15): the first SIGINT restores the terminal and
 * asks long commands to stop after the unit of work in hand (a chaos seed), so they can print what
 * they finished and exit 130; a second SIGINT exits 130 at once. Commands that never look at
 * {@link interrupted} are simply ended by the first SIGINT (exit 130), leaving no half-written
 * report: reports are written to a temporary folder and renamed into place (reports/write.ts).
 */
import { EXIT_INTERRUPTED } from "./errors.js";
import { log, restoreTerminal } from "./io.js";

let requested = false;
let cooperative = false;
let installed = false;

/** Whether SIGINT was received. */
export function interrupted(): boolean {
  return requested;
}

/**
 * Install the SIGINT handler. `stopsCooperatively`: the running command polls {@link interrupted}
 * and ends on its own (chaos); otherwise the first SIGINT exits 130 after restoring the terminal.
 */
export function installInterruptHandler(stopsCooperatively: boolean): void {
  cooperative = stopsCooperatively;
  if (installed) return;
  installed = true;
  process.on("SIGINT", () => {
    restoreTerminal();
    if (requested || !cooperative) {
      log("\ndita: interrupted");
      process.exit(EXIT_INTERRUPTED);
    }
    requested = true;
    log("\ndita: interrupted — finishing the seed in hand, then printing what is done (Ctrl-C again to quit now)");
  });
}
