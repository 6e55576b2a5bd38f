/** Workers that claim ahead (`prefetch`): exactly once, limits hold, buffered runs go back on stop and on cancel. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEngine, defineTask, type AnyTask } from "../../src/engine/index.ts";
import { sqliteStore } from "errand/sqlite";
import { sleep, tempDb, until } from "../support/temp.ts";

function engineWith(tasks: AnyTask[]) {
  return createEngine({ store: sqliteStore({ path: tempDb() }), tasks });
}

describe("prefetch", () => {
  it("runs every run exactly once, never more than `concurrency` at a time, and holds a queue limit", async () => {
    const executions = new Map<string, number>();
    let live = 0;
    let maxLive = 0;
    let limitedLive = 0;
    let limitedMax = 0;
    const fast = defineTask({
      id: "fast",
      run: async (_: { i: number }, ctx) => {
        executions.set(ctx.run.id, (executions.get(ctx.run.id) ?? 0) + 1);
        maxLive = Math.max(maxLive, ++live);
        await sleep(1);
        live--;
      },
    });
    const limited = defineTask({
      id: "limited",
      queue: { name: "limited", concurrencyLimit: 2 },
      run: async () => {
        limitedMax = Math.max(limitedMax, ++limitedLive);
        await sleep(5);
        limitedLive--;
      },
    });
    const engine = engineWith([fast, limited]);
    const handles = [
      ...(await engine.batchTrigger(fast, Array.from({ length: 300 }, (_, i) => ({ i })))),
      ...(await engine.batchTrigger(limited, Array.from({ length: 10 }, () => undefined))),
    ];
    const w = engine.worker({ concurrency: 4, prefetch: 12, pollIntervalMs: 10 });
    await w.start();
    await Promise.all(handles.map((h) => engine.runs.wait(h.id, { timeoutMs: 30_000 })));
    await w.stop();
    assert.equal(executions.size, 300);
    assert.ok([...executions.values()].every((n) => n === 1), "each run executed once");
    assert.ok(maxLive <= 4, `at most concurrency runs at once (saw ${maxLive})`);
    assert.ok(limitedMax <= 2, `queue limit held (saw ${limitedMax})`);
    assert.equal((await engine.runs.stats()).byStatus.completed, 310);
    await engine.close();
  });

  it("stop hands buffered runs back at once (attempt unchanged) and leaves none running", async () => {
    let started = 0;
    const slow = defineTask({
      id: "slow",
      run: async () => {
        started++;
        await sleep(100);
      },
    });
    const engine = engineWith([slow]);
    await engine.batchTrigger(slow, Array.from({ length: 10 }, () => undefined));
    const w = engine.worker({ concurrency: 2, prefetch: 6, pollIntervalMs: 10, gracefulStopMs: 5_000 });
    await w.start();
    await until(async () => (await engine.runs.list({ status: "running" })).runs.length === 8, "2 running + 6 buffered claimed");
    await w.stop();
    assert.equal(started, 2, "buffered runs never started");
    const stats = (await engine.runs.stats()).byStatus;
    assert.equal(stats.running, 0, "none left running");
    assert.equal(stats.completed, 2);
    assert.equal(stats.queued, 8);
    const queued = await engine.runs.list({ status: "queued" });
    assert.ok(queued.runs.every((r) => r.attempt === 1), "a hand-back is not an attempt");
    await engine.close();
  });

  it("a buffered run canceled before it starts never runs", async () => {
    const ran: number[] = [];
    const slow = defineTask({
      id: "slow",
      run: async (p: { i: number }) => {
        ran.push(p.i);
        await sleep(50);
      },
    });
    const engine = engineWith([slow]);
    const handles = await engine.batchTrigger(slow, [{ i: 0 }, { i: 1 }, { i: 2 }]);
    const w = engine.worker({ concurrency: 1, prefetch: 2, pollIntervalMs: 10 });
    await w.start();
    await until(async () => (await engine.runs.list({ status: "running" })).runs.length === 3, "one running, two buffered");
    assert.equal(await engine.runs.cancel(handles[2]!.id), true);
    await engine.runs.wait(handles[1]!.id, { timeoutMs: 10_000 });
    await sleep(100);
    assert.deepEqual(ran, [0, 1]);
    assert.equal((await engine.runs.get(handles[2]!.id))?.status, "canceled");
    await engine.close();
  });
});
