/** The step timeline of a run as an inline SVG waterfall (one row per step, indented by nesting). */
import { html, type SafeHtml } from "./html.ts";
import type { RunView, StepView } from "../engine/types.ts";
import { fmtDuration } from "./format.ts";

const W = 1000;
const LABEL = 260;
const ROW = 24;
const AXIS = 20;

function depth(key: string): number {
  return key.split("/").length - 1;
}

export function stepWaterfall(run: RunView, steps: readonly StepView[], now: number): SafeHtml {
  if (steps.length === 0) return html`<div class="empty">No steps recorded.</div>`;
  const start = Math.min(run.startedAt?.getTime() ?? Infinity, ...steps.map((s) => s.startedAt.getTime()));
  const ends = steps.map((s) => s.finishedAt?.getTime() ?? now);
  const end = Math.max(run.finishedAt?.getTime() ?? 0, ...ends, start + 1);
  const span = end - start;
  const plotW = W - LABEL - 70;
  const x = (t: number) => LABEL + (plotW * (t - start)) / span;
  const height = AXIS + steps.length * ROW + 4;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const tx = LABEL + plotW * f;
    return html`<line class="grid" x1="${tx.toFixed(1)}" x2="${tx.toFixed(1)}" y1="${AXIS - 4}" y2="${height}"/><text x="${tx.toFixed(1)}" y="12" text-anchor="middle">+${fmtDuration(span * f)}</text>`;
  });
  const rows = steps.map((s, i) => {
    const y = AXIS + i * ROW;
    const s0 = s.startedAt.getTime();
    const s1 = s.finishedAt?.getTime() ?? now;
    const bx = x(s0);
    const bw = Math.max(2, x(s1) - bx);
    const cls = s.status === "failed" ? "bar-failed" : s.status === "waiting" ? "bar-waiting" : `bar-${s.kind}`;
    const indent = 4 + depth(s.key) * 14;
    const label = s.key.length > 34 ? s.key.slice(0, 33) + "…" : s.key;
    const took = s.finishedAt === null ? `${s.status}…` : fmtDuration(s1 - s0);
    return html`<g><title>${s.key} (${s.kind}) — ${s.status}, ${took}, ${s.attempts} attempt${s.attempts === 1 ? "" : "s"}</title>
<text x="${indent}" y="${y + 15}" class="step-label">${label}</text>
<rect class="${cls}" x="${bx.toFixed(1)}" y="${y + 5}" width="${bw.toFixed(1)}" height="${ROW - 10}" rx="3"/>
<text x="${(bx + bw + 6).toFixed(1)}" y="${y + 15}">${took}</text></g>`;
  });
  return html`<svg class="chart waterfall" viewBox="0 0 ${W} ${height}" width="100%" role="img" aria-label="Step timeline">${ticks}${rows}</svg>
<div class="legend"><span><i class="k-step"></i>step</span><span><i class="k-task"></i>task</span><span><i class="k-child"></i>child run</span><span><i class="k-sleep"></i>sleep</span><span><i class="k-event"></i>event</span><span><i class="k-token"></i>token</span><span><i class="bad"></i>failed</span><span><i class="k-waiting"></i>waiting</span></div>`;
}
