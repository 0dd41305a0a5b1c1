/**
 * History in ClickHouse (docs/history-schema.md "ClickHouse DDL"): embedded ClickHouse (the npm
 * package `chdb`, the real engine in-process, installed on demand and loaded only here) at a local
 * path, or a server over HTTP(S) through `@clickhouse/client`. Same table, same query, same rows.
 *
 * - Every query is parameterised: the run id is bound as `{run:String}` and the table as
 *   `{table:Identifier}` (server-side binding); nothing user-given is spliced into SQL text, and
 *   table names are also checked against TABLE_NAME_RE (the DDL and INSERT name the table).
 * - Money is never computed in SQL: the replay selects columns as stored, ordered by
 *   `(ts_us, seq)`, decimals quoted as text (output_format_json_quote_decimals) and
 *   canonicalised by replay/normalise.ts like the Arrow reader's.
 * - chdb is not a declared dependency (CHDB_INSTALL says why and how it is installed).
 * - chdb crashes inside worker threads: use it from the main thread of a process (the CLI) and,
 *   in tests, in a forked process (vitest forks pool).
 */
import { COLUMN_NAMES, HistoryError, TABLE_NAME_RE, historyTableDdl, type HistoryRow } from "./schema.js";
import { normaliseRow } from "./normalise.js";

/** Default table name. */
export const DEFAULT_TABLE = "dita_history";

/** The SELECT of a replay: bound parameters only; money is read as stored, never computed. */
export const SELECT_RUN_SQL =
  `SELECT ${COLUMN_NAMES.join(", ")} FROM {table:Identifier} WHERE run_id = {run:String} ORDER BY ts_us, seq ` +
  `SETTINGS output_format_json_quote_decimals = 1, output_format_json_quote_64bit_integers = 1`;
/** Distinct run ids of a table. */
export const SELECT_RUNS_SQL = "SELECT DISTINCT run_id FROM {table:Identifier} ORDER BY run_id";

/** A history table in some ClickHouse engine. */
export interface HistoryStore {
  /** "chdb" (embedded, with its path) or "http" (with its URL); for logs only. */
  readonly describe: string;
  /** CREATE TABLE IF NOT EXISTS (the history DDL). */
  createTable(table: string): Promise<void>;
  /** Insert rows (JSONEachRow; decimals as strings, so the engine parses them exactly). */
  insert(table: string, rows: readonly HistoryRow[]): Promise<void>;
  /** The run ids in `table`. */
  runs(table: string): Promise<string[]>;
  /** The rows of one run in `(ts_us, seq)` order, in batches. */
  stream(table: string, runId: string, batchRows?: number): AsyncGenerator<HistoryRow[]>;
  close(): Promise<void>;
}

function checkTable(table: string): void {
  if (!TABLE_NAME_RE.test(table)) throw new HistoryError(undefined, "table", `${JSON.stringify(table)} must be an identifier like dita_history or db.dita_history`);
}

/** One row as a JSONEachRow object (decimals as strings, integers as numbers). */
function rowJson(r: HistoryRow): string {
  return JSON.stringify(Object.fromEntries(COLUMN_NAMES.map((c) => [c, r[c]])));
}

/** A row object read back from ClickHouse → HistoryRow. */
export function rowFromJson(o: Record<string, unknown>): HistoryRow {
  return normaliseRow(
    (c) => o[c],
    (c) => c in o,
  );
}

/**
 * How chdb is installed. It is not in package.json: three of its four platform packages are not
 * served by the registry this project uses, so listing it (even as an optional dependency) leaves
 * package-lock.json without them and `npm ci` refuses the lock. `.ci/run` runs this after `npm ci`.
 */
export const CHDB_INSTALL = "npm run install:chdb";

/** The chdb module is not installed (optional dependency). */
export class ChdbMissingError extends Error {
  override name = "ChdbMissingError";
}

interface ChdbSession {
  query(q: string, format?: string): string;
  queryBind(q: string, args: object, format?: string): string;
  insert(p: { table: string; values: Buffer; format: "JSONEachRow" }): Promise<unknown>;
  queryStreamBind(q: string, params: object, opts?: { format?: string }): AsyncIterable<{ rows<T>(): T[] }>;
  close(): void;
}

/**
 * Load chdb (optional dependency, ~180 MB download, ~540 MB on disk).
 * @throws ChdbMissingError with the install command when it is absent.
 */
