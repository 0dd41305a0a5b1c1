// Bundles of this repository's TypeScript modules as plain-JavaScript ES modules, cached across
// processes (issue 12, start-up): the `dita` command itself (bin/dita.mjs runs cli/main.ts as one
// bundle, without tsx) and the task modules of `--jobs N` worker pools (sim/pool-bundle.ts).
// Plain JavaScript (types in bundle-cache.d.mts) so that bin/dita.mjs can use it before anything
// can load TypeScript.
//
// The bundle holds the repository's own modules (TypeScript compiled by esbuild, which tsx uses
// too); packages under node_modules stay imports, resolved from the bundle's place
// (node_modules/.cache/dita-pool/ inside the repository). `import.meta.url` in each bundled file is
// replaced by that file's own URL, so paths built from it (kernel/pkg/*.wasm, fixtures, the pool's
// worker entry) are the same as when the file is loaded on its own. Names are kept (esbuild
// keepNames), and an inline source map lets stack traces name the .ts files (the loader enables
// source maps). The bundle file is named by the SHA-256 of its text: a changed source gives a new
// file, and concurrent processes never write different text to one name.
//
// Reuse without esbuild: next to each bundle a manifest lists the files esbuild read (its metafile
// inputs, plus this file, whose build options shape the text) and the SHA-256 of their contents
// with the esbuild version. When every listed file still has the same bytes, the bundle is reused
// as it is: reading and hashing the inputs takes a few ms, where starting esbuild and bundling took
// ~200-500 ms of wall time and a Go service process. A changed, added or removed import changes
// the text of an input file, so it is seen. (Not seen: a new file that would shadow an existing
// import target, e.g. an `x.js` written beside the `x.ts` an `./x.js` import resolves to today;
// the repository has none.)
//
// Pruning: after a build, bundles of the same module that nobody used in the last PRUNE_AFTER_MS
// are deleted (a used bundle has its mtime refreshed), so old versions no longer pile up (~800 KB
// each); a process that is starting always finds its own bundle.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** This file (its build options are part of every bundle's identity). */
const SELF = fileURLToPath(import.meta.url);
/** Repository root (this file lives in sim/). */
const ROOT = resolve(dirname(SELF), "..");
/** Where bundles are written (inside node_modules, so that package imports resolve from there). */
export const BUNDLE_DIR = join(ROOT, "node_modules", ".cache", "dita-pool");
/** Bundles of a module unused for this long are deleted after the next build of that module. */
export const PRUNE_AFTER_MS = 10 * 60_000;

/** `import.meta.url` as a whole expression (not `import.meta.urlFoo`). */
const IMPORT_META_URL = /\bimport\.meta\.url\b/g;

/** Bundle file names of a module start with its base name: `chaos-<16 hex>.mjs`. */
const moduleBase = (modulePath) => basename(modulePath).replace(/\.[^.]+$/, "");

/**
 * Path of the manifest of `modulePath` (named by the module's base name and a hash of its path).
 * @param {string} modulePath absolute path
 * @returns {string}
 */
export function manifestPath(modulePath) {
  const pathTag = createHash("sha256").update(modulePath).digest("hex").slice(0, 12);
  return join(BUNDLE_DIR, `${moduleBase(modulePath)}-${pathTag}.manifest.json`);
}

/** Installed esbuild version (from its package.json; esbuild itself is not loaded). */
function esbuildVersion() {
  const pkg = createRequire(SELF).resolve("esbuild/package.json");
  return JSON.parse(readFileSync(pkg, "utf8")).version;
}

/**
 * SHA-256 (hex) over the esbuild version, then for each input `path NUL bytes NUL`; null when an
 * input no longer exists (the manifest is then out of date, never an error).
 * @param {readonly string[]} inputs absolute paths
 * @param {string} esbuild esbuild version
 * @returns {string | null}
 */
export function inputsDigest(inputs, esbuild) {
  const h = createHash("sha256").update(`esbuild ${esbuild}\0`);
  for (const p of inputs) {
    if (!existsSync(p)) return null;
    h.update(p).update("\0").update(readFileSync(p)).update("\0");
  }
  return h.digest("hex");
}

