/**
 * The plain triggers of one PostgreSQL store (runs without an idempotency or debounce key), at most
 * a few statements in flight at a time; triggers that arrive while those are busy wait here and go
 * together, in ONE statement, when a statement returns.
 *
 * Why: each statement in flight holds a pooled connection. When the server stalls (a slow WAL flush,
 * a busy CPU), triggers that keep arriving would each take another connection, and the pool would
 * open new ones (a TCP connect, an authentication, a cold backend) on the path of the very triggers
 * that wait: measured, 24 connections opened in a 5.5 s open loop at 200 triggers/s, and the tail of
 * trigger→start grew with them (docs/PERFORMANCE.md). Here a stall costs one statement more, not a
 * connection per trigger: what waited goes in one INSERT, committed with one WAL flush.
 *
 * Each trigger still resolves only once its own rows are committed. A combined statement that the
 * server rejected committed nothing, so its triggers are sent again one by one, and each caller gets
 * its own outcome; after a connection error (the outcome unknown) every trigger of the statement
 * gets that error, as a single trigger would.
 */
import type { NewRun } from "../store/types.ts";
import { isConnectionError } from "./connection-errors.ts";

/** Sends runs in one statement; `nows[i]` is the time of insert of `runs[i]`. */
export type SendRuns = (runs: readonly NewRun[], nows: readonly number[]) => Promise<void>;

/** Plain trigger statements in flight at once (the rest wait and go together). */
export const TRIGGERS_IN_FLIGHT = 2;
/** Waiting triggers are combined up to this many runs per statement (one larger trigger goes alone). */
export const MAX_COMBINED_RUNS = 1000;

interface Waiting {
  readonly runs: readonly NewRun[];
  readonly now: number;
  resolve(): void;
  reject(error: unknown): void;
}

export class TriggerQueue {
  readonly #send: SendRuns;
  readonly #limit: number;
  #inFlight = 0;
  #waiting: Waiting[] = [];
  #idle: (() => void)[] = [];

  constructor(send: SendRuns, limit = TRIGGERS_IN_FLIGHT) {
    this.#send = send;
    this.#limit = limit;
  }

  /** Inserts `runs` (with `now` as their time of insert); resolves once they are committed. */
  add(runs: readonly NewRun[], now: number): Promise<void> {
    if (this.#inFlight < this.#limit && this.#waiting.length === 0) {
      this.#inFlight++;
      const sent = this.#send(runs, runs.map(() => now));
      sent.then(this.#done, this.#done);
      return sent;
    }
    return new Promise((resolve, reject) => {
      this.#waiting.push({ runs, now, resolve, reject });
    });
  }

  /**
   * Sends `statement` as one of the statements in flight when one is free and no trigger waits; else
   * null, and nothing is sent (the caller goes another way). For a statement of its own that must not
   * open a connection of its own under a stall either (the handover's claimed insert, store.ts).
   */
  tryAlone<T>(statement: () => Promise<T>): Promise<T> | null {
    if (this.#inFlight >= this.#limit || this.#waiting.length > 0) return null;
    this.#inFlight++;
    const sent = statement();
    sent.then(this.#done, this.#done);
    return sent;
  }

  /** Resolves when no statement is in flight and none waits (the store closes). */
  drained(): Promise<void> {
    if (this.#inFlight === 0 && this.#waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  readonly #done = (): void => {
    this.#inFlight--;
    while (this.#inFlight < this.#limit && this.#waiting.length > 0) {
      this.#inFlight++;
      void this.#sendTogether(this.#take()).finally(this.#done);
    }
    if (this.#inFlight === 0 && this.#waiting.length === 0) for (const resolve of this.#idle.splice(0)) resolve();
  };

  /** The waiting triggers, oldest first, up to MAX_COMBINED_RUNS runs (at least one trigger). */
  #take(): Waiting[] {
    let rows = 0;
    let n = 0;
    while (n < this.#waiting.length && (n === 0 || rows + this.#waiting[n]!.runs.length <= MAX_COMBINED_RUNS)) rows += this.#waiting[n++]!.runs.length;
    return this.#waiting.splice(0, n);
  }

  async #sendTogether(batch: readonly Waiting[]): Promise<void> {
    const runs: NewRun[] = [];
    const nows: number[] = [];
    for (const w of batch) {
      for (const run of w.runs) {
        runs.push(run);
        nows.push(w.now);
      }
    }
    try {
      await this.#send(runs, nows);
    } catch (error) {
      if (batch.length === 1 || isConnectionError(error)) {
        for (const w of batch) w.reject(error);
        return;
      }
      // Rejected by the server: nothing was committed. Each trigger alone, for its own outcome.
      for (const w of batch) {
        await this.#send(w.runs, w.runs.map(() => w.now)).then(w.resolve, w.reject);
      }
      return;
    }
    for (const w of batch) w.resolve();
  }
}
