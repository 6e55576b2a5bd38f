/**
 * A database written by an earlier version (migrations 1, 1–5, 1–6 or 1–7 applied) is upgraded in
 * place: the new indexes replace the old ones, run counts start exact, and the store claims, lists
 * and counts as on a fresh database.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { sqliteStore } from "errand/sqlite";
import { newRun, T0 } from "../../src/store/conformance/harness.ts";
import { NEVER } from "../../src/store/types.ts";
import { MIGRATIONS } from "../../src/sqlite/migrations.ts";
import { tempDb } from "../support/temp.ts";

/** Writes a version-1 database with `n` runs per status, in queues q0 and q1. */
function versionOne(path: string, n: number): void {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.exec("CREATE TABLE errand_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
  db.exec(MIGRATIONS[0]!.sql);
  db.prepare("INSERT INTO errand_migrations VALUES (1, ?, ?)").run(MIGRATIONS[0]!.name, T0);
  const insert = db.prepare(`INSERT INTO runs (id, task_id, queue, status, payload, run_at, created_at, updated_at, max_attempts,
    started_at, finished_at, worker_id, lease_expires_at) VALUES (?, 't', ?, ?, '{}', ?, ?, ?, 3, ?, ?, ?, ?)`);
  let i = 0;
  for (const status of ["queued", "delayed", "running", "waiting", "completed", "failed", "canceled", "expired"]) {
    for (let k = 0; k < n; k++, i++) {
      const id = `0000-${String(i).padStart(6, "0")}`;
      const started = ["running", "waiting", "completed", "failed"].includes(status) ? T0 : null;
      const finished = ["completed", "failed", "canceled", "expired"].includes(status) ? T0 + 1 : null;
      const running = status === "running";
      insert.run(id, `q${i % 2}`, status, status === "delayed" ? T0 + 1e9 : status === "waiting" ? NEVER : T0, T0, T0, started, finished, running ? "old" : null, running ? T0 + 1000 : null);
    }
  }
  db.close();
}

describe("sqlite upgrade of an existing database", () => {
  it("migrates a version-1 database in place: exact counts, new indexes, claims and lists as before", async () => {
    const path = tempDb();
    versionOne(path, 3);
    const store = sqliteStore({ path });
    await store.migrate();
    const st = await store.stats();
    assert.deepEqual(st.byStatus, { queued: 3, delayed: 3, running: 3, waiting: 3, completed: 3, failed: 3, canceled: 3, expired: 3 });
    assert.deepEqual(
      [...st.queues].sort((a, b) => a.queue.localeCompare(b.queue)),
      [
        { queue: "q0", pending: 3, running: 2 },
        { queue: "q1", pending: 3, running: 1 },
      ],
    );
    assert.equal((await store.listRuns({ status: ["running"] })).runs.length, 3);
    assert.equal((await store.listRuns({ status: ["failed"] })).runs.length, 3);
    assert.equal((await store.listRuns({ status: ["queued"] })).runs.length, 3);
    const claimed = await store.claimRuns({ workerId: "new", queues: null, limit: 100, leaseMs: 1000, now: T0 + 2000 });
    assert.equal(claimed.length, 6, "3 queued runs and 3 taken over from the expired leases of the old worker");
    assert.deepEqual((await store.stats()).byStatus.running, 6);
    assert.deepEqual((await store.stats()).byStatus.queued, 0);
    await store.close();
    const db = new Database(path);
    const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs' AND name LIKE 'runs_%'").all() as { name: string }[])
      .map((x) => x.name)
      .sort();
    assert.ok(indexes.includes("runs_running") && indexes.includes("runs_status_rare"), indexes.join(", "));
    assert.ok(!indexes.includes("runs_status_id") && !indexes.includes("runs_lease"), indexes.join(", "));
    assert.deepEqual(
      (db.prepare("SELECT version FROM errand_migrations ORDER BY version").all() as { version: number }[]).map((x) => x.version),
      MIGRATIONS.map((m) => m.version),
    );
    db.close();
  });

  it("migrates a version-5 database: the task index leaves out queued runs, and a task's runs list as before", async () => {
    const path = tempDb();
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.exec("CREATE TABLE errand_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    for (const m of MIGRATIONS.filter((x) => x.version <= 5)) {
      db.exec(m.sql);
      db.prepare("INSERT INTO errand_migrations VALUES (?, ?, ?)").run(m.version, m.name, T0);
    }
    // Runs written under the version-5 schema (indexed by its task index), then the store upgrades.
    const runs = Array.from({ length: 30 }, (_, i) => newRun({ taskId: `t${i % 2}` }));
    const insert = db.prepare(`INSERT INTO runs (id, task_id, queue, status, payload, run_at, created_at, updated_at, max_attempts) VALUES (?, ?, 'default', 'queued', '{}', ?, ?, ?, 3)`);
    for (const r of runs) insert.run(r.id, r.taskId, T0, T0, T0);
    db.prepare("INSERT INTO run_counts (queue, status, n) VALUES ('default', 'queued', 30)").run();
    db.close();
    const store = sqliteStore({ path });
    await store.migrate();
    const claimed = await store.claimRuns({ workerId: "w", queues: null, limit: 10, leaseMs: 60_000, now: T0 });
    await store.completeRuns({ workerId: "w", items: claimed.slice(0, 5).map((c) => ({ runId: c.run.id, output: "1" })), now: T0 + 1 });
    const ofT1 = runs.filter((r) => r.taskId === "t1").map((r) => r.id).reverse();
    assert.deepEqual((await store.listRuns({ taskId: "t1", limit: 100 })).runs.map((r) => r.id), ofT1);
    const page = await store.listRuns({ taskId: "t1", limit: 4 });
    assert.deepEqual([...page.runs.map((r) => r.id), ...(await store.listRuns({ taskId: "t1", limit: 100, cursor: page.nextCursor })).runs.map((r) => r.id)], ofT1);
    assert.equal((await store.listRuns({ taskId: "t1", status: ["completed"] })).runs.length, claimed.slice(0, 5).filter((c) => c.run.taskId === "t1").length);
    assert.equal((await store.stats()).byStatus.queued, 20);
    await store.close();
    const check = new Database(path);
    const names = (check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs'").all() as { name: string }[]).map((x) => x.name);
    assert.ok(names.includes("runs_task") && !names.includes("runs_task_id"), names.join(", "));
    check.close();
  });

  it("migrates a version-6 database: run_counts gets its marker, and stats stay exact through uncounted triggers", async () => {
    const path = tempDb();
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.exec("CREATE TABLE errand_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    for (const m of MIGRATIONS.filter((x) => x.version <= 6)) {
      db.exec(m.sql);
      db.prepare("INSERT INTO errand_migrations VALUES (?, ?, ?)").run(m.version, m.name, T0);
    }
    // Under version 6 every insert wrote its count: 12 queued in q0, 8 delayed in q1.
    const insert = db.prepare(`INSERT INTO runs (id, task_id, queue, status, payload, run_at, created_at, updated_at, max_attempts) VALUES (?, 't', ?, ?, '{}', ?, ?, ?, 3)`);
    for (let i = 0; i < 20; i++) insert.run(newRun().id, i < 12 ? "q0" : "q1", i < 12 ? "queued" : "delayed", i < 12 ? T0 : T0 + 1e9, T0, T0);
    db.exec("INSERT INTO run_counts (queue, status, n) VALUES ('q0', 'queued', 12), ('q1', 'delayed', 8)");
    db.close();
    const store = sqliteStore({ path });
    await store.migrate();
    const check = new Database(path, { readonly: true });
    assert.deepEqual(check.prepare("SELECT id FROM run_counts_marker").get(), check.prepare("SELECT max(id) AS id FROM runs").get(), "every existing run is counted");
    check.close();
    for (let i = 0; i < 5; i++) await store.createRuns({ runs: [newRun({ queue: "q0" })], now: T0 });
    const st = await store.stats();
    assert.deepEqual(st.byStatus, { queued: 17, delayed: 8, running: 0, waiting: 0, completed: 0, failed: 0, canceled: 0, expired: 0 });
    assert.deepEqual(st.queues, [
      { queue: "q0", pending: 17, running: 0 },
      { queue: "q1", pending: 8, running: 0 },
    ]);
    const claimed = await store.claimRuns({ workerId: "w", queues: null, limit: 4, leaseMs: 60_000, now: T0 });
    assert.equal(claimed.length, 4);
    assert.deepEqual((await store.stats()).byStatus, { queued: 13, delayed: 8, running: 4, waiting: 0, completed: 0, failed: 0, canceled: 0, expired: 0 });
    await store.close();
  });

  it("migrates a version-7 database: runs WITHOUT ROWID with every row, index and count, the uncounted tail counted", async () => {
    const path = tempDb();
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.exec("CREATE TABLE errand_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    for (const m of MIGRATIONS.filter((x) => x.version <= 7)) {
      db.exec(m.sql);
      db.prepare("INSERT INTO errand_migrations VALUES (?, ?, ?)").run(m.version, m.name, T0);
    }
    // Under version 7: 10 runs counted (the marker at rowid 10), then 6 plain triggers left uncounted.
    const insert = db.prepare(`INSERT INTO runs (id, task_id, queue, status, payload, run_at, created_at, updated_at, max_attempts,
      idempotency_key, tags, parent_run_id, trace_context) VALUES (?, 't', ?, ?, ?, ?, ?, ?, 3, ?, ?, ?, ?)`);
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) {
      const id = newRun().id;
      ids.push(id);
      const status = i < 4 ? "completed" : i < 7 ? "delayed" : "queued";
      insert.run(id, i % 2 ? "q1" : "q0", status, `{"i":${i}}`, status === "delayed" ? T0 + 1e9 : T0, T0, T0, i === 3 ? "key" : null, i === 5 ? '["x"]' : "[]", i === 8 ? ids[0] : null, i === 9 ? "{}" : null);
    }
    db.exec(`INSERT INTO run_counts (queue, status, n) VALUES ('', 'completed', 4), ('q0', 'delayed', 1), ('q1', 'delayed', 2), ('q0', 'queued', 2), ('q1', 'queued', 1)`);
    db.prepare("UPDATE run_counts SET queue = ?, n = 10 WHERE status = ''").run(ids[9]);
    const before = db.prepare("SELECT * FROM runs ORDER BY id").all();
    db.close();
    const store = sqliteStore({ path });
    await store.migrate();
    const st = await store.stats();
    assert.deepEqual(st.byStatus, { queued: 9, delayed: 3, running: 0, waiting: 0, completed: 4, failed: 0, canceled: 0, expired: 0 });
    assert.deepEqual(st.queues, [
      { queue: "q0", pending: 6, running: 0 },
      { queue: "q1", pending: 6, running: 0 },
    ]);
    const check = new Database(path);
    assert.deepEqual(check.prepare("SELECT * FROM runs ORDER BY id").all(), before, "every row as it was");
    assert.match((check.prepare("SELECT sql FROM sqlite_master WHERE name = 'runs'").get() as { sql: string }).sql, /WITHOUT ROWID\s*$/);
    assert.deepEqual(check.prepare("SELECT id FROM run_counts_marker").get(), { id: ids[15] }, "every run is counted");
    assert.deepEqual(check.prepare("SELECT count(*) AS n FROM run_counts WHERE status = ''").get(), { n: 0 }, "version 7's marker row is gone");
    const indexes = (check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs' AND sql IS NOT NULL").all() as { name: string }[]).map((x) => x.name).sort();
    assert.deepEqual(indexes, ["runs_claim", "runs_debounce", "runs_expiry", "runs_finished", "runs_idempotency", "runs_parent", "runs_running", "runs_status_rare", "runs_task"]);
    check.close();
    // The store works on it: keys, children, claims, listing, uncounted triggers.
    assert.equal((await store.createRuns({ runs: [newRun({ taskId: "t", idempotencyKey: "key" })], now: T0 }))[0]!.created, false);
    assert.deepEqual((await store.listRuns({ parentRunId: ids[0]! })).runs.map((r) => r.id), [ids[8]]);
    for (let i = 0; i < 3; i++) await store.createRuns({ runs: [newRun({ queue: "q0" })], now: T0 });
    assert.equal((await store.stats()).byStatus.queued, 12);
    const claimed = await store.claimRuns({ workerId: "w", queues: null, limit: 100, leaseMs: 60_000, now: T0 });
    assert.equal(claimed.length, 12);
    assert.deepEqual((await store.stats()).byStatus, { queued: 0, delayed: 3, running: 12, waiting: 0, completed: 4, failed: 0, canceled: 0, expired: 0 });
    assert.equal((await store.getRun({ id: ids[5]! }))!.tags.length, 1);
    await store.close();
  });
});
