// Durable execution: the run context handed to a durable task's `run`.
export { createRunContext } from "./run-context.ts";
export { LeaseLostError } from "../vocabulary/errors.ts";
export { toRunInfo } from "./run-info.ts";
export type * from "./task.ts";
export type * from "./types.ts";
