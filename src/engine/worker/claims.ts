/**
 * The claiming side of a worker's loop: whether something happened that may have made runs claimable
 * (a run released that may free others, a store notification, the poll timer, a full claim), how many
 * places are free, the claim in flight (at most one), and the poll timer (armed after each claim,
 * cleared when one starts).
 */
import type { ClaimedRun } from "../../store/types.ts";
import { LeaseLostError } from "../../vocabulary/errors.ts";
import { startBuffered } from "./attempts.ts";
import { slotsInUse, type WorkerCore } from "./core.ts";
import type { HeldRun } from "./held-run.ts";

/** Why a run this worker held is lost when its own claim returns it again (a takeover after its lease expired). */
export function takenOver(previous: HeldRun): LeaseLostError {
  return new LeaseLostError(`run ${previous.id}: taken over by a new claim after its lease expired`);
}

export class Claims {
  readonly #w: WorkerCore;
  #wanted = true;
  #inFlight: Promise<void> | null = null;
  #pollTimer: ReturnType<typeof setTimeout> | null = null;

  readonly #known: ReadonlySet<string>;

  constructor(w: WorkerCore) {
    this.#w = w;
    this.#known = new Set(w.opts.taskIds);
  }

  /** The claim in flight, if any (stop waits for it: its runs are handed back with the buffer). */
  get inFlight(): Promise<void> | null {
    return this.#inFlight;
  }

  /** No claim in flight and none asked for: nothing this worker was told about is left unclaimed. */
  get idle(): boolean {
    return this.#inFlight === null && !this.#wanted;
  }

  /**
   * A run this worker held is released (its slot or place is free). A claim is asked for unless the
   * run completed where that makes no other run claimable (an unlimited queue, no parent waiting:
   * attempts.ts marks those): with its last claim short and nothing announced since, a claim now
   * would come back empty. A run of a limited queue frees a place under the limit (no notification
   * says so); a retried, failed, suspended, canceled or lost run may be claimable again.
   */
  released(run: HeldRun): void {
    if (this.#w.quietReleases.delete(run.id)) this.#w.bell.ring();
    else this.want();
  }

  /** Runs may have become claimable: claim on the next wake-up if there is room. */
  want(): void {
    this.#wanted = true;
    this.#w.bell.ring();
  }

  /** Claims if something asked for it, none is in flight, and enough places are free. */
  maybeClaim(): void {
    if (this.#inFlight !== null || !this.#wanted) return;
    const limit = this.#limit();
    if (limit > 0) this.#claim(limit);
  }

  stopPolling(): void {
    if (this.#pollTimer !== null) clearTimeout(this.#pollTimer);
    this.#pollTimer = null;
  }

  /**
   * Places free: capacity (slots plus prefetch buffer) minus runs buffered or running, minus a backlog
   * of unwritten outcomes beyond the capacity. Claims when half the capacity is free (so claims stay
   * large), or when a slot is free with nothing buffered to start; else 0.
   */
  #limit(): number {
    const { held, opts, prefetch } = this.#w;
    const capacity = opts.concurrency + prefetch.size;
    const running = slotsInUse(this.#w); // a slot reserved for a handed-over run is in use
    const room = capacity - running - held.buffered - Math.max(0, held.writing - capacity);
    if (room >= Math.ceil(capacity / 2) || (room > 0 && held.buffered === 0 && running < opts.concurrency)) return room;
    return 0;
  }

  /**
   * The claimed runs of this worker's tasks. The built-in stores never return others (they filter in
   * the claim); a store that does is answered by handing those back at once, untouched.
   */
  #ownTasks(claimed: readonly ClaimedRun[], now: number): readonly ClaimedRun[] {
    const known = this.#known;
    const foreign = claimed.filter((c) => !known.has(c.run.taskId));
    if (foreign.length === 0) return claimed;
    const w = this.#w;
    w.persist(() => w.store.releaseRuns({ workerId: w.id, runIds: foreign.map((c) => c.run.id), now })).catch((error: unknown) => w.reportError(error));
    return claimed.filter((c) => known.has(c.run.taskId));
  }

  #claim(limit: number): void {
    const w = this.#w;
    this.#wanted = false;
    this.stopPolling();
    const now = w.host.now();
    this.#inFlight = w.leases
      .expireOwn(now) // before the claim can take them over
      .then(() => w.store.claimRuns({ workerId: w.id, queues: w.opts.queues, taskIds: w.opts.taskIds, limit, leaseMs: w.opts.leaseMs, now }))
      .then(
        (all) => {
          const claimed = this.#ownTasks(all, now);
          const leaseUntil = now + w.opts.leaseMs;
          for (const c of claimed) w.held.add(c, leaseUntil, takenOver);
          if (claimed.length === limit) this.#wanted = true; // there may be more
          startBuffered(w); // at once: a claimed run never waits for a wake-up to start
        },
        (error: unknown) => w.reportError(error),
      )
      .finally(() => {
        this.#inFlight = null;
        if (w.state === "running") {
          this.#pollTimer = setTimeout(() => {
            this.#pollTimer = null;
            this.want();
          }, w.opts.pollIntervalMs);
        }
        w.bell.ring();
      });
  }
}
