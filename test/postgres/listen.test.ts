/**
 * LISTEN/NOTIFY of the PostgreSQL store: one NOTIFY per statement, and a listener that comes back
 * (and says `available` once) after its connection is killed or the server restarts.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import pg from "pg";
import { postgresStore } from "errand/postgres";
import type { NewRun, Store, StoreNotification } from "../../src/store/types.ts";
import { freshDatabase, startRestartablePg, stopTestPgServer, uniqueSchema } from "../support/pg.ts";
import { until } from "../support/temp.ts";

after(async () => {
  await stopTestPgServer();
});

let seq = 0;
function newRun(queue = "default"): NewRun {
  seq++;
  return {
    id: `run_${Date.now().toString(36)}_${seq.toString().padStart(6, "0")}`,
    taskId: "t",
    queue,
    concurrencyKey: null,
    status: "queued",
    payload: "{}",
    priority: 0,
    runAt: Date.now(),
    maxAttempts: 3,
    idempotencyKey: null,
    idempotencyExpiresAt: null,
    expiresAt: null,
    tags: [],
    parentRunId: null,
    scheduleId: null,
  };
}

/** Records what a store's subscription hears. */
function record(store: Store) {
  const heard: (string | null)[] = [];
  const off = store.subscribe((n: StoreNotification) => heard.push(n.queue));
  return { heard, off };
}

/** Notifications sent in one transaction each, in commit order: a marker tells us everything before it arrived. */
async function marker(pool: pg.Pool, schema: string, name: string): Promise<void> {
  await pool.query("SELECT pg_notify($1, $2)", [`errand_${schema}`, name]);
}

async function listenerPids(pool: pg.Pool, schema: string): Promise<number[]> {
  const r = await pool.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = $1 AND pid <> pg_backend_pid()",
    [`LISTEN "errand_${schema}"`],
  );
  return r.rows.map((x) => x.pid);
}

describe("PostgreSQL LISTEN/NOTIFY", () => {
  it("createRuns of 200 runs and releaseRuns of many send one notification each", { timeout: 30_000 }, async () => {
    const url = await freshDatabase("errand_listen");
    const schema = uniqueSchema("ln");
    const store = postgresStore({ connectionString: url, schema, maxConnections: 3 });
    const admin = new pg.Pool({ connectionString: url, max: 1 });
    try {
      await store.migrate();
      const l = record(store);
      await until(async () => {
        await marker(admin, schema, "warm");
        return l.heard.includes("warm");
      }, "the listener is up", 10_000, 50);
      // Notifications arrive in commit order: once "ready" is heard, no earlier "warm" is still on its way.
      await marker(admin, schema, "ready");
      await until(() => l.heard.includes("ready"), "the ready marker", 10_000);
      l.heard.length = 0;
      const runs = Array.from({ length: 200 }, () => newRun());
      await store.createRuns({ runs, now: Date.now() });
      await marker(admin, schema, "m1");
      await until(() => l.heard.includes("m1"), "marker after createRuns", 10_000);
      assert.deepEqual(l.heard, [null, "m1"], "one notification for 200 new runs");
      const claimed = await store.claimRuns({ workerId: "w", queues: null, limit: 50, leaseMs: 30_000, now: Date.now() });
      assert.equal(claimed.length, 50);
      l.heard.length = 0;
      await store.releaseRuns({ workerId: "w", runIds: claimed.map((c) => c.run.id), now: Date.now() });
      await marker(admin, schema, "m2");
      await until(() => l.heard.includes("m2"), "marker after releaseRuns", 10_000);
      assert.deepEqual(l.heard, [null, "m2"], "one notification for 50 released runs");
      l.off();
    } finally {
      await store.close();
      await admin.end();
    }
  });

  for (const variant of ["connectionString", "pool"] as const) {
    it(`a killed LISTEN connection (${variant}) comes back, says \`available\`, and hears new work again`, { timeout: 30_000 }, async () => {
      const url = await freshDatabase("errand_relisten");
      const schema = uniqueSchema("rl");
      const userPool = variant === "pool" ? new pg.Pool({ connectionString: url, max: 4 }) : null;
      userPool?.on("error", () => {});
      const store = userPool === null ? postgresStore({ connectionString: url, schema }) : postgresStore({ pool: userPool, schema });
      const other = postgresStore({ connectionString: url, schema, maxConnections: 2 });
      const admin = new pg.Pool({ connectionString: url, max: 1 });
      try {
        await store.migrate();
        const l = record(store);
        await until(async () => (await listenerPids(admin, schema)).length === 1, "one LISTEN connection", 10_000, 50);
        const [pid] = await listenerPids(admin, schema);
        l.heard.length = 0;
        await admin.query("SELECT pg_terminate_backend($1)", [pid]);
        await until(() => l.heard.includes(null), "`available` after the reconnect", 15_000);
        const again = await listenerPids(admin, schema);
        assert.equal(again.length, 1, "listening again on one connection");
        assert.notEqual(again[0], pid, "on a new connection");
        l.heard.length = 0;
        await other.createRuns({ runs: [newRun("after")], now: Date.now() });
        await until(() => l.heard.length > 0, "a notification from another store after the reconnect", 10_000);
        l.off();
      } finally {
        await store.close();
        await other.close();
        await admin.end();
        await userPool?.end();
      }
    });
  }

  it("after a server restart the listener reconnects and hears notifications again", { timeout: 90_000 }, async () => {
    const server = await startRestartablePg();
    const schema = uniqueSchema("rs");
    const store = postgresStore({ connectionString: server.url, schema, connectTimeoutMs: 2000 });
    try {
      await store.migrate();
      const l = record(store);
      const admin = new pg.Pool({ connectionString: server.url, max: 1 });
      admin.on("error", () => {}); // the test's own pool: its idle client may see the restart
      await until(async () => {
        await marker(admin, schema, "warm");
        return l.heard.includes("warm");
      }, "the listener is up", 10_000, 50);
      await marker(admin, schema, "ready");
      await until(() => l.heard.includes("ready"), "the ready marker", 10_000);
      await admin.end();
      l.heard.length = 0;
      await server.stop();
      await server.start();
      await until(() => l.heard.includes(null), "`available` after the restart", 30_000, 50);
      const after = postgresStore({ connectionString: server.url, schema, maxConnections: 1 });
      l.heard.length = 0;
      await after.createRuns({ runs: [newRun("q")], now: Date.now() });
      await until(() => l.heard.length > 0, "a notification after the restart", 10_000);
      await after.close();
      l.off();
    } finally {
      await store.close();
      await server.destroy();
    }
  });
});
