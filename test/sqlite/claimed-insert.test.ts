/**
 * SQLite's `createClaimedRun` (src/sqlite/claimed-insert.ts) has two ways in, as the plain single
 * trigger has: one statement in autocommit, left out of the exact counts, and the same statement in a
 * counted transaction (the run's id is not after the counts' marker, the connection's uncounted tail
 * is full, or another process holds the write lock). Both must write the same row and keep `stats()` exact; a locked file delays the insert
 * without blocking the event loop, and loses nothing.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { sqliteStore } from "errand/sqlite";
import type { NewRun, Store } from "errand/store";
import { newRun, T0 } from "../../src/store/conformance/harness.ts";
import { MAX_TAIL } from "../../src/sqlite/conn.ts";
import { tempDb } from "../support/temp.ts";

const LEASE = 30_000;

/** Handed to worker `w` of queue `q` (runs of other queues do not hold it back). */
const handOff = (s: Store, run: NewRun, now: number) =>
  s.createClaimedRun!({ run, workerId: "w", queues: ["q"], taskIds: null, leaseMs: LEASE, now });

function row(path: string, id: string): Record<string, unknown> {
  const db = new Database(path, { readonly: true });
  try {
    const r = db.prepare("SELECT * FROM runs WHERE id = ?").get(id) as Record<string, unknown> | undefined;
    assert.ok(r !== undefined, `run ${id} is in the table`);
    const { id: _id, payload: _payload, ...rest } = r;
    return rest;
  } finally {
    db.close();
  }
}

describe("sqlite createClaimedRun: autocommit and counted", () => {
  it("the counted insert (the tail full) writes the autocommit insert's row, and stats stay exact", async () => {
    const path = tempDb();
    const store = sqliteStore({ path });
    await store.migrate();
    const second = newRun({ queue: "q" }); // its id is made before the marker moves past it
    const first = newRun({ queue: "q" });
    assert.ok((await handOff(store, first, T0)) !== null, "claimed, in autocommit");
    // More plain triggers of another queue than one connection leaves uncounted: a counted insert
    // among them moves the counts' marker past `second`'s id.
    for (let i = 0; i <= MAX_TAIL; i++) await store.createRuns({ runs: [newRun({ queue: "other" })], now: T0 });
    const claimed = await handOff(store, second, T0);
    assert.ok(claimed !== null, "claimed, in a counted transaction");
    assert.equal(claimed.run.status, "running");
    assert.equal(claimed.run.leaseExpiresAt, T0 + LEASE);
    const stats = await store.stats();
    assert.equal(stats.byStatus.running, 2);
    assert.equal(stats.byStatus.queued, MAX_TAIL + 1);
    await store.close();
    const expected = row(path, first.id);
    assert.equal(expected["status"], "running");
    assert.equal(expected["worker_id"], "w");
    assert.deepEqual(row(path, second.id), expected);
  });

  it("inserted queued by the counted path, it is counted queued and notified", async () => {
    const path = tempDb();
    const store = sqliteStore({ path });
    await store.migrate();
    const run = newRun({ queue: "q", runAt: T0 + 1 }); // its id is made before the marker moves past it
    const older = newRun({ queue: "q" });
    await store.createRuns({ runs: [older], now: T0 });
    for (let i = 0; i <= MAX_TAIL; i++) await store.createRuns({ runs: [newRun({ queue: "other" })], now: T0 });
    let heard = 0;
    store.subscribe(() => heard++);
    assert.equal(await handOff(store, run, T0 + 1), null, "an older due run of the worker's queue comes first");
    assert.equal(heard, 1, "the workers are told");
    const stats = await store.stats();
    assert.equal(stats.byStatus.queued, MAX_TAIL + 3);
    assert.equal(stats.byStatus.running, 0);
    await store.close();
  });

  it("a file locked by another process: the insert waits from the event loop, then goes through", async () => {
    const path = tempDb();
    const store = sqliteStore({ path });
    await store.migrate();
    const other = new Database(path);
    other.exec("BEGIN IMMEDIATE");
    const run = newRun({ queue: "q" });
    let settled = false;
    const inserting = handOff(store, run, T0).finally(() => (settled = true));
    let ticks = 0;
    const ticking = setInterval(() => ticks++, 10);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(settled, false, "still waiting for the lock");
    assert.ok(ticks >= 10, `the event loop kept running (${ticks} ticks of 10 ms in 300 ms)`);
    other.exec("COMMIT");
    other.close();
    const claimed = await inserting;
    clearInterval(ticking);
    assert.ok(claimed !== null, "claimed once the lock was released");
    assert.equal((await store.getRun({ id: run.id }))!.status, "running");
    assert.equal((await store.stats()).byStatus.running, 1);
    await store.close();
  });
});
