/**
 * Waits of suspended runs: resolving one (its step is written, its run woken), suspending a held run
 * on its waits, events, and timers that came due. Every program runs inside the caller's write
 * transaction.
 */
import { childResultJson } from "../child-result.ts";
import { matchesJson } from "../match.ts";
import { NEVER, type NewWait } from "../types.ts";
import { Effects } from "./effects.ts";
import { isFinished } from "./payloads.ts";
import { call, type Program } from "./program.ts";
import type { StoredWait } from "./tx.ts";

/** Writes the wait's step (completed with `output`), marks the wait resolved, wakes its run. */
export function* resolveWait(w: StoredWait, output: string, now: number, effects: Effects): Program<void> {
  yield* call((tx) => tx.completeWait(w, output, now));
  effects.woken.add(w.runId);
}

/** Tries to resolve an open wait from what is stored already (a passed timer, an event, a finished child). */
export function* tryResolveNow(w: StoredWait, now: number, effects: Effects): Program<boolean> {
  if (w.wakeAt !== null && w.wakeAt <= now) {
    yield* resolveWait(w, "null", now, effects);
    return true;
  }
  if (w.kind === "event" && w.eventName !== null) {
    const name = w.eventName;
    for (const payload of yield* call((tx) => tx.eventsSince(name, w.createdAt, now))) {
      if (!matchesJson(w.match, payload)) continue;
      yield* resolveWait(w, payload, now, effects);
      return true;
    }
    return false;
  }
  if (w.kind === "child" && w.childRunId !== null) {
    const childId = w.childRunId;
    const child = yield* call((tx) => tx.runResult(childId));
    if (child !== null && isFinished(child.status)) {
      yield* resolveWait(w, childResultJson(childId, child.status, child.output, child.error), now, effects);
      return true;
    }
  }
  return false;
}

/**
 * Suspends a run held by `workerId` on its waits (see `Store.suspendRun`). Returns "queued" when a
 * wait is resolved already, "waiting" otherwise, null when the lease was not held.
 */
export function* suspend(
  p: { readonly workerId: string; readonly runId: string; readonly waits: readonly NewWait[]; readonly now: number },
  effects: Effects,
): Program<"waiting" | "queued" | null> {
  const { workerId, runId, waits, now } = p;
  if (!(yield* call((tx) => tx.lockHeld(runId, workerId)))) return null;
  if (waits.length > 0) yield* call((tx) => tx.insertWaits(runId, waits));
  const stored = yield* call((tx) => tx.waitsByKeys(runId, waits.map((w) => w.key)));
  // The run is held (running) here: resolving its own waits must not "wake" it; it is requeued below.
  const own = new Effects();
  let ready = false;
  for (const w of stored) {
    if (w.resolvedAt !== null || (yield* tryResolveNow(w, now, own))) ready = true;
  }
  if (ready) {
    yield* call((tx) => tx.requeueHeld(runId, now));
    effects.available = true;
    return "queued";
  }
  const next = yield* call((tx) => tx.nextTimer(runId));
  yield* call((tx) => tx.markWaiting(runId, next ?? NEVER, now));
  return "waiting";
}

/** Stores an event and resolves every open wait on it whose match the payload satisfies. Returns how many. */
export function* deliverEvent(
  p: { readonly id: string; readonly name: string; readonly payload: string; readonly now: number },
  effects: Effects,
): Program<number> {
  const { id, name, payload, now } = p;
  yield* call((tx) => tx.insertEvent(id, name, payload, now));
  let resolved = 0;
  for (const w of yield* call((tx) => tx.openEventWaits(name, now))) {
    if (!matchesJson(w.match, payload)) continue;
    yield* resolveWait(w, payload, now, effects);
    resolved++;
  }
  return resolved;
}

/** Claimed runs that were waiting: their due timers resolve (step output null) before they run. */
export function* resolveDueTimers(runIds: readonly string[], now: number): Program<void> {
  if (runIds.length === 0) return;
  const due = yield* call((tx) => tx.dueTimers(runIds, now));
  const own = new Effects(); // the runs are being claimed: nothing to wake
  for (const w of due) yield* resolveWait(w, "null", now, own);
}
