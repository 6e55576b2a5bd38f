/**
 * Issue 4: parallel waits (the documented choice: supported). Every wait reached in one execution is
 * registered together; the run wakes when any resolves and suspends again on the rest. Steps already
 * in flight when the run suspends are stored first and never run again.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEngine, defineTask, type AnyTask } from "errand";
import { sqliteStore } from "errand/sqlite";
import { tempDb, until } from "../support/temp.ts";

async function start(tasks: AnyTask[]) {
  const engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks });
  await engine.worker({ pollIntervalMs: 10, concurrency: 4 }).start();
  return engine;
}

describe("parallel waits", () => {
  it("Promise.all of two sleeps: wakes on the first, suspends again on the second, completes after both", { timeout: 20_000 }, async () => {
    let executions = 0;
    let firstCall = 0;
    const t = defineTask({
      id: "t",
      run: async (_: void, ctx) => {
        executions++;
        const t0 = await ctx.step("t0", () => Date.now());
        if (executions === 1) firstCall = Date.now();
        await Promise.all([ctx.sleep("short", 300), ctx.sleep("long", { ms: 1200 })]);
        return Date.now() - t0;
      },
    });
    const engine = await start([t]);
    const h = await engine.trigger(t, undefined);
    // After the short sleep the run suspends again on "long": its timer is the one set in the first
    // execution (firstCall + 1200), not restarted by the replay (which would give >= firstCall + 1500).
    const again = await until(async () => {
      const run = await engine.runs.get(h.id);
      return executions === 2 && run?.status === "waiting" ? run : null;
    }, "suspended again on the long sleep");
    const wakeIn = again!.runAt.getTime() - firstCall;
    assert.ok(wakeIn >= 1150 && wakeIn < 1400, `the long sleep keeps its first wake time (firstCall + ${wakeIn} ms)`);
    const r = await engine.runs.wait(h.id, { timeoutMs: 15_000 });
    assert.ok(r.ok);
    assert.ok((r.output as number) >= 1150, `waited for the longer sleep (${String(r.output)} ms)`);
    assert.equal(executions, 3, "first execution, wake after the short sleep, wake after the long one");
    const steps = await engine.runs.steps(h.id);
    assert.deepEqual(
      steps.filter((s) => s.kind === "sleep").map((s) => [s.key, s.status]).sort(),
      [["long", "completed"], ["short", "completed"]],
    );
    await engine.close();
  });

  it("a step in flight when a sibling sleeps is stored before the run suspends and never runs again", { timeout: 20_000 }, async () => {
    let slowCalls = 0;
    let afterCalls = 0;
    const t = defineTask({
      id: "t",
      run: async (_: void, ctx) => {
        const [slow] = await Promise.all([
          ctx.step("slow", async () => {
            slowCalls++;
            await new Promise((r) => setTimeout(r, 150));
            return "slow done";
          }),
          ctx.sleep("nap", 50),
        ]);
        const after = await ctx.step("after", () => ++afterCalls);
        return { slow, after };
      },
    });
    const engine = await start([t]);
    const h = await engine.trigger(t, undefined);
    const r = await engine.runs.wait(h.id, { timeoutMs: 15_000 });
    assert.deepEqual(r.ok && r.output, { slow: "slow done", after: 1 });
    assert.equal(slowCalls, 1, "the in-flight step was stored during the first execution");
    assert.equal(afterCalls, 1);
    const slow = (await engine.runs.steps(h.id)).find((s) => s.key === "slow");
    assert.equal(slow?.status, "completed");
    await engine.close();
  });

  it("Promise.all of two triggerAndWait: two children across every replay, results in call order", { timeout: 20_000 }, async () => {
    const child = defineTask({
      id: "child",
      run: async (p: { ms: number; v: string }, ctx) => {
        await ctx.sleep("hold", p.ms);
        return p.v;
      },
    });
    const parent = defineTask({
      id: "parent",
      run: async (_: void, ctx) => {
        const [a, b] = await Promise.all([
          ctx.triggerAndWait(child, { ms: 300, v: "slow" }),
          ctx.triggerAndWait(child, { ms: 10, v: "fast" }),
        ]);
        return [a.unwrap(), b.unwrap()];
      },
    });
    const engine = await start([child, parent]);
    const h = await engine.trigger(parent, undefined);
    const r = await engine.runs.wait(h.id, { timeoutMs: 15_000 });
    assert.deepEqual(r.ok && r.output, ["slow", "fast"]);
    const kids = (await engine.runs.list({ parentRunId: h.id })).runs;
    assert.equal(kids.length, 2, "no duplicate child on replay");
    const keys = (await engine.runs.steps(h.id)).map((s) => s.key).sort();
    assert.deepEqual(keys, ["triggerAndWait:child#1", "triggerAndWait:child#2"]);
    await engine.close();
  });

  it("logs are written once across suspensions and resumes", { timeout: 20_000 }, async () => {
    const t = defineTask({
      id: "t",
      run: async (_: void, ctx) => {
        ctx.log.info("before");
        await ctx.step("outer", (s) => {
          ctx.log.info("in outer");
          return s.step("inner", () => {
            ctx.log.info("in inner");
            return 1;
          });
        });
        await ctx.sleep("a", 20);
        ctx.log.info("between");
        await ctx.sleep("b", 20);
        ctx.log.info("end");
      },
    });
    const engine = await start([t]);
    const h = await engine.trigger(t, undefined);
    assert.ok((await engine.runs.wait(h.id, { timeoutMs: 15_000 })).ok);
    const logs = await engine.runs.logs(h.id);
    assert.deepEqual(logs.map((l) => l.message), ["before", "in outer", "in inner", "between", "end"]);
    await engine.close();
  });
});
