/**
 * Issue 13, finding 17 (second half): a read-only mode for inspection. Before, a file this process
 * could not write could not even be listed (opening migrated, which writes). Now `readonly: true`
 * (or a `database` opened read-only) lists and reads, refuses every write with SqliteReadonlyError,
 * and writes nothing; a non-writable file opened without it fails at once with the same error,
 * saying what to do.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { createEngine, defineTask } from "errand";
import { sqliteStore, SqliteReadonlyError } from "errand/sqlite";
import { newRun, T0 } from "../../src/store/conformance/harness.ts";
import { tempDb, tempDir } from "../support/temp.ts";

const greet = defineTask({ id: "greet", run: async (p: { name: string }) => `hi ${p.name}` });

/** A file with two finished runs, written by a normal store and closed. */
async function filledDb(): Promise<string> {
  const path = tempDb();
  const engine = createEngine({ store: sqliteStore({ path }), tasks: [greet] });
  const handles = await engine.batchTrigger(greet, [{ name: "a" }, { name: "b" }]);
  const worker = engine.worker({ concurrency: 2, pollIntervalMs: 20 });
  await worker.start();
  for (const h of handles) assert.equal((await engine.runs.wait(h.id, { timeoutMs: 30_000 })).ok, true);
  await worker.stop();
  await engine.close();
  return path;
}

const readonlyError = (pattern: RegExp) => (e: unknown) => e instanceof SqliteReadonlyError && pattern.test(e.message);

describe("sqlite: read-only inspection", () => {
  it("readonly: true lists and reads through an engine; triggers and claims fail with SqliteReadonlyError; nothing is written", async () => {
    const path = await filledDb();
    const mtime = statSync(path).mtimeMs;
    const engine = createEngine({ store: sqliteStore({ path, readonly: true }), tasks: [greet] });
    const page = await engine.runs.list({});
    assert.equal(page.runs.length, 2);
    assert.deepEqual(page.runs.map((r) => r.output).sort(), ["hi a", "hi b"]);
    assert.equal((await engine.runs.stats()).byStatus.completed, 2);
    await assert.rejects(engine.trigger(greet, { name: "c" }), readonlyError(/is open read-only \(option `readonly`\)/));
    const worker = engine.worker({ concurrency: 1, pollIntervalMs: 20 });
    const errors: unknown[] = [];
    worker.on("worker:error", ({ error }) => errors.push(error));
    await worker.start().catch((e: unknown) => errors.push(e));
    await new Promise((r) => setTimeout(r, 200));
    await worker.stop().catch(() => {});
    assert.ok(errors.length === 0 || errors.every((e) => e instanceof SqliteReadonlyError), `worker errors: ${errors.map(String).join("; ")}`);
    await engine.close();
    assert.equal(statSync(path).mtimeMs, mtime, "the file was not touched");
    const check = sqliteStore({ path });
    assert.equal((await check.listRuns({})).runs.length, 2);
    await check.close();
  });

  it("readonly on a file without Errand's tables: migrate() says so instead of creating them", async () => {
    const path = tempDb();
    new Database(path).exec("CREATE TABLE notes (x)");
    const store = sqliteStore({ path, readonly: true });
    await assert.rejects(store.migrate(), readonlyError(/holds no Errand tables.*without `readonly`/));
    await store.close();
    const tables = new Database(path, { readonly: true }).prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
    assert.deepEqual(tables, [{ name: "notes" }]);
  });

  it("readonly on a missing file: a readable error, and no file is created", () => {
    const path = join(tempDir(), "missing.db");
    assert.throws(() => sqliteStore({ path, readonly: true }), (e: Error) => e.message.includes(path) && /does not exist/.test(e.message));
    assert.equal(existsSync(path), false);
  });

  it("a better-sqlite3 Database opened read-only is used read-only", async () => {
    const path = await filledDb();
    const db = new Database(path, { readonly: true });
    const store = sqliteStore({ database: db });
    await store.migrate();
    assert.equal((await store.listRuns({})).runs.length, 2);
    await assert.rejects(store.createRuns({ runs: [newRun()], now: T0 }), readonlyError(/read-only/));
    await store.close();
    db.close();
  });

  it("option checks: readonly must be a boolean and needs a file", () => {
    assert.throws(() => sqliteStore({ path: tempDb(), readonly: "yes" as unknown as boolean }), /option `readonly` must be true or false/);
    assert.throws(() => sqliteStore({ path: ":memory:", readonly: true }), /option `readonly` needs a file/);
  });

  it("a file this process may not write, opened without readonly: SqliteReadonlyError at once, saying to pass readonly", async (t) => {
    if (process.platform === "win32") return t.skip("POSIX permissions");
    const path = await filledDb();
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    // root writes any file: check as an unprivileged user, with the folder readable and the file not writable.
    chmodSync(dirname(path), 0o755);
    chmodSync(path, 0o444);
    const fixture = fileURLToPath(new URL("./fixtures/open-as.ts", import.meta.url));
    const open = (mode: string) => {
      const r = spawnSync(process.execPath, ["--import", "tsx", fixture, path, mode], { ...asUser, encoding: "utf8", timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout.trim().split("\n").pop()!) as { ok?: boolean; runs?: number; name?: string; message?: string };
    };
    const plain = open("write");
    assert.equal(plain.name, "SqliteReadonlyError", JSON.stringify(plain));
    assert.ok(plain.message!.includes(path), plain.message);
    assert.match(plain.message!, /cannot be written by this process.*readonly: true/);
    assert.deepEqual(open("readonly"), { ok: true, runs: 2 });
  });
});
