/**
 * SQLite migration 8: `runs` becomes a WITHOUT ROWID table keyed by its id. A rowid table with a text
 * primary key is two b-trees (the rows by rowid, and the id index pointing into them): every trigger
 * wrote a page of each. Keyed by id, the rows are the id's b-tree, so a plain trigger writes two pages
 * (the row and the claim index) instead of three, and a lookup by id reads one b-tree instead of two.
 *
 * Without rowids the uncounted tail of `run_counts` (counts.ts) is marked by id: the one row of
 * `run_counts_marker` holds the id up to which runs are counted (it replaces migration 7's marker row
 * in `run_counts`). Every run is counted when this migration runs. The table is copied as it is;
 * every index is created again, the claim index and the index of rare statuses with their status sets
 * spelled as comparisons joined by OR: SQLite evaluates an `IN` list of more than two constants
 * through a temporary b-tree built for each statement, and every insert and status change evaluates
 * the condition of every partial index (about 7 µs of a single trigger's 50). Queries that read these
 * indexes spell the condition the same way (sql/runs.ts), so that the planner can match it.
 */
export const RUNS_WITHOUT_ROWID_MIGRATION = `
CREATE TABLE runs_by_id (
  id TEXT NOT NULL PRIMARY KEY,
  task_id TEXT NOT NULL,
  queue TEXT NOT NULL,
  concurrency_key TEXT,
  status TEXT NOT NULL,
  payload TEXT NOT NULL,
  output TEXT,
  error TEXT,
  priority INTEGER NOT NULL DEFAULT 0,
  run_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  attempt INTEGER NOT NULL DEFAULT 1,
  max_attempts INTEGER NOT NULL,
  idempotency_key TEXT,
  idempotency_expires_at INTEGER,
  expires_at INTEGER,
  tags TEXT NOT NULL DEFAULT '[]',
  parent_run_id TEXT,
  schedule_id TEXT,
  worker_id TEXT,
  lease_expires_at INTEGER,
  progress REAL,
  progress_message TEXT,
  debounce_key TEXT,
  debounce_until INTEGER,
  rate_limited_until INTEGER,
  trace_context TEXT
) WITHOUT ROWID;
INSERT INTO runs_by_id (id, task_id, queue, concurrency_key, status, payload, output, error, priority, run_at, created_at,
  updated_at, started_at, finished_at, attempt, max_attempts, idempotency_key, idempotency_expires_at, expires_at, tags,
  parent_run_id, schedule_id, worker_id, lease_expires_at, progress, progress_message, debounce_key, debounce_until,
  rate_limited_until, trace_context)
SELECT id, task_id, queue, concurrency_key, status, payload, output, error, priority, run_at, created_at,
  updated_at, started_at, finished_at, attempt, max_attempts, idempotency_key, idempotency_expires_at, expires_at, tags,
  parent_run_id, schedule_id, worker_id, lease_expires_at, progress, progress_message, debounce_key, debounce_until,
  rate_limited_until, trace_context
FROM runs ORDER BY id;
DROP TABLE runs;
ALTER TABLE runs_by_id RENAME TO runs;
CREATE INDEX runs_claim ON runs (priority DESC, run_at, id) WHERE status = 'queued' OR status = 'delayed' OR status = 'waiting';
CREATE INDEX runs_expiry ON runs (expires_at) WHERE expires_at IS NOT NULL AND status IN ('queued', 'delayed');
CREATE UNIQUE INDEX runs_idempotency ON runs (task_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX runs_parent ON runs (parent_run_id, id) WHERE parent_run_id IS NOT NULL;
CREATE INDEX runs_status_rare ON runs (status, id)
  WHERE status = 'delayed' OR status = 'waiting' OR status = 'failed' OR status = 'canceled' OR status = 'expired';
CREATE INDEX runs_running ON runs (lease_expires_at, queue, concurrency_key) WHERE status = 'running';
CREATE INDEX runs_finished ON runs (finished_at, status, started_at) WHERE finished_at IS NOT NULL;
CREATE UNIQUE INDEX runs_debounce ON runs (task_id, debounce_key)
  WHERE debounce_key IS NOT NULL AND status IN ('queued', 'delayed') AND started_at IS NULL;
CREATE INDEX runs_task ON runs (task_id, id) WHERE status <> 'queued';
DELETE FROM run_counts;
INSERT INTO run_counts (queue, status, n)
  SELECT CASE WHEN status IN ('queued', 'delayed') THEN queue ELSE '' END, status, count(*)
  FROM runs WHERE status <> 'running' GROUP BY 1, 2;
CREATE TABLE run_counts_marker (id TEXT NOT NULL);
INSERT INTO run_counts_marker (id) SELECT coalesce(max(id), '') FROM runs;
`;
