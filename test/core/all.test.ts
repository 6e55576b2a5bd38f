import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createContext, task, type Context } from "../../src/core/index.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
function sleepOr(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

describe("ctx.all", () => {
  it("runs bound tasks concurrently and resolves to a tuple in order", async () => {
    let running = 0;
    let maxRunning = 0;
    const slow = task(async (_ctx, n: number) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(10);
      running--;
      return n * 10;
    });
    const name = task(async (_ctx, id: string) => `name-${id}`);
    const ctx = createContext();
    const [a, b, c] = await ctx.all([slow.bind(1), name.bind("x"), slow.bind(2)]);
    assert.deepEqual([a, b, c], [10, "name-x", 20]);
    assert.equal(maxRunning, 2, "the two slow tasks overlapped");
  });

  it("an empty list resolves to an empty array", async () => {
    assert.deepEqual(await createContext().all([]), []);
  });

  it("shares entries with run(): a task already run is not run again", async () => {
    let calls = 0;
    const t = task(async (_ctx, n: number) => {
      calls++;
      return n;
    });
    const ctx = createContext();
    await t.run(ctx, 1);
    const [x, y] = await ctx.all([t.bind(1), t.bind(1)]);
    assert.deepEqual([x, y], [1, 1]);
    assert.equal(calls, 1);
  });

  it("rejects with the first error by completion time, not by position", async () => {
    const fail = task(async (_ctx, [ms, msg]: [number, string]) => {
      await sleep(ms);
      throw new Error(msg);
    });
    const ctx = createContext();
    await assert.rejects(ctx.all([fail.bind([30, "late"]), fail.bind([1, "early"])]), { message: "early" });
  });

  it("aborts the siblings' signals when one fails", async () => {
    let siblingSignal: AbortSignal | undefined;
    const sibling = task(async (ctx, _n: number) => {
      siblingSignal = ctx.signal;
      await sleepOr(5_000, ctx.signal);
      return "done";
    });
    const boom = task(async () => {
      await sleep(1);
      throw new Error("boom");
    });
    const ctx = createContext();
    await assert.rejects(ctx.all([sibling.bind(1), boom.bind()]), { message: "boom" });
    assert.ok(siblingSignal, "sibling started");
    assert.equal(siblingSignal.aborted, true);
    assert.equal((siblingSignal.reason as Error).name, "AbortError");
  });

  it("a sibling aborted by a failed all leaves no cached abort error: a later run computes again", async () => {
    let calls = 0;
    const sibling = task(async (ctx, n: number) => {
      calls++;
      if (calls === 1) await sleepOr(5_000, ctx.signal);
      return n * 2;
    });
    const boom = task(async () => {
      await sleep(1);
      throw new Error("boom");
    });
    const ctx = createContext();
    await assert.rejects(ctx.all([sibling.bind(4), boom.bind()]), { message: "boom" });
    await sleep(0); // let the sibling's abort settle
    assert.equal(await sibling.run(ctx, 4), 8);
    assert.equal(calls, 2);
    // the failing task's own error stays cached
    await assert.rejects(boom.run(ctx, undefined), { message: "boom" });
  });

  it("a sibling also awaited by an outside caller is not aborted by the failed all", async () => {
    let sawAbort = false;
    const shared = task(async (ctx, _n: number) => {
      await sleep(20);
      sawAbort = ctx.signal.aborted;
      return "shared";
    });
    const boom = task(async () => {
      await sleep(1);
      throw new Error("boom");
    });
    const ctx = createContext();
    const outside = shared.run(ctx, 1); // the root context cannot abort: the entry is pinned
    await assert.rejects(ctx.all([shared.bind(1), boom.bind()]), { message: "boom" });
    assert.equal(await outside, "shared");
    assert.equal(sawAbort, false);
  });

  it("nested: tasks can call ctx.all on the view they receive", async () => {
    let authCalls = 0;
    const auth = task(async () => {
      authCalls++;
      await sleep(2);
      return "token";
    });
    const a = task(async (ctx: Context, n: number) => `${await auth.run(ctx, undefined)}:${n}`);
    const outer = task(async (ctx: Context, n: number) => ctx.all([a.bind(n), a.bind(n + 1)]));
    const ctx = createContext();
    assert.deepEqual(await outer.run(ctx, 1), ["token:1", "token:2"]);
    assert.equal(authCalls, 1);
  });
});

describe("ctx.allSettled", () => {
  it("resolves to one settled result per task, in order, and never rejects for a task error", async () => {
    const maybe = task(async (_ctx, n: number) => {
      if (n % 2 === 1) throw new Error(`odd ${n}`);
      return n;
    });
    const ctx = createContext();
    const [r0, r1, r2] = await ctx.allSettled([maybe.bind(0), maybe.bind(1), maybe.bind(2)]);
    assert.deepEqual(r0, { status: "fulfilled", value: 0 });
    assert.equal(r1.status, "rejected");
    assert.equal(r1.status === "rejected" && (r1.reason as Error).message, "odd 1");
    assert.deepEqual(r2, { status: "fulfilled", value: 2 });
  });

  it("does not abort siblings when one fails", async () => {
    let aborted: boolean | undefined;
    const slow = task(async (ctx) => {
      await sleep(15);
      aborted = ctx.signal.aborted;
      return "slow";
    });
    const boom = task(async () => {
      throw new Error("boom");
    });
    const [s, b] = await createContext().allSettled([slow.bind(), boom.bind()]);
    assert.equal(s.status, "fulfilled");
    assert.equal(b.status, "rejected");
    assert.equal(aborted, false);
  });
});
