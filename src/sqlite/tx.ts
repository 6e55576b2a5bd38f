/**
 * The SQLite implementation of the store-rule primitives (src/store/rules/tx.ts): SQL and row
 * mapping only. Synchronous, inside the caller's BEGIN IMMEDIATE transaction.
 */
import type { NewRun, NewWait, RunStatus } from "../store/types.ts";
import { isDefaultRun } from "../store/records.ts";
import type { FinishedRun, RulesTx, StoredWait } from "../store/rules/tx.ts";
import type { Sql, SqliteStatementLike } from "./driver.ts";
import { INSERT_UNCOUNTED_SUFFIX, type RunCounts } from "./counts.ts";
import { chunks } from "./chunks.ts";
import { eventTokenTx } from "./events-tokens.ts";
import { toRun, toWait, type RunRow, type WaitRow } from "./rows.ts";
import * as l from "./sql/lifecycle.ts";
import * as r from "./sql/runs.ts";

type RunResult = { status: RunStatus; output: string | null; error: string | null };
type FinishedRow = { id: string; parent_run_id: string | null; status: RunStatus; output: string | null; error: string | null };

const ids = (xs: readonly string[]): string => JSON.stringify(xs);

const insertSql: string[] = [];

/** One row's values in the order of {@link r.INSERT_COLUMNS} (attempt is 1). */
const ROW_PARAMS = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?";

/** `INSERT INTO runs … VALUES (…), (…)` for `n` rows, positional parameters in the order of {@link putRunValues}. */
function insertRunsSql(n: number): string {
  let text = insertSql[n];
  if (text === undefined) {
    const row = `(${ROW_PARAMS})`;
    text = `INSERT INTO runs (${r.INSERT_COLUMNS}) VALUES ${Array(n).fill(row).join(", ")}`;
    insertSql[n] = text;
  }
  return text;
}

/** Parameters per row of {@link insertRunsSql}. */
const PER_ROW = 18;

/** Writes the parameters of `run` into `out` from index `at` (an array sized for the whole chunk). */
function putRunValues(out: unknown[], at: number, run: NewRun, now: number): void {
  out[at] = run.id;
  out[at + 1] = run.taskId;
  out[at + 2] = run.queue;
  out[at + 3] = run.concurrencyKey;
  out[at + 4] = run.status;
  out[at + 5] = run.payload;
  out[at + 6] = run.priority;
  out[at + 7] = run.runAt;
  out[at + 8] = now;
  out[at + 9] = now;
  out[at + 10] = run.maxAttempts;
  out[at + 11] = run.idempotencyKey;
  out[at + 12] = run.idempotencyExpiresAt;
  out[at + 13] = run.expiresAt;
  out[at + 14] = run.tags.length === 0 ? "[]" : JSON.stringify(run.tags);
  out[at + 15] = run.parentRunId;
  out[at + 16] = run.scheduleId;
  out[at + 17] = run.traceContext ?? null;
}

/** One plain run (no tags) by one statement; see {@link insertRunStatements}. */
export interface InsertOne {
  /** Inserts the run only if its id is after the counts' marker (counts.ts); says whether it did. */
  uncounted(run: NewRun, now: number): boolean;
  /** Inserts the run (inside a counted transaction). */
  counted(run: NewRun, now: number): void;
}

/**
 * The row of a default run ({@link isDefaultRun}, store/records.ts), uncounted (see {@link InsertOne.uncounted}): id, task, queue, payload,
 * the time three times, attempts, the id again (better-sqlite3 binds `?NNN` only by name).
 */
const INSERT_DEFAULT_UNCOUNTED =
  `INSERT INTO runs (id, task_id, queue, status, payload, priority, run_at, created_at, updated_at, attempt, max_attempts, tags) ` +
  `SELECT ?, ?, ?, 'queued', ?, 0, ?, ?, ?, 1, ?, '[]'${INSERT_UNCOUNTED_SUFFIX}`;

/**
 * The two single-run inserts of a plain run, prepared once per connection. The parameters go into
 * arrays kept for the connection's life (calls are synchronous).
 */
