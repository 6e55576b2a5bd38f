/** SQL for run/wait transitions (src/sqlite/lifecycle.ts). */

export const INSERT_WAIT_STEP = `
INSERT INTO steps (run_id, key, parent_key, kind, status, output, error, attempts, started_at, finished_at, child_run_id)
VALUES (@run_id, @key, @parent_key, @kind, 'completed', @output, NULL, 1, @started_at, @finished_at, @child_run_id)
ON CONFLICT (run_id, key) DO UPDATE SET
  status = 'completed', output = excluded.output, error = NULL, finished_at = excluded.finished_at
WHERE steps.status <> 'completed'`;

export const RESOLVE_WAIT = `UPDATE waits SET resolved_at = @now WHERE run_id = @run_id AND key = @key`;

export const WAKE_RUN = `
UPDATE runs SET status = 'queued', run_at = @now, updated_at = @now
WHERE id = @id AND status = 'waiting'`;

export const CLOSE_WAITS_OF_RUNS = `
UPDATE waits SET resolved_at = @now
WHERE resolved_at IS NULL AND run_id IN (SELECT value FROM json_each(@ids))`;

export const OPEN_CHILD_WAITS = `
SELECT * FROM waits WHERE child_run_id = @child_run_id AND resolved_at IS NULL AND kind = 'child'`;

export const FINISH_RUN = `
UPDATE runs SET status = @status, error = coalesce(@error, error), finished_at = @now, updated_at = @now,
  worker_id = NULL, lease_expires_at = NULL
WHERE id = @id AND status NOT IN ('completed', 'failed', 'canceled', 'expired')
RETURNING id, parent_run_id`;

export const EVENTS_SINCE = `
SELECT payload FROM events WHERE name = @name AND created_at >= @since AND created_at <= @now
ORDER BY created_at, rowid`;

export const CHILD_STATE = `SELECT status, output, error FROM runs WHERE id = @id`;
