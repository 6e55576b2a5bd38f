/** Issue 3, acceptance 3–7: graceful stop, retries, idempotency, ordering, ttl, cancel, replay. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backoffMs, createEngine, defineTask, NonRetriableError, RetryAfterError, type AnyTask } from "../../src/engine/index.ts";
import { sqliteStore } from "errand/sqlite";
import { sleep, tempDb, until } from "../support/temp.ts";

function engineWith(tasks: AnyTask[], clock?: () => number) {
  return createEngine({ store: sqliteStore({ path: tempDb() }), tasks, ...(clock ? { clock } : {}) });
}

describe("graceful stop", () => {
  it("lets in-flight runs finish, leaves none running, and runs nothing twice", async () => {
    const executions = new Map<string, number>();
    const work = defineTask({
      id: "work",
      run: async (_: { i: number }, ctx) => {
        executions.set(ctx.run.id, (executions.get(ctx.run.id) ?? 0) + 1);
        await sleep(150);
      },
    });
    const engine = engineWith([work]);
    const handles = await engine.batchTrigger(work, Array.from({ length: 10 }, (_, i) => ({ i })));
    const w1 = engine.worker({ concurrency: 4, pollIntervalMs: 20, gracefulStopMs: 5000 });
    await w1.start();
    await until(() => executions.size === 4, "4 runs in flight");
    await w1.stop();
    const afterStop = await engine.runs.list({ status: "running" });
    assert.equal(afterStop.runs.length, 0, "no run left running");
    assert.equal((await engine.runs.stats()).byStatus.completed, 4, "the in-flight runs finished");
    const w2 = engine.worker({ concurrency: 4, pollIntervalMs: 20 });
    await w2.start();
    await Promise.all(handles.map((h) => engine.runs.wait(h.id, { timeoutMs: 10_000 })));
    assert.equal(executions.size, 10);
    assert.ok([...executions.values()].every((n) => n === 1), "each run executed once");
    await engine.close();
  });

  it("hands back runs that outlive the grace period (aborting their signal)", async () => {
    let aborted = 0;
    const stubborn = defineTask({
      id: "stubborn",
      run: async (_: void, ctx) => {
        await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => (aborted++, resolve())));
        throw ctx.signal.reason;
      },
    });
    const engine = engineWith([stubborn]);
    const h = await engine.trigger(stubborn, undefined);
    const w = engine.worker({ concurrency: 1, pollIntervalMs: 20, gracefulStopMs: 100 });
    await w.start();
    await until(async () => (await engine.runs.get(h.id))?.status === "running", "running");
    await w.stop();
    assert.equal(aborted, 1);
    const run = await engine.runs.get(h.id);
    assert.equal(run!.status, "queued", "handed back to the queue");
    assert.equal(run!.attempt, 1, "a hand-back is not a failed attempt");
    await engine.close();
  });
});

describe("retries", () => {
  it("backoff follows the policy formula", () => {
    const policy = { maxAttempts: 5, factor: 2, minDelayMs: 100, maxDelayMs: 1000, randomize: false };
    assert.deepEqual([1, 2, 3, 4, 5].map((a) => backoffMs(policy, a)), [100, 200, 400, 800, 1000]);
    const jittered = backoffMs({ ...policy, randomize: true }, 2, () => 0.5);
    assert.equal(jittered, 300);
  });

  it("attempts and delays follow the policy; the final error is stored with message and stack", async () => {
    const times: number[] = [];
    const failing = defineTask({
      id: "failing",
      retry: { maxAttempts: 3, minDelayMs: 60, factor: 2, randomize: false },
      run: async () => {
        times.push(Date.now());
        throw new Error(`boom ${times.length}`);
      },
    });
    const engine = engineWith([failing]);
    const retries: number[] = [];
    const w = engine.worker({ pollIntervalMs: 10 });
    w.on("run:retrying", (e) => retries.push(e.run.attempt));
    await w.start();
    const h = await engine.trigger(failing, undefined);
    const result = await engine.runs.wait(h.id, { timeoutMs: 10_000 });
    assert.equal(result.ok, false);
    assert.equal(times.length, 3, "three attempts");
    assert.deepEqual(retries, [1, 2]);
    assert.ok(times[1]! - times[0]! >= 55, `second attempt waited ≥ 60 ms (${times[1]! - times[0]!})`);
    assert.ok(times[2]! - times[1]! >= 115, `third attempt waited ≥ 120 ms (${times[2]! - times[1]!})`);
    if (!result.ok) {
      assert.equal(result.error.message, "boom 3");
      assert.match(result.error.stack ?? "", /boom 3/);
      assert.throws(() => result.unwrap(), /boom 3/);
    }
    const run = await engine.runs.get(h.id);
    assert.equal(run!.status, "failed");
    assert.equal(run!.attempt, 3);
    await engine.close();
  });

  it("NonRetriableError fails at once; RetryAfterError sets the delay; catchError can skip retrying", async () => {
    let nonRetriable = 0;
    let retryAfter = 0;
    let caught = 0;
    const a = defineTask({ id: "a", run: async () => { nonRetriable++; throw new NonRetriableError("no"); } });
    const b = defineTask({
      id: "b",
      retry: { maxAttempts: 2, minDelayMs: 60_000 },
      run: async () => {
        if (++retryAfter === 1) throw new RetryAfterError(30);
        return "second";
      },
    });
    const c = defineTask({
      id: "c",
      retry: { maxAttempts: 5, minDelayMs: 10 },
      run: async () => { caught++; throw new Error("fatal for us"); },
      catchError: ({ error }) => ((error as Error).message === "fatal for us" ? { skipRetrying: true } : undefined),
    });
    const engine = engineWith([a, b, c]);
    await engine.worker({ pollIntervalMs: 10 }).start();
    const [ha, hb, hc] = [await engine.trigger(a, undefined), await engine.trigger(b, undefined), await engine.trigger(c, undefined)];
    const [ra, rb, rc] = await Promise.all([ha, hb, hc].map((h) => engine.runs.wait(h.id, { timeoutMs: 10_000 })));
    assert.equal(ra!.ok, false);
    assert.equal(nonRetriable, 1);
    assert.equal(rb!.ok && rb!.output, "second", "RetryAfterError(30) retried long before the 60 s backoff");
    assert.equal(rc!.ok, false);
    assert.equal(caught, 1);
    await engine.close();
  });

  it("timeoutMs aborts ctx.signal and fails the attempt", async () => {
    let sawAbort = false;
    const slow = defineTask({
      id: "slow",
      timeoutMs: 50,
      retry: { maxAttempts: 1 },
      run: async (_: void, ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        sawAbort = true;
        throw ctx.signal.reason;
      },
    });
    const engine = engineWith([slow]);
    await engine.worker({ pollIntervalMs: 10 }).start();
    const r = await engine.runs.wait((await engine.trigger(slow, undefined)).id, { timeoutMs: 5000 });
    assert.ok(sawAbort);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.name, "TaskTimeoutError");
    await engine.close();
  });

  it("timeoutMs ends the attempt even when the task ignores ctx.signal, and the timeout is retried", async () => {
    let attempts = 0;
    const stuck = defineTask({
      id: "stuck",
      timeoutMs: 40,
      retry: { maxAttempts: 2, minDelayMs: 10, randomize: false },
      run: async () => {
        attempts++;
        await new Promise(() => {}); // never settles, never looks at the signal
      },
    });
    const engine = engineWith([stuck]);
    await engine.worker({ concurrency: 1, pollIntervalMs: 10 }).start();
    const r = await engine.runs.wait((await engine.trigger(stuck, undefined)).id, { timeoutMs: 10_000 });
    assert.equal(attempts, 2, "the timed-out attempt was retried");
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.name, "TaskTimeoutError");
    await engine.close();
  });
});

describe("hooks", () => {
  it("run in the documented order", async () => {
    const order: string[] = [];
    const hooked = defineTask({
      id: "hooked",
      retry: { maxAttempts: 2, minDelayMs: 1 },
      init: () => void order.push("init"),
      middleware: async ({ next }) => {
        order.push("middleware:before");
        await next();
        order.push("middleware:after");
      },
      onStart: () => void order.push("onStart"),
      run: async (_: void, ctx) => {
        order.push(`run#${ctx.run.attempt}`);
        if (ctx.run.attempt === 1) throw new Error("first fails");
        return 1;
      },
      cleanup: () => void order.push("cleanup"),
      catchError: () => void order.push("catchError"),
      onSuccess: () => void order.push("onSuccess"),
      onFailure: () => void order.push("onFailure"),
    });
    const engine = engineWith([hooked]);
    await engine.worker({ pollIntervalMs: 10 }).start();
    await engine.runs.wait((await engine.trigger(hooked, undefined)).id, { timeoutMs: 5000 });
    assert.deepEqual(order, [
      "init", "middleware:before", "onStart", "run#1", "cleanup", "catchError",
      "init", "middleware:before", "run#2", "middleware:after", "cleanup", "onSuccess",
    ]);
    await engine.close();
  });
});

describe("triggers", () => {
  it("idempotency key: one run; after its TTL a new run", async () => {
    let now = 1_700_000_000_000;
    const t = defineTask({ id: "t", run: async () => 1 });
    const engine = engineWith([t], () => now);
    const a = await engine.trigger(t, undefined, { idempotencyKey: "k", idempotencyKeyTtlMs: 1000 });
    const b = await engine.trigger(t, undefined, { idempotencyKey: "k", idempotencyKeyTtlMs: 1000 });
    assert.equal(a.id, b.id);
    assert.equal(b.created, false);
    now += 1001;
    const c = await engine.trigger(t, undefined, { idempotencyKey: "k", idempotencyKeyTtlMs: 1000 });
    assert.notEqual(c.id, a.id);
    assert.equal(c.created, true);
    const forever = await engine.trigger(t, undefined, { idempotencyKey: "forever" });
    now += 10 * 365 * 86_400_000;
    assert.equal((await engine.trigger(t, undefined, { idempotencyKey: "forever" })).id, forever.id);
    assert.equal((await engine.runs.list()).runs.length, 3);
    await engine.close();
  });

  it("priority first, then runAt; delayed runs wait; ttlMs expires runs not started in time", async () => {
    const order: string[] = [];
    const t = defineTask({ id: "t", run: async (p: { name: string }) => void order.push(p.name) });
    const engine = engineWith([t]);
    await engine.trigger(t, { name: "low" }, { priority: -1 });
    await engine.trigger(t, { name: "normal-1" });
    await engine.trigger(t, { name: "high" }, { priority: 10 });
    await engine.trigger(t, { name: "normal-2" });
    const later = await engine.trigger(t, { name: "later" }, { delayMs: 300 });
    const expiring = await engine.trigger(t, { name: "expiring" }, { ttlMs: 1, priority: -5 });
    assert.equal((await engine.runs.get(later.id))!.status, "delayed");
    await sleep(20);
    const w = engine.worker({ concurrency: 1, pollIntervalMs: 10 });
    await w.start();
    await until(() => order.length === 4, "4 runs");
    assert.deepEqual(order, ["high", "normal-1", "normal-2", "low"]);
    assert.equal((await engine.runs.get(expiring.id))!.status, "expired");
    const r = await engine.runs.wait(later.id, { timeoutMs: 5000 });
    assert.ok(r.ok);
    const run = await engine.runs.get(later.id);
    assert.ok(run!.startedAt!.getTime() >= run!.runAt.getTime(), "not started before runAt");
    await engine.close();
  });

  it("batchTrigger returns handles in input order and writes nothing when one item is bad", async () => {
    const t = defineTask({ id: "t", run: async (p: { n: number }) => p.n });
    const engine = engineWith([t]);
    const hs = await engine.batchTrigger(t, [{ n: 1 }, { payload: { n: 2 }, options: { priority: 3 } }, { n: 3 }]);
    const runs = await Promise.all(hs.map((h) => engine.runs.get(h.id)));
    assert.deepEqual(runs.map((r) => (r!.payload as { n: number }).n), [1, 2, 3]);
    assert.equal(runs[1]!.priority, 3);
    await assert.rejects(engine.batchTrigger(t, [{ n: 4 }, { n: 5n } as never]), /BigInt/);
    assert.equal((await engine.runs.list()).runs.length, 3, "the rejected batch wrote nothing");
    await engine.close();
  });
});

describe("cancel and replay", () => {
  it("cancels a queued run (never runs) and a running run (its signal aborts)", async () => {
    const ran: string[] = [];
    let abortReason: unknown = null;
    const t = defineTask({
      id: "t",
      run: async (p: { name: string }, ctx) => {
        ran.push(p.name);
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        abortReason = ctx.signal.reason;
        throw ctx.signal.reason;
      },
    });
    const engine = engineWith([t]);
    const queued = await engine.trigger(t, { name: "queued" }, { delayMs: 60_000 });
    assert.equal(await engine.runs.cancel(queued.id), true);
    assert.equal((await engine.runs.get(queued.id))!.status, "canceled");
    assert.equal(await engine.runs.cancel(queued.id), false, "already finished");
    const running = await engine.trigger(t, { name: "running" });
    await engine.worker({ pollIntervalMs: 10 }).start();
    await until(() => ran.includes("running"), "running");
    await engine.runs.cancel(running.id);
    await until(() => abortReason !== null, "the signal aborted");
    assert.equal((abortReason as Error).name, "RunCanceledError");
    const r = await engine.runs.wait(running.id);
    assert.equal(r.ok, false);
    assert.equal((await engine.runs.get(running.id))!.status, "canceled");
    assert.deepEqual(ran, ["running"]);
    await engine.close();
  });

  it("replays a failed run as a new run with the same payload", async () => {
    let fixed = false;
    const t = defineTask({
      id: "t",
      retry: { maxAttempts: 1 },
      run: async (p: { v: number }) => {
        if (!fixed) throw new Error("bug");
        return p.v * 2;
      },
    });
    const engine = engineWith([t]);
    await engine.worker({ pollIntervalMs: 10 }).start();
    const h = await engine.trigger(t, { v: 21 }, { tags: ["x"] });
    assert.equal((await engine.runs.wait(h.id)).ok, false);
    fixed = true;
    const again = await engine.runs.replay(h.id);
    assert.notEqual(again.id, h.id);
    const r = await engine.runs.wait(again.id, { timeoutMs: 5000 });
    assert.ok(r.ok && r.output === 42);
    assert.deepEqual((await engine.runs.get(again.id))!.tags, ["x"]);
    await engine.close();
  });
});
