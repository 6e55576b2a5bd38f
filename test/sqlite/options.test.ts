/** sqliteStore options: validation TypeErrors, `database` (your own connection), pragmas, reopening a file. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { sqliteStore } from "errand/sqlite";
import { newRun, T0 } from "../../src/store/conformance/harness.ts";
import { tempDb } from "../support/temp.ts";

const pragma = (db: Database.Database, name: string): unknown => db.pragma(name, { simple: true });

describe("sqliteStore options", () => {
  const bad: [string, unknown, RegExp][] = [
    ["no options", undefined, /expected options/],
    ["neither path nor database", {}, /exactly one of the options `path` and `database`/],
    ["both path and database", { path: ":memory:", database: new Database(":memory:") }, /exactly one of the options `path` and `database`/],
    ["an empty path", { path: "" }, /option `path` must be a non-empty string/],
    ["a numeric path", { path: 42 }, /option `path`/],
    ["a database that is not one", { database: { name: "x" } }, /option `database` must be a better-sqlite3 Database/],
    ["an unknown synchronous", { path: ":memory:", synchronous: "OFF" }, /option `synchronous` must be "NORMAL" or "FULL", got "OFF"/],
    ["a negative busyTimeoutMs", { path: ":memory:", busyTimeoutMs: -1 }, /option `busyTimeoutMs` must be an integer >= 0, got -1/],
    ["a fractional busyTimeoutMs", { path: ":memory:", busyTimeoutMs: 1.5 }, /option `busyTimeoutMs`/],
    ["a tiny cacheKiB", { path: ":memory:", cacheKiB: 10 }, /option `cacheKiB` must be an integer >= 64, got 10/],
  ];
  for (const [what, options, message] of bad) {
    it(`rejects ${what} with a TypeError naming the option`, () => {
      assert.throws(() => sqliteStore(options as never), (e: unknown) => e instanceof TypeError && message.test(e.message));
    });
  }

  it("a file database uses WAL, synchronous NORMAL and a 5 s busy timeout by default", async () => {
    const path = tempDb();
    const store = sqliteStore({ path });
    await store.migrate();
    assert.equal(store.name, `sqlite:${path}`);
    await store.close();
    const db = new Database(path);
    assert.equal(pragma(db, "journal_mode"), "wal", "WAL is stored in the file");
    db.close();
  });

  it("applies synchronous and busyTimeoutMs to a database you pass, and does not close it", async () => {
    const db = new Database(tempDb());
    const store = sqliteStore({ database: db, synchronous: "FULL", busyTimeoutMs: 1234 });
    assert.equal(pragma(db, "synchronous"), 2, "FULL");
    assert.equal(pragma(db, "busy_timeout"), 5, "SQLite's own (blocking) wait is a few ms; busyTimeoutMs is waited from the event loop (test/sqlite/lock.test.ts)");
    assert.equal(pragma(db, "journal_mode"), "wal");
    await store.migrate();
    const run = newRun();
    await store.createRuns({ runs: [run], now: T0 });
    await store.close();
    assert.equal(db.open, true, "the caller's connection stays open");
    assert.deepEqual(db.prepare("SELECT id, status FROM runs").all(), [{ id: run.id, status: "queued" }]);
    db.close();
  });

  it("a file's page cache is 2 MiB by default (it does not grow with the history), or cacheKiB", async () => {
    const db = new Database(tempDb());
    const store = sqliteStore({ database: db });
    assert.equal(pragma(db, "cache_size"), -2048);
    await store.close();
    const other = new Database(tempDb());
    const bigger = sqliteStore({ database: other, cacheKiB: 8192 });
    assert.equal(pragma(other, "cache_size"), -8192);
    await bigger.close();
    db.close();
    other.close();
  });

  it("defaults on your own database: synchronous NORMAL, a short blocking busy timeout", async () => {
    const db = new Database(":memory:");
    const store = sqliteStore({ database: db });
    assert.equal(pragma(db, "synchronous"), 1, "NORMAL");
    assert.equal(pragma(db, "busy_timeout"), 5);
    await store.close();
    db.close();
  });

  it("runs survive closing and reopening the file", async () => {
    const path = tempDb();
    const first = sqliteStore({ path });
    await first.migrate();
    const run = newRun({ payload: '{"kept":true}' });
    await first.createRuns({ runs: [run], now: T0 });
    await first.close();
    await first.close(); // closing twice is harmless
    const second = sqliteStore({ path });
    await second.migrate();
    assert.equal((await second.getRun({ id: run.id }))!.payload, '{"kept":true}');
    await second.close();
  });

  it("each :memory: store is its own database", async () => {
    const a = sqliteStore({ path: ":memory:" });
    const b = sqliteStore({ path: ":memory:" });
    await a.migrate();
    await b.migrate();
    const run = newRun();
    await a.createRuns({ runs: [run], now: T0 });
    assert.equal(await b.getRun({ id: run.id }), null);
    assert.notEqual(await a.getRun({ id: run.id }), null);
    await a.close();
    await b.close();
  });
});
