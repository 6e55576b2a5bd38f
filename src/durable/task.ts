/**
 * What a durable task is: its options and hooks, and the run context (`ctx`) its `run` receives.
 * `defineTask` (engine) builds a {@link Task}; the run context is implemented in `run-context.ts`.
 * The two are defined together because they refer to each other (`run` takes a context, the
 * context triggers tasks).
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Context } from "../core/index.ts";
import type { Duration } from "../vocabulary/duration.ts";
import type { RetryOptions } from "../vocabulary/retry.ts";
import type { TaskResult } from "../vocabulary/results.ts";
import type { RunHandle, RunInfo, TriggerOptions } from "../vocabulary/runs.ts";
import type { SerializedError } from "../vocabulary/serialize-error.ts";

export interface QueueOptions {
  /** @default the task id */
  readonly name: string;
  /** Runs of this queue running at once, across all workers and processes; per key when runs have a `concurrencyKey`. @default null (unlimited) */
  readonly concurrencyLimit?: number | null;
}

export type ScheduleOptions = string | { readonly cron: string; readonly timezone?: string };

/** What `run` of a scheduled task receives in its payload (merged into the schedule's own payload). */
export interface SchedulePayload {
  readonly scheduledAt: string;
  readonly lastScheduledAt: string | null;
  readonly scheduleId: string;
}

export interface CatchErrorResult {
  readonly retryAtMs?: number;
  readonly skipRetrying?: boolean;
}

export interface HookParams<TPayload> {
  readonly payload: TPayload;
  readonly ctx: RunContext;
  readonly run: RunInfo;
}

export interface TaskOptions<TPayload, TOutput> {
  /** Unique; the alias used by the CLI, the dashboard and trigger-by-id. */
  readonly id: string;
  readonly title?: string;
  readonly description?: string;
  /** Any Standard Schema; checked at trigger time and at run time. */
  readonly schema?: StandardSchemaV1<unknown, TPayload>;
  readonly retry?: RetryOptions;
  readonly queue?: QueueOptions;
  /** Per attempt; aborts `ctx.signal` and fails the attempt. @default none */
  readonly timeoutMs?: number;
  readonly schedule?: ScheduleOptions;
  run(payload: TPayload, ctx: RunContext): Promise<TOutput> | TOutput;
  init?(params: HookParams<TPayload>): Promise<void> | void;
  middleware?(params: HookParams<TPayload> & { readonly next: () => Promise<void> }): Promise<void>;
  onStart?(params: HookParams<TPayload>): Promise<void> | void;
  onSuccess?(params: HookParams<TPayload> & { readonly output: TOutput }): Promise<void> | void;
  onFailure?(params: HookParams<TPayload> & { readonly error: SerializedError }): Promise<void> | void;
  cleanup?(params: HookParams<TPayload>): Promise<void> | void;
  catchError?(
    params: HookParams<TPayload> & { readonly error: unknown; readonly retryAt: Date | null },
  ): Promise<CatchErrorResult | void> | CatchErrorResult | void;
}

/** A durable task, made by `defineTask`. `TInput` is what triggers accept (the schema's input type). */
export interface Task<TPayload = unknown, TOutput = unknown, TInput = TPayload> {
  readonly id: string;
  readonly options: TaskOptions<TPayload, TOutput>;
  /** Phantom fields for type inference only. */
  readonly __payload?: TPayload;
  readonly __output?: TOutput;
  readonly __input?: TInput;
}

export type AnyTask = Task<any, any, any>;
export type TaskInput<T> = T extends Task<any, any, infer I> ? I : never;
export type TaskOutput<T> = T extends Task<any, infer O, any> ? O : never;

export interface StepOptions {
  /** Retries of this step inside the attempt. @default no retries (1 attempt) */
  readonly retry?: RetryOptions;
  /** Per try; aborts `s.signal` and fails the try. */
  readonly timeoutMs?: number;
}

/** What a step's function receives. */
export interface StepScope {
  /** Sub-step; its key is scoped under this step's path (`parent/child`). */
  step<T>(key: string, fn: (s: StepScope) => Promise<T> | T, options?: StepOptions): Promise<T>;
  /** 1-based try number of this step. */
  readonly attempt: number;
  readonly signal: AbortSignal;
  /** Stable across replays and retries: `<run id>:<step path>`. Hand it to external APIs. */
  readonly idempotencyKey: string;
  /** Full step path. */
  readonly path: string;
}

export interface Logger {
  debug(message: string, data?: unknown): void;
  info(message: string, data?: unknown): void;
  warn(message: string, data?: unknown): void;
  error(message: string, data?: unknown): void;
}

export interface WaitForEventOptions {
  readonly event: string;
  readonly timeoutMs?: Duration;
  /** Data, not code: a partial payload the event payload must contain (deep subset). */
  readonly match?: unknown;
}

/**
 * The context of one durable run attempt. It is also an in-process task context (`Context` from
 * core): `getUser.run(ctx, 1)` is memoised for the run, and stored as step `task:<id>:<key>` when
 * the task has an id.
 */
export interface RunContext extends Context {
  readonly run: RunInfo;
  /** Aborted on cancel, timeout and worker shutdown. */
  readonly signal: AbortSignal;
  step<T>(key: string, fn: (s: StepScope) => Promise<T> | T, options?: StepOptions): Promise<T>;
  sleep(key: string, duration: Duration): Promise<void>;
  sleepUntil(key: string, date: Date | number): Promise<void>;
  trigger<T extends AnyTask>(task: T, payload: TaskInput<T>, options?: TriggerOptions): Promise<RunHandle<TaskOutput<T>>>;
  triggerAndWait<T extends AnyTask>(
    task: T,
    payload: TaskInput<T>,
    options?: TriggerOptions,
  ): Promise<TaskResult<TaskOutput<T>>>;
  batchTriggerAndWait<T extends AnyTask>(
    task: T,
    payloads: readonly TaskInput<T>[],
    options?: TriggerOptions,
  ): Promise<TaskResult<TaskOutput<T>>[]>;
  waitForEvent<T = unknown>(key: string, options: WaitForEventOptions): Promise<T | null>;
  readonly log: Logger;
  progress(fraction: number, message?: string): Promise<void>;
}
