/**
 * Which BingX hosts a live session may talk to (docs/shadow.md §refusals, docs/bingx-protocol.md
 * §hosts). The default is VST, the demo-money environment. Any other host is refused before a
 * single connection is opened, unless the caller passes the explicit real-money flag. A loopback
 * address (127.0.0.1, ::1, localhost) is the `dita venue serve` mock and is allowed: it holds no
 * money. Pure functions: nothing here touches the network.
 */

/** VST (demo) REST base (docs/bingx-protocol.md §hosts). */
export const VST_REST_URL = "https://open-api-vst.bingx.com";
/** VST user-stream WebSocket base. */
export const VST_WS_URL = "wss://vst-open-api-ws.bingx.com/swap-market";
/** Live (real money) REST and WS bases, only with the real-money flag. */
export const LIVE_REST_URL = "https://open-api.bingx.com";
export const LIVE_WS_URL = "wss://open-api-swap.bingx.com/swap-market";

/** Where a session connects and what kind of venue that is. */
export interface VenueTarget {
  restBase: string;
  wsBase: string;
  kind: "vst" | "loopback" | "real-money";
}

/** The venue URL was refused (exit 2, nothing opened). */
export class VenueRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VenueRefused";
  }
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/**
 * Resolve `--venue URL` to REST and WS bases.
 * - the VST REST host (https) ⇒ VST WS host;
 * - `http://127.0.0.1:P` (or localhost / [::1]) ⇒ `ws://…:P/swap-market` (the loopback mock);
 * - the live host, or anything else, only with `realMoney` (live host ⇒ live WS; other hosts ⇒
 *   the same host's `/swap-market` over ws(s)).
 * @throws VenueRefused naming the field and the host when the URL is malformed or not allowed.
 */
export function resolveVenue(url: string, realMoney: boolean): VenueTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch (e) {
    throw new VenueRefused(`--venue ${url}: not a URL (${(e as Error).message})`);
  }
  if (u.username || u.password) throw new VenueRefused(`--venue: credentials in the URL are refused (use BINGX_API_KEY / BINGX_SECRET_KEY)`);
  if (u.search || u.hash) throw new VenueRefused(`--venue ${u.origin}: a query string or fragment is refused`);
  const origin = `${u.protocol}//${u.host}`;
  if (LOOPBACK.has(u.hostname)) {
    if (u.protocol !== "http:") throw new VenueRefused(`--venue ${origin}: loopback mock URLs use http://`);
    return { restBase: origin, wsBase: `ws://${u.host}/swap-market`, kind: "loopback" };
  }
  if (u.protocol !== "https:") throw new VenueRefused(`--venue ${origin}: only https:// is accepted for a remote host`);
  if (origin === VST_REST_URL) return { restBase: VST_REST_URL, wsBase: VST_WS_URL, kind: "vst" };
  if (!realMoney) {
    throw new VenueRefused(`--venue ${origin}: not the VST host (${VST_REST_URL}); a real-money host needs --real-money-i-understand`);
  }
  if (origin === LIVE_REST_URL) return { restBase: LIVE_REST_URL, wsBase: LIVE_WS_URL, kind: "real-money" };
  return { restBase: origin, wsBase: `wss://${u.host}/swap-market`, kind: "real-money" };
}

/**
 * The margin asset of the account must be VST (the demo money) unless real money was allowed
 * explicitly; the loopback mock also answers VST by default.
 * @throws VenueRefused naming the asset.
 */
export function checkMarginAsset(asset: string, realMoney: boolean): void {
  if (asset === "VST" || realMoney) return;
  throw new VenueRefused(`balance asset ${asset}: not VST (demo money); a real-money account needs --real-money-i-understand`);
}
