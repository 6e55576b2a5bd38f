/** Read-side and bookkeeping store calls: runs, steps, logs, stats, metrics, prune, schedules. */
import type { RunStats, RunStatus, StoreQueries } from "../store/types.ts";
import { checkBucket, stepsInOrder, zeroByStatus } from "../store/rules/reads.ts";
import { pruneInBatches } from "../store/rules/prune.ts";
import type { Conn } from "./conn.ts";
import { countKey, countTail } from "./counts.ts";
import type { Sql } from "./driver.ts";
import { listRuns } from "./list.ts";
import { toLog, toRun, toSchedule, toStep, toWait, type LogRow, type RunRow, type ScheduleRow, type StepRow, type WaitRow } from "./rows.ts";

const INSERT_LOG = `
INSERT OR IGNORE INTO logs (run_id, key, level, message, data, at, attempt)
VALUES (@run_id, @key, @level, @message, @data, @at, @attempt)`;

// Covered by runs_finished (finished_at, status, started_at): metrics never visit the table.
const METRICS = `
SELECT CAST(finished_at / @bucket AS INTEGER) * @bucket AS at,
  sum(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) AS completed,
  sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed,
  avg(CASE WHEN started_at IS NOT NULL THEN finished_at - started_at END) AS avg_ms,
  max(CASE WHEN started_at IS NOT NULL THEN finished_at - started_at END) AS max_ms
FROM runs INDEXED BY runs_finished WHERE finished_at IS NOT NULL AND finished_at >= @since
GROUP BY at ORDER BY at`;

const PRUNABLE = `
SELECT id, status FROM runs INDEXED BY runs_finished WHERE finished_at IS NOT NULL AND finished_at < @before LIMIT @limit`;

const OLD_EVENTS = `
DELETE FROM events WHERE rowid IN (SELECT rowid FROM events WHERE created_at < @before ORDER BY rowid LIMIT @limit)`;

const UPSERT_SCHEDULE = `
INSERT INTO schedules (id, task_id, cron, timezone, payload, source, next_fire_at, last_fire_at, created_at, updated_at)
VALUES (@id, @task_id, @cron, @timezone, @payload, @source, @next_fire_at, @last_fire_at, @now, @now)
ON CONFLICT (id) DO UPDATE SET task_id = excluded.task_id, cron = excluded.cron, timezone = excluded.timezone,
  payload = excluded.payload, source = excluded.source, next_fire_at = excluded.next_fire_at,
  last_fire_at = excluded.last_fire_at, updated_at = excluded.updated_at
RETURNING *`;

/** Compare-and-set: only if next_fire_at is still the one the caller saw. */
const ADVANCE_SCHEDULE = `
UPDATE schedules SET last_fire_at = @last, next_fire_at = @next, updated_at = @now
WHERE id = @id AND next_fire_at = @expected`;

type CountRow = { queue: string; status: RunStatus; n: number };

const COUNTED = "SELECT queue, status, n FROM run_counts WHERE status <> '' AND n <> 0";
const COUNT_ALL = "SELECT queue, status, count(*) AS n FROM runs WHERE status <> 'running' GROUP BY queue, status";
const RUNNING = "SELECT queue, count(*) AS n FROM runs INDEXED BY runs_running WHERE status = 'running' GROUP BY queue";

/** Runs `fn`'s reads in one read transaction (one snapshot of the file), unless a transaction is open already. */
function readSnapshot<T>(sql: Sql, fn: () => T): T {
  if (sql.db.inTransaction) return fn();
  sql.stmt("BEGIN").run();
  try {
    return fn();
  } finally {
    if (sql.db.inTransaction) sql.stmt("COMMIT").run();
  }
}

function statsOf(sql: Sql): RunStats {
  const byStatus = zeroByStatus();
  const pending = new Map<string, number>();
  const add = (row: CountRow) => {
    if (row.status === "running") return;
    byStatus[row.status] += row.n;
    const queue = countKey(row.queue, row.status);
    if (queue !== "") pending.set(queue, (pending.get(queue) ?? 0) + row.n);
  };
  const tail = countTail(sql);
  if (tail === null) sql.all<CountRow>(COUNT_ALL).forEach(add);
  else {
    sql.all<CountRow>(COUNTED).forEach(add);
    tail.forEach(add);
  }
  const running = new Map<string, number>();
  for (const row of sql.all<{ queue: string; n: number }>(RUNNING)) {
    running.set(row.queue, row.n);
    byStatus.running += row.n;
  }
  const names = [...new Set([...pending.keys(), ...running.keys()])].sort();
  const queues = names.map((queue) => ({ queue, pending: pending.get(queue) ?? 0, running: running.get(queue) ?? 0 })).filter((q) => q.pending + q.running > 0);
  return { byStatus, queues };
}

