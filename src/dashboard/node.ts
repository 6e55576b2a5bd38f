/** Adapter from the web-standard handler to Node's `http` (also Express/Connect middleware). */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Dashboard } from "./dashboard.ts";

/** Largest body the adapter reads before answering 413. */
const MAX_BODY_BYTES = 1_048_576;

export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * Wraps a dashboard for `http.createServer(toNodeHandler(dashboard))` or `app.use(toNodeHandler(dashboard))`.
 * Uses `req.originalUrl` when present (Express strips the mount path from `req.url`), so give the
 * dashboard the same `basePath` as the mount point.
 */
export function toNodeHandler(dashboard: Dashboard): NodeHandler {
  if (dashboard === null || typeof dashboard !== "object" || typeof dashboard.fetch !== "function") {
    throw new TypeError("toNodeHandler: `dashboard` must be the result of createDashboard()");
  }
  return (req, res, next) => {
    void (async () => {
      const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
      const host = req.headers.host ?? "localhost";
      const path = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? "/";
      const url = `${secure ? "https" : "http"}://${host}${path}`;
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
        if (body === null) {
          res.writeHead(413, { "Content-Type": "text/plain" }).end("request body too large");
          return;
        }
      }
      const response = await dashboard.fetch(new Request(url, { method, headers, ...(body !== null ? { body: new Uint8Array(body) } : {}) }));
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
      else if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" }).end("internal error");
      else res.destroy(error instanceof Error ? error : undefined);
    });
  };
}
