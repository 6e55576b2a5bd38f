/**
 * `stats()` stays exact while plain triggers write no counter (src/sqlite/counts.ts): the runs after
 * the marker are counted by the next write or by the read itself — with triggers from two processes
 * beside claims and completions, after a prune of the newest runs (whose rowids SQLite hands out
 * again), after VACUUM, and after rowids were renumbered (what VACUUM may do to a table without an
 * INTEGER PRIMARY KEY). Each check compares with a count of the table itself.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { sqliteStore } from "errand/sqlite";
import type { RunStats, Store } from "errand/store";
import { newRun, T0 } from "../../src/store/conformance/harness.ts";
import { MAX_TAIL } from "../../src/sqlite/conn.ts";
import { runProcess } from "../support/sqlite-fixtures.ts";
import { tempDb } from "../support/temp.ts";



/** What stats() must say, counted from the table by another connection. */
function truth(path: string): RunStats {
  const db = new Database(path, { readonly: true });
  try {
    const byStatus: Record<keyof RunStats["byStatus"], number> = { queued: 0, delayed: 0, running: 0, waiting: 0, completed: 0, failed: 0, canceled: 0, expired: 0 };
    for (const r of db.prepare("SELECT status, count(*) AS n FROM runs GROUP BY status").all() as { status: keyof RunStats["byStatus"]; n: number }[]) {
      byStatus[r.status] = r.n;
    }
    const queues = db
      .prepare(
        `SELECT queue, sum(status IN ('queued', 'delayed')) AS pending, sum(status = 'running') AS running FROM runs
         GROUP BY queue HAVING pending + running > 0 ORDER BY queue`,
      )
      .all() as RunStats["queues"][number][];
    return { byStatus, queues: queues.map((q) => ({ queue: q.queue, pending: q.pending, running: q.running })) };
  } finally {
    db.close();
  }
}

const total = (st: RunStats) => Object.values(st.byStatus).reduce((a, b) => a + b, 0);

async function assertExact(store: Store, path: string, what: string): Promise<RunStats> {
  const expected = truth(path);
  assert.deepEqual(await store.stats(), expected, what);
  return expected;
}

/** The marker row: up to which rowid runs are counted. */
function counted(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare("SELECT n FROM run_counts WHERE status = ''").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const trigger = (store: Store, n: number, queue = "default") =>
  (async () => {
    for (let i = 0; i < n; i++) await store.createRuns({ runs: [newRun({ queue })], now: T0 });
  })();

const drain = async (store: Store, limit: number) => {
  const claimed = await store.claimRuns({ workerId: "w", queues: null, limit, leaseMs: 60_000, now: T0 });
  await store.completeRuns({ workerId: "w", items: claimed.map((c) => ({ runId: c.run.id, output: "null" })), now: T0 + 1 });
  return claimed.length;
};

describe("sqlite run counts with uncounted plain triggers", () => {
  it("single triggers leave a bounded tail that stats() counts, and the next write folds", async () => {
    const path = tempDb();
    const store = sqliteStore({ path });
    await store.migrate();
    await trigger(store, 10);
    assert.equal(counted(path), 0, "ten single triggers wrote no counter");
    const st = await assertExact(store, path, "stats counts the tail");
    assert.equal(st.byStatus.queued, 10);
    await trigger(store, 2 * MAX_TAIL + 10, "other");
    assert.ok(counted(path) >= 2 * MAX_TAIL + 20 - MAX_TAIL, `the tail stays within ${MAX_TAIL} runs (counted up to ${counted(path)})`);
    await assertExact(store, path, "after more triggers than one tail");
    await drain(store, 7);
    assert.equal(counted(path), 2 * MAX_TAIL + 20, "a claim folds the whole tail");
    await assertExact(store, path, "after a claim and a completion");
    await store.createRuns({ runs: Array.from({ length: 5 }, () => newRun({ queue: "bulk", status: "delayed", runAt: T0 + 1e6 })), now: T0 });
    await store.createRuns({ runs: [newRun({ idempotencyKey: "k" })], now: T0 });
    await assertExact(store, path, "after a bulk insert of delayed runs and a keyed run");
    await store.close();
  });

  it("stays exact with single triggers from two processes while this one claims and completes", async () => {
    const path = tempDb();
    const store = sqliteStore({ path });
    await store.migrate();
    const startAt = String(Date.now() + 2000); // after both children have loaded tsx
    const children = Promise.all([runProcess("trigger-process.ts", [path, "a", "300", startAt]), runProcess("trigger-process.ts", [path, "b", "300", startAt])]);
    let done = false;
    void children.finally(() => (done = true));
    let drained = 0;
    while (!done) {
      drained += await drain(store, 5);
      // The children insert meanwhile: the total lies between two counts taken around the read; the
      // rest is exact (only this process claims and completes).
      const before = truth(path);
      const st = await store.stats();
      const after = truth(path);
      assert.equal(st.byStatus.completed, drained);
      assert.equal(st.byStatus.running, 0);
      assert.ok(total(before) <= total(st) && total(st) <= total(after), `${total(before)} ≤ ${total(st)} ≤ ${total(after)}`);
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.deepEqual(await children, ["done\n", "done\n"]);
    const st = await assertExact(store, path, "after both children");
    assert.equal(st.byStatus.completed + st.byStatus.queued, 600);
    assert.equal(st.byStatus.completed, drained);
    await store.close();
  });

  it("a prune of the newest runs, whose rowids are handed out again, keeps later triggers counted", async () => {
    const path = tempDb();
    const store = sqliteStore({ path });
    await store.migrate();
    await trigger(store, 20);
    assert.equal(await drain(store, 100), 20);
    assert.equal(await store.prune({ finishedBefore: T0 + 2, now: T0 + 3 }), 20);
    assert.equal(counted(path), 0, "the prune moved the marker back to the (empty) table's end");
    await trigger(store, 3);
    await assertExact(store, path, "triggers after the prune reuse rowids 1–3 and are counted");
    await drain(store, 1);
    await assertExact(store, path, "and folded by the next claim");
    await store.close();
  });

  it("stays exact after VACUUM, and after rowids were renumbered under the counts", async () => {
    const path = tempDb();
    const store = sqliteStore({ path });
    await store.migrate();
    await trigger(store, 10);
    assert.equal(await drain(store, 4), 4);
    await store.prune({ finishedBefore: T0 + 2, now: T0 + 3 }); // rowids 1–4 gone: a gap below the marker
    await trigger(store, 5); // uncounted, rowids 11–15
    const db = new Database(path);
    db.exec("VACUUM");
    await assertExact(store, path, "after VACUUM");
    // What a VACUUM of an older SQLite may do: number the rows 1, 2, 3, … again.
    const rowids = (db.prepare("SELECT rowid FROM runs ORDER BY rowid").all() as { rowid: number }[]).map((r) => r.rowid);
    const move = db.prepare("UPDATE runs SET rowid = ? WHERE rowid = ?");
    db.transaction(() => rowids.forEach((old, i) => move.run(i + 1, old)))();
    db.close();
    const st = await assertExact(store, path, "after renumbering: the marker no longer names its run, stats counts the table");
    assert.equal(st.byStatus.queued, 11);
    await drain(store, 2);
    await assertExact(store, path, "the next write rebuilt the counts");
    await trigger(store, 3);
    await assertExact(store, path, "and triggers after it are counted again");
    await store.close();
  });
});
