/**
 * The worker's one wake-up mechanism. Anything that may give the worker something to do rings it: a
 * run settled or was released, a claim or a completion batch came back, the store announced work, the
 * poll timer fired, stop was asked. Waiters wake once per event-loop turn (`setImmediate`), however
 * often it rang in that turn, so everything that happened in one turn is handled together (one
 * completion batch, one claim). A ring with nobody waiting is remembered for the next wait.
 */
export class Doorbell {
  #rung = false;
  #waiters: (() => void)[] = [];
  #scheduled = false;

  ring(): void {
    this.#rung = true;
    if (this.#waiters.length > 0) this.#schedule();
  }

  /** Resolves in the turn after the next ring (or the next turn, if it rang since the last wake-up). */
  wait(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#waiters.push(resolve);
      if (this.#rung) this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#rung = false;
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    });
  }
}
