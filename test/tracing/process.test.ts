/**
 * The trace crosses a process boundary: this process triggers and runs `order`; a worker in another
 * process (its own SDK, spans printed as JSON lines) runs the child `receipt`, and its spans belong
 * to this process's trace, under the trigger span this process made.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { trace } from "@opentelemetry/api";
import { createEngine } from "errand";
import { sqliteStore } from "errand/sqlite";
import { tempDb, until } from "../support/temp.ts";
import { order, receipt } from "./fixtures/tasks.ts";
import { parentId, registerTracing, type TestTracing } from "./fixtures/otel-sdk.ts";

const WORKER = fileURLToPath(new URL("./fixtures/mail-worker.ts", import.meta.url));

interface ExportedSpan {
  readonly span: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly remoteParent?: boolean;
  readonly attributes: Record<string, unknown>;
}

let tracing: TestTracing;
let child: ChildProcess | null = null;
before(() => {
  tracing = registerTracing();
});
after(async () => {
  child?.kill("SIGKILL");
  await tracing.shutdown();
});

describe("a trace across processes", () => {
  it("the child run's worker, in another process, continues the trigger's trace from the stored context", { timeout: 60_000 }, async () => {
    const db = tempDb();
    const engine = createEngine({ store: sqliteStore({ path: db }), tasks: [order, receipt] });
    await engine.store.migrate(); // before the other process opens the file
    const spans: ExportedSpan[] = [];
    const proc = (child = spawn(process.execPath, ["--import", "tsx", WORKER, db], { stdio: ["ignore", "pipe", "inherit"] }));
    const ready = new Promise<void>((resolve, reject) => {
      createInterface({ input: proc.stdout! }).on("line", (line) => {
        if (line === "ready") resolve();
        else if (line.startsWith("{")) spans.push(JSON.parse(line) as ExportedSpan);
      });
      proc.on("exit", (code) => reject(new Error(`the mail worker exited early (${code})`)));
    });
    try {
      await ready;
      await engine.worker({ queues: ["shop"], pollIntervalMs: 20 }).start();
      const handle = await trace.getTracer("test").startActiveSpan("POST /orders", async (span) => {
        try {
          return await engine.trigger(order, { order: "o-7" });
        } finally {
          span.end();
        }
      });
      assert.equal((await engine.runs.wait(handle.id, { timeoutMs: 30_000 })).unwrap(), "done");
      await until(() => spans.some((s) => s.span === "errand.step render"), "the other process's step span");

      const traceId = tracing.one("POST /orders").spanContext().traceId;
      const childTrigger = tracing.one("errand.trigger receipt");
      assert.equal(childTrigger.spanContext().traceId, traceId);
      assert.ok(
        tracing.named("errand.run order").some((r) => r.spanContext().spanId === parentId(childTrigger)),
        "the child was triggered inside an attempt of the parent",
      );
      // The other process's spans: same trace, its run span a remote child of this process's trigger span.
      const run = spans.find((s) => s.span === "errand.run receipt");
      assert.ok(run, `the other process exported ${spans.map((s) => s.span).join(", ")}`);
      assert.equal(run.traceId, traceId);
      assert.equal(run.parentSpanId, childTrigger.spanContext().spanId);
      assert.equal(run.remoteParent, true);
      assert.equal(run.attributes["errand.queue"], "mail");
      assert.equal(run.attributes["errand.parent_run_id"], handle.id);
      const step = spans.find((s) => s.span === "errand.step render")!;
      assert.equal(step.traceId, traceId);
      assert.equal(step.parentSpanId, run.spanId);
      assert.equal(spans.filter((s) => s.span.startsWith("errand.run order")).length, 0, "the other process ran only the mail queue");
    } finally {
      proc.kill("SIGTERM");
      await engine.close();
    }
  });
});
