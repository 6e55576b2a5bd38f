// The `errand` entry point.

// In-process tasks (docs/CONTRACT.md §1)
export { task, createContext, extendContext, TaskCycleError } from "./core/index.ts";
export type { Task, BoundTask, Context, ContextOptions, PersistHook, AllResult, AllSettledResult } from "./core/index.ts";

// Durable tasks (docs/CONTRACT.md §2)
export {
  defineTask,
  defineEvent,
  createEngine,
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
  DEFAULT_LIMITS,
} from "./engine/index.ts";
export type {
  EngineOptions,
  Limits,
  Engine,
  Worker,
  WorkerOptions,
  WorkerEvents,
  Task as DurableTask,
  AnyTask,
  TaskOptions as DurableTaskOptions,
  TriggerOptions,
  RetryOptions,
  QueueOptions,
  RateLimitOptions,
  DebounceOptions,
  ScheduleOptions,
  SchedulePayload,
  RunHandle,
  RunInfo,
  RunView,
  StepView,
  LogView,
  TaskResult,
  Duration,
  ListRunsOptions,
  ScheduleView,
  CreateScheduleOptions,
  TaskInput,
  TaskOutput,
  EventDefinition,
  EventInput,
  EventPayload,
  EventRef,
  SendEventOptions,
  SentEvent,
  TokensApi,
  TokenView,
  TokenCompleteResult,
  TokenRefusal,
  TokenResult,
  WaitpointToken,
  CreateTokenOptions,
} from "./engine/index.ts";
export type { RunContext, StepScope, StepOptions, Logger, WaitForEventOptions } from "./durable/index.ts";
export type { RunStatus } from "./store/index.ts";
export type { SerializedError } from "./vocabulary/serialize-error.ts";
