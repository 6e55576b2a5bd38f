/**
 * A parent suspending on a child while the child's completion is in flight (PostgreSQL, READ
 * COMMITTED): the completion statement's snapshot may predate the parent's wait, and the parent's
 * read of the child may predate the completion. Neither sees the other; the parent must still wake.
 *
 * The interleaving is forced, not hoped for: a third connection holds a share lock on the child, so
 * the completion statement starts (and takes its snapshot) and then waits; the parent suspends and
 * commits meanwhile; then the lock is released and the completion goes on with its old snapshot.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import pg from "pg";
import { postgresStore } from "errand/postgres";
import { newRun, T0, wait } from "../../src/store/conformance/harness.ts";
import { dropSchema, freshDatabase, stopTestPgServer, uniqueSchema } from "../support/pg.ts";
import { until } from "../support/temp.ts";

after(async () => {
  await stopTestPgServer();
});

describe("PostgreSQL: a child completing while its parent suspends on it", () => {
  it("wakes the parent with the child's result", { timeout: 60_000 }, async () => {
    const url = await freshDatabase("errand_child_race");
    const schema = uniqueSchema("cr");
    const store = postgresStore({ connectionString: url, schema });
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    try {
      await store.migrate();
      const parent = newRun({ taskId: "parent" });
      await store.createRuns({ runs: [parent], now: T0 });
      assert.equal((await store.claimRuns({ workerId: "w1", queues: null, limit: 1, leaseMs: 60_000, now: T0 })).length, 1);
      const child = newRun({ taskId: "child", parentRunId: parent.id });
      await store.createRuns({ runs: [child], now: T0 });
      assert.equal((await store.claimRuns({ workerId: "w2", queues: null, limit: 1, leaseMs: 60_000, now: T0 + 1 })).length, 1);

      // 1. Another transaction holds a share lock on the child row.
      await locker.query("BEGIN");
      await locker.query(`SELECT 1 FROM "${schema}".runs WHERE id = $1 FOR SHARE`, [child.id]);
      // 2. The child's completion starts and waits for that lock, its snapshot taken.
      const completing = store.completeRuns({ workerId: "w2", items: [{ runId: child.id, output: '{"v":42}' }], now: T0 + 2 });
      await until(async () => {
        const r = await locker.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()");
        return r.rows[0].n > 0;
      }, "the completion to wait for the child's row lock");
      // 3. The parent suspends on the child (it reads the child still running) and commits.
      const suspended = await store.suspendRun({ workerId: "w1", runId: parent.id, waits: [wait({ key: "kid", kind: "child", childRunId: child.id })], now: T0 + 3 });
      assert.equal(suspended, "waiting", "the child was not finished when the parent read it");
      // 4. The lock goes; the completion finishes with a snapshot that cannot see the parent's wait.
      await locker.query("COMMIT");
      assert.deepEqual(await completing, [child.id]);

      const woken = await store.getRun({ id: parent.id });
      assert.equal(woken?.status, "queued", "the parent is woken, not left waiting forever");
      const steps = await store.getSteps({ runId: parent.id });
      assert.deepEqual(
        steps.map((s) => [s.key, JSON.parse(s.output ?? "null")]),
        [["kid", { ok: true, id: child.id, output: { v: 42 } }]],
      );
    } finally {
      await locker.end().catch(() => {});
      await store.close();
      await dropSchema(url, schema).catch(() => {});
    }
  });
});
