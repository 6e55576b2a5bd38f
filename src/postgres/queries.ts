/** Read-side and bookkeeping calls of the PostgreSQL store. */
import type { ListRunsParams, RunStatus, StoreQueries } from "../store/types.ts";
import { checkBucket, pageLimit, stepsInOrder, toPage, zeroByStatus } from "../store/rules/reads.ts";
import { transaction } from "./driver.ts";
import type { Resolved } from "./open.ts";
import { toLog, toRun, toSchedule, toStep, toWait, type WaitRow } from "./rows.ts";


export function createQueries(r: Resolved): StoreQueries {
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
      const row = (await pool.query(S("SELECT * FROM :S.runs WHERE id = $1"), [id])).rows[0];
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
      if (p.tag !== undefined) add("tags @> ARRAY[?]::text[] AND tags <> '{}'", p.tag); // matches the partial GIN index
      if (p.status !== undefined && p.status.length > 0) add("status = ANY(?)", [...p.status]);
      if (p.taskId !== undefined) add("task_id = ?", p.taskId);
      if (p.queue !== undefined) add("queue = ?", p.queue);
      if (p.parentRunId !== undefined) add("parent_run_id = ?", p.parentRunId);
      if (p.idPrefix !== undefined && p.idPrefix !== "") {
        add("id >= ?", p.idPrefix);
        add("id < ?", `${p.idPrefix}\uffff`);
      }
      if (p.cursor !== undefined && p.cursor !== null) add("id < ?", p.cursor);
      values.push(limit + 1);
      const text = S(`SELECT * FROM :S.runs${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT $${values.length}`);
      return toPage((await pool.query(text, values)).rows, limit, toRun);
    },

    async stats() {
      const byStatus = zeroByStatus();
      const [counts, queues] = await Promise.all([
        pool.query<{ status: RunStatus; n: string }>(S("SELECT status, count(*) AS n FROM :S.runs GROUP BY status")),
        pool.query<{ queue: string; pending: string; running: string }>(
          S(`SELECT queue, count(*) FILTER (WHERE status IN ('queued', 'delayed')) AS pending,
               count(*) FILTER (WHERE status = 'running') AS running
             FROM :S.runs WHERE status IN ('queued', 'delayed', 'running') GROUP BY queue ORDER BY queue`),
        ),
      ]);
      for (const row of counts.rows) byStatus[row.status] = Number(row.n);
      return { byStatus, queues: queues.rows.map((q) => ({ queue: q.queue, pending: Number(q.pending), running: Number(q.running) })) };
    },

    async metrics({ since, bucketMs }) {
      checkBucket(bucketMs);
      const rows = await pool.query<{ at: string; completed: string; failed: string; avg_ms: string | null; max_ms: string | null }>(
        S(`SELECT (finished_at / $2) * $2 AS at,
             count(*) FILTER (WHERE status = 'completed') AS completed,
             count(*) FILTER (WHERE status = 'failed') AS failed,
             avg(finished_at - started_at) FILTER (WHERE started_at IS NOT NULL) AS avg_ms,
             max(finished_at - started_at) FILTER (WHERE started_at IS NOT NULL) AS max_ms
           FROM :S.runs WHERE finished_at IS NOT NULL AND finished_at >= $1
           GROUP BY 1 ORDER BY 1`),
        [since, Math.trunc(bucketMs)],
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
      let deleted = 0;
      for (;;) {
        const n = await transaction(pool, async (c) => {
          const ids = (
            await c.query<{ id: string }>(S("SELECT id FROM :S.runs WHERE finished_at IS NOT NULL AND finished_at < $1 LIMIT 1000 FOR UPDATE SKIP LOCKED"), [finishedBefore])
          ).rows.map((x) => x.id);
          if (ids.length === 0) return 0;
          for (const table of ["steps", "waits", "logs"]) await c.query(S(`DELETE FROM :S.${table} WHERE run_id = ANY($1)`), [ids]);
          await c.query(S("DELETE FROM :S.runs WHERE id = ANY($1)"), [ids]);
          return ids.length;
        });
        deleted += n;
        if (n < 1000) break;
      }
      await pool.query(S("DELETE FROM :S.events WHERE created_at < $1"), [finishedBefore]);
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
