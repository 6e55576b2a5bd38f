import type { NewRun, RunRecord } from "./types.ts";

/** The record a store returns for a run it has just inserted (what its row holds right after INSERT). */
export function insertedRun(run: NewRun, now: number): RunRecord {
  return {
    ...run,
    tags: [...run.tags],
    output: null,
    error: null,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    finishedAt: null,
    attempt: 1,
    workerId: null,
    leaseExpiresAt: null,
    progress: null,
    progressMessage: null,
  };
}
