/** `t.run` and `t.runs.wait` of errand/testing: results as runs.wait gives them, in virtual time. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defineTask, NonRetriableError, RetryAfterError, WaitTimeoutError } from "errand";
import { createTestEngine, RunBlockedError } from "../../src/testing/index.ts";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const START = Date.UTC(2030, 0, 1);

describe("t.run", () => {
  it("a task that sleeps three days and retries with 1-minute back-offs finishes in virtual time", async (tc) => {
    let calls = 0;
    const flaky = defineTask({
      id: "flaky",
      retry: { maxAttempts: 5, minDelayMs: MINUTE, factor: 1, randomize: false },
      run: async (payload: { n: number }, ctx) => {
        await ctx.sleep("cool-down", { days: 3 });
        const value = await ctx.step("call-api", () => {
          calls++;
          if (calls < 4) throw new Error(`api down (call ${calls})`);
          return payload.n * 2;
        });
        return { value };
      },
    });
    const began = performance.now();
    const t = createTestEngine({ tasks: [flaky], startAt: START });
    try {
      const result = await t.run(flaky, { n: 21 });
      const ms = performance.now() - began;
      tc.diagnostic(`three days of sleep and three 1-minute back-offs took ${ms.toFixed(1)} ms of real time`);

      assert.equal(result.ok, true);
      assert.deepEqual(result.unwrap(), { value: 42 });
      assert.equal(calls, 4, "the step ran once per attempt, the sleep was not repeated");
      // Virtual time: exactly the sleep plus three back-offs of one minute (randomize: false).
      assert.equal(t.clock.now() - START, 3 * DAY + 3 * MINUTE);
      const run = await t.runs.get(result.id);
      assert.equal(run?.status, "completed");
      assert.equal(run?.attempt, 4);
      assert.equal(run?.finishedAt?.getTime(), START + 3 * DAY + 3 * MINUTE);
      const steps = await t.runs.steps(result.id);
      assert.deepEqual(
        steps.map((s) => [s.key, s.status, s.startedAt.getTime() - START]),
        [
          ["cool-down", "completed", 0],
          ["call-api", "completed", 3 * DAY + 3 * MINUTE],
        ],
      );
    } finally {
      await t.close();
    }
  });

  it("a step retrying with 1-minute back-offs (ctx.step's own retry) finishes without waiting real time", async (tc) => {
    const tries: number[] = [];
    const stepRetries = defineTask({
      id: "step-retries",
      run: async (_: null, ctx) =>
        ctx.step(
          "call-api",
          (s) => {
            tries.push(s.attempt);
            if (s.attempt < 4) throw new Error(`api down (try ${s.attempt})`);
            return "answered";
          },
          { retry: { maxAttempts: 5, minDelayMs: MINUTE, maxDelayMs: MINUTE, randomize: false } },
        ),
    });
    const began = performance.now();
    const t = createTestEngine({ tasks: [stepRetries], startAt: START });
    try {
      const result = await t.run(stepRetries, null);
      const ms = performance.now() - began;
      tc.diagnostic(`three 1-minute step back-offs took ${ms.toFixed(1)} ms of real time`);
      assert.deepEqual(result.unwrap(), "answered");
      assert.deepEqual(tries, [1, 2, 3, 4], "the step was tried four times in one attempt");
      const [step] = await t.runs.steps(result.id);
      assert.equal(step?.attempts, 4);
      assert.equal((await t.runs.get(result.id))?.attempt, 1, "the run itself did not retry");
      // Three minutes of back-off would time this out by far if they were waited in real time.
      assert.ok(ms < 60_000, `took ${ms} ms`);
    } finally {
      await t.close();
    }
  });

  it("resolves to the result as engine.runs.wait does: ok: false with the error, unwrap throws", async () => {
    const broken = defineTask({
      id: "broken",
      run: async (_: null) => {
        throw new NonRetriableError("no such customer");
      },
    });
    await using t = createTestEngine({ tasks: [broken] });
    const result = await t.run(broken, null);
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.error.name, "NonRetriableError");
    assert.equal(result.error.message, "no such customer");
    assert.throws(() => result.unwrap(), /no such customer/);
    // The same result, field for field, as the engine's own runs.wait.
    const fromEngine = await t.engine.runs.wait(result.id);
    assert.deepEqual({ ...fromEngine, unwrap: null }, { ...result, unwrap: null });
  });

  it("runs the task's children (triggerAndWait, batchTriggerAndWait) with their sleeps and retries", async () => {
    const child = defineTask({
      id: "child",
      retry: { maxAttempts: 2, minDelayMs: 10 * MINUTE, maxDelayMs: 10 * MINUTE, randomize: false },
      run: async (n: number, ctx) => {
        await ctx.sleep("nap", { hours: n });
        if (ctx.run.attempt === 1 && n === 2) throw new Error("first try fails");
        return n * 10;
      },
    });
    const parent = defineTask({
      id: "parent",
      run: async (_: null, ctx) => {
        const one = await ctx.triggerAndWait(child, 1);
        const many = await ctx.batchTriggerAndWait(child, [2, 3]);
        return [one.unwrap(), ...many.map((r) => r.unwrap())];
      },
    });
    await using t = createTestEngine({ tasks: [parent, child], startAt: START });
    const result = await t.run(parent, null);
    assert.deepEqual(result.unwrap(), [10, 20, 30]);
    const children = await t.runs.list({ parentRunId: result.id });
    assert.equal(children.runs.length, 3);
    assert.ok(children.runs.every((r) => r.status === "completed"));
    // 1 h for the first child; then the batch in parallel: the 2 h child fails once and is retried
    // 10 min later (its stored sleep is not slept again), ending at 3 h 10; the 3 h child ends at 4 h.
    assert.equal(t.clock.now() - START, 1 * 3_600_000 + 3 * 3_600_000);
  });

  it("skips trigger delays and RetryAfterError delays", async () => {
    const later = defineTask({
      id: "later",
      retry: { maxAttempts: 3 },
      run: async (_: null, ctx) => {
        if (ctx.run.attempt === 1) throw new RetryAfterError(2 * DAY);
        return ctx.run.attempt;
      },
    });
    await using t = createTestEngine({ tasks: [later], startAt: START });
    const result = await t.run(later, null, { delayMs: 5 * DAY });
    assert.equal(result.unwrap(), 2);
    const run = await t.runs.get(result.id);
    assert.equal(run?.startedAt?.getTime(), START + 5 * DAY);
    assert.equal(run?.finishedAt?.getTime(), START + 7 * DAY);
  });

  it("an event wait with a timeout times out in virtual time (resolves null)", async () => {
    const patient = defineTask({
      id: "patient",
      run: async (_: null, ctx) => ({ got: await ctx.waitForEvent("reply", { event: "reply.sent", timeoutMs: 2 * DAY }) }),
    });
    await using t = createTestEngine({ tasks: [patient], startAt: START });
    assert.deepEqual((await t.run(patient, null)).unwrap(), { got: null });
    assert.equal(t.clock.now(), START + 2 * DAY);
  });

  it("rejects with RunBlockedError naming the event and the waitForEvent key a run is blocked on", async () => {
    const checkout = defineTask({
      id: "checkout",
      run: async (order: { id: string }, ctx) => {
        await ctx.sleep("grace", { hours: 1 });
        return ctx.waitForEvent("payment", { event: "order.paid", match: { orderId: order.id } });
      },
    });
    await using t = createTestEngine({ tasks: [checkout], startAt: START });
    const error = await t.run(checkout, { id: "o-7" }).then(
      () => assert.fail("t.run resolved"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof RunBlockedError, String(error));
    assert.match(error.message, /event "order\.paid"/);
    assert.match(error.message, /ctx\.waitForEvent\("payment"\)/);
    assert.match(error.message, /t\.sendEvent\("order\.paid", payload\)/);
    assert.equal(error.blockedOn.length, 1);
    const [wait] = error.blockedOn;
    assert.equal(wait?.runId, error.runId);
    assert.equal(wait?.taskId, "checkout");
    assert.equal(wait?.kind, "event");
    assert.equal(wait?.key, "payment");
    assert.equal(wait?.eventName, "order.paid");
    assert.deepEqual(wait?.match, { orderId: "o-7" });
    // The sleep before it was skipped; the run is left waiting, and the event still completes it.
    assert.equal(t.clock.now(), START + 3_600_000);
    assert.equal((await t.runs.get(error.runId))?.status, "waiting");
    assert.equal((await t.sendEvent("order.paid", { orderId: "o-7", amount: 5 })).woken, 1);
    assert.deepEqual((await t.runs.wait(error.runId)).unwrap(), { orderId: "o-7", amount: 5 });
  });

  it("follows child waits: names the child run and the event the child waits for", async () => {
    const approve = defineTask({
      id: "approve",
      run: async (_: null, ctx) => ctx.waitForEvent("decision", { event: "approval.decided" }),
    });
    const request = defineTask({
      id: "request",
      run: async (_: null, ctx) => (await ctx.triggerAndWait(approve, null)).unwrap(),
    });
    await using t = createTestEngine({ tasks: [request, approve] });
    const error = await t.run(request, null).catch((e: unknown) => e);
    assert.ok(error instanceof RunBlockedError);
    const children = await t.runs.list({ parentRunId: error.runId });
    assert.equal(children.runs.length, 1);
    const childId = children.runs[0]!.id;
    assert.deepEqual(
      error.blockedOn.map((b) => [b.runId, b.taskId, b.eventName, b.key]),
      [[childId, "approve", "approval.decided", "decision"]],
    );
    assert.match(error.message, new RegExp(`event "approval\\.decided" .*in run ${childId} of task "approve"`));
  });

  it("t.runs.wait drives a triggered run; its timeoutMs is virtual time", async () => {
    const slowpoke = defineTask({
      id: "slowpoke",
      run: async (_: null, ctx) => {
        await ctx.sleep("a", { days: 10 });
        return "done";
      },
    });
    await using t = createTestEngine({ tasks: [slowpoke], startAt: START });
    const handle = await t.trigger(slowpoke, null);
    const id = handle.id;
    await assert.rejects(t.runs.wait(id, { timeoutMs: DAY }), WaitTimeoutError);
    assert.equal(t.clock.now(), START + DAY, "the clock moved to the deadline");
    assert.equal((await t.runs.get(id))?.status, "waiting");
    const done: string = (await t.runs.wait(handle)).unwrap(); // a handle, typed by the task's output
    assert.equal(done, "done");
    assert.equal(t.clock.now(), START + 10 * DAY);
    await assert.rejects(t.runs.wait(id, { timeoutMs: -1 }), /option `timeoutMs` must be a number >= 0/);
    await assert.rejects(t.runs.wait("no-such-run"), /no run with id "no-such-run"/);
  });

  it("several t.run calls at once each resolve to their own result", async () => {
    const sleeper = defineTask({
      id: "sleeper",
      run: async (hours: number, ctx) => {
        await ctx.sleep("s", { hours });
        return hours;
      },
    });
    await using t = createTestEngine({ tasks: [sleeper], startAt: START });
    const results = await Promise.all([5, 1, 3].map((h) => t.run(sleeper, h)));
    assert.deepEqual(results.map((r) => r.unwrap()), [5, 1, 3]);
    assert.equal(t.clock.now(), START + 5 * 3_600_000);
  });
});
