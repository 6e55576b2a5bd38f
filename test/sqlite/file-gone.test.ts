/**
 * Issue 13, finding 17 (first half): an SQLite file deleted or replaced under an open store. Before,
 * the store kept "accepting" runs into the unlinked file and they vanished at exit; now every call
 * fails with SqliteFileGoneError naming the file, and nothing more is reported as written.
 */
import assert from "node:assert/strict";
import { renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createEngine, defineTask } from "errand";
import { sqliteStore, SqliteFileGoneError } from "errand/sqlite";
import { newRun, T0 } from "../../src/store/conformance/harness.ts";
import { CHECK_EVERY_MS } from "../../src/sqlite/file-guard.ts";
import { sleep, tempDb, tempDir, until } from "../support/temp.ts";

const removeDb = (path: string) => {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
};

const gone = (what: string, path: string) => (e: unknown) =>
  e instanceof SqliteFileGoneError && e.path === path && e.message.includes(`"${path}" was ${what}`);

describe("sqlite: the database file deleted or replaced while open", () => {
  it("deleted: the next write and read fail with SqliteFileGoneError, and keep failing", async () => {
    const path = tempDb();
    const store = sqliteStore({ path });
    await store.migrate();
    const kept = newRun();
    await store.createRuns({ runs: [kept], now: T0 });
    removeDb(path);
    await sleep(CHECK_EVERY_MS + 50);
    await assert.rejects(store.createRuns({ runs: [newRun()], now: T0 }), gone("deleted", path));
    await assert.rejects(store.getRun({ id: kept.id }), gone("deleted", path));
    // Even right after the last check: the store remembers.
    await assert.rejects(store.createRuns({ runs: [newRun()], now: T0 }), gone("deleted", path));
    await store.close();
  });

  it("replaced by another file (moved onto the path): writes fail instead of going to the old file", async () => {
    const dir = tempDir();
    const path = join(dir, "errand.db");
    const other = join(dir, "other.db");
    const store = sqliteStore({ path });
    await store.migrate();
    const replacement = sqliteStore({ path: other });
    await replacement.migrate();
    await replacement.close();
    renameSync(other, path);
    await sleep(CHECK_EVERY_MS + 50);
    const run = newRun();
    await assert.rejects(store.createRuns({ runs: [run], now: T0 }), gone("replaced", path));
    await store.close();
    // Nothing reached either file: the new file at the path has no such run.
    const fresh = sqliteStore({ path });
    assert.equal(await fresh.getRun({ id: run.id }), null);
    await fresh.close();
  });

  it("a relative path is checked as the file opened, whatever the working directory becomes", async () => {
    const dir = tempDir();
    const before = process.cwd();
    process.chdir(dir);
    let store;
    try {
      store = sqliteStore({ path: "relative.db" });
    } finally {
      process.chdir(before);
    }
    await store.migrate();
    await sleep(CHECK_EVERY_MS + 50);
    await store.createRuns({ runs: [newRun()], now: T0 });
    removeDb(join(dir, "relative.db"));
    await sleep(CHECK_EVERY_MS + 50);
    await assert.rejects(store.createRuns({ runs: [newRun()], now: T0 }), gone("deleted", join(dir, "relative.db")));
    await store.close();
  });

  it("an engine: trigger rejects and the worker reports the error instead of running into the void", async () => {
    const path = tempDb();
    const noop = defineTask({ id: "noop", run: async () => "ok" });
    const engine = createEngine({ store: sqliteStore({ path }), tasks: [noop] });
    const first = await engine.trigger(noop, undefined);
    const worker = engine.worker({ concurrency: 2, pollIntervalMs: 20 });
    const errors: unknown[] = [];
    worker.on("worker:error", ({ error }) => errors.push(error));
    await worker.start();
    assert.equal((await engine.runs.wait(first.id, { timeoutMs: 30_000 })).ok, true);
    removeDb(path);
    await sleep(CHECK_EVERY_MS + 50);
    await assert.rejects(engine.trigger(noop, undefined), (e: unknown) => e instanceof SqliteFileGoneError);
    await until(() => errors.some((e) => e instanceof SqliteFileGoneError), "the worker reports SqliteFileGoneError", 20_000);
    await worker.stop();
    await engine.close();
  });
});
