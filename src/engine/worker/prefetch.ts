/**
 * How many runs a worker claims ahead of its free slots (the `prefetch` buffer).
 *
 * A fixed `prefetch` option is used as given. By default the buffer adapts to the runs: it holds about
 * {@link BUFFER_WINDOW_MS} of work at the current pace (`concurrency × window / mean run time`), at most
 * {@link MAX_FACTOR} × `concurrency`, and nothing until the first runs have finished. Many short runs
 * therefore get large claims and large completion batches (one claim round trip and one commit per
 * hundreds of runs, as graphile-worker's local queue does), while long runs get no buffer at all: a
 * buffered run holds a lease and counts against queue limits, so no other worker could take it meanwhile.
 *
 * The mean follows longer runs at once and shorter ones slowly: when run times jump (0.1 ms → 200 ms)
 * the buffer shrinks after a run or two, not after a hundred, and what it then holds beyond
 * {@link Prefetch.surplus} goes back to the queue (surplus.ts), where other workers can start it.
 */
import type { ResolvedWorkerOptions } from "./options.ts";

/** The adaptive buffer holds about this much work (ms at the mean run time). */
export const BUFFER_WINDOW_MS = 100;
/** The adaptive buffer never holds more than this many times `concurrency`. */
export const MAX_FACTOR = 20;
/** Weight of the newest run time in the moving mean when it is shorter than the mean. */
const ALPHA_DOWN = 0.05;
/** … and when it is longer: a slowdown shrinks the buffer at once. */
const ALPHA_UP = 0.5;

export class Prefetch {
  readonly #fixed: number | null;
  readonly #concurrency: number;
  #meanMs: number | null = null;

  constructor(opts: ResolvedWorkerOptions) {
    this.#fixed = opts.prefetch;
    this.#concurrency = opts.concurrency;
  }

  /** Runs to hold beyond the slots now. */
  get size(): number {
    if (this.#fixed !== null) return this.#fixed;
    if (this.#meanMs === null) return 0; // nothing measured yet: claim only for free slots
    const c = this.#concurrency;
    return Math.min(MAX_FACTOR * c, Math.floor((c * BUFFER_WINDOW_MS) / Math.max(this.#meanMs, 0.001)));
  }

  /**
   * Buffered runs to hand back: with the adaptive buffer, those beyond its size once it holds more
   * than twice its size and `concurrency` more (claimed when runs were shorter); else 0.
   */
  surplus(buffered: number): number {
    if (this.#fixed !== null) return 0;
    const keep = this.size;
    return buffered > 2 * keep + this.#concurrency ? buffered - keep : 0;
  }

  /** A run's function took `ms` (engine clock). */
  observe(ms: number): void {
    if (this.#fixed !== null || !(ms >= 0)) return;
    const mean = this.#meanMs;
    this.#meanMs = mean === null ? ms : mean + (ms - mean) * (ms > mean ? ALPHA_UP : ALPHA_DOWN);
  }
}
