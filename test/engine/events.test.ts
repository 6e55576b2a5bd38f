/**
 * Issue 15, items 1 and 2: tasks started by events, idempotent events, typed events (on SQLite; the
 * store rules behind them are in the conformance suite for both stores).
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { z } from "zod";
import { createEngine, defineEvent, defineTask, EventValidationError, PayloadValidationError, type Engine } from "errand";
import { sqliteStore } from "errand/sqlite";
import { tempDb, until } from "../support/temp.ts";

const engines: Engine[] = [];
after(async () => {
  for (const e of engines) await e.close();
});

function engineWith(tasks: Parameters<typeof createEngine>[0]["tasks"]): Engine {
  const engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks });
  engines.push(engine);
  return engine;
}

const orderPaid = defineEvent({ name: "order.paid", schema: z.object({ orderId: z.string(), amount: z.number().positive() }) });

describe("tasks started by events", () => {
  it("one sendEvent starts a run of every listening task and wakes the waiters; each run records its event", { timeout: 30_000 }, async () => {
    const invoice = defineTask({ id: "invoice", on: "order.paid", run: async (p: { orderId: string }) => `invoice ${p.orderId}` });
    const ship = defineTask({ id: "ship", on: ["order.paid", "order.shipped"], run: async (p: { orderId: string }) => `ship ${p.orderId}` });
    const other = defineTask({ id: "other", on: "order.refunded", run: async () => "never" });
    const waiter = defineTask({
      id: "waiter",
      run: async (_: void, ctx) => ctx.waitForEvent<{ orderId: string }>("paid", { event: "order.paid", match: { orderId: "o1" } }),
    });
    const engine = engineWith([invoice, ship, other, waiter]);
    await engine.worker({ pollIntervalMs: 20 }).start();
    const w = await engine.trigger(waiter, undefined);
    await until(async () => (await engine.runs.get(w.id))?.status === "waiting", "the waiter waits");

    const sent = await engine.sendEvent("order.paid", { orderId: "o1" });
    assert.equal(sent.created, true);
    assert.equal(sent.woken, 1);
    assert.deepEqual(sent.runs.map((r) => [r.taskId, r.created]), [["invoice", true], ["ship", true]]);
    const outputs = await Promise.all(sent.runs.map((r) => engine.runs.wait(r.id, { timeoutMs: 10_000 })));
    assert.deepEqual(outputs.map((r) => r.ok && r.output), ["invoice o1", "ship o1"]);
    assert.deepEqual((await engine.runs.wait(w.id, { timeoutMs: 10_000 })).unwrap(), { orderId: "o1" });

    for (const r of sent.runs) assert.deepEqual((await engine.runs.get(r.id))!.event, { id: sent.id, name: "order.paid" });
    assert.equal((await engine.runs.get(w.id))!.event, null, "a woken waiter was not started by the event");
    const listed = await engine.runs.list({ taskId: "ship" });
    assert.deepEqual(listed.runs.map((r) => r.event?.name), ["order.paid"], "runs.list shows the event too");
    assert.equal((await engine.runs.list({ taskId: "other" })).runs.length, 0);

    const second = await engine.sendEvent("order.shipped", { orderId: "o2" });
    assert.deepEqual(second.runs.map((r) => r.taskId), ["ship"]);
    assert.deepEqual([(await engine.sendEvent("nobody.listens", 1)).runs, (await engine.sendEvent("nobody.listens")).woken], [[], 0]);
  });

  it("the same idempotency key starts and wakes nothing the second time", { timeout: 30_000 }, async () => {
    const counted = defineTask({ id: "counted", on: "tick", run: async (p: { n: number }) => p.n });
    const waiter = defineTask({ id: "tick-waiter", run: async (_: void, ctx) => ctx.waitForEvent("t", { event: "tick" }) });
    const engine = engineWith([counted, waiter]);
    const first = await engine.sendEvent("tick", { n: 1 }, { idempotencyKey: "tick-1" });
    await engine.worker({ pollIntervalMs: 20 }).start();
    const w = await engine.trigger(waiter, undefined);
    await until(async () => (await engine.runs.get(w.id))?.status === "waiting", "the waiter waits");
    const again = await engine.sendEvent("tick", { n: 2 }, { idempotencyKey: "tick-1" });
    assert.deepEqual([again.id, again.created, again.woken], [first.id, false, 0]);
    assert.deepEqual(again.runs, first.runs.map((r) => ({ ...r, created: false })), "the first send's runs, not new ones");
    assert.equal((await engine.runs.list({ taskId: "counted" })).runs.length, 1);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await engine.runs.get(w.id))!.status, "waiting", "the repeat woke nobody");
    const third = await engine.sendEvent("tick", { n: 3 }, { idempotencyKey: "tick-2" });
    assert.deepEqual([third.created, third.woken, third.runs.length], [true, 1, 1]);
    assert.deepEqual((await engine.runs.wait(w.id, { timeoutMs: 10_000 })).unwrap(), { n: 3 });
  });
});

describe("typed events", () => {
  it("a payload its event's schema refuses starts nothing and wakes nothing", { timeout: 30_000 }, async () => {
    const invoice = defineTask({ id: "typed-invoice", on: orderPaid, run: async (p) => p.amount * 2 });
    const waiter = defineTask({ id: "typed-waiter", run: async (_: void, ctx) => ctx.waitForEvent("paid", { event: orderPaid }) });
    const engine = engineWith([invoice, waiter]);
    await engine.worker({ pollIntervalMs: 20 }).start();
    const w = await engine.trigger(waiter, undefined);
    await until(async () => (await engine.runs.get(w.id))?.status === "waiting", "the waiter waits");
    await assert.rejects(engine.sendEvent(orderPaid, { orderId: "o1", amount: -5 }), (e: unknown) => e instanceof EventValidationError && e.event === "order.paid" && /amount/.test(e.message));
    await assert.rejects(
      engine.sendEvent("order.paid", { orderId: 7 }),
      (e: unknown) => e instanceof EventValidationError,
      "sent by name, the payload is checked by the typed event the engine knows",
    );
    await new Promise((r) => setTimeout(r, 150));
    assert.equal((await engine.runs.list({ taskId: "typed-invoice" })).runs.length, 0, "no run was started");
    assert.equal((await engine.runs.get(w.id))!.status, "waiting", "no waiter was woken");
    const sent = await engine.sendEvent(orderPaid, { orderId: "o1", amount: 5 });
    assert.equal((await engine.runs.wait(sent.runs[0]!.id, { timeoutMs: 10_000 })).unwrap(), 10);
    assert.deepEqual((await engine.runs.wait(w.id, { timeoutMs: 10_000 })).unwrap(), { orderId: "o1", amount: 5 });
  });

  it("a listener's own schema is checked too, before anything is written", async () => {
    const strict = defineTask({ id: "strict", on: "signup", schema: z.object({ email: z.string().email() }), run: async (p) => p.email });
    const loose = defineTask({ id: "loose", on: "signup", run: async (p: unknown) => p });
    const engine = engineWith([strict, loose]);
    await assert.rejects(engine.sendEvent("signup", { email: "not an address" }), (e: unknown) => e instanceof PayloadValidationError && /strict/.test(e.message));
    assert.equal((await engine.runs.list()).runs.length, 0, "neither listener got a run");
    assert.equal((await engine.sendEvent("signup", { email: "a@example.com" })).runs.length, 2);
  });

  it("receivers get the schema's output; a listener without a schema takes its events' schemas", { timeout: 30_000 }, async () => {
    const priced = defineEvent({ name: "priced", schema: z.object({ cents: z.string().transform((s) => Number(s)) }) });
    const refunded = defineEvent({ name: "refunded", schema: z.object({ refundId: z.string() }) });
    const total = defineTask({ id: "total", on: priced, run: async (p) => p.cents + 1 });
    const either = defineTask({ id: "either", on: [priced, refunded], run: async (p) => ("refundId" in p ? p.refundId : p.cents) });
    const waiter = defineTask({ id: "price-waiter", run: async (_: void, ctx) => (await ctx.waitForEvent("p", { event: priced }))?.cents });
    const engine = engineWith([total, either, waiter]);
    await engine.worker({ pollIntervalMs: 20 }).start();
    const w = await engine.trigger(waiter, undefined);
    await until(async () => (await engine.runs.get(w.id))?.status === "waiting", "the waiter waits");
    const sent = await engine.sendEvent(priced, { cents: "41" });
    const results = await Promise.all(sent.runs.map((r) => engine.runs.wait(r.id, { timeoutMs: 10_000 })));
    assert.deepEqual(results.map((r) => r.unwrap()), [42, 41]);
    assert.equal((await engine.runs.wait(w.id, { timeoutMs: 10_000 })).unwrap(), 41, "the waiter got a number, not the string sent");
    const r = await engine.sendEvent(refunded, { refundId: "r1" });
    assert.equal((await engine.runs.wait(r.runs[0]!.id, { timeoutMs: 10_000 })).unwrap(), "r1");
    await assert.rejects(engine.trigger(total, { cents: 5 } as never), PayloadValidationError, "a direct trigger is checked by the event's schema");
    await assert.rejects(engine.trigger(either, { nothing: true } as never), PayloadValidationError);
  });
});

describe("events: bad input", () => {
  it("defineEvent, defineTask({ on }), createEngine and sendEvent refuse bad input with a TypeError naming it", async () => {
    assert.throws(() => defineEvent({ name: "" }), /defineEvent: option `name`/);
    assert.throws(() => defineEvent({ name: "has space" }), /event name/);
    assert.throws(() => defineEvent({ name: "x", schema: {} as never }), /Standard Schema/);
    assert.throws(() => defineEvent({ name: "x", scheme: 1 } as never), /unknown option `scheme`/);
    const run = async () => 1;
    assert.throws(() => defineTask({ id: "a", on: "", run }), /option `on`/);
    assert.throws(() => defineTask({ id: "a", on: [], run }), /option `on` must not be an empty list/);
    assert.throws(() => defineTask({ id: "a", on: ["x", "x"], run }), /option `on`\[1\]: the event "x" is listed twice/);
    assert.throws(() => defineTask({ id: "a", on: [5] as never, run }), /option `on`\[0\] must be an event name/);
    const a = defineTask({ id: "a", on: defineEvent({ name: "dup" }), run });
    const b = defineTask({ id: "b", on: defineEvent({ name: "dup" }), run });
    assert.throws(() => createEngine({ store: sqliteStore({ path: ":memory:" }), tasks: [a, b] }), /two different events made by defineEvent\(\) are named "dup"/);
    const engine = engineWith([a]);
    await assert.rejects(engine.sendEvent(42 as never, {}), /engine.sendEvent: `event` must be an event name/);
    await assert.rejects(engine.sendEvent("x", {}, { idempotencyKey: "" }), /option `idempotencyKey`/);
    await assert.rejects(engine.sendEvent("x", {}, { key: "k" } as never), /unknown option `key`/);
    await assert.rejects(engine.sendEvent("dup", { n: 10n }), /cannot be stored as JSON/);
    assert.equal((await engine.runs.list()).runs.length, 0, "nothing was started by the refused sends");
  });
});
