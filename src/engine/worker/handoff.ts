/**
 * A worker's side of the handoff: a trigger in this process may give a run straight to a worker
 * that is idle, and the store inserts it already claimed by that worker (`Store.createClaimedRun`):
 * no notification, no claim round trip (docs/ARCHITECTURE.md, "Handed-over runs").
 *
 * Idle means: the worker is running (not stopping), serves the run's task and queue, has a free slot
 * (slots in use and slots already reserved for other handovers count), nothing buffered, no claim in
 * flight and none asked for (nothing it was told about or found waiting is left unclaimed). The slot
 * is reserved BEFORE the insert, so two triggers cannot both take the last one; it is given back if
 * the insert fails (the trigger rejects with the insert's error, as any trigger). Which older runs the
 * handed-over run may not overtake is the store's to check, in the insert's own snapshot (types.ts,
 * createClaimedRun): when one exists the run is inserted queued and the worker claims.
 *
 * Stop: a stopping worker reserves nothing; the stop waits for the inserts in flight, and a run that
 * arrives then stays buffered and is handed back with the buffer (graceful-stop.ts).
 */
import type { ClaimedRun, NewRun } from "../../store/types.ts";
import { startHandedOver } from "./attempts.ts";
import { takenOver, type Claims } from "./claims.ts";
import { slotsInUse, type HandoffSlot, type HandoffTarget, type WorkerCore } from "./core.ts";

export class Handoff implements HandoffTarget {
  readonly #w: WorkerCore;
  readonly #claims: Claims;
  readonly #tasks: ReadonlySet<string>;
  readonly #queues: ReadonlySet<string> | null;
  /** Inserts in flight for slots this worker reserved. */
  #inFlight = 0;
  #whenNone: (() => void)[] = [];

  constructor(w: WorkerCore, claims: Claims) {
    this.#w = w;
    this.#claims = claims;
    this.#tasks = new Set(w.opts.taskIds);
    this.#queues = w.opts.queues === null ? null : new Set(w.opts.queues);
  }

  reserve(run: NewRun): HandoffSlot | null {
    const w = this.#w;
    if (w.state !== "running" || !this.#tasks.has(run.taskId) || (this.#queues !== null && !this.#queues.has(run.queue))) return null;
    if (!this.#claims.idle || w.held.buffered > 0 || slotsInUse(w) >= w.opts.concurrency) return null;
    w.slots.reserved++;
    this.#inFlight++;
    let open = true;
    const close = (): boolean => {
      if (!open) return false;
      open = false;
      w.slots.reserved--;
      if (--this.#inFlight === 0) for (const resolve of this.#whenNone.splice(0)) resolve();
      return true;
    };
    return {
      workerId: w.id,
      queues: w.opts.queues,
      taskIds: w.opts.taskIds,
      leaseMs: w.opts.leaseMs,
      take: (claimed, now) => {
        if (close()) this.#arrived(claimed, now);
      },
      giveBack: () => {
        if (close()) w.bell.ring();
      },
    };
  }

  /** Resolves once no insert for a slot of this worker is in flight (stop waits for it). */
  settled(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#whenNone.push(resolve));
  }

  /** The insert committed: the run starts in the freed reservation, or (inserted queued) the worker claims. */
  #arrived(claimed: ClaimedRun | null, now: number): void {
    const w = this.#w;
    try {
      if (claimed === null) {
        this.#claims.want();
        return;
      }
      startHandedOver(w, w.held.add(claimed, now + w.opts.leaseMs, takenOver));
    } catch (error) {
      w.reportError(error); // a worker bug: the trigger itself committed, and resolves
    }
  }
}
