export type {
  Store,
  StoreQueries,
  Migration,
  RunStatus,
  RunRecord,
  NewRun,
  CreatedRun,
  QueueConfig,
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
} from "./types.ts";
export { RUN_STATUSES, FINISHED_STATUSES, NEVER } from "./types.ts";
export { newId } from "./ids.ts";
export { matchesSubset, matchesJson } from "./match.ts";
export { childResultJson } from "./child-result.ts";
