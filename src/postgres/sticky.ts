/**
 * One pooled connection kept for one hot statement (the claim, the completion).
 *
 * node-postgres prepares a named statement once per connection, and PostgreSQL plans a prepared
 * statement with custom plans for its first five executions on each connection before it settles on
 * the generic plan. Through the pool, a worker's claims land on whichever connection is free, so
 * each statement was planned again on every connection: measured on a drain of 6,000 runs, 20 plans
 * in 21 claims (3.5 ms each) and 12 in 20 completions (7 ms each), a fifth of the server's statement
 * time. Sent on a connection of its own, a statement is planned five times per store.
 *
 * The statement goes to the kept connection when it is free, else through the pool, so several
 * workers sharing a store never wait for each other. A connection whose query failed, or that
 * reported an error while idle, is dropped and replaced on the next use.
 *
 * A connection may be given session settings for its one statement (`setup`, sent once when it is
 * taken from the pool): the claim's commits asynchronously (docs/ARCHITECTURE.md, "The claim's
 * commit"). Such a connection is never handed back to the pool for other work: it is closed instead,
 * so the setting cannot leak into a statement that needs it off.
 */
import type { PgClientLike, PgNamedQuery, PgPoolLike, PgQueryResult } from "./driver.ts";

/** Pools smaller than this keep no connection aside (the store needs a few for everything else). */
export const STICKY_MIN_POOL = 4;

export class StickyConnection {
  readonly #pool: PgPoolLike;
  readonly #setup: string | null;
  #client: PgClientLike | null = null;
  #busy = false;
  #broken = false;
  #closed = false;
  readonly #onError = (): void => {
    this.#broken = true;
  };

  /** `setup`: SQL run once on each connection this keeps (session settings), before its first statement. */
  constructor(pool: PgPoolLike, setup: string | null = null) {
    this.#pool = pool;
    this.#setup = setup;
  }

  async query<R>(query: PgNamedQuery, values: unknown[]): Promise<PgQueryResult<R>> {
    if (this.#busy || this.#closed) return this.#pool.query<R>(query, values);
    this.#busy = true;
    try {
      if (this.#broken) this.#drop();
      if (this.#client === null) {
        const client = await this.#pool.connect();
        client.on?.("error", this.#onError);
        this.#client = client;
        if (this.#setup !== null) await client.query(this.#setup);
        if (this.#closed) this.#release();
      }
      return await (this.#client ?? this.#pool).query<R>(query, values);
    } catch (error) {
      this.#drop();
      throw error;
    } finally {
      this.#busy = false;
      if (this.#closed) this.#release();
    }
  }

  /** Gives the connection back to the pool (the store closes). */
  close(): void {
    this.#closed = true;
    if (!this.#busy) this.#release();
  }

  #release(): void {
    const client = this.#client;
    this.#client = null;
    client?.off?.("error", this.#onError);
    // A connection with its own session settings is closed, never given to the pool's other users.
    client?.release(this.#broken || this.#setup !== null);
    this.#broken = false;
  }

  #drop(): void {
    this.#broken = true;
    this.#release();
  }
}
