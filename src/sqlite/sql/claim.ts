/** The hot SQL of claiming and finishing runs (src/sqlite/store.ts). */

export const LIMITED_QUEUES = `SELECT name, concurrency_limit FROM queues WHERE concurrency_limit IS NOT NULL`;

export const RUNNING_COUNTS = `
SELECT queue, concurrency_key, count(*) AS n FROM runs
WHERE status = 'running' AND queue IN (SELECT value FROM json_each(@queues))
GROUP BY queue, concurrency_key`;

// INDEXED BY: without statistics the planner prefers runs_status_id plus a sort of the whole backlog.
export const EXPIRED_UNSTARTED = `
SELECT id FROM runs INDEXED BY runs_expiry
WHERE expires_at IS NOT NULL AND expires_at <= @now AND status IN ('queued', 'delayed') AND started_at IS NULL
LIMIT 500`;

export const LEASE_EXPIRED = `
SELECT id, queue, concurrency_key, status, attempt, max_attempts, started_at FROM runs INDEXED BY runs_lease
WHERE status = 'running' AND lease_expires_at <= @now
ORDER BY lease_expires_at LIMIT @limit`;

export const CANDIDATES_ALL = `
SELECT id, queue, concurrency_key, status, attempt, max_attempts, started_at FROM runs INDEXED BY runs_claim
WHERE status IN ('queued', 'delayed', 'waiting') AND run_at <= @now
ORDER BY priority DESC, run_at, id LIMIT @limit OFFSET @offset`;

export const CANDIDATES_IN_QUEUES = `
SELECT id, queue, concurrency_key, status, attempt, max_attempts, started_at FROM runs INDEXED BY runs_claim
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

export const DUE_TIMERS = `
SELECT * FROM waits
WHERE resolved_at IS NULL AND wake_at IS NOT NULL AND wake_at <= @now
  AND run_id IN (SELECT value FROM json_each(@ids))`;

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

export const FAIL_RETRY = `
UPDATE runs SET status = 'delayed', run_at = @retry_at, attempt = attempt + 1, error = @error,
  updated_at = @now, worker_id = NULL, lease_expires_at = NULL
WHERE id = @id AND worker_id = @worker AND status = 'running'`;

export const FAIL_FINAL = `
UPDATE runs SET status = 'failed', error = @error, finished_at = @now, updated_at = @now,
  worker_id = NULL, lease_expires_at = NULL
WHERE id = @id AND worker_id = @worker AND status = 'running'
RETURNING parent_run_id`;

export const HELD = `SELECT 1 FROM runs WHERE id = @id AND worker_id = @worker AND status = 'running'`;
