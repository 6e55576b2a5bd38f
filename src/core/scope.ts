/**
 * The views of a context. Every view shares the context's cache; they differ in who is calling:
 * - the root view (context.ts) — the caller is the code holding the context; signal: the one given;
 * - a run (`RunScope`) — the view a running task receives; it is the task's cache entry too (one
 *   object per run). Signal: aborted only when every caller waiting for this run aborted;
 * - `AllScope` — the caller is one `ctx.all`/`allSettled` call; signal: its {@link Group}'s.
 *
 * What differs per view is in symbol-keyed methods, so a root context shows users nothing but the
 * `Context` members. A task's view, being its entry, also carries the entry's fields (entry.ts);
 * they are not part of the `Context` type.
 */
import { addParty, executionAborted, executionSignal, raceSignal, signalOf } from "./abort.ts";
import type { Cache } from "./cache.ts";
import { cycleError } from "./cycle.ts";
import {
  addWaiter,
  deliver,
  isFailed,
  isPinned,
  isSettled,
  pin,
  promiseOf,
  settle,
  waitOn,
  type Entry,
  type Extras,
  type Party,
} from "./entry.ts";
import { Group } from "./group.ts";
import type { AllResult, AllSettledResult, BoundTask, Context, Task, TaskDef } from "./types.ts";

/** The caller that can abort this view's calls (a signal, or a `ctx.all` call), or null if none can. */
export const CALLER = Symbol("caller");
/** The run whose task makes calls through this view (for the wait-for graph), or null. */
export const FRAME = Symbol("frame");

export abstract class Scope implements Context {
  readonly #cache: Cache;

  constructor(cache: Cache) {
    this.#cache = cache;
  }

  abstract get signal(): AbortSignal;
  abstract [CALLER](): Party | null;
  abstract [FRAME](): RunScope | null;

  /** `task.run(ctx, input)`. */
  static run(ctx: unknown, task: TaskDef, input: unknown): Promise<unknown> {
    if (!(ctx instanceof Scope)) {
      return Promise.reject(
        new TypeError(`task "${task.name}": the first argument of run() must be a context from createContext()`),
      );
    }
    return Scope.#run(ctx, task, input);
  }

