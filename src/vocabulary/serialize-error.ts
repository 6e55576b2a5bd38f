/**
 * Errors as data: the plain-object form `{ name, message, stack?, cause? }` in which errors are kept in
 * results, events and storage (a class does not survive JSON or another process).
 */

/** A thrown value as data. Stored as JSON text; `cause` is serialised the same way (depth-limited). */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly cause?: unknown;
  /** Set on errors that came from a step: the step's full path. */
  readonly stepKey?: string;
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
