import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createContext, extendContext, task, type Context, type PersistHook } from "../../src/core/index.ts";

describe("persist hook (advanced, used by durable runs)", () => {
  function recordingPersist() {
    const calls: [string, string][] = [];
    const store = new Map<string, unknown>();
    const persist: PersistHook = async <T>(taskId: string, inputKey: string, compute: () => Promise<T>): Promise<T> => {
      calls.push([taskId, inputKey]);
      const k = `task:${taskId}:${inputKey}`;
      if (store.has(k)) return store.get(k) as T;
      const v = await compute();
      store.set(k, v);
      return v;
    };
    return { calls, store, persist };
  }

  it("a task with an id computes through persist(id, structural key, compute)", async () => {
    const { calls, store, persist } = recordingPersist();
    let runs = 0;
    const t = task({ id: "load", run: async (_ctx, q: { b: number; a: number }) => ({ sum: q.a + q.b, run: ++runs }) });
    const ctx = createContext({ persist });
    assert.deepEqual(await t.run(ctx, { b: 2, a: 1 }), { sum: 3, run: 1 });
    assert.deepEqual(await t.run(ctx, { a: 1, b: 2 }), { sum: 3, run: 1 }, "still memoised in the context");
    assert.deepEqual(calls, [["load", '{"a":1,"b":2}']]);
    assert.deepEqual([...store.keys()], ['task:load:{"a":1,"b":2}']);
    // a replay: a new context with the same store returns the stored value without running
    assert.deepEqual(await t.run(createContext({ persist }), { a: 1, b: 2 }), { sum: 3, run: 1 });
    assert.equal(runs, 1);
  });

  it("primitive inputs are stored by their structural text (1 and \"1\" stay apart)", async () => {
    const { calls, persist } = recordingPersist();
    const t = task({ id: "p", run: async (_ctx, x: unknown) => typeof x });
    const ctx = createContext({ persist });
    assert.equal(await t.run(ctx, 1), "number");
    assert.equal(await t.run(ctx, "1"), "string");
    assert.deepEqual(calls, [["p", "1"], ["p", '"1"']]);
  });

  it("with a key option, the stored key is the key option's value (the input need not be keyable)", async () => {
    const { calls, persist } = recordingPersist();
    class Query {
      constructor(readonly id: number) {}
    }
    const t = task({ id: "q", key: (q: Query) => q.id, run: async (_ctx, q) => q.id * 2 });
    assert.equal(await t.run(createContext({ persist }), new Query(21)), 42);
    assert.deepEqual(calls, [["q", "21"]]);
  });

  it("tasks without an id ignore persist", async () => {
    const { calls, persist } = recordingPersist();
    const t = task(async (_ctx, n: number) => n + 1);
    assert.equal(await t.run(createContext({ persist }), 1), 2);
    assert.deepEqual(calls, []);
  });

  it("an error from persist is the task's error", async () => {
    const persist: PersistHook = async () => {
      throw new Error("store unavailable");
    };
    const t = task({ id: "x", run: async () => 1 });
    await assert.rejects(t.run(createContext({ persist }), undefined), { message: "store unavailable" });
  });
});

describe("extendContext", () => {
  it("adds members to the context object, which still works with run and all", async () => {
    const ctx = createContext();
    const extended = extendContext(ctx, { runId: "r1", log: (m: string) => m.toUpperCase() });
    assert.equal(extended, ctx, "the same object");
    assert.equal(extended.runId, "r1");
    assert.equal(extended.log("hi"), "HI");
    const t = task(async (_c: Context, n: number) => n * 2);
    assert.equal(await t.run(extended, 2), 4);
    assert.deepEqual(await extended.all([t.bind(3)]), [6]);
    assert.equal(extended.signal.aborted, false);
  });

  it("refuses names the context already has and objects that are not contexts", () => {
    const ctx = createContext();
    for (const name of ["signal", "all", "allSettled", "clear", "prime"]) {
      assert.throws(() => extendContext(ctx, { [name]: 1 }), { name: "TypeError", message: new RegExp(`\`${name}\``) });
    }
    assert.throws(() => extendContext({} as Context, { a: 1 }), { name: "TypeError", message: /createContext/ });
  });
});
