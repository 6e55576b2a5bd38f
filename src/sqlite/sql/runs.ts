/** SQL for inserting runs and queues (src/sqlite/tx.ts, src/sqlite/store.ts). */

/**
 * The condition of the claim index `runs_claim` (queued, delayed and waiting runs), exactly as
 * migration 8 spells it: a query that reads the index must contain it as one of its AND terms.
 */
export const IN_CLAIM_INDEX = "(status = 'queued' OR status = 'delayed' OR status = 'waiting')";

/** The condition of `runs_status_rare`, exactly as migration 8 spells it (see {@link IN_CLAIM_INDEX}). */
export const IN_RARE_INDEX = "(status = 'delayed' OR status = 'waiting' OR status = 'failed' OR status = 'canceled' OR status = 'expired')";

export const UPSERT_QUEUE = `
INSERT INTO queues (name, concurrency_limit, rate_limit, rate_period_ms, rate_per_key)
VALUES (@name, @concurrency_limit, @rate_limit, @rate_period_ms, @rate_per_key)
ON CONFLICT (name) DO UPDATE SET concurrency_limit = excluded.concurrency_limit, rate_limit = excluded.rate_limit,
  rate_period_ms = excluded.rate_period_ms, rate_per_key = excluded.rate_per_key`;

export const BY_IDEMPOTENCY_KEY = `SELECT * FROM runs WHERE task_id = @task_id AND idempotency_key = @key`;

export const RELEASE_IDEMPOTENCY_KEY = `UPDATE runs SET idempotency_key = NULL WHERE id = @id`;

export const INSERT_COLUMNS = `id, task_id, queue, concurrency_key, status, payload, priority, run_at, created_at, updated_at,
  attempt, max_attempts, idempotency_key, idempotency_expires_at, expires_at, tags, parent_run_id, schedule_id, trace_context`;

export const INSERT_RUN = `
INSERT INTO runs (${INSERT_COLUMNS})
VALUES (@id, @task_id, @queue, @concurrency_key, @status, @payload, @priority, @run_at, @now, @now,
  1, @max_attempts, @idempotency_key, @idempotency_expires_at, @expires_at, @tags, @parent_run_id, @schedule_id, @trace_context)`;

export const INSERT_RUN_IF_KEY_FREE = `${INSERT_RUN}
ON CONFLICT (task_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`;

export const INSERT_TAG = `INSERT OR IGNORE INTO run_tags (tag, run_id) VALUES (@tag, @run_id)`;

export const UPSERT_STEP = `
INSERT INTO steps (run_id, key, parent_key, kind, status, output, error, attempts, started_at, finished_at, child_run_id)
VALUES (@run_id, @key, @parent_key, @kind, @status, @output, @error, @attempts, @started_at, @finished_at, @child_run_id)
ON CONFLICT (run_id, key) DO UPDATE SET
  parent_key = excluded.parent_key, kind = excluded.kind, status = excluded.status, output = excluded.output,
  error = excluded.error, attempts = excluded.attempts, started_at = excluded.started_at,
  finished_at = excluded.finished_at, child_run_id = excluded.child_run_id
WHERE steps.status <> 'completed'`;

/** The pending (never started) debounced run of a task and key (docs/CONTRACT.md §7). */
export const PENDING_DEBOUNCED = `
SELECT * FROM runs WHERE task_id = @task_id AND debounce_key = @key AND status IN ('queued', 'delayed') AND started_at IS NULL`;

/** A debounced run, unless a pending run holds its (task, debounce key) (the unique index runs_debounce). */
export const INSERT_RUN_IF_DEBOUNCE_FREE = `
INSERT INTO runs (${INSERT_COLUMNS}, debounce_key, debounce_until)
VALUES (@id, @task_id, @queue, @concurrency_key, @status, @payload, @priority, @run_at, @now, @now,
  1, @max_attempts, @idempotency_key, @idempotency_expires_at, @expires_at, @tags, @parent_run_id, @schedule_id, @trace_context,
  @debounce_key, @debounce_until)
ON CONFLICT DO NOTHING`;

/** A later debounced trigger: new payload, new start (never after the stored cap). */
export const UPDATE_DEBOUNCED = `
UPDATE runs SET payload = @payload, run_at = min(@run_at, coalesce(debounce_until, @run_at)), updated_at = @now
WHERE id = @id RETURNING *`;
