/** Read-side and bookkeeping calls of the PostgreSQL store. */
import type { ListRunsParams, RunStatus, StoreQueries } from "../store/types.ts";
import { checkBucket, pageLimit, stepsInOrder, toPage, zeroByStatus } from "../store/rules/reads.ts";
import { transaction } from "./driver.ts";
import { countChanges, countFinished, PRUNE_MINUTES, READ_COUNTS, READ_MINUTES } from "./counts.ts";
import type { Resolved } from "./open.ts";
import { toLog, toRun, toSchedule, toStep, toWait, type WaitRow } from "./rows.ts";
import { isFinished } from "../store/rules/payloads.ts";
import { selectRuns } from "./history.ts";
import { RUN_BY_ID } from "./sql.ts";


/** Runs deleted per prune transaction. */
const PRUNE_BATCH = 2000;
/** How many of the newest runs a tag filter walks before it reads the tag's index. */
const RECENT_FOR_TAGS = 20_000;
/** Counter rows past which a stats() call asks for a compaction. */
const COMPACT_AT = 2000;

const PRUNE_RUNS = `
WITH gone AS (DELETE FROM :S.runs_done WHERE id = ANY($1) RETURNING id, task_id, idempotency_key, queue, status, started_at, finished_at),
keys AS (
  DELETE FROM :S.run_keys k USING gone
  WHERE k.task_id = gone.task_id AND k.idempotency_key = gone.idempotency_key AND k.run_id = gone.id
),
counted AS (${countChanges("gone", "status", null)}),
minutes AS (${countFinished("gone", -1)})
SELECT count(*) FROM gone`;

