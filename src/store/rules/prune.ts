/** Pruning without blocking workers: many small transactions, the event loop runs between them. */

/** Runs deleted per transaction. */
export const PRUNE_BATCH = 500;

/**
 * Calls `deleteBatch(limit)` (one transaction deleting at most `limit` runs, returning how many)
 * until a batch comes back short, yielding to the event loop between batches. Returns the total.
 */
export async function pruneInBatches(deleteBatch: (limit: number) => Promise<number>, limit = PRUNE_BATCH): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await deleteBatch(limit);
    total += n;
    if (n < limit) return total;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
