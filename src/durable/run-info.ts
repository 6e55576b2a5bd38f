/** The run info a task sees (`ctx.run`, hook params), from a store record. */
import type { RunRecord } from "../store/types.ts";
import type { RunInfo } from "../vocabulary/runs.ts";

export function toRunInfo(r: RunRecord): RunInfo {
  return { id: r.id, taskId: r.taskId, attempt: r.attempt, tags: r.tags, createdAt: new Date(r.createdAt), parentRunId: r.parentRunId };
}
