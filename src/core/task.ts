/**
 * In-process tasks: a function of (context, input) that runs at most once per context and input key.
 */
import { Scope } from "./scope.ts";
import { cacheKey, structuralKey } from "./key.ts";
import type { BoundTask, Context, Task, TaskDef, TaskFn, TaskOptions } from "./types.ts";

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
    return Scope.run(ctx, this as unknown as TaskDef, input) as Promise<O>;
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
