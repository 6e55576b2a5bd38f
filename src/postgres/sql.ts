/** The SQL of the PostgreSQL store (`:S.` = the quoted schema). Hot statements first. */
import { FINISHED_SQL } from "../store/rules/payloads.ts";
import { countChanges, countFinished } from "./counts.ts";
import { ALL_RUNS, FINISHED_NOW, keepMoved, movedRow, selectRuns } from "./history.ts";

const RUN_COLUMNS = `id, task_id, queue, concurrency_key, status, payload, priority, run_at, created_at, updated_at,
  attempt, max_attempts, idempotency_key, idempotency_expires_at, expires_at, tags, parent_run_id, schedule_id, trace_context`;

/**
 * The rows of a batch of runs from parallel arrays ($1 … $17, $9 the time of the insert). With
 * `nowPerRun`, $9 is an array too (one time per run): triggers of several callers sent together.
 */
const unnestRuns = (nowPerRun: boolean): string => `SELECT x.id, x.task_id, x.queue, x.concurrency_key, x.status, x.payload, x.priority, x.run_at,
    ${nowPerRun ? "x.at, x.at" : "$9, $9"},
    1, x.max_attempts, x.idempotency_key, x.idempotency_expires_at, x.expires_at,
    CASE WHEN x.tags = '[]' THEN '{}'::text[] ELSE ARRAY(SELECT json_array_elements_text(x.tags::json)) END, x.parent_run_id, x.schedule_id,
    x.trace_context
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::bigint[],
              $10::int[], $11::text[], $12::bigint[], $13::bigint[], $14::text[], $15::text[], $16::text[], $17::text[]${nowPerRun ? ", $9::bigint[]" : ""})
    AS x(id, task_id, queue, concurrency_key, status, payload, priority, run_at,
         max_attempts, idempotency_key, idempotency_expires_at, expires_at, tags, parent_run_id, schedule_id, trace_context${nowPerRun ? ", at" : ""})`;

const UNNEST_RUNS = unnestRuns(false);

/** Queues with a concurrency limit or a rate limit: their runs are claimed by `claimLimited`, under the queue's lock. */
export const LIMITED_QUEUES = `SELECT name, concurrency_limit FROM :S.queues WHERE concurrency_limit IS NOT NULL OR rate_limit IS NOT NULL`;

export const LOCK_QUEUES = `
SELECT name, concurrency_limit, rate_limit, rate_period_ms, rate_per_key FROM :S.queues WHERE name = ANY($1) ORDER BY name FOR UPDATE`;

/** Recent claims of rate-limited groups ($1 queues, $2 keys, pairwise) inside their queue's window ($3 now). */
export const RATE_STARTS = `
SELECT s.queue, s.key, s.started_at AS "startedAt" FROM :S.rate_starts s JOIN :S.queues q ON q.name = s.queue
WHERE (s.queue, s.key) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND s.started_at > $3 - q.rate_period_ms`;

/**
 * What the rate limits decided, in one statement: records the claims made ($1 queues, $2 keys, $3
 * times), moves held-back runs to their next start ($4 ids, $5 times) and deletes claims that left
 * their queue's window ($6 queues, $7 horizons).
 */
export const RECORD_RATES = `
WITH ins AS (
  INSERT INTO :S.rate_starts (queue, key, started_at) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
), held AS (
  UPDATE :S.runs r SET run_at = h.at, rate_limited_until = h.at FROM unnest($4::text[], $5::bigint[]) AS h(id, at) WHERE r.id = h.id
)
DELETE FROM :S.rate_starts s USING unnest($6::text[], $7::bigint[]) AS o(queue, since)
WHERE s.queue = o.queue AND s.started_at <= o.since`;

export const RUNNING_COUNTS = `
SELECT queue, concurrency_key, count(*) AS n FROM :S.runs
WHERE status = 'running' AND queue = ANY($1) GROUP BY queue, concurrency_key`;

/** $4: the task ids a worker claims (routing), or null for every task. */
export const LIMITED_CANDIDATES = `
SELECT id, queue, concurrency_key, status FROM :S.runs
WHERE ((status IN ('queued', 'delayed', 'waiting') AND run_at <= $1)
    OR (status = 'running' AND lease_expires_at <= $1 AND attempt < max_attempts))
  AND queue = ANY($2) AND ($4::text[] IS NULL OR task_id = ANY($4::text[]))
ORDER BY (status = 'running') DESC, priority DESC, run_at, id
LIMIT $3
FOR UPDATE SKIP LOCKED`;

export const MARK_CLAIMED = `
WITH c AS (SELECT id, started_at IS NOT NULL AS hist, queue, status AS old_status FROM :S.runs WHERE id = ANY($1)),
claimed AS (
  UPDATE :S.runs r SET status = 'running', worker_id = $2, lease_expires_at = $3,
    attempt = r.attempt + (CASE WHEN r.status = 'running' THEN 1 ELSE 0 END),
    started_at = coalesce(r.started_at, $4), updated_at = $4
  WHERE r.id = ANY($1)
  RETURNING r.*
), counted AS (
  ${countChanges("c", "old_status", "'running'")}
)
SELECT claimed.*, (SELECT array_agg(id) FROM c WHERE hist) AS history FROM claimed`;

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

export const INSERT_RUNS = `
WITH ins AS (INSERT INTO :S.runs (${RUN_COLUMNS}) ${UNNEST_RUNS} RETURNING queue, status),
counted AS (${countChanges("ins", null, "status")})
SELECT 1 FROM ins`;

