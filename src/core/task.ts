/**
 * In-process tasks: a function of (context, input) that runs at most once per context and input key.
 */
import { ContextImpl, type Context } from "./context.ts";
import { cacheKey, structuralKey } from "./key.ts";

export interface Task<I, O> {
  /** Set when the task was defined with an `id` (used for persisted results in durable runs). */
  readonly id: string | undefined;
  /** The id, else the function's name, else "anonymous task". */
  readonly name: string;
  /** Runs the task in `ctx`, or returns the promise of the run already made there for this input. */
  run(ctx: Context, input: I): Promise<O>;
  /** A task and an input, for `ctx.all` / `ctx.allSettled`. */
  bind(input: I): BoundTask<O>;
}

export interface BoundTask<O> {
  readonly task: Task<never, O>;
  readonly input: unknown;
}

export type TaskFn<I, O> = (ctx: Context, input: I) => Promise<O> | O;

export interface TaskOptions<I, O> {
  /** Stable id; names the task in errors and persists its results inside durable runs. @default none */
  readonly id?: string;
  /** Input key; overrides the structural key (same string = same entry). @default structural key */
  readonly key?: (input: I) => string | number;
  readonly run: TaskFn<I, O>;
}

export class TaskImpl<I, O> implements Task<I, O> {
  readonly id: string | undefined;
  readonly name: string;
  readonly fn: TaskFn<I, O>;
  readonly #key: ((input: I) => string | number) | undefined;

  constructor(id: string | undefined, name: string, fn: TaskFn<I, O>, key: ((input: I) => string | number) | undefined) {
    this.id = id;
    this.name = name;
    this.fn = fn;
    this.#key = key;
  }

  keyOf(input: I): unknown {
    const key = this.#key;
    if (key === undefined) return cacheKey(input, this.name);
    const k = key(input);
    if (typeof k !== "string" && typeof k !== "number") {
      throw new TypeError(`task "${this.name}": its \`key\` option must return a string or a number, got ${typeof k}`);
    }
    return k;
  }

  /** The input key as text, for persisted results: the `key` option's value, else the structural key. */
  storedKeyOf(key: unknown, input: I): string {
    return this.#key !== undefined ? String(key) : structuralKey(input, this.name);
  }

  run(ctx: Context, input: I): Promise<O> {
    return ContextImpl.run(ctx, this as TaskImpl<unknown, unknown>, input) as Promise<O>;
  }

  bind(input: I): BoundTask<O> {
    return { task: this as unknown as Task<never, O>, input };
  }
}

/** Defines an in-process task from a function, or from `{ id, key, run }`. */
export function task<I = void, O = unknown>(fnOrOptions: TaskFn<I, O> | TaskOptions<I, O>): Task<I, O> {
  if (typeof fnOrOptions === "function") {
    return new TaskImpl<I, O>(undefined, fnOrOptions.name || "anonymous task", fnOrOptions, undefined);
  }
  if (fnOrOptions === null || typeof fnOrOptions !== "object") {
    throw new TypeError("task: expected a function or an options object { id?, key?, run }");
  }
  const { id, key, run } = fnOrOptions;
  if (id !== undefined && (typeof id !== "string" || id.length === 0)) {
    throw new TypeError("task: option `id` must be a non-empty string");
  }
  if (typeof run !== "function") {
    throw new TypeError(`task${id ? ` "${id}"` : ""}: option \`run\` must be a function`);
  }
  if (key !== undefined && typeof key !== "function") {
    throw new TypeError(`task${id ? ` "${id}"` : ""}: option \`key\` must be a function returning a string`);
  }
  return new TaskImpl<I, O>(id, id ?? (run.name || "anonymous task"), run, key);
}
