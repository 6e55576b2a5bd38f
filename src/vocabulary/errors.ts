/**
 * Errors a task can throw to steer retries, and the errors the engine, the run context and the stores
 * raise. Code that must tell one from another checks the class with `instanceof`, never the message;
 * across JSON and processes an error travels as a {@link import("./serialize-error.ts").SerializedError}.
 */
import { toMs } from "./duration.ts";

/** Fails the run at once: no further attempts. */
export class NonRetriableError extends Error {
  override readonly name: string = "NonRetriableError";
}

/** Retries after `delayMs` instead of the backoff of the retry policy (attempts still count). */
export class RetryAfterError extends Error {
  override readonly name: string = "RetryAfterError";
  readonly delayMs: number;
  constructor(delayMs: number, message = `retry after ${delayMs} ms`, options?: ErrorOptions) {
    super(message, options);
    this.delayMs = toMs(delayMs, "RetryAfterError: `delayMs`");
  }
}

/** A step's try ran longer than its `timeoutMs`: `s.signal` is aborted with it and the try fails (and is retried if the step's `retry` allows). */
export class StepTimeoutError extends Error {
  override readonly name: string = "StepTimeoutError";
}

/** The attempt ran longer than the task's `timeoutMs`. */
export class TaskTimeoutError extends Error {
  override readonly name: string = "TaskTimeoutError";
}

/** The run was canceled (`engine.runs.cancel`). */
export class RunCanceledError extends Error {
  override readonly name: string = "RunCanceledError";
}

/** The worker stopped before the run finished; the run is handed back to the queue. */
export class WorkerStoppedError extends Error {
  override readonly name: string = "WorkerStoppedError";
}

type Issue = { readonly message: string; readonly path?: readonly unknown[] | undefined };

/** A payload failed its task's schema. `issues` are the Standard Schema issues. */
export class PayloadValidationError extends NonRetriableError {
  override readonly name: string = "PayloadValidationError";
  readonly issues: readonly Issue[];
  constructor(taskId: string, issues: readonly Issue[]) {
    super(`invalid payload for task "${taskId}": ${issues.map(formatIssue).join("; ")}`);
    this.issues = issues;
  }
}

/** A payload failed its event's schema (`engine.sendEvent` with a typed event); nothing was sent. */
export class EventValidationError extends NonRetriableError {
  override readonly name: string = "EventValidationError";
  readonly event: string;
  readonly issues: readonly Issue[];
  constructor(event: string, issues: readonly Issue[]) {
    super(`invalid payload for event "${event}": ${issues.map(formatIssue).join("; ")}`);
    this.event = event;
    this.issues = issues;
  }
}

/**
 * This worker no longer holds the run (its lease expired and another worker took it, or the run
 * finished elsewhere): a step's result cannot be stored, and a running attempt is aborted with it.
 */
export class LeaseLostError extends Error {
  override readonly name: string = "LeaseLostError";
}

/**
 * A value JSON cannot carry faithfully (BigInt, a function, a cycle, `undefined` in an array, NaN, …):
 * thrown by `toJson` before anything is written. It is bad input, so it is a `TypeError` and keeps
 * that name; `what` names the value (e.g. `the output of step "x"`), `path` the place inside it (`$.a[0]`).
 */
export class UnstorableValueError extends TypeError {
  readonly what: string;
  readonly path: string;
  constructor(what: string, path: string, found: string, options?: ErrorOptions) {
    super(`${what} cannot be stored as JSON: ${path} is ${found}`, options);
    this.what = what;
    this.path = path;
  }
}

/**
 * A store cannot reach or use its database (refused or dropped connection, unknown host, timeout,
 * wrong password, missing database). The message names the database, never its password; `cause` is
 * the driver's error. Errors of any other kind (a bad query, a bug) pass through a store unchanged.
 */
export class StoreConnectionError extends Error {
  override readonly name: string = "StoreConnectionError";
  /**
   * The connection was made and then dropped (server restart, backend terminated, reset): the same
   * idempotent call on a new connection may well succeed. False for a database that cannot be reached
   * or used at all (refused, unknown host, timeout, wrong password, missing database).
   * @default false
   */
  readonly lost: boolean;

  constructor(message: string, options?: ErrorOptions & { lost?: boolean }) {
    super(message, options);
    this.lost = options?.lost ?? false;
  }
}

/** `runs.wait` gave up. */
export class WaitTimeoutError extends Error {
  override readonly name: string = "WaitTimeoutError";
}

function formatIssue(issue: Issue): string {
  const path = (issue.path ?? [])
    .map((p) => (typeof p === "object" && p !== null && "key" in p ? String((p as { key: unknown }).key) : String(p)))
    .join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
}
