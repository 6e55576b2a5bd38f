/**
 * The SQL of the PostgreSQL store (`:S.` = the quoted schema). Hot statements first; the inserts of
 * runs are in sql-insert.ts, the limited queues' in sql-limited.ts (both re-exported here).
 */
import { FINISHED_SQL } from "../store/rules/payloads.ts";
import { countChanges, countFinished } from "./counts.ts";
import { FINISHED_NOW, keepMoved, movedRow, selectRuns } from "./history.ts";

export * from "./sql-insert.ts";
export * from "./sql-limited.ts";

/**
 * Completes a batch in ONE statement (autocommit): moves the runs to the history as completed
 * (src/postgres/history.ts: a delete from runs and an append to runs_done), closes their own open
 * waits, and for each parent waiting on one of them stores the child's result as the wait's step,
 * resolves the wait, wakes the parent and sends one NOTIFY.
 * $1 ids, $2 outputs as one JSON object (run id → output JSON text), $3 worker, $4 now, $5 channel.
 * (The object is looked up per row; joining the rows with unnest($1, $outputs) could be planned as a
 * nested loop that rescans the array for every row, O(batch²).)
 * Rows are not locked ahead (one WAL record and a page write less per run): the heartbeat, the other
 * multi-row writer of a worker's runs, never waits for a row lock, so the two cannot deadlock.
 * worker_id is set exactly while a run is running, so it is the whole fencing check (a condition on
 * status would also let the planner walk every running run through runs_running, per row).
 * Returns ONE row, not one per run: `n` runs completed; `ids` lists them only when some of `$1` were
 * not (fenced out: no longer held by this worker), as all of them were otherwise; `children` and
 * `parents` pair the completed runs that have a parent with it (null when none has).
 */
export const COMPLETE = `
WITH done AS (
  DELETE FROM :S.runs r WHERE r.id = ANY($1) AND r.worker_id = $3
  RETURNING ${movedRow({ ...FINISHED_NOW("$4"), status: "'completed'::text", output: "$2::jsonb ->> r.id" })}
), kept AS (
  ${keepMoved("done")}
), counted AS (
  ${countChanges("done", "'running'", "status")}
), minutes AS (
  ${countFinished("done")}
), closed AS (
  UPDATE :S.waits w SET resolved_at = $4 FROM done
  WHERE w.run_id = done.id AND w.resolved_at IS NULL
), pw AS (
  SELECT w.run_id, w.key, w.parent_key, w.created_at, w.child_run_id, d.output
  FROM :S.waits w JOIN done d ON w.child_run_id = d.id
  WHERE d.parent_run_id IS NOT NULL AND w.resolved_at IS NULL AND w.kind = 'child'
), ins AS (
  INSERT INTO :S.steps (run_id, key, parent_key, kind, status, output, error, attempts, started_at, finished_at, child_run_id)
  SELECT run_id, key, parent_key, 'child', 'completed',
    '{"ok":true,"id":' || to_json(child_run_id)::text || ',"output":' || coalesce(output, 'null') || '}',
    NULL, 1, created_at, $4, child_run_id
  FROM pw
  ON CONFLICT (run_id, key) DO UPDATE SET status = 'completed', output = excluded.output, error = NULL,
    finished_at = excluded.finished_at
  WHERE :S.steps.status <> 'completed'
), res AS (
  UPDATE :S.waits w SET resolved_at = $4 FROM pw WHERE w.run_id = pw.run_id AND w.key = pw.key
), wk AS (
  UPDATE :S.runs r SET status = 'queued', run_at = $4, updated_at = $4
  WHERE r.id IN (SELECT run_id FROM pw) AND r.status = 'waiting'
  RETURNING r.queue
), woken AS (
  ${countChanges("wk", "'waiting'", "'queued'")}
), nt AS (
  SELECT pg_notify($5, '') FROM (SELECT 1 FROM wk LIMIT 1) AS one
)
SELECT count(*) AS n, CASE WHEN count(*) < cardinality($1::text[]) THEN array_agg(id) END AS ids,
  array_agg(id) FILTER (WHERE parent_run_id IS NOT NULL) AS children,
  array_agg(parent_run_id) FILTER (WHERE parent_run_id IS NOT NULL) AS parents,
  (SELECT count(*) FROM nt) AS notified
FROM done`;

/**
 * Renews the leases of the runs this worker holds. Rows locked by someone else right now (this
 * worker's own completion, a cancel, a takeover) are skipped rather than waited for, so a heartbeat
 * never deadlocks with a completion; they are still reported held if they were at the start of the
 * statement (the next heartbeat settles them: a canceled or taken-over run is reported lost then).
 */
