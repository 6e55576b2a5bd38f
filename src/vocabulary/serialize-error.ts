/**
 * Errors as data: the plain-object form `{ name, message, stack?, cause? }` in which errors are kept in
 * results, events and storage (a class does not survive JSON or another process).
 *
 * Serialising cannot fail: whatever was thrown (a Proxy whose traps throw, a throwing `message`
 * getter, a `name` whose `toJSON` throws, a cyclic or endless `cause` chain, a 100 MB message), the
 * result holds only strings and nested results, so `JSON.stringify` of it always succeeds, and it is
 * bounded: {@link MAX_CAUSE_DEPTH} causes, texts cut at {@link MAX_MESSAGE_LENGTH} /
 * {@link MAX_STACK_LENGTH} characters (saying so).
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

/** Causes kept below the error itself. */
export const MAX_CAUSE_DEPTH = 5;
/** Longest message kept, in characters. */
export const MAX_MESSAGE_LENGTH = 10_000;
/** Longest stack kept, in characters. */
export const MAX_STACK_LENGTH = 20_000;
const MAX_NAME_LENGTH = 200;

type Mutable = { name: string; message: string; stack?: string; cause?: unknown; stepKey?: string };

/** Plain-object form of any thrown value, with `cause` chains (depth-limited). Never throws. */
export function serializeError(error: unknown): SerializedError {
  try {
    return serialize(error, 0, []);
  } catch {
    return { name: "Error", message: "a value was thrown that could not be read" };
  }
}

function serialize(error: unknown, depth: number, seen: unknown[]): SerializedError {
  if (error === null || typeof error !== "object") {
    return { name: "NonErrorThrown", message: `a non-Error value was thrown: ${cut(describeValue(error), MAX_MESSAGE_LENGTH)}` };
  }
  const isError = safe(() => error instanceof Error, false);
  const message = read(error, "message");
  if (!isError && typeof message !== "string") {
    return { name: "NonErrorThrown", message: `a non-Error value was thrown: ${cut(describeValue(error), MAX_MESSAGE_LENGTH)}` };
  }
  const name = read(error, "name");
  const out: Mutable = {
    name: cut(name === undefined ? "Error" : text(name), MAX_NAME_LENGTH) || "Error",
    message: cut(message === undefined ? "" : text(message), MAX_MESSAGE_LENGTH),
  };
  const stack = read(error, "stack");
  if (typeof stack === "string") out.stack = cut(stack, MAX_STACK_LENGTH);
  const stepKey = read(error, "stepKey");
  if (typeof stepKey === "string") out.stepKey = cut(stepKey, MAX_MESSAGE_LENGTH);
  const cause = read(error, "cause");
  if (cause !== undefined && depth < MAX_CAUSE_DEPTH && !seen.includes(cause)) {
    seen.push(error);
    out.cause = serialize(cause, depth + 1, seen);
  }
  return out;
}

/** A short description of a thrown value for messages (`Error: boom`, `"text"`, `42`); never throws. */
export function describeThrown(error: unknown): string {
  try {
    const s = serialize(error, MAX_CAUSE_DEPTH, []);
    return cut(s.name === "NonErrorThrown" ? s.message : `${s.name}: ${s.message}`, 1000);
  } catch {
    return "an unreadable value";
  }
}

/** A property, or undefined when reading it throws. */
function read(o: object, key: string): unknown {
  return safe(() => (o as Record<string, unknown>)[key], undefined);
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/** A string for any value; never throws. */
function text(v: unknown): string {
  if (typeof v === "string") return v;
  return safe(() => String(v), "[unprintable]");
}

/** A thrown non-Error as text: strings as they are, data as JSON, anything else by String(). */
function describeValue(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "object" && v !== null) {
    const json = safe(() => JSON.stringify(v), undefined);
    if (typeof json === "string") return json;
    return safe(() => Object.prototype.toString.call(v), "[object]");
  }
  return text(v);
}

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}… (truncated: ${s.length - max} more characters)`;
}
