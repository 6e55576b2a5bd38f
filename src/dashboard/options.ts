/** Options of {@link createDashboard} and their validation. */
import type { Engine } from "../engine/types.ts";
import type { SessionRevocations } from "./revocations.ts";

/** Fewest characters, and fewest distinct characters, a token may have. */
export const MIN_TOKEN_LENGTH = 16;
const MIN_TOKEN_DISTINCT = 6;

export interface DashboardAuth {
  /**
   * Shared secret: send it as `Authorization: Bearer <token>` or enter it in the login form. At least
   * 16 characters and not repetitive; use a random one (`openssl rand -base64 32`). Session cookies are
   * signed with a key derived from it, so changing it logs everyone out.
   */
  readonly token: string;
  /**
   * Where logged-out sessions are remembered until they would have expired. Give a shared one (e.g.
   * on Redis or your database) so a logout holds on every instance and across restarts.
   * @default an in-memory list of this process (bounded; see docs/SECURITY.md)
   */
  readonly revocations?: SessionRevocations;
}

export interface DashboardOptions {
  /** The engine whose runs, tasks and schedules are shown. Required. */
  readonly engine: Engine;
  /**
   * Path prefix the dashboard is mounted under, e.g. `"/admin/errand"`. Requests outside it answer 404.
   * @default "" (mounted at the root)
   */
  readonly basePath?: string;
  /**
   * Token authentication. Without it every request is allowed (bind to 127.0.0.1 only).
   * @default undefined (no authentication)
   */
  readonly auth?: DashboardAuth;
  /**
   * How often the browser polls for changes (ETag-checked) on live pages, in ms.
   * @default 2000
   */
  readonly liveIntervalMs?: number;
  /**
   * Host names (without port) the `Host` header may carry; other requests answer 403. Protects a
   * dashboard on 127.0.0.1 against DNS rebinding. `serveDashboard` sets it to the loopback names when
   * it binds a loopback address.
   * @default undefined (any host)
   */
  readonly allowedHosts?: readonly string[];
  /**
   * Page title shown in the header.
   * @default "Errand"
   */
  readonly title?: string;
  /**
   * The origin browsers use to reach the dashboard when a reverse proxy sits in front of it, e.g.
   * `"https://ops.example.com"`. Same-origin checks compare against it, and the session cookie is
   * `Secure` when it is https.
   * @default undefined (the origin of the request as received)
   */
  readonly publicOrigin?: string;
  /**
   * Believe `X-Forwarded-Proto`, `X-Forwarded-Host` and `X-Forwarded-For` (first proxy's view) to tell
   * the public origin and the client address. Only enable it when a proxy you control sets or
   * overwrites these headers on every request; `publicOrigin` wins over it for the origin.
   * @default false
   */
  readonly trustProxy?: boolean;
}

export interface ResolvedOptions {
  readonly engine: Engine;
  readonly basePath: string;
  readonly token: string | null;
  readonly liveIntervalMs: number;
  readonly title: string;
  /** Lower-case host names, or null for any. */
  readonly allowedHosts: ReadonlySet<string> | null;
  /** e.g. "https://ops.example.com", or null. */
  readonly publicOrigin: string | null;
  readonly trustProxy: boolean;
  readonly revocations: SessionRevocations | null;
}

/** Checks the options; throws a `TypeError` naming the first bad option. */
export function resolveOptions(options: DashboardOptions): ResolvedOptions {
  if (options === null || typeof options !== "object") {
    throw new TypeError("createDashboard: options must be an object with an `engine`");
  }
  const { engine } = options;
  if (engine === null || typeof engine !== "object" || typeof engine.runs?.list !== "function") {
    throw new TypeError("createDashboard: `engine` must be an Engine made by createEngine()");
  }
  let basePath = options.basePath ?? "";
  if (typeof basePath !== "string" || (basePath !== "" && !/^\/[A-Za-z0-9._~\-/]*$/.test(basePath))) {
    throw new TypeError(`createDashboard: \`basePath\` must be "" or a path starting with "/", got ${JSON.stringify(basePath)}`);
  }
  basePath = basePath.replace(/\/+$/, "");
  let token: string | null = null;
  let revocations: SessionRevocations | null = null;
  if (options.auth !== undefined) {
    if (options.auth === null || typeof options.auth !== "object" || typeof options.auth.token !== "string") {
      throw new TypeError("createDashboard: `auth.token` must be a string");
    }
    token = checkToken(options.auth.token);
    const r = options.auth.revocations;
    if (r !== undefined) {
      if (r === null || typeof r !== "object" || typeof r.revoke !== "function" || typeof r.isRevoked !== "function") {
        throw new TypeError("createDashboard: `auth.revocations` must be an object with revoke() and isRevoked()");
      }
      revocations = r;
    }
  }
  const liveIntervalMs = options.liveIntervalMs ?? 2000;
  if (!Number.isFinite(liveIntervalMs) || liveIntervalMs < 100) {
    throw new TypeError("createDashboard: `liveIntervalMs` must be a number >= 100");
  }
  const title = options.title ?? "Errand";
  if (typeof title !== "string") throw new TypeError("createDashboard: `title` must be a string");
  let allowedHosts: Set<string> | null = null;
  if (options.allowedHosts !== undefined) {
    if (!Array.isArray(options.allowedHosts) || options.allowedHosts.some((h) => typeof h !== "string" || h === "")) {
      throw new TypeError("createDashboard: `allowedHosts` must be an array of host names");
    }
    allowedHosts = new Set(options.allowedHosts.map((h) => h.toLowerCase()));
  }
  const publicOrigin = options.publicOrigin === undefined ? null : checkOrigin(options.publicOrigin);
  const trustProxy = options.trustProxy ?? false;
  if (typeof trustProxy !== "boolean") throw new TypeError("createDashboard: `trustProxy` must be a boolean");
  return { engine, basePath, token, liveIntervalMs, title, allowedHosts, publicOrigin, trustProxy, revocations };
}

function checkToken(token: string): string {
  const advice = "use a long random one, e.g. `openssl rand -base64 32`";
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new TypeError(`createDashboard: \`auth.token\` must be at least ${MIN_TOKEN_LENGTH} characters long (${advice})`);
  }
  if (new Set(token).size < MIN_TOKEN_DISTINCT) {
    throw new TypeError(`createDashboard: \`auth.token\` is too repetitive (fewer than ${MIN_TOKEN_DISTINCT} different characters; ${advice})`);
  }
  return token;
}

/** An http(s) origin: scheme, host and optional port, nothing else. */
export function checkOrigin(value: unknown, option = "createDashboard: `publicOrigin`"): string {
  let u: URL | null = null;
  try {
    u = typeof value === "string" ? new URL(value) : null;
  } catch {
    u = null;
  }
  const plain = u !== null && (u.protocol === "https:" || u.protocol === "http:") && u.username === "" && u.password === "" &&
    (u.pathname === "/" || u.pathname === "") && u.search === "" && u.hash === "" && !String(value).endsWith("?") && !String(value).endsWith("#");
  if (!plain || u === null) {
    throw new TypeError(`${option} must be an origin such as "https://ops.example.com" (scheme, host and port only), got ${JSON.stringify(value)}`);
  }
  return u.origin;
}
