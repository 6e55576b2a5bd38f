/** Conformance: queue concurrency limits, per queue and per concurrency key, across connections. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { claim, newRun, T0, withStore, withTwo, type ConformanceOptions } from "./harness.ts";

export function limitsConformance(o: ConformanceOptions): void {
  describe(`${o.name}: queue concurrency limits`, () => {
    it("a queue limit holds across connections; unlimited queues are not held back; freed slots are reused", () =>
      withTwo(o, async (s, other) => {
        await s.upsertQueues({ queues: [{ name: "lim", concurrencyLimit: 2 }, { name: "free", concurrencyLimit: null }] });
        await s.createRuns({ runs: Array.from({ length: 5 }, () => newRun({ queue: "lim" })), now: T0 });
        await s.createRuns({ runs: Array.from({ length: 3 }, () => newRun({ queue: "free" })), now: T0 });
        const [c1, c2] = await Promise.all([claim(s, "w1", T0, { queues: ["lim"] }), claim(other, "w2", T0, { queues: ["lim"] })]);
        assert.equal(c1.length + c2.length, 2, "only 2 of the limited queue at once");
        assert.deepEqual((await claim(other, "w3", T0)).map((x) => x.run.queue), ["free", "free", "free"]);
        const first = (c1[0] ?? c2[0])!;
        await s.completeRuns({ workerId: first.run.workerId!, items: [{ runId: first.run.id, output: "null" }], now: T0 });
        assert.equal((await claim(other, "w4", T0, { queues: ["lim"] })).length, 1, "a freed slot is reusable");
        assert.equal((await claim(s, "w4", T0, { queues: ["lim"] })).length, 0);
      }));

    it("a limit per concurrency key: each key value gets its own slots", () =>
      withTwo(o, async (s, other) => {
        await s.upsertQueues({ queues: [{ name: "tenant", concurrencyLimit: 1 }] });
        await s.createRuns({
          runs: [
            newRun({ queue: "tenant", concurrencyKey: "t1" }),
            newRun({ queue: "tenant", concurrencyKey: "t1" }),
            newRun({ queue: "tenant", concurrencyKey: "t2" }),
            newRun({ queue: "tenant", concurrencyKey: "t2" }),
          ],
          now: T0,
        });
        const [a, b] = await Promise.all([claim(s, "w1", T0), claim(other, "w2", T0)]);
        assert.deepEqual([...a, ...b].map((x) => x.run.concurrencyKey).sort(), ["t1", "t2"], "one per key");
        assert.deepEqual(await claim(s, "w3", T0), []);
      }));

    it("upsertQueues updates a limit; null lifts it", () =>
      withTwo(o, async (s, other) => {
        await s.upsertQueues({ queues: [{ name: "q", concurrencyLimit: 1 }] });
        await s.createRuns({ runs: Array.from({ length: 6 }, () => newRun({ queue: "q" })), now: T0 });
        assert.equal((await claim(s, "w", T0)).length, 1);
        await other.upsertQueues({ queues: [{ name: "q", concurrencyLimit: 3 }] });
        assert.equal((await claim(s, "w", T0)).length, 2, "the new limit is seen by the other connection");
        await s.upsertQueues({ queues: [{ name: "q", concurrencyLimit: null }] });
        assert.equal((await claim(other, "w", T0)).length, 3);
      }));

    it("limits count waiting runs out: a suspended run frees its slot, and resumes only within the limit", () =>
      withStore(o, async (s) => {
        await s.upsertQueues({ queues: [{ name: "q", concurrencyLimit: 1 }] });
        const [sleeper, other] = [newRun({ queue: "q" }), newRun({ queue: "q" })];
        await s.createRuns({ runs: [sleeper, other], now: T0 });
        const [first] = await claim(s, "w", T0);
        assert.equal(first!.run.id, sleeper.id);
        await s.suspendRun({ workerId: "w", runId: sleeper.id, waits: [{ key: "nap", parentKey: null, kind: "sleep", createdAt: T0, wakeAt: T0 + 10, eventName: null, match: null, childRunId: null }], now: T0 });
        assert.deepEqual((await claim(s, "w", T0 + 1)).map((x) => x.run.id), [other.id], "the slot was freed");
        assert.deepEqual(await claim(s, "w", T0 + 10), [], "the woken run waits for the slot");
        await s.completeRuns({ workerId: "w", items: [{ runId: other.id, output: "1" }], now: T0 + 11 });
        assert.deepEqual((await claim(s, "w", T0 + 11)).map((x) => x.run.id), [sleeper.id]);
      }));

    it("an expired lease in a full queue is still taken over", () =>
      withStore(o, async (s) => {
        await s.upsertQueues({ queues: [{ name: "one", concurrencyLimit: 1 }] });
        const run = newRun({ queue: "one" });
        await s.createRuns({ runs: [run, newRun({ queue: "one" })], now: T0 });
        await claim(s, "crashed", T0, { leaseMs: 1000 });
        const taken = await claim(s, "w2", T0 + 1000, { leaseMs: 1000 });
        assert.deepEqual(taken.map((x) => [x.run.id, x.run.attempt]), [[run.id, 2]], "the takeover keeps the queue at its limit");
      }));
  });
}
