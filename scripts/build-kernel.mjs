#!/usr/bin/env node
// Builds kernel/pkg/dita_kernel.wasm (+ dita_kernel.json manifest) from source with Debian's
// rustc 1.63 / cargo 1.65 and the wasm32 std (../shared/TOOLCHAIN.md). `npm run build`.
//
// Options:
//   --features mutant_a,mutant_b   build a flaw mutant (Cargo features, never in the default build)
//   --out <path.wasm>              artifact path (manifest written next to it as <path>.json)
//
// The source hash (kernel/source-hash.mjs) is embedded via DITA_KERNEL_SOURCE_HASH; the binding
// refuses a .wasm whose hash does not match the checkout (stale-binary guard, spec §0.1, §8.3).
// Missing toolchain: installed with apt-get when running as root, otherwise the build fails
// naming the exact command to run.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { kernelSourceHash } from "../kernel/source-hash.mjs";
import { KERNEL_APT_INSTALL, KERNEL_APT_PACKAGES, KERNEL_CRATES } from "./debian-packages.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const kernelDir = join(root, "kernel");

function fail(msg) {
  process.stderr.write(`build-kernel: ${msg}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = { features: [], out: join(kernelDir, "pkg", "dita_kernel.wasm") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--features") {
      const v = argv[++i];
      if (!v) fail("--features needs a comma-separated list, e.g. --features mutant_leverage_pnl");
      opts.features = v.split(",").map((s) => s.trim()).filter(Boolean);
      for (const f of opts.features) {
        if (!/^mutant_[a-z0-9_]+$/.test(f)) fail(`--features: ${JSON.stringify(f)} is not a mutant feature (mutant_<id>)`);
      }
    } else if (a === "--out") {
      const v = argv[++i];
      if (!v || !v.endsWith(".wasm")) fail("--out needs a path ending in .wasm");
      opts.out = resolve(v);
    } else {
      fail(`unknown option ${JSON.stringify(a)} (expected --features <list> or --out <path.wasm>)`);
    }
  }
  opts.features = [...new Set(opts.features)].sort();
  return opts;
}

function toolchainMissing() {
  const missing = [];
  if (!existsSync("/usr/bin/rustc")) missing.push("/usr/bin/rustc");
  if (!existsSync("/usr/bin/cargo")) missing.push("/usr/bin/cargo");
  const libdirs = ["/usr/lib/rustlib/wasm32-unknown-unknown"];
  if (!libdirs.some((d) => existsSync(d))) missing.push("wasm32 std (libstd-rust-dev-wasm32)");
  if (!existsSync("/usr/bin/lld-14")) missing.push("wasm linker /usr/bin/lld-14 (lld-14, the target of rust-lld)");
  const reg = "/usr/share/cargo/registry";
  const have = existsSync(reg) ? readdirSync(reg) : [];
  for (const c of KERNEL_CRATES) {
    if (!have.some((n) => n.startsWith(c))) missing.push(`crate ${c.slice(0, -2)} in ${reg}`);
  }
  return missing;
}

function ensureToolchain() {
  const missing = toolchainMissing();
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot) {
    fail(`missing ${missing.join(", ")}. Install the Debian toolchain as root:\n  sudo sh -c '${KERNEL_APT_INSTALL}'`);
  }
  process.stderr.write(`build-kernel: installing ${missing.join(", ")} with apt-get\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update"], ["install", "-y", ...KERNEL_APT_PACKAGES]]) {
    const r = spawnSync("apt-get", args, { stdio: "inherit", env });
    if (r.status !== 0) fail(`apt-get ${args.join(" ")} failed (exit ${r.status}); run manually: ${KERNEL_APT_INSTALL}`);
  }
  const still = toolchainMissing();
  if (still.length) fail(`still missing after apt-get: ${still.join(", ")}`);
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  ensureToolchain();
  const hash = kernelSourceHash(kernelDir, opts.features);
  const env = {
    ...process.env,
    RUSTC: "/usr/bin/rustc",
    RUSTDOC: "/usr/bin/rustdoc",
    DITA_KERNEL_SOURCE_HASH: hash,
    DITA_KERNEL_FEATURES: opts.features.join(","),
  };
  // Mutants build in their own target dir so they never clobber the default artifact's cache.
  const targetDir = join(kernelDir, "target", opts.features.length ? `mutant-${opts.features.join("+")}` : "default");
  const args = ["build", "--target", "wasm32-unknown-unknown", "--release", "--target-dir", targetDir];
  if (opts.features.length) args.push("--features", opts.features.join(","));
  const r = spawnSync("/usr/bin/cargo", args, { cwd: kernelDir, env, stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) fail(`cargo ${args.join(" ")} failed (exit ${r.status})`);
  const built = join(targetDir, "wasm32-unknown-unknown", "release", "dita_kernel.wasm");
  if (!existsSync(built)) fail(`cargo succeeded but ${built} is missing`);
  mkdirSync(dirname(opts.out), { recursive: true });
  copyFileSync(built, opts.out);
  const wasm = readFileSync(opts.out);
  const rustc = execFileSync("/usr/bin/rustc", ["--version"], { encoding: "utf8" }).trim();
  const manifest = {
    sourceHash: hash,
    features: opts.features,
    wasmSha256: createHash("sha256").update(wasm).digest("hex"),
    wasmBytes: wasm.length,
    rustc,
    abiVersion: 1,
  };
  const manifestPath = opts.out.replace(/\.wasm$/, ".json");
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
  process.stdout.write(`build-kernel: ${opts.out} (${wasm.length} bytes, source ${hash.slice(0, 12)}${opts.features.length ? ", features " + opts.features.join(",") : ""})\n`);
}

main();
