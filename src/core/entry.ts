/**
 * One cache entry: the run of one task for one input key in one context. The entry memoises the
 * promise and, once settled, the outcome (so `ctx.all` reads a cached result without a `then`).
 *
 * The class is `RunScope` (scope.ts): an entry is also the context view its own task receives, so a
 * run allocates one object for both. This module only describes its fields and the operations other
 * modules perform on them, so that the cache and the abort and cycle bookkeeping need not import the
 * scopes.
 *
 * Most runs never need abort or cycle bookkeeping, so it lives in {@link Extras}, allocated on first
 * use: a task that reads `ctx.signal`, a second abortable caller, a task that awaits other tasks, a
 * second `ctx.all` waiting for a pending run.
 */
import type { TaskDef } from "./types.ts";

/** Receives the outcome of an entry it waits for (a `ctx.all` / `ctx.allSettled` call; `slot` is the position). */
export interface Waiter {
  deliver(slot: number, value: unknown, failed: boolean): void;
}

/**
 * A caller that can abort: a signal, or one `ctx.all` call (whose signal is made only when some task
 * of the call asks for its own signal: most calls never need one).
 */
export type Party = AbortSignal | LazySignal;

export interface LazySignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  /** Made on first use (already aborted if the caller has aborted). */
  readonly signal: AbortSignal;
}

export interface Entry {
  readonly task: TaskDef;
  readonly key: unknown;
  readonly input: unknown;
  /** Milliseconds since the cache's epoch (0 when the context has no TTL). */
  readonly createdAt: number;
  /**
   * The run's promise. Once settled, kept only if a caller was handed it (SHARED); else dropped and,
   * if a caller asks later, remade from the outcome (see {@link promiseOf}): a context of 10k runs
   * made by `ctx.all` does not keep 10k promises.
   */
  promise: Promise<unknown> | null;
  /** Once settled: the value, or the error if it failed. */
  outcome: unknown;
  /** SETTLED | FAILED | REMOVED | PINNED | SHARED: one small integer instead of five fields. */
  flags: number;
  /** The first abortable caller (the others are in extras). */
  party: Party | null;
  more: Extras | null;
  /** LRU list links (only for a context with a finite `maxEntries`). */
  prev: Entry | null;
  next: Entry | null;
}

/** Bookkeeping most entries never need; see {@link extras}. */
export class Extras {
  /** Execution signal source, created when the task first reads its signal. */
  controller: AbortController | null = null;
  /** Abortable callers after the first ({@link Entry.party}). */
  parties: Party[] | null = null;
  /** Removes the listeners on the parties' signals. */
  unlisten: (() => void)[] | null = null;
  /** Entries this entry's task has awaited (edges of the wait-for graph, for cycle detection). */
  waitsOn: Entry[] | null = null;
  /** Waiters that joined the pending run, as pairs: waiter, slot, waiter, slot, … (the one that started it is told by the run's reaction). */
  waiters: (Waiter | number)[] | null = null;
}

const SETTLED = 1;
const FAILED = 2;
const REMOVED = 4;
const PINNED = 8;
const SHARED = 16;

export const isSettled = (e: Entry): boolean => (e.flags & SETTLED) !== 0;
export const isFailed = (e: Entry): boolean => (e.flags & FAILED) !== 0;
export const isRemoved = (e: Entry): boolean => (e.flags & REMOVED) !== 0;
/** Some caller cannot be aborted: the execution is never aborted. */
export const isPinned = (e: Entry): boolean => (e.flags & PINNED) !== 0;
export const markRemoved = (e: Entry): void => void (e.flags |= REMOVED);
export const pin = (e: Entry): void => void (e.flags |= PINNED);

/** The entry's extras, allocated on first use. */
export function extras(e: Entry): Extras {
  return (e.more ??= new Extras());
}

/** Records that `frame`'s task awaits `e` (for cycle detection). */
export function waitOn(frame: Entry, e: Entry): void {
  (extras(frame).waitsOn ??= []).push(e);
}

/** Adds a waiter to a pending entry it did not start. */
export function addWaiter(e: Entry, w: Waiter, slot: number): void {
  (extras(e).waiters ??= []).push(w, slot);
}

/** The entry's promise, handed to a caller: from now on it is kept (every caller gets the same one). */
export function promiseOf(e: Entry): Promise<unknown> {
  e.flags |= SHARED;
  return (e.promise ??= settledPromise(e));
}

function settledPromise(e: Entry): Promise<unknown> {
  if (!isFailed(e)) return Promise.resolve(e.outcome);
  const p = Promise.reject(e.outcome);
  p.catch(ignore); // handled, as the run's own promise was (a caller may ignore a cached error)
  return p;
}

function ignore(): void {}

/** Marks `e` settled with its outcome and drops what only a pending entry needs. */
export function settle(e: Entry, outcome: unknown, failed: boolean): void {
  e.outcome = outcome;
  e.flags |= failed ? SETTLED | FAILED : SETTLED;
  if ((e.flags & SHARED) === 0) e.promise = null;
  const x = e.more;
  if (x === null) return;
  x.waitsOn = null;
  if (x.unlisten !== null) {
    for (const f of x.unlisten) f();
    x.unlisten = null;
  }
}

/** Hands the settled entry's outcome to every waiter that joined it, once. */
export function deliver(e: Entry): void {
  const x = e.more;
  if (x === null || x.waiters === null) return;
  const waiters = x.waiters;
  x.waiters = null;
  const failed = isFailed(e);
  for (let i = 0; i < waiters.length; i += 2) (waiters[i] as Waiter).deliver(waiters[i + 1] as number, e.outcome, failed);
}
