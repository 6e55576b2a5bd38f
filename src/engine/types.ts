/**
 * Public types of the engine (docs/CONTRACT.md §2): the query views, workers and the `Engine` itself. The
 * types of a task and its run context live in `src/durable/task.ts`, the shared vocabulary (durations,
 * retries, results, handles, trigger options) in `src/vocabulary/`; both are re-exported here so the
 * engine's users (CLI, dashboard, entry point) find every public type in one place.
 */
import type { LogLevel, RunStats, RunStatus, StepKind, StepStatus } from "../store/types.ts";
import type { AnyEvent, EventInput } from "../durable/event.ts";
import type { AnyTask, TaskInput, TaskOutput } from "../durable/task.ts";
import type { TokensApi } from "./tokens.ts";
import type { TaskResult } from "../vocabulary/results.ts";
import type { RunHandle, RunInfo, TriggerOptions } from "../vocabulary/runs.ts";
import type { SerializedError } from "../vocabulary/serialize-error.ts";

export type {
  AnyTask,
  CatchErrorResult,
  HookParams,
  QueueOptions,
  RateLimitOptions,
  RunContextWith,
  ScheduleOptions,
  SchedulePayload,
  Task,
  TaskInput,
  TaskOptions,
  TaskOutput,
} from "../durable/task.ts";
export type { Duration } from "../vocabulary/duration.ts";
export type { RetryOptions } from "../vocabulary/retry.ts";
export type { TaskResult } from "../vocabulary/results.ts";
export type { DebounceOptions, RunHandle, RunInfo, TriggerOptions } from "../vocabulary/runs.ts";
export type { RunStats } from "../store/types.ts";
export type { AnyEvent, EventDefinition, EventInput, EventPayload, EventRef } from "../durable/event.ts";
export type { CreateTokenOptions, DeepPartial, WaitForEventOptions } from "../durable/task.ts";
export type { TokenRefusal, TokenResult, WaitpointToken } from "../vocabulary/tokens.ts";
export type { TokenCompleteResult, TokensApi, TokenView } from "./tokens.ts";

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
  /** The event that started the run (a task's `on`), or null. */
  readonly event: { readonly id: string; readonly name: string } | null;
  /** A pending run its queue's rate limit held back: when it may start next (also its `runAt`); else null. */
  readonly rateLimitedUntil: Date | null;
  /**
   * A pending run of a task this engine does not register: no worker of this engine claims it; it
   * stays queued until a worker that knows the task does (another app or version on the same store).
   */
  readonly waitingForWorker: boolean;
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
   * many short runs). Buffered runs hold their lease and count against queue limits. 0 claims only for
   * free slots. @default adaptive: about 100 ms of work at the mean run time, at most 20 × concurrency
   */
  readonly prefetch?: number;
  /**
   * Only runs of these tasks (or task ids), which the engine must register. A worker never claims a
   * run of a task its engine does not register: such runs stay queued for a worker that knows them.
   * @default every task the engine registers
   */
  readonly tasks?: readonly (AnyTask | string)[];
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

/** Finished runs in one time bucket (`engine.runs.metrics`). */
export interface MetricsView {
  /** Start of the bucket. */
  readonly at: Date;
  readonly completed: number;
  readonly failed: number;
  /** Mean of finishedAt − startedAt over the bucket's finished runs, in ms; null when there were none. */
  readonly avgDurationMs: number | null;
  readonly maxDurationMs: number | null;
}

/**
 * What `engine.store` shows of the store the engine runs on. Run-level operations (claims,
 * completions, failures) are the engine's own: they are not handed out.
 */
export interface EngineStore {
  /** Names the database for messages, e.g. `sqlite:/path/errand.db` (never a password). */
  readonly name: string;
  /** Applies the store's pending migrations (safe under concurrent starts). The engine also does it before its first use of the store. */
  migrate(): Promise<void>;
}

/** `engine.runs`: query, cancel, replay and wait for runs. */
export interface RunsApi {
  get(id: string): Promise<RunView | null>;
  list(options?: ListRunsOptions): Promise<{ runs: RunView[]; nextCursor: string | null }>;
  cancel(id: string): Promise<boolean>;
  replay(id: string): Promise<RunHandle>;
  steps(id: string): Promise<StepView[]>;
  logs(id: string): Promise<LogView[]>;
  /** The run's result once it has finished; typed by the task's output when given the handle of `trigger(task, …)`. */
  wait<TOutput>(run: RunHandle<TOutput>, options?: { readonly timeoutMs?: number }): Promise<TaskResult<TOutput>>;
  /** The run's result once it has finished; its output is `unknown` unless you say what it is. */
  wait<TOutput = unknown>(id: string, options?: { readonly timeoutMs?: number }): Promise<TaskResult<TOutput>>;
  stats(): Promise<RunStats>;
  metrics(options: { readonly since: Date; readonly bucketMs: number }): Promise<readonly MetricsView[]>;
}

export interface SendEventOptions {
  /** The same key sent again for this event name starts and wakes nothing (as long as the first event is stored). */
  readonly idempotencyKey?: string;
}

/** What `engine.sendEvent` did. */
export interface SentEvent {
  /** The stored event's id (for a repeated idempotency key: the first send's). */
  readonly id: string;
  /** false when the idempotency key had been sent already: nothing was started or woken this time. */
  readonly created: boolean;
  /** One run per task listening to the event (for a repeat: the runs the first send started, `created: false`). */
  readonly runs: RunHandle[];
  /** How many waiting runs the event woke (`ctx.waitForEvent`). */
  readonly woken: number;
}

/** What `createEngine` returns (docs/CONTRACT.md §2). */
export interface Engine extends AsyncDisposable {
  readonly store: EngineStore;
  /** Registered tasks by id. */
  readonly tasks: ReadonlyMap<string, AnyTask>;
  /** Enqueues a run; the handle carries the task's output type (for `runs.wait(handle)`). */
  trigger<T extends AnyTask>(task: T, payload: TaskInput<T>, options?: TriggerOptions): Promise<RunHandle<TaskOutput<T>>>;
  /** Enqueues a run of the task registered under this id. */
  trigger(taskId: string, payload: unknown, options?: TriggerOptions): Promise<RunHandle>;
  batchTrigger<T extends AnyTask>(
    task: T,
    items: readonly (TaskInput<T> | { readonly payload: TaskInput<T>; readonly options?: TriggerOptions })[],
  ): Promise<RunHandle<TaskOutput<T>>[]>;
  batchTrigger(taskId: string, items: readonly unknown[]): Promise<RunHandle[]>;
  execute<T extends AnyTask>(task: T, payload: TaskInput<T>): Promise<TaskResult<TaskOutput<T>>>;
  execute(taskId: string, payload: unknown): Promise<TaskResult<unknown>>;
  worker(options?: WorkerOptions): Worker;
  /**
   * Sends an event: starts one run of every task listening to it (`on`) and wakes the runs waiting for
   * it (`ctx.waitForEvent`), in one transaction. A typed event's payload is checked by its schema, and
   * each listener's by the listener's schema, before anything is written.
   */
  sendEvent<E extends AnyEvent>(event: E, payload: EventInput<E>, options?: SendEventOptions): Promise<SentEvent>;
  sendEvent(event: string, payload?: unknown, options?: SendEventOptions): Promise<SentEvent>;
  /** Waitpoint tokens: complete them (`complete(id, data)`), read them. */
  readonly tokens: TokensApi;
  readonly runs: RunsApi;
  readonly schedules: ScheduleApi;
  prune(options: { readonly olderThanMs: number }): Promise<number>;
  close(): Promise<void>;
}
