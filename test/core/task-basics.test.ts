import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createContext, task } from "../../src/core/index.ts";

describe("task definition", () => {
  it("task(fn) runs the function with the context view and the input", async () => {
    const seen: unknown[] = [];
    const double = task(async function double(ctx, n: number) {
      seen.push(typeof ctx.all, n);
      return n * 2;
    });
    assert.equal(double.name, "double");
    assert.equal(double.id, undefined);
    assert.equal(await double.run(createContext(), 21), 42);
    assert.deepEqual(seen, ["function", 21]);
  });

  it("task({ id, key, run }) uses the id as the name and the key option for entries", async () => {
    let calls = 0;
    const orders = task({
      id: "get-orders",
      key: (q: { userId: number; page?: number }) => String(q.userId),
      run: async (_ctx, q) => {
        calls++;
        return [`order-of-${q.userId}`];
      },
    });
    assert.equal(orders.id, "get-orders");
    assert.equal(orders.name, "get-orders");
    const ctx = createContext();
    assert.deepEqual(await orders.run(ctx, { userId: 1 }), ["order-of-1"]);
    // same key string (page is ignored by the key function) -> same entry
    assert.deepEqual(await orders.run(ctx, { userId: 1, page: 2 }), ["order-of-1"]);
    assert.equal(calls, 1);
    await orders.run(ctx, { userId: 2 });
    assert.equal(calls, 2);
  });

  it("a synchronous function works and its value is memoised", async () => {
    let calls = 0;
    const sync = task((_ctx, n: number) => {
      calls++;
      return n + 1;
    });
    const ctx = createContext();
    assert.equal(await sync.run(ctx, 1), 2);
    assert.equal(await sync.run(ctx, 1), 2);
    assert.equal(calls, 1);
  });

  it("rejects bad definitions with a TypeError naming the option", () => {
    assert.throws(() => task(42 as never), { name: "TypeError", message: /function or an options object/ });
    assert.throws(() => task({ id: "", run: async () => 1 }), { name: "TypeError", message: /`id`/ });
    assert.throws(() => task({ id: "x", run: 1 as never }), { name: "TypeError", message: /"x".*`run`/ });
    assert.throws(() => task({ id: "x", key: "k" as never, run: async () => 1 }), { name: "TypeError", message: /`key`/ });
  });

  it("a key function returning something other than a string or number is a TypeError", async () => {
    const t = task({ id: "bad-key", key: (_n: number) => ({}) as never, run: async (_ctx, n) => n });
    await assert.rejects(t.run(createContext(), 1), { name: "TypeError", message: /"bad-key".*`key`/ });
  });

  it("run() with something that is not a context rejects with a TypeError", async () => {
    const t = task(async function named() { return 1; });
    await assert.rejects(t.run({} as never, undefined), { name: "TypeError", message: /"named".*createContext/ });
  });

  it("bind(input) pairs the task with its input", () => {
    const t = task(async (_ctx, n: number) => n);
    const b = t.bind(7);
    assert.equal(b.task, t);
    assert.equal(b.input, 7);
  });
});

describe("createContext options", () => {
  it("validates its options with TypeErrors naming the option", () => {
    assert.throws(() => createContext({ signal: {} as never }), { name: "TypeError", message: /`signal`/ });
    assert.throws(() => createContext({ ttlMs: -1 }), { name: "TypeError", message: /`ttlMs`/ });
    assert.throws(() => createContext({ ttlMs: Number.NaN }), { name: "TypeError", message: /`ttlMs`/ });
    assert.throws(() => createContext({ ttlMs: "5" as never }), { name: "TypeError", message: /`ttlMs`/ });
    assert.throws(() => createContext({ maxEntries: 0 }), { name: "TypeError", message: /`maxEntries`/ });
    assert.throws(() => createContext({ maxEntries: Number.NaN }), { name: "TypeError", message: /`maxEntries`/ });
    assert.throws(() => createContext({ persist: 1 as never }), { name: "TypeError", message: /`persist`/ });
  });

  it("a context without a signal has a signal that never aborts", () => {
    const ctx = createContext();
    assert.ok(ctx.signal instanceof AbortSignal);
    assert.equal(ctx.signal.aborted, false);
  });
});

