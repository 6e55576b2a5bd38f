/** The hot SQL of claiming and finishing runs (src/sqlite/store.ts). */

export const LIMITED_QUEUES = `SELECT name, concurrency_limit FROM queues WHERE concurrency_limit IS NOT NULL`;

export const RUNNING_COUNTS = `
SELECT queue, concurrency_key AS concurrencyKey, count(*) AS n FROM runs
WHERE status = 'running' AND queue IN (SELECT value FROM json_each(@queues))
GROUP BY queue, concurrency_key`;

const CANDIDATE = `id, queue, concurrency_key AS concurrencyKey, status, started_at`;

/** Runs whose lease expired with attempts left (takeover). @queues: JSON array or null for all. */
export const LEASE_EXPIRED = `
SELECT ${CANDIDATE} FROM runs INDEXED BY runs_lease
WHERE status = 'running' AND lease_expires_at <= @now AND attempt < max_attempts
  AND (@queues IS NULL OR queue IN (SELECT value FROM json_each(@queues)))
ORDER BY lease_expires_at LIMIT @limit`;

// INDEXED BY: without statistics the planner prefers a full index on status plus a sort of the whole backlog.
export const CANDIDATES_ALL = `
SELECT ${CANDIDATE} FROM runs INDEXED BY runs_claim
WHERE status IN ('queued', 'delayed', 'waiting') AND run_at <= @now
ORDER BY priority DESC, run_at, id LIMIT @limit OFFSET @offset`;

export const CANDIDATES_IN_QUEUES = `
SELECT ${CANDIDATE} FROM runs INDEXED BY runs_claim
WHERE status IN ('queued', 'delayed', 'waiting') AND run_at <= @now
  AND queue IN (SELECT value FROM json_each(@queues))
ORDER BY priority DESC, run_at, id LIMIT @limit OFFSET @offset`;

export const MARK_CLAIMED = `
UPDATE runs SET
  attempt = attempt + (CASE WHEN status = 'running' THEN 1 ELSE 0 END),
  status = 'running', worker_id = @worker, lease_expires_at = @lease,
  started_at = coalesce(started_at, @now), updated_at = @now
WHERE id IN (SELECT value FROM json_each(@ids))
RETURNING *`;

export const STEPS_OF_RUNS = `
SELECT * FROM steps WHERE run_id IN (SELECT value FROM json_each(@ids)) ORDER BY started_at, key`;

export const HEARTBEAT = `
UPDATE runs SET lease_expires_at = @lease
WHERE id IN (SELECT value FROM json_each(@ids)) AND worker_id = @worker AND status = 'running'
RETURNING id`;

export const RELEASE = `
UPDATE runs SET status = 'queued', run_at = @now, updated_at = @now, worker_id = NULL, lease_expires_at = NULL
WHERE id IN (SELECT value FROM json_each(@ids)) AND worker_id = @worker AND status = 'running'`;

/** Completes many runs in one statement: @outputs is a JSON object { runId: output }. */
export const COMPLETE_MANY = `
UPDATE runs SET status = 'completed', output = (@outputs -> ('$."' || id || '"')), finished_at = @now, updated_at = @now,
  worker_id = NULL, lease_expires_at = NULL
WHERE id IN (SELECT key FROM json_each(@outputs)) AND worker_id = @worker AND status = 'running'
RETURNING id, parent_run_id, output`;
