/**
 * Checks of a PostgreSQL store's bookkeeping against its rows, for the tests: the run counters
 * (run_counts, run_minutes) against counting both run tables, every run in the table its status
 * belongs to, and each idempotency key held by one run.
 */
import assert from "node:assert/strict";
import pg from "pg";
import { FINISHED_SQL } from "../../src/store/rules/payloads.ts";

/** Asserts that the counters of `schema` match the runs table (when the schema has counters). */
export async function assertCountersExact(connectionString: string, schema: string): Promise<void> {
  const c = new pg.Client({ connectionString });
  await c.connect();
  try {
    const S = (sql: string) => sql.replaceAll(":S.", `${c.escapeIdentifier(schema)}.`);
    const has = await c.query("SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'run_counts'", [schema]);
    if (has.rows.length === 0) return;
    const counted = await c.query(S(`SELECT queue, status, sum(n)::bigint AS n FROM :S.run_counts GROUP BY 1, 2 HAVING sum(n) <> 0 ORDER BY 1, 2`));
    const all = `(SELECT queue, status, started_at, finished_at FROM :S.runs UNION ALL SELECT queue, status, started_at, finished_at FROM :S.runs_done)`;
    const actual = await c.query(S(`SELECT queue, status, count(*)::bigint AS n FROM ${all} AS r GROUP BY 1, 2 ORDER BY 1, 2`));
    assert.deepEqual(counted.rows, actual.rows, "run_counts equals the runs table");
    const minutes = await c.query(
      S(`SELECT minute, sum(finished)::bigint AS finished, sum(completed)::bigint AS completed, sum(failed)::bigint AS failed,
           sum(duration_sum)::bigint AS duration_sum, sum(duration_n)::bigint AS duration_n
         FROM :S.run_minutes GROUP BY 1 HAVING sum(finished) <> 0 ORDER BY 1`),
    );
    const runs = await c.query(
      S(`SELECT finished_at / 60000 * 60000 AS minute, count(*)::bigint AS finished, count(*) FILTER (WHERE status = 'completed')::bigint AS completed,
           count(*) FILTER (WHERE status = 'failed')::bigint AS failed, coalesce(sum(finished_at - started_at), 0)::bigint AS duration_sum,
           count(started_at)::bigint AS duration_n
         FROM ${all} AS r WHERE finished_at IS NOT NULL GROUP BY 1 ORDER BY 1`),
    );
    assert.deepEqual(minutes.rows, runs.rows, "run_minutes equals the finished runs");
    const misplaced = await c.query(
      S(`SELECT 'runs' AS t, id, status FROM :S.runs WHERE status IN ${FINISHED_SQL}
         UNION ALL SELECT 'runs_done', id, status FROM :S.runs_done WHERE status NOT IN ${FINISHED_SQL}`),
    );
    assert.deepEqual(misplaced.rows, [], "unfinished runs are in runs, finished ones in runs_done");
    const keys = await c.query(
      S(`SELECT task_id, idempotency_key, count(*)::int AS n FROM (SELECT task_id, idempotency_key FROM :S.runs UNION ALL SELECT task_id, idempotency_key FROM :S.runs_done) AS r
         WHERE idempotency_key IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1`),
    );
    assert.deepEqual(keys.rows, [], "an idempotency key is held by one run of a task, live or finished");
  } finally {
    await c.end();
  }
}
