/** `defineTask`: a durable task definition, validated when it is defined. */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { AnyEvent, EventInput, EventPayload } from "../durable/event.ts";
import { MAX_TIMER_MS, toMs } from "../vocabulary/duration.ts";
import { retryPolicy, type RetryPolicy } from "../vocabulary/retry.ts";
import { checkInt, checkName } from "../vocabulary/validate.ts";
import { validateSchedule } from "./cron.ts";
import { listenedEvents, payloadSchemaOf } from "./listeners.ts";
import type { RateLimitConfig } from "../store/types.ts";
import type { RateLimitOptions } from "../durable/task.ts";
import type { Task, TaskOptions } from "./types.ts";

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Every option `defineTask` acts on; any other (such as `machine`) is refused: it would do nothing. */
const TASK_OPTIONS = new Set([
  "id",
  "title",
  "description",
  "schema",
  "run",
  "retry",
  "queue",
  "timeoutMs",
  "schedule",
  "on",
  "init",
  "middleware",
  "onStart",
  "onSuccess",
  "onFailure",
  "cleanup",
  "catchError",
]);
const QUEUE_OPTIONS = new Set(["name", "concurrencyLimit", "rateLimit"]);
const RATE_OPTIONS = new Set(["limit", "period", "perKey"]);

/** What the engine needs of a task, resolved once. */
export interface TaskInternals {
  readonly retry: RetryPolicy;
  readonly queue: string;
  readonly concurrencyLimit: number | null;
  readonly rateLimit: RateLimitConfig | null;
  /** Events that start runs of the task (`on`): names, with their typed definitions where given. */
  readonly on: readonly { readonly name: string; readonly event: AnyEvent | null }[];
}

/** What receivers of one of these events get. */
type OnPayload<TOn> = TOn extends readonly (infer E)[] ? EventPayload<E> : EventPayload<TOn>;
type OnInput<TOn> = TOn extends readonly (infer E)[] ? EventInput<E> : EventInput<TOn>;

const internals = new WeakMap<object, TaskInternals>();

export function taskInternals(task: unknown): TaskInternals | undefined {
  return typeof task === "object" && task !== null ? internals.get(task) : undefined;
}