export const HEARTBEAT = `
WITH locked AS (
  SELECT id FROM :S.runs WHERE id = ANY($1) AND worker_id = $2 FOR UPDATE SKIP LOCKED
), renewed AS (
  UPDATE :S.runs r SET lease_expires_at = $3 WHERE r.id = ANY(ARRAY(SELECT id FROM locked))
)
SELECT id FROM :S.runs WHERE id = ANY($1) AND worker_id = $2`;

/** A run, live or finished, by id. */
export const RUN_BY_ID = `${selectRuns("runs")} WHERE id = $1 UNION ALL ${selectRuns("runs_done")} WHERE id = $1`;

export const EXPIRE_UNSTARTED = `
WITH old AS (
  SELECT id, status AS old_status FROM :S.runs
  WHERE expires_at IS NOT NULL AND expires_at <= $1 AND status IN ('queued', 'delayed') AND started_at IS NULL
  LIMIT 500 FOR UPDATE SKIP LOCKED
), u AS (
  DELETE FROM :S.runs r USING old WHERE r.id = old.id
  RETURNING ${movedRow({ ...FINISHED_NOW("$1"), status: "'expired'::text", error: "$2::text" })}
), kept AS (${keepMoved("u")}),
counted AS (${countChanges("u", "old_status", "status")}),
minutes AS (${countFinished("u")})
SELECT id, parent_run_id, status, output, error FROM u`;


export const LOST_LEASES_EXHAUSTED = `
SELECT id, attempt FROM :S.runs WHERE status = 'running' AND lease_expires_at <= $1 AND attempt >= max_attempts
LIMIT 500 FOR UPDATE SKIP LOCKED`;

export const DUE_TIMERS = `
SELECT * FROM :S.waits
WHERE run_id = ANY($1) AND resolved_at IS NULL AND wake_at IS NOT NULL AND wake_at <= $2
FOR UPDATE`;

export const STEPS_OF_RUNS = `SELECT * FROM :S.steps WHERE run_id = ANY($1) ORDER BY started_at, key`;

export const RELEASE = `
WITH locked AS (
  SELECT id FROM :S.runs WHERE id = ANY($1) AND worker_id = $2 ORDER BY id FOR UPDATE
), u AS (
  UPDATE :S.runs r SET status = 'queued', run_at = $3, updated_at = $3, worker_id = NULL, lease_expires_at = NULL
  FROM locked WHERE r.id = locked.id
  RETURNING r.queue
), counted AS (${countChanges("u", "'running'", "'queued'")})
SELECT 1 FROM u`;

export const FAIL_RETRY = `
WITH u AS (
  UPDATE :S.runs SET status = 'delayed', run_at = $4, attempt = attempt + 1, error = $3, updated_at = $5,
    worker_id = NULL, lease_expires_at = NULL
  WHERE id = $1 AND worker_id = $2 AND status = 'running'
  RETURNING queue
), counted AS (${countChanges("u", "'running'", "'delayed'")})
SELECT 1 FROM u`;

export const FAIL_FINAL = `
WITH u AS (
  DELETE FROM :S.runs r WHERE r.id = $1 AND r.worker_id = $2 AND r.status = 'running'
  RETURNING ${movedRow({ ...FINISHED_NOW("$4"), status: "'failed'::text", error: "$3::text" })}
), kept AS (${keepMoved("u")}),
counted AS (${countChanges("u", "'running'", "status")}),
minutes AS (${countFinished("u")})
SELECT parent_run_id FROM u`;

export const HELD_FOR_UPDATE = `SELECT 1 FROM :S.runs WHERE id = $1 AND worker_id = $2 AND status = 'running' FOR UPDATE`;

export const INSERT_WAITS = `
INSERT INTO :S.waits (run_id, key, parent_key, kind, created_at, wake_at, event_name, match, child_run_id)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[])
ON CONFLICT (run_id, key) DO NOTHING`;

export const WAITS_BY_KEYS = `SELECT * FROM :S.waits WHERE run_id = $1 AND key = ANY($2) FOR UPDATE`;

export const NEXT_TIMER = `SELECT min(wake_at) AS at FROM :S.waits WHERE run_id = $1 AND resolved_at IS NULL AND wake_at IS NOT NULL`;

/** (The caller holds the run, locked: it is running.) */
export const REQUEUE_HELD = `
WITH u AS (
  UPDATE :S.runs SET status = 'queued', run_at = $2, updated_at = $2, worker_id = NULL, lease_expires_at = NULL
  WHERE id = $1 AND status = 'running'
  RETURNING queue
), counted AS (${countChanges("u", "'running'", "'queued'")})
SELECT 1 FROM u`;

