/**
 * The engine's side of the handoff (worker/handoff.ts): a single trigger whose run the claim path
 * would treat plainly is offered to the running workers of this engine; the first idle one reserves
 * a slot, and the store inserts the run already claimed by it (`Store.createClaimedRun`), in one
 * durable statement, without the notification and the claim round trip that follow a plain trigger.
 *
 * Which runs: inserted as they are (no idempotency key, no debounce), no tags, no concurrency key,
 * queued now (no delay, no `runAt` in the future), of a queue this engine's tasks configure without a
 * concurrency or rate limit, no parent or schedule, no trace context. Anything else, a store without
 * the method, or no idle worker: the trigger goes the usual way. With tracing on the engine does not
 * come here (the trigger's span wraps the usual insert).
 */
import type { NewRun, Store } from "../store/types.ts";
import { isPlainRun } from "../store/records.ts";
import type { RunHandle } from "./types.ts";
import type { HandoffSlot, HandoffTarget } from "./worker/core.ts";

export interface LocalHandoff {
  /** The running workers of this engine that may take a run (they add and remove themselves). */
  readonly targets: Set<HandoffTarget>;
  /** The trigger of `run` (made at `now`) handed to an idle local worker, or null: insert it as usual. */
  tryHandOff(run: NewRun, now: number): Promise<RunHandle<never>> | null;
}

export function createLocalHandoff(store: Store, unlimitedQueues: ReadonlySet<string>): LocalHandoff {
  const targets = new Set<HandoffTarget>();

  const takes = (run: NewRun, now: number): boolean =>
    isPlainRun(run) &&
    run.status === "queued" &&
    run.runAt <= now &&
    run.concurrencyKey === null &&
    run.parentRunId === null &&
    run.scheduleId === null &&
    (run.traceContext ?? null) === null &&
    unlimitedQueues.has(run.queue);

  const handOff = (slot: HandoffSlot, run: NewRun, now: number): Promise<RunHandle<never>> => {
    const handle: RunHandle<never> = { id: run.id, taskId: run.taskId, created: true };
    let insert: Promise<unknown>;
    try {
      insert = store.createClaimedRun!({ run, workerId: slot.workerId, queues: slot.queues, taskIds: slot.taskIds, leaseMs: slot.leaseMs, now }).then(
        (claimed) => slot.take(claimed, now),
        (error: unknown) => {
          slot.giveBack();
          throw error;
        },
      );
    } catch (error) {
      slot.giveBack();
      return Promise.reject(error);
    }
    return insert.then(() => handle);
  };

  return {
    targets,
    tryHandOff(run, now) {
      if (targets.size === 0 || store.createClaimedRun === undefined || !takes(run, now)) return null;
      for (const target of targets) {
        const slot = target.reserve(run);
        if (slot !== null) return handOff(slot, run, now);
      }
      return null;
    },
  };
}
