// Durable tasks: public surface of the engine layer.
export { defineTask } from "./define-task.ts";
export { createEngine, type EngineOptions } from "./engine.ts";
export {
  NonRetriableError,
  RetryAfterError,
  TaskTimeoutError,
  RunCanceledError,
  WorkerStoppedError,
  PayloadValidationError,
  WaitTimeoutError,
} from "./errors.ts";
export { toMs } from "./duration.ts";
export { backoffMs, type RetryPolicy } from "./retry.ts";
export type * from "./types.ts";
