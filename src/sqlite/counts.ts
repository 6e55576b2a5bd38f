/**
 * Exact run counts for `stats()` without counting the table. Two parts:
 *
 * - `run_counts (queue, status, n)`: every status change the store makes is recorded as a delta and
 *   written inside the same transaction. Queued and delayed runs are counted per queue (a queue's
 *   pending work); other statuses across all queues (key queue ''). Running runs are not stored:
 *   they are counted from the index of running runs.
 * - The uncounted tail: a plain trigger (one run, no idempotency key, no debounce) writes no counter,
 *   so that its commit writes one page fewer. Runs are appended in rowid order, and the marker row of
 *   `run_counts` (status '') holds the rowid up to which runs are counted (`n`) and that run's id
 *   (`queue`). Runs above it are uncounted and still in the status they were inserted with, because
 *   every other write transaction first folds them into the counts ({@link RunCounts.fold}) and, at
 *   its end, moves the marker to the table's last row (also after a prune of the newest runs, whose
 *   rowids SQLite hands out again). `stats()` adds the tail in the same read ({@link countTail}).
 *   Should the marked row not carry the marked id any more (a `VACUUM` of an older SQLite renumbers
 *   rowids), the counts are rebuilt from the table once.
 */
import type { RunStatus } from "../store/types.ts";
import type { Sql } from "./driver.ts";

const UPSERT = `
INSERT INTO run_counts (queue, status, n) VALUES (?, ?, ?)
ON CONFLICT (queue, status) DO UPDATE SET n = n + excluded.n`;

/** The marker row: up to which rowid (`n`) runs are counted, and the id of the run there (`queue`). */
const MARKER = `SELECT queue AS id, n AS rowid FROM run_counts WHERE status = ''`;
const SET_MARKER = `UPDATE run_counts SET queue = ?, n = ? WHERE status = ''`;
const LAST_RUN = `SELECT rowid, id FROM runs WHERE rowid = (SELECT max(rowid) FROM runs)`;
const ID_AT = `SELECT id FROM runs WHERE rowid = ?`;
/** The uncounted runs by queue and status (a range of the table's rowid b-tree). */
const TAIL = `SELECT queue, status, count(*) AS n FROM runs WHERE rowid > ? GROUP BY queue, status`;

/** Counts every run again (after a renumbering of rowids): the counted statuses, by their keys. */
export const RECOUNT = `
DELETE FROM run_counts;
INSERT INTO run_counts (queue, status, n)
  SELECT CASE WHEN status IN ('queued', 'delayed') THEN queue ELSE '' END, status, count(*)
  FROM runs WHERE status <> 'running' GROUP BY 1, 2;
INSERT INTO run_counts (queue, status, n)
  SELECT coalesce((SELECT id FROM runs WHERE rowid = (SELECT max(rowid) FROM runs)), ''), '', coalesce((SELECT max(rowid) FROM runs), 0);`;

type Marker = { id: string; rowid: number };
type TailRow = { queue: string; status: RunStatus; n: number };

/** The `run_counts` key of a run: per queue for pending statuses, '' for the rest. */
export function countKey(queue: string, status: RunStatus): string {
  return status === "queued" || status === "delayed" ? queue : "";
}

/** The marker, or null when it is missing or no longer marks the run it names (rowids renumbered). */
function validMarker(sql: Sql): Marker | null {
  const m = sql.get<Marker>(MARKER);
  if (m === undefined) return null;
  if (m.rowid === 0) return m;
  return sql.get<{ id: string }>(ID_AT, [m.rowid])?.id === m.id ? m : null;
}

/**
 * The runs not in `run_counts` yet, by queue and status; inside the caller's read or write
 * transaction. Null when the marker is not valid: the caller then counts the table itself.
 */
export function countTail(sql: Sql): TailRow[] | null {
  const m = validMarker(sql);
  return m === null ? null : sql.all<TailRow>(TAIL, [m.rowid]);
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
   * transaction may change or delete any run. Rebuilds the counts when the marker is not valid.
   */
  fold(sql: Sql): void {
    const m = validMarker(sql);
    this.#marker = m;
    if (m === null) {
      sql.db.exec(RECOUNT);
      return;
    }
    for (const row of sql.all<TailRow>(TAIL, [m.rowid])) this.add(row.queue, row.status, row.n);
  }

  /** Writes the deltas and moves the marker to the last run (inside the caller's transaction), and forgets them. */
  flush(sql: Sql): void {
    for (const [queue, byStatus] of this.#deltas) {
      for (const [status, n] of byStatus) if (n !== 0) sql.run(UPSERT, [queue, status, n]);
    }
    this.#deltas.clear();
    const last = sql.get<Marker>(LAST_RUN) ?? { id: "", rowid: 0 };
    const m = this.#marker ?? sql.get<Marker>(MARKER);
    this.#marker = null;
    if (m === undefined || m.rowid !== last.rowid || m.id !== last.id) sql.run(SET_MARKER, [last.id, last.rowid]);
  }

  /** Forgets the deltas of a transaction that rolled back, or of one whose runs stay uncounted. */
  discard(): void {
    this.#deltas.clear();
    this.#marker = null;
  }
}
