/** Options of {@link createDashboard} and their validation. */
import type { Engine } from "../engine/types.ts";

export interface DashboardAuth {
  /** Shared secret: send it as `Authorization: Bearer <token>` or enter it in the login form. */
  readonly token: string;
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
}

export interface ResolvedOptions {
  readonly engine: Engine;
  readonly basePath: string;
  readonly token: string | null;
  readonly liveIntervalMs: number;
  readonly title: string;
  /** Lower-case host names, or null for any. */
  readonly allowedHosts: ReadonlySet<string> | null;
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
  if (options.auth !== undefined) {
    if (options.auth === null || typeof options.auth !== "object" || typeof options.auth.token !== "string") {
      throw new TypeError("createDashboard: `auth.token` must be a string");
    }
    if (options.auth.token.length < 8) {
      throw new TypeError("createDashboard: `auth.token` must be at least 8 characters long");
    }
    token = options.auth.token;
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
  return { engine, basePath, token, liveIntervalMs, title, allowedHosts };
}
