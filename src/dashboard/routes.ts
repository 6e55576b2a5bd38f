/** The HTML routes: which page a GET shows, what a form POST does. */
import type { Engine } from "../engine/types.ts";
import { html } from "./html.ts";
import type { Page, PageContext } from "./layout.ts";
import { redirect } from "./respond.ts";
import { RUN_ID } from "./api.ts";
import { overviewPage } from "./pages/overview.ts";
import { runsPage } from "./pages/runs.ts";
import { runDetailPage } from "./pages/run-detail.ts";
import { taskPage, tasksPage } from "./pages/tasks.ts";
import { schedulesPage } from "./pages/schedules.ts";
import { parseTags, triggerFromDashboard } from "./trigger.ts";

export function notFound(ctx: PageContext, what: string): Page {
  return { title: "Not found", nav: "none", status: 404, live: html`<div class="card empty"><h1>Not found</h1><p>${what}</p><a href="${ctx.base}/runs">Back to runs</a></div>` };
}

export async function getPage(engine: Engine, ctx: PageContext, parts: readonly string[]): Promise<Page> {
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

/** A form action: a redirect, or a page to show (a 404, or the trigger form with its errors). */
export async function postAction(engine: Engine, ctx: PageContext, parts: readonly string[], form: URLSearchParams): Promise<Response | Page> {
  const base = ctx.base;
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
