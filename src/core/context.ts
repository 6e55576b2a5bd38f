/**
 * Creating contexts. A context owns a cache (one promise per task and input key) and a signal; the
 * object `createContext()` returns is its root view (scope.ts describes the others).
 *
 * Extending a context (the durable layer does this): {@link extendContext} adds own properties to a
 * context object; the object stays a valid context for `task.run(ctx, …)`.
 */
import { Cache } from "./cache.ts";
import { CALLER, FRAME, Scope } from "./scope.ts";
import type { Context, ContextOptions, PersistHook } from "./types.ts";

const NEVER = new AbortController().signal;

/**
 * The view `createContext()` returns: the caller is the code holding it. The durable layer's run
 * context is a subclass (exported as `ExtensibleContext`, with {@link runCache}): its members are
 * made on first use, so a run that uses none of them allocates none.
 */
export class RootContext extends Scope {
  #signal: AbortSignal | null;
  /** Makes `#signal` on first use (then cleared): durable runs make their AbortController lazily. */
  #source: (() => AbortSignal) | null;

  constructor(cache: Cache, signal: AbortSignal | null, source: (() => AbortSignal) | null) {
    super(cache);
    this.#signal = signal;
    this.#source = source;
  }

  // Static, not an instance private method: a class with private instance methods brands every
  // instance it makes, which costs a subclass (the run context, one per run) several hundred ns.
  static #own(self: RootContext): AbortSignal | null {
    if (self.#source !== null) {
      self.#signal = self.#source();
      self.#source = null;
    }
    return self.#signal;
  }

  get signal(): AbortSignal {
    return RootContext.#own(this) ?? NEVER;
  }
  [CALLER](): AbortSignal | null {
    return RootContext.#own(this);
  }
  [FRAME](): null {
    return null;
  }
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
  if (signalSource !== undefined && (typeof signalSource !== "function" || signal !== undefined)) {
    throw new TypeError("createContext: option `signalSource` must be a function, and not given with `signal`");
  }
  return new RootContext(new Cache(ttlMs, maxEntries, persist, Date.now), signal ?? null, signalSource ?? null);
}

/** The cache of a run context: no TTL, no bound; tasks with an id are computed through `persist`. */
export function runCache(persist: PersistHook): Cache {
  return new Cache(0, Infinity, persist, Date.now);
}

/**
 * Adds `extras` as own properties of `ctx` and returns it, typed as both. The result still works as
 * a context for `task.run`. Names a context already has (`signal`, `all`, …) are refused.
 */
export function extendContext<C extends Context, X extends object>(ctx: C, extras: X): C & X {
  if (!(ctx instanceof Scope)) throw new TypeError("extendContext: `ctx` must come from createContext()");
  for (const name of Object.keys(extras)) {
    if (name in ctx) throw new TypeError(`extendContext: \`${name}\` is already a member of the context`);
  }
  return Object.assign(ctx, extras);
}
