/** Overview: counts per status, queue depths, throughput and duration charts of the last hour. */
import type { Engine } from "../../engine/types.ts";
import { RUN_STATUSES } from "../../store/types.ts";
import { html } from "../html.ts";
import type { Page, PageContext } from "../layout.ts";
import { durationChart, fillBuckets, throughputChart } from "../charts.ts";
import { fmtCount, fmtDuration } from "../format.ts";

const BUCKET_MS = 60_000;
const BUCKETS = 60;

export async function overviewPage(engine: Engine, ctx: PageContext): Promise<Page> {
  const since = Math.floor(ctx.now / BUCKET_MS) * BUCKET_MS - (BUCKETS - 1) * BUCKET_MS;
  const [stats, metrics] = await Promise.all([
    engine.runs.stats(),
    engine.runs.metrics({ since: new Date(since), bucketMs: BUCKET_MS }),
  ]);
  const slots = fillBuckets(metrics.map((b) => ({ ...b, at: b.at.getTime() })), since, BUCKET_MS, BUCKETS);
  const done = slots.reduce((n, b) => n + b.completed, 0);
  const failed = slots.reduce((n, b) => n + b.failed, 0);
  const weighted = slots.reduce((acc, b) => (b.avgDurationMs === null ? acc : { sum: acc.sum + b.avgDurationMs * (b.completed + b.failed), n: acc.n + b.completed + b.failed }), { sum: 0, n: 0 });
  const cards = RUN_STATUSES.map((s) => html`<a class="stat" href="${ctx.base}/runs?status=${s}"><div class="n">${fmtCount(stats.byStatus[s] ?? 0)}</div><div class="l"><span class="badge s-${s}">${s}</span></div></a>`);
  const queues = stats.queues.length === 0
    ? html`<div class="empty">No queued or running work.</div>`
    : html`<table><thead><tr><th>Queue</th><th class="right">Pending</th><th class="right">Running</th></tr></thead><tbody>${stats.queues.map((q) => html`<tr><td class="mono">${q.queue}</td><td class="num">${fmtCount(q.pending)}</td><td class="num">${fmtCount(q.running)}</td></tr>`)}</tbody></table>`;
  const live = html`<div class="grid g4">${cards}</div>
<div class="grid g2">
<div class="card"><h2>Throughput · last hour</h2>${throughputChart(slots)}
<div class="legend"><span><i class="ok"></i>completed ${fmtCount(done)}</span><span><i class="bad"></i>failed ${fmtCount(failed)}</span></div></div>
<div class="card"><h2>Durations · last hour</h2>${durationChart(slots)}
<div class="legend"><span><i class="avg"></i>mean per minute</span><span><i class="bad"></i>max per minute</span><span>overall mean ${fmtDuration(weighted.n === 0 ? null : weighted.sum / weighted.n)}</span></div></div>
</div>
<div class="card"><h2>Queues</h2>${queues}</div>`;
  // Counting every run is the dearest query of the dashboard: refresh the overview less often.
  return { title: "Overview", nav: "overview", head: html`<h1>Overview</h1>`, live, liveMs: 5000 };
}
