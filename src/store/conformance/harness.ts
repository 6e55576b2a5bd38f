/** Shared helpers of the store conformance suite. */
import { newId } from "../ids.ts";
import type { NewRun, NewWait, Store } from "../types.ts";

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

export const T0 = 1_800_000_000_000;

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

/** Creates runs and claims them all for `workerId`; returns their ids in creation order. */
export async function createAndClaim(store: Store, n: number, workerId = "w1", now = T0, overrides: Partial<NewRun> = {}): Promise<string[]> {
  const runs = Array.from({ length: n }, () => newRun({ runAt: now, ...overrides }));
  await store.createRuns({ runs, now });
  const claimed = await store.claimRuns({ workerId, queues: null, limit: n, leaseMs: 30_000, now });
  return claimed.map((c) => c.run.id);
}
