/** `defineTask`: a durable task definition, validated when it is defined. */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { retryPolicy, type RetryPolicy } from "../vocabulary/retry.ts";
import { validateSchedule } from "./cron.ts";
import type { Task, TaskOptions } from "./types.ts";

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** What the engine needs of a task, resolved once. */
export interface TaskInternals {
  readonly retry: RetryPolicy;
  readonly queue: string;
  readonly concurrencyLimit: number | null;
}

const internals = new WeakMap<object, TaskInternals>();

export function taskInternals(task: unknown): TaskInternals | undefined {
  return typeof task === "object" && task !== null ? internals.get(task) : undefined;
}

/** Defines a durable task. With a `schema`, the payload type is the schema's output and triggers take its input. */
export function defineTask<TSchema extends StandardSchemaV1, TOutput>(
  options: TaskOptions<StandardSchemaV1.InferOutput<TSchema>, TOutput> & { readonly schema: TSchema },
): Task<StandardSchemaV1.InferOutput<TSchema>, Awaited<TOutput>, StandardSchemaV1.InferInput<TSchema>>;
export function defineTask<TPayload = void, TOutput = unknown>(
  options: TaskOptions<TPayload, TOutput>,
): Task<TPayload, Awaited<TOutput>, TPayload>;
export function defineTask(options: TaskOptions<unknown, unknown>): Task {
  if (options === null || typeof options !== "object") throw new TypeError("defineTask: expected an options object");
  const { id } = options;
  if (typeof id !== "string" || !ID.test(id)) {
    throw new TypeError(
      `defineTask: option \`id\` must be 1–128 characters of letters, digits, ".", "_", ":" or "-", starting with a letter or digit; got ${JSON.stringify(id)}`,
    );
  }
  const where = `defineTask("${id}")`;
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
  const retry = retryPolicy(options.retry, `${where}: option \`retry\``);
  const queueOpt = options.queue;
  let queue = id;
  let concurrencyLimit: number | null = null;
  if (queueOpt !== undefined) {
    if (queueOpt === null || typeof queueOpt !== "object") throw new TypeError(`${where}: option \`queue\` must be { name, concurrencyLimit? }`);
    if (typeof queueOpt.name !== "string" || queueOpt.name.length === 0) {
      throw new TypeError(`${where}: option \`queue.name\` must be a non-empty string`);
    }
    queue = queueOpt.name;
    const limit = queueOpt.concurrencyLimit;
    if (limit !== undefined && limit !== null) {
      if (!Number.isInteger(limit) || limit < 1) throw new TypeError(`${where}: option \`queue.concurrencyLimit\` must be an integer >= 1 or null`);
      concurrencyLimit = limit;
    }
  }
  if (options.timeoutMs !== undefined && (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0)) {
    throw new TypeError(`${where}: option \`timeoutMs\` must be a number > 0`);
  }
  if (options.schedule !== undefined) {
    validateSchedule(options.schedule, `${where}: option \`schedule\``);
  }
  const task: Task = Object.freeze({ id, options });
  internals.set(task, { retry, queue, concurrencyLimit });
  return task;
}
