/**
 * Run counters of the PostgreSQL store: what `stats()` and `metrics()` read instead of counting the
 * runs table (seconds with a million finished runs).
 *
 * - `run_counts (queue, status, n)`: every statement that inserts, deletes or changes the status of
 *   runs adds rows of deltas (−1 for the old status, +1 for the new one, summed per queue and
 *   status) in the same statement, so the counts commit or roll back with the change itself. A
 *   queue's count of a status is the sum of its rows.
 * - `run_minutes (minute, …)`: every statement that finishes runs adds, per minute of `finished_at`,
 *   how many completed and failed, and the sum, count and maximum of their durations.
 *
 * Both tables only ever get inserts from the hot path (no row is updated, so concurrent workers never
 * wait on each other's counter rows); {@link COMPACT_COUNTS} and {@link COMPACT_MINUTES} fold the
 * deltas into one row per key from time to time. The SQL snippets below are CTE bodies that the
 * statements of sql.ts embed.
 */

/**
 * Adds to run_counts the status change of every row of the CTE `src` (which has a `queue` column):
 * from the status `from` to the status `to`, each an SQL expression over `src` (e.g. `old_status`,
 * `'running'`), or null for a row that appears (insert) or disappears (delete).
 */
export function countChanges(src: string, from: string | null, to: string | null): string {
  if (from === null || to === null) {
    const [status, n] = from === null ? [to!, "count(*)"] : [from, "-count(*)"];
    return `INSERT INTO :S.run_counts (queue, status, n)
  SELECT queue, ${status}, ${n} FROM ${src} GROUP BY 1, 2`;
  }
  // One pass over src, grouped by (queue, from, to); each group then yields its −n and +n, and the
  // few rows that gives are summed again (a run that stays in its status nets to nothing).
  return `INSERT INTO :S.run_counts (queue, status, n)
  SELECT g.queue, d.status, sum(d.n) FROM (SELECT queue, ${from} AS f, ${to} AS t, count(*) AS k FROM ${src} GROUP BY 1, 2, 3) AS g
  CROSS JOIN LATERAL (VALUES (g.f, -g.k), (g.t, g.k)) AS d(status, n)
  GROUP BY 1, 2 HAVING sum(d.n) <> 0`;
}

/**
 * Adds to run_minutes the rows of the CTE `src` (columns status, started_at, finished_at) that just
 * finished, or with `sign` −1 takes away rows that are deleted (their maximum duration stays).
 */
export function countFinished(src: string, sign: 1 | -1 = 1): string {
  const m = sign === 1 ? "" : "-";
  return `INSERT INTO :S.run_minutes (minute, finished, completed, failed, duration_sum, duration_n, duration_max)
  SELECT finished_at / 60000 * 60000, ${m}count(*), ${m}count(*) FILTER (WHERE status = 'completed'), ${m}count(*) FILTER (WHERE status = 'failed'),
    ${m}coalesce(sum(finished_at - started_at), 0), ${m}count(started_at), ${sign === 1 ? "max(finished_at - started_at)" : "NULL::bigint"}
  FROM ${src} WHERE finished_at IS NOT NULL GROUP BY 1`;
}

/** The tables, and counts of the runs already stored (a database migrated from an earlier version). */
export const COUNTERS_MIGRATION = `
CREATE TABLE :S.run_counts (queue text NOT NULL, status text NOT NULL, n bigint NOT NULL);
CREATE TABLE :S.run_minutes (
  minute bigint NOT NULL,
  finished bigint NOT NULL,
  completed bigint NOT NULL,
  failed bigint NOT NULL,
  duration_sum bigint NOT NULL,
  duration_n bigint NOT NULL,
  duration_max bigint
);
-- The overview reads the last hour out of months of minutes.
CREATE INDEX run_minutes_minute ON :S.run_minutes (minute);
INSERT INTO :S.run_counts (queue, status, n) SELECT queue, status, count(*) FROM :S.runs GROUP BY queue, status;
${countFinished(":S.runs")};
`;

/**
 * Folds the deltas into one row per (queue, status). Safe alongside writers (it deletes only rows
 * committed before it started) and alongside another compaction (a row is deleted, and so summed,
 * by exactly one of them).
 */
export const COMPACT_COUNTS = `
WITH gone AS (DELETE FROM :S.run_counts RETURNING queue, status, n)
INSERT INTO :S.run_counts (queue, status, n) SELECT queue, status, sum(n) FROM gone GROUP BY queue, status HAVING sum(n) <> 0`;

export const COMPACT_MINUTES = `
WITH gone AS (DELETE FROM :S.run_minutes RETURNING *)
INSERT INTO :S.run_minutes (minute, finished, completed, failed, duration_sum, duration_n, duration_max)
  SELECT minute, sum(finished), sum(completed), sum(failed), sum(duration_sum), sum(duration_n), max(duration_max)
  FROM gone GROUP BY minute HAVING sum(finished) <> 0`;

/** Current counts per queue and status (only the non-zero ones). */
export const READ_COUNTS = `
SELECT queue, status, sum(n) AS n, count(*) AS rows FROM :S.run_counts GROUP BY queue, status HAVING sum(n) <> 0 ORDER BY queue, status`;

/** Finished runs per `$2`-ms bucket since `$1` (both whole minutes), from the minute counters. */
export const READ_MINUTES = `
SELECT minute / $2 * $2 AS at, sum(completed) AS completed, sum(failed) AS failed,
  sum(duration_sum)::numeric / nullif(sum(duration_n), 0) AS avg_ms, max(duration_max) AS max_ms
FROM :S.run_minutes WHERE minute >= $1
GROUP BY 1 HAVING sum(finished) > 0 ORDER BY 1`;

/** Minutes that end before `$1` (prune deleted their runs): dropped whole, maximum included. */
export const PRUNE_MINUTES = `DELETE FROM :S.run_minutes WHERE minute + 60000 <= $1`;
