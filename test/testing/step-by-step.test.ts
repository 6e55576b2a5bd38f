/** Step-by-step tests with errand/testing: trigger, runUntilIdle, sendEvent, clock.advance, runs. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setImmediate as tick } from "node:timers/promises";
import { defineTask } from "errand";
import { sqliteStore } from "errand/sqlite";
import { createTestEngine, TestEngineClosedError } from "../../src/testing/index.ts";
import { tempDb } from "../support/temp.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2030, 0, 1);

describe("step by step", () => {
  it("nothing runs in the background: a triggered run waits for runUntilIdle", async () => {
    let executions = 0;
    const count = defineTask({
      id: "count",
      run: async (_: null) => ++executions,
    });
    await using t = createTestEngine({ tasks: [count], startAt: START });
    const { id } = await t.trigger(count, null);
    for (let i = 0; i < 20; i++) await tick();
    assert.equal((await t.runs.get(id))?.status, "queued");
    assert.equal(executions, 0);
    await t.runUntilIdle();
    assert.equal((await t.runs.get(id))?.status, "completed");
    assert.equal(executions, 1);
    assert.equal(t.clock.now(), START, "runUntilIdle does not move the clock");
  });

  it("runUntilIdle leaves sleeping and retrying runs for later; clock.advance runs each at its own time", async () => {
    const nap = defineTask({
      id: "nap",
      run: async (_: null, ctx) => {
        await ctx.step("before", () => "a");
        await ctx.sleep("first", { days: 1 });
        await ctx.step("between", () => "b");
        await ctx.sleep("second", { days: 1 });
        await ctx.step("after", () => "c");
        return "rested";
      },
    });
    await using t = createTestEngine({ tasks: [nap], startAt: START });
    const { id } = await t.trigger(nap, null);
    await t.runUntilIdle();
    const waiting = await t.runs.get(id);
    assert.equal(waiting?.status, "waiting");
    assert.equal(waiting?.runAt.getTime(), START + DAY, "the sleep's end is stored as the run's next due time");

    await t.clock.advance({ hours: 23 });
    assert.equal((await t.runs.get(id))?.status, "waiting");
    assert.equal(t.clock.now(), START + 23 * HOUR);

    // Three days in one call: each sleep ends at its own time, not at the end of the advance.
    await t.clock.advance({ days: 3 });
    assert.equal(t.clock.now(), START + 23 * HOUR + 3 * DAY);
    const run = await t.runs.get(id);
    assert.equal(run?.status, "completed");
    assert.equal(run?.output, "rested");
    assert.equal(run?.finishedAt?.getTime(), START + 2 * DAY);
    const steps = await t.runs.steps(id);
    assert.deepEqual(
      steps.filter((s) => s.kind === "step").map((s) => [s.key, s.startedAt.getTime() - START]),
      [
        ["before", 0],
        ["between", DAY],
        ["after", 2 * DAY],
      ],
    );
  });

  it("a failed attempt is delayed by its back-off; advancing the clock retries it", async () => {
    let calls = 0;
    const shaky = defineTask({
      id: "shaky",
      retry: { maxAttempts: 3, minDelayMs: 60_000, maxDelayMs: 600_000, factor: 2, randomize: false },
      run: async (_: null) => {
        calls++;
        if (calls < 3) throw new Error(`try ${calls}`);
        return calls;
      },
    });
    await using t = createTestEngine({ tasks: [shaky], startAt: START });
    const { id } = await t.trigger(shaky, null);
    await t.runUntilIdle();
    let run = await t.runs.get(id);
    assert.equal(run?.status, "delayed");
    assert.equal(run?.error?.message, "try 1");
    assert.equal(run?.runAt.getTime(), START + 60_000);
    await t.clock.advance(59_999);
    assert.equal(calls, 1);
    await t.clock.advance(1);
    assert.equal(calls, 2);
    run = await t.runs.get(id);
    assert.equal(run?.runAt.getTime(), START + 60_000 + 120_000, "second back-off: factor 2");
    await t.clock.advance({ minutes: 2 });
    assert.equal((await t.runs.get(id))?.output, 3);
  });

  it("sendEvent wakes a waiting run; only events sent after the wait began count", async () => {
    const order = defineTask({
      id: "order",
      run: async (o: { id: string }, ctx) => {
        const paid = await ctx.waitForEvent<{ orderId: string; amount: number }>("paid", {
          event: "order.paid",
          match: { orderId: o.id },
          timeoutMs: { days: 7 },
        });
        return paid === null ? "expired" : `paid ${paid.amount}`;
      },
    });
    await using t = createTestEngine({ tasks: [order], startAt: START });
    await t.sendEvent("order.paid", { orderId: "o1", amount: 1 }); // too early: nobody waits yet
    await t.clock.advance(1); // (at one same virtual millisecond, an event counts for a wait)
    const a = await t.trigger(order, { id: "o1" });
    const b = await t.trigger(order, { id: "o2" });
    await t.runUntilIdle();
    assert.equal((await t.runs.get(a.id))?.status, "waiting");
    assert.equal(await t.sendEvent("order.paid", { orderId: "o1", amount: 30 }), 1);
    assert.equal((await t.runs.get(a.id))?.status, "queued", "woken, but not run before runUntilIdle");
    await t.runUntilIdle();
    assert.equal((await t.runs.get(a.id))?.output, "paid 30");
    assert.equal((await t.runs.get(b.id))?.status, "waiting");
    await t.clock.advance({ days: 7 });
    assert.equal((await t.runs.get(b.id))?.output, "expired");
    assert.equal((await t.runs.get(b.id))?.finishedAt?.getTime(), START + 1 + 7 * DAY);
  });

  it("t.runs is the runs API: list, logs, cancel", async () => {
    const chatty = defineTask({
      id: "chatty",
      run: async (_: null, ctx) => {
        ctx.log.info("hello", { n: 1 });
        await ctx.sleep("long", { days: 30 });
        return "never";
      },
    });
    await using t = createTestEngine({ tasks: [chatty], startAt: START });
    const { id } = await t.trigger(chatty, null, { tags: ["demo"] });
    await t.runUntilIdle();
    assert.deepEqual((await t.runs.list({ tag: "demo" })).runs.map((r) => r.id), [id]);
    assert.deepEqual((await t.runs.logs(id)).map((l) => [l.message, l.data, l.at.getTime()]), [["hello", { n: 1 }, START]]);
    assert.equal(await t.runs.cancel(id), true);
    const result = await t.runs.wait(id);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.name, "RunCanceledError");
  });

  it("cron schedules fire in virtual time as the clock advances", async () => {
    const fired: string[] = [];
    const hourly = defineTask({
      id: "hourly",
      schedule: "0 * * * *",
      run: async (p: { scheduledAt: string }) => {
        fired.push(p.scheduledAt);
      },
    });
    await using t = createTestEngine({ tasks: [hourly], startAt: Date.UTC(2030, 0, 1, 9, 30) });
    await t.clock.advance({ hours: 3 });
    assert.deepEqual(fired, ["2030-01-01T10:00:00.000Z", "2030-01-01T11:00:00.000Z", "2030-01-01T12:00:00.000Z"]);
  });

  it("takes a store of your own (here an SQLite file) and closes it", async () => {
    const path = tempDb();
    const echo = defineTask({ id: "echo", run: async (s: string) => s });
    const t = createTestEngine({ tasks: [echo], store: sqliteStore({ path }) });
    assert.equal((await t.run(echo, "x")).unwrap(), "x");
    await t.close();
    await assert.rejects(t.trigger(echo, "y"), /closed/);
    // The runs are in the file.
    const again = createTestEngine({ tasks: [echo], store: sqliteStore({ path }) });
    assert.equal((await again.runs.list({ taskId: "echo" })).runs.length, 1);
    await again.close();
  });

  it("closing while a run is being driven rejects the drive with TestEngineClosedError", async () => {
    let release!: () => void;
    const stuck = defineTask({
      id: "stuck",
      run: async (_: null, ctx) =>
        new Promise<string>((resolve, reject) => {
          release = () => resolve("late");
          ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
        }),
    });
    const t = createTestEngine({ tasks: [stuck] });
    const pending = t.run(stuck, null);
    while (release === undefined) await tick();
    const closing = t.close();
    await assert.rejects(pending, TestEngineClosedError);
    await closing;
  });
});

describe("t.tokens", () => {
  it("is the engine's waitpoint token API where the engine has one, and absent where it has not", async () => {
    const noop = defineTask({ id: "noop", run: async (_: null) => null });
    await using t = createTestEngine({ tasks: [noop] });
    const engineTokens = (t.engine as unknown as { tokens?: unknown }).tokens;
    assert.equal("tokens" in t, engineTokens !== undefined);
    assert.equal((t as unknown as { tokens?: unknown }).tokens, engineTokens);
  });
});

describe("bad input", () => {
  const noop = defineTask({ id: "noop", run: async (_: null) => null });

  it("createTestEngine names the option that is wrong", () => {
    assert.throws(() => createTestEngine(null as never), /createTestEngine: expected options \{ tasks \}/);
    assert.throws(() => createTestEngine({ tasks: [noop], clock: () => 0 } as never), /createTestEngine: unknown option `clock`/);
    assert.throws(() => createTestEngine({ tasks: [noop], startAt: new Date("nope") }), TypeError);
    assert.throws(() => createTestEngine({ tasks: [noop], startAt: new Date("nope") }), /option `startAt`/);
    assert.throws(() => createTestEngine({ tasks: "noop" } as never), /option `tasks` must be an array/);
  });

  it("clock.advance rejects a bad duration and does not move the clock", async () => {
    await using t = createTestEngine({ tasks: [noop], startAt: START });
    await assert.rejects(t.clock.advance(-5), /t\.clock\.advance: `duration` must be a duration >= 0/);
    await assert.rejects(t.clock.advance({ weeks: 1 } as never), /unknown duration unit "weeks"/);
    assert.equal(t.clock.now(), START);
  });

  it("t.run of an unknown task or a bad payload enqueues nothing", async () => {
    await using t = createTestEngine({ tasks: [noop] });
    await assert.rejects(t.run("nope" as never, null as never), /unknown task "nope"/);
    await assert.rejects(t.run(noop, (() => 1) as never), /cannot be stored as JSON|JSON/);
    assert.equal((await t.runs.list()).runs.length, 0);
  });
});
