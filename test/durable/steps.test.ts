/** Issue 4: steps — stored results, retries, nested keys, key reuse, JSON errors, parallel steps, logs. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEngine, defineTask, task, type AnyTask } from "errand";
import { sqliteStore } from "errand/sqlite";
import { tempDb } from "../support/temp.ts";

async function runOnce(tasks: AnyTask[], t: AnyTask, payload: unknown = undefined) {
  const engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks });
  await engine.worker({ pollIntervalMs: 10, concurrency: 4 }).start();
  const h = await engine.trigger(t, payload as never);
  const result = await engine.runs.wait(h.id, { timeoutMs: 15_000 });
  return { engine, h, result };
}

describe("ctx.step", () => {
  it("a step that fails twice then succeeds under its retry policy", async () => {
    let tries = 0;
    const t = defineTask({
      id: "t",
      run: async (_: void, ctx) =>
        ctx.step("flaky", (s) => {
          tries++;
          if (s.attempt < 3) throw new Error(`try ${s.attempt}`);
          return `ok on ${s.attempt}`;
        }, { retry: { maxAttempts: 3, minDelayMs: 5, randomize: false } }),
    });
    const { engine, h, result } = await runOnce([t], t);
    assert.ok(result.ok && result.output === "ok on 3");
    assert.equal(tries, 3);
    const [step] = await engine.runs.steps(h.id);
    assert.equal(step!.status, "completed");
    assert.equal(step!.attempts, 3);
    await engine.close();
  });

  it("a step exceeding its retries fails the run with the step's error and path", async () => {
    const t = defineTask({
      id: "t",
      retry: { maxAttempts: 1 },
      run: async (_: void, ctx) =>
        ctx.step("outer", (s) => s.step("inner", () => {
          throw new TypeError("card declined");
        }, { retry: { maxAttempts: 2, minDelayMs: 1 } })),
    });
    const { engine, h, result } = await runOnce([t], t);
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.error.name, "TypeError");
      assert.equal(result.error.message, "card declined");
      assert.equal(result.error.stepKey, "outer/inner");
    }
    const steps = await engine.runs.steps(h.id);
    const inner = steps.find((s) => s.key === "outer/inner")!;
    assert.equal(inner.status, "failed");
    assert.equal(inner.attempts, 2);
    assert.equal(inner.parentKey, "outer");
    await engine.close();
  });

  it("stored steps are not executed again when the run re-executes (retry of the run)", async () => {
    const calls = { a: 0, b: 0 };
    const t = defineTask({
      id: "t",
      retry: { maxAttempts: 2, minDelayMs: 1 },
      run: async (_: void, ctx) => {
        const a = await ctx.step("a", () => ++calls.a);
        const b = await ctx.step("b", () => ++calls.b);
        if (ctx.run.attempt === 1) throw new Error("fail after the steps");
        return { a, b, attempt: ctx.run.attempt };
      },
    });
    const { engine, result } = await runOnce([t], t);
    assert.deepEqual(result.ok && result.output, { a: 1, b: 1, attempt: 2 });
    assert.deepEqual(calls, { a: 1, b: 1 });
    await engine.close();
  });

  it("nested keys are scoped: parent/child-1 never clashes with a top-level child-1", async () => {
    const t = defineTask({
      id: "t",
      run: async (_: void, ctx) => {
        const nested = await ctx.step("parent", (s) => s.step("child-1", () => "nested"));
        const top = await ctx.step("child-1", (s) => ({ top: true, key: s.idempotencyKey, path: s.path }));
        return { nested, top };
      },
    });
    const { engine, h, result } = await runOnce([t], t);
    assert.ok(result.ok);
    const out = result.output as { nested: string; top: { top: boolean; key: string; path: string } };
    assert.equal(out.nested, "nested");
    assert.equal(out.top.key, `${h.id}:child-1`);
    assert.deepEqual((await engine.runs.steps(h.id)).map((s) => s.key).sort(), ["child-1", "parent", "parent/child-1"]);
    await engine.close();
  });

  it("reusing a key in one execution is an error naming the key", async () => {
    const t = defineTask({
      id: "t",
      retry: { maxAttempts: 1 },
      run: async (_: void, ctx) => {
        await ctx.step("same", () => 1);
        await ctx.step("same", () => 2);
      },
    });
    const { engine, result } = await runOnce([t], t);
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.error.message, /key "same" is used twice/);
    await engine.close();
  });

  it("a step output JSON cannot carry is an error naming the step; nothing is stored as completed", async () => {
    const t = defineTask({
      id: "t",
      retry: { maxAttempts: 1 },
      run: async (_: void, ctx) => ctx.step("big", () => ({ n: 10n })),
    });
    const { engine, h, result } = await runOnce([t], t);
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.match(result.error.message, /the output of step "big" cannot be stored as JSON: \$\.n is a BigInt/);
      assert.equal(result.error.stepKey, "big");
    }
    const steps = await engine.runs.steps(h.id);
    assert.ok(steps.every((s) => s.status !== "completed"), "no completed step stored");
    await engine.close();
  });

  it("parallel steps with Promise.all run concurrently and are all stored", async () => {
    let live = 0;
    let maxLive = 0;
    const t = defineTask({
      id: "t",
      run: async (_: void, ctx) =>
        Promise.all(
          [1, 2, 3].map((i) =>
            ctx.step(`p${i}`, async () => {
              maxLive = Math.max(maxLive, ++live);
              await new Promise((r) => setTimeout(r, 30));
              live--;
              return i * 10;
            }),
          ),
        ),
    });
    const { engine, h, result } = await runOnce([t], t);
    assert.deepEqual(result.ok && result.output, [10, 20, 30]);
    assert.equal(maxLive, 3);
    assert.equal((await engine.runs.steps(h.id)).length, 3);
    await engine.close();
  });

  it("in-process tasks inside a run are memoised and stored as task:<id>:<key> steps", async () => {
    let loads = 0;
    const getUser = task({ id: "get-user", run: async (_c, id: number) => ({ id, n: ++loads }) });
    const t = defineTask({
      id: "t",
      run: async (_: void, ctx) => {
        const [a, b] = await ctx.all([getUser.bind(1), getUser.bind(1)]);
        const c = await getUser.run(ctx, 1);
        return [a, b, c];
      },
    });
    const { engine, h, result } = await runOnce([t], t);
    assert.deepEqual(result.ok && result.output, [{ id: 1, n: 1 }, { id: 1, n: 1 }, { id: 1, n: 1 }]);
    assert.equal(loads, 1);
    assert.deepEqual((await engine.runs.steps(h.id)).map((s) => [s.key, s.kind]), [["task:get-user:1", "task"]]);
    await engine.close();
  });

  it("ctx.log writes each log once across replays", async () => {
    const t = defineTask({
      id: "t",
      retry: { maxAttempts: 3, minDelayMs: 1 },
      run: async (_: void, ctx) => {
        ctx.log.info("start");
        await ctx.step("s", () => {
          ctx.log.debug("inside step", { x: 1 });
          return 1;
        });
        ctx.log.warn("after step");
        if (ctx.run.attempt < 3) throw new Error("again");
      },
    });
    const { engine, h, result } = await runOnce([t], t);
    assert.ok(result.ok);
    const logs = await engine.runs.logs(h.id);
    assert.deepEqual(logs.map((l) => `${l.level}:${l.message}`), ["info:start", "debug:inside step", "warn:after step"]);
    assert.deepEqual(logs[1]!.data, { x: 1 });
    await engine.close();
  });
});
