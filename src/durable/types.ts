/**
 * The narrow interface through which the engine hands an attempt to `src/durable/`. The durable
 * helper owns the implementation; the engine calls {@link CreateRunContext} per attempt. The task
 * and run-context types users see are in `task.ts`.
 */
import type { ClaimedRun, NewLog, NewStep, NewToken, NewWait, RunRecord } from "../store/types.ts";
import type { ResolvedLimits } from "../vocabulary/limits.ts";
import type { RunHandle, RunInfo, TriggerOptions } from "../vocabulary/runs.ts";
import type { AnyTask, RunContext } from "./task.ts";

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
  /** The engine's `limits` (step results, log lines, nesting). */
  readonly limits: ResolvedLimits;
  /** Stores a finished step; false when this worker no longer holds the run (nothing is written). */
  saveStep(runId: string, step: NewStep): Promise<boolean>;
  /** Appends log lines (a line whose key is already stored is skipped: replays write nothing twice). */
  appendLogs(runId: string, logs: readonly NewLog[]): Promise<void>;
  /** Stores the run's progress and tells whoever watches the worker (`run:progress`). */
  reportProgress(runId: string, progress: number, message: string | null): Promise<void>;
  /** Validates and inserts runs (one transaction) with `parentRunId` set; idempotency keys come from the caller. */
  triggerChildren(parent: RunRecord, items: readonly ChildTrigger[]): Promise<readonly RunHandle[]>;
  /** Stores a waitpoint token of the run with the step recording it; false when this worker no longer holds the run. */
  createToken(runId: string, token: NewToken, step: NewStep): Promise<boolean>;
  /** Where the token can be completed over HTTP, when the engine knows (`createEngine({ dashboardUrl })`); else null. */
  tokenUrl(id: string): string | null;
  /**
   * Waits `ms` of the engine's time inside a running attempt (a step's retry back-off); rejects with
   * the signal's reason when it is aborted. @default real timers (a test engine skips the wait)
   */
  pause?(ms: number, signal: AbortSignal): Promise<void>;
}

/** A value a span attribute or event attribute may hold. */
export type TraceValue = string | number | boolean;

/**
 * The tracing of one attempt, as durable code sees it (the engine implements it over OpenTelemetry;
 * absent when no tracer is recording, so durable code pays one null check).
 */
export interface RunTrace {
  /**
   * Runs `fn` (every try of one executed step) inside a child span of the run's span, or of the
   * span of the step `parentKey` when that one is open; an error `fn` throws is recorded on it.
   */
  step<T>(path: string, parentKey: string | null, fn: () => Promise<T>): Promise<T>;
  /** Adds an event to the span of the step `path` while it is open, else to the run's span. */
  event(name: string, attributes: Record<string, TraceValue | undefined>, path?: string | null): void;
}

export type AttemptOutcome =
  | { readonly kind: "completed"; readonly output: unknown }
  /** `error` is the raw thrown value; the engine decides about retries. */
  | { readonly kind: "failed"; readonly error: unknown }
  | { readonly kind: "suspended"; readonly waits: readonly NewWait[] };

export interface AttemptSetup {
  readonly claimed: ClaimedRun;
  /**
   * Aborted on cancel, timeout and shutdown: the signal, or a function that makes it on first use
   * (most runs never look at their signal, and an AbortSignal is costly to make).
   */
  readonly signal: AbortSignal | (() => AbortSignal);
  readonly host: DurableHost;
  /** `ctx.run`, when the caller already built it from `claimed.run`. */
  readonly info?: RunInfo;
  /** The attempt's tracing; absent or null when no tracer records. */
  readonly trace?: RunTrace | null;
}

/**
 * Ends an attempt from outside at once (timeout, cancel, stop), even if its code ignores its signal:
 * `interruptWith(end)` registers `end`, called with the reason when the attempt is aborted (at once if
 * it already was); the attempt then settles as failed with that reason.
 */
export interface Interrupt {
  interruptWith(end: (reason: unknown) => void): void;
}

export interface AttemptHandle {
  readonly ctx: RunContext;
  /**
   * Settles the attempt: races `work` (the task's run wrapped in hooks) against a suspension
   * (sleep / wait for children / wait for event with no stored result). On suspension it waits for
   * steps already in flight to be stored first. Flushes buffered logs before resolving.
   */
  settle(work: Promise<unknown>, interrupt?: Interrupt): Promise<AttemptOutcome>;
  /**
   * Nothing is pending: no suspension asked for, no step or child trigger in flight, no log line
   * buffered. A run whose function returned a plain value at such a moment has completed: `settle`
   * would report exactly that, so the caller may skip it.
   */
  quiet(): boolean;
}

export type CreateRunContext = (setup: AttemptSetup) => AttemptHandle;
