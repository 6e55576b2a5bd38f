/** Conformance: queue rate limits (docs/CONTRACT.md §7): at most `limit` claims per sliding window, across connections. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RateLimitConfig, Store } from "../types.ts";
import { claim, newRun, T0, withStore, withTwo, type ConformanceOptions } from "./harness.ts";

const rate = (limit: number, periodMs: number, perKey = false): RateLimitConfig => ({ limit, periodMs, perKey });

async function complete(s: Store, workerId: string, ids: readonly string[], now: number): Promise<void> {
  await s.completeRuns({ workerId, items: ids.map((runId) => ({ runId, output: "null" })), now });
}

export function rateLimitsConformance(o: ConformanceOptions): void {
  describe(`${o.name}: queue rate limits`, () => {
    it("at most `limit` runs start per window, across connections; held runs show their next start; none are dropped", () =>
      withTwo(o, async (s, other) => {
        await s.upsertQueues({ queues: [{ name: "api", concurrencyLimit: null, rateLimit: rate(2, 1000) }, { name: "free", concurrencyLimit: null }] });
        const runs = Array.from({ length: 5 }, () => newRun({ queue: "api" }));
        await s.createRuns({ runs, now: T0 });
        await s.createRuns({ runs: [newRun({ queue: "free" }), newRun({ queue: "free" })], now: T0 });
        const [a, b] = await Promise.all([claim(s, "w1", T0, { queues: ["api"] }), claim(other, "w2", T0, { queues: ["api"] })]);
        assert.equal(a.length + b.length, 2, "two starts in the first window");
        assert.equal((await claim(other, "w3", T0)).length, 2, "an unlimited queue is not held back");
        const started = new Set([...a, ...b].map((x) => x.run.id));
        for (const r of runs.filter((x) => !started.has(x.id))) {
          const held = (await s.getRun({ id: r.id }))!;
          assert.equal(held.status, "queued", "held back, not dropped");
          assert.equal(held.runAt, T0 + 1000, "runAt moved to the next possible start");
          assert.equal(held.rateLimitedUntil, T0 + 1000);
        }
        await complete(s, "w1", a.map((x) => x.run.id), T0 + 1);
        await complete(other, "w2", b.map((x) => x.run.id), T0 + 1);
        assert.deepEqual(await claim(s, "w1", T0 + 999), [], "finishing does not free the window");
        assert.equal((await claim(other, "w1", T0 + 1000)).length, 2);
        assert.deepEqual(await claim(s, "w1", T0 + 1500), []);
        assert.equal((await claim(s, "w1", T0 + 2000)).length, 1, "every run starts in the end");
      }));

    it("the window slides: a start leaves it `period` after it happened", () =>
      withStore(o, async (s) => {
        await s.upsertQueues({ queues: [{ name: "api", concurrencyLimit: null, rateLimit: rate(2, 1000) }] });
        await s.createRuns({ runs: [newRun({ queue: "api" })], now: T0 });
        assert.equal((await claim(s, "w", T0)).length, 1);
        await s.createRuns({ runs: Array.from({ length: 3 }, () => newRun({ queue: "api", runAt: T0 + 400 })), now: T0 + 400 });
        assert.equal((await claim(s, "w", T0 + 400)).length, 1, "one place was left in the window");
        assert.deepEqual(await claim(s, "w", T0 + 999), []);
        const page = await s.listRuns({ status: ["queued"] });
        assert.deepEqual(page.runs.map((x) => x.runAt), [T0 + 1000, T0 + 1000], "next start: when the oldest start leaves the window");
        assert.equal((await claim(s, "w", T0 + 1000)).length, 1, "the start at T0 left the window; the one at +400 did not");
        assert.deepEqual(await claim(s, "w", T0 + 1001), []);
        assert.equal((await s.listRuns({ status: ["queued"] })).runs[0]!.runAt, T0 + 1400);
        assert.equal((await claim(s, "w", T0 + 1400)).length, 1);
      }));

    it("perKey: the limit holds per concurrency key", () =>
      withTwo(o, async (s, other) => {
        await s.upsertQueues({ queues: [{ name: "tenants", concurrencyLimit: null, rateLimit: rate(1, 60_000, true) }] });
        const mk = (key: string) => newRun({ queue: "tenants", concurrencyKey: key });
        await s.createRuns({ runs: [mk("t1"), mk("t1"), mk("t2"), mk("t2"), mk("t3")], now: T0 });
        const leaseMs = 600_000;
        const [a, b] = await Promise.all([claim(s, "w1", T0, { leaseMs }), claim(other, "w2", T0, { leaseMs })]);
        assert.deepEqual([...a, ...b].map((x) => x.run.concurrencyKey).sort(), ["t1", "t2", "t3"], "one start per key");
        assert.deepEqual(await claim(s, "w1", T0 + 59_999, { leaseMs }), []);
        assert.deepEqual((await claim(s, "w1", T0 + 60_000, { leaseMs })).map((x) => x.run.concurrencyKey).sort(), ["t1", "t2"]);
      }));

    it("combines with concurrencyLimit: both hold", () =>
      withStore(o, async (s) => {
        await s.upsertQueues({ queues: [{ name: "q", concurrencyLimit: 1, rateLimit: rate(2, 1000) }] });
        await s.createRuns({ runs: Array.from({ length: 4 }, () => newRun({ queue: "q" })), now: T0 });
        const first = await claim(s, "w", T0);
        assert.equal(first.length, 1, "the concurrency limit: one at a time");
        assert.deepEqual(await claim(s, "w", T0 + 1), [], "the slot is taken");
        await complete(s, "w", [first[0]!.run.id], T0 + 2);
        const second = await claim(s, "w", T0 + 3);
        assert.equal(second.length, 1);
        await complete(s, "w", [second[0]!.run.id], T0 + 4);
        assert.deepEqual(await claim(s, "w", T0 + 5), [], "a free slot, but the window is full");
        assert.equal((await claim(s, "w", T0 + 1000)).length, 1, "the window moved on; the slot allows one");
      }));

    it("upsertQueues changes or lifts a rate limit; stats stay exact while runs are held", () =>
      withStore(o, async (s) => {
        await s.upsertQueues({ queues: [{ name: "q", concurrencyLimit: null, rateLimit: rate(1, 10_000) }] });
        await s.createRuns({ runs: Array.from({ length: 4 }, () => newRun({ queue: "q" })), now: T0 });
        assert.equal((await claim(s, "w", T0)).length, 1);
        assert.deepEqual(await claim(s, "w", T0 + 1), []);
        const stats = await s.stats();
        assert.equal(stats.byStatus.queued, 3);
        assert.equal(stats.byStatus.running, 1);
        await s.upsertQueues({ queues: [{ name: "q", concurrencyLimit: null, rateLimit: null }] });
        assert.equal((await claim(s, "w", T0 + 10_000)).length, 3, "no limit any more");
      }));
  });
}
