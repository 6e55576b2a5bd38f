// Durable tasks: public surface of the engine layer.
export { defineTask } from "./define-task.ts";
export { defineEvent } from "../durable/event.ts";
export { createEngine, type EngineOptions } from "./engine.ts";
// For errand/testing (not re-exported by `errand`): a clock whose attempts skip step back-offs.
export { clockWithPause } from "./clock.ts";
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
  EventValidationError,
} from "../vocabulary/errors.ts";
export { toMs, MAX_DURATION_MS, MAX_TIME_MS, MAX_TIMER_MS } from "../vocabulary/duration.ts";
export { DEFAULT_LIMITS, type Limits } from "../vocabulary/limits.ts";
export { backoffMs, type RetryPolicy } from "../vocabulary/retry.ts";
export type * from "./types.ts";
