/**
 * `errand.trigger <taskId>` spans (kind PRODUCER): one per run a trigger inserts (engine.trigger,
 * batchTrigger, child triggers, runs started by an event, scheduled runs). Each span's context is
 * stored on its run, so the attempts of that run, in whichever process, continue its trace.
 */
import { SpanKind, SpanStatusCode, trace, type Context, type Span } from "@opentelemetry/api";
import type { CreatedRun, NewRun } from "../../store/types.ts";
import { activeContext, activeTracer, storedContext } from "./otel.ts";
import { attemptContext } from "./run-span.ts";

export interface TriggerTrace {
  /**
   * Inserts the runs, each carrying its trigger span's context, through `write`; then each span
   * learns which run it made (or found, for a repeated idempotency key) and ends. A failed write
   * is recorded on every span.
   */
  insert<R>(write: (runs: readonly NewRun[]) => Promise<R>, createdOf?: (result: R) => readonly CreatedRun[]): Promise<R>;
}

/**
 * Inserts `runs` through `write`, inside one trigger span per run when a tracer provider is
 * registered (see {@link TriggerTrace.insert}); otherwise it is just `write(runs)`.
 */
export function insertTraced<R>(
  runs: readonly NewRun[],
  write: (runs: readonly NewRun[]) => Promise<R>,
  createdOf?: (result: R) => readonly CreatedRun[],
): Promise<R> {
  const traced = traceTriggers(runs);
  return traced === null ? write(runs) : traced.insert(write, createdOf);
}

/** Whether a tracer provider is registered: triggers then go through {@link insertTraced}. */
export function tracing(): boolean {
  return activeTracer() !== null;
}

/** Starts one trigger span per run; null (and nothing done) when no tracer provider is registered. */
export function traceTriggers(runs: readonly NewRun[]): TriggerTrace | null {
  const tracer = activeTracer();
  if (tracer === null || runs.length === 0) return null;
  const active = activeContext();
  const spans: Span[] = [];
  const traced = runs.map((run) => {
    const parent = parentOf(run, active);
    const span = tracer.startSpan(
      `errand.trigger ${run.taskId}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          "errand.run_id": run.id,
          "errand.task_id": run.taskId,
          "errand.queue": run.queue,
          ...(run.parentRunId === null ? {} : { "errand.parent_run_id": run.parentRunId }),
          ...(run.scheduleId === null ? {} : { "errand.schedule_id": run.scheduleId }),
        },
      },
      parent,
    );
    spans.push(span);
    return { ...run, traceContext: storedContext(span, parent) };
  });
  const end = (created: readonly CreatedRun[]) =>
    spans.forEach((span, i) => {
      const c = created[i];
      if (c !== undefined && !c.created) {
        // A repeated idempotency key: the existing run (and its trace) stands.
        span.setAttribute("errand.run_id", c.run.id);
        span.setAttribute("errand.deduplicated", true);
      }
      span.end();
    });
  const fail = (error: unknown) => {
    for (const span of spans) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      span.end();
    }
  };
  return {
    async insert(write, createdOf = (result) => result as readonly CreatedRun[]) {
      let result;
      try {
        result = await write(traced);
      } catch (error) {
        fail(error);
        throw error;
      }
      end(createdOf(result));
      return result;
    },
  };
}

/**
 * A child run's trigger continues its parent's attempt: the active span when the call runs inside
 * it (a step's span), else the attempt's span; any other run continues the caller's active context.
 */
function parentOf(run: NewRun, active: Context): Context {
  if (run.parentRunId === null || trace.getSpan(active) !== undefined) return active;
  return attemptContext(run.parentRunId) ?? active;
}
