import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createContext, task } from "../../src/core/index.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("abort of the context's signal", () => {
  it("a pending run rejects promptly with the signal's reason even when the task ignores the signal", async () => {
    let release!: () => void;
    const stubborn = task(async () => {
      await new Promise<void>((r) => (release = r)); // ignores ctx.signal
      return "late";
    });
    const ac = new AbortController();
    const ctx = createContext({ signal: ac.signal });
    const p = stubborn.run(ctx, undefined);
    const reason = new Error("client went away");
    const rejected = assert.rejects(p, (err) => err === reason);
    ac.abort(reason);
    // No timing bound: the task never finishes on its own until release(), so a rejection here
    // proves the caller did not wait for it.
    await rejected;
    release();
  });

  it("pending ctx.all rejects with the reason; the task's view signal is aborted too", async () => {
    let seen: AbortSignal | undefined;
    let release!: () => void;
    const t = task(async (ctx) => {
      seen = ctx.signal;
      await new Promise<void>((r) => (release = r));
    });
    const ac = new AbortController();
    const ctx = createContext({ signal: ac.signal });
    const p = ctx.all([t.bind()]);
    await sleep(0);
    ac.abort("stop");
    await assert.rejects(p, (err) => err === "stop");
    assert.equal(seen?.aborted, true);
    assert.equal(seen?.reason, "stop");
    release();
  });

  it("pending allSettled rejects with the reason", async () => {
    const t = task(() => new Promise<never>(() => {}));
    const ac = new AbortController();
    const p = createContext({ signal: ac.signal }).allSettled([t.bind()]);
    ac.abort("gone");
    await assert.rejects(p, (err) => err === "gone");
  });

  it("run, all and allSettled on an already aborted context reject at once without running", async () => {
    let calls = 0;
    const t = task(async () => ++calls);
    const ac = new AbortController();
    ac.abort(new Error("already"));
    const ctx = createContext({ signal: ac.signal });
    await assert.rejects(t.run(ctx, undefined), { message: "already" });
    await assert.rejects(ctx.all([t.bind()]), { message: "already" });
    await assert.rejects(ctx.allSettled([t.bind()]), { message: "already" });
    assert.equal(calls, 0);
  });

  it("the task receives a signal that aborts when the context aborts", async () => {
    const ac = new AbortController();
    const t = task(async (ctx) => {
      await new Promise((_r, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)));
    });
    const p = t.run(createContext({ signal: ac.signal }), undefined);
    ac.abort("bye");
    await assert.rejects(p, (err) => err === "bye");
  });

  it("an execution awaited by several callers is aborted only when every one of them aborted", async () => {
    let sawAbort: boolean | undefined;
    const shared = task(async (ctx, _n: number) => {
      await sleep(20);
      sawAbort = ctx.signal.aborted;
      return "shared";
    });
    const boom = task(async () => {
      await sleep(1);
      throw new Error("boom");
    });
    const viaOther = task(async (ctx) => shared.run(ctx, 1));
    const ac = new AbortController();
    const ctx = createContext({ signal: ac.signal });
    const other = viaOther.run(ctx, undefined); // a second, still interested caller
    await assert.rejects(ctx.all([shared.bind(1), boom.bind()]), { message: "boom" });
    assert.equal(await other, "shared");
    assert.equal(sawAbort, false);
  });

  it("after an abort, settled entries still answer from the cache; anything new rejects with the reason", async () => {
    let calls = 0;
    const t = task(async (_ctx, n: number) => {
      calls++;
      return n;
    });
    const ac = new AbortController();
    const ctx = createContext({ signal: ac.signal });
    assert.equal(await t.run(ctx, 1), 1);
    ac.abort("closed");
    assert.equal(await t.run(ctx, 1), 1);
    await assert.rejects(t.run(ctx, 2), (err) => err === "closed");
    assert.equal(calls, 1);
  });
});
