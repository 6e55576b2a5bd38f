/**
 * The run context (`ctx`, second argument of a durable task's `run`) and the narrow interface through
 * which the engine hands an attempt to `src/durable/`. The durable helper owns the implementation;
 * the engine calls {@link CreateRunContext} per attempt.
 */
import type { Context } from "../core/index.ts";
import type { ClaimedRun, NewLog, NewStep, NewWait, RunRecord } from "../store/types.ts";
import type {
  AnyTask,
  Duration,
  RetryOptions,
  RunHandle,
  RunInfo,
  TaskInput,
  TaskOutput,
  TaskResult,
  TriggerOptions,
} from "../engine/types.ts";

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
  trigger<T extends AnyTask>(task: T, payload: TaskInput<T>, options?: TriggerOptions): Promise<RunHandle>;
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

/** One child run to insert for a parent (engine's trigger path: validation, defaults, idempotency). */
export interface ChildTrigger {
  readonly task: AnyTask;
  readonly payload: unknown;
  readonly options: TriggerOptions;
}

/**
 * What the engine provides to a run attempt: the few store operations durable code performs, already
 * bound to the worker that holds the run (fencing by lease is the host's business), and the clock.
 */
export interface DurableHost {
  /** The engine's clock (epoch ms): every stored time comes from it. */
  now(): number;
  /** Stores a finished step; false when this worker no longer holds the run (nothing is written). */
  saveStep(runId: string, step: NewStep): Promise<boolean>;
  /** Appends log lines (a line whose key is already stored is skipped: replays write nothing twice). */
  appendLogs(runId: string, logs: readonly NewLog[]): Promise<void>;
  /** Stores the run's progress and tells whoever watches the worker (`run:progress`). */
  reportProgress(runId: string, progress: number, message: string | null): Promise<void>;
  /** Validates and inserts runs (one transaction) with `parentRunId` set; idempotency keys come from the caller. */
  triggerChildren(parent: RunRecord, items: readonly ChildTrigger[]): Promise<readonly RunHandle[]>;
}

export type AttemptOutcome =
  | { readonly kind: "completed"; readonly output: unknown }
  /** `error` is the raw thrown value; the engine decides about retries. */
  | { readonly kind: "failed"; readonly error: unknown }
  | { readonly kind: "suspended"; readonly waits: readonly NewWait[] };

export interface AttemptSetup {
  readonly claimed: ClaimedRun;
  /** Aborted on cancel, timeout and shutdown. */
  readonly signal: AbortSignal;
  readonly host: DurableHost;
}

export interface AttemptHandle {
  readonly ctx: RunContext;
  /**
   * Settles the attempt: races `work` (the task's run wrapped in hooks) against a suspension
   * (sleep / wait for children / wait for event with no stored result). On suspension it waits for
   * steps already in flight to be stored first. Flushes buffered logs before resolving.
   */
  settle(work: Promise<unknown>): Promise<AttemptOutcome>;
}

export type CreateRunContext = (setup: AttemptSetup) => AttemptHandle;
