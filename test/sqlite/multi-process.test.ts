/**
 * Several processes on one SQLite file: concurrent first migrations apply each migration once;
 * concurrent claims never hand out a run twice and hold a queue limit across processes.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { sqliteStore } from "errand/sqlite";
import { newRun, T0 } from "../../src/store/conformance/harness.ts";
import { MIGRATIONS } from "../../src/sqlite/migrations.ts";
import { runProcess } from "../support/sqlite-fixtures.ts";
import { tempDb } from "../support/temp.ts";



describe("several processes on one SQLite file", () => {
  it("start at once on a new file: every migration is applied exactly once", async () => {
    const path = tempDb();
    const startAt = Date.now() + 1500; // after every child has loaded tsx
    const outputs = await Promise.all([1, 2, 3, 4].map(() => runProcess("migrate-process.ts", [path, String(startAt)])));
    assert.deepEqual(outputs, Array(4).fill("migrated\n"));
    const db = new Database(path, { readonly: true });
    const rows = db.prepare("SELECT version, name FROM errand_migrations ORDER BY version").all();
    assert.deepEqual(rows, MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    db.close();
    const store = sqliteStore({ path });
    await store.migrate();
    await store.createRuns({ runs: [newRun()], now: T0 });
    assert.equal((await store.listRuns({})).runs.length, 1);
    await store.close();
  });

  it("claim concurrently: no run twice, every run once, the queue limit holds", async () => {
    const path = tempDb();
    const store = sqliteStore({ path });
    await store.migrate();
    await store.upsertQueues({ queues: [{ name: "lim", concurrencyLimit: 2 }] });
    const runs = [...Array.from({ length: 40 }, () => newRun({ queue: "lim" })), ...Array.from({ length: 40 }, () => newRun({ queue: "free" }))];
    await store.createRuns({ runs, now: T0 });
    const startAt = String(Date.now() + 2000); // after every child has loaded tsx
    const outputs = await Promise.all(["p1", "p2", "p3"].map((w) => runProcess("claim-process.ts", [path, w, "2", String(T0), startAt])));
    const results = outputs.map((o) => JSON.parse(o) as { claimed: string[]; maxRunning: number });
    const all = results.flatMap((r) => r.claimed);
    assert.equal(all.length, runs.length, "each run claimed once");
    assert.deepEqual(new Set(all), new Set(runs.map((r) => r.id)));
    for (const r of results) assert.ok(r.maxRunning <= 2, `saw ${r.maxRunning} running in a queue limited to 2`);
    assert.equal((await store.stats()).byStatus.completed, runs.length);
    await store.close();
  });
});
