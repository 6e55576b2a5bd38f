/** The page shell: header, navigation, flash message and the live region the client script refreshes. */
import { html, raw, type SafeHtml } from "./html.ts";
import { CSS } from "./styles.ts";

/** What every page renderer gets about the request. */
export interface PageContext {
  /** Mount path, "" or "/x". */
  readonly base: string;
  /** CSRF token of the session, put into every form. */
  readonly csrf: string;
  readonly title: string;
  /** Whether a logout button is shown (cookie session with auth). */
  readonly canLogout: boolean;
  readonly liveIntervalMs: number;
  readonly url: URL;
  readonly now: number;
}

/** A rendered page: static part, and the part the browser refreshes live. */
export interface Page {
  readonly title: string;
  readonly nav: "overview" | "runs" | "tasks" | "schedules" | "none";
  readonly head?: SafeHtml;
  readonly live: SafeHtml;
  readonly status?: number;
  /** Poll interval of this page's live region when it should differ from the dashboard's (expensive pages). */
  readonly liveMs?: number;
}

export function csrfField(ctx: PageContext): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`;
}

const NOTICES: Readonly<Record<string, { readonly kind: "ok" | "bad"; readonly text: string }>> = {
  replayed: { kind: "ok", text: "Replayed: this is the new run." },
  canceled: { kind: "ok", text: "Run canceled." },
  "not-canceled": { kind: "bad", text: "The run had already finished; nothing was canceled." },
  triggered: { kind: "ok", text: "Run triggered." },
};

/** `etag` null = a page answering a POST: not refreshed live (its URL is not a page to poll). */
export function layout(ctx: PageContext, page: Page, etag: string | null): SafeHtml {
  const link = (key: Page["nav"], path: string, label: string) =>
    html`<a href="${ctx.base}${path}" class="${page.nav === key ? "on" : ""}">${label}</a>`;
  const notice = NOTICES[ctx.url.searchParams.get("notice") ?? ""];
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,"><title>${page.title} · ${ctx.title}</title><style>${raw(CSS)}</style>
<script src="${ctx.base}/assets/app.js" defer></script></head>
<body data-live-ms="${ctx.liveIntervalMs}">
<header class="top"><a class="brand" href="${ctx.base}/">${ctx.title}</a>
<nav>${link("overview", "/", "Overview")}${link("runs", "/runs", "Runs")}${link("tasks", "/tasks", "Tasks")}${link("schedules", "/schedules", "Schedules")}</nav>
<span class="live" title="Updates live">live</span>
${ctx.canLogout ? html`<form method="post" action="${ctx.base}/logout">${csrfField(ctx)}<button type="submit">Log out</button></form>` : ""}
</header>
<main>${notice ? html`<div class="flash ${notice.kind}" role="status">${notice.text}</div>` : ""}
${page.head ?? ""}
${etag === null ? html`<div>${page.live}</div>` : html`<div data-live data-etag="${etag}" data-live-ms="${Math.max(ctx.liveIntervalMs, page.liveMs ?? 0)}">${page.live}</div>`}
</main></body></html>`;
}

/** The login form (answered with status 401 to unauthenticated page requests). */
export function loginPage(base: string, title: string, problem: string | null = null): SafeHtml {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,"><title>Log in · ${title}</title><style>${raw(CSS)}</style></head>
<body><main><div class="card login"><h1>${title} dashboard</h1>
${problem !== null ? html`<div class="flash bad" role="alert">${problem}</div>` : ""}
<form method="post" action="${base}/login">
<input type="text" name="username" value="errand" autocomplete="username" hidden>
<label>Access token<input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button class="primary" type="submit">Log in</button></form>
<p class="muted small">Scripts may send <code>Authorization: Bearer &lt;token&gt;</code> instead.</p></div></main></body></html>`;
}
