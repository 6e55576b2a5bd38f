/**
 * The claim statement of the PostgreSQL store (queues without a concurrency limit) and what shapes
 * it: the claim cap and the queue filter. `:S.` = the quoted schema.
 */
import { countChanges } from "./counts.ts";
import { RUN_COLUMN_NAMES } from "./history.ts";
import { KNOWN_COLUMNS } from "./rows.ts";

/**
 * The claimed runs' columns a claim returns: all but those the claimer knows (rows.ts, KNOWN_COLUMNS).
 * Each run crosses the wire and is parsed with five columns fewer, the worker's id among them.
 */
const CLAIM_RETURNS = RUN_COLUMN_NAMES.filter((c) => !KNOWN_COLUMNS.includes(c)).map((c) => `r.${c}`).join(", ");

/**
 * Claim from queues without a concurrency limit: one statement. Takes over runs whose lease expired
 * (attempt + 1) first, then ready runs by priority, runAt, id. Never claims a run that is due to
 * expire (ttl passed before it started) or whose lease expired with no attempts left; instead it
 * reports in `due` that such runs exist, and the store then expires or fails them (MAINTENANCE_*).
 * Always returns at least one row: with no run claimed, one row whose `id` is null carries `due`.
 * `history` lists the claimed runs that started before (their steps must be loaded). The runs' rows
 * leave out what the claimer knows (status running, worker `$3`, lease `$4`, updated at `$1`, not
 * finished): see {@link CLAIM_RETURNS}.
 * $1 now, $2 limit (≤ `cap`), $3 worker, $4 lease. `filter` is `""` or SQL narrowing the queues
 * (see {@link queueFilter}), with the queue names as literals.
 *
 * Planning. A claim must run on a generic plan (planned once per connection): planning this
 * statement costs more than executing it for a small batch. PostgreSQL keeps re-planning a named
 * statement while a plan for the actual values looks cheaper than the generic one, which it does
 * when the planner can see `now` (how many runs are due) and the limit; so both reach the planner
 * only as `(SELECT $n)`, a value it cannot see in either plan. And the generic plan must be the
 * right one: one named statement per cap and filter, `cap` a constant (a power of two) and the
 * queue names literals in the text; with `LIMIT $n` or `queue = ANY($n)` the generic plan reads
 * and sorts the whole backlog (bitmap scan plus sort, O(backlog) per claim) instead of walking
 * runs_claim in order. The sub-selects stop at `cap`; the outer limit stops pulling (and so
 * locking) at the exact limit, as a `WITH` query runs only as far as its reader asks.
 */
export function claimFree(cap: number, filter: string): string {
  return `
WITH lost AS (
  SELECT id, started_at IS NOT NULL AS hist, queue, status AS old_status FROM :S.runs
  WHERE status = 'running' AND lease_expires_at <= (SELECT $1::bigint) AND attempt < max_attempts${filter}
  LIMIT ${cap}
  FOR UPDATE SKIP LOCKED
), ready AS (
  SELECT id, started_at IS NOT NULL AS hist, queue, status AS old_status FROM :S.runs
  WHERE status IN ('queued', 'delayed', 'waiting') AND run_at <= (SELECT $1::bigint)
    AND (expires_at IS NULL OR expires_at > (SELECT $1::bigint) OR started_at IS NOT NULL)${filter}
  ORDER BY priority DESC, run_at, id
  LIMIT ${cap}
  FOR UPDATE SKIP LOCKED
), c AS (
  -- Takeovers first, then ready runs in claim order; no sort, so nothing beyond the limit is read.
  SELECT * FROM lost UNION ALL SELECT * FROM ready LIMIT (SELECT $2::int)
), claimed AS (
  -- "id = ANY(ARRAY(...))" keeps the update on the primary key; a join with c could be planned as a
  -- hash join over the whole table.
  UPDATE :S.runs r SET status = 'running', worker_id = $3, lease_expires_at = $4,
    attempt = r.attempt + (CASE WHEN r.status = 'running' THEN 1 ELSE 0 END),
    started_at = coalesce(r.started_at, $1), updated_at = $1
  WHERE r.id = ANY(ARRAY(SELECT id FROM c))
  RETURNING ${CLAIM_RETURNS}
), counted AS (
  ${countChanges("c", "old_status", "'running'")}
)
-- One-row subqueries (evaluated once), never a lookup per claimed row.
SELECT claimed.*, m.history, m.due FROM (
  SELECT (SELECT array_agg(id) FROM c WHERE hist) AS history, ${dueSql("(SELECT $1::bigint)")} AS due
) AS m LEFT JOIN claimed ON true`;
}

/**
 * SQL narrowing a claim to `queues` (null = every queue) minus the `limited` ones, and to the runs of
 * `tasks` (routing; null = every task), names as literals (`quote` makes a string literal). A worker's
 * task set is fixed, so it adds one named statement per worker set, never a parameter the generic
 * plan would have to guess about.
 */
export function queueFilter(
  queues: readonly string[] | null,
  limited: readonly string[],
  quote: (s: string) => string,
  tasks: readonly string[] | null = null,
): string {
  const list = (xs: readonly string[]) => xs.map(quote).join(", ");
  const only = queues === null ? "" : queues.length === 0 ? " AND false" : ` AND queue IN (${list(queues)})`;
  const not = limited.length === 0 ? "" : ` AND queue NOT IN (${list(limited)})`;
  const routed = tasks === null ? "" : tasks.length === 0 ? " AND false" : ` AND task_id IN (${list([...tasks].sort())})`;
  return only + not + routed;
}

/**
 * The `cap` of {@link claimFree} for a claim of `limit` runs: 1024, or the next power of two above.
 * One cap for every usual limit means one named statement, prepared (five custom plans, then the
 * generic one) once per connection rather than once per limit a worker happens to ask for; a large
 * cap costs nothing at run time, as the sub-selects are read only up to the limit.
 */
export function claimCap(limit: number): number {
  let cap = 1024;
  while (cap < limit) cap *= 2;
  return cap;
}

/** Whether runs are due to expire or to fail for a lost lease (index probes on runs_expiry and runs_running). */
function dueSql(now: string): string {
  return `(EXISTS (SELECT 1 FROM :S.runs WHERE expires_at IS NOT NULL AND expires_at <= ${now} AND status IN ('queued', 'delayed') AND started_at IS NULL)
    OR EXISTS (SELECT 1 FROM :S.runs WHERE status = 'running' AND lease_expires_at <= ${now} AND attempt >= max_attempts))`;
}
