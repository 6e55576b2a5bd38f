/**
 * How many runs a worker claims ahead of its free slots (the `prefetch` buffer).
 *
 * A fixed `prefetch` option is used as given. By default the buffer adapts to the runs: it holds about
 * {@link BUFFER_WINDOW_MS} of work at the current pace (`concurrency × window / mean run time`), at most
 * {@link MAX_FACTOR} × `concurrency`, and nothing until the first runs have finished. Many short runs
 * therefore get large claims and large completion batches (one claim round trip and one commit per
 * hundreds of runs, as graphile-worker's local queue does), while long runs get no buffer at all: a
 * buffered run holds a lease and counts against queue limits, so no other worker could take it meanwhile.
 */
import type { ResolvedWorkerOptions } from "./options.ts";

/** The adaptive buffer holds about this much work (ms at the mean run time). */
export const BUFFER_WINDOW_MS = 100;
/** The adaptive buffer never holds more than this many times `concurrency`. */
export const MAX_FACTOR = 20;
/** Weight of the newest run time in the moving mean. */
const ALPHA = 0.05;

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

  /** A run's function took `ms` (engine clock). */
  observe(ms: number): void {
    if (this.#fixed !== null || !(ms >= 0)) return;
    this.#meanMs = this.#meanMs === null ? ms : this.#meanMs + (ms - this.#meanMs) * ALPHA;
  }
}
