/**
 * The PostgreSQL store: the scale-out engine. Claims use `FOR UPDATE SKIP LOCKED`; a claim that
 * touches no concurrency-limited queue is ONE statement. Limited queues are claimed inside a
 * transaction that locks their `queues` rows, so limits hold across every process. Completions are
 * batched. Wake-ups use LISTEN/NOTIFY, one NOTIFY per statement that makes work available.
 */
import type { ClaimedRun, CreatedRun, NewRun, NewWait, Store } from "../store/types.ts";
import { NEVER } from "../store/types.ts";
import { matchesJson } from "../store/match.ts";
import { insertedRun } from "../store/records.ts";
import { transaction, type Queryable } from "./driver.ts";
import { afterFinish, finishRun, resolveWait, tryResolveNow, wake, type Finished } from "./lifecycle.ts";
import { isConnectionError } from "./connection-errors.ts";
import { createListener } from "./listen.ts";
import { connectionError, migrate, resolveOptions, type PostgresStoreOptions } from "./open.ts";
import { scrubError } from "../store/redact.ts";
import { createQueries } from "./queries.ts";
import { toRun, toStep, type WaitRow } from "./rows.ts";
import * as q from "./sql.ts";

const LEASE_LOST = JSON.stringify({
  name: "LeaseExpiredError",
  message: "the worker running the last attempt stopped renewing its lease (crashed or frozen) and no attempts are left",
});
const EXPIRED = JSON.stringify({ name: "ExpiredError", message: "the run was not started before its ttl ran out" });
/** How long the set of concurrency-limited queues is cached (other processes may change it). */
const LIMITS_TTL_MS = 1000;

type Row = Record<string, unknown>;