describe("once per context and input", () => {
  it("same input, same context: the function runs once and callers get the same promise", async () => {
    let calls = 0;
    const t = task(async (_ctx, n: number) => {
      calls++;
      return { n };
    });
    const ctx = createContext();
    const p1 = t.run(ctx, 1);
    const p2 = t.run(ctx, 1);
    assert.equal(p1, p2, "the promise itself is memoised");
    const [a, b] = await Promise.all([p1, p2]);
    assert.equal(a, b);
    assert.equal(await t.run(ctx, 1), a);
    assert.equal(calls, 1);
  });

  it("100 concurrent callers share one run", async () => {
    let calls = 0;
    const t = task(async (_ctx, id: string) => {
      calls++;
      await new Promise((r) => setTimeout(r, 5));
      return id.toUpperCase();
    });
    const ctx = createContext();
    const results = await Promise.all(Array.from({ length: 100 }, () => t.run(ctx, "x")));
    assert.equal(calls, 1);
    assert.ok(results.every((r) => r === "X"));
  });

  it("different contexts run again", async () => {
    let calls = 0;
    const t = task(async () => ++calls);
    assert.equal(await t.run(createContext(), undefined), 1);
    assert.equal(await t.run(createContext(), undefined), 2);
  });

  it("different inputs are separate runs; 1 and \"1\" are different inputs", async () => {
    const calls: unknown[] = [];
    const t = task(async (_ctx, x: unknown) => {
      calls.push(x);
      return typeof x;
    });
    const ctx = createContext();
    assert.equal(await t.run(ctx, 1), "number");
    assert.equal(await t.run(ctx, "1"), "string");
    assert.equal(await t.run(ctx, 2), "number");
    assert.equal(await t.run(ctx, true), "boolean");
    assert.equal(await t.run(ctx, null), "object");
    assert.equal(await t.run(ctx, undefined), "undefined");
    assert.equal(await t.run(ctx, 10n), "bigint");
    assert.equal(await t.run(ctx, 1), "number");
    assert.deepEqual(calls, [1, "1", 2, true, null, undefined, 10n]);
  });

  it("two tasks with the same input have separate entries", async () => {
    const a = task(async (_ctx, n: number) => `a${n}`);
    const b = task(async (_ctx, n: number) => `b${n}`);
    const ctx = createContext();
    assert.equal(await a.run(ctx, 1), "a1");
    assert.equal(await b.run(ctx, 1), "b1");
  });
});

