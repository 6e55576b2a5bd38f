/**
 * `stats()` stays exact while plain triggers write no counter (src/sqlite/counts.ts): the runs after
 * the marked id are counted by the next write or by the read itself — with triggers from two
 * processes beside claims and completions, after a prune of the newest runs (the marker moves back),
 * after VACUUM, for a run whose id sorts before the marker (counted at once), and after the marker
 * was lost (the counts are rebuilt). Each check compares with a count of the table itself.
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

/** The marker (the id up to which runs are counted) and how many runs lie after it (uncounted). */
function marker(path: string): { id: string; uncounted: number } {
  const db = new Database(path, { readonly: true });
  try {
    const { id } = db.prepare("SELECT id FROM run_counts_marker").get() as { id: string };
    const { n } = db.prepare("SELECT count(*) AS n FROM runs WHERE id > ?").get(id) as { n: number };
    return { id, uncounted: n };
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
    assert.equal(marker(path).uncounted, 10, "ten single triggers wrote no counter");
    const st = await assertExact(store, path, "stats counts the tail");
    assert.equal(st.byStatus.queued, 10);
    await trigger(store, 2 * MAX_TAIL + 10, "other");
    assert.ok(marker(path).uncounted <= MAX_TAIL, `the tail stays within ${MAX_TAIL} runs (${marker(path).uncounted} uncounted)`);
    await assertExact(store, path, "after more triggers than one tail");
    await drain(store, 7);
    assert.equal(marker(path).uncounted, 0, "a claim folds the whole tail");
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

  it("a prune of the newest runs moves the marker back, and later triggers are counted", async () => {
    const path = tempDb();
    const store = sqliteStore({ path });
    await store.migrate();
    await trigger(store, 20);
    assert.equal(await drain(store, 100), 20);
    assert.equal(await store.prune({ finishedBefore: T0 + 2, now: T0 + 3 }), 20);
    assert.deepEqual(marker(path), { id: "", uncounted: 0 }, "the prune moved the marker back to the (empty) table's end");
    await trigger(store, 3);
    assert.equal(marker(path).uncounted, 3);
    await assertExact(store, path, "triggers after the prune are counted");
    await drain(store, 1);
    await assertExact(store, path, "and folded by the next claim");
    await store.close();
  });

  it("stays exact after VACUUM, for a run whose id sorts before the marker, and after the marker was lost", async () => {
    const path = tempDb();
    const store = sqliteStore({ path });
    await store.migrate();
    await trigger(store, 10);
    assert.equal(await drain(store, 4), 4);
    await store.prune({ finishedBefore: T0 + 2, now: T0 + 3 });
    await trigger(store, 5); // uncounted
    const db = new Database(path);
    db.exec("VACUUM");
    await assertExact(store, path, "after VACUUM");
    // An id before the marker (another process's clock behind this one's) cannot join the tail: counted at once.
    const early = newRun({ id: "00000000-0000-7000-8000-000000000001" });
    await store.createRuns({ runs: [early], now: T0 });
    assert.equal(marker(path).uncounted, 0, "its insert was a counted transaction, which folded the tail");
    assert.equal((await assertExact(store, path, "with the early id")).byStatus.queued, 12);
    await trigger(store, 2);
    db.exec("DELETE FROM run_counts_marker");
    const st = await assertExact(store, path, "without a marker stats counts the table");
    assert.equal(st.byStatus.queued, 14);
    await trigger(store, 3);
    assert.deepEqual(db.prepare("SELECT count(*) AS n FROM run_counts_marker").get(), { n: 1 }, "the next trigger rebuilt the counts and the marker");
    await assertExact(store, path, "after the rebuild");
    await drain(store, 2);
    await trigger(store, 3);
    await assertExact(store, path, "and triggers after it are counted again");
    db.close();
    await store.close();
  });
});
