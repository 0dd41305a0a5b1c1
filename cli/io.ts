/**
 * Output discipline of the `dita` command (DESIGN.md "The `dita` command"): with `--json`, stdout
 * carries exactly one JSON document and nothing else — anything else that writes to stdout while
 * a command runs (a module's console.log) is redirected to stderr. Logs and progress go to stderr.
 */
import cliProgress from "cli-progress";

const realStdoutWrite = process.stdout.write.bind(process.stdout);
let guarded = false;

/**
 * Redirect every later stdout write to stderr, so that only {@link emitStdout} reaches stdout.
 * Idempotent.
 */
export function guardStdout(): void {
  if (guarded) return;
  guarded = true;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) =>
    (process.stderr.write as (...a: unknown[]) => boolean)(chunk, ...rest)) as typeof process.stdout.write;
}

/** Write `text` to the real stdout (bypassing the guard); resolves once flushed. */
export function emitStdout(text: string): Promise<void> {
  return new Promise((resolveWrite, reject) => {
    realStdoutWrite(text, (err?: Error | null) => (err ? reject(err) : resolveWrite()));
  });
}

/** A log line on stderr. */
export function log(message: string): void {
  process.stderr.write(message.endsWith("\n") ? message : message + "\n");
}

/** A progress indicator: a cli-progress bar on stderr when stderr is a TTY, otherwise silent. */
export interface Progress {
  update(done: number, total?: number, label?: string): void;
  stop(): void;
}

/**
 * Start a progress bar titled `title` for `total` steps on stderr; off (no output at all) when
 * stderr is not a TTY or DITA_NO_PROGRESS is set.
 */
export function startProgress(title: string, total: number): Progress {
  if (!process.stderr.isTTY || process.env.DITA_NO_PROGRESS) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${title} [{bar}] {value}/{total} {label} {duration_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(total, 1), 0, { label: "" });
  let stopped = false;
  return {
    update(done, newTotal, label) {
      if (stopped) return;
      if (newTotal !== undefined) bar.setTotal(Math.max(newTotal, 1));
      bar.update(done, { label: label ?? "" });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