describe("structural input keys", () => {
  it("plain objects with keys in a different order are the same entry", async () => {
    let calls = 0;
    const t = task(async (_ctx, q: { a: number; b: { c: number; d: number[] } }) => {
      calls++;
      return q.a;
    });
    const ctx = createContext();
    await t.run(ctx, { a: 1, b: { c: 2, d: [1, 2] } });
    await t.run(ctx, { b: { d: [1, 2], c: 2 }, a: 1 });
    assert.equal(calls, 1);
  });

  it("structurally different objects and arrays are different entries", async () => {
    const seen: unknown[] = [];
    const t = task(async (_ctx, q: unknown) => {
      seen.push(q);
      return seen.length;
    });
    const ctx = createContext();
    const inputs = [[1, 2], [2, 1], [1, "2"], { a: 1 }, { a: "1" }, { a: [1] }, ["a", 1], "[1,2]", { a: 1, b: undefined }];
    for (const q of inputs) await t.run(ctx, q);
    assert.equal(seen.length, inputs.length);
    // a second pass hits the cache for every one of them
    for (const q of inputs) await t.run(ctx, structuredClone(q));
    assert.equal(seen.length, inputs.length);
  });

  it("Dates are keyed by their time; null-prototype objects are plain objects", async () => {
    let calls = 0;
    const t = task(async (_ctx, _q: unknown) => ++calls);
    const ctx = createContext();
    await t.run(ctx, { at: new Date(1000) });
    await t.run(ctx, { at: new Date(1000) });
    assert.equal(calls, 1);
    await t.run(ctx, { at: new Date(2000) });
    assert.equal(calls, 2);
    const bare = Object.assign(Object.create(null) as object, { x: 1 });
    await t.run(ctx, bare);
    await t.run(ctx, { x: 1 });
    assert.equal(calls, 3);
  });

  it("un-keyable inputs are a TypeError naming the task and what was wrong, and create no entry", async () => {
    let calls = 0;
    const t = task({ id: "load-thing", run: async (_ctx, _q: unknown) => ++calls });
    const ctx = createContext();
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic["self"] = cyclic;
    const cases: [unknown, RegExp][] = [
      [() => 1, /function/],
      [Symbol("s"), /symbol/],
      [{ f: () => 1 }, /input\.f is a function/],
      [cyclic, /circular/],
      [[1, [Symbol.iterator]], /symbol/],
      [new Map(), /Map/],
      [{ when: new (class Point {})() }, /Point/],
    ];
    for (const [input, why] of cases) {
      await assert.rejects(t.run(ctx, input), (err: unknown) => {
        assert.ok(err instanceof TypeError);
        assert.match(err.message, /"load-thing"/);
        assert.match(err.message, why);
        return true;
      });
    }
    assert.equal(calls, 0, "the function never ran for an un-keyable input");
  });

  it("the same object shared twice (not a cycle) is keyable", async () => {
    const t = task(async (_ctx, q: unknown) => q);
    const shared = { x: 1 };
    const q = { a: shared, b: shared };
    assert.equal(await t.run(createContext(), q), q);
  });
});

describe("key edge cases", () => {
  it("a string input cannot collide with an object input's structural key", async () => {
    const t = task(async (_ctx, q: unknown) => (typeof q === "string" ? "string" : "array"));
    const ctx = createContext();
    assert.equal(await t.run(ctx, [1, 2]), "array");
    assert.equal(await t.run(ctx, "\u0000[1,2]"), "string");
    assert.equal(await t.run(ctx, "\u0000" + JSON.stringify("\u0000[1,2]")), "string");
  });
});

describe("cache slots (one entry per task, then many)", () => {
  it("NaN is one input; 0 and -0 are the same input", async () => {
    const calls: number[] = [];
    const t = task(async (_ctx, n: number) => {
      calls.push(n);
      return n;
    });
    const ctx = createContext();
    await t.run(ctx, Number.NaN);
    await t.run(ctx, Number.NaN);
    await t.run(ctx, 0);
    await t.run(ctx, -0);
    await t.run(ctx, Number.NaN);
    assert.equal(calls.length, 2);
  });

  it("entries survive the move from one entry to many and back through clear", async () => {
    let calls = 0;
    const t = task(async (_ctx, n: number) => `${n}#${++calls}`);
    const ctx = createContext();
    assert.equal(await t.run(ctx, 1), "1#1");
    assert.equal(await t.run(ctx, 2), "2#2"); // second entry
    assert.equal(await t.run(ctx, 1), "1#1");
    ctx.clear(t, 1);
    assert.equal(await t.run(ctx, 2), "2#2");
    ctx.clear(t, 2);
    assert.equal(await t.run(ctx, 2), "2#3");
    assert.equal(await t.run(ctx, 1), "1#4");
    ctx.clear(t);
    assert.equal(await t.run(ctx, 1), "1#5");
    ctx.clear(t, 1); // the only entry
    assert.equal(await t.run(ctx, 1), "1#6");
    ctx.clear();
    assert.equal(await t.run(ctx, 1), "1#7");
  });
});
