/** Errors a task can throw to steer retries, and the errors the engine and the run context raise. */

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
    if (!Number.isFinite(delayMs) || delayMs < 0) throw new TypeError("RetryAfterError: `delayMs` must be a number >= 0");
    this.delayMs = delayMs;
  }
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

/** Thrown when a step's result cannot be stored because the run was taken away from this worker. */
export class LeaseLostError extends Error {
  override readonly name = "LeaseLostError";
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
