import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createContext, task, TaskCycleError, type Context, type Task } from "../../src/core/index.ts";

describe("cycles", () => {
  it("a task awaiting itself with the same input throws TaskCycleError instead of hanging", async () => {
    const self: Task<number, number> = task(async function selfish(ctx: Context, n: number): Promise<number> {
      return self.run(ctx, n);
    });
    await assert.rejects(self.run(createContext(), 1), (err: unknown) => {
      assert.ok(err instanceof TaskCycleError);
      assert.equal(err.name, "TaskCycleError");
      assert.deepEqual(err.path, ["selfish(1)", "selfish(1)"]);
      assert.equal(err.message, "task cycle: selfish(1) -> selfish(1)");
      return true;
    });
  });

  it("a -> b -> a names the path a(1) -> b(1) -> a(1)", async () => {
    const a: Task<number, number> = task({ id: "a", run: async (ctx, n: number): Promise<number> => b.run(ctx, n) });
    const b: Task<number, number> = task({ id: "b", run: async (ctx, n: number): Promise<number> => a.run(ctx, n) });
    await assert.rejects(a.run(createContext(), 1), (err: unknown) => {
      assert.ok(err instanceof TaskCycleError);
      assert.deepEqual(err.path, ["a(1)", "b(1)", "a(1)"]);
      assert.match(err.message, /a\(1\) -> b\(1\) -> a\(1\)/);
      return true;
    });
  });

  it("a longer cycle through ctx.all and object inputs is found too", async () => {
    const a: Task<{ k: number }, unknown> = task({ id: "a", run: async (ctx, q: { k: number }) => ctx.all([b.bind(q.k)]) });
    const b: Task<number, unknown> = task({ id: "b", run: async (ctx, n: number) => c.run(ctx, String(n)) });
    const c: Task<string, unknown> = task({ id: "c", run: async (ctx, s: string) => a.run(ctx, { k: Number(s) }) });
    await assert.rejects(a.run(createContext(), { k: 7 }), (err: unknown) => {
      assert.ok(err instanceof TaskCycleError);
      assert.deepEqual(err.path, ['a({"k":7})', "b(7)", 'c("7")', 'a({"k":7})']);
      return true;
    });
  });

  it("the same task with a different input is recursion, not a cycle", async () => {
    const fact: Task<number, number> = task(async function factorial(ctx: Context, n: number): Promise<number> {
      return n <= 1 ? 1 : n * (await fact.run(ctx, n - 1));
    });
    assert.equal(await fact.run(createContext(), 10), 3628800);
  });

  it("two independent callers of one pending entry (a diamond) are not a cycle", async () => {
    let leafCalls = 0;
    const leaf = task(async () => {
      leafCalls++;
      await new Promise((r) => setTimeout(r, 5));
      return 1;
    });
    const left = task(async (ctx) => leaf.run(ctx, undefined));
    const right = task(async (ctx) => leaf.run(ctx, undefined));
    const top = task(async (ctx) => ctx.all([left.bind(), right.bind()]));
    assert.deepEqual(await top.run(createContext(), undefined), [1, 1]);
    assert.equal(leafCalls, 1);
  });
});
