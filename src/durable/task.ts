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
import type { TokenResult, WaitpointToken } from "../vocabulary/tokens.ts";
import type { AnyEvent, EventInput, EventPayload, EventRef } from "./event.ts";

export interface QueueOptions {
  /** @default the task id */
  readonly name: string;
  /** Runs of this queue running at once, across all workers and processes; per key when runs have a `concurrencyKey`. @default null (unlimited) */
  readonly concurrencyLimit?: number | null;
  /**
   * At most `limit` runs of this queue start in any window of `period`, across all workers and
   * processes; the others wait (none is dropped). @default null (no rate limit)
   */
  readonly rateLimit?: RateLimitOptions | null;
}

export interface RateLimitOptions {
  /** Starts allowed per window (an integer ≥ 1). */
  readonly limit: number;
  /** The window: ms or `{ seconds, minutes, … }`. */
  readonly period: Duration;
  /** The limit holds for each trigger `concurrencyKey` (runs without one share one window). @default false */
  readonly perKey?: boolean;
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

/** The context `run` receives: a {@link RunContext} whose `init` is what the task's `init` returned. */
export type RunContextWith<TInit> = RunContext & { readonly init: TInit };

export interface TaskOptions<TPayload, TOutput, TInit = undefined> {
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
  /**
   * Events that start a run of this task: each `engine.sendEvent` of one of them starts one run, whose
   * payload is the event's. A name, a typed event (`defineEvent`), or a list. Without a `schema`, a
   * task listening to typed events takes their payload type, and their schemas check its payload.
   */
  readonly on?: EventRef | readonly EventRef[];
  run(payload: TPayload, ctx: RunContextWith<TInit>): Promise<TOutput> | TOutput;
  /** Called before `run` in every execution; what it returns (awaited) is `ctx.init` in `run` and the hooks after it. */
  init?(params: HookParams<TPayload>): Promise<TInit> | TInit;
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
  readonly options: TaskOptions<TPayload, TOutput, any>;
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

/** Every property optional, recursively (arrays are matched whole). */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { readonly [K in keyof T]?: DeepPartial<T[K]> } : T;

export interface WaitForEventOptions<E extends EventRef = EventRef> {
  /** The event's name, or a typed event (then the payload is typed by its schema). */
  readonly event: E;
  /** Resolve to null if no matching event came within this long. @default no timeout */
  readonly timeoutMs?: Duration;
  /** Data, not code: a partial payload the event payload must contain (deep subset). */
  readonly match?: E extends AnyEvent ? DeepPartial<EventInput<E>> : unknown;
}

export interface CreateTokenOptions {
  /** The token expires this long after it was created: a wait for it then resolves to `{ ok: false, error }`. @default never */
  readonly timeout?: Duration;
}

/**
 * The context of one durable run attempt. It is also an in-process task context (`Context` from
 * core): `getUser.run(ctx, 1)` is memoised for the run, and stored as step `task:<id>:<key>` when
 * the task has an id.
 */
export interface RunContext extends Context {
  readonly run: RunInfo;
  /** What the task's `init` returned in this execution (undefined without `init`, and before it returned). */
  readonly init: unknown;
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
  /** The payload of the first matching event sent after the wait began (typed by a typed event's schema), or null on timeout. */
  waitForEvent<E extends AnyEvent>(key: string, options: WaitForEventOptions<E>): Promise<EventPayload<E> | null>;
  waitForEvent<T = unknown>(key: string, options: WaitForEventOptions<string>): Promise<T | null>;
  /**
   * Creates a waitpoint token, recorded like a step (a replay returns the same token). Complete it from
   * anywhere with `engine.tokens.complete(id, data)` or `POST <dashboard>/api/tokens/<id>/complete`.
   */
  createToken<TOutput = unknown>(key: string, options?: CreateTokenOptions): Promise<WaitpointToken<TOutput>>;
  /**
   * Waits for a token this run created: `{ ok: true, output }` with the data it was completed with, or
   * `{ ok: false, error }` when it timed out first. The run is suspended (its worker slot freed) meanwhile.
   */
  waitForToken<TOutput>(token: WaitpointToken<TOutput>): Promise<TokenResult<TOutput>>;
  /** Waits for a token given by id, or typed here (`waitForToken<T>(token)`). */
  waitForToken<TOutput = unknown>(token: WaitpointToken | string): Promise<TokenResult<TOutput>>;
  readonly log: Logger;
  progress(fraction: number, message?: string): Promise<void>;
}
