/** Conformance: steps, waits (sleep, event, child), events, logs, progress, cancel cascade. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NEVER, type NewStep } from "../types.ts";
import { createAndClaim, newRun, T0, wait, withStore, type ConformanceOptions } from "./harness.ts";

const step = (key: string, overrides: Partial<NewStep> = {}): NewStep => ({
  key,
  parentKey: null,
  kind: "step",
  status: "completed",
  output: '"out"',
  error: null,
  attempts: 1,
  startedAt: T0,
  finishedAt: T0 + 1,
  childRunId: null,
  ...overrides,
});

export function durableConformance(o: ConformanceOptions): void {
  describe(`${o.name}: steps, waits and events`, () => {
    it("saveStep: completed steps are never overwritten, failed ones are replaced; fenced by the lease", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        assert.equal(await s.saveStep({ workerId: "w1", runId: id!, step: step("a", { status: "failed", output: null, error: '{"name":"E","message":"x"}' }), now: T0 }), true);
        assert.equal(await s.saveStep({ workerId: "w1", runId: id!, step: step("a", { output: '"second"', attempts: 2 }), now: T0 }), true);
        await s.saveStep({ workerId: "w1", runId: id!, step: step("a", { output: '"third"' }), now: T0 });
        assert.equal(await s.saveStep({ workerId: "intruder", runId: id!, step: step("b"), now: T0 }), false);
        const steps = await s.getSteps({ runId: id! });
        assert.deepEqual(steps.map((x) => [x.key, x.status, x.output, x.attempts]), [["a", "completed", '"second"', 2]]);
      }));

    it("a claimed run that ran before comes with its stored steps", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1", T0, { maxAttempts: 3 });
        await s.saveStep({ workerId: "w1", runId: id!, step: step("a"), now: T0 });
        await s.failRun({ workerId: "w1", runId: id!, error: "{}", retryAt: T0 + 1, now: T0 });
        const [again] = await s.claimRuns({ workerId: "w2", queues: null, limit: 1, leaseMs: 1000, now: T0 + 1 });
        assert.deepEqual(again!.steps.map((x) => x.key), ["a"]);
      }));

    it("a sleep suspends the run (waiting, runAt = wake time) and its timer resolves at claim", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        assert.equal(await s.suspendRun({ workerId: "w1", runId: id!, waits: [wait({ key: "nap", kind: "sleep", wakeAt: T0 + 100 })], now: T0 }), "waiting");
        const r = await s.getRun({ id: id! });
        assert.equal(r!.status, "waiting");
        assert.equal(r!.runAt, T0 + 100);
        assert.equal(r!.workerId, null);
        assert.deepEqual((await s.getSteps({ runId: id! })).map((x) => [x.key, x.status]), [["nap", "waiting"]]);
        assert.equal((await s.claimRuns({ workerId: "w2", queues: null, limit: 1, leaseMs: 1000, now: T0 + 99 })).length, 0);
        const [resumed] = await s.claimRuns({ workerId: "w2", queues: null, limit: 1, leaseMs: 1000, now: T0 + 100 });
        assert.equal(resumed!.run.attempt, 1, "a resume is not a new attempt");
        assert.deepEqual(resumed!.steps.map((x) => [x.key, x.status, x.output]), [["nap", "completed", "null"]]);
      }));

    it("an existing wait keeps its original createdAt and wakeAt when the run suspends on it again", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        await s.suspendRun({ workerId: "w1", runId: id!, waits: [wait({ key: "nap", kind: "sleep", wakeAt: T0 + 100 }), wait({ key: "ev", kind: "event", eventName: "e" })], now: T0 });
        await s.sendEvent({ id: "e1", name: "e", payload: "1", now: T0 + 10 });
        const [again] = await s.claimRuns({ workerId: "w1", queues: null, limit: 1, leaseMs: 1000, now: T0 + 10 });
        assert.deepEqual(again!.steps.map((x) => x.key), ["ev"]);
        assert.equal(await s.suspendRun({ workerId: "w1", runId: id!, waits: [wait({ key: "nap", kind: "sleep", wakeAt: T0 + 9999, createdAt: T0 + 10 })], now: T0 + 10 }), "waiting");
        assert.equal((await s.getRun({ id: id! }))!.runAt, T0 + 100);
      }));

    it("events resolve matching waits (deep subset) created before the event; others stay waiting", () =>
      withStore(o, async (s) => {
        const [a, b, c] = await createAndClaim(s, 3, "w1");
        await s.suspendRun({ workerId: "w1", runId: a!, waits: [wait({ key: "paid", kind: "event", eventName: "order.paid", match: '{"order":{"id":1}}', wakeAt: T0 + 10_000 })], now: T0 });
        await s.suspendRun({ workerId: "w1", runId: b!, waits: [wait({ key: "paid", kind: "event", eventName: "order.paid", match: '{"order":{"id":2}}' })], now: T0 });
        await s.suspendRun({ workerId: "w1", runId: c!, waits: [wait({ key: "x", kind: "event", eventName: "other" })], now: T0 });
        assert.equal((await s.getRun({ id: b! }))!.runAt, NEVER, "no timer: never due by time");
        assert.equal(await s.sendEvent({ id: "e1", name: "order.paid", payload: '{"order":{"id":3}}', now: T0 + 1 }), 0);
        assert.equal(await s.sendEvent({ id: "e2", name: "order.paid", payload: '{"order":{"id":1,"total":5},"by":"card"}', now: T0 + 2 }), 1);
        assert.equal((await s.getRun({ id: a! }))!.status, "queued");
        assert.equal((await s.getRun({ id: b! }))!.status, "waiting");
        assert.equal((await s.getRun({ id: c! }))!.status, "waiting");
        const [woken] = await s.claimRuns({ workerId: "w2", queues: null, limit: 5, leaseMs: 1000, now: T0 + 3 });
        assert.equal(woken!.run.id, a);
        assert.equal(woken!.steps.find((x) => x.key === "paid")!.output, '{"order":{"id":1,"total":5},"by":"card"}');
      }));

    it("an event sent before the wait began does not count; one sent between wait and suspend does", () =>
      withStore(o, async (s) => {
        const [a, b] = await createAndClaim(s, 2, "w1");
        await s.sendEvent({ id: "early", name: "go", payload: '"early"', now: T0 + 1 });
        assert.equal(await s.suspendRun({ workerId: "w1", runId: a!, waits: [wait({ key: "go", kind: "event", eventName: "go", createdAt: T0 + 5 })], now: T0 + 6 }), "waiting");
        await s.sendEvent({ id: "between", name: "go2", payload: '"between"', now: T0 + 7 });
        assert.equal(await s.suspendRun({ workerId: "w1", runId: b!, waits: [wait({ key: "go2", kind: "event", eventName: "go2", createdAt: T0 + 6 })], now: T0 + 8 }), "queued");
        const [claimed] = await s.claimRuns({ workerId: "w1", queues: null, limit: 5, leaseMs: 1000, now: T0 + 9 });
        assert.equal(claimed!.run.id, b);
        assert.equal(claimed!.steps[0]!.output, '"between"');
      }));

    it("an event wait past its timeout resolves to null at claim", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        await s.suspendRun({ workerId: "w1", runId: id!, waits: [wait({ key: "ev", kind: "event", eventName: "e", wakeAt: T0 + 50 })], now: T0 });
        const [r] = await s.claimRuns({ workerId: "w1", queues: null, limit: 1, leaseMs: 1000, now: T0 + 50 });
        assert.deepEqual(r!.steps.map((x) => [x.key, x.output]), [["ev", "null"]]);
        assert.equal(await s.sendEvent({ id: "late", name: "e", payload: "1", now: T0 + 60 }), 0, "a resolved wait takes no event");
      }));

    it("a finishing child resolves its parent's wait with { ok, id, output | error } and wakes it", () =>
      withStore(o, async (s) => {
        const [parent] = await createAndClaim(s, 1, "w1");
        const kids = [newRun({ parentRunId: parent! }), newRun({ parentRunId: parent! }), newRun({ parentRunId: parent! })];
        await s.createRuns({ runs: kids, now: T0 });
        await s.suspendRun({
          workerId: "w1",
          runId: parent!,
          waits: kids.map((k, i) => wait({ key: `child-${i}`, kind: "child", childRunId: k.id })),
          now: T0,
        });
        const claimedKids = await s.claimRuns({ workerId: "w2", queues: null, limit: 5, leaseMs: 1000, now: T0 + 1 });
        assert.deepEqual(claimedKids.map((c) => c.run.id).sort(), kids.map((k) => k.id).sort(), "the waiting parent is not claimable");
        await s.completeRuns({ workerId: "w2", items: [{ runId: kids[0]!.id, output: '{"v":1}' }], now: T0 + 2 });
        assert.equal((await s.getRun({ id: parent! }))!.status, "queued", "any resolved wait wakes the parent");
        await s.failRun({ workerId: "w2", runId: kids[1]!.id, error: '{"name":"Error","message":"kid failed"}', retryAt: null, now: T0 + 3 });
        await s.cancelRun({ id: kids[2]!.id, error: '{"name":"RunCanceledError","message":"stop"}', now: T0 + 4 });
        const steps = await s.getSteps({ runId: parent! });
        const out = Object.fromEntries(steps.map((x) => [x.key, JSON.parse(x.output!)]));
        assert.deepEqual(out["child-0"], { ok: true, id: kids[0]!.id, output: { v: 1 } });
        assert.equal(out["child-1"].ok, false);
        assert.equal(out["child-1"].error.message, "kid failed");
        assert.equal(out["child-2"].error.name, "RunCanceledError");
        assert.ok(steps.every((x) => x.kind === "child" && x.status === "completed"));
      }));

    it("suspending on a child that already finished queues the run at once", () =>
      withStore(o, async (s) => {
        const [parent] = await createAndClaim(s, 1, "w1");
        const kid = newRun({ parentRunId: parent!, queue: "kids" });
        await s.createRuns({ runs: [kid], now: T0 });
        await s.claimRuns({ workerId: "w2", queues: ["kids"], limit: 1, leaseMs: 1000, now: T0 });
        await s.completeRuns({ workerId: "w2", items: [{ runId: kid.id, output: "7" }], now: T0 + 1 });
        assert.equal(await s.suspendRun({ workerId: "w1", runId: parent!, waits: [wait({ key: "k", kind: "child", childRunId: kid.id })], now: T0 + 2 }), "queued");
        assert.equal(await s.suspendRun({ workerId: "nobody", runId: parent!, waits: [], now: T0 + 2 }), null, "fenced");
      }));

    it("cancelRun cancels unfinished descendants, not finished ones, and reports the ids", () =>
      withStore(o, async (s) => {
        const root = newRun();
        const kid = newRun({ parentRunId: root.id });
        const grandkid = newRun({ parentRunId: kid.id });
        const doneKid = newRun({ parentRunId: root.id, queue: "done" });
        await s.createRuns({ runs: [root, kid, grandkid, doneKid], now: T0 });
        await s.claimRuns({ workerId: "w", queues: ["done"], limit: 1, leaseMs: 1000, now: T0 });
        await s.completeRuns({ workerId: "w", items: [{ runId: doneKid.id, output: "1" }], now: T0 });
        const canceled = await s.cancelRun({ id: root.id, error: '{"name":"RunCanceledError","message":"x"}', now: T0 + 1 });
        assert.deepEqual([...canceled].sort(), [root.id, kid.id, grandkid.id].sort());
        assert.equal((await s.getRun({ id: doneKid.id }))!.status, "completed");
        assert.equal((await s.getRun({ id: grandkid.id }))!.status, "canceled");
        assert.deepEqual(await s.cancelRun({ id: root.id, error: "{}", now: T0 + 2 }), []);
      }));

    it("appendLogs ignores keys already stored; getLogs keeps insertion order; setProgress", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        const log = (key: string, message: string) => ({ key, level: "info" as const, message, data: null, at: T0, attempt: 1 });
        await s.appendLogs({ runId: id!, logs: [log("#1", "one"), log("#2", "two")] });
        await s.appendLogs({ runId: id!, logs: [log("#1", "one again"), log("#3", "three")] });
        assert.deepEqual((await s.getLogs({ runId: id! })).map((l) => l.message), ["one", "two", "three"]);
        await s.setProgress({ runId: id!, progress: 0.5, message: "half", now: T0 + 1 });
        const r = await s.getRun({ id: id! });
        assert.equal(r!.progress, 0.5);
        assert.equal(r!.progressMessage, "half");
      }));
  });
}
