// Type tests of typed events and tokens (issue 15): checked by `tsc --noEmit` (part of `npm test`). Each
// `@ts-expect-error` proves a wrong type does not compile; the runs also execute, so the values behind
// the types are checked too.
import assert from "node:assert/strict";
import { it } from "node:test";
import { z } from "zod";
import { createEngine, defineEvent, defineTask, type TokenResult, type WaitpointToken } from "errand";
import { sqliteStore } from "errand/sqlite";
import { tempDb } from "../support/temp.ts";

const orderPaid = defineEvent({ name: "order.paid", schema: z.object({ orderId: z.string(), cents: z.string().transform(Number) }) });
const untyped = defineEvent<{ sku: string }>({ name: "restocked" });

// A listener without a schema gets the event's payload type (the schema's output)...
const invoice = defineTask({
  id: "invoice",
  on: orderPaid,
  run: async (p) => {
    const cents: number = p.cents;
    // @ts-expect-error — the payload is { orderId, cents }: it has no `total`
    const total: number = p.total;
    return { orderId: p.orderId, cents, total };
  },
});
// ...and a listener of several events the union of theirs.
const either = defineTask({
  id: "either",
  on: [orderPaid, untyped],
  run: async (p) => ("sku" in p ? p.sku : p.orderId),
});

const waiter = defineTask({
  id: "waiter",
  run: async (_: void, ctx) => {
    const paid = await ctx.waitForEvent("paid", { event: orderPaid, match: { orderId: "o1" }, timeoutMs: 5000 });
    const cents: number | undefined = paid?.cents;
    // @ts-expect-error — the payload may be null (timeout): it is not a bare object
    const sure: { orderId: string } = paid;
    // @ts-expect-error — `match` is a partial payload of the event: it has no `amount`
    await ctx.waitForEvent("never", { event: orderPaid, match: { amount: 1 }, timeoutMs: 1 });
    const named = await ctx.waitForEvent<{ n: number }>("named", { event: "plain", timeoutMs: 1 });
    const token = await ctx.createToken<{ approved: boolean }>("approval", { timeout: { minutes: 5 } });
    const typedToken: WaitpointToken<{ approved: boolean }> = token;
    const result: TokenResult<{ approved: boolean }> = await ctx.waitForToken(typedToken);
    // @ts-expect-error — the token's output is { approved: boolean }, not a string
    const wrong: TokenResult<string> = await ctx.waitForToken(token);
    return { cents, sure: sure === null, named: named?.n ?? null, approved: result.ok ? result.output.approved : null, wrong: wrong.ok };
  },
});

it("typed events and tokens type payloads, matches and results (checked at compile time)", { timeout: 30_000 }, async () => {
  const engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks: [invoice, either, waiter] });
  try {
    // Senders give the schema's input type.
    await engine.sendEvent(orderPaid, { orderId: "o1", cents: "250" });
    // @ts-expect-error — cents is sent as a string (the schema turns it into a number)
    await assert.rejects(engine.sendEvent(orderPaid, { orderId: "o1", cents: 250 }));
    // @ts-expect-error — orderId is required
    await assert.rejects(engine.sendEvent(orderPaid, { cents: "1" }));
    await engine.sendEvent(untyped, { sku: "a" });
    // @ts-expect-error — restocked carries { sku: string }
    await engine.sendEvent(untyped, { sku: 1 });
    // A direct trigger of a listener takes the event's input type too.
    await engine.trigger(invoice, { orderId: "o2", cents: "1" });
    // @ts-expect-error — not the event's input
    await assert.rejects(engine.trigger(invoice, { orderId: "o2" }));
    const runs = await engine.runs.list({ taskId: "invoice" });
    assert.equal(runs.runs.length, 2);
    assert.equal((await engine.runs.list({ taskId: "either" })).runs.length, 3, "either listens to both events (the mistyped restock too: an event without a schema checks nothing at run time)");
  } finally {
    await engine.close();
  }
});
