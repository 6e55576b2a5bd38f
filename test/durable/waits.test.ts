/** Issue 4: sleeps free the slot, child runs without deadlock, events, cancel of a waiting run. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEngine, defineTask } from "errand";
import { sqliteStore } from "errand/sqlite";
import { sleep, tempDb, until } from "../support/temp.ts";

describe("waiting without a slot", () => {
  it("ctx.sleep 2 s on a worker of concurrency 1: another run executes meanwhile, the first resumes on time", { timeout: 30_000 }, async () => {
    const events: string[] = [];
    const sleeper = defineTask({
      id: "sleeper",
      run: async (_: void, ctx) => {
        const t0 = await ctx.step("t0", () => Date.now());
        events.push("sleeper:before");
        await ctx.sleep("nap", { seconds: 2 });
        events.push("sleeper:after");
        return Date.now() - t0;
      },
    });
    const quick = defineTask({ id: "quick", run: async () => void events.push("quick") });
    const engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks: [sleeper, quick] });
    await engine.worker({ concurrency: 1, pollIntervalMs: 20 }).start();
    const a = await engine.trigger(sleeper, undefined);
    await until(async () => (await engine.runs.get(a.id))?.status === "waiting", "the sleeper waits");
    const b = await engine.trigger(quick, undefined);
    await engine.runs.wait(b.id, { timeoutMs: 1500 });
    assert.deepEqual(events, ["sleeper:before", "quick"], "the other run ran during the sleep");
    const r = await engine.runs.wait(a.id, { timeoutMs: 10_000 });
    assert.ok(r.ok);
    assert.ok((r.output as number) >= 1950, `resumed after ≈2 s (${String(r.output)} ms)`);
    assert.deepEqual(events, ["sleeper:before", "quick", "sleeper:before", "sleeper:after"]);
    await engine.close();
  });

  it("a parent batchTriggerAndWait-ing 20 children on a queue limited to 2, worker concurrency 2, completes", { timeout: 60_000 }, async () => {
    const child = defineTask({
      id: "child",
      queue: { name: "children", concurrencyLimit: 2 },
      run: async (p: { n: number }) => p.n * p.n,
    });
    const parent = defineTask({
      id: "parent",
      queue: { name: "children", concurrencyLimit: 2 },
      run: async (_: void, ctx) => {
        const results = await ctx.batchTriggerAndWait(child, Array.from({ length: 20 }, (_, n) => ({ n })));
        const one = await ctx.triggerAndWait(child, { n: 100 });
        return { sum: results.reduce((s, r) => s + r.unwrap(), 0), one: one.unwrap() };
      },
    });
    const engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks: [child, parent] });
    await engine.worker({ concurrency: 2, pollIntervalMs: 20 }).start();
    const h = await engine.trigger(parent, undefined);
    const r = await engine.runs.wait(h.id, { timeoutMs: 50_000 });
    const expected = Array.from({ length: 20 }, (_, n) => n * n).reduce((a, b) => a + b, 0);
    assert.deepEqual(r.ok && r.output, { sum: expected, one: 10_000 });
    const children = await engine.runs.list({ parentRunId: h.id, limit: 100 });
    assert.equal(children.runs.length, 21, "no duplicate children across replays");
    await engine.close();
  });

  it("a failed child gives the parent { ok: false, error } instead of failing it", async () => {
    const bad = defineTask({ id: "bad", retry: { maxAttempts: 1 }, run: async () => { throw new Error("child broke"); } });
    const parent = defineTask({
      id: "parent",
      run: async (_: void, ctx) => {
        const r = await ctx.triggerAndWait(bad, undefined);
        return r.ok ? "?" : `${r.error.message} (${r.id === undefined ? "no id" : "has id"})`;
      },
    });
    const engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks: [bad, parent] });
    await engine.worker({ pollIntervalMs: 20 }).start();
    const r = await engine.runs.wait((await engine.trigger(parent, undefined)).id, { timeoutMs: 10_000 });
    assert.deepEqual(r.ok && r.output, "child broke (has id)");
    await engine.close();
  });
});

describe("ctx.waitForEvent", () => {
  it("resolves with the matching event's payload; a non-matching event does not wake it; a timeout gives null", { timeout: 30_000 }, async () => {
    const waiter = defineTask({
      id: "waiter",
      run: async (p: { orderId: number; timeoutMs: number }, ctx) => {
        const event = await ctx.waitForEvent<{ orderId: number; paid: boolean }>("paid", {
          event: "order.paid",
          timeoutMs: p.timeoutMs,
          match: { orderId: p.orderId },
        });
        return event;
      },
    });
    const engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks: [waiter] });
    await engine.worker({ pollIntervalMs: 20 }).start();
    await engine.sendEvent("order.paid", { orderId: 1, paid: true, early: true }); // before the wait began: does not count
    const a = await engine.trigger(waiter, { orderId: 1, timeoutMs: 20_000 });
    const b = await engine.trigger(waiter, { orderId: 2, timeoutMs: 300 });
    await until(async () => (await engine.runs.get(a.id))?.status === "waiting", "a waits");
    assert.equal((await engine.sendEvent("order.paid", { orderId: 3, paid: true })).woken, 0, "no waiter matches order 3");
    await sleep(100);
    assert.equal((await engine.runs.get(a.id))!.status, "waiting", "a non-matching event does not wake it");
    assert.equal((await engine.sendEvent("order.paid", { orderId: 1, paid: true, extra: "x" })).woken, 1);
    const ra = await engine.runs.wait(a.id, { timeoutMs: 10_000 });
    assert.deepEqual(ra.ok && ra.output, { orderId: 1, paid: true, extra: "x" });
    const rb = await engine.runs.wait(b.id, { timeoutMs: 10_000 });
    assert.ok(rb.ok);
    assert.equal(rb.output, null, "timed out");
    await engine.close();
  });
});

describe("cancel a waiting run", () => {
  it("never resumes, and its unfinished children are canceled too", { timeout: 30_000 }, async () => {
    let resumed = false;
    const slowChild = defineTask({ id: "slow-child", run: async (_: void, ctx) => ctx.sleep("long", { hours: 1 }) });
    const parent = defineTask({
      id: "parent",
      run: async (_: void, ctx) => {
        await ctx.triggerAndWait(slowChild, undefined);
        resumed = true;
      },
    });
    const engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks: [slowChild, parent] });
    await engine.worker({ pollIntervalMs: 20 }).start();
    const h = await engine.trigger(parent, undefined);
    const found = await until(async () => {
      const kids = (await engine.runs.list({ parentRunId: h.id })).runs;
      return kids.length === 1 && kids[0]!.status === "waiting" && (await engine.runs.get(h.id))!.status === "waiting" ? kids : null;
    }, "parent and child waiting");
    const children = found!;
    assert.equal(await engine.runs.cancel(h.id), true);
    assert.equal((await engine.runs.get(h.id))!.status, "canceled");
    assert.equal((await engine.runs.get(children[0]!.id))!.status, "canceled", "the child is canceled too");
    await sleep(200);
    assert.equal(resumed, false);
    assert.equal((await engine.runs.get(h.id))!.status, "canceled");
    await engine.close();
  });
});
