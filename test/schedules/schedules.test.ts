/** Issue 6, schedules: declared and dynamic schedules, missed-fire policy and dedupe, with an explicit clock. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTask } from "errand";
import { z } from "zod";
import { tempDb } from "../support/temp.ts";
import { clocked, runsOf } from "./fixture.ts";

const hourly = defineTask({ id: "hourly", schedule: "0 * * * *", run: async () => null });
const plain = defineTask({ id: "plain", run: async () => null });

describe("declared schedules", () => {
  it("are stored at scheduler start as task:<id>, and fire once per fire time with the previous one in the payload", async () => {
    const s = await clocked([hourly, plain], "2026-03-01T10:15:00.000Z");
    await s.scheduler.start();
    await s.scheduler.stop();
    const [view] = await s.engine.schedules.list();
    assert.equal(view!.id, "task:hourly");
    assert.equal(view!.source, "declared");
    assert.equal(view!.nextFireAt.toISOString(), "2026-03-01T11:00:00.000Z");
    assert.equal(await s.scheduler.tick(), 0, "nothing due before 11:00");

    s.set("2026-03-01T11:00:00.000Z");
    assert.equal(await s.scheduler.tick(), 1);
    assert.equal(await s.scheduler.tick(), 0, "a second tick at the same time does nothing");
    s.set("2026-03-01T12:00:00.250Z");
    assert.equal(await s.scheduler.tick(), 1);

    const runs = await runsOf(s.engine, "hourly");
    assert.deepEqual(
      runs.map((r) => [r.idempotencyKey, r.payload]),
      [
        ["schedule:task:hourly:2026-03-01T11:00:00.000Z", { scheduledAt: "2026-03-01T11:00:00.000Z", lastScheduledAt: null, scheduleId: "task:hourly" }],
        [
          "schedule:task:hourly:2026-03-01T12:00:00.000Z",
          { scheduledAt: "2026-03-01T12:00:00.000Z", lastScheduledAt: "2026-03-01T11:00:00.000Z", scheduleId: "task:hourly" },
        ],
      ],
    );
    const [after] = await s.engine.schedules.list();
    assert.equal(after!.lastFireAt!.toISOString(), "2026-03-01T12:00:00.000Z");
    assert.equal(after!.nextFireAt.toISOString(), "2026-03-01T13:00:00.000Z");
    await s.engine.close();
  });

  it("missed fires (no worker for 5 h) run the latest one once — no storm", async () => {
    const s = await clocked([hourly], "2026-03-01T10:15:00.000Z");
    await s.scheduler.start();
    await s.scheduler.stop();
    s.set("2026-03-01T15:30:00.000Z");
    assert.equal(await s.scheduler.tick(), 1);
    assert.equal(await s.scheduler.tick(), 0);
    const runs = await runsOf(s.engine, "hourly");
    assert.deepEqual(runs.map((r) => r.payload.scheduledAt), ["2026-03-01T15:00:00.000Z"]);
    assert.equal((await s.engine.schedules.list())[0]!.nextFireAt.toISOString(), "2026-03-01T16:00:00.000Z");
    await s.engine.close();
  });

  it("a per-second schedule missed for 7 days runs once, for the latest second (found without stepping 600k times)", async () => {
    const perSecond = defineTask({ id: "per-second", schedule: "* * * * * *", run: async () => null });
    const s = await clocked([perSecond], "2026-03-01T10:15:00.400Z");
    await s.scheduler.start();
    await s.scheduler.stop();
    assert.deepEqual((await runsOf(s.engine, "per-second")).length, 0);
    s.set("2026-03-08T10:15:07.250Z");
    assert.equal(await s.scheduler.tick(), 1);
    const runs = await runsOf(s.engine, "per-second");
    assert.deepEqual(runs.map((r) => [r.payload.scheduledAt, r.payload.lastScheduledAt]), [["2026-03-08T10:15:07.000Z", null]]);
    assert.equal((await s.engine.schedules.list())[0]!.nextFireAt.toISOString(), "2026-03-08T10:15:08.000Z");
    await s.engine.close();
  });

  it("missed fires across a daylight-saving change in the schedule's time zone", async () => {
    // Paris skips 02:00–03:00 on 2026-03-29; 09:30 local is 08:30Z before and 07:30Z after.
    const paris = defineTask({ id: "paris", schedule: { cron: "30 9 * * *", timezone: "Europe/Paris" }, run: async () => null });
    const s = await clocked([paris], "2026-03-27T12:00:00.000Z");
    await s.scheduler.start();
    await s.scheduler.stop();
    assert.equal((await s.engine.schedules.list())[0]!.nextFireAt.toISOString(), "2026-03-28T08:30:00.000Z");
    s.set("2026-03-30T07:30:00.000Z");
    assert.equal(await s.scheduler.tick(), 1);
    assert.deepEqual((await runsOf(s.engine, "paris")).map((r) => r.payload.scheduledAt), ["2026-03-30T07:30:00.000Z"]);
    assert.equal((await s.engine.schedules.list())[0]!.nextFireAt.toISOString(), "2026-03-31T07:30:00.000Z");
    await s.engine.close();
  });

  it("a restart keeps the stored next fire time (a missed fire still runs); a changed expression is recomputed", async () => {
    const path = tempDb();
    const a = await clocked([hourly], "2026-03-01T10:15:00.000Z", path);
    await a.scheduler.start();
    await a.scheduler.stop();
    await a.engine.close();
    // Restarted at 11:20 with the same code: 11:00 was missed and still fires.
    const b = await clocked([hourly], "2026-03-01T11:20:00.000Z", path);
    await b.scheduler.start();
    await b.scheduler.stop();
    assert.deepEqual((await runsOf(b.engine, "hourly")).map((r) => r.payload.scheduledAt), ["2026-03-01T11:00:00.000Z"]);
    await b.engine.close();
    // Restarted with another expression: the next fire time follows it.
    const daily = defineTask({ id: "hourly", schedule: { cron: "0 9 * * *", timezone: "America/New_York" }, run: async () => null });
    const c = await clocked([daily], "2026-11-23T12:00:00.000Z", path);
    await c.scheduler.start();
    await c.scheduler.stop();
    const [view] = await c.engine.schedules.list();
    assert.equal(view!.timezone, "America/New_York");
    assert.equal(view!.nextFireAt.toISOString(), "2026-11-23T14:00:00.000Z", "09:00 in New York is 14:00 UTC in winter");
    await c.engine.close();
  });

  it("a task that no longer declares a schedule stops firing", async () => {
    const path = tempDb();
    const a = await clocked([hourly], "2026-03-01T10:15:00.000Z", path);
    await a.scheduler.start();
    await a.scheduler.stop();
    await a.engine.close();
    const undeclared = defineTask({ id: "hourly", run: async () => null });
    const b = await clocked([undeclared], "2026-03-01T12:30:00.000Z", path);
    await b.scheduler.start();
    await b.scheduler.stop();
    assert.deepEqual(await b.engine.schedules.list(), []);
    assert.deepEqual(await runsOf(b.engine, "hourly"), []);
    await b.engine.close();
  });
});

describe("several schedulers on one database", () => {
  it("ticking at once (two stores on one file, many rounds) trigger exactly one run per fire time", async () => {
    const path = tempDb();
    const clock = { t: Date.parse("2026-03-01T10:15:00.000Z") };
    const a = await clocked([hourly], "", path, clock);
    const b = await clocked([hourly], "", path, clock);
    await Promise.all([a.scheduler.start(), b.scheduler.start()]);
    await Promise.all([a.scheduler.stop(), b.scheduler.stop()]);
    let advanced = 0;
    for (let h = 11; h <= 20; h++) {
      clock.t = Date.parse(`2026-03-01T${h}:00:00.000Z`) + (h % 3) * 1000;
      const counts = await Promise.all([a.scheduler.tick(), b.scheduler.tick(), a.scheduler.tick()]);
      advanced += counts.reduce((x, y) => x + y, 0);
    }
    assert.equal(advanced, 10, "each fire time advanced by exactly one caller");
    const runs = await runsOf(a.engine, "hourly");
    assert.equal(runs.length, 10);
    assert.equal(new Set(runs.map((r) => r.idempotencyKey)).size, 10);
    await a.engine.close();
    await b.engine.close();
  });
});

describe("dynamic schedules (engine.schedules)", () => {
  const report = defineTask({
    id: "report",
    schema: z.object({ team: z.string(), scheduledAt: z.string(), lastScheduledAt: z.string().nullable(), scheduleId: z.string() }),
    run: async (p) => p.team,
  });

  it("create with a key twice updates one schedule; its payload is merged into each run's payload; delete removes it", async () => {
    const s = await clocked([report, plain], "2026-03-01T10:15:00.000Z");
    const first = await s.engine.schedules.create({ task: report, cron: "*/30 * * * *", key: "team-a", payload: { team: "a" } });
    assert.equal(first.id, "key:team-a");
    assert.equal(first.nextFireAt.toISOString(), "2026-03-01T10:30:00.000Z");
    const again = await s.engine.schedules.create({ task: "report", cron: "0 * * * *", key: "team-a", payload: { team: "A" } });
    assert.equal(again.id, first.id);
    const list = await s.engine.schedules.list();
    assert.equal(list.length, 1);
    assert.deepEqual([list[0]!.cron, list[0]!.payload, list[0]!.source], ["0 * * * *", { team: "A" }, "dynamic"]);

    const unkeyed = await s.engine.schedules.create({ task: report, cron: "0 0 * * *", payload: { team: "b" } });
    assert.notEqual(unkeyed.id, first.id);
    s.set("2026-03-01T11:00:00.000Z");
    assert.equal(await s.scheduler.tick(), 1, "only team-a is due");
    const [run] = await runsOf(s.engine, "report");
    assert.deepEqual(run!.payload, { team: "A", scheduledAt: "2026-03-01T11:00:00.000Z", lastScheduledAt: null, scheduleId: "key:team-a" });

    assert.equal(await s.engine.schedules.delete("key:team-a"), true);
    assert.equal(await s.engine.schedules.delete("key:team-a"), false);
    assert.deepEqual((await s.engine.schedules.list()).map((v) => v.id), [unkeyed.id]);
    await s.engine.close();
  });

  it("bad input is a clear error and stores nothing", async () => {
    const s = await clocked([report, plain], "2026-03-01T10:15:00.000Z");
    await assert.rejects(s.engine.schedules.create({ task: "nope", cron: "* * * * *" }), /unknown task "nope" \(registered: report, plain\)/);
    await assert.rejects(s.engine.schedules.create({ task: plain, cron: "61 * * * *" }), /invalid cron expression "61 \* \* \* \*"/);
    await assert.rejects(s.engine.schedules.create({ task: plain, cron: "* * * * *", timezone: "Mars/Olympus" }), /time zone/);
    await assert.rejects(s.engine.schedules.create({ task: plain, cron: "* * * * *", key: "" }), /`key` must be a non-empty string/);
    await assert.rejects(s.engine.schedules.create({ task: plain, cron: "* * * * *", payload: { n: 1n } }), /BigInt|bigint/);
    assert.deepEqual(await s.engine.schedules.list(), []);
    await s.engine.close();
  });

  it("a schedule whose trigger fails does not stop the others from firing", async () => {
    const s = await clocked([report, plain], "2026-03-01T10:15:00.000Z");
    // The schema needs `team`: this schedule's runs are rejected at trigger time.
    await s.engine.schedules.create({ task: report, cron: "0 * * * *", key: "broken" });
    await s.engine.schedules.create({ task: plain, cron: "0 * * * *", key: "fine" });
    s.set("2026-03-01T11:00:00.000Z");
    await assert.rejects(s.scheduler.tick(), /team/);
    assert.equal((await runsOf(s.engine, "plain")).length, 1, "the other schedule fired");
    await s.engine.close();
  });
});
