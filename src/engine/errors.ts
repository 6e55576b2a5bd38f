/** Errors a task can throw to steer retries, errors the engine raises, and error serialisation. */
import type { SerializedError } from "../store/types.ts";

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

/** Plain-object form of any thrown value, with `cause` chains (depth-limited). */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (error instanceof Error) {
    const out: { name: string; message: string; stack?: string; cause?: unknown; stepKey?: string } = {
      name: error.name,
      message: error.message,
    };
    if (error.stack !== undefined) out.stack = error.stack;
    const stepKey = (error as { stepKey?: unknown }).stepKey;
    if (typeof stepKey === "string") out.stepKey = stepKey;
    if (error.cause !== undefined && depth < 5) out.cause = serializeError(error.cause, depth + 1);
    return out;
  }
  if (error !== null && typeof error === "object" && typeof (error as { message?: unknown }).message === "string") {
    const e = error as { name?: unknown; message: string; stack?: unknown };
    return {
      name: typeof e.name === "string" ? e.name : "Error",
      message: e.message,
      ...(typeof e.stack === "string" ? { stack: e.stack } : {}),
    };
  }
  let text: string;
  try {
    text = typeof error === "string" ? error : JSON.stringify(error) ?? String(error);
  } catch {
    text = String(error);
  }
  return { name: "NonErrorThrown", message: `a non-Error value was thrown: ${text}` };
}
