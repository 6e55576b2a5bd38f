/** The standalone dashboard server behind `errand dashboard --port`. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Engine } from "../engine/types.ts";
import { createDashboard } from "./dashboard.ts";
import { toNodeHandler } from "./node.ts";
import { checkOrigin } from "./options.ts";

export interface ServeDashboardOptions {
  /** The engine to show. Required. */
  readonly engine: Engine;
  /** TCP port; 0 picks a free one. @default 4600 */
  readonly port?: number;
  /** Interface to bind. Anything but loopback without a `token` prints a warning. @default "127.0.0.1" */
  readonly host?: string;
  /** Require this token (Bearer header or login form). @default undefined (no authentication) */
  readonly token?: string;
  /** Mount path. @default "" */
  readonly basePath?: string;
  /** Where warnings go. @default process.stderr */
  readonly warn?: (message: string) => void;
  /**
   * The origin browsers use behind a reverse proxy, e.g. "https://ops.example.com" (see
   * `DashboardOptions.publicOrigin`); its host name is also accepted in the `Host` header on loopback.
   * @default undefined
   */
  readonly publicOrigin?: string;
  /** Believe the proxy's X-Forwarded-* headers (see `DashboardOptions.trustProxy`). @default false */
  readonly trustProxy?: boolean;
}

export interface DashboardServer extends AsyncDisposable {
  /** e.g. `http://127.0.0.1:4600/` */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost", "[::1]"]);

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function serveDashboard(options: ServeDashboardOptions): Promise<DashboardServer> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 4600;
  if (typeof host !== "string" || host === "") throw new TypeError("serveDashboard: `host` must be a non-empty string");
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`serveDashboard: \`port\` must be an integer from 0 to 65535, got ${String(port)}`);
  if (options.token !== undefined && typeof options.token !== "string") throw new TypeError("serveDashboard: `token` must be a string");
  // On a loopback address, only loopback host names are expected: anything else is DNS rebinding.
  const loopbackHosts = ["127.0.0.1", "localhost", "[::1]", host.includes(":") && !host.startsWith("[") ? `[${host}]` : host];
  if (options.publicOrigin !== undefined) loopbackHosts.push(new URL(checkOrigin(options.publicOrigin, "serveDashboard: `publicOrigin`")).hostname);
  const dashboard = createDashboard({
    engine: options.engine,
    ...(options.publicOrigin !== undefined ? { publicOrigin: options.publicOrigin } : {}),
    ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
    ...(isLoopback(host) ? { allowedHosts: loopbackHosts } : {}),
    ...(options.basePath !== undefined ? { basePath: options.basePath } : {}),
    ...(options.token !== undefined ? { auth: { token: options.token } } : {}),
  });
  const warn = options.warn ?? ((m: string) => process.stderr.write(m + "\n"));
  if (!isLoopback(host) && options.token === undefined) {
    warn(`errand dashboard: WARNING: listening on ${host} without a token — anyone who can reach this address can see payloads and cancel, replay or trigger runs. Set a token, or bind 127.0.0.1.`);
  }
  const server = createServer(toNodeHandler(dashboard));
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) => reject(new Error(`errand dashboard: cannot listen on ${host}:${port}`, { cause: error })));
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  const shown = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const close = () => new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
  return { url: `http://${shown}:${actual}${dashboard.basePath}/`, port: actual, server, close, [Symbol.asyncDispose]: close };
}