export async function loadChdb(): Promise<{ Session: new (path?: string) => ChdbSession }> {
  try {
    // A non-literal specifier: chdb is not a declared dependency (see CHDB_INSTALL), so the
    // typecheck must not need it; it is resolved at run time only.
    const specifier: string = "chdb";
    return (await import(specifier)) as { Session: new (path?: string) => ChdbSession };
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new ChdbMissingError(
        `embedded ClickHouse needs the optional npm package chdb, which is not installed here: run \`${CHDB_INSTALL}\` (chdb@3.4.0, about 180 MB to download, 540 MB on disk), or give --clickhouse http(s)://host:8123 for a ClickHouse server, or replay the Arrow file with --arrow`,
      );
    }
    throw e;
  }
}

/** Embedded ClickHouse (chdb) with its data at `path`. One session per process. */
export async function openEmbedded(path: string): Promise<HistoryStore> {
  const { Session } = await loadChdb();
  const s = new Session(path);
  return {
    describe: `embedded ClickHouse (chdb) at ${path}`,
    async createTable(table) {
      checkTable(table);
      s.query(historyTableDdl(table));
    },
    async insert(table, rows) {
      checkTable(table);
      if (rows.length === 0) return;
      await s.insert({ table, values: Buffer.from(rows.map(rowJson).join("\n") + "\n"), format: "JSONEachRow" });
    },
    async runs(table) {
      checkTable(table);
      const text = s.queryBind(SELECT_RUNS_SQL, { table }, "JSONEachRow");
      return text.split("\n").filter((l) => l !== "").map((l) => (JSON.parse(l) as { run_id: string }).run_id);
    },
    async *stream(table, runId, batchRows = 8192) {
      checkTable(table);
      let buf: HistoryRow[] = [];
      for await (const chunk of s.queryStreamBind(SELECT_RUN_SQL, { table, run: runId }, { format: "JSONEachRow" })) {
        for (const o of chunk.rows<Record<string, unknown>>()) {
          buf.push(rowFromJson(o));
          if (buf.length >= batchRows) {
            yield buf;
            buf = [];
          }
        }
      }
      if (buf.length) yield buf;
    },
    async close() {
      s.close();
    },
  };
}

/** A ClickHouse server over HTTP(S) (`@clickhouse/client`). */
export async function openHttp(url: string): Promise<HistoryStore> {
  const { createClient } = await import("@clickhouse/client");
  const u = new URL(url);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new HistoryError(undefined, "--clickhouse", `${url}: must be an http(s):// URL`);
  const client = createClient({ url, compression: { request: false, response: false } });
  const shown = `${u.protocol}//${u.host}${u.pathname}`; // never the credentials
  return {
    describe: `ClickHouse over HTTP at ${shown}`,
    async createTable(table) {
      checkTable(table);
      await client.command({ query: historyTableDdl(table) });
    },
    async insert(table, rows) {
      checkTable(table);
      if (rows.length === 0) return;
      await client.insert({ table, values: rows.map((r) => JSON.parse(rowJson(r)) as Record<string, unknown>), format: "JSONEachRow" });
    },
    async runs(table) {
      checkTable(table);
      const rs = await client.query({ query: SELECT_RUNS_SQL, query_params: { table }, format: "JSONEachRow" });
      return ((await rs.json()) as { run_id: string }[]).map((r) => r.run_id);
    },
    async *stream(table, runId, batchRows = 8192) {
      checkTable(table);
      const rs = await client.query({ query: SELECT_RUN_SQL, query_params: { table, run: runId }, format: "JSONEachRow" });
      let buf: HistoryRow[] = [];
      for await (const rows of rs.stream()) {
        for (const row of rows) {
          buf.push(rowFromJson(row.json() as Record<string, unknown>));
          if (buf.length >= batchRows) {
            yield buf;
            buf = [];
          }
        }
      }
      if (buf.length) yield buf;
    },
    async close() {
      await client.close();
    },
  };
}

/**
 * The run to replay from a table: `runId` when given (it must exist), else the table's only run.
 * @throws HistoryError naming --run when the table has no such run, or several and none is chosen.
 */
export async function chooseRun(store: HistoryStore, table: string, runId: string | undefined): Promise<string> {
  const runs = await store.runs(table);
  if (runId !== undefined) {
    if (!runs.includes(runId)) throw new HistoryError(undefined, "--run", `${JSON.stringify(runId)} is not in table ${table} (runs: ${runs.slice(0, 10).join(", ") || "none"})`);
    return runId;
  }
  if (runs.length === 1) return runs[0];
  throw new HistoryError(undefined, "--run", runs.length === 0 ? `table ${table} holds no history rows` : `table ${table} holds ${runs.length} runs; choose one with --run (${runs.slice(0, 10).join(", ")})`);
}
