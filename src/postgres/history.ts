/**
 * The history table of the PostgreSQL store. A run lives in `runs` while it is unfinished; the
 * statement that finishes it (completion, failure, cancel, expiry) deletes it from `runs` and
 * inserts the finished row into `runs_done`, in one statement. A delete writes no new row version
 * and no index entry in `runs`, and the history's indexes grow at their right edge (time-ordered
 * ids, finish times), so `runs` stays as small as the backlog and a completion costs about what a
 * queue's delete costs. `:S.` = the quoted schema.
 *
 * Idempotency keys live in `run_keys`, which the move never touches: a unique index on `runs`
 * alone would free a key for the moment between the move's delete and the visibility of its
 * insert, and a trigger racing the move could then take it twice.
 */

/** Every column of `runs` and `runs_done` (a migration that adds a column to one adds it to both). */
export const RUN_COLUMN_NAMES = [
  "id", "task_id", "queue", "concurrency_key", "status", "payload", "output", "error", "priority", "run_at",
  "created_at", "updated_at", "started_at", "finished_at", "attempt", "max_attempts", "idempotency_key",
  "idempotency_expires_at", "expires_at", "tags", "parent_run_id", "schedule_id", "worker_id", "lease_expires_at",
  "progress", "progress_message", "debounce_key", "debounce_until", "rate_limited_until", "trace_context",
] as const;

export type RunColumn = (typeof RUN_COLUMN_NAMES)[number];

const ALL = RUN_COLUMN_NAMES.join(", ");

/** Every run, live or finished, with the columns in one order: `(SELECT … UNION ALL SELECT …)`. Conditions on it reach both tables' indexes. */
export const ALL_RUNS = `(SELECT ${ALL} FROM :S.runs UNION ALL SELECT ${ALL} FROM :S.runs_done)`;

/** `SELECT <every column> FROM :S.<table>`. */
export const selectRuns = (table: "runs" | "runs_done"): string => `SELECT ${ALL} FROM :S.${table}`;

/** The finishing columns every move sets (typed: they travel through a RETURNING list). */
export const FINISHED_NOW = (now: string): Partial<Record<RunColumn, string>> => ({
  finished_at: `${now}::bigint`,
  updated_at: `${now}::bigint`,
  worker_id: "NULL::text",
  lease_expires_at: "NULL::bigint",
});

/**
 * The RETURNING list of a `DELETE FROM :S.runs r …` that moves rows: every column as the finished
 * row will hold it (`set` overrides, SQL over `r` and the parameters), plus `r.status AS old_status`.
 */
export function movedRow(set: Partial<Record<RunColumn, string>>): string {
  const cols = RUN_COLUMN_NAMES.map((c) => (set[c] === undefined ? `r.${c}` : `${set[c]} AS ${c}`));
  return `${cols.join(", ")}, r.status AS old_status`;
}

/** The CTE body that writes the rows of `src` (a {@link movedRow} RETURNING) into the history. */
export function keepMoved(src: string): string {
  return `INSERT INTO :S.runs_done (${ALL}) SELECT ${ALL} FROM ${src}`;
}

/** Rows moved per statement by migration 7. */
const MIGRATION_BATCH = 20_000;

/**
 * Migration 7: the history table, the keys table, and the finished runs of an existing database
 * moved (in batches of {@link MIGRATION_BATCH}, in id order). The history's indexes are built after
 * the move; `runs` loses the indexes that only finished runs or keys used.
 */
export const HISTORY_MIGRATION = `
CREATE TABLE :S.runs_done (LIKE :S.runs INCLUDING DEFAULTS);
ALTER TABLE :S.runs_done ALTER COLUMN id TYPE text COLLATE "C", ALTER COLUMN task_id TYPE text COLLATE "C";
CREATE TABLE :S.run_keys (
  task_id text COLLATE "C" NOT NULL,
  idempotency_key text NOT NULL,
  run_id text COLLATE "C" NOT NULL,
  PRIMARY KEY (task_id, idempotency_key)
);
INSERT INTO :S.run_keys (task_id, idempotency_key, run_id)
  SELECT task_id, idempotency_key, id FROM :S.runs WHERE idempotency_key IS NOT NULL;
DO $move$
DECLARE
  after_id text COLLATE "C" := '';
  n bigint;
BEGIN
  LOOP
    WITH batch AS (
      SELECT id FROM :S.runs WHERE id > after_id AND status IN ('completed', 'failed', 'canceled', 'expired')
      ORDER BY id LIMIT ${MIGRATION_BATCH}
    ), moved AS (
      DELETE FROM :S.runs r USING batch WHERE r.id = batch.id RETURNING r.*
    ), kept AS (
      INSERT INTO :S.runs_done (${ALL}) SELECT ${ALL} FROM moved RETURNING id
    )
    SELECT count(*), max(id) INTO n, after_id FROM kept;
    EXIT WHEN n = 0;
  END LOOP;
END
$move$;
ALTER TABLE :S.runs_done ADD PRIMARY KEY (id);
CREATE INDEX runs_done_task_id ON :S.runs_done (task_id, id);
CREATE INDEX runs_done_finished ON :S.runs_done (finished_at);
CREATE INDEX runs_done_unsuccessful ON :S.runs_done (status, id) WHERE status IN ('failed', 'canceled', 'expired');
CREATE INDEX runs_done_parent ON :S.runs_done (parent_run_id, id) WHERE parent_run_id IS NOT NULL;
CREATE INDEX runs_done_tags ON :S.runs_done USING gin (tags) WHERE tags <> '{}';
DROP INDEX :S.runs_finished;
DROP INDEX :S.runs_unsuccessful;
DROP INDEX :S.runs_idempotency;
`;
