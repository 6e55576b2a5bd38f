/** Conformance: claim order, queue filters, ttl expiry, leases, takeover, heartbeat, release. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { claim, createAndClaim, ERR, newRun, sorted, step, T0, withStore, withTwo, type ConformanceOptions } from "./harness.ts";

export function claimsConformance(o: ConformanceOptions): void {
  describe(`${o.name}: claiming runs`, () => {
    it("claims by priority, then runAt, then id; marks them running under a lease", () =>
      withStore(o, async (s) => {
        const a = newRun({ runAt: T0 });
        const b = newRun({ runAt: T0, priority: 10 });
        const c = newRun({ runAt: T0 - 100 });
        const d = newRun({ runAt: T0 });
        const neg = newRun({ runAt: T0 - 1000, priority: -1 });
        await s.createRuns({ runs: [d, neg, a, b, c], now: T0 - 1000 });
        const claimed = await claim(s, "w", T0, { leaseMs: 60_000 });
        assert.deepEqual(claimed.map((x) => x.run.id), [b.id, c.id, sorted([a.id, d.id])[0], sorted([a.id, d.id])[1], neg.id]);
        for (const x of claimed) {
          assert.deepEqual([x.run.status, x.run.workerId, x.run.leaseExpiresAt, x.run.startedAt, x.run.attempt], ["running", "w", T0 + 60_000, T0, 1]);
          assert.deepEqual(x.steps, []);
        }
        const stored = (await s.getRun({ id: a.id }))!;
        assert.deepEqual([stored.status, stored.workerId, stored.startedAt], ["running", "w", T0]);
        assert.deepEqual(await claim(s, "w2", T0), [], "a running run with a valid lease is not claimable");
      }));

    it("delayed runs are not claimable before runAt", () =>
      withStore(o, async (s) => {
        const later = newRun({ status: "delayed", runAt: T0 + 1000, priority: 100 });
        await s.createRuns({ runs: [later], now: T0 });
        assert.deepEqual(await claim(s, "w", T0 + 999), []);
        assert.deepEqual((await claim(s, "w", T0 + 1000)).map((x) => x.run.id), [later.id]);
      }));

    it("claims only the queues asked for, and never more than the limit", () =>
      withStore(o, async (s) => {
        await s.createRuns({ runs: [newRun({ queue: "a" }), newRun({ queue: "b" }), newRun({ queue: "a" }), newRun({ queue: "c" })], now: T0 });
        assert.deepEqual((await claim(s, "w", T0, { queues: ["b"] })).map((x) => x.run.queue), ["b"]);
        assert.deepEqual(await claim(s, "w", T0, { queues: ["nope"] }), []);
        assert.deepEqual(await claim(s, "w", T0, { limit: 0 }), []);
        assert.equal((await claim(s, "w", T0, { queues: ["a", "c"], limit: 2 })).length, 2);
        assert.equal((await claim(s, "w", T0)).length, 1);
      }));

    it("concurrent claims from two connections never hand out a run twice", () =>
      withTwo(o, async (s, other) => {
        const runs = Array.from({ length: 30 }, () => newRun());
        await s.createRuns({ runs, now: T0 });
        const batches = await Promise.all([0, 1, 2, 3].map((i) => claim(i % 2 ? other : s, `w${i}`, T0, { limit: 10 })));
        const ids = batches.flat().map((x) => x.run.id);
        assert.equal(ids.length, 30);
        assert.equal(new Set(ids).size, 30);
        for (const [i, batch] of batches.entries()) {
          for (const x of batch) assert.equal((await s.getRun({ id: x.run.id }))!.workerId, `w${i}`);
        }
      }));

    it("queued and delayed runs past expiresAt become expired instead of running", () =>
      withStore(o, async (s) => {
        const q = newRun({ expiresAt: T0 + 10 });
        const d = newRun({ status: "delayed", runAt: T0 + 5, expiresAt: T0 + 10 });
        const ok = newRun({ expiresAt: T0 + 11 });
        await s.createRuns({ runs: [q, d, ok], now: T0 });
        assert.deepEqual((await claim(s, "w", T0 + 10)).map((x) => x.run.id), [ok.id]);
        for (const id of [q.id, d.id]) {
          const got = (await s.getRun({ id }))!;
          assert.deepEqual([got.status, got.finishedAt, got.workerId], ["expired", T0 + 10, null]);
        }
      }));

    it("a run that started before expiresAt does not expire (retry, hand-back)", () =>
      withStore(o, async (s) => {
        const [a, b] = await createAndClaim(s, 2, "w", T0, { expiresAt: T0 + 10 });
        assert.equal(await s.failRun({ workerId: "w", runId: a!, error: ERR, retryAt: T0 + 20, now: T0 + 1 }), true);
        await s.releaseRuns({ workerId: "w", runIds: [b!], now: T0 + 2 });
        assert.deepEqual(sorted((await claim(s, "w", T0 + 20)).map((x) => x.run.id)), sorted([a!, b!]), "ttl is about starting, not finishing");
      }));

    it("heartbeat extends leases and returns only the runs this worker still holds", () =>
      withStore(o, async (s) => {
        const [a, b, c] = await createAndClaim(s, 3, "w1");
        assert.deepEqual(sorted(await s.heartbeat({ workerId: "w1", runIds: [a!, b!], leaseMs: 5000, now: T0 + 1 })), sorted([a!, b!]));
        assert.equal((await s.getRun({ id: a! }))!.leaseExpiresAt, T0 + 5001);
        assert.equal((await s.getRun({ id: c! }))!.leaseExpiresAt, T0 + 30_000, "runs not named keep their lease");
        assert.deepEqual(await s.heartbeat({ workerId: "other", runIds: [a!], leaseMs: 5000, now: T0 + 1 }), []);
        assert.equal((await s.getRun({ id: a! }))!.leaseExpiresAt, T0 + 5001, "another worker's heartbeat changes nothing");
        await s.cancelRun({ id: b!, error: ERR, now: T0 + 2 });
        assert.deepEqual(await s.heartbeat({ workerId: "w1", runIds: [a!, b!, "missing"], leaseMs: 5000, now: T0 + 3 }), [a!], "canceled runs are no longer held");
        assert.deepEqual(await s.heartbeat({ workerId: "w1", runIds: [], leaseMs: 5000, now: T0 + 3 }), []);
      }));

    it("a heartbeat keeps a run from being taken over", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        await s.heartbeat({ workerId: "w1", runIds: [id!], leaseMs: 30_000, now: T0 + 20_000 });
        assert.deepEqual(await claim(s, "w2", T0 + 40_000), []);
        assert.equal((await claim(s, "w2", T0 + 50_000)).length, 1);
      }));

    it("releaseRuns hands runs back: queued, runAt now, lease cleared, attempt unchanged; fenced", () =>
      withStore(o, async (s) => {
        const [a, b] = await createAndClaim(s, 2, "w1");
        await s.releaseRuns({ workerId: "intruder", runIds: [a!], now: T0 + 1 });
        assert.equal((await s.getRun({ id: a! }))!.status, "running", "only the holder can release");
        await s.releaseRuns({ workerId: "w1", runIds: [b!], now: T0 + 2 });
        const released = (await s.getRun({ id: b! }))!;
        assert.deepEqual(
          [released.status, released.runAt, released.workerId, released.leaseExpiresAt, released.attempt],
          ["queued", T0 + 2, null, null, 1],
        );
        assert.deepEqual(await s.heartbeat({ workerId: "w1", runIds: [a!, b!], leaseMs: 5000, now: T0 + 3 }), [a!]);
        const [again] = await claim(s, "w2", T0 + 3);
        assert.deepEqual([again!.run.id, again!.run.attempt, again!.run.startedAt], [b!, 1, T0]);
      }));

    it("an expired lease is taken over with attempt + 1; the old holder is fenced out", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1", T0, { maxAttempts: 3 });
        await s.saveStep({ workerId: "w1", runId: id!, step: step("done"), now: T0 });
        assert.deepEqual(await claim(s, "w2", T0 + 29_999), [], "lease still valid");
        const [taken] = await claim(s, "w2", T0 + 30_000, { leaseMs: 1000 });
        assert.deepEqual([taken!.run.id, taken!.run.attempt, taken!.run.workerId, taken!.run.startedAt], [id, 2, "w2", T0]);
        assert.deepEqual(taken!.steps.map((x) => x.key), ["done"], "the takeover sees the stored steps");
        assert.deepEqual(await s.completeRuns({ workerId: "w1", items: [{ runId: id!, output: "1" }], now: T0 + 30_001 }), []);
        assert.equal(await s.failRun({ workerId: "w1", runId: id!, error: ERR, retryAt: null, now: T0 + 30_001 }), false);
        assert.equal(await s.saveStep({ workerId: "w1", runId: id!, step: step("late"), now: T0 + 30_001 }), false);
        assert.equal(await s.suspendRun({ workerId: "w1", runId: id!, waits: [], now: T0 + 30_001 }), null);
        assert.deepEqual(await s.heartbeat({ workerId: "w1", runIds: [id!], leaseMs: 1000, now: T0 + 30_001 }), []);
        const run = (await s.getRun({ id: id! }))!;
        assert.deepEqual([run.status, run.workerId], ["running", "w2"]);
        assert.deepEqual((await s.getSteps({ runId: id! })).map((x) => x.key), ["done"]);
      }));

    it("beyond maxAttempts an expired lease fails the run with LeaseExpiredError", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1", T0, { maxAttempts: 2 });
        await claim(s, "w2", T0 + 30_000, { leaseMs: 1000 });
        assert.deepEqual(await claim(s, "w3", T0 + 40_000), []);
        const failed = (await s.getRun({ id: id! }))!;
        assert.deepEqual([failed.status, failed.finishedAt, failed.workerId, failed.attempt], ["failed", T0 + 40_000, null, 2]);
        assert.equal(JSON.parse(failed.error!).name, "LeaseExpiredError");
      }));
  });
}
