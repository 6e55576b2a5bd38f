/**
 * The runs a worker holds: the current holder of each run id, the buffer of claimed runs waiting for
 * a slot (first in, first out), and the tally of their states (the worker's counts, derived from the
 * states and never kept by hand).
 *
 * A run id has one current holder. When a claim returns a run this worker still holds (its lease
 * expired, e.g. the event loop was blocked for longer than `leaseMs`, and the claim took it over as a
 * new attempt), the old holder is lost and the new one takes its place; callbacks always act on the
 * holder object they were given, never on "whatever holds this id now".
 */
import type { ClaimedRun } from "../../store/types.ts";
import { HeldRun, type HeldRunObserver, type HeldState, type LossEffect } from "./held-run.ts";

const NONE_EXPIRED: readonly { run: HeldRun; effect: LossEffect }[] = Object.freeze([]);

/**
 * The by-id index is replaced by a fresh copy after this many deletions. V8 rehashes a `Map` whose
 * table has filled up with deleted entries into a new table, and the old table keeps its entries and a
 * pointer to the new one. Once one table of that chain is in the old generation (the index lived
 * across two young-generation GCs, e.g. through an idle spell), every later table, and every run it
 * held, survives young GCs until the next full GC: with runs going through the index by the thousand,
 * that was most of what a worker's young GCs copied (docs/PERFORMANCE.md, "Memory"). A fresh Map ends
 * the chain; copying the few hundred live entries costs far less than what it spares the GC.
 */
const RENEW_AFTER = 2048;

export class HeldRuns implements HeldRunObserver {
  #byId = new Map<string, HeldRun>();
  /** Deletions from {@link #byId} since it was made. */
  #deletes = 0;
  #buffer: (HeldRun | undefined)[] = [];
  #head = 0;
  readonly #tally: Record<HeldState, number> = { buffered: 0, executing: 0, lost: 0, writing: 0, released: 0 };
  /** No lease of a current holder expires before this (a lower bound: renewals only move leases later). */
  #soonest = Infinity;
  /** Told when a run is released (a slot or a place may be free). */
  readonly #onRelease: (run: HeldRun) => void;

  constructor(onRelease: (run: HeldRun) => void) {
    this.#onRelease = onRelease;
  }

  moved(run: HeldRun, from: HeldState, to: HeldState): void {
    this.#tally[from]--;
    this.#tally[to]++;
    if (to !== "released") return;
    if (this.#byId.get(run.id) === run) this.#forget(run.id);
    this.#onRelease(run);
  }

  /** Slots in use: runs executing, and lost runs whose function has not settled yet. */
  get running(): number {
    return this.#tally.executing + this.#tally.lost;
  }

  get buffered(): number {
    return this.#tally.buffered;
  }

  /** Outcomes not written yet. */
  get writing(): number {
    return this.#tally.writing;
  }

  /** Runs not released yet, in any state. */
  get size(): number {
    return this.#tally.buffered + this.#tally.executing + this.#tally.lost + this.#tally.writing;
  }

  /** The current holder of a run id (lost holders are no longer anyone's current holder). */
  get(runId: string): HeldRun | undefined {
    return this.#byId.get(runId);
  }

  /**
   * A claimed run joins the buffer. A previous holder of the same id (this worker's own run, taken
   * over after its lease expired) is lost with `takenOver(previous)` first.
   */
  add(claimed: ClaimedRun, leaseUntil: number, takenOver: (previous: HeldRun) => unknown): HeldRun {
    if (this.#deletes >= RENEW_AFTER) {
      this.#byId = new Map(this.#byId);
      this.#deletes = 0;
    }
    const run = new HeldRun(claimed, leaseUntil, this);
    this.#tally.buffered++;
    const previous = this.#byId.get(run.id);
    if (previous !== undefined) {
      this.#forget(run.id);
      previous.lose(takenOver(previous));
    }
    this.#byId.set(run.id, run);
    this.#buffer.push(run);
    if (leaseUntil < this.#soonest) this.#soonest = leaseUntil;
    return run;
  }

  /** The next buffered run, taken out of the buffer (still in state `buffered`), or undefined. */
  nextBuffered(): HeldRun | undefined {
    while (this.#head < this.#buffer.length) {
      const run = this.#buffer[this.#head]!;
      // The slot lets go of the run at once: a run taken out dies young (with its record and payload)
      // instead of staying reachable until the buffer is compacted.
      this.#buffer[this.#head++] = undefined;
      if (this.#head > 1024 && this.#head * 2 > this.#buffer.length) this.#compact();
      if (run.state === "buffered") return run;
    }
    this.#buffer = [];
    this.#head = 0;
    return undefined;
  }

  /** Up to `n` buffered runs, the newest first, taken out of the buffer (still in state `buffered`). */
  takeNewestBuffered(n: number): HeldRun[] {
    const out: HeldRun[] = [];
    while (out.length < n && this.#buffer.length > this.#head) {
      const run = this.#buffer.pop();
      if (run?.state === "buffered") out.push(run);
    }
    return out;
  }

  /** Every current holder that is not lost (for heartbeats, stop and lease checks). */
  holders(): HeldRun[] {
    const out: HeldRun[] = [];
    for (const run of this.#byId.values()) if (run.state !== "lost") out.push(run);
    return out;
  }

  /** Every current holder in `state`. */
  inState(state: HeldState): HeldRun[] {
    return this.holders().filter((r) => r.state === state);
  }

  /** Whether a lease of a current holder may have expired by `now` (else {@link expire} finds nothing). */
  mayExpire(now: number): boolean {
    return now >= this.#soonest;
  }

  /**
   * Loses every buffered or executing holder whose lease, as this worker last secured it, has expired
   * by `now`: another claim (this worker's own included) may take such a run over at any moment, so its
   * outcome must not be written. Runs whose outcome is being written are left to the store's fencing.
   */
  expire(now: number, reason: (run: HeldRun) => unknown): readonly { run: HeldRun; effect: LossEffect }[] {
    if (now < this.#soonest) return NONE_EXPIRED;
    const out: { run: HeldRun; effect: LossEffect }[] = [];
    let soonest = Infinity;
    for (const run of this.#byId.values()) {
      if (run.leaseUntil > now || (run.state !== "buffered" && run.state !== "executing")) {
        if (run.leaseUntil < soonest) soonest = run.leaseUntil;
        continue;
      }
      this.#forget(run.id);
      out.push({ run, effect: run.lose(reason(run)) });
    }
    this.#soonest = soonest;
    return out;
  }

  #forget(runId: string): void {
    this.#byId.delete(runId);
    this.#deletes++;
  }

  #compact(): void {
    this.#buffer = this.#buffer.slice(this.#head);
    this.#head = 0;
  }
}
