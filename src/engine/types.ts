/**
 * Public types of durable tasks (docs/CONTRACT.md §2). The engine helper owns their implementation; these
 * shapes are shared with `src/durable/` (run context), the CLI and the dashboard, so change them only
 * together with their users.
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { RunStatus, SerializedError, StepKind, StepStatus, LogLevel } from "../store/types.ts";
import type { RunContext } from "../durable/types.ts";

/** Milliseconds, or a sum of parts. Used wherever a duration is taken. */
export type Duration =
  | number
  | {
      readonly ms?: number;
      readonly seconds?: number;
      readonly minutes?: number;
      readonly hours?: number;
      readonly days?: number;
    };

export interface RetryOptions {
  /** Attempts in all, the first included. @default 3 */
  readonly maxAttempts?: number;
  /** Growth of the delay per attempt. @default 2 */
  readonly factor?: number;
  /** Delay before the second attempt. @default 1000 */
  readonly minDelayMs?: number;
  /** Upper bound of any delay. @default 60_000 */
  readonly maxDelayMs?: number;
  /** Multiply each delay by a random factor in [1, 2). @default true */
  readonly randomize?: boolean;
}

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

/** Public view of a run (`ctx.run`). */
export interface RunInfo {
  readonly id: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly tags: readonly string[];
  readonly createdAt: Date;
  readonly parentRunId: string | null;
}

export type TaskResult<TOutput> =
  | { readonly ok: true; readonly id: string; readonly output: TOutput; unwrap(): TOutput }
  | { readonly ok: false; readonly id: string; readonly error: SerializedError; unwrap(): never };

export interface RunHandle {
  readonly id: string;
  readonly taskId: string;
  /** false when an idempotency key matched an existing run, which is returned instead. */
  readonly created: boolean;
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

/** A run as the engine's query API returns it (JSON fields parsed). */
export interface RunView {
  readonly id: string;
  readonly taskId: string;
  readonly queue: string;
  readonly concurrencyKey: string | null;
  readonly status: RunStatus;
  readonly payload: unknown;
  readonly output: unknown;
  readonly error: SerializedError | null;
  readonly priority: number;
  readonly runAt: Date;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly idempotencyKey: string | null;
  readonly expiresAt: Date | null;
  readonly tags: readonly string[];
  readonly parentRunId: string | null;
  readonly scheduleId: string | null;
  readonly workerId: string | null;
  readonly progress: number | null;
  readonly progressMessage: string | null;
}

export interface StepView {
  readonly key: string;
  readonly parentKey: string | null;
  readonly kind: StepKind;
  readonly status: StepStatus;
  readonly output: unknown;
  readonly error: SerializedError | null;
  readonly attempts: number;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly childRunId: string | null;
}

export interface LogView {
  readonly level: LogLevel;
  readonly message: string;
  readonly data: unknown;
  readonly at: Date;
  readonly attempt: number;
}

/** Events a worker emits; `worker.on(name, fn)`. */
export interface WorkerEvents {
  "run:started": { readonly run: RunInfo };
  "run:completed": { readonly run: RunInfo; readonly output: unknown; readonly durationMs: number };
  "run:failed": { readonly run: RunInfo; readonly error: SerializedError };
  "run:retrying": { readonly run: RunInfo; readonly error: SerializedError; readonly retryAt: Date };
  "run:waiting": { readonly run: RunInfo };
  "run:canceled": { readonly run: RunInfo };
  "run:progress": { readonly run: RunInfo; readonly progress: number; readonly message: string | null };
  "worker:error": { readonly error: unknown };
  "worker:stopped": Record<string, never>;
}

export interface WorkerOptions {
  /** Runs executed at once by this worker. @default 10 */
  readonly concurrency?: number;
  /** Only these queues. @default all queues */
  readonly queues?: readonly string[];
  /** Polling interval for work from other processes. @default 1000 */
  readonly pollIntervalMs?: number;
  /** Lease length; renewed by heartbeat every leaseMs / 3. @default 30_000 */
  readonly leaseMs?: number;
  /** Graceful stop: how long in-flight runs may take before they are handed back. @default 30_000 */
  readonly gracefulStopMs?: number;
  /**
   * Runs claimed ahead into a local buffer beyond `concurrency`, so claiming overlaps executing (for
   * many short runs). Buffered runs hold their lease and count against queue limits. @default 0
   */
  readonly prefetch?: number;
}

export interface Worker extends AsyncDisposable {
  readonly id: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  on<E extends keyof WorkerEvents>(event: E, listener: (payload: WorkerEvents[E]) => void): () => void;
}

export interface ListRunsOptions {
  readonly status?: RunStatus | readonly RunStatus[];
  readonly taskId?: string;
  readonly queue?: string;
  readonly tag?: string;
  readonly parentRunId?: string;
  readonly idPrefix?: string;
  /** @default 50 */
  readonly limit?: number;
  readonly cursor?: string | null;
}

export interface ScheduleView {
  readonly id: string;
  readonly taskId: string;
  readonly cron: string;
  readonly timezone: string | null;
  readonly payload: unknown;
  readonly source: "declared" | "dynamic";
  readonly nextFireAt: Date;
  readonly lastFireAt: Date | null;
}

export interface CreateScheduleOptions {
  readonly task: AnyTask | string;
  readonly cron: string;
  readonly timezone?: string;
  /** Extra payload merged into each run's payload. */
  readonly payload?: unknown;
  /** Dedup key: creating again with the same key updates that schedule instead of adding one. */
  readonly key?: string;
}

export interface ScheduleApi {
  create(options: CreateScheduleOptions): Promise<ScheduleView>;
  list(): Promise<ScheduleView[]>;
  delete(id: string): Promise<boolean>;
}

/** What `createEngine` returns (docs/CONTRACT.md §2). */
export interface Engine extends AsyncDisposable {
  readonly store: import("../store/types.ts").Store;
  /** Registered tasks by id. */
  readonly tasks: ReadonlyMap<string, AnyTask>;
  trigger<T extends AnyTask>(task: T | string, payload: TaskInput<T>, options?: TriggerOptions): Promise<RunHandle>;
  batchTrigger<T extends AnyTask>(
    task: T | string,
    items: readonly (TaskInput<T> | { readonly payload: TaskInput<T>; readonly options?: TriggerOptions })[],
  ): Promise<RunHandle[]>;
  execute<T extends AnyTask>(task: T | string, payload: TaskInput<T>): Promise<TaskResult<TaskOutput<T>>>;
  worker(options?: WorkerOptions): Worker;
  sendEvent(event: string, payload?: unknown): Promise<number>;
  readonly runs: {
    get(id: string): Promise<RunView | null>;
    list(options?: ListRunsOptions): Promise<{ runs: RunView[]; nextCursor: string | null }>;
    cancel(id: string): Promise<boolean>;
    replay(id: string): Promise<RunHandle>;
    steps(id: string): Promise<StepView[]>;
    logs(id: string): Promise<LogView[]>;
    wait<T = unknown>(id: string, options?: { readonly timeoutMs?: number }): Promise<TaskResult<T>>;
    stats(): Promise<import("../store/types.ts").RunStats>;
    metrics(options: { readonly since: Date; readonly bucketMs: number }): Promise<readonly import("../store/types.ts").MetricsBucket[]>;
  };
  readonly schedules: ScheduleApi;
  prune(options: { readonly olderThanMs: number }): Promise<number>;
  close(): Promise<void>;
}
