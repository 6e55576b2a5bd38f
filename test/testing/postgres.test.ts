/** errand/testing drives a PostgreSQL store as well (the `store` option): virtual time, blocked runs. */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { defineTask } from "errand";
import { postgresStore } from "errand/postgres";
import { createTestEngine, RunBlockedError } from "../../src/testing/index.ts";
import { freshDatabase, stopTestPgServer } from "../support/pg.ts";

after(async () => {
  await stopTestPgServer();
});

const DAY = 86_400_000;
const START = Date.UTC(2030, 0, 1);

describe("test engine on PostgreSQL", () => {
  it("runs a sleeping, retrying task with a child in virtual time and names a blocking event", { timeout: 120_000 }, async () => {
    const url = await freshDatabase("errand_testing");
    let calls = 0;
    const child = defineTask({
      id: "child",
      run: async (n: number, ctx) => {
        await ctx.sleep("nap", { days: n });
        return n + 1;
      },
    });
    const parent = defineTask({
      id: "parent",
      retry: { maxAttempts: 3, minDelayMs: 60_000, factor: 1, randomize: false },
      run: async (_: null, ctx) => {
        const c = (await ctx.triggerAndWait(child, 2)).unwrap();
        await ctx.step("flaky", () => {
          if (++calls < 2) throw new Error("once");
        });
        return c;
      },
    });
    const waiter = defineTask({ id: "waiter", run: async (_: null, ctx) => ctx.waitForEvent("go", { event: "go.now" }) });
    const t = createTestEngine({ tasks: [parent, child, waiter], store: postgresStore({ connectionString: url }), startAt: START });
    try {
      assert.equal((await t.run(parent, null)).unwrap(), 3);
      assert.equal(t.clock.now(), START + 2 * DAY + 60_000);
      const error = await t.run(waiter, null).catch((e: unknown) => e);
      assert.ok(error instanceof RunBlockedError);
      assert.equal(error.blockedOn[0]?.eventName, "go.now");
      await t.sendEvent("go.now", { ok: 1 });
      assert.deepEqual((await t.runs.wait(error.runId)).unwrap(), { ok: 1 });
    } finally {
      await t.close();
    }
  });
});