export function insertRunStatements(sql: Sql): InsertOne {
  const values: unknown[] = new Array(PER_ROW + 1);
  const counted: unknown[] = new Array(PER_ROW);
  const lean: unknown[] = new Array(9);
  let conditional: SqliteStatementLike | null = null;
  let conditionalDefault: SqliteStatementLike | null = null;
  return {
    uncounted(run, now) {
      if (isDefaultRun(run, now)) {
        conditionalDefault ??= sql.stmt(INSERT_DEFAULT_UNCOUNTED);
        lean[0] = run.id;
        lean[1] = run.taskId;
        lean[2] = run.queue;
        lean[3] = run.payload;
        lean[4] = now;
        lean[5] = now;
        lean[6] = now;
        lean[7] = run.maxAttempts;
        lean[8] = run.id;
        return conditionalDefault.run(lean).changes === 1;
      }
      conditional ??= sql.stmt(`INSERT INTO runs (${r.INSERT_COLUMNS}) SELECT ${ROW_PARAMS}${INSERT_UNCOUNTED_SUFFIX}`);
      putRunValues(values, 0, run, now);
      values[PER_ROW] = run.id;
      return conditional.run(values).changes === 1;
    },
    counted(run, now) {
      putRunValues(counted, 0, run, now);
      sql.run(insertRunsSql(1), counted);
    },
  };
}

export function runParams(run: NewRun, now: number): Record<string, unknown> {
  return {
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
    tags: JSON.stringify(run.tags),
    parent_run_id: run.parentRunId,
    schedule_id: run.scheduleId,
    trace_context: run.traceContext ?? null,
  };
}

function waitParams(runId: string, w: NewWait): Record<string, unknown> {
  return {
    run_id: runId,
    key: w.key,
    parent_key: w.parentKey,
    kind: w.kind,
    created_at: w.createdAt,
    wake_at: w.wakeAt,
    event_name: w.eventName,
    match: w.match,
    child_run_id: w.childRunId,
  };
}

