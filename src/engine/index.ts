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
  StepTimeoutError,
  LeaseLostError,
  UnstorableValueError,
  StoreConnectionError,
} from "../vocabulary/errors.ts";
export { toMs } from "../vocabulary/duration.ts";
export { backoffMs, type RetryPolicy } from "../vocabulary/retry.ts";
export type * from "./types.ts";
