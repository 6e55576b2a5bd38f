/** Row shapes of the SQLite tables and their mapping to store records. */
import type { RunRecord, RunStatus, ScheduleRecord, StepRecord, StepKind, StepStatus, LogRecord, LogLevel } from "../store/types.ts";
import type { StoredWait } from "../store/rules/tx.ts";
import { intern } from "../store/intern.ts";

export interface RunRow {
  id: string;
  task_id: string;
  queue: string;
  concurrency_key: string | null;
  status: string;
  payload: string;
  output: string | null;
  error: string | null;
  priority: number;
  run_at: number;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  attempt: number;
  max_attempts: number;
  idempotency_key: string | null;
  idempotency_expires_at: number | null;
  expires_at: number | null;
  tags: string;
  parent_run_id: string | null;
  schedule_id: string | null;
  worker_id: string | null;
  lease_expires_at: number | null;
  progress: number | null;
  progress_message: string | null;
  rate_limited_until?: number | null;
  trace_context: string | null;
}

export function toRun(r: RunRow): RunRecord {
  return {
    id: r.id,
    taskId: r.task_id,
    queue: r.queue,
    concurrencyKey: r.concurrency_key,
    status: r.status as RunStatus,
    payload: r.payload,
    output: r.output,
    error: r.error,
    priority: r.priority,
    runAt: r.run_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    attempt: r.attempt,
    maxAttempts: r.max_attempts,
    idempotencyKey: r.idempotency_key,
    idempotencyExpiresAt: r.idempotency_expires_at,
    expiresAt: r.expires_at,
    tags: r.tags === "[]" ? [] : (JSON.parse(r.tags) as string[]),
    parentRunId: r.parent_run_id,
    scheduleId: r.schedule_id,
    workerId: r.worker_id,
    leaseExpiresAt: r.lease_expires_at,
    progress: r.progress,
    progressMessage: r.progress_message,
    rateLimitedUntil: r.rate_limited_until ?? null,
    traceContext: r.trace_context,
  };
}

/** The columns of a run, in the order {@link runFromValues} reads them (for `Sql.rows`). */
export const RUN_COLUMNS =
  "id, task_id, queue, concurrency_key, status, payload, output, error, priority, run_at, created_at, updated_at, started_at, " +
  "finished_at, attempt, max_attempts, idempotency_key, idempotency_expires_at, expires_at, tags, parent_run_id, schedule_id, " +
  "worker_id, lease_expires_at, progress, progress_message, rate_limited_until, trace_context";

/** A run from the column values of {@link RUN_COLUMNS} (a raw row). */
export function runFromValues(v: readonly unknown[]): RunRecord {
  const tags = v[19] as string;
  return {
    id: v[0] as string,
    taskId: intern(v[1] as string),
    queue: intern(v[2] as string),
    concurrencyKey: v[3] as string | null,
    status: v[4] as RunStatus,
    payload: v[5] as string,
    output: v[6] as string | null,
    error: v[7] as string | null,
    priority: v[8] as number,
    runAt: v[9] as number,
    createdAt: v[10] as number,
    updatedAt: v[11] as number,
    startedAt: v[12] as number | null,
    finishedAt: v[13] as number | null,
    attempt: v[14] as number,
    maxAttempts: v[15] as number,
    idempotencyKey: v[16] as string | null,
    idempotencyExpiresAt: v[17] as number | null,
    expiresAt: v[18] as number | null,
    tags: tags === "[]" ? [] : (JSON.parse(tags) as string[]),
    parentRunId: v[20] as string | null,
    scheduleId: v[21] as string | null,
    workerId: v[22] as string | null,
    leaseExpiresAt: v[23] as number | null,
    progress: v[24] as number | null,
    progressMessage: v[25] as string | null,
    rateLimitedUntil: (v[26] as number | null | undefined) ?? null,
    traceContext: v[27] as string | null,
  };
}

export interface StepRow {
  run_id: string;
  key: string;
  parent_key: string | null;
  kind: string;
  status: string;
  output: string | null;
  error: string | null;
  attempts: number;
  started_at: number;
  finished_at: number | null;
  child_run_id: string | null;
}

export function toStep(r: StepRow): StepRecord {
  return {
    runId: r.run_id,
    key: r.key,
    parentKey: r.parent_key,
    kind: r.kind as StepKind,
    status: r.status as StepStatus,
    output: r.output,
    error: r.error,
    attempts: r.attempts,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    childRunId: r.child_run_id,
  };
}

export interface WaitRow {
  run_id: string;
  key: string;
  parent_key: string | null;
  kind: string;
  created_at: number;
  wake_at: number | null;
  event_name: string | null;
  match: string | null;
  child_run_id: string | null;
  resolved_at: number | null;
}

export function toWait(w: WaitRow): StoredWait {
  return {
    runId: w.run_id,
    key: w.key,
    parentKey: w.parent_key,
    kind: w.kind as StoredWait["kind"],
    createdAt: w.created_at,
    wakeAt: w.wake_at,
    eventName: w.event_name,
    match: w.match,
    childRunId: w.child_run_id,
    resolvedAt: w.resolved_at,
  };
}

export interface LogRow {
  run_id: string;
  key: string;
  level: string;
  message: string;
  data: string | null;
  at: number;
  attempt: number;
}

export function toLog(r: LogRow): LogRecord {
  return { runId: r.run_id, key: r.key, level: r.level as LogLevel, message: r.message, data: r.data, at: r.at, attempt: r.attempt };
}

export interface ScheduleRow {
  id: string;
  task_id: string;
  cron: string;
  timezone: string | null;
  payload: string | null;
  source: string;
  next_fire_at: number;
  last_fire_at: number | null;
  created_at: number;
  updated_at: number;
}

export function toSchedule(r: ScheduleRow): ScheduleRecord {
  return {
    id: r.id,
    taskId: r.task_id,
    cron: r.cron,
    timezone: r.timezone,
    payload: r.payload,
    source: r.source as "declared" | "dynamic",
    nextFireAt: r.next_fire_at,
    lastFireAt: r.last_fire_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Makes a candidate read by a claim ({@link runFromValues}, owned by the claim) the record of the run
 * as the claim leaves it (what MARK_CLAIMED writes to its row), in place: a claim of hundreds of runs
 * builds no second record per run. A takeover of an expired lease is a new attempt.
 */
export function claimInPlace(r: RunRecord, workerId: string, leaseExpiresAt: number, now: number): RunRecord {
  const m = r as Mutable<RunRecord>;
  if (m.status === "running") m.attempt++;
  m.status = "running";
  m.updatedAt = now;
  m.startedAt ??= now;
  m.workerId = workerId;
  m.leaseExpiresAt = leaseExpiresAt;
  return m;
}
