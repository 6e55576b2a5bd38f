/**
 * Creating runs with idempotency keys: an unexpired run with the same (taskId, key) is returned
 * instead of a new one; an expired key is released first. Runs without a key are inserted in
 * batches between the keyed ones, so the result keeps the input order. A debounced run (docs/CONTRACT.md
 * §7) updates the pending run of its task and debounce key instead of inserting, when there is one.
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
    const debounce = run.debounce ?? null;
    if (debounce !== null) {
      yield* insertBatch(batch, now, out);
      batch = [];
      out.push(yield* createDebounced(run, debounce.key, now));
      continue;
    }
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

/**
 * A debounced trigger: the pending (never started) run of (taskId, key) gets the new payload and
 * start, or, when there is none, the run is inserted. The store's unique index on pending debounced
 * runs makes a concurrent insert of the same key lose (nothing inserted): then the winner is updated.
 */
function* createDebounced(run: NewRun, key: string, now: number): Program<CreatedRun> {
  for (let tries = 0; ; tries++) {
    const pending = yield* call((tx) => tx.pendingDebounced(run.taskId, key));
    if (pending !== null) {
      const updated = yield* call((tx) => tx.updateDebounced(pending.id, run.payload, run.runAt, now));
      return { run: updated, created: false };
    }
    if (yield* call((tx) => tx.insertRunIfDebounceFree(run, now))) return { run: insertedRun(run, now), created: true };
    // Another transaction inserted a pending run with this key and committed: update that one.
    if (tries >= 3) throw new Error(`store: could not debounce a run of task ${JSON.stringify(run.taskId)} with key ${JSON.stringify(key)}`);
  }
}
