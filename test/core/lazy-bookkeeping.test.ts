/**
 * Edge cases of the lean entry: abort bookkeeping is recorded on every run but its controller and
 * listeners exist only once a task asks for its signal; `ctx.all` receives outcomes from the entries
 * themselves (a settled entry's cached outcome, or a delivery when a pending one settles) instead of
 * a `then` per task; `prime` with a promise makes a pending entry.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createContext, task, type Context } from "../../src/core/index.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A task whose runs wait for `release()`; `signals` are the signals its runs received (read late on demand). */
function gate<O>(value: O) {
  let release!: () => void;
  const opened = new Promise<void>((r) => (release = r));
  let calls = 0;
  let ctxSeen: Context | undefined;
  const t = task(async (ctx: Context, _n: number) => {
    calls++;
    ctxSeen = ctx;
    await opened;
    return value;
  });
  return { t, release, calls: () => calls, ctx: () => ctxSeen! };
}

describe("abort bookkeeping allocated late", () => {
  it("a signal first read after one of two callers aborted is not aborted; it aborts when the last one does", async () => {
    const g = gate("v");
    const boom = task(async () => {
      await sleep(1);
      throw new Error("boom");
    });
    const ac = new AbortController();
    const ctx = createContext({ signal: ac.signal });
    const all = ctx.all([g.t.bind(1), boom.bind()]); // first caller: the all's signal
    const direct = g.t.run(ctx, 1); // second caller: the context's signal
    await assert.rejects(all, { message: "boom" }); // the all's signal is now aborted
    const signal = g.ctx().signal; // first read: the controller is created now
    assert.equal(signal.aborted, false, "the context's caller still waits");
    const directRejected = assert.rejects(direct, (err) => err === "bye");
    ac.abort("bye");
    assert.equal(signal.aborted, true);
    assert.equal(signal.reason, "bye");
    await directRejected;
    g.release();
  });

  it("a signal first read after every caller aborted is already aborted", async () => {
    const g = gate("v");
    const ac = new AbortController();
    const ctx = createContext({ signal: ac.signal });
    const p1 = g.t.run(ctx, 1); // first caller: the context's signal
    // Second caller: another task's execution (its signal aborts with the context's).
    const viaOther = task(async (ctx: Context) => g.t.run(ctx, 1));
    const p2 = viaOther.run(ctx, undefined);
    await sleep(0);
    ac.abort("gone");
    await assert.rejects(p1, (err) => err === "gone");
    await assert.rejects(p2, (err) => err === "gone");
    const signal = g.ctx().signal; // first read: created already aborted
    assert.equal(signal.aborted, true);
    assert.equal(signal.reason, "gone");
    g.release();
  });

  it("a caller that cannot abort, joining after an abortable one, pins the run even if its signal is read late", async () => {
    const g = gate("v");
    const boom = task(async () => {
      await sleep(1);
      throw new Error("boom");
    });
    const ctx = createContext(); // no signal: its callers cannot abort
    const all = ctx.all([g.t.bind(1), boom.bind()]); // started for the all (abortable)
    const outside = g.t.run(ctx, 1); // joined by the root: pinned from now on
    await assert.rejects(all, { message: "boom" });
    assert.equal(g.ctx().signal.aborted, false, "first read after the all's signal aborted");
    g.release();
    assert.equal(await outside, "v");
    assert.equal(g.calls(), 1);
  });
});

