/**
 * The SQL that inserts runs into the PostgreSQL store (`:S.` = the quoted schema): plain triggers (one
 * run, or a batch), and the runs with an idempotency or a debounce key with the statements that
 * look up, hold and free those keys.
 */
import { countChanges } from "./counts.ts";
import { ALL_RUNS } from "./history.ts";

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
 * Default runs of one task and queue inserted at one time (insert-batch.ts): $1 ids and $2 payloads
 * as `text[]`, $3 task, $4 queue, $5 time of insert, $6 attempts, $7 channel; insert and NOTIFY in one
 * autocommit statement, as {@link INSERT_RUNS_NOTIFY}.
 */
export const INSERT_DEFAULT_RUNS_NOTIFY = `
WITH ins AS (
  INSERT INTO :S.runs (id, task_id, queue, status, payload, priority, run_at, created_at, updated_at, attempt, max_attempts, tags)
  SELECT x.id, $3::text, $4::text, 'queued', x.payload, 0, $5::bigint, $5::bigint, $5::bigint, 1, $6::int, '{}'::text[]
  FROM unnest($1::text[], $2::text[]) AS x(id, payload)
  RETURNING queue, status
), counted AS (${countChanges("ins", null, "status")})
SELECT pg_notify($7, '') FROM (SELECT 1 FROM ins LIMIT 1) AS one`;

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
