/**
 * `errand/store`: the API for writing a store. A store implements {@link Store} (the doc comments of
 * `types.ts` state every rule) and is done when it passes {@link runStoreConformance}, the suite the
 * SQLite and PostgreSQL stores pass. See docs/writing-a-store.md.
 */

// The contract.
export type {
  Store,
  StoreQueries,
  Migration,
  RunStatus,
  RunRecord,
  NewRun,
  CreatedRun,
  QueueConfig,
  RateLimitConfig,
  NewRunDebounce,
  StepStatus,
  StepKind,
  StepRecord,
  NewStep,
  NewWait,
  ClaimedRun,
  LogLevel,
  NewLog,
  LogRecord,
  ListRunsParams,
  RunPage,
  RunStats,
  MetricsBucket,
  ScheduleRecord,
  StoreNotification,
  SerializedError,
  EmittedEvent,
  RunEventRecord,
  NewToken,
  TokenRecord,
  TokenStatus,
  TokenCompletion,
  TokenRefusal,
} from "./types.ts";
export { RUN_STATUSES, FINISHED_STATUSES, NEVER } from "./types.ts";

// Rules a store applies exactly as the built-in stores do.
export { matchesSubset, matchesJson } from "./match.ts";
export { childResultJson } from "./child-result.ts";
export { tokenCompletedJson, tokenExpiredJson, tokenMissingJson, tokenWaitKey } from "./events-tokens.ts";
export { StoreConnectionError } from "../vocabulary/errors.ts";

// The conformance suite (runs under node:test).
export { runStoreConformance } from "./conformance/index.ts";
export type { ConformanceOptions, OpenedStore } from "./conformance/index.ts";
