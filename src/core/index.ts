/**
 * In-process tasks (docs/CONTRACT.md §1): `task` + `createContext`. No dependencies beyond `node:*`.
 *
 * Extension contract for the durable layer: `createContext({ signal, persist })` makes a context;
 * `extendContext(ctx, extras)` adds members to that very object, which stays a valid context for
 * `task.run(ctx, …)`. `persist(taskId, inputKey, compute)` is called for tasks that have an `id`.
 */
export { task } from "./task.ts";
export { createContext, extendContext } from "./context.ts";
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
