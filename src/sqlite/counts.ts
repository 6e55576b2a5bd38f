/**
 * Exact run counts for `stats()` without counting the table. Two parts:
 *
 * - `run_counts (queue, status, n)`: every status change the store makes is recorded as a delta and
 *   written inside the same transaction. Queued and delayed runs are counted per queue (a queue's
 *   pending work); other statuses across all queues (key queue ''). Running runs are not stored:
 *   they are counted from the index of running runs.
 * - The uncounted tail: a plain trigger (one run, no idempotency key, no debounce, no tags) writes no
 *   counter, so that its commit writes one page fewer. The one row of `run_counts_marker` holds
 *   the id up to which runs are counted: every run with a greater id is uncounted and
 *   still in the status it was inserted with, every other run is counted. A plain trigger inserts its
 *   run uncounted only if its id is greater than the marker, in the same statement
 *   ({@link INSERT_UNCOUNTED_SUFFIX}); otherwise (an id from a clock behind the marker, another
 *   process's) it is counted in a transaction. Every other write transaction first folds the runs
 *   after the marker into the counts ({@link RunCounts.fold}) and, at its end, moves the marker to the
 *   greatest id in the table (also down, after a prune of the newest runs). `stats()` adds the tail in
 *   the same read ({@link countTail}). Should the marker be missing, the counts are rebuilt.
 */
import type { RunStatus } from "../store/types.ts";
import type { Sql } from "./driver.ts";

const UPSERT = `
INSERT INTO run_counts (queue, status, n) VALUES (?, ?, ?)
ON CONFLICT (queue, status) DO UPDATE SET n = n + excluded.n`;

/** The marker row: the id up to which runs are counted. */
const MARKER = `SELECT id FROM run_counts_marker`;
const SET_MARKER = `UPDATE run_counts_marker SET id = ?`;
const LAST_ID = `SELECT coalesce(max(id), '') AS id FROM runs`;
/** The uncounted runs by queue and status (a range of the table's id b-tree). */
const TAIL = `SELECT queue, status, count(*) AS n FROM runs WHERE id > ? GROUP BY queue, status`;

/**
 * Appended to a one-row `INSERT INTO runs (…) SELECT …`: inserts the run only if it belongs to the
 * uncounted tail (its id after the marker). `id` is how the statement binds the run's id once more
 * (a positional `?` by default, or a named parameter).
 */
export function uncountedSuffix(id = "?"): string {
  return ` WHERE ${id} > (SELECT id FROM run_counts_marker)`;
}

/** {@link uncountedSuffix} with the id bound once more as a positional parameter. */
export const INSERT_UNCOUNTED_SUFFIX = uncountedSuffix();

/** Counts every run again (the marker row was missing): the counted statuses, by their keys. */
export const RECOUNT = `
DELETE FROM run_counts;
INSERT INTO run_counts (queue, status, n)
  SELECT CASE WHEN status IN ('queued', 'delayed') THEN queue ELSE '' END, status, count(*)
  FROM runs WHERE status <> 'running' GROUP BY 1, 2;
DELETE FROM run_counts_marker;
INSERT INTO run_counts_marker (id) SELECT coalesce(max(id), '') FROM runs;`;

type Marker = { id: string };
type TailRow = { queue: string; status: RunStatus; n: number };

/** The `run_counts` key of a run: per queue for pending statuses, '' for the rest. */
export function countKey(queue: string, status: RunStatus): string {
  return status === "queued" || status === "delayed" ? queue : "";
}

/** The marker, or null when it is missing. */
function marker(sql: Sql): Marker | null {
  return sql.get<Marker>(MARKER) ?? null;
}

/**
 * The runs not in `run_counts` yet, by queue and status; inside the caller's read or write
 * transaction. Null when the marker is missing: the caller then counts the table itself.
 */
export function countTail(sql: Sql): TailRow[] | null {
  const m = marker(sql);
  return m === null ? null : sql.all<TailRow>(TAIL, [m.id]);
}

export class RunCounts {
  readonly #deltas = new Map<string, Map<RunStatus, number>>();
  /** The marker as {@link fold} read it (null: rebuilt or not read). */
  #marker: Marker | null = null;

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

  /**
   * First thing in a counted write transaction: the uncounted runs become deltas, so that the
   * transaction may change or delete any run. Rebuilds the counts when the marker is missing.
   */
  fold(sql: Sql): void {
    const m = marker(sql);
    this.#marker = m;
    if (m === null) {
      sql.db.exec(RECOUNT);
      return;
    }
    for (const row of sql.all<TailRow>(TAIL, [m.id])) this.add(row.queue, row.status, row.n);
  }

  /** Writes the deltas and moves the marker to the last run (inside the caller's transaction), and forgets them. */
  flush(sql: Sql): void {
    for (const [queue, byStatus] of this.#deltas) {
      for (const [status, n] of byStatus) if (n !== 0) sql.run(UPSERT, [queue, status, n]);
    }
    this.#deltas.clear();
    const last = sql.get<Marker>(LAST_ID)!;
    const m = this.#marker ?? marker(sql);
    this.#marker = null;
    if (m === null || m.id !== last.id) sql.run(SET_MARKER, [last.id]);
  }

  /** Forgets the deltas of a transaction that rolled back, or of one whose runs stay uncounted. */
  discard(): void {
    this.#deltas.clear();
    this.#marker = null;
  }
}
