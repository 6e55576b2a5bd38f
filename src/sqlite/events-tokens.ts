/**
 * The SQLite side of events that start runs and of waitpoint tokens: the store-rule primitives
 * (merged into createTx) and the read calls of the Store.
 */
import type { EventTokenTx } from "../store/rules/tx.ts";
import type { RunEventRecord, RunStatus, Store, TokenRecord, TokenStatus } from "../store/types.ts";
import type { Conn } from "./conn.ts";
import type { Sql } from "./driver.ts";
import { toRun, toWait, type RunRow, type WaitRow } from "./rows.ts";
import * as e from "./sql/events-tokens.ts";
import { UPSERT_STEP } from "./sql/runs.ts";

interface TokenRow {
  id: string;
  run_id: string;
  key: string;
  status: string;
  output: string | null;
  created_at: number;
  timeout_at: number | null;
  finished_at: number | null;
}

function toToken(r: TokenRow): TokenRecord {
  return {
    id: r.id,
    runId: r.run_id,
    key: r.key,
    status: r.status as TokenStatus,
    output: r.output,
    createdAt: r.created_at,
    timeoutAt: r.timeout_at,
    finishedAt: r.finished_at,
  };
}

/** The primitives (inside the caller's BEGIN IMMEDIATE transaction: the database is locked whole, rows need no locks). */
export function eventTokenTx(sql: Sql): EventTokenTx {
  const token = (row: TokenRow | undefined) => (row === undefined ? null : toToken(row));
  return {
    insertEventIfKeyFree: (id, name, payload, key, now) => sql.run(e.INSERT_EVENT_IF_KEY_FREE, { id, name, payload, key, now }).changes === 1,
    eventIdByKey: (name, key) => sql.get<{ id: string }>(e.EVENT_BY_KEY, { name, key })?.id ?? null,
    linkEventRuns(eventId, eventName, runIds) {
      sql.run(e.LINK_EVENT_RUNS, { event_id: eventId, event_name: eventName, ids: JSON.stringify(runIds) });
    },
    runsOfEvent: (eventId) => sql.all<RunRow>(e.RUNS_OF_EVENT, { event_id: eventId }).map(toRun),
    insertToken(runId, t) {
      sql.run(e.INSERT_TOKEN, { id: t.id, run_id: runId, key: t.key, created_at: t.createdAt, timeout_at: t.timeoutAt });
    },
    saveHeldStep(runId, _workerId, s) {
      sql.run(UPSERT_STEP, {
        run_id: runId,
        key: s.key,
        parent_key: s.parentKey,
        kind: s.kind,
        status: s.status,
        output: s.output,
        error: s.error,
        attempts: s.attempts,
        started_at: s.startedAt,
        finished_at: s.finishedAt,
        child_run_id: s.childRunId,
      });
    },
    tokenById: (id) => token(sql.get<TokenRow>(e.TOKEN_BY_ID, { id })),
    tokenByKey: (runId, key) => token(sql.get<TokenRow>(e.TOKEN_BY_KEY, { run_id: runId, key })),
    finishToken(id, status, output, now) {
      sql.run(e.FINISH_TOKEN, { id, status, output, now });
    },
    lockRunStatus: (id) => sql.get<{ status: RunStatus }>(e.RUN_STATUS, { id })?.status ?? null,
    openTokenWaits: (runId, key) => sql.all<WaitRow>(e.OPEN_TOKEN_WAITS, { run_id: runId, key }).map(toWait),
  };
}

/** The read calls. */
export function eventTokenQueries(conn: Conn): Pick<Store, "getRunEvents" | "getToken" | "listTokens"> {
  const { sql, call } = conn;
  return {
    getRunEvents: ({ runIds }) =>
      call(() =>
        runIds.length === 0
          ? []
          : sql
              .all<{ run_id: string; event_id: string; event_name: string }>(e.RUN_EVENTS, { ids: JSON.stringify(runIds) })
              .map((r): RunEventRecord => ({ runId: r.run_id, eventId: r.event_id, eventName: r.event_name })),
      ),
    getToken: ({ id }) =>
      call(() => {
        const row = sql.get<TokenRow>(e.TOKEN_BY_ID, { id });
        return row === undefined ? null : toToken(row);
      }),
    listTokens: ({ runId }) => call(() => sql.all<TokenRow>(e.TOKENS_OF_RUN, { run_id: runId }).map(toToken)),
  };
}
