/** Validation and defaults of `engine.worker(options)`. */
import type { WorkerOptions } from "../types.ts";

export interface ResolvedWorkerOptions {
  readonly concurrency: number;
  readonly queues: readonly string[] | null;
  readonly pollIntervalMs: number;
  readonly leaseMs: number;
  readonly gracefulStopMs: number;
  /** null: adaptive (see prefetch.ts). */
  readonly prefetch: number | null;
}

const KNOWN = new Set(["concurrency", "queues", "pollIntervalMs", "leaseMs", "gracefulStopMs", "prefetch"]);

export function validateWorkerOptions(o: WorkerOptions): ResolvedWorkerOptions {
  if (o === null || typeof o !== "object") throw new TypeError("engine.worker: options must be an object");
  const int = (name: keyof WorkerOptions, v: unknown, min: number, fallback: number): number => {
    if (v === undefined) return fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      throw new TypeError(`engine.worker: option \`${name}\` must be an integer >= ${min}, got ${String(v)}`);
    }
    return v;
  };
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) throw new TypeError(`engine.worker: unknown option \`${k}\``);
  if (o.queues !== undefined && (!Array.isArray(o.queues) || o.queues.length === 0 || o.queues.some((q) => typeof q !== "string" || q === ""))) {
    throw new TypeError("engine.worker: option `queues` must be a non-empty array of queue names");
  }
  return {
    concurrency: int("concurrency", o.concurrency, 1, 10),
    pollIntervalMs: int("pollIntervalMs", o.pollIntervalMs, 1, 1000),
    leaseMs: int("leaseMs", o.leaseMs, 100, 30_000),
    gracefulStopMs: int("gracefulStopMs", o.gracefulStopMs, 0, 30_000),
    prefetch: o.prefetch === undefined ? null : int("prefetch", o.prefetch, 0, 0),
    queues: o.queues ?? null,
  };
}
