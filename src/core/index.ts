/**
 * In-process tasks (docs/CONTRACT.md §1): `task` + `createContext`. No dependencies beyond `node:*`.
 *
 * Extension contract for the durable layer: `createContext({ signal, persist })` makes a context;
 * `extendContext(ctx, extras)` adds members to that very object, which stays a valid context for
 * `task.run(ctx, …)`. `persist(taskId, inputKey, compute)` is called for tasks that have an `id`.
 * `ExtensibleContext` (with `runCache(persist)`) is the same root context as a base class, for a
 * layer whose members are many and mostly unused (the durable run context makes each on first use).
 */
export { task } from "./task.ts";
export { createContext, extendContext, RootContext as ExtensibleContext, runCache } from "./context.ts";
export type {
  Task,
  BoundTask,
  TaskFn,
  TaskOptions,
  Context,
  ContextOptions,
  PersistHook,
  AllResult,
  AllSettledResult,
} from "./types.ts";
export { TaskCycleError } from "./errors.ts";
export { structuralKey } from "./key.ts";
