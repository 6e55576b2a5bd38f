/**
 * What a write transaction changed that others must hear about: runs to wake, and whether new work
 * became claimable. The rules record into it; the store settles it at the end of the transaction
 * ({@link settle}) and notifies listeners when it returns true.
 */
import { call, type Program } from "./program.ts";

export class Effects {
  /** Runs whose wait was resolved: waiting ones become queued when the transaction settles. */
  readonly woken = new Set<string>();
  /** Set when runs became claimable by other means (created, requeued). */
  available = false;
}

/** Wakes the runs in `effects.woken`; returns whether listeners should be told that work is available. */
export function* settle(effects: Effects, now: number): Program<boolean> {
  if (effects.woken.size > 0) {
    const n = yield* call((tx) => tx.wakeRuns([...effects.woken], now));
    if (n > 0) effects.available = true;
  }
  return effects.available;
}
