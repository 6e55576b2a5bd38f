/**
 * Where a request comes from and where it was sent: the public origin browsers use (for same-origin
 * checks and the cookie's `Secure`) and the client's address (for the login backoff). Behind a
 * reverse proxy the request as received says neither; `publicOrigin` and `trustProxy` tell them.
 */

/** What a server adapter knows about the connection (toNodeHandler passes the socket's address). */
export interface ClientInfo {
  /** The peer's IP address. */
  readonly remoteAddress?: string | undefined;
}

export interface OriginOptions {
  readonly publicOrigin: string | null;
  readonly trustProxy: boolean;
}

/** The first value of a comma-separated header. */
function first(req: Request, name: string): string | null {
  const v = req.headers.get(name);
  if (v === null) return null;
  const head = v.split(",")[0]!.trim();
  return head === "" ? null : head;
}

const HOST = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/** The origin the browser used, e.g. "https://ops.example.com". */
export function publicOriginOf(req: Request, o: OriginOptions): string {
  if (o.publicOrigin !== null) return o.publicOrigin;
  const url = new URL(req.url);
  if (!o.trustProxy) return url.origin;
  const proto = first(req, "x-forwarded-proto")?.toLowerCase();
  const host = first(req, "x-forwarded-host");
  const scheme = proto === "https" || proto === "http" ? proto : url.protocol.slice(0, -1);
  const authority = host !== null && HOST.test(host) ? host : url.host;
  try {
    return new URL(`${scheme}://${authority}`).origin;
  } catch {
    return url.origin;
  }
}

/** The client's address: the last X-Forwarded-For hop with `trustProxy` (what our proxy saw), else the socket's. */
export function clientAddressOf(req: Request, info: ClientInfo | undefined, o: OriginOptions): string | undefined {
  if (o.trustProxy) {
    const hops = (req.headers.get("x-forwarded-for") ?? "").split(",").map((h) => h.trim()).filter((h) => h !== "");
    const last = hops.at(-1);
    if (last !== undefined) return last;
  }
  const address = info?.remoteAddress;
  return typeof address === "string" && address !== "" ? address : undefined;
}