/** Defines a durable task. With a `schema`, the payload type is the schema's output and triggers take its input. */
export function defineTask<TSchema extends StandardSchemaV1, TOutput, TInit = undefined>(
  options: TaskOptions<StandardSchemaV1.InferOutput<TSchema>, TOutput, TInit> & { readonly schema: TSchema },
): Task<StandardSchemaV1.InferOutput<TSchema>, Awaited<TOutput>, StandardSchemaV1.InferInput<TSchema>>;
/** Defines a task started by typed events (`on`); without a schema of its own, the payload is theirs. */
export function defineTask<TOn extends AnyEvent | readonly AnyEvent[], TOutput, TInit = undefined>(
  options: TaskOptions<OnPayload<TOn>, TOutput, TInit> & { readonly on: TOn; readonly schema?: undefined },
): Task<OnPayload<TOn>, Awaited<TOutput>, OnInput<TOn>>;
export function defineTask<TPayload = void, TOutput = unknown, TInit = undefined>(
  options: TaskOptions<TPayload, TOutput, TInit>,
): Task<TPayload, Awaited<TOutput>, TPayload>;
export function defineTask(options: TaskOptions<unknown, unknown, unknown>): Task {
  if (options === null || typeof options !== "object") throw new TypeError("defineTask: expected an options object");
  const { id } = options;
  if (typeof id !== "string" || !ID.test(id)) {
    throw new TypeError(
      `defineTask: option \`id\` must be 1–128 characters of letters, digits, ".", "_", ":" or "-", starting with a letter or digit; got ${JSON.stringify(id)}`,
    );
  }
  const where = `defineTask("${id}")`;
  refuseUnknown(options, TASK_OPTIONS, where, "");
  if (typeof options.run !== "function") throw new TypeError(`${where}: option \`run\` must be a function`);
  for (const name of ["title", "description"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "string") throw new TypeError(`${where}: option \`${name}\` must be a string`);
  }
  for (const name of ["init", "middleware", "onStart", "onSuccess", "onFailure", "cleanup", "catchError"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "function") {
      throw new TypeError(`${where}: option \`${name}\` must be a function`);
    }
  }
  if (options.schema !== undefined) {
    const std = (options.schema as { "~standard"?: { validate?: unknown } })["~standard"];
    if (std === undefined || typeof std.validate !== "function") {
      throw new TypeError(`${where}: option \`schema\` must be a Standard Schema (zod, valibot, arktype, …)`);
    }
  }
  const retry = retryPolicy(options.retry, where);
  const queueOpt = options.queue;
  let queue = id;
  let concurrencyLimit: number | null = null;
  let rateLimit: RateLimitConfig | null = null;
  if (queueOpt !== undefined) {
    if (queueOpt === null || typeof queueOpt !== "object") throw new TypeError(`${where}: option \`queue\` must be { name, concurrencyLimit?, rateLimit? }`);
    refuseUnknown(queueOpt, QUEUE_OPTIONS, where, "queue.");
    queue = checkName(queueOpt.name, `${where}: option \`queue.name\``);
    const limit = queueOpt.concurrencyLimit;
    if (limit !== undefined && limit !== null) {
      concurrencyLimit = checkInt(limit, `${where}: option \`queue.concurrencyLimit\``, 1);
    }
    if (queueOpt.rateLimit !== undefined && queueOpt.rateLimit !== null) rateLimit = checkRateLimit(queueOpt.rateLimit, where);
  }
  if (options.timeoutMs !== undefined) toMs(options.timeoutMs, `${where}: option \`timeoutMs\``, { positive: true, max: MAX_TIMER_MS });
  if (options.schedule !== undefined) {
    validateSchedule(options.schedule, `${where}: option \`schedule\``);
  }
  const on = listenedEvents(options.on, `${where}: option \`on\``);
  // A task listening to typed events, with no schema of its own, checks its payload with theirs.
  const schema = options.schema === undefined ? payloadSchemaOf(on) : undefined;
  const task: Task = Object.freeze({ id, options: schema === undefined ? options : Object.freeze({ ...options, schema }) });
  internals.set(task, { retry, queue, concurrencyLimit, rateLimit, on });
  return task;
}

/** The names of the events that start runs of `task` (its `on` option), in the order given. */
export function taskEvents(task: unknown): readonly string[] {
  return taskInternals(task)?.on.map((x) => x.name) ?? [];
}

/** Refuses options nothing acts on, naming them (a typo or an option of another library would be ignored). */
function refuseUnknown(o: object, known: ReadonlySet<string>, where: string, prefix: string): void {
  const unknown = Object.keys(o).filter((k) => !known.has(k));
  if (unknown.length === 0) return;
  const names = unknown.map((k) => `\`${prefix}${k}\``).join(", ");
  throw new TypeError(`${where}: unknown option${unknown.length > 1 ? "s" : ""} ${names}: Errand does nothing with ${unknown.length > 1 ? "them" : "it"} (known: ${[...known].map((k) => prefix + k).join(", ")})`);
}

/** `queue.rateLimit`: { limit ≥ 1, period > 0, perKey? }. */
function checkRateLimit(r: RateLimitOptions, where: string): RateLimitConfig {
  const what = `${where}: option \`queue.rateLimit\``;
  if (r === null || typeof r !== "object") throw new TypeError(`${what} must be { limit, period, perKey? }`);
  refuseUnknown(r, RATE_OPTIONS, where, "queue.rateLimit.");
  const limit = checkInt(r.limit, `${what}.limit`, 1);
  const periodMs = toMs(r.period, `${what}.period`, { positive: true, max: MAX_TIMER_MS });
  if (r.perKey !== undefined && typeof r.perKey !== "boolean") throw new TypeError(`${what}.perKey must be a boolean`);
  return { limit, periodMs, perKey: r.perKey === true };
}
