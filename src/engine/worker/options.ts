/** Validation and defaults of `engine.worker(options)`. */
import { MAX_TIMER_MS, toMs } from "../../vocabulary/duration.ts";
import { MAX_INT32 } from "../../vocabulary/limits.ts";
import { checkName } from "../../vocabulary/validate.ts";
import type { AnyTask, WorkerOptions } from "../types.ts";

export interface ResolvedWorkerOptions {
  readonly concurrency: number;
  readonly queues: readonly string[] | null;
  readonly pollIntervalMs: number;
  readonly leaseMs: number;
  readonly gracefulStopMs: number;
  /** null: adaptive (see prefetch.ts). */
  readonly prefetch: number | null;
  /** The ids of the tasks this worker claims runs of (routing): the engine's, narrowed by option `tasks`. */
  readonly taskIds: readonly string[];
}

const KNOWN = new Set(["concurrency", "queues", "pollIntervalMs", "leaseMs", "gracefulStopMs", "prefetch", "tasks"]);

/** Option `tasks`: tasks (or ids) the engine registers; the worker claims runs of these only. */
function workerTaskIds(tasks: WorkerOptions["tasks"], registered: ReadonlyMap<string, AnyTask>): string[] {
  if (tasks === undefined) return [...registered.keys()];
  if (!Array.isArray(tasks) || tasks.length === 0) throw new TypeError("engine.worker: option `tasks` must be a non-empty array of tasks (or task ids) the engine registers");
  const ids = new Set<string>();
  tasks.forEach((t: unknown, i) => {
    const id = typeof t === "string" ? t : typeof t === "object" && t !== null ? (t as { id?: unknown }).id : undefined;
    if (typeof id !== "string" || !registered.has(id)) {
      throw new TypeError(`engine.worker: option \`tasks\`: task ${i} (${JSON.stringify(id ?? null)}) is not registered in this engine (createEngine({ tasks }))`);
    }
    ids.add(id);
  });
  return [...ids];
}

export function validateWorkerOptions(o: WorkerOptions, registered: ReadonlyMap<string, AnyTask>): ResolvedWorkerOptions {
  if (o === null || typeof o !== "object") throw new TypeError("engine.worker: options must be an object");
  const int = (name: keyof WorkerOptions, v: unknown, min: number, fallback: number): number => {
    if (v === undefined) return fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > MAX_INT32) {
      throw new TypeError(`engine.worker: option \`${name}\` must be an integer from ${min} to ${MAX_INT32}, got ${String(v)}`);
    }
    return v;
  };
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) throw new TypeError(`engine.worker: unknown option \`${k}\``);
  if (o.queues !== undefined && (!Array.isArray(o.queues) || o.queues.length === 0)) {
    throw new TypeError("engine.worker: option `queues` must be a non-empty array of queue names");
  }
  o.queues?.forEach((q, i) => checkName(q, `engine.worker: option \`queues\`: queue ${i}`));
  // Durations through the one parser; timers cap them at 2³¹ − 1 ms (a longer setTimeout fires at once).
  const ms = (name: keyof WorkerOptions, v: unknown, min: number, fallback: number): number => {
    if (v === undefined) return fallback;
    const n = toMs(v as number, `engine.worker: option \`${name}\``, { max: MAX_TIMER_MS });
    if (n < min) throw new TypeError(`engine.worker: option \`${name}\` must be at least ${min} ms, got ${String(v)}`);
    return n;
  };
  return {
    concurrency: int("concurrency", o.concurrency, 1, 10),
    pollIntervalMs: ms("pollIntervalMs", o.pollIntervalMs, 1, 1000),
    leaseMs: ms("leaseMs", o.leaseMs, 100, 30_000),
    gracefulStopMs: ms("gracefulStopMs", o.gracefulStopMs, 0, 30_000),
    prefetch: o.prefetch === undefined ? null : int("prefetch", o.prefetch, 0, 0),
    queues: o.queues ?? null,
    taskIds: workerTaskIds(o.tasks, registered),
  };
}
