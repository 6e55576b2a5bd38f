/** Tasks list (id, title, description, schedule, run counts) and a task's page with its trigger form. */
import { taskEvents } from "../../engine/define-task.ts";
import type { AnyTask, Engine } from "../../engine/types.ts";
import type { RunStatus } from "../../store/types.ts";
import { html, type SafeHtml } from "../html.ts";
import { csrfField, type Page, type PageContext } from "../layout.ts";
import { runsTable } from "./runs.ts";

/** Counts are capped: listing is keyset-paged, so counting beyond this would scan. */
const COUNT_CAP = 100;
const GROUPS: readonly { readonly label: string; readonly statuses: readonly RunStatus[] }[] = [
  { label: "pending", statuses: ["queued", "delayed"] },
  { label: "active", statuses: ["running", "waiting"] },
  { label: "completed", statuses: ["completed"] },
  { label: "failed", statuses: ["failed"] },
];

export async function taskCounts(engine: Engine, taskId: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  await Promise.all(GROUPS.map(async (g) => {
    const page = await engine.runs.list({ taskId, status: g.statuses, limit: COUNT_CAP + 1 });
    out[g.label] = page.runs.length > COUNT_CAP ? `${COUNT_CAP}+` : String(page.runs.length);
  }));
  return out;
}

function scheduleText(task: AnyTask): string {
  const s = task.options.schedule;
  if (s === undefined) return "";
  return typeof s === "string" ? s : `${s.cron}${s.timezone ? ` (${s.timezone})` : ""}`;
}

export async function tasksPage(engine: Engine, ctx: PageContext): Promise<Page> {
  const tasks = [...engine.tasks.values()].sort((a, b) => a.id.localeCompare(b.id));
  const counts = await Promise.all(tasks.map((t) => taskCounts(engine, t.id)));
  const cell = (taskId: string, group: string, value: string | undefined) => {
    const status = GROUPS.find((g) => g.label === group)!.statuses.join(",");
    return html`<td class="num"><a href="${ctx.base}/runs?task=${encodeURIComponent(taskId)}&amp;status=${status}">${value ?? "0"}</a></td>`;
  };
  const body = tasks.length === 0
    ? html`<div class="empty">No tasks are registered with this engine.</div>`
    : html`<table><thead><tr><th>Task</th><th>Description</th><th>Queue</th><th>Schedule</th><th>Events</th>${GROUPS.map((g) => html`<th class="right">${g.label}</th>`)}</tr></thead><tbody>
${tasks.map((t, i) => html`<tr><td><a class="mono" href="${ctx.base}/tasks/${encodeURIComponent(t.id)}">${t.id}</a>${t.options.title ? html`<div>${t.options.title}</div>` : ""}</td>
<td class="muted">${t.options.description ?? ""}</td><td class="mono">${t.options.queue?.name ?? t.id}</td><td class="mono">${scheduleText(t)}</td><td class="mono">${taskEvents(t).join(", ")}</td>
${GROUPS.map((g) => cell(t.id, g.label, counts[i]![g.label]))}</tr>`)}</tbody></table>`;
  return { title: "Tasks", nav: "tasks", head: html`<h1>Tasks</h1>`, live: html`<div class="card">${body}<p class="muted small">Pending = queued or delayed, active = running or waiting. Counts stop at ${COUNT_CAP}+ to keep this page cheap with millions of runs.</p></div>` };
}

export interface TriggerFormState {
  readonly payloadText: string;
  readonly tagsText: string;
  readonly errors: readonly string[];
}

function triggerForm(ctx: PageContext, task: AnyTask, state: TriggerFormState): SafeHtml {
  return html`<div class="card"><h2>Trigger a run</h2>
${state.errors.length > 0 ? html`<div class="flash bad" role="alert"><strong>Not triggered:</strong><ul class="trigger-errors">${state.errors.map((e) => html`<li>${e}</li>`)}</ul></div>` : ""}
<form method="post" action="${ctx.base}/tasks/${encodeURIComponent(task.id)}/trigger">${csrfField(ctx)}
<label>Payload (JSON)${task.options.schema ? " — checked with the task's schema" : ""}<textarea name="payload" spellcheck="false">${state.payloadText}</textarea></label>
<div class="filters"><label>Tags (comma-separated)<input name="tags" value="${state.tagsText}" size="30"></label>
<button class="primary" type="submit">Trigger</button></div></form></div>`;
}

export async function taskPage(engine: Engine, ctx: PageContext, task: AnyTask, state: TriggerFormState | null): Promise<Page> {
  const recent = await engine.runs.list({ taskId: task.id, limit: 20 });
  const o = task.options;
  const head = html`<h1><span class="mono">${task.id}</span>${o.title ? html` — ${o.title}` : ""}</h1>
<div class="grid g2"><div class="card"><h2>About</h2><dl class="kv">
${o.description ? html`<dt>Description</dt><dd>${o.description}</dd>` : ""}
<dt>Queue</dt><dd class="mono">${o.queue?.name ?? task.id}${o.queue?.concurrencyLimit ? ` (limit ${o.queue.concurrencyLimit})` : ""}</dd>
<dt>Retries</dt><dd>${o.retry?.maxAttempts ?? 3} attempts</dd>
${o.timeoutMs !== undefined ? html`<dt>Timeout</dt><dd>${o.timeoutMs} ms</dd>` : ""}
${scheduleText(task) !== "" ? html`<dt>Schedule</dt><dd class="mono">${scheduleText(task)}</dd>` : ""}
${taskEvents(task).length > 0 ? html`<dt>Started by events</dt><dd class="mono">${taskEvents(task).join(", ")}</dd>` : ""}
<dt>Schema</dt><dd>${o.schema ? o.schema["~standard"].vendor : "none"}</dd></dl></div>
${triggerForm(ctx, task, state ?? { payloadText: "{}", tagsText: "", errors: [] })}</div>`;
  return {
    title: task.id, nav: "tasks", head, status: state !== null && state.errors.length > 0 ? 422 : 200,
    live: html`<div class="card"><h2>Recent runs</h2>${runsTable(ctx, recent.runs, "No runs yet.")}<div class="pager"><span></span><a class="btn" href="${ctx.base}/runs?task=${encodeURIComponent(task.id)}">All runs of this task »</a></div></div>`,
  };
}
