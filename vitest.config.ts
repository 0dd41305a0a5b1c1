import { defineConfig } from "vitest/config";

// forks pool (vitest 4 default): chdb and the WASM kernel are safest in separate processes.
export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "kernel/target/**"],
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
