/** Issue 3, acceptance 8: bad input is a clear error and writes nothing. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { z } from "zod";
import { createEngine, defineTask } from "errand";
import { sqliteStore } from "errand/sqlite";
import { tempDb, tempDir } from "../support/temp.ts";

const signup = defineTask({
  id: "signup",
  schema: z.object({ userId: z.string().min(2), age: z.number().int().optional() }),
  run: async (p) => p.userId,
});

async function rowCount(engine: ReturnType<typeof createEngine>) {
  return (await engine.runs.list({ limit: 1000 })).runs.length;
}

describe("bad input", () => {
  it("an invalid payload is rejected with the schema's messages and nothing is enqueued", async () => {
    const engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks: [signup] });
    await assert.rejects(engine.trigger(signup, { userId: 1 } as never), (e: Error) => {
      assert.equal(e.name, "PayloadValidationError");
      assert.match(e.message, /invalid payload for task "signup"/);
      assert.match(e.message, /userId/);
      return true;
    });
    await assert.rejects(engine.batchTrigger(signup, [{ userId: "ok" }, { userId: "x" }]), /userId/);
    assert.equal(await rowCount(engine), 0);
    await engine.trigger(signup, { userId: "ada" });
    assert.equal(await rowCount(engine), 1);
    await engine.close();
  });

  it("an unknown task id names the known ones; nothing is enqueued", async () => {
    const engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks: [signup] });
    await assert.rejects(engine.trigger("nope" as never, {} as never), /unknown task "nope" \(registered: signup\)/);
    assert.equal(await rowCount(engine), 0);
    await engine.close();
  });

  it("payloads JSON cannot carry (BigInt, cycles, functions, undefined in arrays) are refused", async () => {
    const free = defineTask({ id: "free", run: async (p: unknown) => p });
    const engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks: [free] });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic["self"] = cyclic;
    await assert.rejects(engine.trigger(free, { n: 1n }), /\$\.n is a BigInt/);
    await assert.rejects(engine.trigger(free, cyclic), /\$\.self is a circular reference/);
    await assert.rejects(engine.trigger(free, { f: () => 1 }), /\$\.f is a function/);
    await assert.rejects(engine.trigger(free, [1, undefined]), /undefined inside an array/);
    await assert.rejects(engine.trigger(free, { n: NaN }), /NaN/);
    assert.equal(await rowCount(engine), 0);
    await engine.close();
  });

  it("bad trigger options are TypeErrors naming the option; nothing is enqueued", async () => {
    const engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks: [signup] });
    const ok = { userId: "ada" };
    await assert.rejects(engine.trigger(signup, ok, { delayMs: -1 }), /`delayMs`/);
    await assert.rejects(engine.trigger(signup, ok, { priority: 1.5 }), /`priority`/);
    await assert.rejects(engine.trigger(signup, ok, { tags: [""] }), /`tags`/);
    await assert.rejects(engine.trigger(signup, ok, { runAt: new Date("nope") }), /`runAt`/);
    await assert.rejects(engine.trigger(signup, ok, { idempotencyKeyTtlMs: 5 }), /needs `idempotencyKey`/);
    await assert.rejects(engine.trigger(signup, ok, { prority: 1 } as never), /unknown option `prority`/);
    assert.equal(await rowCount(engine), 0);
    await engine.close();
  });

  it("bad task definitions and engine options fail at start-up with readable errors", () => {
    assert.throws(() => defineTask({ id: "has space", run: async () => 1 }), /option `id`/);
    assert.throws(() => defineTask({ id: "r", retry: { maxAttempts: 0 }, run: async () => 1 }), /retry.*maxAttempts/);
    assert.throws(() => defineTask({ id: "q", queue: { name: "q", concurrencyLimit: 0 }, run: async () => 1 }), /concurrencyLimit/);
    assert.throws(() => defineTask({ id: "t", timeoutMs: -5, run: async () => 1 }), /timeoutMs/);
    assert.throws(() => defineTask({ id: "c", schedule: "not a cron", run: async () => 1 }), /invalid cron expression/);
    assert.throws(() => defineTask({ id: "z", schedule: { cron: "* * * * *", timezone: "Mars/Base" }, run: async () => 1 }), /time zone/);
    const store = sqliteStore({ path: ":memory:" });
    assert.throws(() => createEngine({ store, tasks: [signup, signup] }), /two tasks have the id "signup"/);
    assert.throws(() => createEngine({ store, tasks: [{ id: "fake" } as never] }), /tasks\[0\] is not a durable task/);
    assert.throws(() => createEngine({ store: {} as never, tasks: [] }), /option `store`/);
    const engine = createEngine({ store, tasks: [signup] });
    assert.throws(() => engine.worker({ concurrency: 0 }), /`concurrency`/);
    assert.throws(() => engine.worker({ queues: [] }), /`queues`/);
  });

  it("a corrupt or non-database file given as path fails with a readable error naming the file", () => {
    const dir = tempDir();
    const path = join(dir, "notes.db");
    writeFileSync(path, "these are my notes, not a database\n".repeat(200));
    assert.throws(() => sqliteStore({ path }), (e: Error) => {
      assert.match(e.message, /notes\.db/);
      assert.match(e.message, /not a database/);
      assert.ok(e.cause, "keeps the driver's error as cause");
      return true;
    });
    assert.throws(() => sqliteStore({ path: "" }), /option `path`/);
    assert.throws(() => sqliteStore({ path: "x.db", synchronous: "OFF" as never }), /option `synchronous`/);
  });
});
