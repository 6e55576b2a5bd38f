/** Run metrics through the OpenTelemetry metrics API: counters and histograms, recorded only with a meter provider. */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { metrics } from "@opentelemetry/api";
import { DataPointType, MeterProvider, MetricReader, type MetricData } from "@opentelemetry/sdk-metrics";
import { createEngine, defineTask } from "errand";
import { sqliteStore } from "errand/sqlite";
import { tempDb } from "../support/temp.ts";

/** A reader the test collects from when it wants (no export interval). */
class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const ok = defineTask({ id: "ok", run: async (n: number) => n + 1 });
const bad = defineTask({
  id: "bad",
  retry: { maxAttempts: 2, minDelayMs: 1, randomize: false },
  run: async () => {
    throw new Error("always");
  },
});

after(() => metrics.disable());

describe("OpenTelemetry metrics", () => {
  it("counts runs started, completed and failed, and records queue wait and run duration", { timeout: 30_000 }, async () => {
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
    const engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks: [ok, bad] });
    const worker = engine.worker({ pollIntervalMs: 10 });
    try {
      await worker.start();
      const handles = [...(await engine.batchTrigger(ok, [1, 2, 3])), await engine.trigger(bad, undefined)];
      for (const h of handles) await engine.runs.wait(h.id, { timeoutMs: 20_000 });
      const { resourceMetrics } = await reader.collect();
      const all = resourceMetrics.scopeMetrics.filter((s) => s.scope.name === "errand").flatMap((s) => s.metrics);
      const byName = (name: string): MetricData => {
        const m = all.find((x) => x.descriptor.name === name);
        assert.ok(m, `metric ${name} (have: ${all.map((x) => x.descriptor.name).join(", ")})`);
        return m;
      };
      const sum = (name: string, taskId: string) =>
        byName(name)
          .dataPoints.filter((p) => p.attributes["errand.task_id"] === taskId)
          .reduce((n, p) => n + (p.value as number), 0);
      assert.equal(sum("errand.runs.started", "ok"), 3);
      assert.equal(sum("errand.runs.started", "bad"), 2, "two attempts");
      assert.equal(sum("errand.runs.completed", "ok"), 3);
      assert.equal(sum("errand.runs.failed", "bad"), 1, "failed for good once; the retried attempt is not a failure");
      const wait = byName("errand.run.queue_wait");
      assert.equal(wait.dataPointType, DataPointType.HISTOGRAM);
      assert.equal(wait.descriptor.unit, "ms");
      const duration = byName("errand.run.duration");
      const outcomes = duration.dataPoints.map((p) => `${p.attributes["errand.task_id"]}:${p.attributes["errand.outcome"]}`).sort();
      assert.deepEqual(outcomes, ["bad:failed", "bad:retry", "ok:completed"]);
    } finally {
      await engine.close();
      await provider.shutdown();
    }
  });
});
