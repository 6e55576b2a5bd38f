/** Inline SVG charts: throughput (stacked bars), durations (line) and a progress bar. No script needed. */
import { html, type SafeHtml } from "./html.ts";
import type { MetricsBucket } from "../store/types.ts";
import { fmtDuration } from "./format.ts";

const W = 560;
const H = 170;
const PAD = { left: 40, right: 8, top: 10, bottom: 22 };

/**
 * One slot per bucket from `since`, empty buckets filled with zeros. Buckets the store returns that
 * fall into the same slot are merged (counts summed, means weighted, maxima kept), so slots stay right
 * whatever the store's bucket alignment.
 */
export function fillBuckets(buckets: readonly MetricsBucket[], since: number, bucketMs: number, count: number): MetricsBucket[] {
  const out: MetricsBucket[] = [];
  for (let i = 0; i < count; i++) out.push({ at: since + i * bucketMs, completed: 0, failed: 0, avgDurationMs: null, maxDurationMs: null });
  for (const b of buckets) {
    const i = Math.floor((b.at - since) / bucketMs);
    const slot = out[i];
    if (slot === undefined) continue;
    const n0 = slot.completed + slot.failed;
    const n1 = b.completed + b.failed;
    const avg = b.avgDurationMs === null ? slot.avgDurationMs
      : slot.avgDurationMs === null ? b.avgDurationMs
      : (slot.avgDurationMs * n0 + b.avgDurationMs * n1) / Math.max(1, n0 + n1);
    const max = b.maxDurationMs === null ? slot.maxDurationMs : Math.max(slot.maxDurationMs ?? 0, b.maxDurationMs);
    out[i] = { at: slot.at, completed: slot.completed + b.completed, failed: slot.failed + b.failed, avgDurationMs: avg, maxDurationMs: max };
  }
  return out;
}

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (m * p >= value) return m * p;
  return 10 * p;
}

function hhmm(at: number): string {
  const d = new Date(at);
  return `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
}

function frame(max: number, label: (v: number) => string, slots: readonly MetricsBucket[], inner: SafeHtml, title: string): SafeHtml {
  const plotH = H - PAD.top - PAD.bottom;
  const plotW = W - PAD.left - PAD.right;
  const ticks = [0, 0.5, 1].map((f) => {
    const y = PAD.top + plotH * (1 - f);
    return html`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}"/><text x="${PAD.left - 4}" y="${y + 3}" text-anchor="end">${label(max * f)}</text>`;
  });
  const step = Math.max(1, Math.floor(slots.length / 4));
  const xs = slots
    .map((b, i) => ({ b, i }))
    .filter(({ i }) => i % step === 0)
    .map(({ b, i }) => html`<text x="${PAD.left + (plotW * (i + 0.5)) / slots.length}" y="${H - 6}" text-anchor="middle">${hhmm(b.at)}</text>`);
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${title}">${ticks}${xs}${inner}</svg>`;
}

/** Completed (green) and failed (red) runs per bucket, stacked. */
export function throughputChart(slots: readonly MetricsBucket[]): SafeHtml {
  const max = niceMax(Math.max(2, ...slots.map((b) => b.completed + b.failed)));
  const plotH = H - PAD.top - PAD.bottom;
  const plotW = W - PAD.left - PAD.right;
  const bw = plotW / Math.max(1, slots.length);
  const bars = slots.map((b, i) => {
    const x = PAD.left + i * bw + bw * 0.12;
    const okH = (plotH * b.completed) / max;
    const badH = (plotH * b.failed) / max;
    const base = PAD.top + plotH;
    const tip = `${hhmm(b.at)} — ${b.completed} completed, ${b.failed} failed`;
    return html`<g><title>${tip}</title><rect class="ok" x="${x.toFixed(1)}" y="${(base - okH).toFixed(1)}" width="${(bw * 0.76).toFixed(1)}" height="${okH.toFixed(1)}"/><rect class="bad" x="${x.toFixed(1)}" y="${(base - okH - badH).toFixed(1)}" width="${(bw * 0.76).toFixed(1)}" height="${badH.toFixed(1)}"/></g>`;
  });
  return frame(max, (v) => String(Math.round(v)), slots, html`${bars}`, "Runs finished per minute");
}

/** Mean duration per bucket as a line, max as dots. */
export function durationChart(slots: readonly MetricsBucket[]): SafeHtml {
  const max = niceMax(Math.max(0, ...slots.map((b) => b.maxDurationMs ?? b.avgDurationMs ?? 0)));
  const plotH = H - PAD.top - PAD.bottom;
  const plotW = W - PAD.left - PAD.right;
  const x = (i: number) => PAD.left + (plotW * (i + 0.5)) / Math.max(1, slots.length);
  const y = (v: number) => PAD.top + plotH * (1 - v / max);
  const segments: string[][] = [[]];
  slots.forEach((b, i) => {
    if (b.avgDurationMs === null) segments.push([]);
    else segments[segments.length - 1]!.push(`${x(i).toFixed(1)},${y(b.avgDurationMs).toFixed(1)}`);
  });
  const lines = segments.filter((s) => s.length > 0).map((s) =>
    s.length === 1 ? html`<circle class="dot" cx="${s[0]!.split(",")[0]!}" cy="${s[0]!.split(",")[1]!}" r="2.5"/>` : html`<polyline class="line" points="${s.join(" ")}"/>`);
  const maxes = slots.map((b, i) => b.maxDurationMs === null ? "" :
    html`<circle class="bad" cx="${x(i).toFixed(1)}" cy="${y(b.maxDurationMs).toFixed(1)}" r="2"><title>${hhmm(b.at)} — mean ${fmtDuration(b.avgDurationMs)}, max ${fmtDuration(b.maxDurationMs)}</title></circle>`);
  return frame(max, (v) => fmtDuration(v), slots, html`${lines}${maxes}`, "Run durations per minute");
}

/** A horizontal progress bar (0..1). */
export function progressBar(fraction: number, width = 240): SafeHtml {
  const f = Math.min(1, Math.max(0, fraction));
  return html`<svg class="progress" viewBox="0 0 ${width} 10" width="${width}" height="10" role="progressbar" aria-valuenow="${Math.round(f * 100)}" aria-valuemin="0" aria-valuemax="100"><rect class="track" x="0" y="0" width="${width}" height="10" rx="5"/><rect class="fill" x="0" y="0" width="${(width * f).toFixed(1)}" height="10" rx="5"/></svg>`;
}