  static #run(self: Scope, task: TaskDef, input: unknown): Promise<unknown> {
    let key: unknown;
    try {
      key = task.keyOf(input);
    } catch (error) {
      return Promise.reject(error);
    }
    const cache = self.#cache;
    const e = cache.get(task, key);
    if (e !== undefined) {
      if (isSettled(e)) {
        if (cache.ttlMs === 0 || !cache.isExpired(e, cache.clock())) {
          cache.touch(e);
          return e.promise ?? promiseOf(e);
        }
        cache.remove(e);
      } else {
        return Scope.#join(self, e, null, 0)!;
      }
    }
    return Scope.#start(self, task, key, input, null, 0)!;
  }

  /** One task of a `ctx.all`: its outcome goes to `group` at `slot`, at once if settled, else when it settles. */
  static #enter(self: Scope, task: TaskDef, input: unknown, group: Group, slot: number): void {
    let key: unknown;
    try {
      key = task.keyOf(input);
    } catch (error) {
      group.deliver(slot, error, true);
      return;
    }
    const cache = self.#cache;
    const e = cache.get(task, key);
    if (e !== undefined) {
      if (isSettled(e)) {
        if (cache.ttlMs === 0 || !cache.isExpired(e, cache.clock())) {
          cache.touch(e);
          group.deliver(slot, e.outcome, isFailed(e));
          return;
        }
        cache.remove(e);
      } else {
        Scope.#join(self, e, group, slot);
        return;
      }
    }
    Scope.#start(self, task, key, input, group, slot);
  }

  /** Waits for a pending entry: as a promise, or (with a group) by delivery to the group. */
  static #join(self: Scope, e: Entry, group: Group | null, slot: number): Promise<unknown> | null {
    const frame = self[FRAME]();
    if (frame !== null) {
      const cycle = cycleError(e, frame);
      if (cycle !== null) return fail(cycle, group, slot);
      waitOn(frame, e);
    }
    const caller = self[CALLER]();
    if (caller === null) {
      pin(e);
    } else {
      if (caller.aborted) return fail(caller.reason, group, slot);
      addParty(e, caller);
    }
    if (group !== null) {
      addWaiter(e, group, slot);
      return null;
    }
    return caller === null ? promiseOf(e) : raceSignal(promiseOf(e), signalOf(caller));
  }

  /** Starts a run: a new entry, in the cache before the function runs (a synchronous re-entry finds it). */
  static #start(
    self: Scope,
    task: TaskDef,
    key: unknown,
    input: unknown,
    group: Group | null,
    slot: number,
  ): Promise<unknown> | null {
    const caller = self[CALLER]();
    if (caller !== null && caller.aborted) return fail(caller.reason, group, slot);
    const cache = self.#cache;
    const now = cache.clock();
    cache.sweep(now);
    const e = new RunScope(cache, task, key, input, now, caller);
    const frame = self[FRAME]();
    if (frame !== null) waitOn(frame, e);
    cache.add(e);
    let p: Promise<unknown>;
    try {
      const persist = cache.persist;
      if (persist !== undefined && task.id !== undefined) {
        p = persist(task.id, task.storedKeyOf(key, input), () => Promise.resolve(task.fn(e, input)));
      } else {
        const r = task.fn(e, input);
        p = r instanceof Promise ? r : Promise.resolve(r);
      }
    } catch (error) {
      p = Promise.reject(error);
    }
    e.promise = p;
    Scope.#watch(e, group, slot);
    if (group !== null) return null;
    return caller !== null ? raceSignal(promiseOf(e), signalOf(caller)) : promiseOf(e);
  }

  all<const T extends readonly BoundTask<unknown>[]>(tasks: T): Promise<AllResult<T>> {
    return Scope.#runGroup(this, tasks, false) as Promise<AllResult<T>>;
  }

  allSettled<const T extends readonly BoundTask<unknown>[]>(tasks: T): Promise<AllSettledResult<T>> {
    return Scope.#runGroup(this, tasks, true) as Promise<AllSettledResult<T>>;
  }

  static #runGroup(self: Scope, tasks: readonly BoundTask<unknown>[], settled: boolean): Promise<unknown[]> {
    const parent = self[CALLER]();
    if (parent !== null && parent.aborted) return Promise.reject(parent.reason);
    const group = new Group(tasks.length, settled, parent === null ? null : signalOf(parent));
    Scope.#enterAll(new AllScope(self.#cache, self[FRAME](), group), tasks, group);
    group.arm();
    return group.promise;
  }

  /**
   * The loop of #runGroup, on its own: a long loop is compiled while it runs (OSR), and code after it
   * in the same function would be compiled without type feedback and deoptimise on every call.
   */
  static #enterAll(view: AllScope, tasks: readonly BoundTask<unknown>[], group: Group): void {
    for (let i = 0; i < tasks.length; i++) {
      const b = tasks[i]!;
      Scope.#enter(view, b.task as unknown as TaskDef, b.input, group, i);
    }
  }

  /**
   * The one reaction of a run: marks the entry settled, forgets an aborted run, tells the `ctx.all`
   * that started it (`group` at `slot`; held by the reaction, not the long-lived entry) and then any
   * that joined it.
   */
  static #watch(e: RunScope, group: Group | null, slot: number): void {
    e.promise!.then(
      (value) => {
        settle(e, value, false);
        group?.deliver(slot, value, false);
        deliver(e);
      },
      (error: unknown) => {
        settle(e, error, true);
        // An execution aborted because every caller went away (e.g. a failed ctx.all sibling) is
        // not a result: forget it so the next run computes again.
        if (executionAborted(e)) e.#cache.remove(e);
        group?.deliver(slot, error, true);
        deliver(e);
      },
    );
  }

  clear<I>(task?: Task<I, unknown>, input?: I): void {
    const cache = this.#cache;
    if (task === undefined) {
      for (const e of cache.entries()) cache.remove(e);
      return;
    }
    const t = task as unknown as TaskDef;
    if (arguments.length < 2) {
      for (const e of cache.entriesOf(t)) cache.remove(e);
      return;
    }
    const e = cache.get(t, t.keyOf(input));
    if (e !== undefined) cache.remove(e);
  }

  prime<I, O>(task: Task<I, O>, input: I, value: O): void {
    const t = task as unknown as TaskDef;
    const key = t.keyOf(input);
    const cache = this.#cache;
    const now = cache.clock();
    const existing = cache.get(t, key);
    if (existing !== undefined && !cache.isExpired(existing, now)) return;
    if (existing !== undefined) cache.remove(existing);
    const e = new RunScope(cache, t, key, input, now, null);
    cache.add(e);
    if (isThenable(value)) {
      // Not known yet: the entry settles when the value does, like a run's.
      e.promise = Promise.resolve(value);
      Scope.#watch(e, null, 0);
    } else {
      settle(e, value, false);
    }
  }
}

/** A run: the cache entry of one task and input, and the context view that task receives. */
export class RunScope extends Scope implements Entry {
  promise: Promise<unknown> | null = NOT_STARTED;
  outcome: unknown = undefined;
  flags = 0;
  party: Party | null = null;
  more: Extras | null = null;
  prev: Entry | null = null;
  next: Entry | null = null;
  readonly task: TaskDef;
  readonly key: unknown;
  readonly input: unknown;
  readonly createdAt: number;

  /** `caller`: the caller starting it, or null (cannot be aborted: pinned). */
  constructor(cache: Cache, task: TaskDef, key: unknown, input: unknown, createdAt: number, caller: Party | null) {
    super(cache);
    this.task = task;
    this.key = key;
    this.input = input;
    this.createdAt = createdAt;
    if (caller === null) pin(this);
    else this.party = caller;
  }

  get signal(): AbortSignal {
    return executionSignal(this);
  }
  [CALLER](): Party | null {
    return isPinned(this) || this.party === null ? null : executionSignal(this);
  }
  [FRAME](): RunScope {
    return this;
  }
}

/** The view one `ctx.all` / `ctx.allSettled` call starts and joins its tasks from. */
class AllScope extends Scope {
  readonly #frame: RunScope | null;
  readonly #group: Group;

  constructor(cache: Cache, frame: RunScope | null, group: Group) {
    super(cache);
    this.#frame = frame;
    this.#group = group;
  }

  get signal(): AbortSignal {
    return this.#group.signal;
  }
  [CALLER](): Group {
    return this.#group;
  }
  [FRAME](): RunScope | null {
    return this.#frame;
  }
}

/** Placeholder until the run's promise exists (never settles, never observed by callers). */
const NOT_STARTED: Promise<unknown> = new Promise(() => {});

/** A failure before any entry is involved: a rejected promise, or a delivery to the group. */
function fail(error: unknown, group: Group | null, slot: number): Promise<unknown> | null {
  if (group === null) return Promise.reject(error);
  group.deliver(slot, error, true);
  return null;
}

function isThenable(value: unknown): boolean {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
