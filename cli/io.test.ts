import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./modules.js";

describe("--json output discipline (cli/io.ts)", () => {
  it("after guardStdout, console.log and stdout writes from any module go to stderr; only emitStdout reaches stdout", () => {
    const script = `
      import { guardStdout, emitStdout } from ${JSON.stringify(join(REPO_ROOT, "cli", "io.ts"))};
      guardStdout();
      console.log("noise from a module");
      process.stdout.write("more noise\\n");
      await emitStdout(JSON.stringify({ ok: true }) + "\\n");
    `;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('{"ok":true}\n');
    expect(r.stderr).toContain("noise from a module");
    expect(r.stderr).toContain("more noise");
  });
  it("progress bars are off when stderr is not a TTY (nothing written)", () => {
    const script = `
      import { startProgress } from ${JSON.stringify(join(REPO_ROOT, "cli", "io.ts"))};
      const p = startProgress("chaos", 10); for (let i = 0; i <= 10; i++) p.update(i); p.stop();
    `;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("");
  });
});
