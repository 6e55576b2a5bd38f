/**
 * Finishing runs: the effect on the parent's wait, cancel with its cascade, final failure, the
 * expiry and lost-lease sweep. Every program runs inside the caller's write transaction.
 */
import type { Effects } from "./effects.ts";
import { EXPIRED_ERROR, leaseLostError } from "./payloads.ts";
import { call, type Program } from "./program.ts";
import type { FinalStatus, FinishedRun } from "./tx.ts";
import { resolveWait } from "./waits.ts";
import { childResultJson } from "../child-result.ts";

/** After runs finished: close their own open waits and resolve their parents' waits on them. */
export function* afterFinish(finished: readonly FinishedRun[], now: number, effects: Effects): Program<void> {
  if (finished.length === 0) return;
  yield* call((tx) => tx.closeWaitsOfRuns(finished.map((f) => f.id), now));
  const withParent = finished.filter((f) => f.parentRunId !== null);
  if (withParent.length === 0) return;
  const waits = yield* call((tx) => tx.openChildWaits(withParent.map((f) => f.id)));
  const byId = new Map(withParent.map((f) => [f.id, f]));
  for (const w of waits) {
    const f = byId.get(w.childRunId!);
    if (f === undefined) continue;
    yield* resolveWait(w, childResultJson(f.id, f.status, f.output, f.error), now, effects);
  }
}

/** Gives one unfinished run a final status; false when it had finished already (or is missing). */
export function* finishRun(id: string, status: FinalStatus, error: string | null, now: number, effects: Effects): Program<boolean> {
  const row = yield* call((tx) => tx.finishUnfinished(id, status, error, now));
  if (row === null) return false;
  yield* afterFinish([{ id, parentRunId: row.parentRunId, status, output: null, error }], now, effects);
  return true;
}

/** Cancels a run and, depth first, its unfinished descendants. Returns the ids canceled. */
export function* cancelCascade(id: string, error: string, now: number, effects: Effects): Program<string[]> {
  const canceled: string[] = [];
  const stack = [id];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (!(yield* finishRun(next, "canceled", error, now, effects))) continue;
    canceled.push(next);
    stack.push(...(yield* call((tx) => tx.unfinishedChildren(next))));
  }
  return canceled;
}

/** Records a failed attempt of a held run: another attempt at `retryAt`, or failure for good. */
export function* failAttempt(
  p: { readonly workerId: string; readonly runId: string; readonly error: string; readonly retryAt: number | null; readonly now: number },
  effects: Effects,
): Program<boolean> {
  const { workerId, runId, error, retryAt, now } = p;
  if (retryAt !== null) return yield* call((tx) => tx.retryHeld(runId, workerId, error, retryAt, now));
  const row = yield* call((tx) => tx.failHeld(runId, workerId, error, now));
  if (row === null) return false;
  yield* afterFinish([{ id: runId, parentRunId: row.parentRunId, status: "failed", output: null, error }], now, effects);
  return true;
}

/**
 * The sweep that precedes a claim: unstarted runs past their ttl expire, and runs whose worker lost
 * the lease on their last attempt fail with a `LeaseExpiredError` naming that attempt.
 */
export function* sweep(now: number, effects: Effects): Program<void> {
  const expired = yield* call((tx) => tx.expireUnstarted(now, EXPIRED_ERROR));
  yield* afterFinish(expired, now, effects);
  const exhausted = yield* call((tx) => tx.exhaustedLeases(now));
  for (const x of exhausted) yield* finishRun(x.id, "failed", leaseLostError(x.attempt), now, effects);
}
