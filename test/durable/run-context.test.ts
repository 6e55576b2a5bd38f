/**
 * Issue 4: the rest of the run context — input checks with clear errors, step timeouts, ctx.trigger
 * without duplicates across replays, sleepUntil, progress, cancel of a running run, and a step whose
 * result cannot be stored because the lease was lost (unit level, real SQLite store).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEngine, defineTask, task, type AnyTask } from "errand";
import { sqliteStore } from "errand/sqlite";
import { createRunContext, LeaseLostError } from "../../src/durable/index.ts";
import { createDurableHost } from "../../src/engine/durable-host.ts";
import { newId } from "../../src/store/ids.ts";
import { tempDb, until } from "../support/temp.ts";

async function start(tasks: AnyTask[]) {
  const engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks });
  await engine.worker({ pollIntervalMs: 10, concurrency: 4 }).start();
  return engine;
}

describe("run context input checks", () => {
  it("bad keys, durations and options are TypeErrors naming the call and what was wrong; nothing is stored", async () => {
    const seen: string[] = [];
    const t = defineTask({
      id: "t",
      run: async (_: void, ctx) => {
        const attempts: [string, () => Promise<unknown>][] = [
          ["empty key", () => ctx.step("", () => 1)],
          ["slash", () => ctx.step("a/b", () => 1)],
          ["no fn", () => ctx.step("x", undefined as never)],
          ["bad retry", () => ctx.step("r", () => 1, { retry: { maxAttempts: 0 } })],
          ["bad timeout", () => ctx.step("to", () => 1, { timeoutMs: -5 })],
          ["bad sleep", () => ctx.sleep("s", -1)],
          ["bad unit", () => ctx.sleep("u", { weeks: 1 } as never)],
          ["bad date", () => ctx.sleepUntil("d", new Date("nope"))],
          ["no event", () => ctx.waitForEvent("e", { event: "" })],
          ["bad match", () => ctx.waitForEvent("m", { event: "x", match: { n: 1n } })],
          ["not a task", () => ctx.triggerAndWait({} as never, undefined as never)],
          ["bad progress", () => ctx.progress(2)],
        ];
        for (const [label, call] of attempts) {
          await call().then(
            () => seen.push(`${label}: no error`),
            (e: Error) => seen.push(`${label}: ${e.name}: ${e.message}`),
          );
        }
        return "done";
      },
    });
    const engine = await start([t]);
    const h = await engine.trigger(t, undefined);
    const r = await engine.runs.wait(h.id, { timeoutMs: 10_000 });
    assert.ok(r.ok, "a caught input error does not break the run");
    const expected: [string, RegExp][] = [
      ["empty key", /^TypeError: ctx\.step: the key must be a non-empty string/],
      ["slash", /^TypeError: ctx\.step: the key "a\/b" must not contain "\/"/],
      ["no fn", /^TypeError: ctx\.step\("x"\): the second argument must be a function/],
      ["bad retry", /^TypeError: .*step "r".*retry/],
      ["bad timeout", /^TypeError: step "to": option `timeoutMs`/],
      ["bad sleep", /^TypeError: ctx\.sleep\("s"\) must be a duration/],
      ["bad unit", /^TypeError: ctx\.sleep\("u"\): unknown duration unit "weeks"/],
      ["bad date", /^TypeError: ctx\.sleepUntil\("d"\): expected a Date/],
      ["no event", /^TypeError: ctx\.waitForEvent\("e"\): option `event`/],
      ["bad match", /^TypeError: ctx\.waitForEvent\("m"\): option `match`.*BigInt/],
      ["not a task", /^TypeError: ctx\.triggerAndWait: the first argument must be a task/],
      ["bad progress", /^TypeError: ctx\.progress: `fraction` must be a number from 0 to 1/],
    ];
    assert.equal(seen.length, expected.length);
    expected.forEach(([label, re], i) => assert.match(seen[i]!, new RegExp(`^${label}: ${re.source.slice(1)}`), seen[i]));
    assert.deepEqual(await engine.runs.steps(h.id), [], "no step and no wait was stored");
    assert.equal((await engine.runs.list({ parentRunId: h.id })).runs.length, 0, "no child was created");
    await engine.close();
  });
});

describe("step timeouts", () => {
  it("a try that outlives timeoutMs is aborted (s.signal) and retried; the next try's result is stored", { timeout: 20_000 }, async () => {
    const aborted: string[] = [];
    const t = defineTask({
      id: "t",
      run: async (_: void, ctx) =>
        ctx.step(
          "slow-api",
          (s) =>
            s.attempt === 1
              ? new Promise((_r, reject) => s.signal.addEventListener("abort", () => (aborted.push(String((s.signal.reason as Error).name)), reject(s.signal.reason))))
              : `ok on ${s.attempt}`,
          { timeoutMs: 50, retry: { maxAttempts: 2, minDelayMs: 1 } },
        ),
    });
    const engine = await start([t]);
    const h = await engine.trigger(t, undefined);
    const r = await engine.runs.wait(h.id, { timeoutMs: 10_000 });
    assert.deepEqual(r.ok && r.output, "ok on 2");
    assert.deepEqual(aborted, ["StepTimeoutError"]);
    const [step] = await engine.runs.steps(h.id);
    assert.equal(step?.attempts, 2);
    await engine.close();
  });
});

describe("ctx.trigger and ctx.sleepUntil", () => {
  it("a fire-and-forget child is created once across replays and its handle is stable", { timeout: 20_000 }, async () => {
    const handles: string[] = [];
    const child = defineTask({ id: "child", run: async (p: { n: number }) => p.n });
    const parent = defineTask({
      id: "parent",
      run: async (_: void, ctx) => {
        const h = await ctx.trigger(child, { n: 7 });
        handles.push(h.id);
        await ctx.sleepUntil("until", new Date(Date.now() + 50));
        await ctx.sleepUntil("past", Date.now() - 1000);
        return h.id;
      },
    });
    const engine = await start([child, parent]);
    const p = await engine.trigger(parent, undefined);
    const r = await engine.runs.wait(p.id, { timeoutMs: 10_000 });
    assert.ok(r.ok);
    assert.ok(handles.length >= 2, "the parent was replayed after the sleep");
    assert.ok(handles.every((id) => id === r.output), "the same child id in every execution");
    const kids = (await engine.runs.list({ parentRunId: p.id })).runs;
    assert.deepEqual(kids.map((k) => k.id), [r.output]);
    assert.equal(kids[0]!.idempotencyKey, `${p.id}:trigger:child#1`);
    const c = await engine.runs.wait(kids[0]!.id, { timeoutMs: 10_000 });
    assert.deepEqual(c.ok && c.output, 7);
    await engine.close();
  });
});

describe("progress and cancel", () => {
  it("ctx.progress is visible on the run; cancel aborts the running step's signal and the run never completes", { timeout: 20_000 }, async () => {
    let stepAbort: string | null = null;
    const t = defineTask({
      id: "t",
      run: async (_: void, ctx) => {
        await ctx.progress(0.25, "a quarter");
        await ctx.step("forever", (s) => new Promise((_r, reject) => s.signal.addEventListener("abort", () => {
          stepAbort = String((s.signal.reason as Error).name);
          reject(s.signal.reason);
        })));
        return "never";
      },
    });
    const engine = await start([t]);
    const h = await engine.trigger(t, undefined);
    await until(async () => (await engine.runs.get(h.id))?.progress === 0.25, "progress stored");
    assert.equal((await engine.runs.get(h.id))!.progressMessage, "a quarter");
    assert.equal(await engine.runs.cancel(h.id), true);
    await until(() => stepAbort, "the step's signal aborted");
    assert.equal(stepAbort, "RunCanceledError");
    assert.equal((await engine.runs.get(h.id))!.status, "canceled");
    await engine.close();
  });
});

describe("the run's signal (made on first use)", () => {
  it("cancel aborts an in-process task run through ctx, and a signal first read after the cancel is already aborted", { timeout: 20_000 }, async () => {
    let inner: string | null = null;
    let late: { aborted: boolean; reason: string } | null = null;
    const waitForAbort = task({
      run: (c) => new Promise((_r, reject) => c.signal.addEventListener("abort", () => {
        inner = String((c.signal.reason as Error).name);
        reject(c.signal.reason);
      })),
    });
    const t = defineTask({
      id: "t",
      run: async (p: { late: boolean }, ctx) => {
        if (!p.late) return waitForAbort.run(ctx);
        await new Promise((r) => setTimeout(r, 300)); // canceled meanwhile; the signal is read only now
        late = { aborted: ctx.signal.aborted, reason: String((ctx.signal.reason as Error | undefined)?.name) };
        return null;
      },
    });
    const engine = await start([t]);
    const a = await engine.trigger(t, { late: false });
    await until(async () => (await engine.runs.get(a.id))?.status === "running", "a running");
    assert.equal(await engine.runs.cancel(a.id), true);
    await until(() => inner, "the in-process task's signal aborted");
    assert.equal(inner, "RunCanceledError");
    const b = await engine.trigger(t, { late: true });
    await until(async () => (await engine.runs.get(b.id))?.status === "running", "b running");
    assert.equal(await engine.runs.cancel(b.id), true);
    await until(() => late, "the late read");
    assert.deepEqual(late, { aborted: true, reason: "RunCanceledError" });
    await engine.close();
  });
});

describe("lease lost (unit level, real SQLite store)", () => {
  it("a step whose result cannot be stored fails with LeaseLostError and leaves no step behind", async () => {
    const store = sqliteStore({ path: tempDb() });
    await store.migrate();
    const now = Date.now();
    const id = newId(now);
    await store.createRuns({
      now,
      runs: [{
        id, taskId: "t", queue: "default", concurrencyKey: null, payload: "null", priority: 0, runAt: now,
        status: "queued", maxAttempts: 1, idempotencyKey: null, idempotencyExpiresAt: null, expiresAt: null,
        tags: [], parentRunId: null, scheduleId: null,
      }],
    });
    const [claimed] = await store.claimRuns({ workerId: "worker-a", queues: null, limit: 1, leaseMs: 30_000, now });
    assert.ok(claimed);
    let fnCalls = 0;
    const handle = createRunContext({
      claimed,
      signal: new AbortController().signal,
      host: createDurableHost({ store, workerId: "worker-b", now: () => Date.now(), triggerChildren: () => Promise.reject(new Error("unused")) }),
    });
    const outcome = await handle.settle(handle.ctx.step("s", () => ++fnCalls));
    assert.equal(outcome.kind, "failed");
    assert.ok(outcome.kind === "failed" && outcome.error instanceof LeaseLostError, String(outcome.kind === "failed" && outcome.error));
    assert.match((outcome as { error: Error }).error.message, /step "s": this worker no longer holds run/);
    assert.equal(fnCalls, 1);
    assert.deepEqual(await store.getSteps({ runId: id }), []);
    await store.close();
  });
});

describe("a failed step on a later attempt", () => {
  it("runs again on the run's retry, its success replaces the failure, and it is not run again after a resume", { timeout: 20_000 }, async () => {
    let calls = 0;
    const t = defineTask({
      id: "t",
      retry: { maxAttempts: 2, minDelayMs: 1 },
      run: async (_: void, ctx) => {
        const v = await ctx.step("flaky", () => {
          if (++calls === 1) throw new Error("first attempt of the run fails");
          return calls;
        });
        await ctx.sleep("nap", 20);
        return v;
      },
    });
    const engine = await start([t]);
    const h = await engine.trigger(t, undefined);
    const r = await engine.runs.wait(h.id, { timeoutMs: 10_000 });
    assert.deepEqual(r.ok && r.output, 2);
    assert.equal(calls, 2, "not run a third time when the run resumed after the sleep");
    const steps = await engine.runs.steps(h.id);
    const flaky = steps.find((s) => s.key === "flaky");
    assert.equal(flaky?.status, "completed");
    assert.equal(flaky?.error, null);
    assert.equal(flaky?.output, 2);
    assert.equal(flaky?.kind, "step");
    assert.ok(flaky!.startedAt instanceof Date && flaky!.finishedAt instanceof Date && flaky!.finishedAt >= flaky!.startedAt, "timings");
    const nap = steps.find((s) => s.key === "nap");
    assert.deepEqual([nap?.kind, nap?.status, nap?.output], ["sleep", "completed", null]);
    await engine.close();
  });
});

describe("log flushing when the store fails", () => {
  it("an early flush (200 buffered logs) that fails does not become an unhandled rejection", async () => {
    const store = sqliteStore({ path: tempDb() });
    await store.migrate();
    const now = Date.now();
    const id = newId(now);
    await store.createRuns({
      now,
      runs: [{
        id, taskId: "t", queue: "default", concurrencyKey: null, payload: "null", priority: 0, runAt: now,
        status: "queued", maxAttempts: 1, idempotencyKey: null, idempotencyExpiresAt: null, expiresAt: null,
        tags: [], parentRunId: null, scheduleId: null,
      }],
    });
    const [claimed] = await store.claimRuns({ workerId: "w", queues: null, limit: 1, leaseMs: 30_000, now });
    assert.ok(claimed);
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      const handle = createRunContext({
        claimed,
        signal: new AbortController().signal,
        host: createDurableHost({ store, workerId: "w", now: () => Date.now(), triggerChildren: () => Promise.reject(new Error("unused")) }),
      });
      await store.close();
      for (let i = 0; i < 250; i++) handle.ctx.log.info(`line ${i}`);
      const outcome = await handle.settle(Promise.resolve("done"));
      assert.deepEqual(outcome, { kind: "completed", output: "done" });
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});

describe("retrying a step that has nested steps", () => {
  it("the retry calls the same nested keys again (no key-reuse error) and finished children are not run again", { timeout: 20_000 }, async () => {
    const calls = { a: 0, b: 0, outer: 0 };
    const t = defineTask({
      id: "t",
      retry: { maxAttempts: 1 },
      run: async (_: void, ctx) =>
        ctx.step("outer", async (s) => {
          calls.outer++;
          const a = await s.step("a", () => ++calls.a);
          const b = await s.step("b", () => {
            if (++calls.b === 1) throw new Error("b fails once");
            return calls.b;
          });
          return { a, b, try: s.attempt };
        }, { retry: { maxAttempts: 2, minDelayMs: 1 } }),
    });
    const engine = await start([t]);
    const h = await engine.trigger(t, undefined);
    const r = await engine.runs.wait(h.id, { timeoutMs: 10_000 });
    assert.deepEqual(r.ok ? r.output : r.error.message, { a: 1, b: 2, try: 2 });
    assert.deepEqual(calls, { a: 1, b: 2, outer: 2 });
    await engine.close();
  });
});

describe("cancel a sleeping run", () => {
  it("it is not woken when its timer passes", { timeout: 20_000 }, async () => {
    let resumed = false;
    const t = defineTask({
      id: "t",
      run: async (_: void, ctx) => {
        await ctx.sleep("nap", 300);
        resumed = true;
      },
    });
    const engine = await start([t]);
    const h = await engine.trigger(t, undefined);
    await until(async () => (await engine.runs.get(h.id))?.status === "waiting", "sleeping");
    assert.equal(await engine.runs.cancel(h.id), true);
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(resumed, false);
    assert.equal((await engine.runs.get(h.id))!.status, "canceled");
    const r = await engine.runs.wait(h.id, { timeoutMs: 1000 });
    assert.equal(r.ok, false);
    await engine.close();
  });
});
