// Durable execution: the run context handed to a durable task's `run`.
export { createRunContext } from "./run-context.ts";
export { LeaseLostError } from "./steps.ts";
export { taskResult, childResult, toRunInfo } from "./results.ts";
export type * from "./types.ts";
