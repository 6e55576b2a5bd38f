/** Run detail: payload, output, error with stack, attempts, step waterfall, logs, progress, parent and children. */
import type { Engine, LogView, RunView, StepView, TokenView } from "../../engine/types.ts";
import { failedWithoutRetry } from "../../engine/views.ts";
import { FINISHED_STATUSES, type SerializedError } from "../../store/types.ts";
import { html, prettyJson, type SafeHtml } from "../html.ts";
import { csrfField, type Page, type PageContext } from "../layout.ts";
import { fmtDuration, fmtTime, runDuration, shortId, statusBadge, tags } from "../format.ts";
import { progressBar } from "../charts.ts";
import { stepWaterfall } from "../waterfall.ts";
import { runsTable } from "./runs.ts";
import { tokensCard } from "./tokens.ts";

export function errorBlock(error: SerializedError): SafeHtml {
  const head = `${error.name}: ${error.message}`;
  // A stack usually starts with "Name: message"; show that line once, in bold.
  const stack = error.stack?.startsWith(head) ? error.stack.slice(head.length).replace(/^\n/, "") : error.stack;
  const cause = error.cause === undefined ? "" : html`<h3 class="small muted">Cause</h3><pre class="err">${prettyJson(error.cause)}</pre>`;
  return html`<pre class="err"><strong>${head}</strong>${error.stepKey ? html`\n(in step ${error.stepKey})` : ""}${stack ? html`\n${stack}` : ""}</pre>${cause}`;
}

function stepsTable(ctx: PageContext, steps: readonly StepView[]): SafeHtml {
  if (steps.length === 0) return html``;
  return html`<table class="steps"><thead><tr><th>Step</th><th>Kind</th><th>Status</th><th class="right">Attempts</th><th>Started (UTC)</th><th class="right">Took</th><th>Result</th></tr></thead><tbody>
${steps.map((s) => html`<tr data-step="${s.key}"><td class="mono">${s.key}</td><td>${s.kind}</td><td>${statusBadge(s.status)}</td><td class="num">${s.attempts}</td><td>${fmtTime(s.startedAt)}</td>
<td class="num">${s.finishedAt === null ? "—" : fmtDuration(s.finishedAt.getTime() - s.startedAt.getTime())}</td>
<td>${s.childRunId !== null ? html`<a href="${ctx.base}/runs/${s.childRunId}">child ${shortId(s.childRunId)}</a> ` : ""}${s.error !== null ? html`<span class="mono small">${s.error.name}: ${s.error.message}</span>` : s.status === "completed" ? html`<details><summary class="small">output</summary><pre>${prettyJson(s.output)}</pre></details>` : ""}</td></tr>`)}
</tbody></table>`;
}

function logList(logs: readonly LogView[]): SafeHtml {
  if (logs.length === 0) return html`<div class="empty">No logs.</div>`;
  let lastAttempt = -1;
  return html`<div class="log">${logs.map((l) => {
    const sep = l.attempt !== lastAttempt ? html`<div class="muted small">attempt ${l.attempt}</div><div></div><div></div>` : "";
    lastAttempt = l.attempt;
    const t = l.at.toISOString().slice(11, 23);
    return html`${sep}<span class="muted mono">${t}</span><span class="lv-${l.level}">${l.level}</span><span>${l.message}</span>${l.data !== null && l.data !== undefined ? html`<span></span><span></span><span class="data mono">${prettyJson(l.data)}</span>` : ""}`;
  })}</div>`;
}

export async function runDetailPage(engine: Engine, ctx: PageContext, id: string): Promise<Page | null> {
  const run = await engine.runs.get(id);
  if (run === null) return null;
  const [steps, logs, children, tokens] = await Promise.all([
    engine.runs.steps(id),
    engine.runs.logs(id),
    engine.runs.list({ parentRunId: id, limit: 50 }),
    engine.tokens.list({ runId: id }),
  ]);
  return { title: `Run ${id}`, nav: "runs", live: renderRun(ctx, run, steps, logs, children.runs, children.nextCursor !== null, tokens) };
}