describe("ctx.all outcomes delivered by the entries", () => {
  it("the same pending run twice in one all, and in two concurrent alls, fills every slot", async () => {
    const g = gate({ v: 1 });
    const ctx = createContext();
    const a = ctx.all([g.t.bind(1), g.t.bind(1), g.t.bind(1)]);
    const b = ctx.all([g.t.bind(1)]);
    const c = g.t.run(ctx, 1);
    g.release();
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    assert.equal(g.calls(), 1);
    assert.deepEqual(ra, [{ v: 1 }, { v: 1 }, { v: 1 }]);
    assert.equal(ra[0], rc);
    assert.equal(rb[0], rc);
  });

  it("a cached error rejects the all, and the siblings are started before their signal is aborted", async () => {
    let siblingRan = false;
    let siblingSignal: AbortSignal | undefined;
    const boom = task(async (_ctx: Context, _n: number) => {
      throw new Error("cached boom");
    });
    const sibling = task(async (ctx: Context, _n: number) => {
      siblingRan = true;
      siblingSignal = ctx.signal;
      await sleep(5);
      return "late";
    });
    const ctx = createContext();
    await assert.rejects(boom.run(ctx, 1), { message: "cached boom" });
    await assert.rejects(ctx.all([boom.bind(1), sibling.bind(1)]), { message: "cached boom" });
    assert.equal(siblingRan, true);
    assert.equal(siblingSignal?.aborted, true);
  });

  it("an input that cannot be keyed rejects the all with the TypeError; other tasks still start and are aborted", async () => {
    let otherSignal: AbortSignal | undefined;
    const takesAnything = task(async (_ctx: Context, _x: unknown) => "never");
    const other = task(async (ctx: Context, _n: number) => {
      otherSignal = ctx.signal;
      await sleep(5);
      return "other";
    });
    const ctx = createContext();
    const all = ctx.all([takesAnything.bind(() => {}), other.bind(1)]);
    await assert.rejects(all, (err: unknown) => err instanceof TypeError && /cannot key its input/.test(err.message));
    assert.equal(otherSignal?.aborted, true);
  });

  it("allSettled reports cached values and errors, and pending ones, in order", async () => {
    const ok = task(async (_ctx: Context, n: number) => n);
    const bad = task(async (_ctx: Context, n: number) => {
      throw new Error(`bad ${n}`);
    });
    const g = gate("slow");
    const ctx = createContext();
    await ok.run(ctx, 1);
    await assert.rejects(bad.run(ctx, 2));
    const p = ctx.allSettled([ok.bind(1), bad.bind(2), g.t.bind(3), bad.bind(2)]);
    g.release();
    const [r0, r1, r2, r3] = await p;
    assert.deepEqual(r0, { status: "fulfilled", value: 1 });
    assert.equal(r1.status === "rejected" && (r1.reason as Error).message, "bad 2");
    assert.deepEqual(r2, { status: "fulfilled", value: "slow" });
    assert.equal(r3.status === "rejected" && r3.reason, r1.status === "rejected" && r1.reason);
  });

  it("a task that aborts the context while the all is starting tasks stops the rest from running", async () => {
    const ac = new AbortController();
    let laterRan = false;
    const aborter = task((_ctx: Context, _n: number) => {
      ac.abort("stop");
      return "aborted it";
    });
    const later = task(async (_ctx: Context, _n: number) => {
      laterRan = true;
      return "later";
    });
    const ctx = createContext({ signal: ac.signal });
    await assert.rejects(ctx.all([aborter.bind(1), later.bind(1)]), (err) => err === "stop");
    assert.equal(laterRan, false);
  });
});

describe("prime with a promise", () => {
  it("is a pending entry until the promise settles; all and run get the value, not the promise", async () => {
    let calls = 0;
    const t = task(async (_ctx: Context, _n: number) => {
      calls++;
      return "computed";
    });
    let resolve!: (v: string) => void;
    const ctx = createContext();
    ctx.prime(t, 1, new Promise<string>((r) => (resolve = r)) as unknown as string);
    const all = ctx.all([t.bind(1)]);
    resolve("primed");
    assert.deepEqual(await all, ["primed"]);
    assert.equal(await t.run(ctx, 1), "primed");
    assert.deepEqual(await ctx.all([t.bind(1)]), ["primed"], "settled now: answered from the cached outcome");
    assert.equal(calls, 0);
  });

  it("a rejected promise is cached as the entry's error (and is not an unhandled rejection)", async () => {
    const t = task(async (_ctx: Context, _n: number) => "computed");
    const ctx = createContext();
    ctx.prime(t, 1, Promise.reject(new Error("primed error")) as unknown as string);
    await sleep(0);
    await assert.rejects(t.run(ctx, 1), { message: "primed error" });
    await assert.rejects(ctx.all([t.bind(1)]), { message: "primed error" });
  });
});

describe("one abort listener per signal", () => {
  it("every pending run and all of a context rejects when its signal aborts; settled ones keep their values", async () => {
    const never = task((_ctx: Context, _n: number) => new Promise<never>(() => {}));
    const quick = task(async (_ctx: Context, n: number) => n);
    const ac = new AbortController();
    const ctx = createContext({ signal: ac.signal });
    const done = await Promise.all(Array.from({ length: 50 }, (_, i) => quick.run(ctx, i)));
    const pending = Array.from({ length: 200 }, (_, i) => never.run(ctx, i));
    const alls = Array.from({ length: 20 }, (_, i) => ctx.all([never.bind(1000 + i), quick.bind(i)]));
    const rejected = [...pending, ...alls].map((p) => assert.rejects(p, (err) => err === "gone"));
    ac.abort("gone");
    await Promise.all(rejected);
    assert.deepEqual(done, Array.from({ length: 50 }, (_, i) => i));
    assert.equal(await quick.run(ctx, 7), 7, "settled entries still answer after the abort");
  });

  it("a run that settled before the abort is not rejected by it, and a later one on the same signal still is", async () => {
    const ac = new AbortController();
    const quick = task(async (_ctx: Context, n: number) => n);
    let release!: () => void;
    const slow = task(() => new Promise<string>((r) => (release = () => r("slow"))));
    const ctx = createContext({ signal: ac.signal });
    const first = quick.run(ctx, 1); // raced against the signal, settles first
    assert.equal(await first, 1);
    const second = slow.run(ctx, undefined);
    const rejected = assert.rejects(second, (err) => err === "late");
    ac.abort("late");
    await rejected;
    release();
  });
});
