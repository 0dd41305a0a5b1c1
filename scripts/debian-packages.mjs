#!/usr/bin/env node
// The Debian packages the kernel build and `cargo test` need, listed once (kernel/README.md
// "Build"): scripts/build-kernel.mjs installs them when they are missing and checks the crates,
// scripts/cargo-test.mjs names them when no toolchain is found, and .ci/run installs them (with
// what CI alone needs) from this file's output. Run directly, it prints the packages one per line.
import { pathToFileURL } from "node:url";

/** apt package names: Debian's rustc 1.63 / cargo 1.65, the wasm32 std, the crates and the linker. */
export const KERNEL_APT_PACKAGES = [
  "rustc",
  "cargo",
  "libstd-rust-dev-wasm32",
  "librust-serde-dev",
  "librust-serde-derive-dev",
  "librust-serde-json-dev",
  "librust-rust-decimal-dev",
  // the state digest's SipHash-2-4-128 (kernel/README.md "State digest")
  "librust-siphasher-dev",
  // The wasm32 target links with `rust-lld`, which Debian ships as a link to lld-14; the package is
  // only a Recommends of libstd-rust-dev-wasm32, so `--no-install-recommends` leaves it out.
  "lld-14",
];

/**
 * Directory-name prefixes of the crates those packages put in /usr/share/cargo/registry (the
 * offline registry kernel/.cargo/config.toml points cargo at), each with its major version.
 */
export const KERNEL_CRATES = ["serde-1", "serde_derive-1", "serde_json-1", "rust_decimal-1", "siphasher-0"];

/** The command that installs every package, as root. */
export const KERNEL_APT_INSTALL = `apt-get update && apt-get install -y ${KERNEL_APT_PACKAGES.join(" ")}`;

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(KERNEL_APT_PACKAGES.join("\n") + "\n");
}
