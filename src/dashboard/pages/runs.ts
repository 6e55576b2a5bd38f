/** Runs list: filters by status, task and tag, id-prefix search, keyset pagination via cursor. */
import type { Engine, RunView } from "../../engine/types.ts";
import { attemptText } from "../../engine/views.ts";
import { RUN_STATUSES } from "../../store/types.ts";
import { html, type SafeHtml } from "../html.ts";
import type { Page, PageContext } from "../layout.ts";
import { filterQuery, parseRunFilters, toListOptions, type RunFilters } from "../filters.ts";
import { fmtDuration, fmtTime, runDuration, shortId, statusBadge, tags } from "../format.ts";
import { progressBar } from "../charts.ts";

function filterForm(ctx: PageContext, f: RunFilters | null, taskIds: readonly string[]): SafeHtml {
  const option = (value: string, label: string, selected: boolean) =>
    html`<option value="${value}"${selected ? html` selected` : ""}>${label}</option>`;
  const task = f?.task ?? "";
  const knownTask = task === "" || taskIds.includes(task);
  return html`<form class="filters" method="get" action="${ctx.base}/runs" role="search">
<label>Status<select name="status">${option("", "any", !f || f.status.length === 0)}${RUN_STATUSES.map((s) => option(s, s, f?.status.length === 1 && f.status[0] === s))}${f && f.status.length > 1 ? option(f.status.join(","), f.status.join(" or "), true) : ""}</select></label>
<label>Task<select name="task">${option("", "any", task === "")}${taskIds.map((t) => option(t, t, t === task))}${knownTask ? "" : option(task, task, true)}</select></label>
<label>Tag<input name="tag" value="${f?.tag ?? ""}" placeholder="tag" size="12"></label>
<label>Run id<input name="q" value="${f?.q ?? ""}" placeholder="id prefix" size="20" class="mono"></label>
<button type="submit">Apply</button>${f !== null && filterQuery({ ...f, limit: 50 }) !== "" ? html` <a class="btn" href="${ctx.base}/runs">Clear</a>` : ""}
</form>`;
}

function clip(text: string, max = 70): string {
  const line = text.split("\n")[0] ?? "";
  return line.length > max ? line.slice(0, max - 1) + "…" : line;
}

/** Under a pending run's status: waiting for a worker that knows its task, or rate limited until when. */
function heldBack(run: RunView): SafeHtml | string {
  if (run.waitingForWorker) return html`<div class="small muted held" data-held="worker">waiting for a worker that knows the task</div>`;
  if (run.rateLimitedUntil !== null) return html`<div class="small muted held" data-held="rate">rate limited until ${fmtTime(run.rateLimitedUntil)}</div>`;
  return "";
}

export function runRow(ctx: PageContext, run: RunView): SafeHtml {
  return html`<tr data-run-id="${run.id}">
<td><a href="${ctx.base}/runs/${run.id}">${shortId(run.id)}</a></td>
<td><a href="${ctx.base}/tasks/${encodeURIComponent(run.taskId)}" class="mono">${run.taskId}</a></td>
<td>${statusBadge(run.status)}${run.status === "running" && run.progress !== null ? html` ${progressBar(run.progress, 80)}` : ""}${run.status === "failed" && run.error !== null ? html`<div class="small muted clip" title="${run.error.message}">${clip(`${run.error.name}: ${run.error.message}`)}</div>` : ""}${heldBack(run)}</td>
<td>${tags(run.tags)}</td>
<td class="num">${attemptText(run)}</td>
<td>${fmtTime(run.createdAt)}</td>
<td class="num">${fmtDuration(runDuration(run, ctx.now))}</td></tr>`;
}

export function runsTable(ctx: PageContext, runs: readonly RunView[], empty: string): SafeHtml {
  if (runs.length === 0) return html`<div class="empty">${empty}</div>`;
  return html`<table class="runs"><thead><tr><th>Run</th><th>Task</th><th>Status</th><th>Tags</th><th class="right">Attempt</th><th>Created (UTC)</th><th class="right">Duration</th></tr></thead>
<tbody>${runs.map((r) => runRow(ctx, r))}</tbody></table>`;
}

export async function runsPage(engine: Engine, ctx: PageContext): Promise<Page> {
  const taskIds = [...engine.tasks.keys()].sort();
  const parsed = parseRunFilters(ctx.url.searchParams);
  if (!parsed.ok) {
    return {
      title: "Runs", nav: "runs", status: 400,
      head: html`<h1>Runs</h1>${filterForm(ctx, null, taskIds)}`,
      live: html`<div class="flash bad" role="alert">Bad filter: ${parsed.error}</div>`,
    };
  }
  const f = parsed.filters;
  let page: { runs: RunView[]; nextCursor: string | null };
  try {
    page = await engine.runs.list(toListOptions(f));
  } catch (error) {
    if (f.cursor === null) throw error;
    return {
      title: "Runs", nav: "runs", status: 400,
      head: html`<h1>Runs</h1>${filterForm(ctx, f, taskIds)}`,
      live: html`<div class="flash bad" role="alert">This page link is no longer valid. <a href="${ctx.base}/runs${filterQuery(f)}">Back to the first page</a></div>`,
    };
  }
  const pager = html`<div class="pager"><span class="muted small">${page.runs.length} run${page.runs.length === 1 ? "" : "s"} on this page, newest first</span>
<span class="actions">${f.cursor !== null ? html`<a class="btn" href="${ctx.base}/runs${filterQuery(f)}">« Newest</a>` : ""}${page.nextCursor !== null ? html`<a class="btn" rel="next" href="${ctx.base}/runs${filterQuery(f, page.nextCursor)}">Older »</a>` : ""}</span></div>`;
  return {
    title: "Runs",
    nav: "runs",
    head: html`<h1>Runs</h1>${filterForm(ctx, f, taskIds)}`,
    live: html`<div class="card">${runsTable(ctx, page.runs, "No runs match these filters.")}${pager}</div>`,
  };
}
