/**
 * A database at migration 6 (every run in `runs`, finished ones included) upgrades in place to the
 * history table: migration 7 moves the finished runs to `runs_done` in batches, keeps the live ones
 * where they are, and takes the idempotency keys of both into `run_keys`. Afterwards the store reads
 * every run from either table, keeps the keys, pages across both and prunes the history.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import pg from "pg";
import { postgresStore } from "errand/postgres";
import { MIGRATIONS } from "../../src/postgres/migrations.ts";
import { countFinished } from "../../src/postgres/counts.ts";
import { assertCountersExact } from "../support/pg-counters.ts";
import { newRun } from "../../src/store/conformance/harness.ts";
import { freshDatabase, inSchema, stopTestPgServer, uniqueSchema } from "../support/pg.ts";

after(async () => {
  await stopTestPgServer();
});

const T = 1_800_000_000_000;
/** More finished runs than migration 7 moves per statement (20,000): the move takes several batches. */
const BULK = 25_000;

async function versionSixDatabase(url: string, schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const S = inSchema(schema);
    await c.query(`CREATE SCHEMA "${schema}"`);
    await c.query(S("CREATE TABLE :S.migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)"));
    for (const m of MIGRATIONS.filter((x) => x.version <= 6)) {
      await c.query(S(m.sql));
      await c.query(S("INSERT INTO :S.migrations VALUES ($1, $2, 0)"), [m.version, m.name]);
    }
    const row = (id: string, status: string, extra: { key?: string; parent?: string; worker?: string; finished?: boolean; tags?: string[] }) =>
      c.query(
        S(`INSERT INTO :S.runs (id, task_id, queue, status, payload, run_at, created_at, updated_at, max_attempts, tags,
             started_at, finished_at, output, idempotency_key, parent_run_id, worker_id, lease_expires_at)
           VALUES ($1, 'task', 'q', $2, '{}', ${T}, ${T}, ${T}, 3, $3, $4, $5, $6, $7, $8, $9, $10)`),
        [
          id,
          status,
          extra.tags ?? [],
          status === "queued" || status === "expired" ? null : T,
          extra.finished === true ? T + 60_000 : null,
          status === "completed" ? '"ok"' : null,
          extra.key ?? null,
          extra.parent ?? null,
          extra.worker ?? null,
          extra.worker === undefined ? null : T + 3_600_000,
        ],
      );
    await row("0190-a-parent", "waiting", { key: "live-key" });
    await row("0190-b-queued", "queued", { tags: ["blue"] });
    await row("0190-c-running", "running", { worker: "w-old" });
    await row("0190-d-done", "completed", { finished: true, key: "done-key", parent: "0190-a-parent", tags: ["blue"] });
    await row("0190-e-failed", "failed", { finished: true });
    await row("0190-f-canceled", "canceled", { finished: true });
    await row("0190-g-expired", "expired", { finished: true });
    await c.query(
      S(`INSERT INTO :S.runs (id, task_id, queue, status, payload, output, run_at, created_at, updated_at, started_at, finished_at, max_attempts)
         SELECT '0180-bulk-' || lpad(i::text, 6, '0'), 'bulk', 'q', 'completed', '{}', 'null', ${T}, ${T}, ${T}, ${T}, ${T} + 30000, 3
         FROM generate_series(1, ${BULK}) AS i`),
    );
    // The counters as the store at migration 6 kept them.
    await c.query(S("INSERT INTO :S.run_counts (queue, status, n) SELECT queue, status, count(*) FROM :S.runs GROUP BY 1, 2"));
    await c.query(S(countFinished(":S.runs")));
  } finally {
    await c.end();
  }
}

describe("PostgreSQL: upgrading a database at migration 6 to the history table", () => {
  it("moves the finished runs, keeps the live ones and every key, and works as a fresh store", { timeout: 120_000 }, async () => {
    const url = await freshDatabase("errand_upgrade_history");
    const schema = uniqueSchema("uh");
    await versionSixDatabase(url, schema);
    const store = postgresStore({ connectionString: url, schema });
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await store.migrate();
      const S = inSchema(schema);
      const live = await c.query(S("SELECT id FROM :S.runs ORDER BY id"));
      assert.deepEqual(live.rows.map((r) => r.id), ["0190-a-parent", "0190-b-queued", "0190-c-running"]);
      const done = await c.query(S("SELECT count(*)::int AS n, count(*) FILTER (WHERE task_id = 'bulk')::int AS bulk FROM :S.runs_done"));
      assert.deepEqual(done.rows[0], { n: BULK + 4, bulk: BULK }, "every finished run moved, over several batches");
      const keys = await c.query(S("SELECT task_id, idempotency_key, run_id FROM :S.run_keys ORDER BY run_id"));
      assert.deepEqual(keys.rows, [
        { task_id: "task", idempotency_key: "live-key", run_id: "0190-a-parent" },
        { task_id: "task", idempotency_key: "done-key", run_id: "0190-d-done" },
      ]);
      await assertCountersExact(url, schema);

      // Reads see both tables.
      assert.equal((await store.getRun({ id: "0190-d-done" }))?.output, '"ok"');
      assert.equal((await store.getRun({ id: "0190-c-running" }))?.workerId, "w-old");
      assert.deepEqual((await store.listRuns({ parentRunId: "0190-a-parent" })).runs.map((r) => r.id), ["0190-d-done"]);
      assert.deepEqual((await store.listRuns({ tag: "blue" })).runs.map((r) => r.id), ["0190-d-done", "0190-b-queued"]);
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await store.listRuns({ taskId: "task", limit: 2, cursor });
        ids.push(...page.runs.map((r) => r.id));
        cursor = page.nextCursor;
      } while (cursor !== null);
      assert.deepEqual(ids, ["0190-g-expired", "0190-f-canceled", "0190-e-failed", "0190-d-done", "0190-c-running", "0190-b-queued", "0190-a-parent"]);
      assert.equal((await store.stats()).byStatus.completed, BULK + 1);

      // Keys of live and of finished runs still hold.
      for (const [key, id] of [["live-key", "0190-a-parent"], ["done-key", "0190-d-done"]] as const) {
        const [again] = await store.createRuns({ runs: [newRun({ taskId: "task", idempotencyKey: key })], now: T + 100_000 });
        assert.deepEqual([again?.created, again?.run.id], [false, id], `key ${key}`);
      }

      // The history prunes; a pruned run's key is free again.
      assert.equal(await store.prune({ finishedBefore: T + 120_000, now: T + 120_000 }), BULK + 4);
      assert.equal(await store.getRun({ id: "0190-d-done" }), null);
      const [fresh] = await store.createRuns({ runs: [newRun({ taskId: "task", idempotencyKey: "done-key" })], now: T + 130_000 });
      assert.equal(fresh?.created, true, "the pruned run's key is free");
      await assertCountersExact(url, schema);
      const versions = await c.query(S("SELECT max(version)::int AS v FROM :S.migrations"));
      assert.equal(versions.rows[0].v, MIGRATIONS[MIGRATIONS.length - 1]!.version);
    } finally {
      await c.end();
      await store.close();
    }
  });
});
