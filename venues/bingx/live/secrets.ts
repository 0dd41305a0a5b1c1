/**
 * API credentials for a live BingX session and the redactor that keeps every secret out of
 * logs, traces, recordings, reports and error messages (docs/shadow.md §secrets).
 *
 * Secrets come from the environment (`BINGX_API_KEY`, `BINGX_SECRET_KEY`) or from a file readable
 * only by its owner (mode 0600 or stricter; JSON `{"apiKey","secretKey"}` or `KEY=value` lines with
 * the same two variable names). Never from a command-line argument: argv is visible to every user
 * of the machine (`ps`). Errors name the variable or the file, never a value.
 *
 * Secrets are: the API key, the secret key, every listen key (docs/bingx-protocol.md §listen key:
 * whoever holds it reads the account's stream) and every request signature.
 */
import { readFileSync, statSync } from "node:fs";

/** A BingX API key pair. */
export interface Credentials {
  apiKey: string;
  secretKey: string;
}

/** Environment variable names read by {@link loadCredentials}. */
export const ENV_API_KEY = "BINGX_API_KEY";
export const ENV_SECRET_KEY = "BINGX_SECRET_KEY";

/** A refused credential source (bad permissions, missing variable); the message holds no secret. */
export class CredentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CredentialError";
  }
}

/**
 * Load the key pair: from `file` when given (owner-only permissions required), else from `env`.
 * @throws CredentialError naming the file / variable when it is missing, unreadable, group- or
 *   world-accessible, or malformed. Never includes a secret in the message.
 */
export function loadCredentials(env: NodeJS.ProcessEnv, file?: string): Credentials {
  if (file !== undefined) return fromFile(file);
  const apiKey = env[ENV_API_KEY];
  const secretKey = env[ENV_SECRET_KEY];
  if (!apiKey) throw new CredentialError(`${ENV_API_KEY} is not set (or use --credentials-file F with mode 0600)`);
  if (!secretKey) throw new CredentialError(`${ENV_SECRET_KEY} is not set (or use --credentials-file F with mode 0600)`);
  return check({ apiKey, secretKey }, "environment");
}

function fromFile(file: string): Credentials {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    throw new CredentialError(`--credentials-file ${file}: cannot stat (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
  if (!st.isFile()) throw new CredentialError(`--credentials-file ${file}: not a regular file`);
  if ((st.mode & 0o077) !== 0) {
    throw new CredentialError(`--credentials-file ${file}: mode ${(st.mode & 0o777).toString(8)} lets group or others read it; chmod 600 ${file}`);
  }
  if (typeof process.getuid === "function" && st.uid !== process.getuid()) {
    throw new CredentialError(`--credentials-file ${file}: owned by uid ${st.uid}, not by the current user`);
  }
  const text = readFileSync(file, "utf8");
  let apiKey: string | undefined;
  let secretKey: string | undefined;
  if (text.trimStart().startsWith("{")) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new CredentialError(`--credentials-file ${file}: not valid JSON (${(e as Error).name}; contents not shown)`);
    }
    const o = (doc ?? {}) as Record<string, unknown>;
    apiKey = typeof o["apiKey"] === "string" ? o["apiKey"] : undefined;
    secretKey = typeof o["secretKey"] === "string" ? o["secretKey"] : undefined;
  } else {
    for (const line of text.split(/\r?\n/)) {
      const m = /^\s*(?:export\s+)?([A-Z_]+)\s*=\s*"?([^"\s]*)"?\s*$/.exec(line);
      if (!m) continue;
      if (m[1] === ENV_API_KEY) apiKey = m[2];
      if (m[1] === ENV_SECRET_KEY) secretKey = m[2];
    }
  }
  if (!apiKey) throw new CredentialError(`--credentials-file ${file}: no apiKey / ${ENV_API_KEY}`);
  if (!secretKey) throw new CredentialError(`--credentials-file ${file}: no secretKey / ${ENV_SECRET_KEY}`);
  return check({ apiKey, secretKey }, `--credentials-file ${file}`);
}

function check(c: Credentials, where: string): Credentials {
  if (c.apiKey.length < 8) throw new CredentialError(`${where}: the API key is shorter than 8 characters`);
  if (c.secretKey.length < 8) throw new CredentialError(`${where}: the secret key is shorter than 8 characters`);
  return c;
}

/**
 * Replaces every registered secret (and every `signature=<hex>` parameter) in a text with a
 * placeholder naming its kind, e.g. `<redacted:listenKey>`. Everything a live session writes
 * (stderr, recordings, summary, report, error messages) passes through one instance.
 */
export class Redactor {
  private readonly secrets: { value: string; label: string }[] = [];

  /** Register a secret; values shorter than 8 characters are refused (they would redact ordinary text). */
  add(value: string, label: string): void {
    if (value.length < 8) throw new Error(`Redactor.add: a ${label} shorter than 8 characters cannot be redacted safely`);
    if (this.secrets.some((s) => s.value === value)) return;
    this.secrets.push({ value, label });
    // Longest first, so a secret containing another is replaced whole.
    this.secrets.sort((a, b) => b.value.length - a.value.length);
  }

  /** The text with every secret replaced. */
  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s.value)) out = out.split(s.value).join(`<redacted:${s.label}>`);
    return out.replace(/signature=[0-9a-fA-F]{16,}/g, "signature=<redacted:signature>");
  }

  /** An Error whose message (and stack) are redacted; for rethrowing errors that may quote a secret. */
  redactError(e: unknown): Error {
    const err = e instanceof Error ? e : new Error(String(e));
    const out = new Error(this.redact(err.message));
    out.name = err.name;
    out.stack = this.redact(err.stack ?? out.message);
    return out;
  }
}
