/**
 * Run metrics through the OpenTelemetry metrics API (recorded only when a meter provider is
 * registered): attempts started, runs completed and failed, how long runs waited in their queue
 * and how long attempts ran. Every instrument carries `errand.task_id` and `errand.queue`.
 */
import type { Attributes, Counter, Histogram } from "@opentelemetry/api";
import type { RunRecord } from "../../store/types.ts";
import { activeMeter } from "./otel.ts";

export interface RunMetrics {
  /** An attempt (a first execution, a retry or a resume) starts at `now`. */
  started(run: RunRecord, now: number): void;
  /** The attempt that started at `began` ended at `now` with the worker's decision (`completed`, `retry`, `failed`, `suspended`). */
  ended(run: RunRecord, outcome: string, began: number, now: number): void;
}

interface Instruments {
  readonly started: Counter;
  readonly completed: Counter;
  readonly failed: Counter;
  readonly queueWait: Histogram;
  readonly duration: Histogram;
}

let made: { readonly meter: object; readonly instruments: Instruments } | null = null;

/** The run metrics, or null when no meter provider is registered. */
export function runMetrics(): RunMetrics | null {
  const meter = activeMeter();
  if (meter === null) return null;
  if (made?.meter !== meter) {
    made = {
      meter,
      instruments: {
        started: meter.createCounter("errand.runs.started", { description: "Attempts started (first executions, retries and resumes)" }),
        completed: meter.createCounter("errand.runs.completed", { description: "Runs that completed" }),
        failed: meter.createCounter("errand.runs.failed", { description: "Runs that failed for good (no retry left)" }),
        queueWait: meter.createHistogram("errand.run.queue_wait", { unit: "ms", description: "Time from when a run was due to when its attempt started" }),
        duration: meter.createHistogram("errand.run.duration", { unit: "ms", description: "Time an attempt ran, by outcome" }),
      },
    };
  }
  const m = made.instruments;
  return {
    started(run, now) {
      const attrs = attributesOf(run);
      m.started.add(1, attrs);
      m.queueWait.record(Math.max(0, now - run.runAt), attrs);
    },
    ended(run, outcome, began, now) {
      const attrs = attributesOf(run);
      if (outcome === "completed") m.completed.add(1, attrs);
      else if (outcome === "failed") m.failed.add(1, attrs);
      m.duration.record(Math.max(0, now - began), { ...attrs, "errand.outcome": outcome });
    },
  };
}

function attributesOf(run: RunRecord): Attributes {
  return { "errand.task_id": run.taskId, "errand.queue": run.queue };
}
