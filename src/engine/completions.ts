/**
 * Completion batching for a worker: outcomes of runs that returned are collected and written by one
 * `store.completeRuns` call per batch (everything gathered in one event-loop turn, or while the
 * previous batch was being written), one batch at a time.
 */
import type { Store } from "../store/types.ts";

export interface Completion {
  readonly runId: string;
  readonly output: unknown;
  readonly outputJson: string;
}

export interface CompletionBatcher {
  add(completion: Completion): void;
  /** Writes everything collected so far; resolves when nothing is left to write. */
  flush(): Promise<void>;
}

export function createCompletionBatcher(deps: {
  readonly store: Store;
  readonly workerId: string;
  now(): number;
  /** Called once per batch with the ids the store completed (empty if the write failed). */
  written(batch: readonly Completion[], done: ReadonlySet<string>): void;
  /** Runs a write, retrying transient errors (and reporting them); rejects when it gives up. */
  persist<T>(write: () => Promise<T>): Promise<T>;
}): CompletionBatcher {
  const pending: Completion[] = [];
  let scheduled = false;
  let flushing: Promise<void> | null = null;

  async function writeBatch(batch: Completion[]): Promise<void> {
    let done: ReadonlySet<string> = new Set();
    try {
      const items = batch.map((c) => ({ runId: c.runId, output: c.outputJson }));
      const ids = await deps.persist(() => deps.store.completeRuns({ workerId: deps.workerId, items, now: deps.now() }));
      done = new Set(ids);
    } catch {
      // reported by persist(); the runs stay held under their lease and are taken over after it expires
    }
    deps.written(batch, done);
  }

  function flush(): Promise<void> {
    flushing ??= (async () => {
      try {
        while (pending.length > 0) await writeBatch(pending.splice(0, pending.length));
      } finally {
        flushing = null;
      }
    })();
    return flushing;
  }

  return {
    add(completion) {
      pending.push(completion);
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        void flush();
      });
    },
    flush,
  };
}
