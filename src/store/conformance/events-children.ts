/** Conformance: events and event waits, child-run waits, cancel cascade. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CANCELED, claim, createAndClaim, ERR, newRun, sorted, T0, wait, withStore, type ConformanceOptions } from "./harness.ts";

export function eventsChildrenConformance(o: ConformanceOptions): void {
  describe(`${o.name}: events, child runs and cancellation`, () => {
    it("events resolve matching waits (deep subset) and wake their runs; others stay waiting", () =>
      withStore(o, async (s) => {
        const [a, b, c, d] = await createAndClaim(s, 4, "w1");
        const paid = (runId: string, match: string | null) =>
          s.suspendRun({ workerId: "w1", runId, waits: [wait({ key: "paid", kind: "event", eventName: "order.paid", match, wakeAt: T0 + 10_000 })], now: T0 });
        await paid(a!, '{"order":{"id":1}}');
        await paid(b!, '{"order":{"id":2}}');
        await paid(d!, '{"order":{"lines":[1,2]}}');
        await s.suspendRun({ workerId: "w1", runId: c!, waits: [wait({ key: "x", kind: "event", eventName: "other" })], now: T0 });
        assert.equal(await s.sendEvent({ id: "e1", name: "order.paid", payload: '{"order":{"id":3}}', now: T0 + 1 }), 0);
        assert.equal(await s.sendEvent({ id: "e2", name: "order.paid", payload: '{"order":{"lines":[1,2,3]}}', now: T0 + 1 }), 0, "arrays must be equal");
        const payload = '{"order":{"id":1,"total":5},"by":"card"}';
        assert.equal(await s.sendEvent({ id: "e3", name: "order.paid", payload, now: T0 + 2 }), 1);
        const woken = (await s.getRun({ id: a! }))!;
        assert.deepEqual([woken.status, woken.runAt], ["queued", T0 + 2]);
        for (const id of [b!, c!, d!]) assert.equal((await s.getRun({ id }))!.status, "waiting");
        const [claimed] = await claim(s, "w2", T0 + 3);
        assert.equal(claimed!.run.id, a);
        assert.deepEqual(claimed!.steps.map((x) => [x.key, x.kind, x.status, x.output]), [["paid", "event", "completed", payload]]);
        assert.deepEqual(await claim(s, "w2", T0 + 3), []);
      }));

    it("one event resolves every matching wait, with or without a match pattern", () =>
      withStore(o, async (s) => {
        const ids = await createAndClaim(s, 3, "w1");
        for (const [i, runId] of ids.entries()) {
          await s.suspendRun({ workerId: "w1", runId, waits: [wait({ key: "go", kind: "event", eventName: "go", match: i === 0 ? null : '{"x":1}' })], now: T0 });
        }
        assert.equal(await s.sendEvent({ id: "e", name: "go", payload: '{"x":1,"y":2}', now: T0 + 1 }), 3);
        assert.deepEqual(sorted((await claim(s, "w2", T0 + 1)).map((x) => x.run.id)), sorted(ids));
        assert.equal(await s.sendEvent({ id: "e-again", name: "go", payload: '{"x":1}', now: T0 + 2 }), 0, "resolved waits take no more events");
      }));

    it("only events sent at or after the wait began count: before it, no; between wait and suspend, yes", () =>
      withStore(o, async (s) => {
        const [a, b] = await createAndClaim(s, 2, "w1");
        await s.sendEvent({ id: "early", name: "go", payload: '"early"', now: T0 + 1 });
        assert.equal(await s.suspendRun({ workerId: "w1", runId: a!, waits: [wait({ key: "go", kind: "event", eventName: "go", createdAt: T0 + 5 })], now: T0 + 6 }), "waiting");
        await s.sendEvent({ id: "between-other", name: "go2", payload: '"other"', now: T0 + 7 });
        await s.sendEvent({ id: "between", name: "go2", payload: '"between"', now: T0 + 7 });
        assert.equal(await s.suspendRun({ workerId: "w1", runId: b!, waits: [wait({ key: "go2", kind: "event", eventName: "go2", match: '"between"', createdAt: T0 + 6 })], now: T0 + 8 }), "queued");
        const [claimed] = await claim(s, "w1", T0 + 9);
        assert.equal(claimed!.run.id, b);
        assert.equal(claimed!.steps[0]!.output, '"between"');
        assert.equal((await s.getRun({ id: a! }))!.status, "waiting");
      }));

    it("an event stamped before a wait's createdAt does not resolve it", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        await s.suspendRun({ workerId: "w1", runId: id!, waits: [wait({ key: "go", kind: "event", eventName: "go", createdAt: T0 + 100 })], now: T0 + 100 });
        assert.equal(await s.sendEvent({ id: "skewed", name: "go", payload: "1", now: T0 + 50 }), 0);
        assert.equal((await s.getRun({ id: id! }))!.status, "waiting");
      }));

    it("an event wait past its timeout resolves to null at claim and takes no later event", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        await s.suspendRun({ workerId: "w1", runId: id!, waits: [wait({ key: "ev", kind: "event", eventName: "e", wakeAt: T0 + 50 })], now: T0 });
        const [r] = await claim(s, "w1", T0 + 50);
        assert.deepEqual(r!.steps.map((x) => [x.key, x.output]), [["ev", "null"]]);
        assert.equal(await s.sendEvent({ id: "late", name: "e", payload: "1", now: T0 + 60 }), 0);
        assert.equal((await s.getSteps({ runId: id! }))[0]!.output, "null");
      }));

    it("a finishing child resolves its parent's wait with { ok, id, output | error } and wakes it", () =>
      withStore(o, async (s) => {
        const [parent] = await createAndClaim(s, 1, "w1");
        const kids = [newRun({ parentRunId: parent! }), newRun({ parentRunId: parent! }), newRun({ parentRunId: parent! })];
        await s.createRuns({ runs: kids, now: T0 });
        await s.suspendRun({ workerId: "w1", runId: parent!, waits: kids.map((k, i) => wait({ key: `child-${i}`, kind: "child", childRunId: k.id })), now: T0 });
        const claimedKids = await claim(s, "w2", T0 + 1);
        assert.deepEqual(sorted(claimedKids.map((c) => c.run.id)), sorted(kids.map((k) => k.id)), "the waiting parent is not claimable");
        await s.completeRuns({ workerId: "w2", items: [{ runId: kids[0]!.id, output: '{"v":1}' }], now: T0 + 2 });
        const woken = (await s.getRun({ id: parent! }))!;
        assert.deepEqual([woken.status, woken.runAt], ["queued", T0 + 2], "any resolved wait wakes the parent");
        await s.failRun({ workerId: "w2", runId: kids[1]!.id, error: '{"name":"Error","message":"kid failed"}', retryAt: null, now: T0 + 3 });
        await s.cancelRun({ id: kids[2]!.id, error: CANCELED, now: T0 + 4 });
        const steps = await s.getSteps({ runId: parent! });
        const out = Object.fromEntries(steps.map((x) => [x.key, JSON.parse(x.output!)]));
        assert.deepEqual(out["child-0"], { ok: true, id: kids[0]!.id, output: { v: 1 } });
        assert.deepEqual(out["child-1"], { ok: false, id: kids[1]!.id, error: { name: "Error", message: "kid failed" } });
        assert.deepEqual([out["child-2"].ok, out["child-2"].id, out["child-2"].error.name], [false, kids[2]!.id, "RunCanceledError"]);
        assert.ok(steps.every((x) => x.kind === "child" && x.status === "completed"));
        assert.deepEqual(steps.map((x) => x.childRunId), kids.map((k) => k.id));
      }));

    it("a child that is retried does not resolve its parent's wait until it finishes", () =>
      withStore(o, async (s) => {
        const [parent] = await createAndClaim(s, 1, "w1");
        const kid = newRun({ parentRunId: parent! });
        await s.createRuns({ runs: [kid], now: T0 });
        await s.suspendRun({ workerId: "w1", runId: parent!, waits: [wait({ key: "k", kind: "child", childRunId: kid.id })], now: T0 });
        await claim(s, "w2", T0);
        await s.failRun({ workerId: "w2", runId: kid.id, error: ERR, retryAt: T0 + 10, now: T0 + 1 });
        assert.equal((await s.getRun({ id: parent! }))!.status, "waiting");
        assert.deepEqual((await s.getSteps({ runId: parent! })).map((x) => x.status), ["waiting"]);
      }));

    it("a child that expires resolves its parent's wait as not ok", () =>
      withStore(o, async (s) => {
        const [parent] = await createAndClaim(s, 1, "w1");
        const kid = newRun({ parentRunId: parent!, status: "delayed", runAt: T0 + 100, expiresAt: T0 + 50 });
        await s.createRuns({ runs: [kid], now: T0 });
        await s.suspendRun({ workerId: "w1", runId: parent!, waits: [wait({ key: "k", kind: "child", childRunId: kid.id })], now: T0 });
        await claim(s, "w2", T0 + 60);
        assert.equal((await s.getRun({ id: kid.id }))!.status, "expired");
        const [st] = await s.getSteps({ runId: parent! });
        assert.deepEqual([st!.status, JSON.parse(st!.output!).ok, JSON.parse(st!.output!).id], ["completed", false, kid.id]);
        assert.notEqual((await s.getRun({ id: parent! }))!.status, "waiting");
      }));

    it("suspending on a child that already finished queues the run at once", () =>
      withStore(o, async (s) => {
        const [parent] = await createAndClaim(s, 1, "w1");
        const kid = newRun({ parentRunId: parent!, queue: "kids" });
        await s.createRuns({ runs: [kid], now: T0 });
        await claim(s, "w2", T0, { queues: ["kids"] });
        await s.completeRuns({ workerId: "w2", items: [{ runId: kid.id, output: "7" }], now: T0 + 1 });
        assert.equal(await s.suspendRun({ workerId: "w1", runId: parent!, waits: [wait({ key: "k", kind: "child", childRunId: kid.id })], now: T0 + 2 }), "queued");
        const [again] = await claim(s, "w1", T0 + 2);
        assert.deepEqual(JSON.parse(again!.steps[0]!.output!), { ok: true, id: kid.id, output: 7 });
      }));

    it("cancelRun cancels unfinished descendants, not finished ones, and reports the ids", () =>
      withStore(o, async (s) => {
        const root = newRun();
        const kid = newRun({ parentRunId: root.id });
        const grandkid = newRun({ parentRunId: kid.id, status: "delayed", runAt: T0 + 1000 });
        const doneKid = newRun({ parentRunId: root.id, queue: "done" });
        await s.createRuns({ runs: [root, kid, grandkid, doneKid], now: T0 });
        await claim(s, "w", T0, { queues: ["done"] });
        await s.completeRuns({ workerId: "w", items: [{ runId: doneKid.id, output: "1" }], now: T0 });
        const canceled = await s.cancelRun({ id: root.id, error: CANCELED, now: T0 + 1 });
        assert.deepEqual(sorted(canceled), sorted([root.id, kid.id, grandkid.id]));
        assert.equal((await s.getRun({ id: doneKid.id }))!.status, "completed");
        const gk = (await s.getRun({ id: grandkid.id }))!;
        assert.deepEqual([gk.status, gk.finishedAt, JSON.parse(gk.error!).name], ["canceled", T0 + 1, "RunCanceledError"]);
        assert.deepEqual(await s.cancelRun({ id: root.id, error: CANCELED, now: T0 + 2 }), [], "already finished");
        assert.deepEqual(await s.cancelRun({ id: "missing", error: CANCELED, now: T0 + 2 }), []);
        assert.deepEqual(await claim(s, "w", T0 + 5000), [], "canceled runs are never claimed");
      }));

    it("canceling a running run fences its worker out; canceling a waiting run closes its waits", () =>
      withStore(o, async (s) => {
        const [running, waiting] = await createAndClaim(s, 2, "w1");
        await s.suspendRun({ workerId: "w1", runId: waiting!, waits: [wait({ key: "ev", kind: "event", eventName: "e" })], now: T0 });
        assert.deepEqual(sorted([...(await s.cancelRun({ id: running!, error: CANCELED, now: T0 + 1 })), ...(await s.cancelRun({ id: waiting!, error: CANCELED, now: T0 + 1 }))]), sorted([running!, waiting!]));
        assert.deepEqual(await s.completeRuns({ workerId: "w1", items: [{ runId: running!, output: "1" }], now: T0 + 2 }), []);
        const r = (await s.getRun({ id: running! }))!;
        assert.deepEqual([r.status, r.output, r.workerId], ["canceled", null, null]);
        assert.equal(await s.sendEvent({ id: "e1", name: "e", payload: "1", now: T0 + 2 }), 0, "a canceled run takes no event");
        assert.equal((await s.getRun({ id: waiting! }))!.status, "canceled");
      }));
  });
}
