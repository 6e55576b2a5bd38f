/** Adapter from the web-standard handler to Node's `http` (also Express/Connect middleware). */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Dashboard } from "./dashboard.ts";
import { MAX_BODY_BYTES } from "./body.ts";
import { securityHeaders } from "./respond.ts";

export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

/** A Host header: a name or IP literal and an optional port, nothing else (no user info, no path). */
const HOST = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * Reads the body up to the cap. Past it, stops buffering and lets the rest drain (a reset socket
 * would lose the 413 answer); null then.
 */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      req.off("data", onData);
      req.resume();
      resolve(null);
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** A plain-text answer with the dashboard's security headers. */
function plain(res: ServerResponse, status: number, text: string, close = false): void {
  const headers: Record<string, string> = {};
  securityHeaders({ "Content-Type": "text/plain; charset=utf-8", ...(close ? { Connection: "close" } : {}) }).forEach((v, k) => (headers[k] = v));
  res.writeHead(status, headers).end(text);
}

/** The request's URL, or the reason it has none we accept (bad Host, absolute-form or `*` target). */
function urlOf(req: IncomingMessage): string | { readonly bad: string } {
  const host = req.headers.host ?? "localhost";
  if (!HOST.test(host)) return { bad: "malformed Host header" };
  const path = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? "/";
  if (!path.startsWith("/") || path.startsWith("//")) return { bad: "unsupported request target (origin-form only, e.g. GET /runs)" };
  const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
  try {
    return new URL(`${secure ? "https" : "http"}://${host}${path}`).href;
  } catch {
    return { bad: "malformed request target" };
  }
}

/**
 * Wraps a dashboard for `http.createServer(toNodeHandler(dashboard))` or `app.use(toNodeHandler(dashboard))`.
 * Uses `req.originalUrl` when present (Express strips the mount path from `req.url`), so give the
 * dashboard the same `basePath` as the mount point. Passes the socket's address for the login backoff.
 */
export function toNodeHandler(dashboard: Dashboard): NodeHandler {
  if (dashboard === null || typeof dashboard !== "object" || typeof dashboard.fetch !== "function") {
    throw new TypeError("toNodeHandler: `dashboard` must be the result of createDashboard()");
  }
  return (req, res, next) => {
    void (async () => {
      const url = urlOf(req);
      if (typeof url !== "string") return plain(res, 400, `bad request: ${url.bad}`);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined) continue;
        if (Array.isArray(value)) for (const v of value) headers.append(name, v);
        else headers.set(name, value);
      }
      const method = req.method ?? "GET";
      let body: Buffer | null = null;
      if (method !== "GET" && method !== "HEAD") {
        body = await readBody(req);
        if (body === null) return plain(res, 413, `request body too large (limit ${MAX_BODY_BYTES} bytes)`, true);
      }
      const remoteAddress = req.socket.remoteAddress;
      const request = new Request(url, { method, headers, ...(body !== null ? { body: new Uint8Array(body) } : {}) });
      const response = await dashboard.fetch(request, remoteAddress !== undefined ? { remoteAddress } : {});
      const out: Record<string, string | string[]> = {};
      response.headers.forEach((value, name) => {
        if (name !== "set-cookie") out[name] = value;
      });
      const cookies = response.headers.getSetCookie();
      if (cookies.length > 0) out["set-cookie"] = cookies;
      res.writeHead(response.status, out);
      if (method === "HEAD" || response.body === null) {
        res.end();
        return;
      }
      res.end(Buffer.from(await response.arrayBuffer()));
    })().catch((error: unknown) => {
      if (next) next(error);
      else if (!res.headersSent) plain(res, 500, "internal error");
      else res.destroy(error instanceof Error ? error : undefined);
    });
  };
}
