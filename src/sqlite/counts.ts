/**
 * Exact run counts for `stats()` without counting the table: every status change the store makes is
 * recorded here as a delta and written to `run_counts` inside the same transaction. Queued and
 * delayed runs are counted per queue (a queue's pending work); other statuses across all queues
 * (key queue ''). Running runs are not stored: they are counted from the index of running runs.
 */
import type { RunStatus } from "../store/types.ts";
import type { Sql } from "./driver.ts";

const UPSERT = `
INSERT INTO run_counts (queue, status, n) VALUES (?, ?, ?)
ON CONFLICT (queue, status) DO UPDATE SET n = n + excluded.n`;

/** The `run_counts` key of a run: per queue for pending statuses, '' for the rest. */
export function countKey(queue: string, status: RunStatus): string {
  return status === "queued" || status === "delayed" ? queue : "";
}

export class RunCounts {
  readonly #deltas = new Map<string, Map<RunStatus, number>>();

  /** Records that `n` runs of `queue` entered (n > 0) or left (n < 0) `status`. */
  add(queue: string, status: RunStatus, n: number): void {
    if (status === "running" || n === 0) return;
    const key = countKey(queue, status);
    let byStatus = this.#deltas.get(key);
    if (byStatus === undefined) this.#deltas.set(key, (byStatus = new Map()));
    byStatus.set(status, (byStatus.get(status) ?? 0) + n);
  }

  /** A run moved from one status to another. */
  move(queue: string, from: RunStatus, to: RunStatus): void {
    if (from === to) return;
    this.add(queue, from, -1);
    this.add(queue, to, 1);
  }

  /** Writes the deltas (inside the caller's transaction) and forgets them. */
  flush(sql: Sql): void {
    for (const [queue, byStatus] of this.#deltas) {
      for (const [status, n] of byStatus) if (n !== 0) sql.run(UPSERT, [queue, status, n]);
    }
    this.#deltas.clear();
  }

  /** Forgets the deltas of a transaction that rolled back. */
  discard(): void {
    this.#deltas.clear();
  }
}
