/**
 * A run's waitpoint tokens on its detail page: key, status, timeout, the callback URL to hand to
 * whoever completes it, and (while it waits) a form to complete it from the dashboard.
 */
import type { Engine, RunView, TokenView } from "../../engine/types.ts";
import { FINISHED_STATUSES } from "../../store/types.ts";
import { html, prettyJson, type SafeHtml } from "../html.ts";
import { csrfField, type PageContext } from "../layout.ts";
import { fmtTime, statusBadge } from "../format.ts";
import { redirect } from "../respond.ts";

/** Where the token is completed over HTTP: the engine's `dashboardUrl`, else this dashboard's public address. */
export function callbackUrl(ctx: PageContext, t: TokenView): string {
  return t.url ?? `${ctx.origin}${ctx.base}/api/tokens/${t.id}/complete`;
}

export function tokensCard(ctx: PageContext, run: RunView, tokens: readonly TokenView[]): SafeHtml {
  if (tokens.length === 0) return html``;
  const open = !FINISHED_STATUSES.includes(run.status);
  const row = (t: TokenView) => html`<tr data-token="${t.key}"><td class="mono">${t.key}</td><td>${statusBadge(t.status)}</td>
<td>${fmtTime(t.createdAt)}</td><td>${t.timeoutAt === null ? "never" : fmtTime(t.timeoutAt)}</td>
<td>${t.status === "completed" ? html`<details><summary class="small">output</summary><pre>${prettyJson(t.output)}</pre></details>` : ""}
${t.status === "waiting" ? html`<div class="small muted">POST a JSON body to</div><code class="mono small callback">${callbackUrl(ctx, t)}</code>` : ""}
${t.status === "waiting" && open ? completeForm(ctx, run, t) : ""}</td></tr>`;
  return html`<div class="card"><h2>Waitpoint tokens</h2>
<table class="tokens"><thead><tr><th>Token</th><th>Status</th><th>Created (UTC)</th><th>Times out</th><th>Callback</th></tr></thead>
<tbody>${tokens.map(row)}</tbody></table>
<p class="muted small">Whoever has a token's callback URL can complete it (no dashboard token needed): hand it only to the party meant to.</p></div>`;
}

function completeForm(ctx: PageContext, run: RunView, t: TokenView): SafeHtml {
  return html`<form method="post" action="${ctx.base}/runs/${run.id}/tokens/${t.id}/complete" data-confirm="Complete this token? The run resumes with this data.">${csrfField(ctx)}
<label class="small">Data (JSON)<textarea name="data" spellcheck="false" rows="2">{}</textarea></label>
<button class="primary" type="submit">Complete token</button></form>`;
}

/** The complete form's action: completes the run's token with the form's JSON, then back to the run. */
export async function completeFromForm(engine: Engine, ctx: PageContext, runId: string, tokenId: string, form: URLSearchParams): Promise<Response | null> {
  const token = await engine.tokens.get(tokenId);
  if (token === null || token.runId !== runId) return null;
  const back = (notice: string) => redirect(`${ctx.base}/runs/${runId}?notice=${notice}`);
  const text = (form.get("data") ?? "").trim();
  let data: unknown = null;
  if (text !== "") {
    try {
      data = JSON.parse(text);
    } catch {
      return back("token-bad-json");
    }
  }
  const result = await engine.tokens.complete(tokenId, data);
  return back(result.completed ? "token-completed" : `token-${result.reason}`);
}
