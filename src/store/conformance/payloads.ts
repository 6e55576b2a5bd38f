/**
 * Conformance: the texts a store writes on its own (lease lost, ttl expired, a child's result in its
 * parent's wait step) are the shared ones of src/store/rules/payloads.ts, byte for byte, so every
 * store shows the same error for the same event.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { childResultJson, EXPIRED_ERROR, leaseLostError } from "../rules/payloads.ts";
import { CANCELED, claim, createAndClaim, newRun, T0, wait, withStore, type ConformanceOptions } from "./harness.ts";

export function payloadsConformance(o: ConformanceOptions): void {
  describe(`${o.name}: payloads written by the store`, () => {
    it("a lease lost on the last attempt stores the shared LeaseExpiredError naming that attempt", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1", T0, { maxAttempts: 2 });
        await claim(s, "w2", T0 + 30_000, { leaseMs: 1000 });
        await claim(s, "w3", T0 + 40_000);
        const failed = (await s.getRun({ id: id! }))!;
        assert.equal(failed.error, leaseLostError(2));
        assert.match(JSON.parse(failed.error!).message, /attempt 2/);
      }));

    it("a run past its ttl stores the shared ExpiredError; its parent's step holds the shared child result", () =>
      withStore(o, async (s) => {
        const [parent] = await createAndClaim(s, 1, "w1");
        const kid = newRun({ parentRunId: parent!, expiresAt: T0 + 5, queue: "kids" });
        await s.createRuns({ runs: [kid], now: T0 });
        await s.suspendRun({ workerId: "w1", runId: parent!, waits: [wait({ key: "k", kind: "child", childRunId: kid.id })], now: T0 });
        await claim(s, "w2", T0 + 10, { queues: ["kids"] });
        assert.equal((await s.getRun({ id: kid.id }))!.error, EXPIRED_ERROR);
        const [st] = await s.getSteps({ runId: parent! });
        assert.equal(st!.output, childResultJson(kid.id, "expired", null, EXPIRED_ERROR));
      }));

    it("completed, failed, canceled and lease-lost children resolve their parent's waits with the shared child result", () =>
      withStore(o, async (s) => {
        const [parent] = await createAndClaim(s, 1, "w1");
        const kids = Array.from({ length: 4 }, () => newRun({ parentRunId: parent!, queue: "kids", maxAttempts: 1 }));
        await s.createRuns({ runs: kids, now: T0 });
        await s.suspendRun({ workerId: "w1", runId: parent!, waits: kids.map((k, i) => wait({ key: `c${i}`, kind: "child", childRunId: k.id })), now: T0 });
        await claim(s, "w2", T0, { queues: ["kids"], leaseMs: 1000 });
        const [done, failed, canceled, lost] = kids.map((k) => k.id) as [string, string, string, string];
        const kidError = JSON.stringify({ name: "TypeError", message: "kid failed", stack: "at x" });
        await s.completeRuns({ workerId: "w2", items: [{ runId: done, output: '{"v":[1,"two"]}' }], now: T0 + 1 });
        await s.failRun({ workerId: "w2", runId: failed, error: kidError, retryAt: null, now: T0 + 2 });
        await s.cancelRun({ id: canceled, error: CANCELED, now: T0 + 3 });
        await claim(s, "w3", T0 + 1000, { queues: ["kids"] });
        const out = Object.fromEntries((await s.getSteps({ runId: parent! })).map((x) => [x.key, x.output]));
        assert.deepEqual(out, {
          c0: childResultJson(done, "completed", '{"v":[1,"two"]}', null),
          c1: childResultJson(failed, "failed", null, kidError),
          c2: childResultJson(canceled, "canceled", null, CANCELED),
          c3: childResultJson(lost, "failed", null, leaseLostError(1)),
        });
      }));

    it("a cancel cascade stores the caller's error verbatim on every run it cancels", () =>
      withStore(o, async (s) => {
        const root = newRun();
        const kid = newRun({ parentRunId: root.id });
        const grandkid = newRun({ parentRunId: kid.id });
        await s.createRuns({ runs: [root, kid, grandkid], now: T0 });
        const error = JSON.stringify({ name: "RunCanceledError", message: "canceled by the test", cause: { who: "me" } });
        await s.cancelRun({ id: root.id, error, now: T0 + 1 });
        for (const id of [root.id, kid.id, grandkid.id]) assert.equal((await s.getRun({ id }))!.error, error);
      }));
  });
}
