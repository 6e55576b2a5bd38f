/**
 * The test engine's view of its store: the store itself, passed through unchanged, plus what the test
 * engine needs to drive a worker deterministically:
 * - every write is counted, so "the worker found nothing to claim and nothing else happened
 *   meanwhile" can be told apart from a claim that raced a write;
 * - `kick()` wakes the worker like a store notification does (after the clock moved, or to make it
 *   look again), so no progress ever waits for a polling interval;
 * - the waits handed to `suspendRun` are remembered, to name what a blocked run waits for.
 */
import type { NewWait, Store, StoreNotification } from "../store/index.ts";

/** Store calls that change nothing a claim could see. Every other call counts as a write. */
const READS = new Set<PropertyKey>([
  "name",
  "getRun",
  "listRuns",
  "getSteps",
  "getLogs",
  "stats",
  "metrics",
  "listSchedules",
  "heartbeat", // renews leases of running runs only
  "subscribe",
  "claimRuns", // observed separately (below)
]);

/** What a claim observer learns about each `claimRuns` call. */
export interface ClaimObserver {
  /**
   * A claim returned. `quiet()` tells, when called, whether no write was in flight when the claim
   * began and none has started or ended since.
   */
  claimed(count: number, quiet: () => boolean): void;
  /** A claim threw (the worker would only retry after its polling interval). */
  failed(error: unknown): void;
}

export interface WatchedStore {
  /** The store to hand to `createEngine`. */
  readonly store: Store;
  /** Wakes every subscriber (the worker) as if work had become available. */
  kick(): void;
  /** Observes claims until the returned function is called. */
  observeClaims(observer: ClaimObserver): () => void;
  /** The waits stored for a run by `suspendRun`, by key (the latest of each key). */
  waitsOf(runId: string): ReadonlyMap<string, NewWait>;
}

export function watchStore(inner: Store): WatchedStore {
  let activity = 0;
  let inFlight = 0;
  let observer: ClaimObserver | null = null;
  const listeners = new Set<(n: StoreNotification) => void>();
  const waits = new Map<string, Map<string, NewWait>>();
  const fields = inner as unknown as Record<PropertyKey, unknown>;

  const begin = () => {
    activity++;
    inFlight++;
  };
  const end = () => {
    activity++;
    inFlight--;
  };

  const counted = (name: PropertyKey, fn: (...args: unknown[]) => unknown) =>
    function (this: unknown, ...args: unknown[]): unknown {
      if (name === "suspendRun") remember(args[0] as { runId: string; waits: readonly NewWait[] });
      begin();
      let result: unknown;
      try {
        result = fn.apply(inner, args);
      } catch (error) {
        end();
        throw error;
      }
      // (a thenable test, not instanceof: test runners such as jest load modules in other realms)
      if (typeof (result as PromiseLike<unknown> | null)?.then === "function") return Promise.resolve(result).finally(end);
      end();
      return result;
    };

  const remember = ({ runId, waits: stored }: { runId: string; waits: readonly NewWait[] }) => {
    let byKey = waits.get(runId);
    if (byKey === undefined) waits.set(runId, (byKey = new Map()));
    for (const w of stored) if (!byKey.has(w.key)) byKey.set(w.key, w); // the store keeps the first one too
  };

  const claimRuns: Store["claimRuns"] = async (p) => {
    const before = activity;
    const idleAtStart = inFlight === 0;
    const quiet = () => idleAtStart && inFlight === 0 && activity === before;
    let claimed;
    try {
      claimed = await inner.claimRuns(p);
    } catch (error) {
      observer?.failed(error);
      throw error;
    }
    observer?.claimed(claimed.length, quiet);
    return claimed;
  };

  const subscribe: Store["subscribe"] = (listener) => {
    listeners.add(listener);
    const off = inner.subscribe(listener);
    return () => {
      listeners.delete(listener);
      off();
    };
  };

  const wrapped = new Map<PropertyKey, unknown>([
    ["claimRuns", claimRuns],
    ["subscribe", subscribe],
  ]);
  const store = new Proxy(inner, {
    get(target, name) {
      if (wrapped.has(name)) return wrapped.get(name);
      const value = fields[name];
      if (typeof value !== "function") return value;
      const fn = READS.has(name) ? (value as (...args: unknown[]) => unknown).bind(target) : counted(name, value as (...args: unknown[]) => unknown);
      wrapped.set(name, fn);
      return fn;
    },
  });

  return {
    store,
    kick() {
      for (const l of [...listeners]) l({ kind: "available", queue: null });
    },
    observeClaims(o) {
      observer = o;
      return () => {
        if (observer === o) observer = null;
      };
    },
    waitsOf(runId) {
      return waits.get(runId) ?? new Map();
    },
  };
}