/**
 * Runs without idempotency keys, possibly of several triggers ($9: each run's time of insert): insert
 * and NOTIFY in one autocommit statement ($18 = channel).
 */
export const INSERT_RUNS_NOTIFY = `
WITH ins AS (INSERT INTO :S.runs (${RUN_COLUMNS}) ${unnestRuns(true)} RETURNING queue, status),
counted AS (${countChanges("ins", null, "status")})
SELECT pg_notify($18, '') FROM (SELECT 1 FROM ins LIMIT 1) AS one`;

/**
 * ONE run without an idempotency key (a plain trigger): {@link INSERT_RUNS_NOTIFY} with the values
 * as parameters ($1 … $17 in the order of `insertParams`, $9 the time of insert, $18 the channel).
 * A one-row `unnest` of 17 arrays costs ~0.2–0.3 ms of the server's CPU per statement (each array
 * goes through a tuplestore of its own), a VALUES row next to nothing.
 */
export const INSERT_RUN_NOTIFY = `
WITH ins AS (
  INSERT INTO :S.runs (${RUN_COLUMNS})
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 1, $10, $11, $12, $13, $14::text[], $15, $16, $17)
  RETURNING queue, status
), counted AS (${countChanges("ins", null, "status")})
SELECT pg_notify($18, '') FROM ins`;

/**
 * Inserts the run unless its (task, idempotency key) is taken: the key's row in run_keys first (a
 * concurrent insert of the same key waits for this one, then does nothing), the run only if the key
 * was free. One row back when it was inserted.
 */
export const INSERT_RUN_IDEMPOTENT = `
WITH k AS (
  INSERT INTO :S.run_keys (task_id, idempotency_key, run_id) VALUES (($2::text[])[1], ($11::text[])[1], ($1::text[])[1])
  ON CONFLICT DO NOTHING
  RETURNING 1
), ins AS (
  INSERT INTO :S.runs (${RUN_COLUMNS}) ${UNNEST_RUNS}
  WHERE EXISTS (SELECT 1 FROM k)
  RETURNING queue, status
), counted AS (${countChanges("ins", null, "status")})
SELECT 1 FROM ins`;

/** The pending (never started) debounced run of a task and key, locked (docs/CONTRACT.md §7). */
export const PENDING_DEBOUNCED = `
SELECT * FROM :S.runs WHERE task_id = $1 AND debounce_key = $2 AND status IN ('queued', 'delayed') AND started_at IS NULL
FOR UPDATE`;

/** A debounced run ($18 key, $19 until; $17 is the trace context of UNNEST_RUNS), unless a pending run holds its (task, debounce key): one row back when inserted. */
export const INSERT_RUN_IF_DEBOUNCE_FREE = `
WITH ins AS (
  INSERT INTO :S.runs (${RUN_COLUMNS}, debounce_key, debounce_until)
  SELECT u.*, $18::text, $19::bigint FROM (${UNNEST_RUNS.replace("$9, $9", "$9::bigint, $9::bigint")}) AS u
  ON CONFLICT DO NOTHING
  RETURNING queue, status
), counted AS (${countChanges("ins", null, "status")})
SELECT 1 FROM ins`;

/** A later debounced trigger: new payload, new start (never after the stored cap). */
export const UPDATE_DEBOUNCED = `
UPDATE :S.runs SET payload = $2, run_at = LEAST($3::bigint, coalesce(debounce_until, $3::bigint)), updated_at = $4
WHERE id = $1 RETURNING *`;

/** The run holding (task $1, key $2), its key row locked: two triggers that find the key expired take turns. */
export const BY_IDEMPOTENCY_KEY = `SELECT run_id FROM :S.run_keys WHERE task_id = $1 AND idempotency_key = $2 FOR UPDATE`;

/** A run, live or finished, by id. */
export const RUN_BY_ID = `${selectRuns("runs")} WHERE id = $1 UNION ALL ${selectRuns("runs_done")} WHERE id = $1`;

/**
 * Frees the key of run $1 (its row in run_keys, locked by {@link BY_IDEMPOTENCY_KEY}) and clears it on
 * the run if the run is unfinished; {@link RELEASE_IDEMPOTENCY_KEY_DONE}, the next statement, clears
 * it on a finished run (a run that moved meanwhile is seen there, in the next statement's snapshot).
 */
export const RELEASE_IDEMPOTENCY_KEY = `
WITH k AS (
  DELETE FROM :S.run_keys k USING ${ALL_RUNS} r
  WHERE r.id = $1 AND k.task_id = r.task_id AND k.idempotency_key = r.idempotency_key AND k.run_id = $1
)
UPDATE :S.runs SET idempotency_key = NULL WHERE id = $1`;

export const RELEASE_IDEMPOTENCY_KEY_DONE = `UPDATE :S.runs_done SET idempotency_key = NULL WHERE id = $1`;

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

export const UPSERT_QUEUES = `
INSERT INTO :S.queues (name, concurrency_limit, rate_limit, rate_period_ms, rate_per_key)
SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::bigint[], $5::boolean[]) ORDER BY 1
ON CONFLICT (name) DO UPDATE SET concurrency_limit = excluded.concurrency_limit, rate_limit = excluded.rate_limit,
  rate_period_ms = excluded.rate_period_ms, rate_per_key = excluded.rate_per_key`;

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
