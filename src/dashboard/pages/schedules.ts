/** Schedules: declared (from defineTask) and dynamic ones, with next and last fire times. */
import type { Engine } from "../../engine/types.ts";
import { html, prettyJson } from "../html.ts";
import type { Page, PageContext } from "../layout.ts";
import { fmtTime } from "../format.ts";

export async function schedulesPage(engine: Engine, ctx: PageContext): Promise<Page> {
  const list = await engine.schedules.list();
  const body = list.length === 0
    ? html`<div class="empty">No schedules. Give a task a <code>schedule</code> or call <code>engine.schedules.create()</code>.</div>`
    : html`<table><thead><tr><th>Schedule</th><th>Task</th><th>Cron</th><th>Source</th><th>Next fire (UTC)</th><th>Last fire (UTC)</th><th>Payload</th></tr></thead><tbody>
${list.map((s) => html`<tr><td class="mono small">${s.id}</td><td><a class="mono" href="${ctx.base}/tasks/${encodeURIComponent(s.taskId)}">${s.taskId}</a></td>
<td class="mono">${s.cron}${s.timezone ? html` <span class="muted">${s.timezone}</span>` : ""}</td><td>${s.source}</td>
<td>${fmtTime(s.nextFireAt)}</td><td>${fmtTime(s.lastFireAt)}</td>
<td>${s.payload === null || s.payload === undefined ? "" : html`<code>${prettyJson(s.payload)}</code>`}</td></tr>`)}</tbody></table>`;
  return { title: "Schedules", nav: "schedules", head: html`<h1>Schedules</h1>`, live: html`<div class="card">${body}</div>` };
}
