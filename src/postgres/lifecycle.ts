/**
 * Run and wait transitions shared by several calls of the PostgreSQL store (inside the caller's
 * transaction): finishing runs and resolving their parents' waits, resolving waits into steps,
 * waking waiting runs. The same rules as the SQLite store (src/sqlite/lifecycle.ts).
 */
import { matchesJson } from "../store/match.ts";
import type { RunStatus } from "../store/types.ts";
import { childResultJson } from "../store/child-result.ts";
import type { Queryable } from "./driver.ts";
import type { WaitRow } from "./rows.ts";

export type Sql = (text: string) => string;

export interface Finished {
  readonly id: string;
  readonly parent_run_id: string | null;
  readonly status: RunStatus;
  readonly output: string | null;
  readonly error: string | null;
}

export async function resolveWait(c: Queryable, S: Sql, w: WaitRow, output: string, now: number, woken: Set<string>): Promise<void> {
  await c.query(
    S(`INSERT INTO :S.steps (run_id, key, parent_key, kind, status, output, error, attempts, started_at, finished_at, child_run_id)
       VALUES ($1, $2, $3, $4, 'completed', $5, NULL, 1, $6, $7, $8)
       ON CONFLICT (run_id, key) DO UPDATE SET status = 'completed', output = excluded.output, error = NULL, finished_at = excluded.finished_at
       WHERE :S.steps.status <> 'completed'`),
    [w.run_id, w.key, w.parent_key, w.kind, output, w.created_at, now, w.child_run_id],
  );
  await c.query(S("UPDATE :S.waits SET resolved_at = $3 WHERE run_id = $1 AND key = $2"), [w.run_id, w.key, now]);
  woken.add(w.run_id);
}

export async function wake(c: Queryable, S: Sql, ids: Set<string>, now: number): Promise<number> {
  if (ids.size === 0) return 0;
  const r = await c.query(S("UPDATE :S.runs SET status = 'queued', run_at = $2, updated_at = $2 WHERE id = ANY($1) AND status = 'waiting'"), [
    [...ids],
    now,
  ]);
  return r.rowCount ?? 0;
}

export async function afterFinish(c: Queryable, S: Sql, finished: readonly Finished[], now: number, woken: Set<string>): Promise<void> {
  if (finished.length === 0) return;
  await c.query(S("UPDATE :S.waits SET resolved_at = $2 WHERE resolved_at IS NULL AND run_id = ANY($1)"), [finished.map((f) => f.id), now]);
  const withParent = finished.filter((f) => f.parent_run_id !== null);
  if (withParent.length === 0) return;
  const waits = await c.query<WaitRow>(S("SELECT * FROM :S.waits WHERE child_run_id = ANY($1) AND resolved_at IS NULL AND kind = 'child'"), [
    withParent.map((f) => f.id),
  ]);
  const byId = new Map(withParent.map((f) => [f.id, f]));
  for (const w of waits.rows) {
    const f = byId.get(w.child_run_id!)!;
    await resolveWait(c, S, w, childResultJson(f.id, f.status, f.output, f.error), now, woken);
  }
}

export async function finishRun(
  c: Queryable,
  S: Sql,
  id: string,
  status: "failed" | "canceled" | "expired",
  error: string | null,
  now: number,
  woken: Set<string>,
): Promise<boolean> {
  const r = await c.query<{ id: string; parent_run_id: string | null }>(
    S(`UPDATE :S.runs SET status = $2, error = coalesce($3, error), finished_at = $4, updated_at = $4, worker_id = NULL, lease_expires_at = NULL
       WHERE id = $1 AND status NOT IN ('completed', 'failed', 'canceled', 'expired') RETURNING id, parent_run_id`),
    [id, status, error, now],
  );
  if (r.rows.length === 0) return false;
  await afterFinish(c, S, [{ id, parent_run_id: r.rows[0]!.parent_run_id, status, output: null, error }], now, woken);
  return true;
}

export async function tryResolveNow(c: Queryable, S: Sql, w: WaitRow, now: number, woken: Set<string>): Promise<boolean> {
  if (w.wake_at !== null && Number(w.wake_at) <= now) {
    await resolveWait(c, S, w, "null", now, woken);
    return true;
  }
  if (w.kind === "event" && w.event_name !== null) {
    const events = await c.query<{ payload: string }>(
      S("SELECT payload FROM :S.events WHERE name = $1 AND created_at >= $2 AND created_at <= $3 ORDER BY created_at, seq"),
      [w.event_name, w.created_at, now],
    );
    for (const e of events.rows) {
      if (matchesJson(w.match, e.payload)) {
        await resolveWait(c, S, w, e.payload, now, woken);
        return true;
      }
    }
    return false;
  }
  if (w.kind === "child" && w.child_run_id !== null) {
    const child = await c.query<{ status: RunStatus; output: string | null; error: string | null }>(
      S("SELECT status, output, error FROM :S.runs WHERE id = $1"),
      [w.child_run_id],
    );
    const row = child.rows[0];
    if (row !== undefined && ["completed", "failed", "canceled", "expired"].includes(row.status)) {
      await resolveWait(c, S, w, childResultJson(w.child_run_id, row.status, row.output, row.error), now, woken);
      return true;
    }
  }
  return false;
}
