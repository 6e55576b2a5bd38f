/**
 * An idempotency key stays taken while its run moves from `runs` to the history (`runs_done`).
 *
 * The move is one statement: a delete from runs and an insert into runs_done. Between the two, the
 * run's row in runs is deleted by a transaction still in flight. A design that kept keys unique
 * with an index on runs (plus a look at runs_done) lets a concurrent trigger of the same key wait
 * for that transaction, find the key free once it commits, and insert a second run. The interleaving
 * is forced: another transaction inserts an uncommitted row with the run's id into runs_done, so
 * the completion deletes the run from runs and then waits on that unique key; the trigger comes
 * then; the blocker rolls back and the completion commits.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import pg from "pg";
import { postgresStore } from "errand/postgres";
import { newRun, T0 } from "../../src/store/conformance/harness.ts";
import { dropSchema, freshDatabase, stopTestPgServer, uniqueSchema } from "../support/pg.ts";
import { until } from "../support/temp.ts";

after(async () => {
  await stopTestPgServer();
});

/** Backends of this database waiting for a lock. */
async function lockWaiters(c: pg.Client): Promise<number> {
  const r = await c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()");
  return r.rows[0].n as number;
}

describe("PostgreSQL: an idempotency key while its run moves to the history", () => {
  it("a trigger racing the completion returns the run, and never makes a second one", { timeout: 60_000 }, async () => {
    const url = await freshDatabase("errand_key_move");
    const schema = uniqueSchema("km");
    const store = postgresStore({ connectionString: url, schema });
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    // Watches from outside any transaction (statistics read inside one are a snapshot).
    const observer = new pg.Client({ connectionString: url });
    await observer.connect();
    try {
      await store.migrate();
      const first = newRun({ taskId: "charge", idempotencyKey: "order-1" });
      await store.createRuns({ runs: [first], now: T0 });
      assert.equal((await store.claimRuns({ workerId: "w", queues: null, limit: 1, leaseMs: 60_000, now: T0 })).length, 1);

      // 1. An uncommitted row with the run's id in runs_done: the completion's insert will wait on it.
      await blocker.query("BEGIN");
      await blocker.query(
        `INSERT INTO "${schema}".runs_done (id, task_id, queue, status, payload, run_at, created_at, updated_at, max_attempts)
         VALUES ($1, 'blocker', 'default', 'completed', '{}', 0, 0, 0, 1)`,
        [first.id],
      );
      // 2. The completion deletes the run from runs, then waits.
      const completing = store.completeRuns({ workerId: "w", items: [{ runId: first.id, output: '"paid"' }], now: T0 + 1 });
      await until(async () => (await lockWaiters(observer)) >= 1, "the completion to wait on the history's key");
      // 3. A trigger of the same key while the run's row in runs is deleted but not committed.
      let settled = false;
      const second = newRun({ taskId: "charge", idempotencyKey: "order-1" });
      const triggering = store.createRuns({ runs: [second], now: T0 + 2 }).finally(() => {
        settled = true;
      });
      await until(async () => settled || (await lockWaiters(observer)) >= 2, "the trigger to answer or to wait");
      // 4. The blocker goes; the completion commits.
      await blocker.query("ROLLBACK");
      assert.deepEqual(await completing, [first.id]);

      const [created] = await triggering;
      assert.equal(created?.created, false, "the key was taken: no new run");
      assert.equal(created?.run.id, first.id, "the trigger returns the run that holds the key");
      const all = await store.listRuns({ taskId: "charge" });
      assert.deepEqual(all.runs.map((r) => [r.id, r.status]), [[first.id, "completed"]], "one run holds the key, live or finished");
      // And later, once it is finished, the key still holds.
      const third = await store.createRuns({ runs: [newRun({ taskId: "charge", idempotencyKey: "order-1" })], now: T0 + 3 });
      assert.deepEqual([third[0]?.created, third[0]?.run.id, third[0]?.run.status], [false, first.id, "completed"]);
    } finally {
      await blocker.end().catch(() => {});
      await observer.end().catch(() => {});
      await store.close();
      await dropSchema(url, schema).catch(() => {});
    }
  });

  it("an expired key of a finished run is released: the same key makes a new run, the old one stays", { timeout: 60_000 }, async () => {
    const url = await freshDatabase("errand_key_move");
    const schema = uniqueSchema("kx");
    const store = postgresStore({ connectionString: url, schema });
    try {
      await store.migrate();
      const first = newRun({ taskId: "charge", idempotencyKey: "order-2", idempotencyExpiresAt: T0 + 1000 });
      await store.createRuns({ runs: [first], now: T0 });
      await store.claimRuns({ workerId: "w", queues: null, limit: 1, leaseMs: 60_000, now: T0 });
      assert.deepEqual(await store.completeRuns({ workerId: "w", items: [{ runId: first.id, output: "1" }], now: T0 + 10 }), [first.id]);
      const [held] = await store.createRuns({ runs: [newRun({ taskId: "charge", idempotencyKey: "order-2" })], now: T0 + 999 });
      assert.deepEqual([held?.created, held?.run.id], [false, first.id], "unexpired: the finished run holds the key");
      const [fresh] = await store.createRuns({ runs: [newRun({ taskId: "charge", idempotencyKey: "order-2" })], now: T0 + 1000 });
      assert.equal(fresh?.created, true, "expired: a new run");
      const old = await store.getRun({ id: first.id });
      assert.deepEqual([old?.status, old?.idempotencyKey], ["completed", null], "the finished run stays, without the key");
      const [again] = await store.createRuns({ runs: [newRun({ taskId: "charge", idempotencyKey: "order-2" })], now: T0 + 2000 });
      assert.deepEqual([again?.created, again?.run.id], [false, fresh?.run.id], "the new run owns the key");
    } finally {
      await store.close();
      await dropSchema(url, schema).catch(() => {});
    }
  });
});
