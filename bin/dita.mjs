#!/usr/bin/env node
// The `dita` command: loads the TypeScript CLI through tsx (no separate compile step).
import { register } from "tsx/esm/api";
register();
await import("../cli/main.ts");
