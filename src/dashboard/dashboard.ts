/**
 * `createDashboard`: the web-standard `fetch(Request) => Promise<Response>` handler. Routing, auth,
 * CSRF and live (ETag-checked) fragments live here; pages, actions, login and API are in their own files.
 */
import { inspect } from "node:util";
import { redactText } from "../store/redact.ts";
import { resolveOptions, type DashboardOptions } from "./options.ts";
import { createSecurity, type Authed } from "./security.ts";
import { html } from "./html.ts";
import { layout, loginPage, type Page, type PageContext } from "./layout.ts";
import { etagOf, htmlResponse, jsonError, securityHeaders, redirect } from "./respond.ts";
import { CLIENT_JS } from "./client.ts";
import { apiGet, apiPost } from "./api.ts";
import { formOf, readBody } from "./body.ts";
import { clientKey, createLoginLimiter } from "./login-limit.ts";
import { loginRoute } from "./login.ts";
import { clientAddressOf, publicOriginOf, type ClientInfo } from "./origin.ts";
import { getPage, postAction } from "./routes.ts";

export interface Dashboard {
  /**
   * Answers one request; never rejects (errors become 500 responses). `info.remoteAddress` is the
   * client's address (toNodeHandler passes the socket's): the login backoff counts per client, and
   * without it all clients share one count.
   */
  fetch(req: Request, info?: ClientInfo): Promise<Response>;
  /** The mount path the dashboard was created with ("" for the root). */
  readonly basePath: string;
}

const WWW_AUTH = { "WWW-Authenticate": 'Bearer realm="errand"' };

export function createDashboard(options: DashboardOptions): Dashboard {
  const opts = resolveOptions(options);
  const { engine, basePath: base } = opts;
  const origins = { publicOrigin: opts.publicOrigin, trustProxy: opts.trustProxy };
  const security = createSecurity({
    token: opts.token,
    basePath: base,
    originOf: (req) => publicOriginOf(req, origins),
    ...(opts.revocations !== null ? { revocations: opts.revocations } : {}),
  });
  const limiter = createLoginLimiter();

  function pageContext(url: URL, auth: Authed): PageContext {
    return {
      base, url, now: Date.now(), title: opts.title, liveIntervalMs: opts.liveIntervalMs,
      csrf: auth.session === null ? "" : security.csrfToken(auth.session),
      canLogout: auth.via === "cookie",
    };
  }

  function renderPage(req: Request, ctx: PageContext, page: Page, cookie: Record<string, string>): Response {
    const live = String(page.live);
    const etag = etagOf(live);
    if (req.headers.get("x-errand-live") === "1") {
      if (req.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers: securityHeaders({ ETag: etag, Vary: "X-Errand-Live", ...cookie }) });
      return htmlResponse(live, page.status ?? 200, { ETag: etag, Vary: "X-Errand-Live", ...cookie });
    }
    return htmlResponse(layout(ctx, page, req.method === "POST" ? null : etag), page.status ?? 200, { Vary: "X-Errand-Live", ...cookie });
  }

  function refused(isApi: boolean, why: string): Response {
    if (isApi) return jsonError(403, `CSRF check failed: ${why}`);
    return htmlResponse(html`<!doctype html><title>Refused</title><p>Request refused (CSRF check failed: ${why}). Go back, reload the page and try again.</p>`, 403);
  }

  async function handle(req: Request, info: ClientInfo | undefined): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname !== base && !url.pathname.startsWith(base + "/")) return jsonError(404, "not under the dashboard's basePath");
    let parts: string[];
    try {
      parts = url.pathname.slice(base.length).split("/").filter((p) => p !== "").map((p) => decodeURIComponent(p));
    } catch {
      return jsonError(400, "malformed path");
    }
    if (opts.allowedHosts !== null && !opts.allowedHosts.has(url.hostname.toLowerCase())) {
      return jsonError(403, `unexpected Host "${url.host}" (allowedHosts; protects against DNS rebinding)`);
    }
    const method = req.method.toUpperCase();
    const isApi = parts[0] === "api";
    if (parts.length === 1 && parts[0] === "login" && opts.token !== null) {
      return loginRoute({ base, title: opts.title, security, limiter, origins }, req, method, info);
    }
    // A Bearer header is a guess like a login: it counts towards (and waits out) the same backoff.
    const guess = opts.token !== null && /^Bearer\s/i.test(req.headers.get("authorization") ?? "");
    const client = clientKey(clientAddressOf(req, info, origins));
    const waitMs = guess ? limiter.retryAfterMs(client) : 0;
    if (waitMs > 0) {
      const seconds = String(Math.ceil(waitMs / 1000));
      return jsonError(429, `too many failed attempts: retry in ${seconds} s`, { "Retry-After": seconds });
    }
    const auth = await security.authenticate(req);
    if (guess) {
      if (auth.ok) limiter.succeeded(client);
      else limiter.failed(client);
    }
    if (!auth.ok) {
      if (isApi) return jsonError(401, "authentication required", WWW_AUTH);
      return htmlResponse(loginPage(base, opts.title), 401, WWW_AUTH);
    }
    const cookie: Record<string, string> = auth.setCookie === null ? {} : { "Set-Cookie": auth.setCookie };

    if (method === "GET" || method === "HEAD") {
      if (parts.length === 2 && parts[0] === "assets" && parts[1] === "app.js") {
        return new Response(CLIENT_JS, { headers: securityHeaders({ "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache", ...cookie }) });
      }
      if (isApi) return apiGet(engine, req, parts.slice(1), url);
      const ctx = pageContext(url, auth);
      return renderPage(req, ctx, await getPage(engine, ctx, parts), cookie);
    }
    if (method !== "POST") return jsonError(405, "method not allowed", { Allow: "GET, HEAD, POST" });

    // State-changing: cross-site is refused whatever the credentials, before the body is even read.
    const site = security.checkSite(req);
    if (site !== null) return refused(isApi, site);
    const body = await readBody(req);
    if (body.kind === "error") return jsonError(body.status, body.message);
    const form = formOf(body);
    const csrf = security.checkCsrfToken(auth, req.headers.get("x-csrf-token") ?? form.get("_csrf"));
    if (csrf !== null) return refused(isApi, csrf);
    if (parts.length === 1 && parts[0] === "logout") return redirect(`${base}/login`, { "Set-Cookie": await security.logout(auth) });
    if (isApi) {
      if ([...form.keys()].some((k) => k !== "_csrf")) return jsonError(415, "API requests take a JSON body (Content-Type: application/json)");
      return apiPost(engine, parts.slice(1), body.kind === "json" ? body.value : undefined);
    }
    const ctx = pageContext(url, auth);
    const result = await postAction(engine, ctx, parts, form);
    return result instanceof Response ? result : renderPage(req, ctx, result, cookie);
  }

  return {
    basePath: base,
    async fetch(req: Request, info?: ClientInfo): Promise<Response> {
      try {
        return await handle(req, info);
      } catch (error) {
        // Errors may quote a connection string: nothing leaves here unredacted, not even the log.
        console.error(`errand dashboard: request failed: ${redactText(inspect(error, { depth: 6 }))}`);
        const message = redactText(error instanceof Error ? error.message : String(error));
        if (new URL(req.url).pathname.startsWith(`${base}/api/`)) return jsonError(500, message);
        return htmlResponse(html`<!doctype html><title>Error</title><h1>Something went wrong</h1><pre>${message}</pre>`, 500);
      }
    },
  };
}
