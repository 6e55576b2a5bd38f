/** Small display helpers shared by the pages; all return escaped markup via `html`. */
import { html, type SafeHtml } from "./html.ts";
import type { RunView } from "../engine/types.ts";

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** `2026-11-23 08:12:03` in UTC; full ISO in the tooltip. */
export function fmtTime(date: Date | null): SafeHtml {
  if (date === null || Number.isNaN(date.getTime())) return html`<span class="muted">—</span>`;
  const d = date;
  const text = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return html`<time datetime="${d.toISOString()}" title="${d.toISOString()}">${text}</time>`;
}

/** `850 ms`, `12.3 s`, `4 m 05 s`, `2 h 03 m`. */
export function fmtDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} m ${pad(Math.floor((ms % 60_000) / 1000))} s`;
  return `${Math.floor(ms / 3_600_000)} h ${pad(Math.floor((ms % 3_600_000) / 60_000))} m`;
}

/** Wall time of a run so far (or in all, when finished). */
export function runDuration(run: RunView, now: number): number | null {
  if (run.startedAt === null) return null;
  return (run.finishedAt?.getTime() ?? now) - run.startedAt.getTime();
}

export function statusBadge(status: string): SafeHtml {
  return html`<span class="badge s-${status}">${status}</span>`;
}

export function tags(list: readonly string[]): SafeHtml {
  return html`${list.map((t) => html`<span class="tag">${t}</span>`)}`;
}

/** First 8 and last 4 characters of an id, full id in the tooltip. */
export function shortId(id: string): SafeHtml {
  const text = id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
  return html`<span class="mono" title="${id}">${text}</span>`;
}

export function fmtCount(n: number): string {
  return n.toLocaleString("en-US");
}
