/**
 * Contexts for in-process tasks. A context owns a cache (one promise per task and input key) and a
 * signal. Three kinds of view share one cache:
 * - the root view `createContext()` returns (signal: the one given, or none);
 * - the view a running task receives (signal: aborted only when every caller waiting for it aborted);
 * - the view `ctx.all` runs its tasks in (signal: aborted when a sibling fails or the caller aborts).
 *
 * Extending a context (the durable layer does this): {@link extendContext} adds own properties to a
 * context object; the object stays a valid context for `task.run(ctx, …)`.
 */
import { Cache, newEntry, type Entry } from "./cache.ts";
import { TaskCycleError } from "./errors.ts";
import { describeInput } from "./key.ts";
import { TaskImpl, type BoundTask, type Task } from "./task.ts";

/** Advanced: lets a host store results of tasks that have an `id` (the durable layer's steps). */
export type PersistHook = <T>(taskId: string, inputKey: string, compute: () => Promise<T>) => Promise<T>;

export interface ContextOptions {
  /** Aborting it rejects pending `run`/`all` calls at once with its reason. @default none */
  readonly signal?: AbortSignal;
  /** Entries expire this long after they were created; 0 = never. @default 0 */
  readonly ttlMs?: number;
  /** At most this many entries; the least recently used settled one goes first. @default Infinity */
  readonly maxEntries?: number;
  /** Advanced (durable runs): compute tasks with an `id` through this hook. @default none */
  readonly persist?: PersistHook;
  /** Advanced (durable runs): makes the context's signal on first use, instead of `signal`. @default none */
  readonly signalSource?: () => AbortSignal;
}

export type AllResult<T extends readonly BoundTask<unknown>[]> = {
  -readonly [K in keyof T]: T[K] extends BoundTask<infer O> ? O : never;
};
export type AllSettledResult<T extends readonly BoundTask<unknown>[]> = {
  -readonly [K in keyof T]: T[K] extends BoundTask<infer O> ? PromiseSettledResult<O> : never;
};

export interface Context {
  /** Aborted when this context (or, inside a task, every caller waiting for it) is aborted. */
  readonly signal: AbortSignal;
  /** Runs the bound tasks concurrently; a typed tuple. Rejects with the first error (by time) and aborts the others. */
  all<const T extends readonly BoundTask<unknown>[]>(tasks: T): Promise<AllResult<T>>;
  allSettled<const T extends readonly BoundTask<unknown>[]>(tasks: T): Promise<AllSettledResult<T>>;
  /** Forgets everything, every entry of `task`, or the one entry of (`task`, `input`). */
  clear<I>(task?: Task<I, unknown>, input?: I): void;
  /** Stores `value` for (`task`, `input`) unless an entry exists (as DataLoader's prime). */
  prime<I, O>(task: Task<I, O>, input: I, value: O): void;
}

const NEVER = new AbortController().signal;

interface Shared {
  readonly cache: Cache;
  readonly persist: PersistHook | undefined;
  readonly now: () => number;
}

type Kind = 0 | 1 | 2;
const Kind = { Root: 0, Exec: 1, All: 2 } as const;

export class ContextImpl implements Context {
  #shared: Shared;
  #kind: Kind;
  /** Root: the user's signal or null. All: the all-controller's signal. Exec: unused. */
  #own: AbortSignal | null;
  /** Root: makes `#own` on first use (then cleared). */
  #ownSource: (() => AbortSignal) | null;
  /** Exec: the entry being computed. All: the frame of the caller. */
  #frame: Entry | null;

  constructor(shared: Shared, kind: Kind, own: AbortSignal | null, frame: Entry | null, ownSource: (() => AbortSignal) | null = null) {
    this.#shared = shared;
    this.#kind = kind;
    this.#own = own;
    this.#ownSource = ownSource;
    this.#frame = frame;
  }

  get signal(): AbortSignal {
    if (this.#kind === Kind.Exec) return executionSignal(this.#frame!);
    return this.#ownSignal() ?? NEVER;
  }

  #ownSignal(): AbortSignal | null {
    if (this.#ownSource !== null) {
      this.#own = this.#ownSource();
      this.#ownSource = null;
    }
    return this.#own;
  }

  /** The signal that can abort this caller, or null if it cannot be aborted. */
  #callerSignal(): AbortSignal | null {
    if (this.#kind !== Kind.Exec) return this.#ownSignal();
    const e = this.#frame!;
    return e.pinned || e.parties === null ? null : executionSignal(e);
  }

  static run(ctx: unknown, task: TaskImpl<unknown, unknown>, input: unknown): Promise<unknown> {
    if (!(ctx instanceof ContextImpl)) {
      return Promise.reject(
        new TypeError(`task "${task.name}": the first argument of run() must be a context from createContext()`),
      );
    }
    return ctx.#run(task, input, true);
  }