/** (The caller holds the run, locked: it is running.) */
export const MARK_WAITING = `
WITH u AS (
  UPDATE :S.runs SET status = 'waiting', run_at = $2, updated_at = $3, worker_id = NULL, lease_expires_at = NULL
  WHERE id = $1 AND status = 'running'
  RETURNING queue
), counted AS (${countChanges("u", "'running'", "'waiting'")})
SELECT 1 FROM u`;

/** Upserts a step if the worker holds the run; returns held = 1 or 0. */
export const SAVE_STEP = `
WITH held AS (SELECT 1 FROM :S.runs WHERE id = $1 AND worker_id = $2 AND status = 'running'),
ins AS (
  INSERT INTO :S.steps (run_id, key, parent_key, kind, status, output, error, attempts, started_at, finished_at, child_run_id)
  SELECT $1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM held
  ON CONFLICT (run_id, key) DO UPDATE SET
    parent_key = excluded.parent_key, kind = excluded.kind, status = excluded.status, output = excluded.output,
    error = excluded.error, attempts = excluded.attempts, started_at = excluded.started_at,
    finished_at = excluded.finished_at, child_run_id = excluded.child_run_id
  WHERE :S.steps.status <> 'completed'
)
SELECT count(*) AS held FROM held`;

export const INSERT_EVENT = `INSERT INTO :S.events (id, name, payload, created_at) VALUES ($1, $2, $3, $4)`;

export const OPEN_EVENT_WAITS = `
SELECT * FROM :S.waits WHERE kind = 'event' AND event_name = $1 AND resolved_at IS NULL AND created_at <= $2
ORDER BY created_at FOR UPDATE`;

export const UNFINISHED_CHILDREN = `
SELECT id FROM :S.runs WHERE parent_run_id = $1 AND status NOT IN ${FINISHED_SQL}`;

// --- run and wait transitions (the store-rule primitives of src/postgres/tx.ts)

export const INSERT_WAIT_STEP = `
INSERT INTO :S.steps (run_id, key, parent_key, kind, status, output, error, attempts, started_at, finished_at, child_run_id)
VALUES ($1, $2, $3, $4, 'completed', $5, NULL, 1, $6, $7, $8)
ON CONFLICT (run_id, key) DO UPDATE SET status = 'completed', output = excluded.output, error = NULL, finished_at = excluded.finished_at
WHERE :S.steps.status <> 'completed'`;

export const RESOLVE_WAIT = `UPDATE :S.waits SET resolved_at = $3 WHERE run_id = $1 AND key = $2`;

export const WAKE_RUNS = `
WITH u AS (
  UPDATE :S.runs SET status = 'queued', run_at = $2, updated_at = $2 WHERE id = ANY($1) AND status = 'waiting'
  RETURNING queue
), counted AS (${countChanges("u", "'waiting'", "'queued'")})
SELECT 1 FROM u`;

export const CLOSE_WAITS_OF_RUNS = `UPDATE :S.waits SET resolved_at = $2 WHERE resolved_at IS NULL AND run_id = ANY($1)`;

/** Locked, so two resolvers of one wait take turns and the second finds it resolved (READ COMMITTED re-check). */
export const OPEN_CHILD_WAITS = `SELECT * FROM :S.waits WHERE child_run_id = ANY($1) AND resolved_at IS NULL AND kind = 'child' ORDER BY run_id, key FOR UPDATE`;

export const FINISH_RUN = `
WITH old AS (
  SELECT id, status AS old_status FROM :S.runs WHERE id = $1 AND status NOT IN ${FINISHED_SQL} FOR UPDATE
), u AS (
  DELETE FROM :S.runs r USING old WHERE r.id = old.id
  RETURNING ${movedRow({ ...FINISHED_NOW("$4"), status: "$2::text", error: "coalesce($3::text, r.error)" })}
), kept AS (${keepMoved("u")}),
counted AS (${countChanges("u", "old_status", "status")}),
minutes AS (${countFinished("u")})
SELECT id, parent_run_id FROM u`;

export const EVENTS_SINCE = `SELECT payload FROM :S.events WHERE name = $1 AND created_at >= $2 AND created_at <= $3 ORDER BY created_at, seq`;

/**
 * A child's result, read by a parent suspending on it. `FOR SHARE` waits for a completion of the
 * child in flight (see `completeRuns`); a child that moved to the history meanwhile, or long ago, is
 * read by {@link FINISHED_RESULT}, the next statement, whose snapshot sees the finished row.
 */
export const RUN_RESULT = `SELECT status, output, error FROM :S.runs WHERE id = $1 FOR SHARE`;

export const FINISHED_RESULT = `SELECT status, output, error FROM :S.runs_done WHERE id = $1`;