/** `compact` folds the counter deltas (in the background). */
export function createQueries(r: Resolved, compact: () => void): StoreQueries {
  const { pool, S } = r;
  return {
    async getSteps({ runId }) {
      const [steps, waits] = await Promise.all([
        pool.query(S("SELECT * FROM :S.steps WHERE run_id = $1"), [runId]),
        pool.query<WaitRow>(S("SELECT * FROM :S.waits WHERE run_id = $1 AND resolved_at IS NULL"), [runId]),
      ]);
      return stepsInOrder(steps.rows.map(toStep), waits.rows.map(toWait));
    },

    async appendLogs({ runId, logs }) {
      if (logs.length === 0) return;
      await pool.query(
        S(`INSERT INTO :S.logs (run_id, key, level, message, data, at, attempt)
           SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::int[])
           ON CONFLICT (run_id, key) DO NOTHING`),
        [runId, logs.map((l) => l.key), logs.map((l) => l.level), logs.map((l) => l.message), logs.map((l) => l.data), logs.map((l) => l.at), logs.map((l) => l.attempt)],
      );
    },

    async getLogs({ runId }) {
      return (await pool.query(S("SELECT * FROM :S.logs WHERE run_id = $1 ORDER BY seq"), [runId])).rows.map(toLog);
    },

    async setProgress({ runId, progress, message, now }) {
      await pool.query(S("UPDATE :S.runs SET progress = $2, progress_message = $3, updated_at = $4 WHERE id = $1"), [runId, progress, message, now]);
    },

    async getRun({ id }) {
      const row = (await pool.query(S(RUN_BY_ID), [id])).rows[0];
      return row === undefined ? null : toRun(row);
    },

    async listRuns(p: ListRunsParams) {
      const limit = pageLimit(p);
      const where: string[] = [];
      const values: unknown[] = [];
      const add = (sql: string, v: unknown) => {
        values.push(v);
        where.push(sql.replaceAll("?", `$${values.length}`));
      };
      // One status as an equality: an index on (status, id) then yields the page in id order.
      if (p.status !== undefined && p.status.length === 1) add("status = ?", p.status[0]);
      else if (p.status !== undefined && p.status.length > 1) add("status = ANY(?)", [...p.status]);
      if (p.taskId !== undefined) add("task_id = ?", p.taskId);
      if (p.queue !== undefined) add("queue = ?", p.queue);
      if (p.parentRunId !== undefined) add("parent_run_id = ?", p.parentRunId);
      if (p.idPrefix !== undefined && p.idPrefix !== "") {
        add("id >= ?", p.idPrefix);
        add("id < ?", `${p.idPrefix}\uffff`);
      }
      if (p.cursor !== undefined && p.cursor !== null) add("id < ?", p.cursor);
      const untagged = where.length;
      if (p.tag !== undefined) add("tags @> ARRAY[?]::text[] AND tags <> '{}'", p.tag); // matches the partial GIN index
      values.push(limit + 1);
      const n = `$${values.length}`;
      const select = (table: "runs" | "runs_done", extra: string | null, conditions: string[], max: string) => {
        const all = extra === null ? conditions : [...conditions, extra];
        return `(${selectRuns(table)}${all.length ? ` WHERE ${all.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ${max})`;
      };
      // Unfinished runs are in runs, finished ones in runs_done (src/postgres/history.ts): each table
      // is read newest first, as far as the page goes, and the two merged. In runs, runs_task_id
      // leaves out running runs (a claim then adds no entry to it): a task filter reads it for the
      // others and runs_running for the running ones.
      const statuses = p.status ?? [];
      const live = statuses.length === 0 || statuses.some((x) => !isFinished(x));
      const finished = statuses.length === 0 || statuses.some((x) => isFinished(x));
      const query = (conditions: string[], max: string) => {
        const parts: string[] = [];
        if (live) {
          const unfinished = statuses.filter((x) => !isFinished(x));
          if (p.taskId === undefined || (unfinished.length > 0 && unfinished.every((x) => x === "running"))) parts.push(select("runs", null, conditions, max));
          else if (unfinished.length > 0 && !unfinished.includes("running")) parts.push(select("runs", "status <> 'running'", conditions, max));
          else parts.push(select("runs", "status <> 'running'", conditions, max), select("runs", "status = 'running'", conditions, max));
        }
        if (finished) parts.push(select("runs_done", null, conditions, max));
        return parts.length === 1 ? parts[0]! : `SELECT * FROM (${parts.join(" UNION ALL ")}) AS u ORDER BY id DESC LIMIT ${max}`;
      };
      if (p.tag !== undefined) {
        // A tag shared by many runs: its page is among the newest runs, found by walking them in id
        // order (bounded); reading every tagged run through the GIN index and sorting them could take
        // 100 ms per million runs. A rare tag falls through to the index.
        const recent = `SELECT * FROM (${query(where.slice(0, untagged), String(RECENT_FOR_TAGS))}) AS recent WHERE ${where[untagged]} ORDER BY id DESC LIMIT ${n}`;
        const rows = (await pool.query(S(recent), values)).rows;
        if (rows.length === limit + 1) return toPage(rows, limit, toRun);
      }
      return toPage((await pool.query(S(query(where, n)), values)).rows, limit, toRun);
    },

    async stats() {
      // From the counters (src/postgres/counts.ts), never by counting the runs table.
      const byStatus = zeroByStatus();
      const queues = new Map<string, { queue: string; pending: number; running: number }>();
      let rows = 0;
      for (const row of (await pool.query<{ queue: string; status: RunStatus; n: string; rows: string }>(S(READ_COUNTS))).rows) {
        const n = Number(row.n);
        rows += Number(row.rows);
        byStatus[row.status] += n;
        if (row.status !== "queued" && row.status !== "delayed" && row.status !== "running") continue;
        let q = queues.get(row.queue);
        if (q === undefined) queues.set(row.queue, (q = { queue: row.queue, pending: 0, running: 0 }));
        if (row.status === "running") q.running += n;
        else q.pending += n;
      }
      if (rows > COMPACT_AT) compact();
      return { byStatus, queues: [...queues.values()].filter((q) => q.pending + q.running > 0) };
    },

    async metrics({ since, bucketMs }) {
      checkBucket(bucketMs);
      const step = Math.trunc(bucketMs);
      type Bucket = { at: string; completed: string; failed: string; avg_ms: string | null; max_ms: string | null };
      // Whole minutes come from the per-minute counters; anything finer counts the runs themselves.
      const fromMinutes = since % 60_000 === 0 && step % 60_000 === 0;
      const rows = fromMinutes
        ? await pool.query<Bucket>(S(READ_MINUTES), [since, step])
        : await pool.query<Bucket>(
            S(`SELECT (finished_at / $2) * $2 AS at,
                 count(*) FILTER (WHERE status = 'completed') AS completed,
                 count(*) FILTER (WHERE status = 'failed') AS failed,
                 avg(finished_at - started_at) FILTER (WHERE started_at IS NOT NULL) AS avg_ms,
                 max(finished_at - started_at) FILTER (WHERE started_at IS NOT NULL) AS max_ms
               FROM :S.runs_done WHERE finished_at >= $1
               GROUP BY 1 ORDER BY 1`),
            [since, step],
          );
      return rows.rows.map((b) => ({
        at: Number(b.at),
        completed: Number(b.completed),
        failed: Number(b.failed),
        avgDurationMs: b.avg_ms === null ? null : Number(b.avg_ms),
        maxDurationMs: b.max_ms === null ? null : Number(b.max_ms),
      }));
    },

    async prune({ finishedBefore }) {
      // Bounded batches, each its own transaction; a batch continues where the previous one ended
      // (runs_finished order), so 1M runs never means rescanning what was already deleted.
      let deleted = 0;
      let from = Number.MIN_SAFE_INTEGER;
      for (;;) {
        const batch = await transaction(pool, async (c) => {
          const ids = (
            await c.query<{ id: string; finished_at: string }>(
              S(`SELECT id, finished_at FROM :S.runs_done WHERE finished_at >= $2 AND finished_at < $1
                 ORDER BY finished_at LIMIT ${PRUNE_BATCH} FOR UPDATE SKIP LOCKED`),
              [finishedBefore, from],
            )
          ).rows;
          if (ids.length === 0) return { n: 0, last: from };
          const list = ids.map((x) => x.id);
          for (const table of ["steps", "waits", "logs", "tokens", "run_events"]) await c.query(S(`DELETE FROM :S.${table} WHERE run_id = ANY($1)`), [list]);
          await c.query(S(PRUNE_RUNS), [list]);
          return { n: ids.length, last: Number(ids[ids.length - 1]!.finished_at) };
        });
        deleted += batch.n;
        from = batch.last;
        if (batch.n < PRUNE_BATCH) break;
      }
      await pool.query(S(PRUNE_MINUTES), [finishedBefore]);
      await pool.query(S("DELETE FROM :S.events WHERE created_at < $1"), [finishedBefore]);
      compact();
      return deleted;
    },

    async upsertSchedule({ schedule: s, now }) {
      const row = await pool.query(
        S(`INSERT INTO :S.schedules (id, task_id, cron, timezone, payload, source, next_fire_at, last_fire_at, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
           ON CONFLICT (id) DO UPDATE SET task_id = excluded.task_id, cron = excluded.cron, timezone = excluded.timezone,
             payload = excluded.payload, source = excluded.source, next_fire_at = excluded.next_fire_at,
             last_fire_at = excluded.last_fire_at, updated_at = excluded.updated_at
           RETURNING *`),
        [s.id, s.taskId, s.cron, s.timezone, s.payload, s.source, s.nextFireAt, s.lastFireAt, now],
      );
      return toSchedule(row.rows[0]!);
    },

    async listSchedules() {
      return (await pool.query(S("SELECT * FROM :S.schedules ORDER BY id"))).rows.map(toSchedule);
    },

    async deleteSchedule({ id }) {
      return ((await pool.query(S("DELETE FROM :S.schedules WHERE id = $1"), [id])).rowCount ?? 0) === 1;
    },

    async advanceSchedule({ id, expectedNextFireAt, lastFireAt, nextFireAt, now }) {
      const r = await pool.query(
        S("UPDATE :S.schedules SET last_fire_at = $3, next_fire_at = $4, updated_at = $5 WHERE id = $1 AND next_fire_at = $2"),
        [id, expectedNextFireAt, lastFireAt, nextFireAt, now],
      );
      return (r.rowCount ?? 0) === 1;
    },
  };
}
