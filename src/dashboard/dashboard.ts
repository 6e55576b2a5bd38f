/**
 * `createDashboard`: the web-standard `fetch(Request) => Promise<Response>` handler. Routing, auth,
 * CSRF and live (ETag-checked) fragments live here; pages and API are in their own files.
 */
import { resolveOptions, type DashboardOptions } from "./options.ts";
import { createSecurity, type AuthResult } from "./security.ts";
import { html, type SafeHtml } from "./html.ts";
import { layout, loginPage, type Page, type PageContext } from "./layout.ts";
import { etagOf, htmlResponse, jsonError, redirect, securityHeaders } from "./respond.ts";
import { CLIENT_JS } from "./client.ts";
import { apiGet, apiPost, RUN_ID } from "./api.ts";
import { overviewPage } from "./pages/overview.ts";
import { runsPage } from "./pages/runs.ts";
import { runDetailPage } from "./pages/run-detail.ts";
import { taskPage, tasksPage } from "./pages/tasks.ts";
import { schedulesPage } from "./pages/schedules.ts";
import { parseTags, triggerFromDashboard } from "./trigger.ts";

export interface Dashboard {
  /** Answers one request; never rejects (errors become 500 responses). */
  fetch(req: Request): Promise<Response>;
  /** The mount path the dashboard was created with ("" for the root). */
  readonly basePath: string;
}

/** Largest accepted POST body. */
const MAX_BODY = 1_000_000;

type Authed = AuthResult & { ok: true };

async function readBody(req: Request): Promise<{ form: URLSearchParams | null; json: unknown; error: string | null }> {
  const text = await req.text();
  if (text.length > MAX_BODY) return { form: null, json: null, error: "request body too large" };
  const type = req.headers.get("content-type") ?? "";
  if (type.startsWith("application/json")) {
    if (text.trim() === "") return { form: null, json: {}, error: null };
    try {
      return { form: null, json: JSON.parse(text), error: null };
    } catch {
      return { form: null, json: null, error: "body is not valid JSON" };
    }
  }
  if (type.startsWith("application/x-www-form-urlencoded") || text === "") return { form: new URLSearchParams(text), json: null, error: null };
  return { form: null, json: null, error: `unsupported content type "${type}"` };
}

function notFound(ctx: PageContext, what: string): Page {
  return { title: "Not found", nav: "none", status: 404, live: html`<div class="card empty"><h1>Not found</h1><p>${what}</p><a href="${ctx.base}/runs">Back to runs</a></div>` };
}

