import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createContext, task } from "../../src/core/index.ts";

describe("errors and odd results", () => {
  it("errors are cached like values: the function is not called again", async () => {
    let calls = 0;
    const err = new Error("not found");
    const t = task(async (_ctx, _id: number) => {
      calls++;
      throw err;
    });
    const ctx = createContext();
    await assert.rejects(t.run(ctx, 1), (e) => e === err);
    await assert.rejects(t.run(ctx, 1), (e) => e === err);
    assert.equal(calls, 1);
  });

  it("a synchronous throw becomes a rejected promise, never a synchronous throw from run()", async () => {
    const t = task((_ctx, _n: number): number => {
      throw new RangeError("sync");
    });
    const ctx = createContext();
    let p: Promise<number> | undefined;
    assert.doesNotThrow(() => (p = t.run(ctx, 1)));
    await assert.rejects(p!, RangeError);
  });

  it("a thrown non-Error value is passed through as-is and cached", async () => {
    let calls = 0;
    const values: unknown[] = ["a string", 42, undefined, null, { code: "E_X" }];
    const t = task(async (_ctx, i: number) => {
      calls++;
      throw values[i];
    });
    const ctx = createContext();
    for (let i = 0; i < values.length; i++) {
      for (let round = 0; round < 2; round++) {
        await t.run(ctx, i).then(
          () => assert.fail("should reject"),
          (reason: unknown) => assert.equal(reason, values[i]),
        );
      }
    }
    assert.equal(calls, values.length);
  });

  it("a task returning undefined is cached like any value", async () => {
    let calls = 0;
    const t = task(async (_ctx, _n: number) => {
      calls++;
    });
    const ctx = createContext();
    assert.equal(await t.run(ctx, 1), undefined);
    assert.equal(await t.run(ctx, 1), undefined);
    const [x] = await ctx.all([t.bind(1)]);
    assert.equal(x, undefined);
    assert.equal(calls, 1);
  });

  it("a task returning null or 0 is cached (falsy values are values)", async () => {
    let calls = 0;
    const t = task((_ctx, n: number) => {
      calls++;
      return n === 0 ? null : 0;
    });
    const ctx = createContext();
    assert.equal(await t.run(ctx, 0), null);
    assert.equal(await t.run(ctx, 1), 0);
    assert.equal(await t.run(ctx, 0), null);
    assert.equal(calls, 2);
  });
});

describe("ctx.clear", () => {
  function counted() {
    let calls = 0;
    const t = task(async (_ctx, n: number) => `${n}#${++calls}`);
    return { t, calls: () => calls };
  }

  it("clear(task, input) forgets one entry", async () => {
    const { t } = counted();
    const ctx = createContext();
    assert.equal(await t.run(ctx, 1), "1#1");
    assert.equal(await t.run(ctx, 2), "2#2");
    ctx.clear(t, 1);
    assert.equal(await t.run(ctx, 1), "1#3");
    assert.equal(await t.run(ctx, 2), "2#2");
  });

  it("clear(task, input) with an object input uses the structural key", async () => {
    let calls = 0;
    const t = task(async (_ctx, _q: { a: number; b: number }) => ++calls);
    const ctx = createContext();
    await t.run(ctx, { a: 1, b: 2 });
    ctx.clear(t, { b: 2, a: 1 });
    assert.equal(await t.run(ctx, { a: 1, b: 2 }), 2);
  });

  it("clear(task, undefined) forgets the entry of input undefined only", async () => {
    let calls = 0;
    const t = task(async (_ctx, n: number | undefined) => `${String(n)}#${++calls}`);
    const ctx = createContext();
    await t.run(ctx, undefined);
    await t.run(ctx, 1);
    ctx.clear(t, undefined);
    assert.equal(await t.run(ctx, undefined), "undefined#3");
    assert.equal(await t.run(ctx, 1), "1#2");
  });

  it("clear(task) forgets every entry of that task only", async () => {
    const a = counted();
    const b = counted();
    const ctx = createContext();
    await a.t.run(ctx, 1);
    await a.t.run(ctx, 2);
    await b.t.run(ctx, 1);
    ctx.clear(a.t);
    assert.equal(await a.t.run(ctx, 1), "1#3");
    assert.equal(await a.t.run(ctx, 2), "2#4");
    assert.equal(await b.t.run(ctx, 1), "1#1");
  });

  it("clear() forgets everything", async () => {
    const a = counted();
    const b = counted();
    const ctx = createContext({ ttlMs: 60_000, maxEntries: 10 });
    await a.t.run(ctx, 1);
    await b.t.run(ctx, 1);
    ctx.clear();
    assert.equal(await a.t.run(ctx, 1), "1#2");
    assert.equal(await b.t.run(ctx, 1), "1#2");
  });

  it("clearing a pending entry lets the next call start a new run; the first callers still get theirs", async () => {
    let release!: (v: string) => void;
    let calls = 0;
    const t = task(() => {
      calls++;
      return calls === 1 ? new Promise<string>((r) => (release = r)) : Promise.resolve("second");
    });
    const ctx = createContext();
    const first = t.run(ctx, undefined);
    ctx.clear(t, undefined);
    assert.equal(await t.run(ctx, undefined), "second");
    release("first");
    assert.equal(await first, "first");
    assert.equal(await t.run(ctx, undefined), "second", "the old run settling does not overwrite the new entry");
  });

  it("clear with an un-keyable input throws a TypeError naming the task", () => {
    const t = task({ id: "typed", run: async (_ctx, _x: unknown) => 1 });
    assert.throws(() => createContext().clear(t, () => 1), { name: "TypeError", message: /"typed"/ });
  });
});

describe("ctx.prime", () => {
  it("stores a value: run returns it without calling the function", async () => {
    let calls = 0;
    const t = task(async (_ctx, id: number) => {
      calls++;
      return { id, source: "db" };
    });
    const ctx = createContext();
    const primed = { id: 1, source: "primed" };
    ctx.prime(t, 1, primed);
    assert.equal(await t.run(ctx, 1), primed);
    const [v] = await ctx.all([t.bind(1)]);
    assert.equal(v, primed);
    assert.equal(calls, 0);
    assert.deepEqual(await t.run(ctx, 2), { id: 2, source: "db" });
  });

  it("does not overwrite an existing entry (pending or settled); clear then prime does", async () => {
    const t = task(async (_ctx, id: number) => `db-${id}`);
    const ctx = createContext();
    const pending = t.run(ctx, 1);
    ctx.prime(t, 1, "primed");
    assert.equal(await pending, "db-1");
    assert.equal(await t.run(ctx, 1), "db-1");
    ctx.clear(t, 1);
    ctx.prime(t, 1, "primed");
    assert.equal(await t.run(ctx, 1), "primed");
  });

  it("primed values respect maxEntries", async () => {
    let calls = 0;
    const t = task(async (_ctx, id: number) => {
      calls++;
      return `db-${id}`;
    });
    const ctx = createContext({ maxEntries: 2 });
    ctx.prime(t, 1, "p1");
    ctx.prime(t, 2, "p2");
    ctx.prime(t, 3, "p3"); // evicts 1
    assert.equal(await t.run(ctx, 3), "p3");
    assert.equal(await t.run(ctx, 1), "db-1");
    assert.equal(calls, 1);
  });

  it("prime with an un-keyable input throws a TypeError and stores nothing", () => {
    const t = task({ id: "primed-task", run: async (_ctx, _x: unknown) => 1 });
    assert.throws(() => createContext().prime(t, Symbol("x"), 1), { name: "TypeError", message: /"primed-task"/ });
  });
});
