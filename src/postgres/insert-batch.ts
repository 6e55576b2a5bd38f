/**
 * The parameters of a batch of default runs (a `batchTrigger` of one task without options: queued
 * now, priority 0, no key, deadline, parent, schedule, trace or tags) for
 * {@link INSERT_DEFAULT_RUNS_NOTIFY}: the ids and payloads as two `text[]` literals, the rest once.
 *
 * Why: the general statement sends 17 arrays, which node-postgres turns into array literals one
 * element at a time (two regular-expression replaces and four string concatenations per element):
 * ~2.5 KB of garbage per run, most of what a bulk trigger allocated, and 17 arrays alive (with the
 * runs) for the statement's round trip. Here two literals are joined in one pass each, and the server
 * unnests two arrays instead of 16.
 */
import type { NewRun } from "../store/types.ts";
import { isDefaultRun } from "../store/records.ts";
import type { PgNamedQuery } from "./driver.ts";
import { insertParams } from "./tx.ts";

const NEEDS_ESCAPE = /["\\]/;

/** A `text[]` literal of `values` (PostgreSQL's array syntax, every element quoted). */
export function quotedArrayLiteral(values: readonly string[]): string {
  if (values.length === 0) return "{}";
  let escape = false;
  for (let i = 0; i < values.length && !escape; i++) escape = NEEDS_ESCAPE.test(values[i]!);
  if (!escape) return `{"${values.join('","')}"}`;
  const parts: string[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) parts[i] = values[i]!.replace(/[\\"]/g, "\\$&");
  return `{"${parts.join('","')}"}`;
}

/** Whether `run` is a default run of `first`'s task, queue and attempts, inserted at `now`. */
function isDefaultLike(run: NewRun, first: NewRun, now: number): boolean {
  return run.taskId === first.taskId && run.queue === first.queue && run.maxAttempts === first.maxAttempts && isDefaultRun(run, now);
}

/**
 * $1 … $6 of {@link INSERT_DEFAULT_RUNS_NOTIFY} (ids, payloads, task, queue, time of insert, attempts),
 * or null unless every run is a default run of one task and queue inserted at one time.
 */
export function defaultBatchParams(runs: readonly NewRun[], nows: readonly number[]): unknown[] | null {
  const first = runs[0];
  if (first === undefined) return null;
  const now = nows[0]!;
  const ids: string[] = new Array(runs.length);
  const payloads: string[] = new Array(runs.length);
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i]!;
    if (nows[i] !== now || !isDefaultLike(run, first, now)) return null;
    ids[i] = run.id;
    payloads[i] = run.payload;
  }
  return [quotedArrayLiteral(ids), quotedArrayLiteral(payloads), first.taskId, first.queue, now, first.maxAttempts];
}

/**
 * The statement and parameters of a batch of runs without keys: default runs by
 * INSERT_DEFAULT_RUNS_NOTIFY (`defaults`), any other batch by INSERT_RUNS_NOTIFY (`general`).
 */
export function batchInsert(
  runs: readonly NewRun[],
  nows: readonly number[],
  statements: { readonly general: PgNamedQuery; readonly defaults: PgNamedQuery },
  channel: string,
): [PgNamedQuery, unknown[]] {
  const plain = defaultBatchParams(runs, nows);
  return plain === null ? [statements.general, [...insertParams(runs, nows), channel]] : [statements.defaults, [...plain, channel]];
}
