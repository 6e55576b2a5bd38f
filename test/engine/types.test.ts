// Type tests of typed results: checked by `tsc --noEmit` (part of `npm test`). A `@ts-expect-error`
// that no longer finds an error fails the type check, so each one proves a wrong type does not compile.
// The runs also execute, so the values behind the types are checked too.
import { it } from "node:test";
import assert from "node:assert/strict";
import { createEngine, defineTask, type RunHandle, type TaskResult } from "errand";
import { sqliteStore } from "errand/sqlite";
import { tempDb } from "../support/temp.ts";

const report = defineTask({ id: "report", run: async (p: { userId: string }) => ({ userId: p.userId, lines: 3 }) });
const count = defineTask({ id: "count", run: (p: { text: string }) => p.text.length });
const parent = defineTask({
  id: "parent",
  run: async (_: void, ctx) => {
    const child = await ctx.triggerAndWait(report, { userId: "u1" });
    const lines: number = child.ok ? child.output.lines : 0;
    // @ts-expect-error — the child's output is { userId, lines }, not a string
    const wrong: string = child.ok ? child.output : "";
    const many = await ctx.batchTriggerAndWait(count, [{ text: "ab" }, { text: "abc" }]);
    const sizes: number[] = many.map((r) => r.unwrap());
    // @ts-expect-error — count's output is a number
    const wrongSizes: string[] = many.map((r) => r.unwrap());
    const handle = await ctx.trigger(count, { text: "x" });
    const typed: RunHandle<number> = handle;
    // @ts-expect-error — the handle carries count's output type (number), not report's
    const mistyped: RunHandle<{ lines: number }> = handle;
    return { lines, sizes, wrong: typeof wrong, wrongSizes: wrongSizes.length, typed: typed.taskId, mistyped: mistyped.taskId };
  },
});

it("trigger handles carry the task's output type; runs.wait and ctx.triggerAndWait return it (checked at compile time)", { timeout: 30_000 }, async () => {
  const engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks: [report, count, parent] });
  const worker = engine.worker({ pollIntervalMs: 10, concurrency: 4 });
  await worker.start();
  try {
    const handle = await engine.trigger(report, { userId: "u2" });
    const result = await engine.runs.wait(handle, { timeoutMs: 10_000 });
    const lines: number = result.unwrap().lines;
    const userId: string = result.ok ? result.output.userId : "";
    // @ts-expect-error — output is { userId: string; lines: number }: it has no `total`
    const total = result.ok ? result.output.total : 0;
    // @ts-expect-error — the trigger checks the payload type too
    await engine.trigger(report, { user: "u2" }).catch(() => null);
    assert.deepEqual([lines, userId, total], [3, "u2", undefined]);

    // A plain id string gives `unknown`: it must be narrowed (or typed by hand) before use.
    const byId = await engine.runs.wait(handle.id, { timeoutMs: 10_000 });
    const out: unknown = byId.ok ? byId.output : null;
    // @ts-expect-error — output of a wait by id is unknown
    const noLines: number = byId.ok ? byId.output.lines : 0;
    assert.deepEqual([out, noLines], [{ userId: "u2", lines: 3 }, 3]);
    const named: TaskResult<{ lines: number }> = await engine.runs.wait<{ lines: number }>(handle.id);
    assert.equal(named.unwrap().lines, 3);

    // Triggering by id gives an untyped handle, so its wait is unknown too.
    const untyped = await engine.runs.wait(await engine.trigger("count", { text: "four" }), { timeoutMs: 10_000 });
    // @ts-expect-error — unknown output: not a number without a check
    const four: number = untyped.unwrap();
    assert.equal(four, 4);

    const batch = await engine.batchTrigger(count, [{ text: "a" }, { text: "bb" }]);
    const batchResults = await Promise.all(batch.map((h) => engine.runs.wait(h, { timeoutMs: 10_000 })));
    const lengths: number[] = batchResults.map((r) => r.unwrap());
    assert.deepEqual(lengths, [1, 2]);

    const executed = await engine.execute(count, { text: "hello" });
    const five: number = executed.unwrap();
    assert.equal(five, 5);

    const p = await engine.runs.wait(await engine.trigger(parent, undefined), { timeoutMs: 20_000 });
    const summary: { lines: number; sizes: number[] } = p.unwrap();
    assert.deepEqual(p.unwrap(), { lines: 3, sizes: [2, 3], wrong: "object", wrongSizes: 2, typed: "count", mistyped: "count" });
    assert.equal(summary.lines, 3);
  } finally {
    await worker.stop();
    await engine.close();
  }
});
