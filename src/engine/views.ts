/** Store records → the engine's public views (JSON parsed, Dates), and task results. */
import { toRunInfo } from "../durable/run-info.ts";
import type { LogRecord, RunRecord, StepRecord } from "../store/types.ts";
import { fromJson } from "../vocabulary/json.ts";
import { taskResult, type TaskResult } from "../vocabulary/results.ts";
import type { SerializedError } from "../vocabulary/serialize-error.ts";
import type { LogView, RunView, StepView } from "./types.ts";

export { toRunInfo };

const date = (ms: number | null) => (ms === null ? null : new Date(ms));

/**
 * `event`: the event that started the run, when it was (see `Store.getRunEvents`). `known`: the task
 * ids the engine registers (a pending run of another task waits for a worker that knows its task).
 */
export function toRunView(r: RunRecord, event: RunView["event"] = null, known: ReadonlySet<string> | null = null): RunView {
  const pending = r.status === "queued" || r.status === "delayed";
  const limited = r.rateLimitedUntil ?? null;
  return {
    id: r.id,
    taskId: r.taskId,
    queue: r.queue,
    concurrencyKey: r.concurrencyKey,
    status: r.status,
    payload: fromJson(r.payload),
    output: fromJson(r.output),
    error: fromJson<SerializedError | null>(r.error),
    priority: r.priority,
    runAt: new Date(r.runAt),
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
    startedAt: date(r.startedAt),
    finishedAt: date(r.finishedAt),
    attempt: r.attempt,
    maxAttempts: r.maxAttempts,
    idempotencyKey: r.idempotencyKey,
    expiresAt: date(r.expiresAt),
    tags: r.tags,
    parentRunId: r.parentRunId,
    scheduleId: r.scheduleId,
    workerId: r.workerId,
    progress: r.progress,
    progressMessage: r.progressMessage,
    event,
    // Stale once runAt moved on (claimed, retried): only a pending run still held at that time shows it.
    rateLimitedUntil: pending && limited !== null && limited === r.runAt ? new Date(limited) : null,
    waitingForWorker: pending && known !== null && !known.has(r.taskId),
  };
}

export function toStepView(s: StepRecord): StepView {
  return {
    key: s.key,
    parentKey: s.parentKey,
    kind: s.kind,
    status: s.status,
    output: fromJson(s.output),
    error: fromJson<SerializedError | null>(s.error),
    attempts: s.attempts,
    startedAt: new Date(s.startedAt),
    finishedAt: date(s.finishedAt),
    childRunId: s.childRunId,
  };
}

export function toLogView(l: LogRecord): LogView {
  return { level: l.level, message: l.message, data: fromJson(l.data), at: new Date(l.at), attempt: l.attempt };
}

/**
 * Whether a run failed with attempts left: its last error was final (a `NonRetriableError`, a payload
 * its schema refused, `catchError` returning `skipRetrying`), so it was not retried. A run that used
 * up its attempts, or whose lease expired beyond them, has `attempt >= maxAttempts` and is not counted.
 */
export function failedWithoutRetry(run: Pick<RunView, "status" | "attempt" | "maxAttempts">): boolean {
  return run.status === "failed" && run.attempt < run.maxAttempts;
}

/** The attempt column of run lists: `2/3`, or `1 (not retried)` for {@link failedWithoutRetry}. */
export function attemptText(run: Pick<RunView, "status" | "attempt" | "maxAttempts">): string {
  return failedWithoutRetry(run) ? `${run.attempt} (not retried)` : `${run.attempt}/${run.maxAttempts}`;
}

/** The result of a finished run record, or null if it has not finished. */
export function resultOf<T>(r: RunRecord): TaskResult<T> | null {
  switch (r.status) {
    case "completed":
      return taskResult<T>(r.id, true, fromJson(r.output), null);
    case "failed":
    case "canceled":
    case "expired":
      return taskResult<T>(r.id, false, undefined, fromJson<SerializedError | null>(r.error) ?? { name: "Error", message: `run ${r.status}` });
    default:
      return null;
  }
}

/** Why a pending run has not started, in words (CLI and dashboard), or null when nothing holds it back. */
export function heldBackText(r: Pick<RunView, "taskId" | "queue" | "rateLimitedUntil" | "waitingForWorker">): string | null {
  if (r.waitingForWorker) return `waiting for a worker that knows task "${r.taskId}"`;
  if (r.rateLimitedUntil !== null) return `rate limited (queue "${r.queue}")`;
  return null;
}
