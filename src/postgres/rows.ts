/** PostgreSQL rows → store records (bigint columns arrive as strings). */
import type { LogLevel, LogRecord, RunRecord, RunStatus, ScheduleRecord, StepKind, StepRecord, StepStatus } from "../store/types.ts";
import type { StoredWait } from "../store/rules/tx.ts";
import { intern } from "../store/intern.ts";

type Row = Record<string, unknown>;
const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string => v as string;
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));

export function toRun(r: Row): RunRecord {
  return {
    id: str(r["id"]),
    taskId: str(r["task_id"]),
    queue: str(r["queue"]),
    concurrencyKey: strOrNull(r["concurrency_key"]),
    status: r["status"] as RunStatus,
    payload: str(r["payload"]),
    output: strOrNull(r["output"]),
    error: strOrNull(r["error"]),
    priority: num(r["priority"]),
    runAt: num(r["run_at"]),
    createdAt: num(r["created_at"]),
    updatedAt: num(r["updated_at"]),
    startedAt: numOrNull(r["started_at"]),
    finishedAt: numOrNull(r["finished_at"]),
    attempt: num(r["attempt"]),
    maxAttempts: num(r["max_attempts"]),
    idempotencyKey: strOrNull(r["idempotency_key"]),
    idempotencyExpiresAt: numOrNull(r["idempotency_expires_at"]),
    expiresAt: numOrNull(r["expires_at"]),
    tags: (r["tags"] as string[] | null) ?? [],
    parentRunId: strOrNull(r["parent_run_id"]),
    scheduleId: strOrNull(r["schedule_id"]),
    workerId: strOrNull(r["worker_id"]),
    leaseExpiresAt: numOrNull(r["lease_expires_at"]),
    progress: numOrNull(r["progress"]),
    progressMessage: strOrNull(r["progress_message"]),
    rateLimitedUntil: numOrNull(r["rate_limited_until"]),
    traceContext: strOrNull(r["trace_context"]),
  };
}

/**
 * What a statement's caller already knows of the runs it returns, for the columns it leaves out: a
 * claim returns neither the status, worker, lease and update time it has just set, nor `finished_at`
 * (null for every run still in `runs`).
 */
export interface KnownColumns {
  readonly status: RunStatus;
  readonly workerId: string;
  readonly leaseExpiresAt: number;
  readonly updatedAt: number;
}

/**
 * Empties a query result's rows and field descriptions once they have been read. node-postgres makes
 * both arrays when the query is made, before it is sent; if a young-generation GC comes while the
 * query is in flight, they move to the old generation, and once the query is done they are old
 * garbage that still points to every row (and field) given to them afterwards. Those rows, and the
 * strings in them, then survive every young GC until the next full GC: for the claim (hundreds of
 * rows) that was most of what a PostgreSQL worker's young GCs copied (docs/PERFORMANCE.md, "Memory").
 * Emptied, they die young.
 */
export function releaseResult(result: { readonly rows: readonly unknown[]; readonly fields?: readonly unknown[] | undefined }): void {
  (result.rows as unknown[]).length = 0;
  if (result.fields !== undefined) (result.fields as unknown[]).length = 0;
}

/** The columns {@link KnownColumns} stands for. */
export const KNOWN_COLUMNS: readonly string[] = ["status", "worker_id", "lease_expires_at", "updated_at", "finished_at"];

/**
 * Reads runs from rows fetched as arrays (`rowMode: "array"`), the columns located once by name: a
 * claim of hundreds of runs then builds no intermediate object per row. The columns of
 * {@link KNOWN_COLUMNS} may be absent; `known` then gives them (absent without `known`: an error).
 */
