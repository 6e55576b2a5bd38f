/** The hot SQL of claiming and finishing runs (src/sqlite/store.ts). */
import { RUN_COLUMNS } from "../rows.ts";

export const LIMITED_QUEUES = `SELECT name, concurrency_limit FROM queues WHERE concurrency_limit IS NOT NULL`;

/** Running runs per (queue, key) of the limited queues: a scan of the small index of running runs. */
export const RUNNING_COUNTS = `
SELECT queue, concurrency_key AS concurrencyKey, count(*) AS n FROM runs INDEXED BY runs_running
WHERE status = 'running' AND queue IN (SELECT value FROM json_each(@queues))
GROUP BY queue, concurrency_key`;

/** Runs whose lease expired with attempts left (takeover), as raw rows. @queues: JSON array or null for all. */
export const LEASE_EXPIRED = `
SELECT ${RUN_COLUMNS} FROM runs INDEXED BY runs_running
WHERE status = 'running' AND lease_expires_at <= @now AND attempt < max_attempts
  AND (@queues IS NULL OR queue IN (SELECT value FROM json_each(@queues)))
ORDER BY lease_expires_at LIMIT @limit`;

// INDEXED BY: without statistics the planner may prefer the status index plus a sort of the whole backlog.
export const CANDIDATES_ALL = `
SELECT ${RUN_COLUMNS} FROM runs INDEXED BY runs_claim
WHERE status IN ('queued', 'delayed', 'waiting') AND run_at <= @now
ORDER BY priority DESC, run_at, id LIMIT @limit OFFSET @offset`;

export const CANDIDATES_IN_QUEUES = `
SELECT ${RUN_COLUMNS} FROM runs INDEXED BY runs_claim
WHERE status IN ('queued', 'delayed', 'waiting') AND run_at <= @now
  AND queue IN (SELECT value FROM json_each(@queues))
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
