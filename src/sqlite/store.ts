/**
 * The SQLite store: the embedded default. One connection per store; every multi-row change is one
 * BEGIN IMMEDIATE transaction, so several processes can share one database file (WAL mode), and
 * queue limits checked inside the claim transaction hold across all of them.
 */
import type {
  ClaimedRun,
  CreatedRun,
  NewRun,
  NewWait,
  Store,
  StoreNotification,
} from "../store/types.ts";
import { NEVER } from "../store/types.ts";
import { matchesJson } from "../store/match.ts";
import { insertedRun } from "../store/records.ts";
import { Sql } from "./driver.ts";
import { afterFinish, finishRun, tryResolveNow, resolveWait, wake } from "./lifecycle.ts";
import { migrate, openDatabase, validateOptions, type SqliteStoreOptions } from "./open.ts";
import { createQueries } from "./queries.ts";
import { toRun, toStep, type RunRow, type StepRow, type WaitRow } from "./rows.ts";
import { notifier } from "./notify.ts";
import * as c from "./sql/claim.ts";
import * as r from "./sql/runs.ts";

interface Candidate {
  id: string;
  queue: string;
  concurrency_key: string | null;
  status: string;
  attempt: number;
  max_attempts: number;
  started_at: number | null;
}

const LEASE_LOST = (attempt: number) =>
  JSON.stringify({
    name: "LeaseExpiredError",
    message: `the worker running attempt ${attempt} stopped renewing its lease (crashed or frozen) and no attempts are left`,
  });

