/** Conformance: events that start runs (listener fan-out), idempotent events, and the event a run was started by. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NewRun, Store } from "../types.ts";
import { claim, createAndClaim, listen, newRun, sorted, T0, wait, withStore, withTwo, type ConformanceOptions } from "./harness.ts";

const emit = (s: Store, id: string, name: string, payload: string, runs: readonly NewRun[], now = T0, idempotencyKey: string | null = null) =>
  s.emitEvent({ id, name, payload, idempotencyKey, runs, now });

export function eventRunsConformance(o: ConformanceOptions): void {
  describe(`${o.name}: events that start runs`, () => {
    it("one event starts every listener's run and wakes matching waiters, in one call", () =>
      withStore(o, async (s) => {
        const [waiter] = await createAndClaim(s, 1, "w1");
        await s.suspendRun({ workerId: "w1", runId: waiter!, waits: [wait({ key: "paid", kind: "event", eventName: "order.paid", match: '{"id":7}' })], now: T0 });
        const runs = [newRun({ taskId: "invoice", queue: "invoice", payload: '{"id":7}' }), newRun({ taskId: "ship", queue: "ship", payload: '{"id":7}' })];
        const out = await emit(s, "ev-1", "order.paid", '{"id":7}', runs, T0 + 1);
        assert.equal(out.eventId, "ev-1");
        assert.equal(out.created, true);
        assert.equal(out.woken, 1);
        assert.deepEqual(out.runs.map((r) => [r.run.id, r.run.taskId, r.run.status, r.run.payload, r.created]), [
          [runs[0]!.id, "invoice", "queued", '{"id":7}', true],
          [runs[1]!.id, "ship", "queued", '{"id":7}', true],
        ]);
        assert.equal((await s.getRun({ id: waiter! }))!.status, "queued");
        const claimed = await claim(s, "w2", T0 + 2);
        assert.deepEqual(sorted(claimed.map((c) => c.run.id)), sorted([waiter!, runs[0]!.id, runs[1]!.id]));
        const links = await s.getRunEvents({ runIds: [runs[0]!.id, runs[1]!.id, waiter!] });
        assert.deepEqual(
          links.map((l) => [l.runId, l.eventId, l.eventName]).sort(),
          sorted([runs[0]!.id, runs[1]!.id]).map((id) => [id, "ev-1", "order.paid"]),
          "each started run records its event; the woken waiter was not started by it",
        );
        assert.deepEqual(await s.getRunEvents({ runIds: [] }), []);
      }));

    it("an event that starts runs tells subscribers that work is available", () =>
      withStore(o, async (s) => {
        const heard = listen(s);
        try {
          // PostgreSQL's LISTEN needs a moment to start: send until one is heard, then count one more.
          const deadline = Date.now() + 5000;
          for (let i = 0; heard.count() === 0; i++) {
            if (Date.now() > deadline) throw new Error("no `available` notification within 5 s of emitEvent");
            await emit(s, `warm-${i}`, "warm", "1", [newRun({ queue: "warm-up" })]);
            await new Promise((r) => setTimeout(r, 20));
          }
          const next = heard.next("emitEvent");
          await emit(s, "ev-1", "go", "1", [newRun({ queue: "go" })]);
          await next;
        } finally {
          heard.off();
        }
      }));

    it("an event nobody listens to is stored and still resolves waits sent after them", () =>
      withStore(o, async (s) => {
        const out = await emit(s, "ev-0", "nobody", "1", []);
        assert.deepEqual([out.created, out.runs, out.woken], [true, [], 0]);
        const [id] = await createAndClaim(s, 1, "w1", T0);
        assert.equal(await s.suspendRun({ workerId: "w1", runId: id!, waits: [wait({ key: "n", kind: "event", eventName: "nobody", createdAt: T0 })], now: T0 + 1 }), "queued", "the stored event counts for a wait that began before it");
      }));

    it("the same idempotency key again writes nothing: no run, no wake-up; it reports the first send's runs", () =>
      withStore(o, async (s) => {
        const first = [newRun({ taskId: "a", queue: "a" })];
        const one = await emit(s, "ev-1", "go", '{"n":1}', first, T0, "key-1");
        assert.deepEqual([one.created, one.runs.length], [true, 1]);
        const [waiter] = await createAndClaim(s, 1, "w1", T0 + 1);
        await s.suspendRun({ workerId: "w1", runId: waiter!, waits: [wait({ key: "go", kind: "event", eventName: "go", createdAt: T0 + 1 })], now: T0 + 1 });
        const again = [newRun({ taskId: "a", queue: "a" })];
        const two = await emit(s, "ev-2", "go", '{"n":2}', again, T0 + 2, "key-1");
        assert.deepEqual([two.eventId, two.created, two.woken], ["ev-1", false, 0]);
        assert.deepEqual(two.runs.map((r) => [r.run.id, r.created]), [[first[0]!.id, false]]);
        assert.equal(await s.getRun({ id: again[0]!.id }), null, "the second send inserted no run");
        assert.equal((await s.getRun({ id: waiter! }))!.status, "waiting", "the second send woke nothing");
        assert.equal(await s.sendEvent({ id: "ev-3", name: "other", payload: "1", now: T0 + 3 }), 0);
        const three = await emit(s, "ev-4", "go", '{"n":3}', [], T0 + 4, "key-2");
        assert.deepEqual([three.created, three.woken], [true, 1], "another key is another event");
        const other = await emit(s, "ev-5", "stop", "1", [newRun()], T0 + 5, "key-1");
        assert.equal(other.created, true, "keys are per event name");
      }));

    it("two connections sending the same key at once: one event, one set of runs", () =>
      withTwo(o, async (a, b) => {
        const ra = [newRun({ taskId: "t", queue: "t" })];
        const rb = [newRun({ taskId: "t", queue: "t" })];
        const [x, y] = await Promise.all([emit(a, "ev-a", "go", "1", ra, T0, "same"), emit(b, "ev-b", "go", "1", rb, T0, "same")]);
        assert.equal([x, y].filter((r) => r.created).length, 1, "exactly one send wins");
        const winner = x.created ? x : y;
        const loser = x.created ? y : x;
        assert.equal(loser.eventId, winner.eventId);
        assert.deepEqual(loser.runs.map((r) => r.run.id), winner.runs.map((r) => r.run.id));
        const page = await a.listRuns({ taskId: "t" });
        assert.equal(page.runs.length, 1, "one run was started");
      }));

    it("prune deletes old events (their keys with them) and the event links of pruned runs", () =>
      withStore(o, async (s) => {
        const run = newRun({ taskId: "p", queue: "p" });
        await emit(s, "ev-1", "go", "1", [run], T0, "k");
        await claim(s, "w", T0);
        await s.completeRuns({ workerId: "w", items: [{ runId: run.id, output: "1" }], now: T0 + 1 });
        assert.equal(await s.prune({ finishedBefore: T0 + 10, now: T0 + 10 }), 1);
        assert.deepEqual(await s.getRunEvents({ runIds: [run.id] }), []);
        const again = await emit(s, "ev-2", "go", "1", [newRun({ taskId: "p", queue: "p" })], T0 + 20, "k");
        assert.equal(again.created, true, "the key went with the pruned event");
      }));
  });
}
