/**
 * Errand's SQLite drain with and without an OpenTelemetry SDK registered (bench/tracing.bench.ts):
 * runs/s (wall) and this process's CPU time per run (steadier on a busy machine).
 * The engine is loaded from `srcDir`, so the same workload runs on this checkout's src/ and on the
 * src/ of the commit before tracing was added (the baseline).
 */
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { context, metrics, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import type { Engine, Task, TaskOptions } from "../../../src/engine/types.ts";
import type { Store } from "../../../src/store/types.ts";
import { deferred, waitUntil } from "../wait.ts";
import { noopPayload, rate, type Rate } from "./types.ts";

interface Api {
  createEngine(options: { store: Store; tasks: readonly Task<any, any, any>[] }): Engine;
  defineTask<P, O>(options: TaskOptions<P, O>): Task<P, O, P>;
  sqliteStore(options: { path: string }): Store;
}

/** Spans go nowhere (counted): the cost measured is the engine's and the SDK's, not an exporter's I/O. */
class CountingExporter implements SpanExporter {
  spans = 0;
  export(spans: ReadableSpan[], done: (r: { code: 0 }) => void): void {
    this.spans += spans.length;
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

class IdleReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** Registers a tracer provider (batching, as in production) and a meter provider, as an application would. */
function registerSdk(): { spans: () => number; shutdown: () => Promise<void> } {
  const exporter = new CountingExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 65_536, maxExportBatchSize: 2048 })] });
  const meter = new MeterProvider({ readers: [new IdleReader()] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracer);
  metrics.setGlobalMeterProvider(meter);
  return {
    spans: () => exporter.spans,
    async shutdown() {
      await tracer.shutdown();
      await meter.shutdown();
    },
  };
}

/** No-op runs/s: `n` runs triggered first, then one worker (`concurrency`) drains them; timed from the first run's start until all are `completed`. */
export async function drain(a: { srcDir: string; path: string; n: number; concurrency: number; sdk: boolean }): Promise<Rate & { spans: number; cpuUsPerRun: number }> {
  const sdk = a.sdk ? registerSdk() : null;
  const load = (file: string) => import(pathToFileURL(join(a.srcDir, file)).href) as Promise<Record<string, unknown>>;
  const api = { ...(await load("index.ts")), ...(await load("sqlite/index.ts")) } as unknown as Api;
  let handled = 0;
  let t0 = 0;
  const all = deferred();
  const task = api.defineTask<{ i: number }, null>({
    id: "noop",
    run: () => {
      if (handled++ === 0) t0 = performance.now();
      if (handled === a.n) all.resolve();
      return null;
    },
  });
  const engine = api.createEngine({ store: api.sqliteStore({ path: a.path }), tasks: [task] });
  for (let i = 0; i < a.n; i += 1000) {
    const items: { i: number }[] = [];
    for (let j = i; j < Math.min(a.n, i + 1000); j++) items.push(noopPayload(j));
    await engine.batchTrigger(task, items);
  }
  const worker = engine.worker({ concurrency: a.concurrency, pollIntervalMs: 1000 });
  try {
    const cpu0 = process.cpuUsage();
    await worker.start();
    await all.promise;
    await waitUntil("Errand to complete every run", async () => (await engine.runs.stats()).byStatus.completed >= a.n, { everyMs: 1 });
    const measured = rate(a.n, performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);
    await worker.stop();
    await sdk?.shutdown();
    return { ...measured, spans: sdk?.spans() ?? 0, cpuUsPerRun: (cpu.user + cpu.system) / a.n };
  } finally {
    await engine.close();
  }
}

/**
 * What the engine's OpenTelemetry hook points cost per run with no SDK registered: one trigger check
 * and one attempt check (µs per run, best of `rounds` × `n` calls), from this checkout's src/.
 */
export async function hookCost(a: { n: number; rounds: number }): Promise<{ usPerRun: number }> {
  const { observeAttempt } = await import("../../../src/engine/tracing/run-span.ts");
  const { traceTriggers } = await import("../../../src/engine/tracing/trigger-spans.ts");
  const run = { id: "r", taskId: "noop", queue: "default", attempt: 1, runAt: 0, traceContext: null, parentRunId: null, scheduleId: null };
  let best = Infinity;
  let nulls = 0;
  for (let r = 0; r < a.rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < a.n; i++) {
      if (traceTriggers([run as never]) === null) nulls++;
      if (observeAttempt(run as never, 0, 0) === null) nulls++;
    }
    best = Math.min(best, ((performance.now() - t0) * 1000) / a.n);
  }
  if (nulls !== 2 * a.n * a.rounds) throw new Error("hookCost: a hook did something with no SDK registered");
  return { usPerRun: best };
}