/** Creates a Store on PostgreSQL (`connectionString`, or your own `pg.Pool`), in its own schema. */
export function postgresStore(options: PostgresStoreOptions): Store {
  const r = resolveOptions(options);
  const { pool, S } = r;
  const queries = createQueries(r);
  const listener = createListener({ open: r.openListenConnection, channel: r.channel });
  let migrated: Promise<void> | null = null;
  let limited: { at: number; limits: Map<string, number> } | null = null;
  let closed = false;

  /** A named (prepared once per connection) statement, for the hot queries. */
  const named = (name: string, sql: string) => ({ name: `errand_${name}_${r.schema}`, text: S(sql) });
  const notify = (c: Queryable, queue = "") => c.query("SELECT pg_notify($1, $2)", [r.channel, queue]);

  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw isConnectionError(error) ? connectionError(r.label, error, r.redact) : scrubError(error, r.redact);
    }
  };

  /** Write transaction; wakes runs collected in `woken` and notifies once. */
  const write = <T>(fn: (c: Queryable, woken: Set<string>) => Promise<T>, now: number): Promise<T> =>
    guard(() =>
      transaction(pool, async (c) => {
        const woken = new Set<string>();
        const out = await fn(c, woken);
        if (woken.size > 0 && (await wake(c, S, woken, now)) > 0) await notify(c);
        return out;
      }),
    );

  async function limitsNow(): Promise<Map<string, number>> {
    if (limited !== null && Date.now() - limited.at < LIMITS_TTL_MS) return limited.limits;
    const rows = await pool.query<{ name: string; concurrency_limit: number }>(S(q.LIMITED_QUEUES));
    limited = { at: Date.now(), limits: new Map(rows.rows.map((x) => [x.name, x.concurrency_limit])) };
    return limited.limits;
  }

  async function maintenance(now: number): Promise<void> {
    const due = await guard(() => pool.query<{ due: boolean }>(named("due", q.MAINTENANCE_DUE), [now]));
    if (!due.rows[0]?.due) return;
    await write(async (c, woken) => {
      const expired = await c.query<Row>(S(q.EXPIRE_UNSTARTED), [now, EXPIRED]);
      await afterFinish(c, S, expired.rows.map(finished), now, woken);
      const exhausted = await c.query<{ id: string }>(S(q.LOST_LEASES_EXHAUSTED), [now]);
      for (const { id } of exhausted.rows) await finishRun(c, S, id, "failed", LEASE_LOST, now, woken);
    }, now);
  }

  async function withHistory(rows: Row[], now: number): Promise<ClaimedRun[]> {
    const runs = rows.map((row) => ({ run: toRun(row), history: row["prev_started"] !== null }));
    runs.sort((a, b) => b.run.priority - a.run.priority || a.run.runAt - b.run.runAt || (a.run.id < b.run.id ? -1 : 1));
    const old = runs.filter((x) => x.history).map((x) => x.run.id);
    const steps = new Map<string, ReturnType<typeof toStep>[]>();
    if (old.length > 0) {
      await write(async (c) => {
        const due = await c.query<WaitRow>(S(q.DUE_TIMERS), [old, now]);
        for (const w of due.rows) await resolveWait(c, S, w, "null", now, new Set());
        for (const s of (await c.query<Row>(S(q.STEPS_OF_RUNS), [old])).rows.map(toStep)) {
          let list = steps.get(s.runId);
          if (list === undefined) steps.set(s.runId, (list = []));
          list.push(s);
        }
      }, now);
    }
    return runs.map((x) => ({ run: x.run, steps: steps.get(x.run.id) ?? [] }));
  }

  async function claimLimited(workerId: string, queues: string[], limit: number, lease: number, now: number): Promise<Row[]> {
    return write(async (c) => {
      const limits = new Map(
        (await c.query<{ name: string; concurrency_limit: number | null }>(S(q.LOCK_QUEUES), [queues])).rows
          .filter((x) => x.concurrency_limit !== null)
          .map((x) => [x.name, x.concurrency_limit!]),
      );
      const running = new Map<string, number>();
      for (const row of (await c.query<{ queue: string; concurrency_key: string | null; n: string }>(S(q.RUNNING_COUNTS), [queues])).rows) {
        running.set(groupKey(row.queue, row.concurrency_key), Number(row.n));
      }
      const candidates = await c.query<{ id: string; queue: string; concurrency_key: string | null; status: string }>(S(q.LIMITED_CANDIDATES), [
        now,
        queues,
        Math.max(limit * 4, 64),
      ]);
      const chosen: string[] = [];
      for (const cand of candidates.rows) {
        const max = limits.get(cand.queue);
        // A takeover keeps the slot its run already holds.
        if (max !== undefined && cand.status !== "running") {
          const key = groupKey(cand.queue, cand.concurrency_key);
          const n = running.get(key) ?? 0;
          if (n >= max) continue;
          running.set(key, n + 1);
        }
        chosen.push(cand.id);
        if (chosen.length >= limit) break;
      }
      if (chosen.length === 0) return [];
      return (await c.query<Row>(S(q.MARK_CLAIMED), [chosen, workerId, lease, now])).rows;
    }, now);
  }

  async function createInTx(c: Queryable, runs: readonly NewRun[], now: number): Promise<CreatedRun[]> {
    const out: CreatedRun[] = [];
    let batch: NewRun[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await c.query(S(q.INSERT_RUNS), insertParams(batch, now));
      for (const run of batch) out.push({ run: insertedRun(run, now), created: true });
      batch = [];
    };
    for (const run of runs) {
      if (run.idempotencyKey === null) {
        batch.push(run);
        continue;
      }
      await flush();
      for (let tries = 0; ; tries++) {
        const inserted = await c.query(S(q.INSERT_RUN_IDEMPOTENT), insertParams([run], now));
        if ((inserted.rowCount ?? 0) === 1) {
          out.push({ run: insertedRun(run, now), created: true });
          break;
        }
        const existing = (await c.query<Row>(S(q.BY_IDEMPOTENCY_KEY), [run.taskId, run.idempotencyKey])).rows[0];
        if (existing === undefined) {
          if (tries > 3) throw new Error(`postgresStore: could not insert run with idempotency key ${run.idempotencyKey}`);
          continue;
        }
        const expiresAt = existing["idempotency_expires_at"];
        if (expiresAt === null || Number(expiresAt) > now) {
          out.push({ run: toRun(existing), created: false });
          break;
        }
        await c.query(S(q.RELEASE_IDEMPOTENCY_KEY), [existing["id"]]);
      }
    }
    await flush();
    return out;
  }

  async function suspendInTx(c: Queryable, workerId: string, runId: string, waits: readonly NewWait[], now: number, woken: Set<string>) {
    const held = await c.query(S(q.HELD_FOR_UPDATE), [runId, workerId]);
    if (held.rows.length === 0) return null;
    if (waits.length > 0) {
      await c.query(S(q.INSERT_WAITS), [
        runId,
        waits.map((w) => w.key),
        waits.map((w) => w.parentKey),
        waits.map((w) => w.kind),
        waits.map((w) => w.createdAt),
        waits.map((w) => w.wakeAt),
        waits.map((w) => w.eventName),
        waits.map((w) => w.match),
        waits.map((w) => w.childRunId),
      ]);
    }
    let ready = false;
    const rows = (await c.query<WaitRow>(S(q.WAITS_BY_KEYS), [runId, waits.map((w) => w.key)])).rows;
    for (const row of rows) {
      if (row.resolved_at !== null || (await tryResolveNow(c, S, row, now, new Set()))) ready = true;
    }
    if (ready) {
      await c.query(S(q.REQUEUE_HELD), [runId, now]);
      await notify(c);
      return "queued" as const;
    }
    const next = (await c.query<{ at: string | null }>(S(q.NEXT_TIMER), [runId])).rows[0]?.at ?? null;
    await c.query(S(q.MARK_WAITING), [runId, next === null ? NEVER : Number(next), now]);
    void woken;
    return "waiting" as const;
  }

  const store: Store = {
    name: `postgres:${r.label}`,

    migrate() {
      migrated ??= migrate(r).catch((error: unknown) => {
        migrated = null;
        throw error;
      });
      return migrated;
    },

    async close() {
      if (closed) return;
      closed = true;
      await listener.close();
      if (r.owned) await pool.end();
    },

    async upsertQueues({ queues }) {
      if (queues.length === 0) return;
      await guard(() => pool.query(S(q.UPSERT_QUEUES), [queues.map((x) => x.name), queues.map((x) => x.concurrencyLimit)]));
      limited = null;
    },

    async createRuns({ runs, now }) {
      if (runs.length === 0) return [];
      if (runs.every((x) => x.idempotencyKey === null)) {
        // The common case is one round trip: insert and notify in a single statement.
        await guard(() => pool.query(named("insert", q.INSERT_RUNS_NOTIFY), [...insertParams(runs, now), r.channel]));
        return runs.map((run) => ({ run: insertedRun(run, now), created: true }));
      }
      return write(async (c) => {
        const out = await createInTx(c, runs, now);
        if (out.some((x) => x.created)) await notify(c);
        return out;
      }, now);
    },

    async claimRuns({ workerId, queues, limit, leaseMs, now }) {
      if (limit <= 0) return [];
      await maintenance(now);
      const limits = await limitsNow();
      const lease = now + leaseMs;
      const limitedNames = [...limits.keys()];
      const rows = (
        await guard(() => pool.query<Row>(named("claim", q.CLAIM_FREE), [now, queues === null ? null : [...queues], limitedNames, limit, workerId, lease]))
      ).rows;
      const relevant = queues === null ? limitedNames : queues.filter((x) => limits.has(x));
      if (rows.length < limit && relevant.length > 0) rows.push(...(await claimLimited(workerId, relevant, limit - rows.length, lease, now)));
      return rows.length === 0 ? [] : withHistory(rows, now);
    },

    async heartbeat({ workerId, runIds, leaseMs, now }) {
      if (runIds.length === 0) return [];
      const rows = await guard(() => pool.query<{ id: string }>(named("heartbeat", q.HEARTBEAT), [[...runIds], workerId, now + leaseMs]));
      return rows.rows.map((x) => x.id);
    },

    async releaseRuns({ workerId, runIds, now }) {
      if (runIds.length === 0) return;
      await write(async (c) => {
        const res = await c.query(S(q.RELEASE), [[...runIds], workerId, now]);
        if ((res.rowCount ?? 0) > 0) await notify(c);
      }, now);
    },

    async completeRuns({ workerId, items, now }) {
      if (items.length === 0) return [];
      const done = await guard(() =>
        pool.query<{ id: string }>(named("complete", q.COMPLETE), [items.map((x) => x.runId), items.map((x) => x.output), workerId, now, r.channel]),
      );
      return done.rows.map((d) => d.id);
    },

    async failRun({ workerId, runId, error, retryAt, now }) {
      return write(async (c, woken) => {
        if (retryAt !== null) return ((await c.query(S(q.FAIL_RETRY), [runId, workerId, error, retryAt, now])).rowCount ?? 0) === 1;
        const row = (await c.query<{ parent_run_id: string | null }>(S(q.FAIL_FINAL), [runId, workerId, error, now])).rows[0];
        if (row === undefined) return false;
        await afterFinish(c, S, [{ id: runId, parent_run_id: row.parent_run_id, status: "failed", output: null, error }], now, woken);
        return true;
      }, now);
    },

    async suspendRun({ workerId, runId, waits, now }) {
      return write((c, woken) => suspendInTx(c, workerId, runId, waits, now, woken), now);
    },

    async saveStep({ workerId, runId, step }) {
      const res = await guard(() =>
        pool.query<{ held: string }>(S(q.SAVE_STEP), [
          runId,
          workerId,
          step.key,
          step.parentKey,
          step.kind,
          step.status,
          step.output,
          step.error,
          step.attempts,
          step.startedAt,
          step.finishedAt,
          step.childRunId,
        ]),
      );
      return Number(res.rows[0]?.held ?? 0) > 0;
    },

    async sendEvent({ id, name, payload, now }) {
      return write(async (c, woken) => {
        await c.query(S(q.INSERT_EVENT), [id, name, payload, now]);
        let resolved = 0;
        for (const w of (await c.query<WaitRow>(S(q.OPEN_EVENT_WAITS), [name, now])).rows) {
          if (w.match !== null && !matchesJson(w.match, payload)) continue;
          await resolveWait(c, S, w, payload, now, woken);
          resolved++;
        }
        return resolved;
      }, now);
    },

    async cancelRun({ id, error, now }) {
      return write(async (c, woken) => {
        const canceled: string[] = [];
        const stack = [id];
        while (stack.length > 0) {
          const next = stack.pop()!;
          if (!(await finishRun(c, S, next, "canceled", error, now, woken))) continue;
          canceled.push(next);
          for (const child of (await c.query<{ id: string }>(S(q.UNFINISHED_CHILDREN), [next])).rows) stack.push(child.id);
        }
        return canceled;
      }, now);
    },

    ...wrapQueries(queries, guard),

    subscribe(listener_) {
      return listener.subscribe(listener_);
    },
  };
  return store;
}

function wrapQueries<T extends object>(queries: T, guard: <R>(fn: () => Promise<R>) => Promise<R>): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(queries)) {
    out[name] = (...args: unknown[]) => guard(() => (fn as (...a: unknown[]) => Promise<unknown>)(...args));
  }
  return out as T;
}

function finished(row: Row): Finished {
  return {
    id: row["id"] as string,
    parent_run_id: (row["parent_run_id"] as string | null) ?? null,
    status: row["status"] as Finished["status"],
    output: (row["output"] as string | null) ?? null,
    error: (row["error"] as string | null) ?? null,
  };
}

function insertParams(runs: readonly NewRun[], now: number): unknown[] {
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
  ];
}


function groupKey(queue: string, concurrencyKey: string | null): string {
  return concurrencyKey === null ? queue : `${queue}\u0000${concurrencyKey}`;
}
