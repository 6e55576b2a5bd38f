/** Conformance: saveStep/getSteps, suspendRun on sleeps, timers resolved at claim. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NEVER } from "../types.ts";
import { claim, createAndClaim, ERR, step, T0, wait, withStore, type ConformanceOptions } from "./harness.ts";

export function stepsWaitsConformance(o: ConformanceOptions): void {
  describe(`${o.name}: steps and sleeps`, () => {
    it("saveStep: a failed step is replaced, a completed one is never overwritten; fenced by the lease", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        assert.equal(await s.saveStep({ workerId: "w1", runId: id!, step: step("a", { status: "failed", output: null, error: ERR }), now: T0 }), true);
        assert.deepEqual((await s.getSteps({ runId: id! })).map((x) => [x.status, x.error]), [["failed", ERR]]);
        assert.equal(await s.saveStep({ workerId: "w1", runId: id!, step: step("a", { output: '"second"', attempts: 2 }), now: T0 }), true);
        await s.saveStep({ workerId: "w1", runId: id!, step: step("a", { output: '"third"', attempts: 3 }), now: T0 });
        await s.saveStep({ workerId: "w1", runId: id!, step: step("a", { status: "failed", output: null, error: ERR, attempts: 4 }), now: T0 });
        assert.equal(await s.saveStep({ workerId: "intruder", runId: id!, step: step("b"), now: T0 }), false);
        assert.equal(await s.saveStep({ workerId: "w1", runId: "missing", step: step("c"), now: T0 }), false);
        const steps = await s.getSteps({ runId: id! });
        assert.deepEqual(steps.map((x) => [x.key, x.status, x.output, x.error, x.attempts]), [["a", "completed", '"second"', null, 2]]);
      }));

    it("steps keep every field; getSteps orders by startedAt, then key", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        const nested = step("parent/child-1", { parentKey: "parent", kind: "task", startedAt: T0 + 5, finishedAt: T0 + 9, attempts: 3, childRunId: "kid" });
        await s.saveStep({ workerId: "w1", runId: id!, step: nested, now: T0 });
        await s.saveStep({ workerId: "w1", runId: id!, step: step("b", { startedAt: T0 + 1 }), now: T0 });
        await s.saveStep({ workerId: "w1", runId: id!, step: step("a", { startedAt: T0 + 1 }), now: T0 });
        await s.saveStep({ workerId: "w1", runId: id!, step: step("z", { startedAt: T0 }), now: T0 });
        const steps = await s.getSteps({ runId: id! });
        assert.deepEqual(steps.map((x) => x.key), ["z", "a", "b", "parent/child-1"]);
        assert.deepEqual(steps[3], { runId: id, key: "parent/child-1", parentKey: "parent", kind: "task", status: "completed", output: '"out"', error: null, attempts: 3, startedAt: T0 + 5, finishedAt: T0 + 9, childRunId: "kid" });
        assert.deepEqual(await s.getSteps({ runId: "missing" }), []);
      }));

    it("a claimed run that ran before comes with its stored steps", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1", T0, { maxAttempts: 3 });
        await s.saveStep({ workerId: "w1", runId: id!, step: step("a"), now: T0 });
        await s.saveStep({ workerId: "w1", runId: id!, step: step("b", { status: "failed", output: null, error: ERR }), now: T0 });
        await s.failRun({ workerId: "w1", runId: id!, error: ERR, retryAt: T0 + 1, now: T0 });
        const [again] = await claim(s, "w2", T0 + 1);
        assert.deepEqual(again!.steps.map((x) => [x.key, x.status]), [["a", "completed"], ["b", "failed"]]);
      }));

    it("a sleep suspends the run (waiting, runAt = wake time, lease released); its timer resolves at claim", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        assert.equal(await s.suspendRun({ workerId: "w1", runId: id!, waits: [wait({ key: "nap", kind: "sleep", wakeAt: T0 + 100 })], now: T0 }), "waiting");
        const r = (await s.getRun({ id: id! }))!;
        assert.deepEqual([r.status, r.runAt, r.workerId, r.leaseExpiresAt], ["waiting", T0 + 100, null, null]);
        assert.deepEqual(await s.heartbeat({ workerId: "w1", runIds: [id!], leaseMs: 1000, now: T0 }), []);
        assert.deepEqual((await s.getSteps({ runId: id! })).map((x) => [x.key, x.kind, x.status, x.startedAt]), [["nap", "sleep", "waiting", T0]]);
        assert.deepEqual(await claim(s, "w2", T0 + 99), []);
        const [resumed] = await claim(s, "w2", T0 + 100);
        assert.equal(resumed!.run.attempt, 1, "a resume is not a new attempt");
        assert.equal(resumed!.run.startedAt, T0);
        assert.deepEqual(resumed!.steps.map((x) => [x.key, x.kind, x.status, x.output]), [["nap", "sleep", "completed", "null"]]);
        assert.deepEqual((await s.getSteps({ runId: id! })).map((x) => [x.key, x.status]), [["nap", "completed"]]);
      }));

    it("runAt of a waiting run is its earliest open timer, or NEVER without one", () =>
      withStore(o, async (s) => {
        const [a, b] = await createAndClaim(s, 2, "w1");
        await s.suspendRun({
          workerId: "w1",
          runId: a!,
          waits: [wait({ key: "long", kind: "sleep", wakeAt: T0 + 500 }), wait({ key: "short", kind: "sleep", wakeAt: T0 + 200 }), wait({ key: "ev", kind: "event", eventName: "e" })],
          now: T0,
        });
        assert.equal((await s.getRun({ id: a! }))!.runAt, T0 + 200);
        await s.suspendRun({ workerId: "w1", runId: b!, waits: [wait({ key: "ev", kind: "event", eventName: "e" })], now: T0 });
        assert.equal((await s.getRun({ id: b! }))!.runAt, NEVER);
        const [woke] = await claim(s, "w1", T0 + 200);
        assert.equal(woke!.run.id, a);
        assert.deepEqual(woke!.steps.map((x) => x.key), ["short"], "only the due timer resolves");
        assert.deepEqual((await s.getSteps({ runId: a! })).filter((x) => x.status === "waiting").map((x) => x.key).sort(), ["ev", "long"]);
      }));

    it("suspending on a timer that already passed queues the run at once", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        assert.equal(await s.suspendRun({ workerId: "w1", runId: id!, waits: [wait({ key: "nap", kind: "sleep", wakeAt: T0 + 5 })], now: T0 + 5 }), "queued");
        const r = (await s.getRun({ id: id! }))!;
        assert.deepEqual([r.status, r.runAt, r.workerId], ["queued", T0 + 5, null]);
        const [again] = await claim(s, "w1", T0 + 5);
        assert.deepEqual(again!.steps.map((x) => [x.key, x.status, x.output]), [["nap", "completed", "null"]]);
      }));

    it("an existing wait keeps its original createdAt and wakeAt when the run suspends on it again", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        await s.suspendRun({ workerId: "w1", runId: id!, waits: [wait({ key: "nap", kind: "sleep", wakeAt: T0 + 100 }), wait({ key: "ev", kind: "event", eventName: "e" })], now: T0 });
        await s.sendEvent({ id: "e1", name: "e", payload: "1", now: T0 + 10 });
        const [again] = await claim(s, "w1", T0 + 10);
        assert.deepEqual(again!.steps.map((x) => x.key), ["ev"]);
        assert.equal(await s.suspendRun({ workerId: "w1", runId: id!, waits: [wait({ key: "nap", kind: "sleep", wakeAt: T0 + 9999, createdAt: T0 + 10 })], now: T0 + 10 }), "waiting");
        assert.equal((await s.getRun({ id: id! }))!.runAt, T0 + 100);
        assert.equal((await s.getSteps({ runId: id! })).find((x) => x.key === "nap")!.startedAt, T0);
      }));

    it("suspendRun is fenced by the lease", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        assert.equal(await s.suspendRun({ workerId: "nobody", runId: id!, waits: [wait({ key: "nap", kind: "sleep", wakeAt: T0 + 100 })], now: T0 }), null);
        const r = (await s.getRun({ id: id! }))!;
        assert.deepEqual([r.status, r.workerId], ["running", "w1"]);
        assert.deepEqual(await s.getSteps({ runId: id! }), [], "no wait was stored");
      }));
  });
}
