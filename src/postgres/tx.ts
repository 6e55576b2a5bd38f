/**
 * The PostgreSQL implementation of the store-rule primitives (src/store/rules/tx.ts): SQL and row
 * mapping only, on one connection inside the caller's transaction.
 */
import type { NewRun, NewWait, RunStatus } from "../store/types.ts";
import type { FinishedRun, RulesTx } from "../store/rules/tx.ts";
import type { Queryable } from "./driver.ts";
import { eventTokenTx } from "./events-tokens.ts";
import { toRun, toWait, type WaitRow } from "./rows.ts";
import * as q from "./sql.ts";

type Row = Record<string, unknown>;
/** Puts the quoted schema into a statement (`:S.` → `"schema".`). */
export type Schema = (text: string) => string;

/**
 * The `unnest` parameters of INSERT_RUNS for a batch of runs ($1 … $17); `now` ($9) is one time for
 * every run, or one per run for INSERT_RUNS_NOTIFY.
 */
export function insertParams(runs: readonly NewRun[], now: number | readonly number[]): unknown[] {
  return [
    runs.map((x) => x.id),
    runs.map((x) => x.taskId),
    runs.map((x) => x.queue),
    runs.map((x) => x.concurrencyKey),
    runs.map((x) => x.status),
    runs.map((x) => x.payload),
    runs.map((x) => x.priority),
    runs.map((x) => x.runAt),
    now,
    runs.map((x) => x.maxAttempts),
    runs.map((x) => x.idempotencyKey),
    runs.map((x) => x.idempotencyExpiresAt),
    runs.map((x) => x.expiresAt),
    runs.map((x) => JSON.stringify(x.tags)),
    runs.map((x) => x.parentRunId),
    runs.map((x) => x.scheduleId),
    runs.map((x) => x.traceContext ?? null),
  ];
}

/** The parameters of INSERT_RUN_NOTIFY for one run ($1 … $17, in the order of {@link insertParams}). */
export function insertOneParams(x: NewRun, now: number): unknown[] {
  return [
    x.id,
    x.taskId,
    x.queue,
    x.concurrencyKey,
    x.status,
    x.payload,
    x.priority,
    x.runAt,
    now,
    x.maxAttempts,
    x.idempotencyKey,
    x.idempotencyExpiresAt,
    x.expiresAt,
    x.tags,
    x.parentRunId,
    x.scheduleId,
    x.traceContext ?? null,
  ];
}

function waitColumns(waits: readonly NewWait[]): unknown[] {
  return [
    waits.map((w) => w.key),
    waits.map((w) => w.parentKey),
    waits.map((w) => w.kind),
    waits.map((w) => w.createdAt),
    waits.map((w) => w.wakeAt),
    waits.map((w) => w.eventName),
    waits.map((w) => w.match),
    waits.map((w) => w.childRunId),
  ];
}

export function toFinished(row: Row): FinishedRun {
  return {
    id: row["id"] as string,
    parentRunId: (row["parent_run_id"] as string | null) ?? null,
    status: row["status"] as RunStatus,
    output: (row["output"] as string | null) ?? null,
    error: (row["error"] as string | null) ?? null,
  };
}

