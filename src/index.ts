// The `errand` entry point.

// In-process tasks (DESIGN.md §1)
export { task, createContext, extendContext, TaskCycleError } from "./core/index.ts";
export type { Task, BoundTask, Context, ContextOptions, PersistHook, AllResult, AllSettledResult } from "./core/index.ts";
