/**
 * The SQL of the queues with a concurrency or rate limit in the PostgreSQL store (`:S.` = the quoted
 * schema): their settings, and the claim from them (`claimLimited` in store.ts), which locks their
 * rows so the limits hold across every process.
 */
import { countChanges } from "./counts.ts";

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

export const UPSERT_QUEUES = `
INSERT INTO :S.queues (name, concurrency_limit, rate_limit, rate_period_ms, rate_per_key)
SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::bigint[], $5::boolean[]) ORDER BY 1
ON CONFLICT (name) DO UPDATE SET concurrency_limit = excluded.concurrency_limit, rate_limit = excluded.rate_limit,
  rate_period_ms = excluded.rate_period_ms, rate_per_key = excluded.rate_per_key`;
