/**
 * The SQL of `Store.createClaimedRun` on PostgreSQL (`:S.` = the quoted schema): a plain trigger
 * handed straight to an idle worker of the triggering process, inserted already claimed in ONE
 * autocommit statement (one WAL flush, one round trip), unless a claim by that worker would take
 * another run first (then the run is inserted queued and notified, as a plain trigger is).
 */
import { countChanges } from "./counts.ts";

const RUN_COLUMNS = `id, task_id, queue, concurrency_key, status, payload, priority, run_at, created_at, updated_at,
  attempt, max_attempts, idempotency_key, idempotency_expires_at, expires_at, tags, parent_run_id, schedule_id, trace_context,
  worker_id, lease_expires_at, started_at`;

/**
 * The worker's part of the runs table, as its claim sees it: its queues ($19, null = every queue) and
 * tasks ($20, null = every task), without the queues that have a concurrency or rate limit (a claim
 * takes those after every other run, under their lock: claim-limited.ts).
 */
const WORKERS_RUNS = `($19::text[] IS NULL OR queue = ANY($19::text[])) AND ($20::text[] IS NULL OR task_id = ANY($20::text[]))
      AND queue NOT IN (SELECT name FROM :S.queues WHERE concurrency_limit IS NOT NULL OR rate_limit IS NOT NULL)`;

/** A ready run of the worker's a claim would take before a run of priority $7 made at $9 (claim order: priority, run_at, id). */
const readyBefore = (priority: string) => `(
    SELECT true FROM :S.runs WHERE status IN ('queued', 'delayed', 'waiting') AND ${priority} AND run_at <= $9::bigint
      AND (expires_at IS NULL OR expires_at > $9::bigint OR started_at IS NOT NULL) AND ${WORKERS_RUNS}
    ORDER BY priority DESC, run_at, id LIMIT 1) IS NOT NULL`;

/**
 * $1 … $17 as `insertOneParams` (tx.ts; $5 'queued', $9 the time of insert), $18 the channel, $19 the
 * worker's queues, $20 its tasks, $21 the worker's id, $22 the lease's end. One row back: `claimed`.
 *
 * `go` is decided in the statement's snapshot: the run's queue has no limit; no lease of the
 * worker's runs has expired (a claim takes those over first); no due run of the worker's comes
 * before this one. The probes walk the partial indexes a claim walks (runs_claim: priority equal
 * and due, then any higher priority; runs_running up to now), so on an idle system they read
 * nothing. The ready probes are scalar sub-selects in claim order (`ORDER BY … LIMIT 1`), not
 * EXISTS (which drops the order): the generic plan then walks the index; with EXISTS the planner's
 * guess that a third of the table is due made it a sequential scan, 6–8 ms at 20k delayed runs. `go`
 * is MATERIALIZED: read four times, it would otherwise be inlined and probed four times. Claimed, the
 * row is what the claim statement (claim-sql.ts) would leave: running,
 * leased, started now, attempt 1; the counters get +1 running, as a claim's queued → running
 * nets. Not claimed: the row is a plain trigger's, and the statement notifies.
 */
export const INSERT_CLAIMED_RUN = `
WITH go AS MATERIALIZED (
  SELECT NOT EXISTS (SELECT 1 FROM :S.queues WHERE name = $3::text AND (concurrency_limit IS NOT NULL OR rate_limit IS NOT NULL))
    AND NOT EXISTS (
      SELECT 1 FROM :S.runs WHERE status = 'running' AND lease_expires_at <= $9::bigint AND attempt < max_attempts AND ${WORKERS_RUNS})
    AND NOT ${readyBefore("priority = $7::int")}
    AND NOT ${readyBefore("priority > $7::int")} AS claim
), ins AS (
  INSERT INTO :S.runs (${RUN_COLUMNS})
  SELECT $1, $2, $3, $4, CASE WHEN go.claim THEN 'running' ELSE $5::text END, $6, $7, $8, $9, $9, 1, $10, $11, $12, $13, $14::text[], $15, $16, $17,
    CASE WHEN go.claim THEN $21::text END, CASE WHEN go.claim THEN $22::bigint END, CASE WHEN go.claim THEN $9::bigint END
  FROM go
  RETURNING queue, status
), counted AS (${countChanges("ins", null, "status")})
SELECT status = 'running' AS claimed, CASE WHEN status <> 'running' THEN pg_notify($18, '') END AS notified FROM ins`;
