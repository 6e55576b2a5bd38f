/**
 * Queue concurrency limits, decided inside the claim transaction: a limit holds per queue, or per
 * (queue, concurrencyKey) for runs that have a key. The store reads the limits and the running
 * counts in that transaction; this picks the candidates that fit.
 */

/** The slot group of a run: its queue, or its queue and concurrency key. */
export function groupKey(queue: string, concurrencyKey: string | null): string {
  return concurrencyKey === null ? queue : `${queue}\u0000${concurrencyKey}`;
}

export interface RunningCount {
  readonly queue: string;
  readonly concurrencyKey: string | null;
  readonly n: number;
}

export interface ClaimCandidate {
  readonly id: string;
  readonly queue: string;
  readonly concurrencyKey: string | null;
  /** "running" for a takeover of an expired lease: that run already holds its slot. */
  readonly status: string;
}

/** Free slots per group, counted down as candidates are taken. */
export class Slots {
  readonly #limits: ReadonlyMap<string, number>;
  readonly #running = new Map<string, number>();

  constructor(limits: ReadonlyMap<string, number>, running: Iterable<RunningCount>) {
    this.#limits = limits;
    for (const r of running) this.#running.set(groupKey(r.queue, r.concurrencyKey), r.n);
  }

  /** True (and the slot is counted) when the candidate may start now. */
  take(c: ClaimCandidate): boolean {
    const max = this.#limits.get(c.queue);
    if (max === undefined || c.status === "running") return true;
    const key = groupKey(c.queue, c.concurrencyKey);
    const n = this.#running.get(key) ?? 0;
    if (n >= max) return false;
    this.#running.set(key, n + 1);
    return true;
  }
}

/** A second test a candidate must pass (the rate limits, rate.ts): asked first, told when it is taken. */
export interface RateGate {
  allows(c: ClaimCandidate): boolean;
  take(c: ClaimCandidate): void;
}

/**
 * Takes candidates in order while they fit their limits (concurrency, and the rate limits of `rates`
 * when given), up to `limit`, into `chosen`. Returns `chosen`.
 */
export function pickUnderLimits<C extends ClaimCandidate>(
  candidates: Iterable<C>,
  slots: Slots,
  limit: number,
  chosen: C[] = [],
  rates: RateGate | null = null,
): C[] {
  for (const c of candidates) {
    if (chosen.length >= limit) break;
    if (rates !== null && !rates.allows(c)) continue;
    if (!slots.take(c)) continue;
    rates?.take(c);
    chosen.push(c);
  }
  return chosen;
}