/** The bundle of a manifest whose inputs are unchanged, or null (no or stale manifest). */
function reusable(modulePath, esbuild) {
  const mf = manifestPath(modulePath);
  if (!existsSync(mf)) return null;
  let m;
  try {
    m = JSON.parse(readFileSync(mf, "utf8"));
  } catch (err) {
    throw new Error(`bundle manifest ${mf} is not JSON (${err.message}); delete it to rebuild`);
  }
  if (m.module !== modulePath || m.esbuild !== esbuild || !Array.isArray(m.inputs)) return null;
  const file = join(BUNDLE_DIR, m.bundle);
  if (!existsSync(file) || inputsDigest(m.inputs, esbuild) !== m.inputsSha256) return null;
  return file;
}

/**
 * The file URL of a bundle of `modulePath` (an absolute path of a .ts/.js module of this
 * repository): the one its manifest names when every input still has the same bytes (esbuild is
 * then not loaded), else a fresh build (manifest rewritten, unused old bundles of the module
 * pruned). Not cached in the process.
 * @param {string} modulePath
 * @returns {Promise<string>}
 * @throws Error naming the module when esbuild cannot bundle it, or the manifest when it is not JSON.
 */
export async function reuseOrBuild(modulePath) {
  const esbuild = esbuildVersion();
  const cached = reusable(modulePath, esbuild);
  if (cached) {
    const now = new Date();
    utimesSync(cached, now, now); // in use: not pruned
    return pathToFileURL(cached).href;
  }
  const { text, inputs } = await buildBundle(modulePath);
  const digest = createHash("sha256").update(text).digest("hex").slice(0, 16);
  const name = `${moduleBase(modulePath)}-${digest}.mjs`;
  const file = join(BUNDLE_DIR, name);
  mkdirSync(BUNDLE_DIR, { recursive: true });
  if (!existsSync(file)) atomicWrite(file, text);
  else utimesSync(file, new Date(), new Date());
  const inputsSha256 = inputsDigest(inputs, esbuild);
  // An input deleted while esbuild ran: no manifest (the next process builds again).
  if (inputsSha256 !== null) atomicWrite(manifestPath(modulePath), JSON.stringify({ module: modulePath, esbuild, inputs, inputsSha256, bundle: name }, null, 1) + "\n");
  pruneBundles(modulePath, name);
  return pathToFileURL(file).href;
}

function atomicWrite(file, text) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/**
 * Delete the bundles of `modulePath`'s base name (and left-over temporary files) other than
 * `keep` that were last used more than PRUNE_AFTER_MS ago.
 * @param {string} modulePath
 * @param {string} keep file name of the bundle in use
 * @param {number} [nowMs]
 * @returns {string[]} the deleted names
 */
export function pruneBundles(modulePath, keep, nowMs = Date.now()) {
  const base = moduleBase(modulePath);
  const mine = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-[0-9a-f]{16}\\.mjs(?:\\.\\d+\\.tmp)?$`);
  const gone = [];
  for (const name of readdirSync(BUNDLE_DIR)) {
    if (name === keep || !mine.test(name)) continue;
    const p = join(BUNDLE_DIR, name);
    // Another process may rename its temporary file or prune the same bundle between the listing
    // and here (parallel `dita` processes on a fresh cache): a file already gone is skipped.
    const st = statSync(p, { throwIfNoEntry: false });
    if (st === undefined || nowMs - st.mtimeMs < PRUNE_AFTER_MS) continue;
    rmSync(p, { force: true });
    gone.push(name);
  }
  return gone;
}

/** Bundle `modulePath` with esbuild; its text and the sorted absolute paths of the files it read. */
async function buildBundle(modulePath) {
  const esbuild = await import("esbuild");
  let out;
  try {
    out = await esbuild.build({
      entryPoints: [modulePath],
      absWorkingDir: ROOT,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      packages: "external",
      keepNames: true,
      sourcemap: "inline",
      sourcesContent: false,
      write: false,
      metafile: true,
      // The final name depends on the text; the directory is what matters: source map paths are
      // relative to it, so stack traces name the .ts files where they are.
      outfile: join(BUNDLE_DIR, "bundle.mjs"),
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
    throw new Error(`bundle of ${modulePath}: esbuild failed: ${err.message}`);
  }
  const text = out.outputFiles[0]?.text;
  if (text === undefined) throw new Error(`bundle of ${modulePath}: esbuild produced no output`);
  const inputs = [...new Set([SELF, ...Object.keys(out.metafile.inputs).map((k) => resolve(ROOT, k))])].sort();
  return { text, inputs };
}
