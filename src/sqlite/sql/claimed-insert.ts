/**
 * The SQL of `Store.createClaimedRun` on SQLite: a plain trigger handed straight to an idle worker of
 * the triggering process, inserted already claimed in ONE statement, unless a claim by that worker
 * would take another run first (then the run is inserted queued, as a plain trigger is, and the
 * store notifies). The decision and the insert are one statement: in WAL mode a writing statement
 * reads the newest snapshot, and no other writer can commit in between.
 */
import { uncountedSuffix } from "../counts.ts";
import { LIMITED, QUEUES, TASKS } from "./claim.ts";
import { IN_CLAIM_INDEX, INSERT_COLUMNS } from "./runs.ts";

/**
 * The worker's part of the runs table, as its claim sees it: its queues (@queues, JSON array or null
 * for every queue) and tasks (@tasks, likewise), without the queues that have a concurrency or rate
 * limit (a claim takes those after checking their limits, which a handed-over run skips).
 */
const WORKERS_RUNS = `${QUEUES} AND ${TASKS} AND queue NOT IN (SELECT name FROM queues WHERE ${LIMITED})`;

/** A ready run of the worker's (due, not past its ttl) whose priority meets `priority`: walks runs_claim. */
const readyRun = (priority: string) => `EXISTS (
    SELECT 1 FROM runs INDEXED BY runs_claim WHERE ${IN_CLAIM_INDEX} AND ${priority} AND run_at <= @now
      AND (expires_at IS NULL OR expires_at > @now OR started_at IS NOT NULL) AND ${WORKERS_RUNS})`;

/**
 * `go`: the run's queue has no limit; no lease of the worker's runs has expired (a claim takes those
 * over first); no due run of the worker's has a priority ≥ the run's (claim order: priority, run_at,
 * id; an equal priority due now came first). The probes walk the partial indexes a claim walks
 * (runs_claim, runs_running up to now), so on an idle system they read nothing: the equal priority
 * as a seek on (priority, run_at), the higher ones as a range.
 */
const GO = `SELECT NOT EXISTS (SELECT 1 FROM queues WHERE name = @queue AND ${LIMITED})
    AND NOT EXISTS (
      SELECT 1 FROM runs INDEXED BY runs_running WHERE status = 'running' AND lease_expires_at <= @now AND attempt < max_attempts
        AND ${WORKERS_RUNS})
    AND NOT ${readyRun("priority = @priority")}
    AND NOT ${readyRun("priority > @priority")} AS go`;

/**
 * Claimed, the row is what a claim (claim.ts MARK_CLAIMED) would leave: running, leased by @worker
 * until @lease, started now, attempt 1. Not claimed: the row is a plain trigger's (@status, queued).
 * One row back, its `status`.
 */
const INSERT = `
INSERT INTO runs (${INSERT_COLUMNS}, worker_id, lease_expires_at, started_at)
SELECT @id, @task_id, @queue, @concurrency_key, CASE WHEN go THEN 'running' ELSE @status END, @payload, @priority, @run_at, @now, @now,
  1, @max_attempts, @idempotency_key, @idempotency_expires_at, @expires_at, @tags, @parent_run_id, @schedule_id, @trace_context,
  CASE WHEN go THEN @worker END, CASE WHEN go THEN @lease END, CASE WHEN go THEN @now END
FROM (${GO})`;

/** Inside a counted transaction: the caller records the row's status in the counts. */
export const INSERT_CLAIMED_COUNTED = `${INSERT}
RETURNING status`;

/**
 * In autocommit, uncounted (counts.ts): inserted only if the id is after the counts' marker; no row
 * back when it was not inserted.
 */
export const INSERT_CLAIMED_UNCOUNTED = `${INSERT}${uncountedSuffix("@id")}
RETURNING status`;
