/** Conformance: schedules (upsert, list, delete, CAS advance), notifications, migrations. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Store } from "../types.ts";
import { createAndClaim, listen, newRun, T0, wait, withStore, withTwo, type ConformanceOptions } from "./harness.ts";

const base = {
  id: "sch-1",
  taskId: "t",
  cron: "* * * * *",
  timezone: null,
  payload: '{"x":1}',
  source: "dynamic" as const,
  nextFireAt: T0 + 60_000,
  lastFireAt: null,
};

/** Subscribes and waits until the listener hears a createRuns (PostgreSQL LISTEN needs a moment to start). */
async function warmListener(s: Store): Promise<ReturnType<typeof listen>> {
  const l = listen(s);
  const deadline = Date.now() + 5000;
  while (l.count() === 0) {
    if (Date.now() > deadline) throw new Error("subscribe: no `available` notification within 5 s of createRuns");
    await s.createRuns({ runs: [newRun({ queue: "warm-up" })], now: T0 });
    await new Promise((r) => setTimeout(r, 20));
  }
  return l;
}

export function schedulesConformance(o: ConformanceOptions): void {
  describe(`${o.name}: schedules, notifications, migrations`, () => {
    it("upsertSchedule creates and updates (createdAt kept); listSchedules returns every field", () =>
      withStore(o, async (s) => {
        const created = await s.upsertSchedule({ schedule: base, now: T0 });
        assert.deepEqual(created, { ...base, createdAt: T0, updatedAt: T0 });
        const declared = { ...base, id: "sch-2", cron: "0 9 * * 1", timezone: "Europe/Paris", payload: null, source: "declared" as const, lastFireAt: T0 - 5 };
        await s.upsertSchedule({ schedule: declared, now: T0 });
        const updated = await s.upsertSchedule({ schedule: { ...base, cron: "*/2 * * * *", nextFireAt: T0 + 120_000 }, now: T0 + 1 });
        assert.deepEqual(updated, { ...base, cron: "*/2 * * * *", nextFireAt: T0 + 120_000, createdAt: T0, updatedAt: T0 + 1 });
        const list = [...(await s.listSchedules())].sort((a, b) => a.id.localeCompare(b.id));
        assert.deepEqual(list, [updated, { ...declared, createdAt: T0, updatedAt: T0 }]);
      }));

    it("deleteSchedule reports whether it deleted", () =>
      withStore(o, async (s) => {
        await s.upsertSchedule({ schedule: base, now: T0 });
        assert.equal(await s.deleteSchedule({ id: "sch-1" }), true);
        assert.equal(await s.deleteSchedule({ id: "sch-1" }), false);
        assert.deepEqual(await s.listSchedules(), []);
      }));

    it("advanceSchedule is a compare-and-set: exactly one of concurrent callers wins", () =>
      withTwo(o, async (s, other) => {
        await s.upsertSchedule({ schedule: base, now: T0 });
        const advance = (x: Store, next: number) =>
          x.advanceSchedule({ id: "sch-1", expectedNextFireAt: T0 + 60_000, lastFireAt: T0 + 60_000, nextFireAt: next, now: T0 + 60_000 });
        const results = await Promise.all([advance(s, T0 + 120_000), advance(other, T0 + 120_000), advance(s, T0 + 120_000)]);
        assert.deepEqual([...results].sort(), [false, false, true]);
        const [after] = await s.listSchedules();
        assert.deepEqual([after!.lastFireAt, after!.nextFireAt, after!.updatedAt], [T0 + 60_000, T0 + 120_000, T0 + 60_000]);
        assert.equal(await advance(s, T0 + 999_999), false, "a stale expectation loses");
        assert.equal(await s.advanceSchedule({ id: "missing", expectedNextFireAt: 0, lastFireAt: 0, nextFireAt: 1, now: T0 }), false);
        assert.equal((await s.listSchedules())[0]!.nextFireAt, T0 + 120_000);
      }));

    it("subscribe hears `available` after createRuns, releaseRuns and wake-ups; unsubscribe stops it", () =>
      withStore(o, async (s) => {
        const l = await warmListener(s);
        let heard = l.next("createRuns");
        await s.createRuns({ runs: [newRun({ queue: "warm-up" })], now: T0 });
        await heard;
        const [a, b] = await createAndClaim(s, 2, "w", T0, { queue: "n" });
        heard = l.next("releaseRuns");
        await s.releaseRuns({ workerId: "w", runIds: [a!], now: T0 });
        await heard;
        await s.suspendRun({ workerId: "w", runId: b!, waits: [wait({ key: "e", kind: "event", eventName: "ping" })], now: T0 });
        heard = l.next("sendEvent woke a run");
        await s.sendEvent({ id: "p", name: "ping", payload: "1", now: T0 + 1 });
        await heard;
        l.off();
        const before = l.count();
        const second = listen(s);
        const deadline = Date.now() + 5000;
        while (second.count() === 0 && Date.now() < deadline) {
          await s.createRuns({ runs: [newRun()], now: T0 });
          await new Promise((r) => setTimeout(r, 20));
        }
        second.off();
        assert.ok(second.count() > 0, "the second listener heard the new runs");
        assert.equal(l.count(), before, "the unsubscribed listener heard nothing more");
      }));

    it("migrate is idempotent, also when called concurrently", () =>
      withStore(o, async (s) => {
        await Promise.all([s.migrate(), s.migrate()]);
        await s.migrate();
        await s.createRuns({ runs: [newRun()], now: T0 });
        await s.migrate();
        assert.equal((await s.listRuns({})).runs.length, 1, "migrating again keeps the data");
      }));

    it("a second connection sees what the first wrote", () =>
      withTwo(o, async (s, other) => {
        const r = newRun({ payload: '{"shared":true}' });
        await s.createRuns({ runs: [r], now: T0 });
        assert.equal((await other.getRun({ id: r.id }))!.payload, '{"shared":true}');
      }));
  });
}
