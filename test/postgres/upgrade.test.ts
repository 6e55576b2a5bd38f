/**
 * A database created by the first version of the store (migration 1 only, with runs in every state)
 * upgrades in place: the later migrations apply, the counters start from the rows already there,
 * and the upgraded store claims, completes, lists and counts as a fresh one does.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import pg from "pg";
import { postgresStore } from "errand/postgres";
import { MIGRATIONS } from "../../src/postgres/migrations.ts";
import { freshDatabase, inSchema, stopTestPgServer, uniqueSchema } from "../support/pg.ts";

after(async () => {
  await stopTestPgServer();
});

const T = 1_800_000_000_000;

async function versionOneDatabase(url: string, schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const S = inSchema(schema);
    await c.query(`CREATE SCHEMA "${schema}"`);
    await c.query(S("CREATE TABLE :S.migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)"));
    await c.query(S(MIGRATIONS[0]!.sql));
    await c.query(S("INSERT INTO :S.migrations VALUES (1, $1, 0)"), [MIGRATIONS[0]!.name]);
    const row = (id: string, status: string, extra: string) =>
      c.query(
        S(`INSERT INTO :S.runs (id, task_id, queue, status, payload, run_at, created_at, updated_at, max_attempts, tags, started_at, finished_at, output)
           VALUES ($1, 'task', 'q', $2, '{}', ${T}, ${T}, ${T}, 3, $3, ${extra})`),
        [id, status, id.endsWith("1") ? ["blue"] : []],
      );
    for (let i = 1; i <= 3; i++) await row(`0190-queued-${i}`, "queued", "NULL, NULL, NULL");
    for (let i = 1; i <= 2; i++) await row(`0190-done-${i}`, "completed", `${T}, ${T + 60_000 + i * 1000}, '"ok"'`);
    await row("0190-failed-1", "failed", `${T}, ${T + 60_000}, NULL`);
  } finally {
    await c.end();
  }
}

describe("PostgreSQL: upgrading a version-1 database", () => {
  it("applies the later migrations, counts the runs already there and works as a fresh store", { timeout: 60_000 }, async () => {
    const url = await freshDatabase("errand_upgrade");
    const schema = uniqueSchema("up");
    await versionOneDatabase(url, schema);
    const store = postgresStore({ connectionString: url, schema });
    try {
      await store.migrate();
      const st = await store.stats();
      assert.deepEqual(st.byStatus, { queued: 3, delayed: 0, running: 0, waiting: 0, completed: 2, failed: 1, canceled: 0, expired: 0 });
      assert.deepEqual(st.queues, [{ queue: "q", pending: 3, running: 0 }]);
      const m = await store.metrics({ since: T, bucketMs: 60_000 });
      assert.deepEqual(
        m.map((b) => [b.at, b.completed, b.failed, b.maxDurationMs]),
        [[T + 60_000, 2, 1, 62_000]],
      );

      const claimed = await store.claimRuns({ workerId: "w", queues: null, limit: 10, leaseMs: 30_000, now: T + 120_000 });
      assert.deepEqual(claimed.map((x) => x.run.id).sort(), ["0190-queued-1", "0190-queued-2", "0190-queued-3"]);
      const done = await store.completeRuns({ workerId: "w", items: claimed.map((x) => ({ runId: x.run.id, output: "1" })), now: T + 121_000 });
      assert.equal(done.length, 3);
      assert.deepEqual((await store.stats()).byStatus, { queued: 0, delayed: 0, running: 0, waiting: 0, completed: 5, failed: 1, canceled: 0, expired: 0 });

      assert.deepEqual(
        (await store.listRuns({ tag: "blue" })).runs.map((r) => r.id),
        ["0190-queued-1", "0190-failed-1", "0190-done-1"],
        "the partial tags index serves tag filters; newest id first",
      );
      assert.deepEqual((await store.listRuns({ status: ["failed"] })).runs.map((r) => r.id), ["0190-failed-1"]);
      assert.equal(await store.prune({ finishedBefore: T + 200_000, now: T + 200_000 }), 6);
      assert.deepEqual((await store.stats()).byStatus, { queued: 0, delayed: 0, running: 0, waiting: 0, completed: 0, failed: 0, canceled: 0, expired: 0 });
      assert.deepEqual(await store.metrics({ since: T, bucketMs: 60_000 }), []);
    } finally {
      await store.close();
    }
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const versions = await c.query(`SELECT version FROM "${schema}".migrations ORDER BY version`);
      assert.deepEqual(versions.rows.map((r) => r.version), MIGRATIONS.map((x) => x.version));
      const collation = await c.query(
        "SELECT collation_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'runs' AND column_name = 'id'",
        [schema],
      );
      assert.equal(collation.rows[0].collation_name, "C");
    } finally {
      await c.end();
    }
  });
});
