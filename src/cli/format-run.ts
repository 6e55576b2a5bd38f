/** Human text for runs, steps and logs (`errand runs`, `errand runs show`, `errand run`). */
import type { LogView, RunView, StepView, TokenView } from "../engine/types.ts";
import { attemptText, heldBackText } from "../engine/views.ts";
import type { SerializedError } from "../store/types.ts";
import { formatDuration } from "./duration.ts";
import { statusText, table, timeText, type Out } from "./output.ts";

export function runsTable(runs: readonly RunView[], out: Out): string {
  const rows = runs.map((r) => [
    r.id,
    r.taskId,
    statusText(r.status, out) + heldBackNote(r, out),
    attemptText(r),
    timeText(r.createdAt),
    r.startedAt !== null && r.finishedAt !== null ? formatDuration(r.finishedAt.getTime() - r.startedAt.getTime()) : "-",
  ]);
  return table(["ID", "TASK", "STATUS", "ATTEMPT", "CREATED", "DURATION"], rows, out);
}

/** " (waiting for a worker that knows task …)" or " (rate limited until …)" after a pending run's status. */
function heldBackNote(r: RunView, out: Out): string {
  if (r.waitingForWorker) return out.color.yellow(" (waiting for a worker that knows the task)");
  if (r.rateLimitedUntil !== null) return out.color.yellow(` (rate limited until ${timeText(r.rateLimitedUntil)})`);
  return "";
}

export function logLine(l: LogView, out: Out): string {
  const c = out.color;
  const level = { debug: c.gray, info: c.blue, warn: c.yellow, error: c.red }[l.level](l.level.toUpperCase().padEnd(5));
  const data = l.data === null || l.data === undefined ? "" : " " + c.dim(JSON.stringify(l.data));
  return `${c.dim(timeText(l.at))} ${level} ${l.message}${data}`;
}

export function errorText(e: SerializedError): string {
  return `${e.name}: ${e.message}${e.stepKey !== undefined ? ` (in step "${e.stepKey}")` : ""}`;
}

const BAR_WIDTH = 30;

/** Steps as a timeline: offset from the run start, duration, and a bar placed on the run's span. */
export function stepsTimeline(run: RunView, steps: readonly StepView[], out: Out): string {
  if (steps.length === 0) return out.color.dim("  (no steps)");
  const start = (run.startedAt ?? run.createdAt).getTime();
  const ends = steps.map((s) => (s.finishedAt ?? s.startedAt).getTime());
  const end = Math.max(run.finishedAt?.getTime() ?? 0, ...ends, start + 1);
  const span = end - start;
  const rows = steps.map((s) => {
    const from = s.startedAt.getTime() - start;
    const to = (s.finishedAt ?? new Date(end)).getTime() - start;
    const a = Math.min(BAR_WIDTH - 1, Math.max(0, Math.floor((from / span) * BAR_WIDTH)));
    const b = Math.max(a + 1, Math.min(BAR_WIDTH, Math.ceil((to / span) * BAR_WIDTH)));
    const paint = s.status === "completed" ? out.color.green : s.status === "failed" ? out.color.red : out.color.yellow;
    const bar = " ".repeat(a) + paint("█".repeat(b - a)) + " ".repeat(BAR_WIDTH - b);
    const depth = s.key.split("/").length - 1;
    return [
      "  ".repeat(depth) + s.key,
      s.kind,
      paint(s.status),
      `+${formatDuration(Math.max(0, from))}`,
      s.finishedAt === null ? "…" : formatDuration(s.finishedAt.getTime() - s.startedAt.getTime()),
      `|${bar}|`,
    ];
  });
  return table(["STEP", "KIND", "STATUS", "AT", "TOOK", "TIMELINE"], rows, out)
    .split("\n")
    .map((l) => "  " + l)
    .join("\n");
}

/** A run's waitpoint tokens: key, status, timeout, and the id to complete a waiting one with. */
export function tokensText(tokens: readonly TokenView[], out: Out): string {
  const rows = tokens.map((t) => [t.key, t.status, t.timeoutAt === null ? "never" : timeText(t.timeoutAt), t.status === "waiting" ? t.id : "-"]);
  return table(["TOKEN", "STATUS", "TIMES OUT", "COMPLETE WITH: errand tokens complete <id>"], rows, out)
    .split("\n")
    .map((l) => "  " + l)
    .join("\n");
}

/** `runs show`: why a pending run waits and, when a rate limit holds it, when it may start next. */
function heldBackLines(run: RunView, out: Out): string[] {
  const why = heldBackText(run);
  if (why === null) return [];
  const when = run.rateLimitedUntil === null ? "" : `; may start at ${timeText(run.rateLimitedUntil)}`;
  const hint = run.waitingForWorker ? " (no worker of this app registers it; a worker of an app that does will run it)" : "";
  return [`${out.color.bold("waiting")}   ${out.color.yellow(why + when + hint)}`];
}

export function runDetail(run: RunView, steps: readonly StepView[], logs: readonly LogView[], out: Out, tokens: readonly TokenView[] = []): string {
  const c = out.color;
  const lines = [
    `${c.bold("run")}       ${run.id}`,
    `${c.bold("task")}      ${run.taskId}  (queue ${run.queue}${run.concurrencyKey !== null ? `, key ${run.concurrencyKey}` : ""})`,
    `${c.bold("status")}    ${statusText(run.status, out)}${run.progress !== null ? `  ${Math.round(run.progress * 100)}%${run.progressMessage !== null ? ` ${run.progressMessage}` : ""}` : ""}`,
    `${c.bold("attempt")}   ${attemptText(run)}`,
    ...heldBackLines(run, out),
    `${c.bold("created")}   ${timeText(run.createdAt)}   started ${timeText(run.startedAt)}   finished ${timeText(run.finishedAt)}`,
  ];
  if (run.idempotencyKey !== null) lines.push(`${c.bold("key")}       ${run.idempotencyKey}`);
  if (run.tags.length > 0) lines.push(`${c.bold("tags")}      ${run.tags.join(", ")}`);
  if (run.parentRunId !== null) lines.push(`${c.bold("parent")}    ${run.parentRunId}`);
  if (run.scheduleId !== null) lines.push(`${c.bold("schedule")}  ${run.scheduleId}`);
  if (run.event !== null) lines.push(`${c.bold("event")}     ${run.event.name} (${run.event.id})`);
  lines.push(`${c.bold("payload")}   ${JSON.stringify(run.payload)}`);
  if (run.status === "completed") lines.push(`${c.bold("output")}    ${JSON.stringify(run.output)}`);
  if (run.error !== null) lines.push(`${c.bold("error")}     ${c.red(errorText(run.error))}`);
  lines.push("", c.bold("steps"), stepsTimeline(run, steps, out));
  if (tokens.length > 0) lines.push("", c.bold("waitpoint tokens"), tokensText(tokens, out));
  lines.push("", c.bold("logs"), logs.length === 0 ? c.dim("  (no logs)") : logs.map((l) => "  " + logLine(l, out)).join("\n"));
  return lines.join("\n");
}
