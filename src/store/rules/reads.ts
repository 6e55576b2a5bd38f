/** Small read-side rules both stores share: step order, list pages, empty stats. */
import { RUN_STATUSES, type ListRunsParams, type RunStatus, type StepKind, type StepRecord } from "../types.ts";
import type { StoredWait } from "./tx.ts";

/** An open wait as the step list shows it (status "waiting"). */
export function waitAsStep(w: StoredWait): StepRecord {
  return {
    runId: w.runId,
    key: w.key,
    parentKey: w.parentKey,
    kind: w.kind as StepKind,
    status: "waiting",
    output: null,
    error: null,
    attempts: 0,
    startedAt: w.createdAt,
    finishedAt: null,
    childRunId: w.childRunId,
  };
}

/** Stored steps and open waits, ordered by startedAt then key (`Store.getSteps`). */
export function stepsInOrder(steps: readonly StepRecord[], openWaits: readonly StoredWait[]): StepRecord[] {
  return [...steps, ...openWaits.map(waitAsStep)].sort((a, b) => a.startedAt - b.startedAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Steps grouped by run id (for claimed runs that have history). */
export function stepsByRun(steps: readonly StepRecord[]): Map<string, StepRecord[]> {
  const out = new Map<string, StepRecord[]>();
  for (const s of steps) {
    let list = out.get(s.runId);
    if (list === undefined) out.set(s.runId, (list = []));
    list.push(s);
  }
  return out;
}

/** The page size of `listRuns`: 50 by default, 1 to 1000. */
export function pageLimit(p: ListRunsParams): number {
  return Math.min(Math.max(Math.trunc(p.limit ?? 50), 1), 1000);
}

/** Cuts the `limit + 1` rows a list query fetched into a page and its cursor. */
export function toPage<R, T extends { readonly id: string }>(rows: readonly R[], limit: number, map: (row: R) => T): { runs: T[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const runs = (more ? rows.slice(0, limit) : rows).map(map);
  return { runs, nextCursor: more ? runs[runs.length - 1]!.id : null };
}

/** Every status with count 0. */
export function zeroByStatus(): Record<RunStatus, number> {
  return Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>;
}

/** `metrics` takes a positive bucket width. */
export function checkBucket(bucketMs: number): void {
  if (!(bucketMs > 0)) throw new TypeError("metrics: `bucketMs` must be > 0");
}
