/**
 * The vocabulary of in-process tasks: the public types (re-exported by index.ts) and `TaskDef`, the
 * internal view of a task that contexts work with. A leaf module: every other file of src/core may
 * import it and it imports none of them, so tasks and contexts need not import each other's types.
 */

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

/** Advanced: lets a host store results of tasks that have an `id` (the durable layer's steps). */
export type PersistHook = <T>(taskId: string, inputKey: string, compute: () => Promise<T>) => Promise<T>;

export interface ContextOptions {
  /** Aborting it rejects pending `run`/`all` calls at once with its reason. @default none */
  readonly signal?: AbortSignal;
  /** Entries expire this long after they were created; 0 = never. @default 0 */
  readonly ttlMs?: number;
  /** At most this many entries; the least recently used settled one goes first. @default Infinity */
  readonly maxEntries?: number;
  /** Advanced (durable runs): compute tasks with an `id` through this hook. @default none */
  readonly persist?: PersistHook;
  /** Advanced (durable runs): makes the context's signal on first use, instead of `signal`. @default none */
  readonly signalSource?: () => AbortSignal;
}

export type AllResult<T extends readonly BoundTask<unknown>[]> = {
  -readonly [K in keyof T]: T[K] extends BoundTask<infer O> ? O : never;
};
export type AllSettledResult<T extends readonly BoundTask<unknown>[]> = {
  -readonly [K in keyof T]: T[K] extends BoundTask<infer O> ? PromiseSettledResult<O> : never;
};

export interface Context {
  /** Aborted when this context (or, inside a task, every caller waiting for it) is aborted. */
  readonly signal: AbortSignal;
  /** Runs the bound tasks concurrently; a typed tuple. Rejects with the first error (by time) and aborts the others. */
  all<const T extends readonly BoundTask<unknown>[]>(tasks: T): Promise<AllResult<T>>;
  allSettled<const T extends readonly BoundTask<unknown>[]>(tasks: T): Promise<AllSettledResult<T>>;
  /** Forgets everything, every entry of `task`, or the one entry of (`task`, `input`). */
  clear<I>(task?: Task<I, unknown>, input?: I): void;
  /** Stores `value` for (`task`, `input`) unless an entry exists (as DataLoader's prime). */
  prime<I, O>(task: Task<I, O>, input: I, value: O): void;
}

/** Internal: what a context needs of a task (task.ts implements it; nothing outside src/core sees it). */
export interface TaskDef {
  readonly id: string | undefined;
  readonly name: string;
  readonly fn: TaskFn<unknown, unknown>;
  /** The cache key of `input` (a primitive as-is, else a structural string); throws a TypeError if un-keyable. */
  keyOf(input: unknown): unknown;
  /** The input key as text, for persisted results. */
  storedKeyOf(key: unknown, input: unknown): string;
}