/** The primitives on one connection; every status change is also recorded in `counts`. */
export function createTx(sql: Sql, counts: RunCounts): RulesTx {
  const insertTags = (run: NewRun) => {
    for (const tag of new Set(run.tags)) sql.run(r.INSERT_TAG, { tag, run_id: run.id });
  };
  const waits = (text: string, params: object): StoredWait[] => sql.all<WaitRow>(text, params).map(toWait);
  return {
    ...eventTokenTx(sql),
    insertRuns(runs, now) {
      let values: unknown[] = [];
      for (const [i, n] of chunks(runs.length)) {
        if (values.length !== n * PER_ROW) values = new Array(n * PER_ROW);
        for (let j = 0; j < n; j++) putRunValues(values, j * PER_ROW, runs[i + j]!, now);
        sql.run(insertRunsSql(n), values);
      }
      // One count per run of queue and status that follow each other (a batch is mostly one of each).
      let same = 0;
      for (let j = 0; j < runs.length; j++) {
        const run = runs[j]!;
        const next = runs[j + 1];
        same++;
        if (next === undefined || next.queue !== run.queue || next.status !== run.status) {
          counts.add(run.queue, run.status, same);
          same = 0;
        }
        if (run.tags.length > 0) insertTags(run);
      }
    },
    insertRunIfKeyFree(run, now) {
      if (sql.run(r.INSERT_RUN_IF_KEY_FREE, runParams(run, now)).changes === 0) return false;
      insertTags(run);
      counts.add(run.queue, run.status, 1);
      return true;
    },
    runByIdempotencyKey(taskId, key) {
      const row = sql.get<RunRow>(r.BY_IDEMPOTENCY_KEY, { task_id: taskId, key });
      return row === undefined ? null : toRun(row);
    },
    releaseIdempotencyKey(id) {
      sql.run(r.RELEASE_IDEMPOTENCY_KEY, { id });
    },
    pendingDebounced(taskId, key) {
      const row = sql.get<RunRow>(r.PENDING_DEBOUNCED, { task_id: taskId, key });
      return row === undefined ? null : toRun(row);
    },
    insertRunIfDebounceFree(run, now) {
      const params = { ...runParams(run, now), debounce_key: run.debounce?.key ?? null, debounce_until: run.debounce?.until ?? null };
      if (sql.run(r.INSERT_RUN_IF_DEBOUNCE_FREE, params).changes === 0) return false;
      insertTags(run);
      counts.add(run.queue, run.status, 1);
      return true;
    },
    updateDebounced(id, payload, runAt, now) {
      return toRun(sql.get<RunRow>(r.UPDATE_DEBOUNCED, { id, payload, run_at: runAt, now })!);
    },
    finishUnfinished(id, status, error, now) {
      const row = sql.get<{ status: RunStatus; queue: string; parent_run_id: string | null }>(l.UNFINISHED_RUN, { id });
      if (row === undefined) return null;
      sql.run(l.FINISH_RUN, { id, status, error, now });
      counts.move(row.queue, row.status, status);
      return { parentRunId: row.parent_run_id };
    },
    expireUnstarted(now, error) {
      const due = sql.rows(l.EXPIRABLE, { now });
      if (due.length === 0) return [];
      for (const [, queue, status] of due) counts.move(queue as string, status as RunStatus, "expired");
      return sql.all<FinishedRow>(l.EXPIRE, { ids: ids(due.map((x) => x[0] as string)), now, error }).map(toFinished);
    },
    exhaustedLeases: (now) => sql.all<{ id: string; attempt: number }>(l.EXHAUSTED_LEASES, { now }),
    failHeld(id, worker, error, now) {
      const row = sql.get<{ parent_run_id: string | null }>(l.FAIL_FINAL, { id, worker, error, now });
      if (row === undefined) return null;
      counts.add("", "failed", 1);
      return { parentRunId: row.parent_run_id };
    },
    retryHeld(id, worker, error, retryAt, now) {
      const row = sql.get<{ queue: string }>(l.FAIL_RETRY, { id, worker, error, retry_at: retryAt, now });
      if (row !== undefined) counts.add(row.queue, "delayed", 1);
      return row !== undefined;
    },
    unfinishedChildren: (id) => sql.all<{ id: string }>(l.UNFINISHED_CHILDREN, { id }).map((x) => x.id),
    runResult: (id) => sql.get<RunResult>(l.RUN_RESULT, { id }) ?? null,
    wakeRuns(runIds, now) {
      const woken = sql.all<{ queue: string }>(l.WAKE_RUNS, { ids: ids(runIds), now });
      for (const w of woken) counts.move(w.queue, "waiting", "queued");
      return woken.length;
    },
    lockHeld: (id, worker) => sql.get(l.HELD, { id, worker }) !== undefined,
    requeueHeld(id, now) {
      const row = sql.get<{ queue: string }>(l.REQUEUE_HELD, { id, now });
      if (row !== undefined) counts.add(row.queue, "queued", 1);
    },
    markWaiting(id, runAt, now) {
      if (sql.run(l.MARK_WAITING, { id, run_at: runAt, now }).changes === 1) counts.add("", "waiting", 1);
    },
    nextTimer: (runId) => sql.get<{ at: number | null }>(l.NEXT_TIMER, { run_id: runId })?.at ?? null,
    insertWaits(runId, list) {
      for (const w of list) sql.run(l.INSERT_WAIT, waitParams(runId, w));
    },
    waitsByKeys: (runId, keys) => waits(l.WAITS_BY_KEYS, { run_id: runId, keys: ids(keys) }),
    completeWait(w, output, now) {
      sql.run(l.INSERT_WAIT_STEP, {
        run_id: w.runId,
        key: w.key,
        parent_key: w.parentKey,
        kind: w.kind,
        output,
        started_at: w.createdAt,
        finished_at: now,
        child_run_id: w.childRunId,
      });
      sql.run(l.RESOLVE_WAIT, { run_id: w.runId, key: w.key, now });
    },
    closeWaitsOfRuns(runIds, now) {
      sql.run(l.CLOSE_WAITS_OF_RUNS, { ids: ids(runIds), now });
    },
    openChildWaits: (childIds) => waits(l.OPEN_CHILD_WAITS, { ids: ids(childIds) }),
    dueTimers: (runIds, now) => waits(l.DUE_TIMERS, { ids: ids(runIds), now }),
    insertEvent(id, name, payload, now) {
      sql.run(l.INSERT_EVENT, { id, name, payload, now });
    },
    openEventWaits: (name, now) => waits(l.OPEN_EVENT_WAITS, { name, now }),
    eventsSince: (name, since, now) => sql.all<{ payload: string }>(l.EVENTS_SINCE, { name, since, now }).map((e) => e.payload),
  };
}

function toFinished(row: FinishedRow): FinishedRun {
  return { id: row.id, parentRunId: row.parent_run_id, status: row.status, output: row.output, error: row.error };
}
