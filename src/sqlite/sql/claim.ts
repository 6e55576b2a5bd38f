/** The hot SQL of claiming and finishing runs (src/sqlite/store.ts). */
import { RUN_COLUMNS } from "../rows.ts";
import { IN_CLAIM_INDEX } from "./runs.ts";

/** A `queues` row with a concurrency limit or a rate limit. */
export const LIMITED = `(concurrency_limit IS NOT NULL OR rate_limit IS NOT NULL)`;

/** Queues with a concurrency limit or a rate limit. */
export const LIMITED_QUEUES = `
SELECT name, concurrency_limit, rate_limit, rate_period_ms, rate_per_key FROM queues
WHERE ${LIMITED}`;

/** Routing: only runs of the worker's tasks (@tasks: JSON array, or null for every task). */
export const TASKS = `(@tasks IS NULL OR task_id IN (SELECT value FROM json_each(@tasks)))`;

/** Only runs of the worker's queues (@queues: JSON array, or null for every queue). */
export const QUEUES = `(@queues IS NULL OR queue IN (SELECT value FROM json_each(@queues)))`;

/** Running runs per (queue, key) of the limited queues: a scan of the small index of running runs. */
export const RUNNING_COUNTS = `
SELECT queue, concurrency_key AS concurrencyKey, count(*) AS n FROM runs INDEXED BY runs_running
WHERE status = 'running' AND queue IN (SELECT value FROM json_each(@queues))
GROUP BY queue, concurrency_key`;

/** Runs whose lease expired with attempts left (takeover), as raw rows. @queues: JSON array or null for all. */
export const LEASE_EXPIRED = `
SELECT ${RUN_COLUMNS} FROM runs INDEXED BY runs_running
WHERE status = 'running' AND lease_expires_at <= @now AND attempt < max_attempts
  AND ${QUEUES} AND ${TASKS}
ORDER BY lease_expires_at LIMIT @limit`;

// INDEXED BY: without statistics the planner may prefer the status index plus a sort of the whole backlog.
export const CANDIDATES_ALL = `
SELECT ${RUN_COLUMNS} FROM runs INDEXED BY runs_claim
WHERE ${IN_CLAIM_INDEX} AND run_at <= @now AND ${TASKS}
ORDER BY priority DESC, run_at, id LIMIT @limit OFFSET @offset`;

export const CANDIDATES_IN_QUEUES = `
SELECT ${RUN_COLUMNS} FROM runs INDEXED BY runs_claim
WHERE ${IN_CLAIM_INDEX} AND run_at <= @now
  AND queue IN (SELECT value FROM json_each(@queues)) AND ${TASKS}
ORDER BY priority DESC, run_at, id LIMIT @limit OFFSET @offset`;

/** Marks the chosen runs claimed; the caller builds their records from the rows it read (no RETURNING). */
export const MARK_CLAIMED = `
UPDATE runs SET
  attempt = attempt + (CASE WHEN status = 'running' THEN 1 ELSE 0 END),
  status = 'running', worker_id = @worker, lease_expires_at = @lease,
  started_at = coalesce(started_at, @now), updated_at = @now
WHERE id IN (SELECT value FROM json_each(@ids))`;

export const STEPS_OF_RUNS = `
SELECT * FROM steps WHERE run_id IN (SELECT value FROM json_each(@ids)) ORDER BY started_at, key`;

export const HEARTBEAT = `
UPDATE runs SET lease_expires_at = @lease
WHERE id IN (SELECT value FROM json_each(@ids)) AND worker_id = @worker AND status = 'running'
RETURNING id`;

export const RELEASE = `
UPDATE runs SET status = 'queued', run_at = @now, updated_at = @now, worker_id = NULL, lease_expires_at = NULL
WHERE id IN (SELECT value FROM json_each(@ids)) AND worker_id = @worker AND status = 'running'
RETURNING queue`;

const COMPLETE_SET = "status = 'completed', finished_at = ?, updated_at = ?, worker_id = NULL, lease_expires_at = NULL";
const completeManySql: string[] = [];

/**
 * Completes `n` runs in one statement: (now, now, then id and output per run, then worker). Every
 * listed run must be held by the worker for `changes` to tell which were completed.
 */
export function completeMany(n: number): string {
  return (completeManySql[n] ??= `UPDATE runs SET ${COMPLETE_SET}, output = v.column2
FROM (VALUES ${Array(n).fill("(?, ?)").join(", ")}) AS v
WHERE runs.id = v.column1 AND runs.worker_id = ? AND runs.status = 'running'`);
}

/** Completes one run held by the worker (output, now, now, id, worker); changes = 1 if it did. */
export const COMPLETE = `
UPDATE runs SET status = 'completed', output = ?, finished_at = ?, updated_at = ?, worker_id = NULL, lease_expires_at = NULL
WHERE id = ? AND worker_id = ? AND status = 'running'`;

/** Recent claims of rate-limited groups (@groups: JSON array of [queue, key]) inside their queue's window. */
export const RATE_STARTS = `
SELECT s.queue, s.key, s.started_at AS startedAt FROM rate_starts s JOIN queues q ON q.name = s.queue
WHERE (s.queue, s.key) IN (SELECT value ->> 0, value ->> 1 FROM json_each(@groups))
  AND s.started_at > @now - q.rate_period_ms`;

export const INSERT_RATE_START = `INSERT INTO rate_starts (queue, key, started_at) VALUES (@queue, @key, @started_at)`;

/** Claims that left a queue's window (bounded: the claims that follow delete the rest). */
export const OLD_RATE_STARTS = `
DELETE FROM rate_starts WHERE rowid IN (
  SELECT rowid FROM rate_starts WHERE queue = @queue AND started_at <= @since LIMIT 500)`;

/** A due run its queue's rate limit held back: it may start at @at. */
export const HOLD_FOR_RATE = `UPDATE runs SET run_at = @at, rate_limited_until = @at WHERE id = @id`;