  #run(task: TaskImpl<unknown, unknown>, input: unknown, race: boolean): Promise<unknown> {
    let key: unknown;
    try {
      key = task.keyOf(input);
    } catch (error) {
      return Promise.reject(error);
    }
    const shared = this.#shared;
    const cache = shared.cache;
    const e = cache.get(task, key);
    if (e !== undefined) {
      if (e.settled) {
        if (cache.ttlMs === 0 || !cache.isExpired(e, shared.now())) {
          cache.touch(e);
          return e.promise;
        }
        cache.remove(e);
      } else {
        return this.#join(e, race);
      }
    }
    return this.#start(task, key, input, race);
  }

  #join(e: Entry, race: boolean): Promise<unknown> {
    const frame = this.#frame;
    if (frame !== null) {
      const cycle = findCycle(e, frame);
      if (cycle !== null) return Promise.reject(new TaskCycleError(cycle.map(label)));
      (frame.waitsOn ??= []).push(e);
    }
    const signal = this.#callerSignal();
    if (signal === null) {
      e.pinned = true;
      return e.promise;
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    addParty(e, signal);
    return race ? raceSignal(e.promise, signal) : e.promise;
  }

  #start(task: TaskImpl<unknown, unknown>, key: unknown, input: unknown, race: boolean): Promise<unknown> {
    const signal = this.#callerSignal();
    if (signal !== null && signal.aborted) return Promise.reject(signal.reason);
    const shared = this.#shared;
    const now = shared.cache.ttlMs > 0 ? shared.now() : 0;
    shared.cache.sweep(now);
    const e = newEntry(task, key, input, now);
    if (signal === null) e.pinned = true;
    else e.parties = [signal];
    if (this.#frame !== null) (this.#frame.waitsOn ??= []).push(e);
    // In the cache before the function runs, so a synchronous re-entry finds it (and the cycle).
    shared.cache.add(e);
    const view = new ContextImpl(shared, Kind.Exec, null, e);
    let p: Promise<unknown>;
    try {
      const persist = shared.persist;
      if (persist !== undefined && task.id !== undefined) {
        p = persist(task.id, task.storedKeyOf(key, input), () => Promise.resolve(task.fn(view, input)));
      } else {
        const r = task.fn(view, input);
        p = r instanceof Promise ? r : Promise.resolve(r);
      }
    } catch (error) {
      p = Promise.reject(error);
    }
    e.promise = p;
    p.then(
      () => settle(e),
      () => {
        settle(e);
        // An execution aborted because every caller went away (e.g. a failed ctx.all sibling) is
        // not a result: forget it so the next run computes again.
        if (e.controller !== null && e.controller.signal.aborted) shared.cache.remove(e);
      },
    );
    return race && signal !== null ? raceSignal(p, signal) : p;
  }

  all<const T extends readonly BoundTask<unknown>[]>(tasks: T): Promise<AllResult<T>> {
    const { view, done, parent } = this.#group();
    if (view === null) return Promise.reject(parent!.reason);
    const promises = tasks.map((b) => view.#run(b.task as TaskImpl<unknown, unknown>, b.input, false));
    const p = Promise.all(promises).then(
      (values) => {
        done(null);
        return values as AllResult<T>;
      },
      (error: unknown) => {
        done(error);
        throw error;
      },
    );
    return parent !== null ? raceSignal(p, parent) : p;
  }

  allSettled<const T extends readonly BoundTask<unknown>[]>(tasks: T): Promise<AllSettledResult<T>> {
    const { view, done, parent } = this.#group();
    if (view === null) return Promise.reject(parent!.reason);
    const promises = tasks.map((b) => view.#run(b.task as TaskImpl<unknown, unknown>, b.input, false));
    const p = Promise.allSettled(promises).then((r) => {
      done(null);
      return r as AllSettledResult<T>;
    });
    return parent !== null ? raceSignal(p, parent) : p;
  }

  /** A view for one all/allSettled call, with its own abortable signal linked to the caller's. */
  #group(): { view: ContextImpl | null; done: (error: unknown) => void; parent: AbortSignal | null } {
    const parent = this.#callerSignal();
    if (parent !== null && parent.aborted) return { view: null, done: () => {}, parent };
    const controller = new AbortController();
    const onParentAbort = () => controller.abort(parent!.reason);
    parent?.addEventListener("abort", onParentAbort, { once: true });
    const view = new ContextImpl(this.#shared, Kind.All, controller.signal, this.#frame);
    const done = (error: unknown) => {
      parent?.removeEventListener("abort", onParentAbort);
      if (error !== null) {
        controller.abort(new DOMException("aborted: a sibling task in ctx.all failed", "AbortError"));
      }
    };
    return { view, done, parent };
  }

  clear<I>(task?: Task<I, unknown>, input?: I): void {
    const cache = this.#shared.cache;
    if (task === undefined) {
      for (const e of cache.entries()) cache.remove(e);
      return;
    }
    const t = task as unknown as TaskImpl<unknown, unknown>;
    if (arguments.length < 2) {
      for (const e of cache.entriesOf(t)) cache.remove(e);
      return;
    }
    const e = cache.get(t, t.keyOf(input));
    if (e !== undefined) cache.remove(e);
  }

  prime<I, O>(task: Task<I, O>, input: I, value: O): void {
    const t = task as unknown as TaskImpl<unknown, unknown>;
    const key = t.keyOf(input);
    const cache = this.#shared.cache;
    const now = cache.ttlMs > 0 ? this.#shared.now() : 0;
    const existing = cache.get(t, key);
    if (existing !== undefined && !cache.isExpired(existing, now)) return;
    if (existing !== undefined) cache.remove(existing);
    const e = newEntry(t, key, input, now);
    e.promise = Promise.resolve(value);
    e.settled = true;
    e.pinned = true;
    cache.add(e);
  }
}

function settle(e: Entry): void {
  e.settled = true;
  e.waitsOn = null;
  if (e.unlisten !== null) {
    for (const f of e.unlisten) f();
    e.unlisten = null;
  }
}

/** The entry's execution signal; aborts once every interested caller has aborted. */
function executionSignal(e: Entry): AbortSignal {
  if (e.controller === null) {
    e.controller = new AbortController();
    if (!e.pinned && e.parties !== null && !e.settled) {
      for (const s of e.parties) listen(e, s);
    }
  }
  return e.controller.signal;
}

function addParty(e: Entry, signal: AbortSignal): void {
  if (e.pinned) return;
  const parties = (e.parties ??= []);
  if (parties.includes(signal)) return;
  parties.push(signal);
  if (e.controller !== null) listen(e, signal);
}

function listen(e: Entry, signal: AbortSignal): void {
  const onAbort = () => {
    if (e.pinned || e.settled || e.controller === null) return;
    if (e.parties!.every((s) => s.aborted)) e.controller.abort(signal.reason);
  };
  signal.addEventListener("abort", onAbort, { once: true });
  (e.unlisten ??= []).push(() => signal.removeEventListener("abort", onAbort));
  if (signal.aborted) onAbort();
}

function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/** If `target` (transitively, through pending entries) waits for `from`, the cycle target→…→target. */
function findCycle(target: Entry, from: Entry): Entry[] | null {
  if (target === from) return [from, from];
  const visited = new Set<Entry>();
  const walk = (e: Entry, path: Entry[]): Entry[] | null => {
    if (e === from) return path;
    if (visited.has(e) || e.settled || e.waitsOn === null) return null;
    visited.add(e);
    for (const next of e.waitsOn) {
      const found = walk(next, [...path, next]);
      if (found !== null) return found;
    }
    return null;
  };
  const found = walk(target, [from, target]);
  // Report it from the entry being re-entered: target -> … -> from -> target.
  return found === null ? null : [...found.slice(1), target];
}

function label(e: Entry): string {
  return `${e.task.name}(${describeInput(e.input, e.task.name)})`;
}

/** Creates a context: one cache, one signal; pass it to `task.run` and use `ctx.all`. */
export function createContext(options: ContextOptions = {}): Context {
  const { signal, ttlMs = 0, maxEntries = Infinity, persist, signalSource } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError("createContext: option `signal` must be an AbortSignal");
  }
  if (typeof ttlMs !== "number" || !Number.isFinite(ttlMs) || ttlMs < 0) {
    throw new TypeError(`createContext: option \`ttlMs\` must be a finite number >= 0 (0 = forever), got ${String(ttlMs)}`);
  }
  if (typeof maxEntries !== "number" || Number.isNaN(maxEntries) || maxEntries < 1) {
    throw new TypeError(`createContext: option \`maxEntries\` must be a number >= 1, got ${String(maxEntries)}`);
  }
  if (persist !== undefined && typeof persist !== "function") {
    throw new TypeError("createContext: option `persist` must be a function");
  }
  const shared: Shared = { cache: new Cache(ttlMs, maxEntries), persist, now: Date.now };
  if (signalSource !== undefined && (typeof signalSource !== "function" || signal !== undefined)) {
    throw new TypeError("createContext: option `signalSource` must be a function, and not given with `signal`");
  }
  return new ContextImpl(shared, Kind.Root, signal ?? null, null, signalSource ?? null);
}

/**
 * Adds `extras` as own properties of `ctx` and returns it, typed as both. The result still works as
 * a context for `task.run`. Names a context already has (`signal`, `all`, …) are refused.
 */
export function extendContext<C extends Context, X extends object>(ctx: C, extras: X): C & X {
  if (!(ctx instanceof ContextImpl)) throw new TypeError("extendContext: `ctx` must come from createContext()");
  for (const name of Object.keys(extras)) {
    if (name in ctx) throw new TypeError(`extendContext: \`${name}\` is already a member of the context`);
  }
  return Object.assign(ctx, extras);
}