export function createDashboard(options: DashboardOptions): Dashboard {
  const opts = resolveOptions(options);
  const { engine, basePath: base } = opts;
  const security = createSecurity({ token: opts.token, basePath: base });

  function pageContext(url: URL, auth: Authed): PageContext {
    return {
      base, url, now: Date.now(), title: opts.title, liveIntervalMs: opts.liveIntervalMs,
      csrf: auth.sid === null ? "" : security.csrfToken(auth.sid),
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

  async function getPage(ctx: PageContext, parts: readonly string[]): Promise<Page> {
    const [first, second] = parts;
    if (parts.length === 0) return overviewPage(engine, ctx);
    if (first === "runs" && parts.length === 1) return runsPage(engine, ctx);
    if (first === "runs" && second !== undefined && parts.length === 2) {
      const page = RUN_ID.test(second) ? await runDetailPage(engine, ctx, second) : null;
      return page ?? notFound(ctx, `There is no run ${second}.`);
    }
    if (first === "tasks" && parts.length === 1) return tasksPage(engine, ctx);
    if (first === "tasks" && second !== undefined && parts.length === 2) {
      const task = engine.tasks.get(second);
      return task ? taskPage(engine, ctx, task, null) : notFound(ctx, `There is no task ${second}.`);
    }
    if (first === "schedules" && parts.length === 1) return schedulesPage(engine, ctx);
    return notFound(ctx, "This page does not exist.");
  }

  async function postAction(ctx: PageContext, parts: readonly string[], form: URLSearchParams): Promise<Response | Page> {
    const [first, id, action] = parts;
    if (first === "runs" && id !== undefined && RUN_ID.test(id) && parts.length === 3) {
      if ((await engine.runs.get(id)) === null) return notFound(ctx, `There is no run ${id}.`);
      if (action === "cancel") {
        const canceled = await engine.runs.cancel(id);
        return redirect(`${base}/runs/${id}?notice=${canceled ? "canceled" : "not-canceled"}`);
      }
      if (action === "replay") {
        const handle = await engine.runs.replay(id);
        return redirect(`${base}/runs/${handle.id}?notice=replayed`);
      }
    }
    if (first === "tasks" && id !== undefined && action === "trigger" && parts.length === 3) {
      const task = engine.tasks.get(id);
      if (task === undefined) return notFound(ctx, `There is no task ${id}.`);
      const payloadText = form.get("payload") ?? "";
      const tagsText = form.get("tags") ?? "";
      const outcome = await triggerFromDashboard(engine, task, { payload: { text: payloadText }, tags: parseTags(tagsText) });
      if (outcome.ok) return redirect(`${base}/runs/${outcome.handle.id}?notice=triggered`);
      return taskPage(engine, ctx, task, { payloadText, tagsText, errors: outcome.errors });
    }
    return notFound(ctx, "No such action.");
  }

  async function handle(req: Request): Promise<Response> {
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
    const auth = security.authenticate(req);

    if (parts.length === 1 && parts[0] === "login" && opts.token !== null) {
      if (method === "GET") return htmlResponse(loginPage(base, opts.title, false));
      if (method !== "POST") return jsonError(405, "method not allowed");
      const origin = req.headers.get("origin");
      if (origin !== null && origin !== url.origin) return jsonError(403, "cross-origin login refused");
      const body = await readBody(req);
      const cookie = security.login(req, body.form?.get("token") ?? "");
      if (cookie === null) return htmlResponse(loginPage(base, opts.title, true), 401);
      return redirect(`${base}/`, { "Set-Cookie": cookie });
    }
    if (!auth.ok) {
      if (isApi) return jsonError(401, "authentication required", { "WWW-Authenticate": 'Bearer realm="errand"' });
      return htmlResponse(loginPage(base, opts.title, false), 401, { "WWW-Authenticate": 'Bearer realm="errand"' });
    }
    const cookie: Record<string, string> = auth.setCookie === null ? {} : { "Set-Cookie": auth.setCookie };

    if (method === "GET" || method === "HEAD") {
      if (parts.length === 2 && parts[0] === "assets" && parts[1] === "app.js") {
        return new Response(CLIENT_JS, { headers: securityHeaders({ "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache", ...cookie }) });
      }
      if (isApi) return apiGet(engine, req, parts.slice(1), url);
      const ctx = pageContext(url, auth);
      return renderPage(req, ctx, await getPage(ctx, parts), cookie);
    }
    if (method !== "POST") return jsonError(405, "method not allowed", { Allow: "GET, HEAD, POST" });

    const body = await readBody(req);
    const sent = req.headers.get("x-csrf-token") ?? body.form?.get("_csrf") ?? null;
    const refused = security.checkCsrf(req, auth, sent);
    if (refused !== null) {
      return isApi ? jsonError(403, `CSRF check failed: ${refused}`) : htmlResponse(html`<!doctype html><title>Refused</title><p>Request refused (CSRF check failed: ${refused}). Go back, reload the page and try again.</p>`, 403);
    }
    if (body.error !== null) return jsonError(400, body.error);
    if (parts.length === 1 && parts[0] === "logout") return redirect(`${base}/login`, { "Set-Cookie": security.logout(auth.sid) });
    if (isApi) {
      if (body.json === null && body.form !== null && [...body.form.keys()].some((k) => k !== "_csrf")) {
        return jsonError(415, "API requests take a JSON body (Content-Type: application/json)");
      }
      return apiPost(engine, parts.slice(1), body.json ?? {});
    }
    const ctx = pageContext(url, auth);
    const result = await postAction(ctx, parts, body.form ?? new URLSearchParams());
    return result instanceof Response ? result : renderPage(req, ctx, result, cookie);
  }

  return {
    basePath: base,
    async fetch(req: Request): Promise<Response> {
      try {
        return await handle(req);
      } catch (error) {
        console.error("errand dashboard: request failed", error);
        const message = error instanceof Error ? error.message : String(error);
        const body: SafeHtml = html`<!doctype html><title>Error</title><h1>Something went wrong</h1><pre>${message}</pre>`;
        return new URL(req.url).pathname.startsWith(`${base}/api/`) ? jsonError(500, message) : htmlResponse(body, 500);
      }
    },
  };
}
