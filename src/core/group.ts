/**
 * One `ctx.all` / `ctx.allSettled` call: collects the outcomes of its entries by position and settles
 * its promise. It is a {@link Waiter}: an entry hands over its outcome from the one reaction it has
 * anyway (the one that marks it settled), so a call over n tasks adds no `then` per task.
 *
 * `all` rejects with the first error by completion time and then aborts its signal (the signal the
 * tasks it started were called for), so siblings whose every caller went away are aborted. Both kinds
 * reject at once with the caller's reason when the caller's signal aborts.
 */
import { offAbort, onAbort } from "./abort.ts";
import type { LazySignal, Waiter } from "./entry.ts";

export class Group implements Waiter, LazySignal {
  /** Made when a task of the group first needs its signal (an AbortController is costly to make). */
  #controller: AbortController | null = null;
  aborted = false;
  reason: unknown = undefined;
  readonly promise: Promise<unknown[]>;
  readonly #settledResults: boolean;
  readonly #results: unknown[];
  #remaining: number;
  /** Every task has been started or joined; before that a failure only rejects (siblings start first). */
  #armed = false;
  #finished = false;
  #abortWhenArmed = false;
  #resolve!: (values: unknown[]) => void;
  #reject!: (error: unknown) => void;
  readonly #parent: AbortSignal | null;
  readonly #onParentAbort: () => void;

  /** The signal of the tasks this group runs (their caller's signal). */
  get signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  /** `settled`: collect `PromiseSettledResult`s and never fail (allSettled). */
  constructor(size: number, settled: boolean, parent: AbortSignal | null) {
    this.#settledResults = settled;
    this.#results = new Array<unknown>(size);
    this.#remaining = size;
    this.promise = new Promise<unknown[]>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#parent = parent;
    this.#onParentAbort = () => this.#parentAborted();
    if (parent !== null) onAbort(parent, this.#onParentAbort);
  }

  deliver(slot: number, value: unknown, failed: boolean): void {
    if (this.#finished) return;
    if (this.#settledResults) {
      this.#results[slot] = failed ? { status: "rejected", reason: value } : { status: "fulfilled", value };
    } else if (failed) {
      this.#fail(value);
      return;
    } else {
      this.#results[slot] = value;
    }
    if (--this.#remaining === 0 && this.#armed) this.#succeed();
  }

  /** Called once every task has been started or joined: from now on the group settles. */
  arm(): void {
    this.#armed = true;
    if (this.#abortWhenArmed) this.#abortSiblings();
    else if (!this.#finished && this.#remaining === 0) this.#succeed();
  }

  #succeed(): void {
    this.#finished = true;
    if (this.#parent !== null) offAbort(this.#parent, this.#onParentAbort);
    this.#resolve(this.#results);
  }

  #fail(error: unknown): void {
    this.#finished = true;
    if (this.#parent !== null) offAbort(this.#parent, this.#onParentAbort);
    this.#reject(error);
    if (this.#armed) this.#abortSiblings();
    else this.#abortWhenArmed = true;
  }

  #abortSiblings(): void {
    this.#abort(new DOMException("aborted: a sibling task in ctx.all failed", "AbortError"));
  }

  #parentAborted(): void {
    if (this.#finished) return;
    this.#finished = true;
    const reason: unknown = this.#parent!.reason;
    this.#abort(reason);
    this.#reject(reason);
  }

  #abort(reason: unknown): void {
    this.aborted = true;
    this.reason = reason;
    this.#controller?.abort(reason);
  }
}
