/**
 * Headless Chromium helpers for checking report pages as a browser renders them (Debian package
 * `chromium`, /usr/bin/chromium). Offline flags only: no network, no sync, throwaway profile.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** Path of the Chromium binary ($CHROMIUM or /usr/bin/chromium), or undefined when absent. */
export function chromiumPath(): string | undefined {
  const p = process.env.CHROMIUM ?? "/usr/bin/chromium";
  return existsSync(p) ? p : undefined;
}

function run(extra: string[], file: string, timeoutMs: number): string {
  const bin = chromiumPath();
  if (!bin) throw new Error("chromium not found: install the Debian package `chromium` or set CHROMIUM");
  const profile = mkdtempSync(join(tmpdir(), "dita-chromium-"));
  try {
    return execFileSync(
      bin,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        ...extra,
        pathToFileURL(file).href,
      ],
      { encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] },
    );
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The DOM after Chromium loaded and laid out `htmlFile` (`--dump-dom`), optionally at a window width. */
export function dumpDom(htmlFile: string, timeoutMs = 60_000, windowWidth?: number): string {
  return run(["--dump-dom", ...(windowWidth ? [`--window-size=${windowWidth},1200`] : [])], htmlFile, timeoutMs);
}

/** Screenshot `htmlFile` to `pngFile` (`--screenshot`) at the given window size. */
export function screenshot(htmlFile: string, pngFile: string, width = 1200, height = 2400, timeoutMs = 60_000): void {
  run([`--window-size=${width},${height}`, `--screenshot=${pngFile}`, "--hide-scrollbars"], htmlFile, timeoutMs);
}
