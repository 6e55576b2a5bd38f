/**
 * Run and wait transitions shared by several store calls: finishing runs (and resolving the parent's
 * wait on them), resolving waits into steps, waking waiting runs. Every function here runs inside
 * the caller's write transaction.
 */
import { childResultJson } from "../store/child-result.ts";
import { matchesJson } from "../store/match.ts";
import type { RunStatus } from "../store/types.ts";
import type { Sql } from "./driver.ts";
import type { WaitRow } from "./rows.ts";
import * as q from "./sql/lifecycle.ts";

export type FinalStatus = Extract<RunStatus, "completed" | "failed" | "canceled" | "expired">;

/** Writes the wait's step (completed with `output`), marks the wait resolved, wakes its run. */
export function resolveWait(sql: Sql, w: WaitRow, output: string, now: number, wakeRuns: Set<string>): void {
  sql.run(q.INSERT_WAIT_STEP, {
    run_id: w.run_id,
    key: w.key,
    parent_key: w.parent_key,
    kind: w.kind,
    output,
    started_at: w.created_at,
    finished_at: now,
    child_run_id: w.child_run_id,
  });
  sql.run(q.RESOLVE_WAIT, { run_id: w.run_id, key: w.key, now });
  wakeRuns.add(w.run_id);
}

/** Waiting runs in `ids` become queued now. Returns how many woke. */
export function wake(sql: Sql, ids: Iterable<string>, now: number): number {
  let n = 0;
  for (const id of ids) n += sql.run(q.WAKE_RUN, { id, now }).changes;
  return n;
}

/** After runs finished: close their open waits and resolve their parents' waits on them. */
export function afterFinish(
  sql: Sql,
  finished: readonly { id: string; parent_run_id: string | null; status: RunStatus; output: string | null; error: string | null }[],
  now: number,
  wakeRuns: Set<string>,
): void {
  if (finished.length === 0) return;
  sql.run(q.CLOSE_WAITS_OF_RUNS, { ids: JSON.stringify(finished.map((f) => f.id)), now });
  for (const f of finished) {
    if (f.parent_run_id === null) continue;
    const waits = sql.all<WaitRow>(q.OPEN_CHILD_WAITS, { child_run_id: f.id });
    if (waits.length === 0) continue;
    const result = childResultJson(f.id, f.status, f.output, f.error);
    for (const w of waits) resolveWait(sql, w, result, now, wakeRuns);
  }
}

/** Finishes one unfinished run with a final status (not for completion by a worker). */
export function finishRun(
  sql: Sql,
  id: string,
  status: FinalStatus,
  error: string | null,
  now: number,
  wakeRuns: Set<string>,
): boolean {
  const row = sql.get<{ id: string; parent_run_id: string | null }>(q.FINISH_RUN, { id, status, error, now });
  if (row === undefined) return false;
  afterFinish(sql, [{ id, parent_run_id: row.parent_run_id, status, output: null, error }], now, wakeRuns);
  return true;
}

/** Tries to resolve an open wait from what is stored already; returns true if it did. */
export function tryResolveNow(sql: Sql, w: WaitRow, now: number, wakeRuns: Set<string>): boolean {
  if (w.wake_at !== null && w.wake_at <= now) {
    resolveWait(sql, w, "null", now, wakeRuns);
    return true;
  }
  if (w.kind === "event" && w.event_name !== null) {
    const events = sql.all<{ payload: string }>(q.EVENTS_SINCE, { name: w.event_name, since: w.created_at, now });
    for (const e of events) {
      if (matchesJson(w.match, e.payload)) {
        resolveWait(sql, w, e.payload, now, wakeRuns);
        return true;
      }
    }
    return false;
  }
  if (w.kind === "child" && w.child_run_id !== null) {
    const child = sql.get<{ status: RunStatus; output: string | null; error: string | null }>(q.CHILD_STATE, {
      id: w.child_run_id,
    });
    if (child !== undefined && ["completed", "failed", "canceled", "expired"].includes(child.status)) {
      resolveWait(sql, w, childResultJson(w.child_run_id, child.status, child.output, child.error), now, wakeRuns);
      return true;
    }
  }
  return false;
}