function renderRun(
  ctx: PageContext,
  run: RunView,
  steps: readonly StepView[],
  logs: readonly LogView[],
  children: readonly RunView[],
  moreChildren: boolean,
  tokens: readonly TokenView[],
): SafeHtml {
  const finished = FINISHED_STATUSES.includes(run.status);
  const actions = html`<div class="actions">
${finished ? "" : html`<form method="post" action="${ctx.base}/runs/${run.id}/cancel" data-confirm="Cancel this run?">${csrfField(ctx)}<button class="danger" type="submit">Cancel run</button></form>`}
<form method="post" action="${ctx.base}/runs/${run.id}/replay">${csrfField(ctx)}<button class="primary" type="submit">Replay</button></form></div>`;
  const opt = (label: string, value: SafeHtml | string | null) => (value === null || value === "" ? "" : html`<dt>${label}</dt><dd>${value}</dd>`);
  const info = html`<dl class="kv">
<dt>Task</dt><dd><a class="mono" href="${ctx.base}/tasks/${encodeURIComponent(run.taskId)}">${run.taskId}</a></dd>
<dt>Status</dt><dd>${statusBadge(run.status)}</dd>
<dt>Attempt</dt><dd>${failedWithoutRetry(run) ? `${run.attempt} (not retried)` : `${run.attempt} of ${run.maxAttempts}`}</dd>
<dt>Queue</dt><dd class="mono">${run.queue}</dd>
${opt("Concurrency key", run.concurrencyKey)}
<dt>Priority</dt><dd>${run.priority}</dd>
<dt>Created</dt><dd>${fmtTime(run.createdAt)}</dd>
${run.status === "delayed" || run.status === "queued" ? html`<dt>Runs at</dt><dd>${fmtTime(run.runAt)}</dd>` : ""}
${run.waitingForWorker ? html`<dt>Waiting</dt><dd class="held" data-held="worker">for a worker that knows task <span class="mono">${run.taskId}</span> <span class="muted small">(no worker of this app registers it)</span></dd>` : ""}
${run.rateLimitedUntil !== null ? html`<dt>Rate limited</dt><dd class="held" data-held="rate">by queue <span class="mono">${run.queue}</span>; may start at ${fmtTime(run.rateLimitedUntil)}</dd>` : ""}
<dt>Started</dt><dd>${fmtTime(run.startedAt)}</dd>
<dt>Finished</dt><dd>${fmtTime(run.finishedAt)}</dd>
<dt>Duration</dt><dd>${fmtDuration(runDuration(run, ctx.now))}</dd>
${opt("Expires", run.expiresAt === null ? null : fmtTime(run.expiresAt))}
${opt("Idempotency key", run.idempotencyKey)}
${run.tags.length > 0 ? html`<dt>Tags</dt><dd>${tags(run.tags)}</dd>` : ""}
${opt("Worker", run.workerId)}
${opt("Schedule", run.scheduleId)}
${run.event !== null ? html`<dt>Started by event</dt><dd><span class="mono">${run.event.name}</span> <span class="muted small mono">${run.event.id}</span></dd>` : ""}
${run.parentRunId !== null ? html`<dt>Parent</dt><dd><a href="${ctx.base}/runs/${run.parentRunId}">${shortId(run.parentRunId)}</a></dd>` : ""}
${run.progress !== null ? html`<dt>Progress</dt><dd>${progressBar(run.progress)} ${Math.round(run.progress * 100)}%${run.progressMessage ? html` — ${run.progressMessage}` : ""}</dd>` : ""}
</dl>`;
  return html`<div class="pager"><h1>Run <span class="mono">${run.id}</span> ${statusBadge(run.status)}</h1>${actions}</div>
<div class="grid g2"><div class="card"><h2>Details</h2>${info}</div>
<div class="card"><h2>Payload</h2><pre class="payload">${prettyJson(run.payload)}</pre>
${run.status === "completed" ? html`<h2>Output</h2><pre class="output">${prettyJson(run.output)}</pre>` : ""}
${run.error !== null ? html`<h2>${run.status === "failed" || run.status === "expired" ? "Error" : run.status === "canceled" ? "Canceled" : "Error of an earlier attempt"}</h2><div class="error">${errorBlock(run.error)}</div>` : ""}</div></div>
${tokensCard(ctx, run, tokens)}
<div class="card"><h2>Steps</h2>${stepWaterfall(run, steps, ctx.now)}${stepsTable(ctx, steps)}</div>
<div class="card"><h2>Logs</h2>${logList(logs)}</div>
${children.length > 0 ? html`<div class="card"><h2>Child runs${moreChildren ? " (first 50)" : ""}</h2>${runsTable(ctx, children, "")}</div>` : ""}`;
}