export function createQueries(conn: Conn): StoreQueries {
  const { sql, counts, call, transact } = conn;

  /** Deletes up to `limit` finished runs (with their steps, waits, logs, tags, tokens, event links) in one transaction. */
  const pruneBatch = (before: number, limit: number) =>
    transact(() => {
      const rows = sql.all<{ id: string; status: RunStatus }>(PRUNABLE, { before, limit });
      if (rows.length === 0) return 0;
      const ids = JSON.stringify(rows.map((x) => x.id));
      for (const table of ["steps", "waits", "logs", "run_tags", "tokens", "run_events"]) {
        sql.run(`DELETE FROM ${table} WHERE run_id IN (SELECT value FROM json_each(@ids))`, { ids });
      }
      sql.run("DELETE FROM runs WHERE id IN (SELECT value FROM json_each(@ids))", { ids });
      for (const r of rows) counts.add("", r.status, -1);
      return rows.length;
    });

  return {
    getSteps: ({ runId }) =>
      call(() => {
        const steps = sql.all<StepRow>("SELECT * FROM steps WHERE run_id = @run_id", { run_id: runId }).map(toStep);
        const waits = sql.all<WaitRow>("SELECT * FROM waits WHERE run_id = @run_id AND resolved_at IS NULL", { run_id: runId }).map(toWait);
        return stepsInOrder(steps, waits);
      }),

    async appendLogs({ runId, logs }) {
      if (logs.length === 0) return;
      await transact(() => {
        for (const l of logs) {
          sql.run(INSERT_LOG, { run_id: runId, key: l.key, level: l.level, message: l.message, data: l.data, at: l.at, attempt: l.attempt });
        }
      });
    },

    getLogs: ({ runId }) => call(() => sql.all<LogRow>("SELECT * FROM logs WHERE run_id = @run_id ORDER BY seq", { run_id: runId }).map(toLog)),

    async setProgress({ runId, progress, message, now }) {
      await call(() =>
        sql.run("UPDATE runs SET progress = @progress, progress_message = @message, updated_at = @now WHERE id = @id", { id: runId, progress, message, now }),
      );
    },

    getRun: ({ id }) =>
      call(() => {
        const row = sql.get<RunRow>("SELECT * FROM runs WHERE id = @id", { id });
        return row === undefined ? null : toRun(row);
      }),

    listRuns: (p) => call(() => listRuns(sql, p)),

    /**
     * Exact, in one read: run_counts (kept by every status change), the few runs not counted yet
     * (counts.ts) and the index of running runs; no table scan (unless rowids were renumbered since
     * the last write, then the table is counted).
     */
    stats: () => call(() => readSnapshot(sql, () => statsOf(sql))),

    metrics: ({ since, bucketMs }) =>
      call(() => {
        checkBucket(bucketMs);
        return sql
          .all<{ at: number; completed: number; failed: number; avg_ms: number | null; max_ms: number | null }>(METRICS, { bucket: Math.trunc(bucketMs), since })
          .map((b) => ({ at: b.at, completed: b.completed, failed: b.failed, avgDurationMs: b.avg_ms, maxDurationMs: b.max_ms }));
      }),

    async prune({ finishedBefore }) {
      const deleted = await pruneInBatches((limit) => pruneBatch(finishedBefore, limit));
      await pruneInBatches((limit) => transact(() => sql.run(OLD_EVENTS, { before: finishedBefore, limit }).changes));
      return deleted;
    },

    upsertSchedule: ({ schedule: s, now }) =>
      call(() => {
        const row = sql.get<ScheduleRow>(UPSERT_SCHEDULE, {
          id: s.id,
          task_id: s.taskId,
          cron: s.cron,
          timezone: s.timezone,
          payload: s.payload,
          source: s.source,
          next_fire_at: s.nextFireAt,
          last_fire_at: s.lastFireAt,
          now,
        });
        return toSchedule(row!);
      }),

    listSchedules: () => call(() => sql.all<ScheduleRow>("SELECT * FROM schedules ORDER BY id").map(toSchedule)),

    deleteSchedule: ({ id }) => call(() => sql.run("DELETE FROM schedules WHERE id = @id", { id }).changes === 1),

    advanceSchedule: ({ id, expectedNextFireAt, lastFireAt, nextFireAt, now }) =>
      call(() => sql.run(ADVANCE_SCHEDULE, { id, expected: expectedNextFireAt, last: lastFireAt, next: nextFireAt, now }).changes === 1),
  };
}
