#!/usr/bin/env node
// The `dita` command: runs cli/main.ts as one JavaScript bundle (sim/bundle-cache.mjs: built by
// esbuild on the first run after a source change, then reused while every file it was built from
// has the same bytes). Issue 12, start-up: loading ~200 TypeScript modules through tsx's loader
// hooks took about 0.6 s more CPU per command and a hooks thread of ~30 MB RSS. Stack traces still
// name the .ts files (inline source map). A pool task module imported in this thread (--jobs 1)
// takes its bundle or tsx (sim/pool.ts).
import { fileURLToPath } from "node:url";
import { reuseOrBuild } from "../sim/bundle-cache.mjs";

const url = await reuseOrBuild(fileURLToPath(new URL("../cli/main.ts", import.meta.url)));
process.setSourceMapsEnabled(true);
globalThis[Symbol.for("dita.bundledCli")] = true;
await import(url);
