/**
 * The set of concurrency- or rate-limited queues as one PostgreSQL store last read it. A claim needs
 * it (those queues are claimed under their lock, claim-limited.ts); other processes may change it,
 * so it is read again once TTL_MS old, and in the background from half that age, so a worker that
 * claims often never waits for this read on its way from a notification to its claim.
 */

/** How long the set of limited queues is used before it is read again. */
export const LIMITS_TTL_MS = 1000;

/** The limited queues as read: limit by name, and the names. */
export interface Limited {
  readonly at: number;
  readonly limits: ReadonlyMap<string, number>;
  readonly names: readonly string[];
}

/** Reads the limited queues: name and concurrency limit (null when only rate-limited). */
export type ReadLimited = () => Promise<readonly { name: string; concurrency_limit: number }[]>;

export class LimitedQueues {
  readonly #read: ReadLimited;
  #known: Limited | null = null;
  #reading: { readonly promise: Promise<Limited>; readonly generation: number } | null = null;
  #generation = 0;

  constructor(read: ReadLimited) {
    this.#read = read;
  }

  /** This store changed the queues: what was read (or is being read) before is not used. */
  changed(): void {
    this.#generation++;
    this.#known = null;
  }

  /** The limited queues, never older than LIMITS_TTL_MS. */
  async now(): Promise<Limited> {
    const known = this.#known;
    const age = known === null ? Number.POSITIVE_INFINITY : Date.now() - known.at;
    if (known === null || age >= LIMITS_TTL_MS) return this.#readOnce();
    if (age >= LIMITS_TTL_MS / 2 && this.#reading === null) this.#readOnce().catch(() => {}); // a claim that needs it reads again
    return known;
  }

  /**
   * One read at a time. A read that started before this store changed the queues is neither kept nor
   * shared with a later caller.
   */
  #readOnce(): Promise<Limited> {
    const reading = this.#reading;
    if (reading !== null && reading.generation === this.#generation) return reading.promise;
    const asOf = this.#generation;
    const promise = (async (): Promise<Limited> => {
      const at = Date.now();
      const limits = new Map((await this.#read()).map((x) => [x.name, x.concurrency_limit]));
      const read: Limited = { at, limits, names: [...limits.keys()] };
      if (asOf === this.#generation) this.#known = read;
      return read;
    })().finally(() => {
      if (this.#reading?.promise === promise) this.#reading = null;
    });
    this.#reading = { promise, generation: asOf };
    return promise;
  }
}