export function createTx(c: Queryable, S: Schema): RulesTx {
  const rows = async <R = Row>(text: string, values: unknown[]): Promise<R[]> => (await c.query<R>(S(text), values)).rows;
  const count = async (text: string, values: unknown[]): Promise<number> => (await c.query(S(text), values)).rowCount ?? 0;
  const exec = async (text: string, values: unknown[]): Promise<void> => {
    await c.query(S(text), values);
  };
  const parentOf = async (text: string, values: unknown[]) => {
    const row = (await rows<{ parent_run_id: string | null }>(text, values))[0];
    return row === undefined ? null : { parentRunId: row.parent_run_id };
  };
  const waits = async (text: string, values: unknown[]) => (await rows<WaitRow>(text, values)).map(toWait);
  return {
    ...eventTokenTx(c, S),
    insertRuns: (runs, now) => exec(q.INSERT_RUNS, insertParams(runs, now)),
    insertRunIfKeyFree: async (run, now) => (await count(q.INSERT_RUN_IDEMPOTENT, insertParams([run], now))) === 1,
    runByIdempotencyKey: async (taskId, key) => {
      // The key row locked first, then the run read in a new snapshot (it may have moved meanwhile).
      const held = (await rows<{ run_id: string }>(q.BY_IDEMPOTENCY_KEY, [taskId, key]))[0];
      if (held === undefined) return null;
      const row = (await rows(q.RUN_BY_ID, [held.run_id]))[0];
      return row === undefined ? null : toRun(row);
    },
    releaseIdempotencyKey: async (id) => {
      await exec(q.RELEASE_IDEMPOTENCY_KEY, [id]);
      await exec(q.RELEASE_IDEMPOTENCY_KEY_DONE, [id]);
    },
    pendingDebounced: async (taskId, key) => {
      const row = (await rows(q.PENDING_DEBOUNCED, [taskId, key]))[0];
      return row === undefined ? null : toRun(row);
    },
    insertRunIfDebounceFree: async (run, now) =>
      (await count(q.INSERT_RUN_IF_DEBOUNCE_FREE, [...insertParams([run], now), run.debounce?.key ?? null, run.debounce?.until ?? null])) === 1,
    updateDebounced: async (id, payload, runAt, now) => toRun((await rows(q.UPDATE_DEBOUNCED, [id, payload, runAt, now]))[0]!),
    finishUnfinished: (id, status, error, now) => parentOf(q.FINISH_RUN, [id, status, error, now]),
    expireUnstarted: async (now, error) => (await rows(q.EXPIRE_UNSTARTED, [now, error])).map(toFinished),
    exhaustedLeases: async (now) => (await rows<{ id: string; attempt: number }>(q.LOST_LEASES_EXHAUSTED, [now])).map((x) => ({ id: x.id, attempt: Number(x.attempt) })),
    failHeld: (id, worker, error, now) => parentOf(q.FAIL_FINAL, [id, worker, error, now]),
    retryHeld: async (id, worker, error, retryAt, now) => (await count(q.FAIL_RETRY, [id, worker, error, retryAt, now])) === 1,
    unfinishedChildren: async (id) => (await rows<{ id: string }>(q.UNFINISHED_CHILDREN, [id])).map((x) => x.id),
    runResult: async (id) => {
      type Result = { status: RunStatus; output: string | null; error: string | null };
      return (await rows<Result>(q.RUN_RESULT, [id]))[0] ?? (await rows<Result>(q.FINISHED_RESULT, [id]))[0] ?? null;
    },
    wakeRuns: (ids, now) => count(q.WAKE_RUNS, [ids, now]),
    lockHeld: async (id, worker) => (await rows(q.HELD_FOR_UPDATE, [id, worker])).length > 0,
    requeueHeld: (id, now) => exec(q.REQUEUE_HELD, [id, now]),
    markWaiting: (id, runAt, now) => exec(q.MARK_WAITING, [id, runAt, now]),
    nextTimer: async (runId) => {
      const at = (await rows<{ at: string | null }>(q.NEXT_TIMER, [runId]))[0]?.at ?? null;
      return at === null ? null : Number(at);
    },
    insertWaits: (runId, list) => exec(q.INSERT_WAITS, [runId, ...waitColumns(list)]),
    waitsByKeys: (runId, keys) => waits(q.WAITS_BY_KEYS, [runId, keys]),
    completeWait: async (w, output, now) => {
      await exec(q.INSERT_WAIT_STEP, [w.runId, w.key, w.parentKey, w.kind, output, w.createdAt, now, w.childRunId]);
      await exec(q.RESOLVE_WAIT, [w.runId, w.key, now]);
    },
    closeWaitsOfRuns: (ids, now) => exec(q.CLOSE_WAITS_OF_RUNS, [ids, now]),
    openChildWaits: (ids) => waits(q.OPEN_CHILD_WAITS, [ids]),
    dueTimers: (ids, now) => waits(q.DUE_TIMERS, [ids, now]),
    insertEvent: (id, name, payload, now) => exec(q.INSERT_EVENT, [id, name, payload, now]),
    openEventWaits: (name, now) => waits(q.OPEN_EVENT_WAITS, [name, now]),
    eventsSince: async (name, since, now) => (await rows<{ payload: string }>(q.EVENTS_SINCE, [name, since, now])).map((e) => e.payload),
  };
}
