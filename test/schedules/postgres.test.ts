/** Schedules on the PostgreSQL store: several schedulers (separate pools) on one database, and worker processes via the CLI. */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createEngine, defineTask, type AnyTask } from "errand";
import { postgresStore } from "errand/postgres";
import { createScheduler } from "../../src/engine/schedules.ts";
import { freshDatabase, stopTestPgServer } from "../support/pg.ts";
import { runsOf } from "./fixture.ts";

after(async () => {
  await stopTestPgServer();
});

function schedulerOn(url: string, tasks: readonly AnyTask[], clock: { t: number }) {
  const now = () => clock.t;
  const store = postgresStore({ connectionString: url, maxConnections: 3 });
  const engine = createEngine({ store, tasks, clock: now });
  const scheduler = createScheduler({
    store,
    tasks: engine.tasks,
    now,
    trigger: (task, payload, options) => engine.trigger(task, payload as never, options),
  });
  return { engine, scheduler };
}

describe("schedules on PostgreSQL", () => {
  it("three schedulers with their own pools ticking at once: one run per fire time", { timeout: 120_000 }, async () => {
    const url = await freshDatabase("errand_sched");
    const hourly = defineTask({ id: "hourly", schedule: "0 * * * *", run: async () => null });
    const clock = { t: Date.parse("2026-03-01T10:15:00.000Z") };
    const nodes = [schedulerOn(url, [hourly], clock), schedulerOn(url, [hourly], clock), schedulerOn(url, [hourly], clock)];
    await nodes[0]!.engine.store.migrate();
    await Promise.all(nodes.map((n) => n.scheduler.start()));
    await Promise.all(nodes.map((n) => n.scheduler.stop()));
    let advanced = 0;
    for (let h = 11; h <= 22; h++) {
      clock.t = Date.parse(`2026-03-01T${h}:00:00.000Z`) + (h % 4) * 250;
      const counts = await Promise.all(nodes.flatMap((n) => [n.scheduler.tick(), n.scheduler.tick()]));
      advanced += counts.reduce((a, b) => a + b, 0);
    }
    assert.equal(advanced, 12, "each fire time advanced by exactly one caller");
    const runs = await runsOf(nodes[0]!.engine, "hourly");
    assert.equal(runs.length, 12);
    assert.equal(new Set(runs.map((r) => r.idempotencyKey)).size, 12);
    runs.forEach((r, i) => {
      if (i > 0) assert.equal(r.payload.lastScheduledAt, runs[i - 1]!.payload.scheduledAt);
    });
    await Promise.all(nodes.map((n) => n.engine.close()));
  });
});
