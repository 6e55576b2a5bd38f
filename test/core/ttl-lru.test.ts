import { afterEach, beforeEach, describe, it, mock } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createContext, task } from "../../src/core/index.ts";

// The clock is node:test's fake Date (deterministic, no sleeping); the cache under test is real.
beforeEach(() => mock.timers.enable({ apis: ["Date"], now: 1_000_000 }));
afterEach(() => mock.timers.reset());
const advance = (ms: number) => mock.timers.tick(ms);

function counter() {
  const calls: unknown[] = [];
  const t = task(async (_ctx, n: number) => {
    calls.push(n);
    return { n, call: calls.length };
  });
  return { t, calls };
}

describe("TTL", () => {
  it("an entry expires ttlMs after it was created, not after it was last used", async () => {
    const { t, calls } = counter();
    const ctx = createContext({ ttlMs: 100 });
    const first = await t.run(ctx, 1);
    advance(60);
    assert.equal(await t.run(ctx, 1), first, "still fresh at 60 ms");
    advance(39);
    assert.equal(await t.run(ctx, 1), first, "still fresh at 99 ms (the hit at 60 ms did not extend it)");
    advance(1);
    const second = await t.run(ctx, 1);
    assert.notEqual(second, first, "expired at 100 ms");
    assert.deepEqual(calls, [1, 1]);
  });

  it("ttlMs: 0 never expires", async () => {
    const { t, calls } = counter();
    const ctx = createContext({ ttlMs: 0 });
    const first = await t.run(ctx, 1);
    advance(365 * 24 * 3600 * 1000);
    assert.equal(await t.run(ctx, 1), first);
    assert.equal(calls.length, 1);
  });

  it("an expired error is retried and can succeed", async () => {
    let attempts = 0;
    const flaky = task(async (_ctx, _n: number) => {
      attempts++;
      if (attempts === 1) throw new Error("first attempt fails");
      return "ok";
    });
    const ctx = createContext({ ttlMs: 50 });
    await assert.rejects(flaky.run(ctx, 1), { message: "first attempt fails" });
    await assert.rejects(flaky.run(ctx, 1), { message: "first attempt fails" }, "the error is cached");
    assert.equal(attempts, 1);
    advance(50);
    assert.equal(await flaky.run(ctx, 1), "ok");
    assert.equal(attempts, 2);
  });

  it("a pending run does not expire: a caller after the TTL joins it instead of starting another", async () => {
    let release!: (v: string) => void;
    let calls = 0;
    const slow = task(() => {
      calls++;
      return new Promise<string>((r) => (release = r));
    });
    const ctx = createContext({ ttlMs: 10 });
    const p1 = slow.run(ctx, undefined);
    advance(1000);
    const p2 = slow.run(ctx, undefined);
    release("done");
    assert.deepEqual(await Promise.all([p1, p2]), ["done", "done"]);
    assert.equal(calls, 1);
  });

  it("expired entries are cleaned lazily by later calls, so their values can be collected", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const big = task(async (_ctx, n: number) => ({ n, payload: new Array(1000).fill(n) }));
    const ctx = createContext({ ttlMs: 10 });
    const refs: WeakRef<object>[] = [];
    for (let i = 0; i < 20; i++) refs.push(new WeakRef(await big.run(ctx, i)));
    advance(10);
    // 20 other misses: each sweeps a couple of expired entries off the front of the creation queue.
    for (let i = 100; i < 120; i++) await big.run(ctx, i);
    await new Promise((r) => setImmediate(r));
    gc();
    const alive = refs.filter((r) => r.deref() !== undefined).length;
    assert.equal(alive, 0, `${alive} expired values are still held by the cache`);
  });
});

describe("maxEntries (LRU)", () => {
  it("evicts the least recently used entry; a hit counts as a use", async () => {
    const { t, calls } = counter();
    const ctx = createContext({ maxEntries: 2 });
    await t.run(ctx, 1);
    await t.run(ctx, 2);
    await t.run(ctx, 1); // 1 is now more recent than 2
    await t.run(ctx, 3); // evicts 2
    assert.deepEqual(calls, [1, 2, 3]);
    await t.run(ctx, 1); // still cached
    assert.deepEqual(calls, [1, 2, 3]);
    await t.run(ctx, 2); // evicted: runs again (and evicts 3)
    assert.deepEqual(calls, [1, 2, 3, 2]);
    await t.run(ctx, 3);
    assert.deepEqual(calls, [1, 2, 3, 2, 3]);
  });

  it("never evicts a pending entry (that would start a second run of the same key)", async () => {
    let release!: () => void;
    let slowCalls = 0;
    const slow = task(() => {
      slowCalls++;
      return new Promise<string>((r) => (release = () => r("slow")));
    });
    const { t } = counter();
    const ctx = createContext({ maxEntries: 1 });
    const p = slow.run(ctx, undefined);
    await t.run(ctx, 1);
    await t.run(ctx, 2);
    const again = slow.run(ctx, undefined);
    release();
    assert.deepEqual(await Promise.all([p, again]), ["slow", "slow"]);
    assert.equal(slowCalls, 1);
  });

  it("bounds the number of entries across tasks", async () => {
    const a = counter();
    const b = counter();
    const ctx = createContext({ maxEntries: 3 });
    for (let i = 0; i < 10; i++) {
      await a.t.run(ctx, i);
      await b.t.run(ctx, i);
    }
    // the three most recent: b(9), a(9), b(8) are cached; a(0) is not
    await a.t.run(ctx, 9);
    await b.t.run(ctx, 9);
    await b.t.run(ctx, 8);
    assert.equal(a.calls.length, 10);
    assert.equal(b.calls.length, 10);
    await a.t.run(ctx, 0);
    assert.equal(a.calls.length, 11);
  });
});
