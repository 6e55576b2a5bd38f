/** Shared helpers of the store conformance suite. Only the Store interface; time is always explicit. */
import { newId } from "../ids.ts";
import type { ClaimedRun, NewRun, NewStep, NewWait, Store, StoreNotification } from "../types.ts";

export interface OpenedStore {
  readonly store: Store;
  /** A second, independent connection to the same database (a second "process"), if the store can. */
  readonly reopen?: () => Promise<Store>;
  cleanup(): Promise<void>;
}

export interface ConformanceOptions {
  /** Shown in test names, e.g. "sqlite (file)". */
  readonly name: string;
  /** Opens a fresh, empty, migrated-or-not database for one test. */
  open(): Promise<OpenedStore>;
}

/**
 * An {@link OpenedStore} whose `reopen` opens more stores on the same database with `make` (each
 * migrated); cleanup closes them all, then runs `dispose` (e.g. to delete the database).
 */
export function reopenable(make: () => Store, dispose: () => unknown = () => {}): OpenedStore {
  const store = make();
  const others: Store[] = [];
  return {
    store,
    async reopen() {
      const s = make();
      await s.migrate();
      others.push(s);
      return s;
    },
    async cleanup() {
      await store.close();
      for (const o of others) await o.close();
      await dispose();
    },
  };
}

/** The suite's clock origin (2027-01-15). Every call passes `now` relative to it. */
export const T0 = 1_800_000_000_000;

export const ERR = JSON.stringify({ name: "Error", message: "boom" });
export const CANCELED = JSON.stringify({ name: "RunCanceledError", message: "canceled" });

export function newRun(overrides: Partial<NewRun> = {}): NewRun {
  return {
    id: newId(),
    taskId: "task",
    queue: "default",
    concurrencyKey: null,
    payload: "{}",
    priority: 0,
    runAt: T0,
    status: "queued",
    maxAttempts: 3,
    idempotencyKey: null,
    idempotencyExpiresAt: null,
    expiresAt: null,
    tags: [],
    parentRunId: null,
    scheduleId: null,
    ...overrides,
  };
}

export function wait(overrides: Partial<NewWait> & Pick<NewWait, "key" | "kind">): NewWait {
  return { parentKey: null, createdAt: T0, wakeAt: null, eventName: null, match: null, childRunId: null, ...overrides };
}

export function step(key: string, overrides: Partial<NewStep> = {}): NewStep {
  return {
    key,
    parentKey: null,
    kind: "step",
    status: "completed",
    output: '"out"',
    error: null,
    attempts: 1,
    startedAt: T0,
    finishedAt: T0 + 1,
    childRunId: null,
    ...overrides,
  };
}

/** Opens a store for one test, migrates it, and always cleans up. */
export async function withStore(options: ConformanceOptions, fn: (s: Store, opened: OpenedStore) => Promise<void>): Promise<void> {
  const opened = await options.open();
  try {
    await opened.store.migrate();
    await fn(opened.store, opened);
  } finally {
    await opened.cleanup();
  }
}

/**
 * Runs `fn` with two stores on one database: a second connection when the store can reopen
 * (two "processes"), else the same instance twice. The second connection is closed afterwards.
 */
export async function withTwo(options: ConformanceOptions, fn: (a: Store, b: Store) => Promise<void>): Promise<void> {
  await withStore(options, async (a, opened) => {
    const b = opened.reopen ? await opened.reopen() : a;
    try {
      await fn(a, b);
    } finally {
      if (b !== a) await b.close();
    }
  });
}

/** claimRuns with defaults: every queue, every task, limit 100, lease 30 s. */
export function claim(
  s: Store,
  workerId: string,
  now: number,
  more: { queues?: readonly string[] | null; taskIds?: readonly string[] | null; limit?: number; leaseMs?: number } = {},
): Promise<readonly ClaimedRun[]> {
  return s.claimRuns({
    workerId,
    queues: more.queues ?? null,
    ...(more.taskIds === undefined ? {} : { taskIds: more.taskIds }),
    limit: more.limit ?? 100,
    leaseMs: more.leaseMs ?? 30_000,
    now,
  });
}

/** Creates runs in one queue and claims exactly them for `workerId`; returns their ids in creation order. */
export async function createAndClaim(store: Store, n: number, workerId = "w1", now = T0, overrides: Partial<NewRun> = {}): Promise<string[]> {
  const runs = Array.from({ length: n }, () => newRun({ runAt: now, ...overrides }));
  await store.createRuns({ runs, now });
  const claimed = await store.claimRuns({ workerId, queues: [runs[0]?.queue ?? "default"], limit: n, leaseMs: 30_000, now });
  const byId = new Set(claimed.map((c) => c.run.id));
  if (!runs.every((r) => byId.has(r.id))) throw new Error(`createAndClaim: claimed ${claimed.length} runs, not the ${n} it created`);
  return runs.map((r) => r.id);
}

/** Counts `available` notifications; `next()` resolves at the next one (or rejects after 5 s). */
export function listen(s: Store): { count(): number; next(what: string): Promise<void>; off(): void } {
  let heard = 0;
  let waiter: (() => void) | null = null;
  const off = s.subscribe((n: StoreNotification) => {
    if (n.kind !== "available") return;
    heard++;
    waiter?.();
  });
  return {
    count: () => heard,
    off,
    next(what) {
      const before = heard;
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no \`available\` notification after ${what} within 5 s`)), 5000);
        waiter = () => {
          if (heard > before) {
            clearTimeout(timer);
            waiter = null;
            resolve();
          }
        };
      });
    },
  };
}

/** Sorted copy, for comparing id sets. */
export const sorted = (xs: Iterable<string>): string[] => [...xs].sort();
