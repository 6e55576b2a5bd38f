/** Conformance: completing runs (batched), failing them (retry or final), fencing. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { claim, createAndClaim, ERR, sorted, T0, withStore, type ConformanceOptions } from "./harness.ts";

export function finishConformance(o: ConformanceOptions): void {
  describe(`${o.name}: finishing runs`, () => {
    it("completeRuns finishes held runs in one batch and reports which", () =>
      withStore(o, async (s) => {
        const ids = await createAndClaim(s, 3, "w1");
        const done = await s.completeRuns({ workerId: "w1", items: ids.map((runId, i) => ({ runId, output: `{"i":${i}}` })), now: T0 + 5 });
        assert.deepEqual(sorted(done), sorted(ids));
        const r = (await s.getRun({ id: ids[2]! }))!;
        assert.deepEqual(
          [r.status, r.output, r.finishedAt, r.updatedAt, r.workerId, r.leaseExpiresAt, r.attempt],
          ["completed", '{"i":2}', T0 + 5, T0 + 5, null, null, 1],
        );
        assert.deepEqual(await s.completeRuns({ workerId: "w1", items: [{ runId: ids[0]!, output: "9" }], now: T0 + 6 }), [], "only once");
        assert.equal((await s.getRun({ id: ids[0]! }))!.output, '{"i":0}');
        assert.deepEqual(await s.completeRuns({ workerId: "w1", items: [], now: T0 + 6 }), []);
      }));

    it("completeRuns skips runs the worker does not hold and completes the rest", () =>
      withStore(o, async (s) => {
        const [mine] = await createAndClaim(s, 1, "w1");
        const [theirs] = await createAndClaim(s, 1, "w2");
        const done = await s.completeRuns({
          workerId: "w1",
          items: [{ runId: theirs!, output: "1" }, { runId: "missing", output: "1" }, { runId: mine!, output: "2" }],
          now: T0 + 1,
        });
        assert.deepEqual(done, [mine]);
        assert.equal((await s.getRun({ id: theirs! }))!.status, "running");
        assert.equal((await s.getRun({ id: mine! }))!.status, "completed");
      }));

    it("failRun with retryAt: delayed at retryAt, attempt + 1, error kept, lease cleared", () =>
      withStore(o, async (s) => {
        const [a] = await createAndClaim(s, 1, "w1");
        assert.equal(await s.failRun({ workerId: "w1", runId: a!, error: ERR, retryAt: T0 + 500, now: T0 }), true);
        const retried = (await s.getRun({ id: a! }))!;
        assert.deepEqual(
          [retried.status, retried.attempt, retried.runAt, retried.error, retried.workerId, retried.leaseExpiresAt, retried.finishedAt],
          ["delayed", 2, T0 + 500, ERR, null, null, null],
        );
        assert.equal(await s.failRun({ workerId: "w1", runId: a!, error: ERR, retryAt: T0 + 600, now: T0 }), false, "not held any more");
        assert.deepEqual(await claim(s, "w1", T0 + 499), []);
        const [again] = await claim(s, "w2", T0 + 500);
        assert.deepEqual([again!.run.attempt, again!.run.startedAt], [2, T0], "startedAt is the first attempt's");
      }));

    it("failRun without retryAt finishes the run as failed", () =>
      withStore(o, async (s) => {
        const [b] = await createAndClaim(s, 1, "w1");
        assert.equal(await s.failRun({ workerId: "intruder", runId: b!, error: ERR, retryAt: null, now: T0 + 1 }), false);
        assert.equal(await s.failRun({ workerId: "w1", runId: b!, error: ERR, retryAt: null, now: T0 + 1 }), true);
        const failed = (await s.getRun({ id: b! }))!;
        assert.deepEqual([failed.status, failed.finishedAt, failed.error, failed.workerId, failed.attempt], ["failed", T0 + 1, ERR, null, 1]);
        assert.deepEqual(await claim(s, "w1", T0 + 1e9), [], "a failed run is never claimed again");
        assert.equal(await s.failRun({ workerId: "w1", runId: b!, error: ERR, retryAt: null, now: T0 + 2 }), false);
      }));
  });
}
