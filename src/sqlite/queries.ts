/** Read-side and bookkeeping store calls: runs, steps, logs, stats, metrics, prune, schedules. */
import type { ListRunsParams, RunStatus, StoreQueries } from "../store/types.ts";
import { checkBucket, pageLimit, stepsInOrder, toPage, zeroByStatus } from "../store/rules/reads.ts";
import type { Sql } from "./driver.ts";
import { RUN_COLUMNS, runFromValues, toLog, toRun, toSchedule, toStep, toWait, type LogRow, type RunRow, type ScheduleRow, type StepRow, type WaitRow } from "./rows.ts";


export function createQueries(sql: Sql): StoreQueries {
  return {
    async getSteps({ runId }) {
      const steps = sql.all<StepRow>("SELECT * FROM steps WHERE run_id = @run_id", { run_id: runId }).map(toStep);
      const waits = sql.all<WaitRow>("SELECT * FROM waits WHERE run_id = @run_id AND resolved_at IS NULL", { run_id: runId }).map(toWait);
      return stepsInOrder(steps, waits);
    },

    async appendLogs({ runId, logs }) {
      if (logs.length === 0) return;
      sql.write(() => {
        for (const l of logs) {
          sql.run(
            `INSERT OR IGNORE INTO logs (run_id, key, level, message, data, at, attempt)
             VALUES (@run_id, @key, @level, @message, @data, @at, @attempt)`,
            { run_id: runId, key: l.key, level: l.level, message: l.message, data: l.data, at: l.at, attempt: l.attempt },
          );
        }
      });
    },

    async getLogs({ runId }) {
      return sql.all<LogRow>("SELECT * FROM logs WHERE run_id = @run_id ORDER BY seq", { run_id: runId }).map(toLog);
    },

    async setProgress({ runId, progress, message, now }) {
      sql.run("UPDATE runs SET progress = @progress, progress_message = @message, updated_at = @now WHERE id = @id", {
        id: runId,
        progress,
        message,
        now,
      });
    },

    async getRun({ id }) {
      const row = sql.get<RunRow>("SELECT * FROM runs WHERE id = @id", { id });
      return row === undefined ? null : toRun(row);
    },

    async listRuns(p: ListRunsParams) {
      const limit = pageLimit(p);
      const where: string[] = [];
      const params: Record<string, unknown> = { limit: limit + 1 };
      let from = "runs";
      // Order (and page) by the id column of the index the filter searches, so SQLite reads the
      // index newest-first and stops after `limit` rows instead of sorting every match.
      let idCol = "runs.id";
      if (p.tag !== undefined) {
        from = "run_tags t CROSS JOIN runs ON runs.id = t.run_id"; // CROSS JOIN: walk the tag's index, never sort
        idCol = "t.run_id";
        where.push("t.tag = @tag");
        params["tag"] = p.tag;
      }
      if (p.taskId !== undefined) {
        where.push("runs.task_id = @task_id");
        params["task_id"] = p.taskId;
      }
      if (p.queue !== undefined) {
        where.push("runs.queue = @queue");
        params["queue"] = p.queue;
      }
      if (p.parentRunId !== undefined) {
        where.push("runs.parent_run_id = @parent");
        params["parent"] = p.parentRunId;
      }
      if (p.idPrefix !== undefined && p.idPrefix !== "") {
        where.push("runs.id >= @prefix AND runs.id < @prefix_end");
        params["prefix"] = p.idPrefix;
        params["prefix_end"] = `${p.idPrefix}\uffff`;
      }
      if (p.cursor !== undefined && p.cursor !== null) {
        where.push(`${idCol} < @cursor`);
        params["cursor"] = p.cursor;
      }
      // Running runs are not in the status index (it would change on every claim and completion):
      // they come from the index of running runs, a set bounded by the workers' concurrency.
      const source = (status: string | undefined) => (status === "running" && p.tag === undefined ? "runs INDEXED BY runs_running" : from);
      const select = (conds: string[], status?: string) =>
        `SELECT ${RUN_COLUMNS} FROM ${source(status)}${conds.length ? ` WHERE ${conds.join(" AND ")}` : ""} ORDER BY ${idCol} DESC LIMIT @limit`;
      // One status: an equality on (status, id). Several: one such search per status, merged.
      const statuses = [...new Set(p.status ?? [])];
      statuses.forEach((st, i) => (params[`status${i}`] = st));
      // The literal 'running' lets SQLite prove the partial index applies.
      const is = (st: string, i: number) => (st === "running" ? "runs.status = 'running'" : `runs.status = @status${i}`);
      const text =
        statuses.length <= 1
          ? select(statuses.length === 1 ? [...where, is(statuses[0]!, 0)] : where, statuses[0])
          : `${statuses.map((st, i) => `SELECT * FROM (${select([...where, is(st, i)], st)})`).join(" UNION ALL ")} ORDER BY id DESC LIMIT @limit`;
      return toPage(sql.rows(text, params), limit, runFromValues);
    },

    async stats() {
      const byStatus = zeroByStatus();
      for (const row of sql.all<{ status: RunStatus; n: number }>("SELECT status, count(*) AS n FROM runs GROUP BY status")) {
        byStatus[row.status] = row.n;
      }
      const queues = sql
        .all<{ queue: string; pending: number; running: number }>(
          `SELECT queue,
             sum(CASE WHEN status IN ('queued', 'delayed') THEN 1 ELSE 0 END) AS pending,
             sum(CASE WHEN status = 'running' THEN 1 ELSE 0 END) AS running
           FROM runs WHERE status IN ('queued', 'delayed', 'running') GROUP BY queue ORDER BY queue`,
        )
        .map((q) => ({ queue: q.queue, pending: q.pending, running: q.running }));
      return { byStatus, queues };
    },

    async metrics({ since, bucketMs }) {
      checkBucket(bucketMs);
      return sql
        .all<{ at: number; completed: number; failed: number; avg_ms: number | null; max_ms: number | null }>(
          `SELECT CAST(finished_at / @bucket AS INTEGER) * @bucket AS at,
             sum(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) AS completed,
             sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed,
             avg(CASE WHEN started_at IS NOT NULL THEN finished_at - started_at END) AS avg_ms,
             max(CASE WHEN started_at IS NOT NULL THEN finished_at - started_at END) AS max_ms
           FROM runs WHERE finished_at IS NOT NULL AND finished_at >= @since
           GROUP BY at ORDER BY at`,
          { bucket: Math.trunc(bucketMs), since },
        )
        .map((b) => ({ at: b.at, completed: b.completed, failed: b.failed, avgDurationMs: b.avg_ms, maxDurationMs: b.max_ms }));
    },

    async prune({ finishedBefore }) {
      let deleted = 0;
      for (;;) {
        const n = sql.write(() => {
          const ids = sql
            .all<{ id: string }>("SELECT id FROM runs WHERE finished_at IS NOT NULL AND finished_at < @before LIMIT 1000", {
              before: finishedBefore,
            })
            .map((x) => x.id);
          if (ids.length === 0) return 0;
          const json = JSON.stringify(ids);
          for (const table of ["steps", "waits", "logs", "run_tags"]) {
            sql.run(`DELETE FROM ${table} WHERE run_id IN (SELECT value FROM json_each(@ids))`, { ids: json });
          }
          sql.run("DELETE FROM runs WHERE id IN (SELECT value FROM json_each(@ids))", { ids: json });
          return ids.length;
        });
        deleted += n;
        if (n < 1000) break;
      }
      sql.run("DELETE FROM events WHERE created_at < @before", { before: finishedBefore });
      return deleted;
    },

    async upsertSchedule({ schedule: s, now }) {
      const row = sql.get<ScheduleRow>(
        `INSERT INTO schedules (id, task_id, cron, timezone, payload, source, next_fire_at, last_fire_at, created_at, updated_at)
         VALUES (@id, @task_id, @cron, @timezone, @payload, @source, @next_fire_at, @last_fire_at, @now, @now)
         ON CONFLICT (id) DO UPDATE SET task_id = excluded.task_id, cron = excluded.cron, timezone = excluded.timezone,
           payload = excluded.payload, source = excluded.source, next_fire_at = excluded.next_fire_at,
           last_fire_at = excluded.last_fire_at, updated_at = excluded.updated_at
         RETURNING *`,
        {
          id: s.id,
          task_id: s.taskId,
          cron: s.cron,
          timezone: s.timezone,
          payload: s.payload,
          source: s.source,
          next_fire_at: s.nextFireAt,
          last_fire_at: s.lastFireAt,
          now,
        },
      );
      return toSchedule(row!);
    },

    async listSchedules() {
      return sql.all<ScheduleRow>("SELECT * FROM schedules ORDER BY id").map(toSchedule);
    },

    async deleteSchedule({ id }) {
      return sql.run("DELETE FROM schedules WHERE id = @id", { id }).changes === 1;
    },

    async advanceSchedule({ id, expectedNextFireAt, lastFireAt, nextFireAt, now }) {
      const { changes } = sql.run(
        `UPDATE schedules SET last_fire_at = @last, next_fire_at = @next, updated_at = @now
         WHERE id = @id AND next_fire_at = @expected`,
        { id, expected: expectedNextFireAt, last: lastFireAt, next: nextFireAt, now },
      );
      return changes === 1;
    },
  };
}
