/**
 * OpenTelemetry tracing: a checkout handler triggers a durable run; two engines on one SQLite file
 * (as two processes would be) run it and its child run; the finished spans are printed as a text
 * waterfall, one trace from the handler's span to the child run's steps.
 *
 *   node --conditions=errand-source --import tsx examples/tracing.ts
 *
 * The SDK set-up is the application's: errand itself only uses `@opentelemetry/api`. Swap the
 * in-memory exporter for an OTLP exporter to see the same trace in Jaeger, Tempo, Honeycomb, ….
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { createEngine, defineTask } from "errand";
import { sqliteStore } from "errand/sqlite";

const sendReceipt = defineTask({
  id: "send-receipt",
  queue: { name: "emails" },
  run: async (p: { order: string }, ctx) => {
    const html = await ctx.step("render", async () => {
      await pause(15);
      return `<p>Thanks for order ${p.order}</p>`;
    });
    await ctx.step("send", async () => {
      await pause(40);
      return html.length;
    });
    return "sent";
  },
});

const checkout = defineTask({
  id: "checkout",
  queue: { name: "orders" },
  run: async (p: { order: string; amount: number }, ctx) => {
    ctx.log.info("checking out", { order: p.order });
    await ctx.step("reserve-stock", async (s) => {
      await s.step("warehouse-a", () => pause(20));
      await s.step("warehouse-b", () => pause(25));
    });
    await ctx.step(
      "charge-card",
      async (s) => {
        await pause(30);
        if (s.attempt === 1) throw new Error("payment gateway timed out");
        return { charged: p.amount };
      },
      { retry: { maxAttempts: 3, minDelayMs: 50, randomize: false } },
    );
    await ctx.sleep("fraud-window", 100);
    const receipt = await ctx.triggerAndWait(sendReceipt, { order: p.order });
    return { order: p.order, receipt: receipt.ok };
  },
});

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs one checkout traced end to end; resolves to the finished spans of its trace. */
export async function tracedCheckout(): Promise<ReadableSpan[]> {
  // The application's SDK set-up (usually in a file loaded first, e.g. `node --import ./otel.ts`).
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);

  const dir = mkdtempSync(join(tmpdir(), "errand-tracing-"));
  const db = join(dir, "errand.db");
  const tasks = [checkout, sendReceipt];
  const web = createEngine({ store: sqliteStore({ path: db }), tasks }); // runs orders
  const mailer = createEngine({ store: sqliteStore({ path: db }), tasks }); // runs emails
  try {
    await web.worker({ queues: ["orders"], pollIntervalMs: 20 }).start();
    await mailer.worker({ queues: ["emails"], pollIntervalMs: 20 }).start();
    // An HTTP handler's span, as an HTTP instrumentation would make it.
    const handle = await trace.getTracer("shop").startActiveSpan("POST /checkout", async (span) => {
      try {
        return await web.trigger(checkout, { order: "o-1001", amount: 42 });
      } finally {
        span.end();
      }
    });
    (await web.runs.wait(handle.id, { timeoutMs: 30_000 })).unwrap();
    const spans = exporter.getFinishedSpans();
    const traceId = spans.find((s) => s.name === "POST /checkout")!.spanContext().traceId;
    return spans.filter((s) => s.spanContext().traceId === traceId);
  } finally {
    await web.close();
    await mailer.close();
    await provider.shutdown();
    trace.disable();
    context.disable();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One row of a waterfall: a span, its depth in the tree, and its times relative to the trace's start. */
export interface WaterfallRow {
  readonly span: ReadableSpan;
  readonly depth: number;
  readonly startMs: number;
  readonly endMs: number;
}

const ms = (t: readonly [number, number]) => t[0] * 1000 + t[1] / 1e6;

/** The spans as a tree (children under their parent, by start time), with times relative to the earliest span. */
export function waterfall(spans: readonly ReadableSpan[]): WaterfallRow[] {
  const t0 = Math.min(...spans.map((s) => ms(s.startTime)));
  const byParent = new Map<string | undefined, ReadableSpan[]>();
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  for (const s of spans) {
    const parent = s.parentSpanContext?.spanId;
    const key = parent !== undefined && ids.has(parent) ? parent : undefined;
    byParent.set(key, [...(byParent.get(key) ?? []), s]);
  }
  const rows: WaterfallRow[] = [];
  const visit = (parent: string | undefined, depth: number) => {
    for (const s of (byParent.get(parent) ?? []).sort((a, b) => ms(a.startTime) - ms(b.startTime))) {
      rows.push({ span: s, depth, startMs: ms(s.startTime) - t0, endMs: ms(s.endTime) - t0 });
      visit(s.spanContext().spanId, depth + 1);
    }
  };
  visit(undefined, 0);
  return rows;
}

/** The waterfall as text: name, start, duration, a bar, and the span's events. */
export function waterfallText(rows: readonly WaterfallRow[], width = 48): string {
  const total = Math.max(...rows.map((r) => r.endMs));
  const lines = rows.map((r) => {
    const name = `${"  ".repeat(r.depth)}${r.span.name}`.padEnd(38);
    const from = Math.floor((r.startMs / total) * width);
    const len = Math.max(1, Math.round(((r.endMs - r.startMs) / total) * width));
    const bar = " ".repeat(from) + "█".repeat(Math.min(len, width - from));
    const status = r.span.status.code === 2 ? " ERROR" : "";
    const events = r.span.events.map((e) => e.name).join(", ");
    return `${name} ${r.startMs.toFixed(0).padStart(5)} ms ${(r.endMs - r.startMs).toFixed(0).padStart(5)} ms |${bar.padEnd(width)}|${status}${events ? `  ${events}` : ""}`;
  });
  return lines.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const rows = waterfall(await tracedCheckout());
  console.log(waterfallText(rows));
}
