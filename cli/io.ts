/**
 * Output discipline of the `dita` command (docs/architecture.md §The `dita` command): with `--json`, stdout
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

/** True once a write to stdout failed with EPIPE (the reader, e.g. `head -c 20`, went away). */
let stdoutClosed = false;

/** Whether the reader of stdout has gone away (EPIPE seen). */
export function stdoutGone(): boolean {
  return stdoutClosed;
}

/**
 * Make EPIPE on stdout / stderr end output quietly instead of an unhandled 'error' event with a
 * stack trace (`dita list --json | head -c 20`): the reader closed the pipe, so nothing more is
 * written there. Any other stream error is re-thrown. Idempotent.
 */
let pipesHandled = false;
export function handleClosedPipes(): void {
  if (pipesHandled) return;
  pipesHandled = true;
  const onError = (stream: "stdout" | "stderr") => (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    if (stream === "stdout") stdoutClosed = true;
  };
  process.stdout.on("error", onError("stdout"));
  process.stderr.on("error", onError("stderr"));
}

/**
 * Write `text` to the real stdout (bypassing the guard); resolves once flushed, or at once when
 * the reader has gone away (EPIPE: the rest of the document is dropped, quietly). Other write
 * errors reject.
 */
export function emitStdout(text: string): Promise<void> {
  if (stdoutClosed) return Promise.resolve();
  return new Promise((resolveWrite, reject) => {
    realStdoutWrite(text, (err?: NodeJS.ErrnoException | null) => {
      if (!err) return resolveWrite();
      if (err.code === "EPIPE") {
        stdoutClosed = true;
        return resolveWrite();
      }
      reject(err);
    });
  });
}

/**
 * Put the terminal back the way a program found it: cursor shown (ESC[?25h) and line wrap on
 * (ESC[?7h), which a progress bar interrupted by Ctrl-C can leave hidden / off. Only on a TTY.
 */
export function restoreTerminal(): void {
  if (process.stderr.isTTY) process.stderr.write("\x1b[?25h\x1b[?7h");
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
