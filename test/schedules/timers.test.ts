/** The scheduler's own timer loop, driven by node:test mock timers (setTimeout and Date). */
import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { defineTask } from "errand";
import { createScheduler } from "../../src/engine/schedules.ts";
import { clocked, runsOf } from "./fixture.ts";

const flush = async () => {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
};

describe("scheduler loop (mock timers)", () => {
  it("start() fires each minute by itself, a missed stretch runs once, stop() ends the loop", async () => {
    const everyMinute = defineTask({ id: "every-minute", schedule: "* * * * *", run: async () => null });
    const s = await clocked([everyMinute], "2026-03-01T10:15:30.000Z");
    mock.timers.enable({ apis: ["setTimeout", "Date"], now: Date.parse("2026-03-01T10:15:30.000Z") });
    try {
      const scheduler = createScheduler({ ...s.deps, now: () => Date.now(), pollIntervalMs: 5 * 60_000 });
      await scheduler.start();
      assert.equal((await runsOf(s.engine, "every-minute")).length, 0);
      for (let i = 0; i < 3; i++) {
        mock.timers.tick(60_000);
        await flush();
      }
      const fired = (await runsOf(s.engine, "every-minute")).map((r) => r.payload.scheduledAt);
      assert.deepEqual(fired, ["2026-03-01T10:16:00.000Z", "2026-03-01T10:17:00.000Z", "2026-03-01T10:18:00.000Z"]);
      await scheduler.stop();
      mock.timers.tick(10 * 60_000);
      await flush();
      assert.equal((await runsOf(s.engine, "every-minute")).length, 3, "no fire after stop()");
      // Started again 10 minutes later: only the latest missed minute runs.
      const again = createScheduler({ ...s.deps, now: () => Date.now() });
      await again.start();
      await again.stop();
      const all = (await runsOf(s.engine, "every-minute")).map((r) => r.payload.scheduledAt);
      assert.deepEqual(all.slice(3), ["2026-03-01T10:28:00.000Z"]);
    } finally {
      mock.timers.reset();
      await s.engine.close();
    }
  });
});
