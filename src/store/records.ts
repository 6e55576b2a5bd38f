import type { NewRun, RunRecord } from "./types.ts";

/** A run a store inserts as it is: no idempotency key to look up, no debounced run to update, so always created. */
export const insertsAsIs = (run: NewRun): boolean => run.idempotencyKey === null && (run.debounce ?? null) === null;

/** A run `Store.createPlainRun` takes: inserted as it is ({@link insertsAsIs}) and without tags. */
export const isPlainRun = (run: NewRun): boolean => insertsAsIs(run) && run.tags.length === 0;

/**
 * A run as a trigger without options makes it, inserted at `now`: queued now, priority 0, no key, no
 * debounce, no deadline, no concurrency key, no tags, no parent or schedule, no trace. A store's row
 * for it needs only the values that vary (id, task, queue, payload, time, attempts).
 */
export function isDefaultRun(run: NewRun, now: number): boolean {
  return (
    run.status === "queued" &&
    run.runAt === now &&
    run.priority === 0 &&
    run.concurrencyKey === null &&
    run.expiresAt === null &&
    run.parentRunId === null &&
    run.scheduleId === null &&
    (run.traceContext ?? null) === null &&
    run.idempotencyKey === null &&
    (run.debounce ?? null) === null &&
    run.tags.length === 0
  );
}

/** The record a store returns for a run it has just inserted (what its row holds right after INSERT). */
export function insertedRun(run: NewRun, now: number): RunRecord {
  // An explicit literal (not a spread): one hidden class for every record, cheap to build in bulk.
  return {
    id: run.id,
    taskId: run.taskId,
    queue: run.queue,
    concurrencyKey: run.concurrencyKey,
    status: run.status,
    payload: run.payload,
    output: null,
    error: null,
    priority: run.priority,
    runAt: run.runAt,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    finishedAt: null,
    attempt: 1,
    maxAttempts: run.maxAttempts,
    idempotencyKey: run.idempotencyKey,
    idempotencyExpiresAt: run.idempotencyExpiresAt,
    expiresAt: run.expiresAt,
    tags: run.tags.length === 0 ? [] : [...run.tags],
    parentRunId: run.parentRunId,
    scheduleId: run.scheduleId,
    workerId: null,
    leaseExpiresAt: null,
    progress: null,
    progressMessage: null,
    rateLimitedUntil: null,
    traceContext: run.traceContext ?? null,
  };
}

/** The record of a run as a claim leaves it (what `claimRuns` writes to its row). */
export function claimedRun(r: RunRecord, workerId: string, leaseExpiresAt: number, now: number): RunRecord {
  return {
    id: r.id,
    taskId: r.taskId,
    queue: r.queue,
    concurrencyKey: r.concurrencyKey,
    status: "running",
    payload: r.payload,
    output: r.output,
    error: r.error,
    priority: r.priority,
    runAt: r.runAt,
    createdAt: r.createdAt,
    updatedAt: now,
    startedAt: r.startedAt ?? now,
    finishedAt: r.finishedAt,
    // A takeover of an expired lease is a new attempt.
    attempt: r.status === "running" ? r.attempt + 1 : r.attempt,
    maxAttempts: r.maxAttempts,
    idempotencyKey: r.idempotencyKey,
    idempotencyExpiresAt: r.idempotencyExpiresAt,
    expiresAt: r.expiresAt,
    tags: r.tags,
    parentRunId: r.parentRunId,
    scheduleId: r.scheduleId,
    workerId,
    leaseExpiresAt,
    progress: r.progress,
    progressMessage: r.progressMessage,
    rateLimitedUntil: r.rateLimitedUntil ?? null,
    traceContext: r.traceContext,
  };
}
