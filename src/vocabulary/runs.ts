import type { Duration } from "./duration.ts";

/** What a run is to its callers: the handle a trigger returns, the run info a task sees, trigger options. */

/** Public view of a run (`ctx.run`). */
export interface RunInfo {
  readonly id: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly tags: readonly string[];
  readonly createdAt: Date;
  readonly parentRunId: string | null;
}

/** What a trigger returns. `TOutput` is the output type of the run's task, when known. */
export interface RunHandle<TOutput = unknown> {
  readonly id: string;
  readonly taskId: string;
  /** false when an idempotency key matched an existing run, which is returned instead. */
  readonly created: boolean;
  /** Phantom field for type inference only (`runs.wait(handle)`); never set. */
  readonly __output?: TOutput;
}

/** Trigger option `debounce` (docs/flow-control.md). */
export interface DebounceOptions {
  /** Triggers of the task with the same key share one pending run. */
  readonly key: string;
  /** Each trigger moves the pending run's start to now + `delay` (ms or `{ seconds, … }`, > 0). */
  readonly delay: Duration;
  /** The start is never later than the first trigger + `maxDelay`. @default no cap */
  readonly maxDelay?: Duration;
}

export interface TriggerOptions {
  /** Start no earlier than this many ms from now. */
  readonly delayMs?: number;
  readonly runAt?: Date;
  readonly idempotencyKey?: string;
  /** How long the key dedupes. @default forever */
  readonly idempotencyKeyTtlMs?: number;
  /** Higher first. @default 0 */
  readonly priority?: number;
  /** Override the task's queue name. */
  readonly queue?: string;
  readonly concurrencyKey?: string;
  /** Expire the run if it has not started within this many ms. */
  readonly ttlMs?: number;
  readonly tags?: readonly string[];
  /** Override the task's retry.maxAttempts. */
  readonly maxAttempts?: number;
  /**
   * While a run of this task with the same debounce key has not started, this trigger replaces its
   * payload and moves its start to now + `delay` (never later than the first trigger + `maxDelay`),
   * and returns its handle with `created: false`. Not with `idempotencyKey`, `delayMs` or `runAt`.
   */
  readonly debounce?: DebounceOptions;
}
