/** SQL of the store-rule primitives (src/sqlite/tx.ts): finishing runs, waits, events. */
import { FINISHED_SQL } from "../../store/rules/payloads.ts";

export const INSERT_WAIT_STEP = `
INSERT INTO steps (run_id, key, parent_key, kind, status, output, error, attempts, started_at, finished_at, child_run_id)
VALUES (@run_id, @key, @parent_key, @kind, 'completed', @output, NULL, 1, @started_at, @finished_at, @child_run_id)
ON CONFLICT (run_id, key) DO UPDATE SET
  status = 'completed', output = excluded.output, error = NULL, finished_at = excluded.finished_at
WHERE steps.status <> 'completed'`;

export const RESOLVE_WAIT = `UPDATE waits SET resolved_at = @now WHERE run_id = @run_id AND key = @key`;

export const WAKE_RUNS = `
UPDATE runs SET status = 'queued', run_at = @now, updated_at = @now
WHERE id IN (SELECT value FROM json_each(@ids)) AND status = 'waiting'
RETURNING queue`;

export const CLOSE_WAITS_OF_RUNS = `
UPDATE waits SET resolved_at = @now
WHERE resolved_at IS NULL AND run_id IN (SELECT value FROM json_each(@ids))`;

export const OPEN_CHILD_WAITS = `
SELECT * FROM waits
WHERE child_run_id IN (SELECT value FROM json_each(@ids)) AND resolved_at IS NULL AND kind = 'child'`;

/** The state a run is finished from (read first: RETURNING gives only the new values). */
export const UNFINISHED_RUN = `SELECT status, queue, parent_run_id FROM runs WHERE id = @id AND status NOT IN ${FINISHED_SQL}`;

export const FINISH_RUN = `
UPDATE runs SET status = @status, error = coalesce(@error, error), finished_at = @now, updated_at = @now,
  worker_id = NULL, lease_expires_at = NULL
WHERE id = @id`;

// INDEXED BY: without statistics the planner may prefer the status index and read the whole backlog.
export const EXPIRABLE = `
SELECT id, queue, status FROM runs INDEXED BY runs_expiry
WHERE expires_at IS NOT NULL AND expires_at <= @now AND status IN ('queued', 'delayed') AND started_at IS NULL
LIMIT 500`;

export const EXPIRE = `
UPDATE runs SET status = 'expired', error = @error, finished_at = @now, updated_at = @now, worker_id = NULL, lease_expires_at = NULL
WHERE id IN (SELECT value FROM json_each(@ids)) AND status IN ('queued', 'delayed')
RETURNING id, parent_run_id, status, output, error`;

export const EXHAUSTED_LEASES = `
SELECT id, attempt FROM runs INDEXED BY runs_running
WHERE status = 'running' AND lease_expires_at <= @now AND attempt >= max_attempts
LIMIT 500`;

export const EVENTS_SINCE = `
SELECT payload FROM events WHERE name = @name AND created_at >= @since AND created_at <= @now
ORDER BY created_at, rowid`;

export const RUN_RESULT = `SELECT status, output, error FROM runs WHERE id = @id`;

export const UNFINISHED_CHILDREN = `
SELECT id FROM runs WHERE parent_run_id = @id AND status NOT IN ${FINISHED_SQL}`;

export const INSERT_WAIT = `
INSERT OR IGNORE INTO waits (run_id, key, parent_key, kind, created_at, wake_at, event_name, match, child_run_id)
VALUES (@run_id, @key, @parent_key, @kind, @created_at, @wake_at, @event_name, @match, @child_run_id)`;

export const WAITS_BY_KEYS = `
SELECT * FROM waits WHERE run_id = @run_id AND key IN (SELECT value FROM json_each(@keys))`;

export const NEXT_TIMER = `
SELECT min(wake_at) AS at FROM waits WHERE run_id = @run_id AND resolved_at IS NULL AND wake_at IS NOT NULL`;

export const REQUEUE_HELD = `
UPDATE runs SET status = 'queued', run_at = @now, updated_at = @now, worker_id = NULL, lease_expires_at = NULL
WHERE id = @id
RETURNING queue`;

export const MARK_WAITING = `
UPDATE runs SET status = 'waiting', run_at = @run_at, updated_at = @now, worker_id = NULL, lease_expires_at = NULL
WHERE id = @id`;

export const DUE_TIMERS = `
SELECT * FROM waits
WHERE resolved_at IS NULL AND wake_at IS NOT NULL AND wake_at <= @now
  AND run_id IN (SELECT value FROM json_each(@ids))`;

export const INSERT_EVENT = `INSERT INTO events (id, name, payload, created_at) VALUES (@id, @name, @payload, @now)`;

export const OPEN_EVENT_WAITS = `
SELECT * FROM waits WHERE kind = 'event' AND event_name = @name AND resolved_at IS NULL AND created_at <= @now
ORDER BY created_at`;

export const FAIL_RETRY = `
UPDATE runs SET status = 'delayed', run_at = @retry_at, attempt = attempt + 1, error = @error,
  updated_at = @now, worker_id = NULL, lease_expires_at = NULL
WHERE id = @id AND worker_id = @worker AND status = 'running'
RETURNING queue`;

export const FAIL_FINAL = `
UPDATE runs SET status = 'failed', error = @error, finished_at = @now, updated_at = @now,
  worker_id = NULL, lease_expires_at = NULL
WHERE id = @id AND worker_id = @worker AND status = 'running'
RETURNING parent_run_id`;

export const HELD = `SELECT 1 FROM runs WHERE id = @id AND worker_id = @worker AND status = 'running'`;
