/** Conformance: routing (docs/CONTRACT.md §7): a claim takes only runs of the tasks it names, filtered in the claim itself. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { claim, newRun, sorted, T0, withStore, type ConformanceOptions } from "./harness.ts";

export function routingConformance(o: ConformanceOptions): void {
  describe(`${o.name}: routing by task`, () => {
    it("a claim with taskIds takes only runs of those tasks; other runs stay queued, untouched", () =>
      withStore(o, async (s) => {
        const mine = [newRun({ taskId: "a" }), newRun({ taskId: "b" })];
        const theirs = [newRun({ taskId: "c", priority: 5 }), newRun({ taskId: "c" })];
        await s.createRuns({ runs: [...theirs, ...mine], now: T0 });
        const claimed = await claim(s, "w", T0 + 10, { taskIds: ["a", "b"] });
        assert.deepEqual(sorted(claimed.map((x) => x.run.id)), sorted(mine.map((x) => x.id)));
        for (const r of theirs) {
          const stored = (await s.getRun({ id: r.id }))!;
          assert.equal(stored.status, "queued");
          assert.equal(stored.attempt, 1);
          assert.equal(stored.workerId, null);
          assert.equal(stored.startedAt, null);
          assert.equal(stored.updatedAt, T0, "never touched by the claim");
          assert.equal(stored.error, null);
        }
        assert.deepEqual(await claim(s, "w", T0 + 20, { taskIds: ["a", "b"] }), []);
        assert.deepEqual(await claim(s, "w", T0 + 20, { taskIds: [] }), [], "an empty task list claims nothing");
        assert.deepEqual(sorted((await claim(s, "w2", T0 + 20, { taskIds: null })).map((x) => x.run.id)), sorted(theirs.map((x) => x.id)), "null = every task");
      }));

    it("runs of unknown tasks ahead in the queue never hide the worker's own runs", () =>
      withStore(o, async (s) => {
        const theirs = Array.from({ length: 80 }, () => newRun({ taskId: "other", priority: 10 }));
        const mine = newRun({ taskId: "mine" });
        await s.createRuns({ runs: [...theirs, mine], now: T0 });
        const claimed = await claim(s, "w", T0, { taskIds: ["mine"], limit: 1 });
        assert.deepEqual(claimed.map((x) => x.run.id), [mine.id]);
      }));

    it("taskIds hold for takeovers and in limited queues too", () =>
      withStore(o, async (s) => {
        await s.upsertQueues({ queues: [{ name: "lim", concurrencyLimit: 5 }] });
        const lostA = newRun({ taskId: "a" });
        const lostC = newRun({ taskId: "c" });
        await s.createRuns({ runs: [lostA, lostC], now: T0 });
        await claim(s, "crashed", T0, { leaseMs: 1000 });
        const limA = newRun({ taskId: "a", queue: "lim" });
        const limC = newRun({ taskId: "c", queue: "lim" });
        await s.createRuns({ runs: [limA, limC], now: T0 });
        const claimed = await claim(s, "w", T0 + 1000, { taskIds: ["a"] });
        assert.deepEqual(sorted(claimed.map((x) => x.run.id)), sorted([lostA.id, limA.id]));
        assert.equal((await s.getRun({ id: lostC.id }))!.workerId, "crashed", "another task's expired lease is left to its workers");
        assert.equal((await s.getRun({ id: limC.id }))!.status, "queued");
      }));
  });
}
