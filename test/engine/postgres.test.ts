/** The engine on the PostgreSQL store: a worker idle on a long poll interval is woken by another engine's trigger (LISTEN/NOTIFY). */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { postgresStore } from "errand/postgres";
import { createEngine, defineTask } from "../../src/engine/index.ts";
import { freshDatabase, stopTestPgServer } from "../support/pg.ts";

after(async () => {
  await stopTestPgServer();
});

describe("engine on PostgreSQL", () => {
  it("runs triggered by another engine wake an idle worker at once, with retries and a limited queue", { timeout: 120_000 }, async () => {
    const url = await freshDatabase("errand_engine");
    let flakyCalls = 0;
    let live = 0;
    let maxLive = 0;
    const add = defineTask({
      id: "add",
      queue: { name: "adders", concurrencyLimit: 2 },
      run: async (p: { a: number; b: number }) => {
        maxLive = Math.max(maxLive, ++live);
        await new Promise((r) => setTimeout(r, 20));
        live--;
        return p.a + p.b;
      },
    });
    const flaky = defineTask({
      id: "flaky",
      retry: { maxAttempts: 3, minDelayMs: 10, randomize: false },
      run: async () => {
        if (++flakyCalls < 3) throw new Error(`flaky ${flakyCalls}`);
        return "third time";
      },
    });
    const a = createEngine({ store: postgresStore({ connectionString: url }), tasks: [add, flaky] });
    const b = createEngine({ store: postgresStore({ connectionString: url }), tasks: [add, flaky] });
    try {
      // Poll interval of a minute: only the store's notification can make this worker pick up runs in time.
      const w = a.worker({ concurrency: 6, pollIntervalMs: 60_000 });
      await w.start();
      const handles = await b.batchTrigger(add, Array.from({ length: 6 }, (_, i) => ({ a: i, b: 1 })));
      const results = await Promise.all(handles.map((h) => b.runs.wait<number>(h.id, { timeoutMs: 30_000 })));
      assert.deepEqual(results.map((r) => r.unwrap()), [1, 2, 3, 4, 5, 6]);
      assert.ok(maxLive <= 2, `the queue limit held (max live ${maxLive})`);
      // A retry's delayed run is found by polling only; the retry delay is short, so poll quickly here.
      const w2 = a.worker({ queues: ["flaky"], pollIntervalMs: 20 });
      await w2.start();
      const r = await b.runs.wait<string>((await b.trigger(flaky, undefined)).id, { timeoutMs: 30_000 });
      assert.equal(r.unwrap(), "third time");
      assert.equal(flakyCalls, 3);
      assert.equal((await b.runs.list({ status: "running" })).runs.length, 0);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
