/**
 * Creating runs with idempotency keys: an unexpired run with the same (taskId, key) is returned
 * instead of a new one; an expired key is released first. Runs without a key are inserted in
 * batches between the keyed ones, so the result keeps the input order.
 */
import { insertedRun } from "../records.ts";
import type { CreatedRun, NewRun, RunRecord } from "../types.ts";
import { call, type Program } from "./program.ts";

/** A stored idempotency key still holds at `now` (null expiry = forever). */
export function keyHolds(run: Pick<RunRecord, "idempotencyExpiresAt">, now: number): boolean {
  return run.idempotencyExpiresAt === null || run.idempotencyExpiresAt > now;
}

export function* createRuns(runs: readonly NewRun[], now: number): Program<CreatedRun[]> {
  const out: CreatedRun[] = [];
  let batch: NewRun[] = [];
  for (const run of runs) {
    if (run.idempotencyKey === null) {
      batch.push(run);
      continue;
    }
    yield* insertBatch(batch, now, out);
    batch = [];
    out.push(yield* createKeyed(run, run.idempotencyKey, now));
  }
  yield* insertBatch(batch, now, out);
  return out;
}

function* insertBatch(batch: readonly NewRun[], now: number, out: CreatedRun[]): Program<void> {
  if (batch.length === 0) return;
  yield* call((tx) => tx.insertRuns(batch, now));
  for (const run of batch) out.push({ run: insertedRun(run, now), created: true });
}

function* createKeyed(run: NewRun, key: string, now: number): Program<CreatedRun> {
  for (let tries = 0; ; tries++) {
    if (yield* call((tx) => tx.insertRunIfKeyFree(run, now))) return { run: insertedRun(run, now), created: true };
    const existing = yield* call((tx) => tx.runByIdempotencyKey(run.taskId, key));
    if (existing === null) {
      // The holder was deleted between the two statements (another transaction): try again.
      if (tries >= 3) throw new Error(`store: could not insert run with idempotency key ${JSON.stringify(key)} of task ${JSON.stringify(run.taskId)}`);
      continue;
    }
    if (keyHolds(existing, now)) return { run: existing, created: false };
    yield* call((tx) => tx.releaseIdempotencyKey(existing.id));
  }
}
