/**
 * OpenTelemetry (docs/CONTRACT.md §9): one trace from the caller's span through the trigger, the run's
 * attempts and steps, to a child run executed by another engine's worker on the same database
 * (a SQLite file; PostgreSQL).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { createEngine, defineTask, NonRetriableError, type Engine } from "errand";
import { postgresStore } from "errand/postgres";
import { sqliteStore } from "errand/sqlite";
import type { Store } from "errand/store";
import { freshDatabase, stopTestPgServer } from "../support/pg.ts";
import { tempDb } from "../support/temp.ts";
import { parentId, registerTracing, type TestTracing } from "./fixtures/otel-sdk.ts";

let tracing: TestTracing;
before(() => {
  tracing = registerTracing();
});
after(async () => {
  await tracing.shutdown();
  await stopTestPgServer();
});

const sendReceipt = defineTask({
  id: "send-receipt",
  queue: { name: "emails" },
  run: async (p: { order: string }, ctx) => {
    const html = await ctx.step("render", () => `<p>${p.order}</p>`);
    await ctx.step("send", () => html.length);
    return "sent";
  },
});

const checkout = defineTask({
  id: "checkout",
  queue: { name: "orders" },
  run: async (p: { order: string }, ctx) => {
    ctx.log.info("checking out", { order: p.order });
    await ctx.step("reserve", async (s) => {
      await s.step("stock", () => 3);
      return "reserved";
    });
    await ctx.step("charge", () => 42);
    await ctx.sleep("settle", 20);
    const receipt = await ctx.triggerAndWait(sendReceipt, { order: p.order });
    return receipt.ok ? "done" : "no receipt";
  },
});

const refuse = defineTask({
  id: "refuse",
  queue: { name: "orders" },
  run: async (_: null, ctx) => {
    await ctx.step("validate", () => {
      throw new NonRetriableError("card declined");
    });
  },
});

const attr = (s: ReadableSpan, key: string) => s.attributes[key];

describe("OpenTelemetry traces", () => {
  it("one trace: request → trigger → run attempts → steps → child run on another engine (same SQLite file)", { timeout: 60_000 }, async () => {
    const db = tempDb();
    await crossEngineTrace(() => sqliteStore({ path: db }));
  });

  it("the same on PostgreSQL: the trace context travels through the database", { timeout: 120_000 }, async () => {
    const url = await freshDatabase("errand_tracing");
    await crossEngineTrace(() => postgresStore({ connectionString: url }));
  });

  it("a failing step and run are recorded with the exception and status ERROR", { timeout: 30_000 }, async () => {
    const engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks: [refuse] });
    const worker = engine.worker({ queues: ["orders"], pollIntervalMs: 20 });
    try {
      await worker.start();
      const handle = await engine.trigger(refuse, null);
      const result = await engine.runs.wait(handle.id, { timeoutMs: 20_000 });
      assert.equal(result.ok, false);
      const run = tracing.named("errand.run refuse").find((s) => attr(s, "errand.run_id") === handle.id)!;
      assert.equal(run.status.code, SpanStatusCode.ERROR);
      assert.equal(run.status.message, "card declined");
      assert.equal(attr(run, "errand.outcome"), "failed");
      const exception = run.events.find((e) => e.name === "exception");
      assert.equal(exception?.attributes?.["exception.type"], "NonRetriableError");
      assert.equal(exception?.attributes?.["exception.message"], "card declined");
      const step = tracing.named("errand.step validate").find((s) => parentId(s) === run.spanContext().spanId)!;
      assert.equal(step.status.code, SpanStatusCode.ERROR);
      assert.ok(step.events.some((e) => e.name === "exception"));
      // A run triggered with no span active starts its own trace at the trigger.
      const trigger = tracing.named("errand.trigger refuse").find((s) => attr(s, "errand.run_id") === handle.id)!;
      assert.equal(parentId(trigger), undefined);
      assert.equal(run.spanContext().traceId, trigger.spanContext().traceId);
    } finally {
      await engine.close();
    }
  });
});

/** Two engines on one database, as two processes would be: A runs orders, B runs emails. */
async function crossEngineTrace(makeStore: () => Store): Promise<void> {
  tracing.exporter.reset();
  const tasks = [checkout, sendReceipt, refuse];
  const a: Engine = createEngine({ store: makeStore(), tasks });
  const b: Engine = createEngine({ store: makeStore(), tasks });
  const workerA = a.worker({ queues: ["orders"], pollIntervalMs: 20 });
  const workerB = b.worker({ queues: ["emails"], pollIntervalMs: 20 });
  try {
    await Promise.all([workerA.start(), workerB.start()]);
    // The caller's own span (an HTTP handler, say): the trigger continues it.
    const handle = await trace.getTracer("test").startActiveSpan("POST /checkout", async (span) => {
      try {
        return await a.trigger(checkout, { order: "o-1" });
      } finally {
        span.end();
      }
    });
    const result = await a.runs.wait(handle.id, { timeoutMs: 30_000 });
    assert.equal(result.unwrap(), "done");

    const root = tracing.one("POST /checkout");
    assert.equal(parentId(root), undefined);
    const traceId = root.spanContext().traceId;
    const inTrace = tracing.exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);

    const trigger = tracing.one("errand.trigger checkout");
    assert.equal(trigger.kind, SpanKind.PRODUCER);
    assert.equal(parentId(trigger), root.spanContext().spanId);
    assert.equal(attr(trigger, "errand.run_id"), handle.id);

    // The parent ran twice: the first execution suspends (sleep, then the child), the last completes.
    const runs = tracing.named("errand.run checkout");
    assert.ok(runs.length >= 2, `checkout executed ${runs.length} times`);
    for (const r of runs) {
      assert.equal(r.kind, SpanKind.CONSUMER);
      assert.equal(parentId(r), trigger.spanContext().spanId, "every attempt is a child of the trigger span");
      assert.equal(r.parentSpanContext?.isRemote, true, "continued from the context stored on the run");
      assert.equal(r.spanContext().traceId, traceId);
      assert.deepEqual(
        [attr(r, "errand.run_id"), attr(r, "errand.task_id"), attr(r, "errand.attempt"), attr(r, "errand.queue")],
        [handle.id, "checkout", 1, "orders"],
      );
    }
    const first = runs.find((r) => attr(r, "errand.stored_steps") === 0)!;
    const last = runs.find((r) => attr(r, "errand.outcome") === "completed")!;
    assert.equal(attr(first, "errand.outcome"), "suspended");
    assert.equal(last.status.code, SpanStatusCode.UNSET);

    // Steps: children of the first execution's span, the nested one of its parent step.
    const reserve = tracing.one("errand.step reserve");
    const stock = tracing.one("errand.step reserve/stock");
    const charge = tracing.one("errand.step charge");
    assert.equal(parentId(reserve), first.spanContext().spanId);
    assert.equal(parentId(charge), first.spanContext().spanId);
    assert.equal(parentId(stock), reserve.spanContext().spanId);
    assert.equal(attr(stock, "errand.step.key"), "reserve/stock");
    // A log line is an event of the run span; the sleep an event where the run suspended.
    const log = first.events.find((e) => e.name === "log.info");
    assert.equal(log?.attributes?.["log.message"], "checking out");
    assert.ok(runs.some((r) => r.events.some((e) => e.name === "errand.wait.sleep" && e.attributes?.["errand.wait.key"] === "settle")));
    assert.ok(runs.some((r) => r.events.some((e) => e.name === "errand.wait.child")));
    // Replayed steps are not spanned again: they are events of the later executions.
    assert.equal(tracing.named("errand.step reserve").length, 1);
    const replayed = last.events.filter((e) => e.name === "errand.step.replayed").map((e) => e.attributes?.["errand.step.key"]);
    assert.deepEqual(replayed.sort(), ["charge", "reserve"]);

    // The child: triggered inside the parent's attempt, executed by engine B's worker, same trace.
    const childTrigger = tracing.one("errand.trigger send-receipt");
    assert.ok(runs.some((r) => r.spanContext().spanId === parentId(childTrigger)), "the child's trigger is a child of a parent attempt");
    const childRun = tracing.one("errand.run send-receipt");
    assert.equal(parentId(childRun), childTrigger.spanContext().spanId);
    assert.equal(childRun.parentSpanContext?.isRemote, true);
    assert.equal(attr(childRun, "errand.queue"), "emails");
    assert.equal(attr(childRun, "errand.parent_run_id"), handle.id);
    for (const key of ["render", "send"]) assert.equal(parentId(tracing.one(`errand.step ${key}`)), childRun.spanContext().spanId);

    // All of it is one trace.
    for (const name of ["errand.trigger send-receipt", "errand.run send-receipt", "errand.step render", "errand.step reserve/stock"]) {
      assert.ok(inTrace.some((s) => s.name === name), `${name} is in the trace`);
    }
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}
