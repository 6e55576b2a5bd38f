/** Issue 5, acceptance 3–5: server restart, concurrent migrations, bad connection settings. */
import assert from "node:assert/strict";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { after, describe, it } from "node:test";
import pg from "pg";
import { createEngine, defineTask } from "errand";
import { postgresStore } from "errand/postgres";
import { freshDatabase, startRestartablePg, stopTestPgServer, uniqueSchema } from "../support/pg.ts";
import { sleep, until } from "../support/temp.ts";
import { makePgTasks, setupSide } from "./fixtures/pg-tasks.ts";
import { killAll, MIGRATE_ONCE, runScript, startPgWorker, stopPgWorker } from "./helpers.ts";
import { MIGRATIONS } from "../../src/postgres/migrations.ts";

const echo = defineTask({ id: "echo", run: (p: { n: number }) => p.n });

after(async () => {
  killAll();
  await stopTestPgServer();
});

describe("PostgreSQL resilience", () => {
  it("a server restart while workers run: they reconnect and finish every run", { timeout: 180_000 }, async () => {
    const server = await startRestartablePg();
    try {
      const schema = uniqueSchema("rs");
      const side = await setupSide(server.url, schema);
      const tasks = makePgTasks(side, schema);
      const engine = createEngine({ store: postgresStore({ connectionString: server.url, schema }), tasks });
      const workers = await Promise.all([startPgWorker(server.url, schema, 8), startPgWorker(server.url, schema, 8)]);
      await engine.batchTrigger(tasks[0]!, Array.from({ length: 400 }, (_, i) => ({ i, sleepMs: 300 })));
      await until(async () => (await engine.runs.stats()).byStatus.completed >= 50, "some progress before the restart", 60_000, 50);
      await server.stop();
      await sleep(1500);
      await server.start();
      await until(
        async () => {
          try {
            return (await engine.runs.stats()).byStatus.completed === 400;
          } catch {
            return false; // the test's own pool reconnects too
          }
        },
        "all 400 completed after the restart",
        150_000,
        250,
      );
      assert.deepEqual(await Promise.all(workers.map(stopPgWorker)), [0, 0]);
      const t = `"${schema}_side"`;
      const done = await side.query<{ n: string }>(`SELECT count(DISTINCT run_id) AS n FROM ${t}.done`);
      assert.equal(Number(done.rows[0]!.n), 400, "nothing lost");
      await engine.close();
      await side.end();
    } finally {
      await server.destroy();
    }
  });

  it("a connection dropped under start-up: start() tries again on a new one and the worker runs", { timeout: 60_000 }, async () => {
    const url = await freshDatabase("errand_start_drop");
    const schema = uniqueSchema("sd");
    const engine = createEngine({ store: postgresStore({ connectionString: url, schema }), tasks: [echo] });
    // `holder` keeps the migration lock so that start-up waits on it; `admin` (outside any
    // transaction, whose statistics snapshot would not move) finds the waiting session and ends it.
    const [admin, holder] = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
    await Promise.all([admin.connect(), holder.connect()]);
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`errand-migrate:${schema}`]);
      const started = engine.worker({ concurrency: 2 }).start();
      const waiting = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'advisory'";
      await until(async () => (await admin.query(waiting)).rowCount === 1, "start-up waiting on the migration lock", 30_000, 20);
      const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM (${waiting}) w`);
      assert.equal(killed.rowCount, 1);
      await holder.query("COMMIT");
      await started;
      const h = await engine.trigger(echo, { n: 7 });
      assert.equal((await engine.runs.wait<number>(h.id, { timeoutMs: 30_000 })).unwrap(), 7);
    } finally {
      await Promise.all([admin.end(), holder.end()]);
      await engine.close();
    }
  });

  it("5 processes migrating an empty database at once all succeed; migrations apply once", { timeout: 60_000 }, async () => {
    const url = await freshDatabase("errand_migrate");
    const schema = uniqueSchema("mg");
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => runScript(MIGRATE_ONCE, [url, schema])));
    for (const r of results) {
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /migrated/);
    }
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const applied = await c.query(`SELECT version FROM "${schema}".migrations`);
    const tables = await c.query(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [schema]);
    await c.end();
    assert.deepEqual(applied.rows.map((r) => r.version), MIGRATIONS.map((m) => m.version), "each migration recorded once");
    const expected = ["events", "logs", "migrations", "queues", "rate_starts", "run_counts", "run_events", "run_keys", "run_minutes", "runs", "runs_done", "schedules", "steps", "tokens", "waits"];
    assert.deepEqual(tables.rows.map((r) => r.name), expected, "each table created once, nothing else");
  });

  it("an unreachable server or a bad connection string fails fast with a readable error", { timeout: 30_000 }, async () => {
    const t0 = Date.now();
    const store = postgresStore({ connectionString: "postgres://nobody:pw@127.0.0.1:1/none", connectTimeoutMs: 2000 });
    await assert.rejects(store.migrate(), (e: Error) => {
      assert.match(e.message, /postgresStore: cannot use postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none/);
      assert.match(e.message, /ECONNREFUSED|is PostgreSQL running/);
      assert.ok(!e.message.includes(":pw@"), "no password in messages");
      return true;
    });
    assert.ok(Date.now() - t0 < 10_000, "within a few seconds");
    await store.close();
    assert.throws(() => postgresStore({ connectionString: "mysql://x@y/z" }), /not a postgres:\/\/ URL/);
    assert.throws(() => postgresStore({ connectionString: "" }), /option `connectionString`/);
    assert.throws(() => postgresStore({ connectionString: "postgres://x@y/z", schema: "drop table;" }), /option `schema`/);
    assert.throws(() => postgresStore({} as never), /exactly one of the options `connectionString` and `pool`/);
  });

  it("a server that never answers, a wrong password, a missing database: each a clear error, no hang", { timeout: 30_000 }, async () => {
    // Accepts TCP connections and never says a word: the driver must give up after connectTimeoutMs.
    const sockets = new Set<Socket>();
    const silent = createServer((s) => {
      sockets.add(s);
      s.on("error", () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const t0 = Date.now();
      const store = postgresStore({ connectionString: `postgres://u:secret@127.0.0.1:${port}/db`, connectTimeoutMs: 1000 });
      await assert.rejects(store.migrate(), (e: Error) => {
        assert.match(e.message, new RegExp(`cannot use postgres://u:\\*\\*\\*@127\\.0\\.0\\.1:${port}/db`));
        assert.match(e.message, /did not answer in time/);
        assert.ok(!e.message.includes("secret"));
        return true;
      });
      assert.ok(Date.now() - t0 < 8000, `gave up within a few seconds (${Date.now() - t0} ms)`);
      await store.close();
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }

    const url = new URL(await freshDatabase("errand_badauth"));
    const wrongPassword = new URL(url.href);
    wrongPassword.password = "not-the-password";
    const a = postgresStore({ connectionString: wrongPassword.href, connectTimeoutMs: 2000 });
    await assert.rejects(a.migrate(), /wrong user or password/);
    await a.close();
    const missing = new URL(url.href);
    missing.pathname = "/no_such_database_here";
    const b = postgresStore({ connectionString: missing.href, connectTimeoutMs: 2000 });
    await assert.rejects(b.migrate(), /no_such_database_here.*that database does not exist/);
    await b.close();
  });

  it("a user's own pg.Pool and schema work and keep tables apart", { timeout: 30_000 }, async () => {
    const url = await freshDatabase("errand_pool");
    const pool = new pg.Pool({ connectionString: url, max: 3 });
    const a = postgresStore({ pool, schema: "tenant_a" });
    const b = postgresStore({ pool, schema: "tenant_b" });
    const t = makePgTasks(pool, "unused")[1]!;
    const ea = createEngine({ store: a, tasks: [t] });
    const eb = createEngine({ store: b, tasks: [t] });
    await ea.trigger(t, { i: 1, ms: 1 });
    assert.equal((await ea.runs.list()).runs.length, 1);
    assert.equal((await eb.runs.list()).runs.length, 0);
    await ea.close();
    await eb.close();
    assert.equal((await pool.query("SELECT 1 AS one")).rows[0].one, 1, "the store does not end the user's pool");
    await pool.end();
  });
});
