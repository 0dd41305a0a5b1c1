/**
 * Test helper: a real ClickHouse engine (chdb, in this process) served over the ClickHouse HTTP
 * protocol on loopback, so the `--clickhouse http://…` path (`@clickhouse/client`) is tested
 * against a real engine in CI. Debian's clickhouse-server (2018) lacks query parameters, hence
 * this. It implements the subset of the HTTP interface the client uses:
 * - `GET /ping` → `Ok.`;
 * - `POST /?query=INSERT INTO t FORMAT JSONEachRow` with the rows as the body → chdb insert;
 * - `POST /` with the SQL as the body (and `query=` prefix, if any), bound parameters as
 *   `param_<name>` URL parameters (server-side binding by chdb's queryBind, never spliced), the
 *   result format from a trailing `FORMAT <name>` clause → the result text;
 * - errors → HTTP 500 with the engine's message and the X-ClickHouse-Exception-Code header.
 * Other URL parameters (session ids, settings the client adds) are accepted and not applied;
 * the replay's query carries its own SETTINGS clause.
 *
 * Run it in a forked process (chdb crashes inside worker threads).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { loadChdb } from "../clickhouse.js";

interface Session {
  query(q: string, format?: string): string;
  queryBind(q: string, args: object, format?: string): string;
  insert(p: { table: string; values: Buffer; format: "JSONEachRow" }): Promise<unknown>;
  close(): void;
}

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((res, rej) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => res(Buffer.concat(parts)));
    req.on("error", rej);
  });
}

const INSERT_RE = /^\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\([^)]*\))?\s*FORMAT\s+JSONEachRow\s*$/i;
const FORMAT_RE = /\s+FORMAT\s+([A-Za-z]+)\s*;?\s*$/i;

/** A running server: its URL and a stop function. */
export interface ChdbHttpServer {
  url: string;
  /** Queries answered (for the test to prove the HTTP path was used). */
  readonly queries: string[];
  stop(): Promise<void>;
}

/** Start the server on 127.0.0.1 (a free port) over a chdb session at `path`. */
export async function startChdbHttpServer(path: string): Promise<ChdbHttpServer> {
  const { Session } = await loadChdb();
  const s = new Session(path) as unknown as Session;
  const queries: string[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      if (url.pathname === "/ping") {
        res.writeHead(200, { "Content-Type": "text/plain" }).end("Ok.\n");
        return;
      }
      const data = await body(req);
      const q = url.searchParams.get("query") ?? "";
      const params: Record<string, string> = {};
      for (const [k, v] of url.searchParams) if (k.startsWith("param_")) params[k.slice(6)] = v;
      try {
        const ins = INSERT_RE.exec(q);
        if (ins) {
          queries.push(q);
          await s.insert({ table: ins[1], values: data, format: "JSONEachRow" });
          res.writeHead(200, { "Content-Type": "text/plain" }).end("");
          return;
        }
        let sql = `${q}${q && data.length ? "\n" : ""}${data.toString("utf8")}`;
        queries.push(sql);
        const fm = FORMAT_RE.exec(sql);
        const format = fm ? fm[1] : "TabSeparated";
        if (fm) sql = sql.slice(0, fm.index);
        const out = Object.keys(params).length ? s.queryBind(sql, params, format) : s.query(sql, format);
        res.writeHead(200, { "Content-Type": "text/plain; charset=UTF-8", "X-ClickHouse-Format": format }).end(out);
      } catch (e) {
        const msg = (e as Error).message;
        res.writeHead(500, { "Content-Type": "text/plain", "X-ClickHouse-Exception-Code": "1" }).end(`Code: 1. DB::Exception: ${msg}`);
      }
    })();
  });
  await new Promise<void>((res) => server.listen(0, "127.0.0.1", () => res()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    queries,
    async stop() {
      await new Promise<void>((res, rej) => server.close((e) => (e ? rej(e) : res())));
      s.close();
    },
  };
}
