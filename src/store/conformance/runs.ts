/** Conformance: createRuns (stored fields, order, atomic batches), idempotency keys, getRun. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { claim, newRun, T0, withStore, withTwo, type ConformanceOptions } from "./harness.ts";

export function runsConformance(o: ConformanceOptions): void {
  describe(`${o.name}: creating runs`, () => {
    it("createRuns stores every field as given and returns the runs in input order", () =>
      withStore(o, async (s) => {
        const runs = [
          newRun({ payload: '{"a":1}', tags: ["x", "y"], taskId: "t1", queue: "q1", concurrencyKey: "tenant-1", maxAttempts: 7 }),
          newRun({ status: "delayed", runAt: T0 + 1000, priority: 5, expiresAt: T0 + 9000, scheduleId: "sch" }),
          newRun({ idempotencyKey: "k", idempotencyExpiresAt: T0 + 60_000 }),
        ];
        const created = await s.createRuns({ runs, now: T0 });
        assert.deepEqual(created.map((c) => c.run.id), runs.map((r) => r.id));
        assert.ok(created.every((c) => c.created));
        const got = (await s.getRun({ id: runs[0]!.id }))!;
        assert.deepEqual(
          [got.taskId, got.queue, got.concurrencyKey, got.payload, got.tags, got.status, got.maxAttempts, got.priority, got.runAt],
          ["t1", "q1", "tenant-1", '{"a":1}', ["x", "y"], "queued", 7, 0, T0],
        );
        assert.deepEqual(
          [got.attempt, got.createdAt, got.updatedAt, got.startedAt, got.finishedAt, got.output, got.error, got.workerId, got.leaseExpiresAt, got.progress],
          [1, T0, T0, null, null, null, null, null, null, null],
        );
        const delayed = (await s.getRun({ id: runs[1]!.id }))!;
        assert.deepEqual([delayed.status, delayed.runAt, delayed.priority, delayed.expiresAt, delayed.scheduleId], ["delayed", T0 + 1000, 5, T0 + 9000, "sch"]);
        const keyed = (await s.getRun({ id: runs[2]!.id }))!;
        assert.deepEqual([keyed.idempotencyKey, keyed.idempotencyExpiresAt], ["k", T0 + 60_000]);
        assert.deepEqual(created[0]!.run, got, "the returned record equals the stored one");
      }));

    it("a run keeps its trace context (null when none was given), and a claim returns it", () =>
      withStore(o, async (s) => {
        const trace = JSON.stringify({ traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", tracestate: "k=v" });
        const traced = newRun({ traceContext: trace });
        const keyed = newRun({ traceContext: trace, idempotencyKey: "tk" });
        const plain = newRun();
        const created = await s.createRuns({ runs: [traced, keyed, plain], now: T0 });
        assert.deepEqual(created.map((c) => c.run.traceContext), [trace, trace, null]);
        const debounced = newRun({ traceContext: trace, debounce: { key: "dk", until: null } });
        await s.createRuns({ runs: [debounced], now: T0 });
        assert.equal((await s.getRun({ id: debounced.id }))!.traceContext, trace, "a debounced run keeps it too");
        assert.equal((await s.getRun({ id: traced.id }))!.traceContext, trace);
        assert.equal((await s.getRun({ id: keyed.id }))!.traceContext, trace);
        assert.equal((await s.getRun({ id: plain.id }))!.traceContext, null);
        const claimed = new Map((await claim(s, "w", T0)).map((c) => [c.run.id, c.run.traceContext]));
        assert.deepEqual([claimed.get(traced.id), claimed.get(keyed.id), claimed.get(plain.id)], [trace, trace, null]);
      }));

    it("getRun of an unknown id is null", () =>
      withStore(o, async (s) => {
        assert.equal(await s.getRun({ id: "no-such-run" }), null);
      }));

    it("a batch that fails part-way leaves nothing behind (one transaction)", () =>
      withStore(o, async (s) => {
        const existing = newRun();
        await s.createRuns({ runs: [existing], now: T0 });
        const fresh = newRun();
        await assert.rejects(s.createRuns({ runs: [fresh, newRun({ id: existing.id })], now: T0 }));
        assert.equal(await s.getRun({ id: fresh.id }), null, "the first run of the failed batch was rolled back");
        assert.equal((await s.listRuns({})).runs.length, 1);
      }));

    it("createPlainRuns (when the store has it) inserts a batch as createRuns would, in one transaction, and answers with the value", () =>
      withStore(o, async (s) => {
        if (s.createPlainRuns === undefined) return;
        const runs = [newRun({ payload: '{"a":1}', tags: ["x"], queue: "q1" }), newRun({ status: "delayed", runAt: T0 + 1000, priority: 3 }), newRun()];
        const value = { answer: 42 };
        assert.equal(await s.createPlainRuns(runs, T0, value), value);
        const got = await Promise.all(runs.map((r) => s.getRun({ id: r.id })));
        assert.deepEqual(got.map((g) => [g!.payload, g!.tags, g!.queue, g!.status, g!.runAt, g!.priority, g!.attempt, g!.createdAt]), [
          ['{"a":1}', ["x"], "q1", "queued", T0, 0, 1, T0],
          [runs[1]!.payload, [], "default", "delayed", T0 + 1000, 3, 1, T0],
          [runs[2]!.payload, [], "default", "queued", T0, 0, 1, T0],
        ]);
        const counted = (await s.stats()).byStatus;
        assert.deepEqual([counted.queued, counted.delayed], [2, 1], "counted");
        const fresh = newRun();
        await assert.rejects(s.createPlainRuns([fresh, newRun({ id: runs[0]!.id })], T0, null));
        assert.equal(await s.getRun({ id: fresh.id }), null, "the first run of the failed batch was rolled back");
        const keyed = newRun({ idempotencyKey: "pk" });
        await s.createPlainRuns([keyed], T0, null);
        await s.createPlainRuns([newRun({ idempotencyKey: "pk" })], T0, null);
        assert.equal((await s.listRuns({})).runs.length, 4, "a run with a key goes the way of createRuns (the second is not created)");
      }));

    it("a batch of default runs (one task, no options) keeps every payload as given, quotes, backslashes and all", () =>
      withStore(o, async (s) => {
        const payloads = ['{"q":"say \\"hi\\""}', '"back\\\\slash"', '{"text":"été ✓ 🚀"}', '[]', '"{\\"a\\",\\"b\\"}"', '"NULL"', "null"];
        const runs = payloads.map((payload) => newRun({ payload }));
        const created = await s.createRuns({ runs, now: T0 });
        assert.ok(created.every((c) => c.created));
        const got = await Promise.all(runs.map((r) => s.getRun({ id: r.id })));
        assert.deepEqual(got.map((g) => g!.payload), payloads);
        assert.deepEqual(got.map((g) => [g!.status, g!.runAt, g!.createdAt, g!.attempt, g!.maxAttempts, g!.tags, g!.priority]), runs.map(() => ["queued", T0, T0, 1, 3, [], 0]));
        if (s.createPlainRuns !== undefined) {
          const more = payloads.map((payload) => newRun({ payload, taskId: "other" }));
          await s.createPlainRuns(more, T0, null);
          assert.deepEqual((await Promise.all(more.map((r) => s.getRun({ id: r.id })))).map((g) => [g!.payload, g!.taskId]), payloads.map((p) => [p, "other"]));
        }
      }));

    it("an unexpired idempotency key returns the existing run, per task", () =>
      withStore(o, async (s) => {
        const first = newRun({ idempotencyKey: "k", idempotencyExpiresAt: T0 + 1000, payload: '"first"' });
        await s.createRuns({ runs: [first], now: T0 });
        const [dup] = await s.createRuns({ runs: [newRun({ idempotencyKey: "k", idempotencyExpiresAt: T0 + 1000, payload: '"second"' })], now: T0 + 999 });
        assert.equal(dup!.created, false);
        assert.equal(dup!.run.id, first.id);
        assert.equal(dup!.run.payload, '"first"');
        const [other] = await s.createRuns({ runs: [newRun({ taskId: "other", idempotencyKey: "k" })], now: T0 + 500 });
        assert.equal(other!.created, true, "keys are per task");
        assert.equal((await s.listRuns({ taskId: "task" })).runs.length, 1);
      }));

    it("an expired idempotency key is released: the same key makes a new run", () =>
      withStore(o, async (s) => {
        const first = newRun({ idempotencyKey: "k", idempotencyExpiresAt: T0 + 1000 });
        await s.createRuns({ runs: [first], now: T0 });
        const [fresh] = await s.createRuns({ runs: [newRun({ idempotencyKey: "k", idempotencyExpiresAt: T0 + 5000 })], now: T0 + 1000 });
        assert.equal(fresh!.created, true);
        assert.notEqual(fresh!.run.id, first.id);
        assert.notEqual(await s.getRun({ id: first.id }), null, "the old run itself stays");
        const [again] = await s.createRuns({ runs: [newRun({ idempotencyKey: "k" })], now: T0 + 4999 });
        assert.equal(again!.run.id, fresh!.run.id, "the new run now owns the key");
      }));

    it("a key without expiry never expires, also once its run finished", () =>
      withStore(o, async (s) => {
        const first = newRun({ idempotencyKey: "forever" });
        await s.createRuns({ runs: [first], now: T0 });
        await s.claimRuns({ workerId: "w", queues: null, limit: 1, leaseMs: 1000, now: T0 });
        await s.completeRuns({ workerId: "w", items: [{ runId: first.id, output: "1" }], now: T0 + 1 });
        const [dup] = await s.createRuns({ runs: [newRun({ idempotencyKey: "forever" })], now: T0 + 1e12 });
        assert.equal(dup!.created, false);
        assert.equal(dup!.run.id, first.id);
        assert.equal(dup!.run.status, "completed");
      }));

    it("duplicate keys inside one batch collapse to the first run", () =>
      withStore(o, async (s) => {
        const [a, b, c] = await s.createRuns({ runs: [newRun({ idempotencyKey: "b" }), newRun({ idempotencyKey: "b" }), newRun()], now: T0 });
        assert.deepEqual([a!.created, b!.created, c!.created], [true, false, true]);
        assert.equal(b!.run.id, a!.run.id);
        assert.equal((await s.listRuns({})).runs.length, 2);
      }));

    it("concurrent duplicate inserts from two connections make one run", () =>
      withTwo(o, async (s, other) => {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 ? other : s).createRuns({ runs: [newRun({ idempotencyKey: "race" })], now: T0 })),
        );
        assert.equal(new Set(results.map((r) => r[0]!.run.id)).size, 1);
        assert.equal(results.filter((r) => r[0]!.created).length, 1);
        assert.equal((await s.listRuns({})).runs.length, 1);
      }));
  });
}
