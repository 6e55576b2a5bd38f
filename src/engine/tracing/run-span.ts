/**
 * One attempt's telemetry: the `errand.run <taskId>` span (kind CONSUMER), a child of the context
 * stored on the run by its trigger; `errand.step <key>` child spans for the steps it executes; span
 * events for replayed steps, waits and `ctx.log` lines; and the run metrics (metrics.ts).
 */
import { context, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from "@opentelemetry/api";
import type { RunTrace, TraceValue } from "../../durable/types.ts";
import type { RunRecord } from "../../store/types.ts";
import type { SerializedError } from "../../vocabulary/serialize-error.ts";
import { runMetrics } from "./metrics.ts";
import { activeTracer, restoredContext } from "./otel.ts";

/** How an attempt ended (the worker's decision). */
export interface AttemptEnd {
  readonly kind: "completed" | "retry" | "failed" | "suspended";
  readonly error?: SerializedError;
  readonly retryAt?: number;
}

/** The contexts of the attempts running in this process, by run id (child triggers continue them). */
const attempts = new Map<string, Context>();

/** The context of the attempt of `runId` running in this process, if any. */
export function attemptContext(runId: string): Context | undefined {
  return attempts.get(runId);
}

export interface AttemptTelemetry {
  /** What durable code records through; null when no tracer provider is registered. */
  readonly trace: RunTrace | null;
  /** Runs the attempt's code with its span active (so user instrumentation nests under it). */
  within<T>(fn: () => Promise<T>): Promise<T>;
  /** The attempt's outcome is decided. */
  end(decision: AttemptEnd, now: number): void;
  /** The attempt ended without a decision (a worker error). */
  fail(error: unknown, now: number): void;
}

/** Telemetry for the attempt starting now; null when neither a tracer nor a meter provider is registered. */
export function observeAttempt(run: RunRecord, replayedSteps: number, now: number): AttemptTelemetry | null {
  const tracer = activeTracer();
  const metrics = runMetrics();
  if (tracer === null && metrics === null) return null;
  metrics?.started(run, now);
  const span = tracer === null ? null : new AttemptSpan(tracer, run, replayedSteps);
  return {
    trace: span,
    within: (fn) => (span === null ? fn() : context.with(span.ctx, fn)),
    end(decision, at) {
      metrics?.ended(run, decision.kind, now, at);
      span?.end(decision);
    },
    fail(error, at) {
      metrics?.ended(run, "failed", now, at);
      span?.fail(error);
    },
  };
}

class AttemptSpan implements RunTrace {
  readonly #tracer: Tracer;
  readonly #runId: string;
  readonly #span: Span;
  readonly ctx: Context;
  readonly #steps = new Map<string, Span>();

  constructor(tracer: Tracer, run: RunRecord, replayedSteps: number) {
    this.#tracer = tracer;
    this.#runId = run.id;
    this.#span = tracer.startSpan(
      `errand.run ${run.taskId}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          "errand.run_id": run.id,
          "errand.task_id": run.taskId,
          "errand.attempt": run.attempt,
          "errand.queue": run.queue,
          "errand.stored_steps": replayedSteps,
          ...(run.parentRunId === null ? {} : { "errand.parent_run_id": run.parentRunId }),
        },
      },
      restoredContext(run.traceContext),
    );
    this.ctx = trace.setSpan(context.active(), this.#span);
    attempts.set(run.id, this.ctx);
  }

  step<T>(path: string, parentKey: string | null, fn: () => Promise<T>): Promise<T> {
    const parentSpan = parentKey === null ? undefined : this.#steps.get(parentKey);
    const parent = parentSpan === undefined ? this.ctx : trace.setSpan(this.ctx, parentSpan);
    const span = this.#tracer.startSpan(`errand.step ${path}`, { attributes: { "errand.step.key": path, "errand.run_id": this.#runId } }, parent);
    this.#steps.set(path, span);
    const done = () => {
      if (this.#steps.get(path) === span) this.#steps.delete(path);
      span.end();
    };
    return context.with(trace.setSpan(parent, span), fn).then(
      (value) => {
        done();
        return value;
      },
      (error: unknown) => {
        markError(span, error);
        done();
        throw error;
      },
    );
  }

  event(name: string, attributes: Record<string, TraceValue | undefined>, path?: string | null): void {
    const span = (path == null ? undefined : this.#steps.get(path)) ?? this.#span;
    const clean: Record<string, TraceValue> = {};
    for (const k in attributes) if (attributes[k] !== undefined) clean[k] = attributes[k];
    span.addEvent(name, clean);
  }

  end(decision: AttemptEnd): void {
    this.#span.setAttribute("errand.outcome", decision.kind);
    if (decision.retryAt !== undefined) this.#span.setAttribute("errand.retry_at", new Date(decision.retryAt).toISOString());
    if (decision.kind === "retry" || decision.kind === "failed") markError(this.#span, decision.error);
    this.#close();
  }

  fail(error: unknown): void {
    markError(this.#span, error);
    this.#close();
  }

  #close(): void {
    for (const span of this.#steps.values()) span.end(); // steps cut off by a suspension or an abort
    this.#steps.clear();
    attempts.delete(this.#runId);
    this.#span.end();
  }
}

/** Records `error` (a thrown value or a stored SerializedError) on `span` and sets its status to ERROR. */
function markError(span: Span, error: unknown): void {
  const e = exceptionOf(error);
  span.recordException(e);
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
}

function exceptionOf(error: unknown): { name: string; message: string; stack?: string } {
  try {
    if (error !== null && typeof error === "object" && typeof (error as SerializedError).message === "string") {
      const { name, message, stack } = error as SerializedError;
      return { name: typeof name === "string" ? name : "Error", message, ...(typeof stack === "string" ? { stack } : {}) };
    }
    return { name: "Error", message: String(error) };
  } catch {
    return { name: "Error", message: "unprintable error" };
  }
}