/** Creates a Store on an SQLite file (or `:memory:`, or your own better-sqlite3 Database). */
export function sqliteStore(options: SqliteStoreOptions): Store {
  validateOptions(options);
  const opened = openDatabase(options);
  const sql: Sql = opened.sql;
  const channel = notifier(opened.memory ? null : opened.label);
  const queries = createQueries(sql);
  let migrated: Promise<void> | null = null;
  let closed = false;

  const notify = (queue: string | null = null) => channel.emit({ kind: "available", queue });

  /** Runs a write transaction; wakes listeners for runs woken inside it. */
  const write = <T>(fn: (woken: Set<string>) => T, now: number): T => {
    const woken = new Set<string>();
    const result = sql.write(() => {
      const out = fn(woken);
      if (woken.size > 0) wake(sql, woken, now);
      return out;
    });
    if (woken.size > 0) notify();
    return result;
  };

  const store: Store = {
    name: `sqlite:${opened.label}`,

    async migrate() {
      migrated ??= Promise.resolve().then(() => migrate(sql, opened.label));
      return migrated;
    },

    async close() {
      if (closed) return;
      closed = true;
      channel.close();
      if (opened.owned && sql.db.open) sql.db.close();
    },

    async upsertQueues({ queues }) {
      sql.write(() => {
        for (const q of queues) sql.run(r.UPSERT_QUEUE, { name: q.name, concurrency_limit: q.concurrencyLimit });
      });
    },

    async createRuns({ runs, now }) {
      const results = sql.write(() => runs.map((run) => createOne(run, now)));
      if (results.some((x) => x.created)) notify();
      return results;
    },

    async claimRuns({ workerId, queues, limit, leaseMs, now }) {
      if (limit <= 0) return [];
      return write((woken) => claim(workerId, queues, limit, now + leaseMs, now, woken), now);
    },

    async heartbeat({ workerId, runIds, leaseMs, now }) {
      if (runIds.length === 0) return [];
      const rows = sql.all<{ id: string }>(c.HEARTBEAT, { ids: JSON.stringify(runIds), worker: workerId, lease: now + leaseMs });
      return rows.map((x) => x.id);
    },

    async releaseRuns({ workerId, runIds, now }) {
      if (runIds.length === 0) return;
      const { changes } = sql.run(c.RELEASE, { ids: JSON.stringify(runIds), worker: workerId, now });
      if (changes > 0) notify();
    },

    async completeRuns({ workerId, items, now }) {
      return write((woken) => {
        if (items.length === 0) return [];
        const outputs = `{${items.map((i) => `${JSON.stringify(i.runId)}:${i.output}`).join(",")}}`;
        const rows = sql.all<{ id: string; parent_run_id: string | null; output: string }>(c.COMPLETE_MANY, { outputs, worker: workerId, now });
        const done = rows.map((r) => ({ ...r, status: "completed" as const, error: null }));
        afterFinish(sql, done, now, woken);
        return done.map((d) => d.id);
      }, now);
    },

    async failRun({ workerId, runId, error, retryAt, now }) {
      return write((woken) => {
        if (retryAt !== null) {
          return sql.run(c.FAIL_RETRY, { id: runId, worker: workerId, error, retry_at: retryAt, now }).changes === 1;
        }
        const row = sql.get<{ parent_run_id: string | null }>(c.FAIL_FINAL, { id: runId, worker: workerId, error, now });
        if (row === undefined) return false;
        afterFinish(sql, [{ id: runId, parent_run_id: row.parent_run_id, status: "failed", output: null, error }], now, woken);
        return true;
      }, now);
    },

    async suspendRun({ workerId, runId, waits, now }) {
      return write((woken) => suspend(workerId, runId, waits, now, woken), now);
    },

    async saveStep({ workerId, runId, step }) {
      return sql.write(() => {
        if (sql.get(c.HELD, { id: runId, worker: workerId }) === undefined) return false;
        sql.run(r.UPSERT_STEP, {
          run_id: runId,
          key: step.key,
          parent_key: step.parentKey,
          kind: step.kind,
          status: step.status,
          output: step.output,
          error: step.error,
          attempts: step.attempts,
          started_at: step.startedAt,
          finished_at: step.finishedAt,
          child_run_id: step.childRunId,
        });
        return true;
      });
    },

    async sendEvent({ id, name, payload, now }) {
      return write((woken) => {
        sql.run(r.INSERT_EVENT, { id, name, payload, now });
        let resolved = 0;
        for (const w of sql.all<WaitRow>(r.OPEN_EVENT_WAITS, { name, now })) {
          if (tryResolveEvent(w, payload, now, woken)) resolved++;
        }
        return resolved;
      }, now);
    },

    async cancelRun({ id, error, now }) {
      return write((woken) => {
        const canceled: string[] = [];
        const stack = [id];
        while (stack.length > 0) {
          const next = stack.pop()!;
          if (!finishRun(sql, next, "canceled", error, now, woken)) continue;
          canceled.push(next);
          for (const child of sql.all<{ id: string }>(r.UNFINISHED_CHILDREN, { id: next })) stack.push(child.id);
        }
        return canceled;
      }, now);
    },

    ...queries,

    subscribe(listener: (n: StoreNotification) => void) {
      return channel.subscribe(listener);
    },
  };

  function createOne(run: NewRun, now: number): CreatedRun {
    if (run.idempotencyKey !== null) {
      const existing = sql.get<RunRow>(r.BY_IDEMPOTENCY_KEY, { task_id: run.taskId, key: run.idempotencyKey });
      if (existing !== undefined) {
        if (existing.idempotency_expires_at === null || existing.idempotency_expires_at > now) {
          return { run: toRun(existing), created: false };
        }
        sql.run(r.RELEASE_IDEMPOTENCY_KEY, { id: existing.id });
      }
    }
    const tags = JSON.stringify(run.tags);
    sql.run(r.INSERT_RUN, {
      id: run.id,
      task_id: run.taskId,
      queue: run.queue,
      concurrency_key: run.concurrencyKey,
      status: run.status,
      payload: run.payload,
      priority: run.priority,
      run_at: run.runAt,
      now,
      max_attempts: run.maxAttempts,
      idempotency_key: run.idempotencyKey,
      idempotency_expires_at: run.idempotencyExpiresAt,
      expires_at: run.expiresAt,
      tags,
      parent_run_id: run.parentRunId,
      schedule_id: run.scheduleId,
    });
    for (const tag of new Set(run.tags)) sql.run(r.INSERT_TAG, { tag, run_id: run.id });
    return { run: insertedRun(run, now), created: true };
  }

  function claim(
    workerId: string,
    queues: readonly string[] | null,
    limit: number,
    lease: number,
    now: number,
    woken: Set<string>,
  ): ClaimedRun[] {
    for (const { id } of sql.all<{ id: string }>(c.EXPIRED_UNSTARTED, { now })) {
      finishRun(sql, id, "expired", JSON.stringify({ name: "ExpiredError", message: "the run was not started before its ttl ran out" }), now, woken);
    }
    const limits = new Map(sql.all<{ name: string; concurrency_limit: number }>(c.LIMITED_QUEUES).map((q) => [q.name, q.concurrency_limit]));
    const running = new Map<string, number>();
    if (limits.size > 0) {
      for (const row of sql.all<{ queue: string; concurrency_key: string | null; n: number }>(c.RUNNING_COUNTS, {
        queues: JSON.stringify([...limits.keys()]),
      })) {
        running.set(groupKey(row.queue, row.concurrency_key), row.n);
      }
    }
    const chosen: Candidate[] = [];
    const queueSet = queues === null ? null : new Set(queues);
    for (const cand of sql.all<Candidate>(c.LEASE_EXPIRED, { now, limit })) {
      if (queueSet !== null && !queueSet.has(cand.queue)) continue;
      if (cand.attempt >= cand.max_attempts) {
        finishRun(sql, cand.id, "failed", LEASE_LOST(cand.attempt), now, woken);
        continue;
      }
      chosen.push(cand); // already counted as running in its queue
      if (chosen.length >= limit) break;
    }
    const pageSize = Math.max(limit * 2, 32);
    for (let offset = 0, pages = 0; chosen.length < limit && pages < 8; offset += pageSize, pages++) {
      const page =
        queues === null
          ? sql.all<Candidate>(c.CANDIDATES_ALL, { now, limit: pageSize, offset })
          : sql.all<Candidate>(c.CANDIDATES_IN_QUEUES, { now, limit: pageSize, offset, queues: JSON.stringify(queues) });
      for (const cand of page) {
        const max = limits.get(cand.queue);
        if (max !== undefined) {
          const key = groupKey(cand.queue, cand.concurrency_key);
          const n = running.get(key) ?? 0;
          if (n >= max) continue;
          running.set(key, n + 1);
        }
        chosen.push(cand);
        if (chosen.length >= limit) break;
      }
      if (page.length < pageSize) break;
    }
    if (chosen.length === 0) return [];
    const ids = JSON.stringify(chosen.map((x) => x.id));
    const wasWaiting = chosen.filter((x) => x.status === "waiting").map((x) => x.id);
    if (wasWaiting.length > 0) {
      for (const w of sql.all<WaitRow>(c.DUE_TIMERS, { ids: JSON.stringify(wasWaiting), now })) {
        resolveWait(sql, w, "null", now, new Set());
      }
    }
    const rows = sql.all<RunRow>(c.MARK_CLAIMED, { ids, worker: workerId, lease, now });
    const byId = new Map(rows.map((row) => [row.id, row]));
    const withHistory = chosen.filter((x) => x.started_at !== null).map((x) => x.id);
    const steps = new Map<string, StepRow[]>();
    if (withHistory.length > 0) {
      for (const s of sql.all<StepRow>(c.STEPS_OF_RUNS, { ids: JSON.stringify(withHistory) })) {
        let list = steps.get(s.run_id);
        if (list === undefined) steps.set(s.run_id, (list = []));
        list.push(s);
      }
    }
    return chosen.map((x) => ({ run: toRun(byId.get(x.id)!), steps: (steps.get(x.id) ?? []).map(toStep) }));
  }

  function suspend(workerId: string, runId: string, waits: readonly NewWait[], now: number, woken: Set<string>) {
    if (sql.get(c.HELD, { id: runId, worker: workerId }) === undefined) return null;
    for (const w of waits) {
      sql.run(r.INSERT_WAIT, {
        run_id: runId,
        key: w.key,
        parent_key: w.parentKey,
        kind: w.kind,
        created_at: w.createdAt,
        wake_at: w.wakeAt,
        event_name: w.eventName,
        match: w.match,
        child_run_id: w.childRunId,
      });
    }
    let ready = false;
    const resolvedHere = new Set<string>();
    for (const w of waits) {
      const row = sql.get<WaitRow>(r.WAIT_BY_KEY, { run_id: runId, key: w.key })!;
      if (row.resolved_at !== null || tryResolveNow(sql, row, now, resolvedHere)) ready = true;
    }
    if (ready) {
      sql.run(r.REQUEUE_HELD, { id: runId, now });
      woken.add(runId);
      return "queued" as const;
    }
    const next = sql.get<{ at: number | null }>(r.NEXT_TIMER, { run_id: runId });
    sql.run(r.MARK_WAITING, { id: runId, run_at: next?.at ?? NEVER, now });
    return "waiting" as const;
  }

  function tryResolveEvent(w: WaitRow, payload: string, now: number, woken: Set<string>): boolean {
    if (w.match !== null) {
      // Deep-subset match is decided in JS: `match` is data stored with the wait.
      if (!matchesJson(w.match, payload)) return false;
    }
    resolveWait(sql, w, payload, now, woken);
    return true;
  }

  return store;
}

function groupKey(queue: string, concurrencyKey: string | null): string {
  return concurrencyKey === null ? queue : `${queue}\u0000${concurrencyKey}`;
}
