/**
 * The task module of a `--jobs N` pool (sim/pool.ts) as one plain-JavaScript ES module, so that
 * worker threads load it without tsx (issue 12 profile: each worker spent about a second of CPU
 * loading ~100 TypeScript modules through tsx's loader hooks, a hooks thread per worker, before
 * its first seed; for a 40-seed chaos sweep on 2 cores that was a third of the time).
 *
 * The bundle holds the repository's own modules (TypeScript compiled by esbuild, which tsx uses
 * too); packages under node_modules stay imports, resolved from the bundle's place
 * (node_modules/.cache/dita-pool/ inside the repository). `import.meta.url` in each bundled file
 * is replaced by that file's own URL, so paths built from it (kernel/pkg/*.wasm, fixtures) are
 * the same as when the file is loaded on its own. Names are kept (esbuild keepNames), and an
 * inline source map lets stack traces name the .ts files (the worker enables source maps).
 * The bundle file is named by the SHA-256 of its text: a changed source gives a new file, and
 * concurrent processes never write different text to one name.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Repository root (this file lives in sim/). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Where bundles are written (inside node_modules, so that package imports resolve from there). */
export const POOL_BUNDLE_DIR = join(ROOT, "node_modules", ".cache", "dita-pool");

const built = new Map<string, Promise<string>>();

/**
 * The file URL of the bundle of `modulePath` (an absolute path of a .ts/.js module of this
 * repository), built once per process and module.
 * @throws Error naming the module when esbuild cannot bundle it (the pool then does not start).
 */
export function poolBundle(modulePath: string): Promise<string> {
  let p = built.get(modulePath);
  if (!p) {
    p = buildBundle(modulePath);
    built.set(modulePath, p);
    // A failed build is not cached: the next pool tries again.
    p.catch(() => built.delete(modulePath));
  }
  return p;
}

/** `import.meta.url` as a whole expression (not `import.meta.urlFoo`). */
const IMPORT_META_URL = /\bimport\.meta\.url\b/g;

async function buildBundle(modulePath: string): Promise<string> {
  const esbuild = await import("esbuild");
  let out;
  try {
    out = await esbuild.build({
      entryPoints: [modulePath],
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      packages: "external",
      keepNames: true,
      sourcemap: "inline",
      sourcesContent: false,
      write: false,
      // The final name depends on the text; the directory is what matters: source map paths are
      // relative to it, so stack traces name the .ts files where they are.
      outfile: join(POOL_BUNDLE_DIR, "bundle.mjs"),
      logLevel: "silent",
      plugins: [
        {
          name: "own-import-meta-url",
          setup(b) {
            b.onLoad({ filter: /\.(?:[cm]?ts|[cm]?js)$/ }, (args) => {
              if (args.path.includes("/node_modules/")) return undefined;
              const text = readFileSync(args.path, "utf8").replace(IMPORT_META_URL, JSON.stringify(pathToFileURL(args.path).href));
              return { contents: text, loader: /\.[cm]?ts$/.test(args.path) ? "ts" : "js", resolveDir: dirname(args.path) };
            });
          },
        },
      ],
    });
  } catch (err) {
    throw new Error(`pool bundle of ${modulePath}: esbuild failed: ${(err as Error).message}`);
  }
  const text = out.outputFiles[0]?.text;
  if (text === undefined) throw new Error(`pool bundle of ${modulePath}: esbuild produced no output`);
  const digest = createHash("sha256").update(text).digest("hex").slice(0, 16);
  const file = join(POOL_BUNDLE_DIR, `${basename(modulePath).replace(/\.[^.]+$/, "")}-${digest}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(POOL_BUNDLE_DIR, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  }
  return pathToFileURL(file).href;
}
