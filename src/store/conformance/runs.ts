/** Conformance: creating runs, idempotency, claims, order, limits, leases, completion, failure. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NEVER } from "../types.ts";
import { createAndClaim, newRun, T0, withStore, type ConformanceOptions } from "./harness.ts";

export function runsConformance(o: ConformanceOptions): void {
  describe(`${o.name}: creating and claiming runs`, () => {
    it("createRuns stores runs as given and returns them in input order", () =>
      withStore(o, async (s) => {
        const runs = [newRun({ payload: '{"a":1}', tags: ["x", "y"] }), newRun({ status: "delayed", runAt: T0 + 1000, priority: 5 })];
        const created = await s.createRuns({ runs, now: T0 });
        assert.deepEqual(created.map((c) => c.run.id), runs.map((r) => r.id));
        assert.ok(created.every((c) => c.created));
        const got = await s.getRun({ id: runs[0]!.id });
        assert.equal(got!.payload, '{"a":1}');
        assert.deepEqual(got!.tags, ["x", "y"]);
        assert.equal(got!.status, "queued");
        assert.equal(got!.attempt, 1);
        assert.equal(got!.createdAt, T0);
        assert.equal((await s.getRun({ id: runs[1]!.id }))!.status, "delayed");
        assert.equal(await s.getRun({ id: "missing" }), null);
      }));

    it("idempotency: an unexpired key returns the existing run; an expired key makes a new one", () =>
      withStore(o, async (s) => {
        const first = newRun({ idempotencyKey: "k", idempotencyExpiresAt: T0 + 1000 });
        await s.createRuns({ runs: [first], now: T0 });
        const [dup] = await s.createRuns({ runs: [newRun({ idempotencyKey: "k", idempotencyExpiresAt: T0 + 1000 })], now: T0 + 500 });
        assert.equal(dup!.created, false);
        assert.equal(dup!.run.id, first.id);
        const [other] = await s.createRuns({ runs: [newRun({ taskId: "other", idempotencyKey: "k" })], now: T0 + 500 });
        assert.equal(other!.created, true, "keys are per task");
        const [fresh] = await s.createRuns({ runs: [newRun({ idempotencyKey: "k", idempotencyExpiresAt: T0 + 5000 })], now: T0 + 1000 });
        assert.equal(fresh!.created, true);
        assert.notEqual(fresh!.run.id, first.id);
        const [inBatch1, inBatch2] = await s.createRuns({ runs: [newRun({ idempotencyKey: "b" }), newRun({ idempotencyKey: "b" })], now: T0 });
        assert.equal(inBatch2!.run.id, inBatch1!.run.id, "duplicates inside one batch collapse too");
      }));

    it("concurrent duplicate inserts from two connections make one run", () =>
      withStore(o, async (s, opened) => {
        const other = opened.reopen ? await opened.reopen() : s;
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 ? other : s).createRuns({ runs: [newRun({ idempotencyKey: "race" })], now: T0 })),
        );
        assert.equal(new Set(results.map((r) => r[0]!.run.id)).size, 1);
        assert.equal(results.filter((r) => r[0]!.created).length, 1);
        if (other !== s) await other.close();
      }));

    it("claims by priority, then runAt, then id; delayed runs only when due", () =>
      withStore(o, async (s) => {
        const a = newRun({ runAt: T0 });
        const b = newRun({ runAt: T0, priority: 10 });
        const c = newRun({ runAt: T0 - 100 });
        const later = newRun({ status: "delayed", runAt: T0 + 1000, priority: 100 });
        await s.createRuns({ runs: [a, b, c, later], now: T0 });
        const claimed = await s.claimRuns({ workerId: "w", queues: null, limit: 10, leaseMs: 60_000, now: T0 });
        assert.deepEqual(claimed.map((x) => x.run.id), [b.id, c.id, a.id]);
        assert.ok(claimed.every((x) => x.run.status === "running" && x.run.workerId === "w" && x.run.leaseExpiresAt === T0 + 60_000));
        assert.equal((await s.getRun({ id: a.id }))!.startedAt, T0);
        const due = await s.claimRuns({ workerId: "w", queues: null, limit: 10, leaseMs: 1000, now: T0 + 1000 });
        assert.deepEqual(due.map((x) => x.run.id), [later.id]);
        assert.deepEqual(due[0]!.steps, []);
      }));

    it("claims only the queues asked for, and never more than the limit", () =>
      withStore(o, async (s) => {
        await s.createRuns({ runs: [newRun({ queue: "a" }), newRun({ queue: "b" }), newRun({ queue: "a" })], now: T0 });
        const onlyB = await s.claimRuns({ workerId: "w", queues: ["b"], limit: 10, leaseMs: 1000, now: T0 });
        assert.deepEqual(onlyB.map((x) => x.run.queue), ["b"]);
        const one = await s.claimRuns({ workerId: "w", queues: null, limit: 1, leaseMs: 1000, now: T0 });
        assert.equal(one.length, 1);
        assert.equal((await s.claimRuns({ workerId: "w", queues: null, limit: 0, leaseMs: 1000, now: T0 })).length, 0);
      }));

    it("queue concurrency limits hold across connections, per queue and per concurrency key", () =>
      withStore(o, async (s, opened) => {
        const other = opened.reopen ? await opened.reopen() : s;
        await s.upsertQueues({ queues: [{ name: "lim", concurrencyLimit: 2 }, { name: "free", concurrencyLimit: null }] });
        await s.createRuns({ runs: Array.from({ length: 5 }, () => newRun({ queue: "lim" })), now: T0 });
        await s.createRuns({ runs: Array.from({ length: 3 }, () => newRun({ queue: "free" })), now: T0 });
        const [c1, c2] = await Promise.all([
          s.claimRuns({ workerId: "w1", queues: ["lim"], limit: 5, leaseMs: 1000, now: T0 }),
          other.claimRuns({ workerId: "w2", queues: ["lim"], limit: 5, leaseMs: 1000, now: T0 }),
        ]);
        assert.equal(c1.length + c2.length, 2, "only 2 of the limited queue at once");
        assert.equal((await s.claimRuns({ workerId: "w3", queues: null, limit: 10, leaseMs: 1000, now: T0 })).length, 3, "the free queue is not held back");
        await s.completeRuns({ workerId: c1.length ? "w1" : "w2", items: [{ runId: (c1[0] ?? c2[0])!.run.id, output: "null" }], now: T0 });
        assert.equal((await s.claimRuns({ workerId: "w4", queues: ["lim"], limit: 5, leaseMs: 1000, now: T0 })).length, 1, "a freed slot is reusable");
        await s.upsertQueues({ queues: [{ name: "tenant", concurrencyLimit: 1 }] });
        await s.createRuns({
          runs: [newRun({ queue: "tenant", concurrencyKey: "t1" }), newRun({ queue: "tenant", concurrencyKey: "t1" }), newRun({ queue: "tenant", concurrencyKey: "t2" })],
          now: T0,
        });
        const perKey = await s.claimRuns({ workerId: "w5", queues: ["tenant"], limit: 5, leaseMs: 1000, now: T0 });
        assert.deepEqual(perKey.map((x) => x.run.concurrencyKey).sort(), ["t1", "t2"], "one per key");
        if (other !== s) await other.close();
      }));

    it("queued and delayed runs past expiresAt become expired instead of running", () =>
      withStore(o, async (s) => {
        const r = newRun({ expiresAt: T0 + 10 });
        await s.createRuns({ runs: [r], now: T0 });
        assert.equal((await s.claimRuns({ workerId: "w", queues: null, limit: 5, leaseMs: 1000, now: T0 + 10 })).length, 0);
        const got = await s.getRun({ id: r.id });
        assert.equal(got!.status, "expired");
        assert.equal(got!.finishedAt, T0 + 10);
      }));

    it("heartbeat extends leases and returns only the runs still held; release hands runs back", () =>
      withStore(o, async (s) => {
        const [a, b] = await createAndClaim(s, 2, "w1");
        assert.deepEqual([...(await s.heartbeat({ workerId: "w1", runIds: [a!, b!], leaseMs: 5000, now: T0 + 1 }))].sort(), [a!, b!].sort());
        assert.equal((await s.getRun({ id: a! }))!.leaseExpiresAt, T0 + 5001);
        assert.deepEqual(await s.heartbeat({ workerId: "other", runIds: [a!], leaseMs: 5000, now: T0 + 1 }), []);
        await s.releaseRuns({ workerId: "w1", runIds: [b!], now: T0 + 2 });
        const released = await s.getRun({ id: b! });
        assert.equal(released!.status, "queued");
        assert.equal(released!.workerId, null);
        assert.equal(released!.attempt, 1, "a hand-back is not an attempt");
        assert.deepEqual(await s.heartbeat({ workerId: "w1", runIds: [a!, b!], leaseMs: 5000, now: T0 + 3 }), [a!]);
      }));

    it("an expired lease is taken over (attempt + 1); beyond maxAttempts the run fails with LeaseExpiredError", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1", T0, { maxAttempts: 2 });
        assert.equal((await s.claimRuns({ workerId: "w2", queues: null, limit: 5, leaseMs: 1000, now: T0 + 29_999 })).length, 0, "lease still valid");
        const taken = await s.claimRuns({ workerId: "w2", queues: null, limit: 5, leaseMs: 1000, now: T0 + 30_000 });
        assert.equal(taken[0]!.run.id, id);
        assert.equal(taken[0]!.run.attempt, 2);
        assert.equal(taken[0]!.run.workerId, "w2");
        assert.deepEqual(await s.completeRuns({ workerId: "w1", items: [{ runId: id!, output: "1" }], now: T0 + 30_001 }), [], "fenced: w1 lost it");
        assert.equal(await s.failRun({ workerId: "w1", runId: id!, error: "{}", retryAt: null, now: T0 }), false);
        assert.equal((await s.claimRuns({ workerId: "w3", queues: null, limit: 5, leaseMs: 1000, now: T0 + 40_000 })).length, 0);
        const failed = await s.getRun({ id: id! });
        assert.equal(failed!.status, "failed");
        assert.equal(JSON.parse(failed!.error!).name, "LeaseExpiredError");
      }));

    it("completeRuns finishes held runs in a batch and reports which", () =>
      withStore(o, async (s) => {
        const ids = await createAndClaim(s, 3, "w1");
        const done = await s.completeRuns({ workerId: "w1", items: ids.map((runId, i) => ({ runId, output: String(i) })), now: T0 + 5 });
        assert.deepEqual([...done].sort(), [...ids].sort());
        const r = await s.getRun({ id: ids[2]! });
        assert.equal(r!.status, "completed");
        assert.equal(r!.output, "2");
        assert.equal(r!.finishedAt, T0 + 5);
        assert.equal(r!.workerId, null);
        assert.deepEqual(await s.completeRuns({ workerId: "w1", items: [{ runId: ids[0]!, output: "9" }], now: T0 + 6 }), [], "only once");
      }));

    it("failRun with retryAt delays the run (attempt + 1); without it the run fails", () =>
      withStore(o, async (s) => {
        const [a, b] = await createAndClaim(s, 2, "w1");
        const err = JSON.stringify({ name: "Error", message: "boom" });
        assert.equal(await s.failRun({ workerId: "w1", runId: a!, error: err, retryAt: T0 + 500, now: T0 }), true);
        const retried = await s.getRun({ id: a! });
        assert.equal(retried!.status, "delayed");
        assert.equal(retried!.attempt, 2);
        assert.equal(retried!.runAt, T0 + 500);
        assert.equal(retried!.error, err);
        assert.equal((await s.claimRuns({ workerId: "w1", queues: null, limit: 5, leaseMs: 1000, now: T0 + 499 })).length, 0);
        assert.equal((await s.claimRuns({ workerId: "w1", queues: null, limit: 5, leaseMs: 1000, now: T0 + 500 }))[0]!.run.attempt, 2);
        assert.equal(await s.failRun({ workerId: "w1", runId: b!, error: err, retryAt: null, now: T0 + 1 }), true);
        const failed = await s.getRun({ id: b! });
        assert.equal(failed!.status, "failed");
        assert.equal(failed!.finishedAt, T0 + 1);
        assert.notEqual(NEVER, 0);
      }));
  });
}