export function runReader(names: readonly string[]): (row: readonly unknown[], known?: KnownColumns) => RunRecord {
  const at = (name: string): number => {
    const i = names.indexOf(name);
    if (i < 0) throw new Error(`postgresStore: column ${name} missing from a runs row`);
    return i;
  };
  const [id, taskId, queue, concurrencyKey, payload, output, error, priority, runAt, createdAt, startedAt] = [
    "id", "task_id", "queue", "concurrency_key", "payload", "output", "error", "priority", "run_at", "created_at", "started_at",
  ].map(at) as [number, number, number, number, number, number, number, number, number, number, number];
  const [attempt, maxAttempts, idempotencyKey, idempotencyExpiresAt, expiresAt, tags, parentRunId, scheduleId, progress, progressMessage] = [
    "attempt", "max_attempts", "idempotency_key", "idempotency_expires_at", "expires_at", "tags", "parent_run_id", "schedule_id", "progress", "progress_message",
  ].map(at) as [number, number, number, number, number, number, number, number, number, number];
  const [status, updatedAt, finishedAt, workerId, leaseExpiresAt] = ["status", "updated_at", "finished_at", "worker_id", "lease_expires_at"].map((n) => names.indexOf(n)) as [
    number, number, number, number, number,
  ];
  const knownNeeded = (k: KnownColumns | undefined): KnownColumns => {
    if (k === undefined) throw new Error("postgresStore: a runs row without status, worker or lease, and nothing known of them");
    return k;
  };
  // Columns added by later migrations (rate limits, trace context).
  const rateLimitedUntil = names.indexOf("rate_limited_until");
  const traceContext = names.indexOf("trace_context");
  return (r, known) => ({
    id: str(r[id]),
    taskId: intern(str(r[taskId])),
    queue: intern(str(r[queue])),
    concurrencyKey: strOrNull(r[concurrencyKey]),
    status: status < 0 ? knownNeeded(known).status : (r[status] as RunStatus),
    payload: str(r[payload]),
    output: strOrNull(r[output]),
    error: strOrNull(r[error]),
    priority: num(r[priority]),
    runAt: num(r[runAt]),
    createdAt: num(r[createdAt]),
    updatedAt: updatedAt < 0 ? knownNeeded(known).updatedAt : num(r[updatedAt]),
    startedAt: numOrNull(r[startedAt]),
    finishedAt: finishedAt < 0 ? null : numOrNull(r[finishedAt]),
    attempt: num(r[attempt]),
    maxAttempts: num(r[maxAttempts]),
    idempotencyKey: strOrNull(r[idempotencyKey]),
    idempotencyExpiresAt: numOrNull(r[idempotencyExpiresAt]),
    expiresAt: numOrNull(r[expiresAt]),
    tags: (r[tags] as string[] | null) ?? [],
    parentRunId: strOrNull(r[parentRunId]),
    scheduleId: strOrNull(r[scheduleId]),
    workerId: workerId < 0 ? knownNeeded(known).workerId : strOrNull(r[workerId]),
    leaseExpiresAt: leaseExpiresAt < 0 ? knownNeeded(known).leaseExpiresAt : numOrNull(r[leaseExpiresAt]),
    progress: numOrNull(r[progress]),
    progressMessage: strOrNull(r[progressMessage]),
    rateLimitedUntil: rateLimitedUntil < 0 ? null : numOrNull(r[rateLimitedUntil]),
    traceContext: traceContext < 0 ? null : strOrNull(r[traceContext]),
  });
}

export function toStep(r: Row): StepRecord {
  return {
    runId: str(r["run_id"]),
    key: str(r["key"]),
    parentKey: strOrNull(r["parent_key"]),
    kind: r["kind"] as StepKind,
    status: r["status"] as StepStatus,
    output: strOrNull(r["output"]),
    error: strOrNull(r["error"]),
    attempts: num(r["attempts"]),
    startedAt: num(r["started_at"]),
    finishedAt: numOrNull(r["finished_at"]),
    childRunId: strOrNull(r["child_run_id"]),
  };
}

export interface WaitRow {
  run_id: string;
  key: string;
  parent_key: string | null;
  kind: string;
  created_at: string;
  wake_at: string | null;
  event_name: string | null;
  match: string | null;
  child_run_id: string | null;
  resolved_at: string | null;
}

export function toWait(w: WaitRow): StoredWait {
  return {
    runId: w.run_id,
    key: w.key,
    parentKey: w.parent_key,
    kind: w.kind as StoredWait["kind"],
    createdAt: num(w.created_at),
    wakeAt: numOrNull(w.wake_at),
    eventName: w.event_name,
    match: w.match,
    childRunId: w.child_run_id,
    resolvedAt: numOrNull(w.resolved_at),
  };
}

export function toLog(r: Row): LogRecord {
  return {
    runId: str(r["run_id"]),
    key: str(r["key"]),
    level: r["level"] as LogLevel,
    message: str(r["message"]),
    data: strOrNull(r["data"]),
    at: num(r["at"]),
    attempt: num(r["attempt"]),
  };
}

export function toSchedule(r: Row): ScheduleRecord {
  return {
    id: str(r["id"]),
    taskId: str(r["task_id"]),
    cron: str(r["cron"]),
    timezone: strOrNull(r["timezone"]),
    payload: strOrNull(r["payload"]),
    source: r["source"] as "declared" | "dynamic",
    nextFireAt: num(r["next_fire_at"]),
    lastFireAt: numOrNull(r["last_fire_at"]),
    createdAt: num(r["created_at"]),
    updatedAt: num(r["updated_at"]),
  };
}
