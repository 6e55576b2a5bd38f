/** errand/testing in virtual time with flow control: rate-limited runs and debounced runs start when virtual time reaches their runAt. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTask } from "errand";
import { createTestEngine } from "../../src/testing/index.ts";

const START = Date.UTC(2030, 0, 1);
const MINUTE = 60_000;

describe("errand/testing with flow control", () => {
  it("a queue rate limit: the virtual clock skips to each window; every run starts in its window", async () => {
    const starts: number[] = [];
    let t: ReturnType<typeof createTestEngine> | undefined;
    const job = defineTask({
      id: "call-api",
      queue: { name: "api", rateLimit: { limit: 2, period: { minutes: 1 } } },
      run: (p: { i: number }) => {
        starts.push(t!.clock.now() - START);
        return p.i;
      },
    });
    t = createTestEngine({ tasks: [job], startAt: START });
    try {
      const handles = await t.batchTrigger(job, [0, 1, 2, 3, 4].map((i) => ({ i })));
      await t.runUntilIdle();
      assert.deepEqual(starts, [0, 0], "two starts in the first window, the clock did not move");
      const held = await t.runs.get(handles[2]!.id);
      assert.equal(held?.rateLimitedUntil?.getTime(), START + MINUTE);
      const last = await t.runs.wait(handles[4]!.id);
      assert.equal(last.unwrap(), 4);
      assert.deepEqual(starts, [0, 0, MINUTE, MINUTE, 2 * MINUTE], "virtual time jumped to each window's start");
    } finally {
      await t.close();
    }
  });

  it("debounce: triggers within the delay make one run, with the last payload, at the last trigger + delay", async () => {
    const seen: unknown[] = [];
    const sync = defineTask({ id: "sync", run: (p: { v: number }) => void seen.push(p.v) });
    const t = createTestEngine({ tasks: [sync], startAt: START });
    try {
      const debounce = { key: "account-1", delay: { seconds: 30 }, maxDelay: { minutes: 2 } };
      const first = await t.trigger(sync, { v: 1 }, { debounce });
      await t.clock.advance({ seconds: 20 });
      await t.trigger(sync, { v: 2 }, { debounce });
      await t.clock.advance({ seconds: 20 });
      assert.deepEqual(seen, [], "the second trigger moved the start to 50 s");
      await t.trigger(sync, { v: 3 }, { debounce });
      await t.runs.wait(first.id);
      assert.deepEqual(seen, [3]);
      assert.equal((await t.runs.get(first.id))?.startedAt?.getTime(), START + 70_000);
    } finally {
      await t.close();
    }
  });
});
