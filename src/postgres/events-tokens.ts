/**
 * The PostgreSQL side of events that start runs and of waitpoint tokens: the store-rule primitives
 * (merged into createTx) and the read calls of the Store.
 */
import type { EventTokenTx } from "../store/rules/tx.ts";
import type { RunStatus, Store, TokenRecord, TokenStatus } from "../store/types.ts";
import type { Queryable } from "./driver.ts";
import type { Resolved } from "./open.ts";
import { toRun, toWait, type WaitRow } from "./rows.ts";
import * as e from "./sql-events-tokens.ts";
import { SAVE_STEP } from "./sql.ts";
type Row = Record<string, unknown>;
/** Puts the quoted schema into a statement (`:S.` → `"schema".`), as in tx.ts. */
type Schema = (text: string) => string;

function toToken(r: Row): TokenRecord {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: r["id"] as string,
    runId: r["run_id"] as string,
    key: r["key"] as string,
    status: r["status"] as TokenStatus,
    output: (r["output"] as string | null) ?? null,
    createdAt: Number(r["created_at"]),
    timeoutAt: num(r["timeout_at"]),
    finishedAt: num(r["finished_at"]),
  };
}

/** The primitives, on the caller's transaction connection. Row locks order: run → token → waits (rules/tokens.ts). */
export function eventTokenTx(c: Queryable, S: Schema): EventTokenTx {
  const rows = async (text: string, values: unknown[]): Promise<Row[]> => (await c.query<Row>(S(text), values)).rows;
  const one = async (text: string, values: unknown[]) => {
    const row = (await rows(text, values))[0];
    return row === undefined ? null : toToken(row);
  };
  return {
    insertEventIfKeyFree: async (id, name, payload, key, now) =>
      ((await c.query(S(e.INSERT_EVENT_IF_KEY_FREE), [id, name, payload, now, key])).rowCount ?? 0) === 1,
    eventIdByKey: async (name, key) => ((await rows(e.EVENT_BY_KEY, [name, key]))[0]?.["id"] as string | undefined) ?? null,
    linkEventRuns: async (eventId, eventName, runIds) => {
      await c.query(S(e.LINK_EVENT_RUNS), [runIds, eventId, eventName]);
    },
    runsOfEvent: async (eventId) => (await rows(e.RUNS_OF_EVENT, [eventId])).map(toRun),
    insertToken: async (runId, t) => {
      await c.query(S(e.INSERT_TOKEN), [t.id, runId, t.key, t.createdAt, t.timeoutAt]);
    },
    saveHeldStep: async (runId, workerId, s) => {
      const values = [runId, workerId, s.key, s.parentKey, s.kind, s.status, s.output, s.error, s.attempts, s.startedAt, s.finishedAt, s.childRunId];
      await c.query(S(SAVE_STEP), values);
    },
    tokenById: (id, lock) => one(lock ? e.TOKEN_BY_ID_LOCKED : e.TOKEN_BY_ID, [id]),
    tokenByKey: (runId, key) => one(e.TOKEN_BY_KEY_LOCKED, [runId, key]),
    finishToken: async (id, status, output, now) => {
      await c.query(S(e.FINISH_TOKEN), [id, status, output, now]);
    },
    // A finished run is read from the history in the next statement (a move in flight is waited for by the first).
    lockRunStatus: async (id) =>
      (((await rows(e.LOCK_RUN_STATUS, [id]))[0] ?? (await rows(e.FINISHED_RUN_STATUS, [id]))[0])?.["status"] as RunStatus | undefined) ?? null,
    openTokenWaits: async (runId, key) => (await c.query<WaitRow>(S(e.OPEN_TOKEN_WAITS), [runId, key])).rows.map(toWait),
  };
}

/** The read calls. */
export function eventTokenQueries(r: Resolved): Pick<Store, "getRunEvents" | "getToken" | "listTokens"> {
  const { pool, S } = r;
  return {
    async getRunEvents({ runIds }) {
      if (runIds.length === 0) return [];
      const res = await pool.query<{ run_id: string; event_id: string; event_name: string }>(S(e.RUN_EVENTS), [[...runIds]]);
      return res.rows.map((x) => ({ runId: x.run_id, eventId: x.event_id, eventName: x.event_name }));
    },
    async getToken({ id }) {
      const row = (await pool.query<Row>(S(e.TOKEN_BY_ID), [id])).rows[0];
      return row === undefined ? null : toToken(row);
    },
    async listTokens({ runId }) {
      return (await pool.query<Row>(S(e.TOKENS_OF_RUN), [runId])).rows.map(toToken);
    },
  };
}
