#!/usr/bin/env node
// `cargo test` for the kernel crate, as `npm test` runs it.
// Uses the first `cargo` on PATH (rustup's, fast native tests) when it runs; on a fresh machine
// without rustup it falls back to Debian's toolchain explicitly
// (RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc /usr/bin/cargo test), see ../shared/TOOLCHAIN.md.
// Extra arguments are passed to cargo test. Exits with cargo's status.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { KERNEL_APT_INSTALL } from "./debian-packages.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const manifest = join(root, "kernel", "Cargo.toml");
const extra = process.argv.slice(2);

function runs(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "ignore" });
  return !r.error && r.status === 0;
}

let cmd;
let env = process.env;
if (runs("cargo", ["--version"]) && runs("rustc", ["--version"])) {
  cmd = "cargo";
} else if (existsSync("/usr/bin/cargo") && existsSync("/usr/bin/rustc")) {
  cmd = "/usr/bin/cargo";
  env = { ...process.env, RUSTC: "/usr/bin/rustc", RUSTDOC: "/usr/bin/rustdoc" };
  console.error("cargo-test: no rustup cargo on PATH; using Debian's /usr/bin/cargo with RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc");
} else {
  console.error(`cargo-test: no Rust toolchain found. Install Debian's, as root: ${KERNEL_APT_INSTALL} (or run .ci/run)`);
  process.exit(2);
}
const args = ["test", "--manifest-path", manifest, ...extra];
console.error(`cargo-test: ${cmd === "cargo" ? "" : "RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc "}${cmd} ${args.join(" ")}`);
// cwd = kernel/: cargo reads kernel/.cargo/config.toml (the offline Debian registry) from the
// working directory's ancestors, not from the manifest's.
const r = spawnSync(cmd, args, { stdio: "inherit", env, cwd: join(root, "kernel") });
if (r.error) {
  console.error(`cargo-test: could not start ${cmd}: ${r.error.message}`);
  process.exit(2);
}
process.exit(r.status ?? 1);
