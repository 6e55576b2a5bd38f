/**
 * When a worker claims after a run it held is released (claims.ts, `released`): not after a run that
 * completed in a queue without limits (its last claim was short and nothing was announced since, so a
 * claim would come back empty), but after a run of a limited queue, whose completion frees a place
 * under the limit that no notification announces.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sqliteStore } from "errand/sqlite";
import { createEngine, defineTask, type AnyTask } from "../../src/engine/index.ts";
import type { Store } from "../../src/store/types.ts";
import { tempDb } from "../support/temp.ts";

/**
 * An engine on SQLite whose store counts claims. Without `createClaimedRun`: a single trigger is then
 * never handed to the idle worker (handoff.test.ts), so that each one is claimed after its notification.
 */
function counting(tasks: AnyTask[]) {
  const { createClaimedRun: _handoff, ...store } = sqliteStore({ path: tempDb() });
  const c = { claims: 0 };
  const counted: Store = {
    ...store,
    claimRuns(p) {
      c.claims++;
      return store.claimRuns(p);
    },
  };
  return { c, engine: createEngine({ store: counted, tasks }) };
}

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

const free = defineTask({ id: "free", run: (p: { n: number }) => p.n });
const limited = defineTask({ id: "limited", queue: { name: "narrow", concurrencyLimit: 1 }, run: (p: { n: number }) => p.n });
const child = defineTask({ id: "child", run: () => 1 });

describe("refill claims", () => {
  it("one claim per run in a queue without limits (each trigger's notification), none after its completion", async () => {
    const { c, engine } = counting([free]);
    try {
      const w = engine.worker({ concurrency: 4, pollIntervalMs: 60_000 });
      await w.start();
      await engine.runs.wait((await engine.trigger(free, { n: 0 })).id, { timeoutMs: 10_000 });
      await turns();
      const before = c.claims;
      for (let i = 1; i <= 10; i++) {
        assert.equal((await engine.runs.wait<number>((await engine.trigger(free, { n: i })).id, { timeoutMs: 10_000 })).unwrap(), i);
        await turns();
      }
      assert.equal(c.claims - before, 10);
    } finally {
      await engine.close();
    }
  });

  it("a claim after each completion in a limited queue: the run queued behind the limit starts without a notification", async () => {
    const { c, engine } = counting([limited]);
    try {
      const w = engine.worker({ concurrency: 4, pollIntervalMs: 60_000 });
      await w.start();
      const handles = await engine.batchTrigger(limited, [{ n: 1 }, { n: 2 }, { n: 3 }]);
      const results = await Promise.all(handles.map((h) => engine.runs.wait<number>(h.id, { timeoutMs: 10_000 })));
      assert.deepEqual(results.map((r) => r.unwrap()), [1, 2, 3], "each started once the one before completed, with a poll a minute away");
      assert.ok(c.claims >= 3);
    } finally {
      await engine.close();
    }
  });

  it("a child's completion asks for a claim (its parent may be claimable)", async () => {
    const parent = defineTask({ id: "parent", run: async (_: null, ctx) => (await ctx.triggerAndWait(child, undefined)).unwrap() + 1 });
    const { engine } = counting([parent, child]);
    try {
      const w = engine.worker({ concurrency: 2, pollIntervalMs: 60_000 });
      await w.start();
      const h = await engine.trigger(parent, null);
      assert.equal((await engine.runs.wait<number>(h.id, { timeoutMs: 10_000 })).unwrap(), 2);
    } finally {
      await engine.close();
    }
  });
});
