/**
 * Completion batching: outcomes of runs that returned are collected and written by one
 * `store.completeRuns` call per batch, one batch at a time. The worker starts a batch on each wake-up
 * (so a batch is everything that completed since the previous one was sent), and claims while a batch
 * is in flight: a claim never waits for a completion write, nor a write for a claim.
 */
import type { Store } from "../../store/types.ts";
import type { HeldRun } from "./held-run.ts";

export interface Completion {
  readonly run: HeldRun;
  readonly output: unknown;
  readonly outputJson: string;
}

export interface CompletionDeps {
  readonly store: Store;
  readonly workerId: string;
  now(): number;
  /** Runs a write, retrying transient errors (and reporting them); rejects when it gives up. */
  persist<T>(write: () => Promise<T>): Promise<T>;
  /**
   * Called once per batch with the ids the store completed (empty if the write failed: the runs stay
   * held under their lease in the store and are taken over after it expires).
   */
  written(batch: readonly Completion[], done: Set<string>): void;
}

export class CompletionBatcher {
  #pending: Completion[] = [];
  #inFlight: Promise<void> | null = null;
  readonly #deps: CompletionDeps;

  constructor(deps: CompletionDeps) {
    this.#deps = deps;
  }

  add(completion: Completion): void {
    this.#pending.push(completion);
  }

  /** Nothing pending and nothing being written. */
  get idle(): boolean {
    return this.#inFlight === null && this.#pending.length === 0;
  }

  /**
   * Sends what is pending as one batch, unless a batch is in flight (the next wake-up after it sends
   * the rest). Resolves when this batch is written.
   */
  send(): Promise<void> {
    if (this.#inFlight !== null) return this.#inFlight;
    if (this.#pending.length === 0) return Promise.resolve();
    const batch = this.#pending;
    this.#pending = [];
    this.#inFlight = this.#write(batch).finally(() => {
      this.#inFlight = null;
    });
    return this.#inFlight;
  }

  async #write(batch: Completion[]): Promise<void> {
    const { store, workerId, now, persist } = this.#deps;
    let done = new Set<string>();
    const items = batch.map((c) => ({ runId: c.run.id, output: c.outputJson }));
    try {
      done = new Set(await persist(() => store.completeRuns({ workerId, items, now: now() })));
    } catch {
      // reported by persist()
    }
    this.#deps.written(batch, done);
    // A batch is made while the previous one is written, and lives across the write's round trip: a
    // young-generation GC in that time can move these arrays to the old generation, where, as garbage,
    // they would keep every run they list alive through young GCs until the next full GC. Emptied,
    // the runs die young (docs/PERFORMANCE.md, "Memory").
    items.length = 0;
    batch.length = 0;
  }
}
