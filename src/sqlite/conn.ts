/**
 * The store's one connection, with the two ways in: `transact` for a write transaction (which also
 * writes the run-count deltas it recorded) and `call` for a read or a single statement. Both retry
 * from the event loop while another connection holds the lock (busy.ts), refuse to go on once the
 * file was deleted or replaced (file-guard.ts), and turn SQLite's read-only refusals into
 * SqliteReadonlyError (readonly.ts).
 */
import { isBusy, retryBusy } from "./busy.ts";
import { RunCounts } from "./counts.ts";
import type { Sql } from "./driver.ts";
import { hintsAtMovedFile, type FileGuard } from "./file-guard.ts";
import { isReadonly, notWritable, readonlyWrite } from "./readonly.ts";

export interface Conn {
  readonly sql: Sql;
  /** Count deltas of the transaction in progress. */
  readonly counts: RunCounts;
  /**
   * Runs `fn` in one BEGIN IMMEDIATE transaction that first folds the uncounted runs into the counts
   * and then writes its own count deltas (counts.ts); retried while locked out.
   */
  transact<T>(fn: () => T): Promise<T>;
  /**
   * Inserts `n` plain runs with `fn` (which also records their deltas): as an uncounted tail when
   * this connection's tail stays within {@link MAX_TAIL} rows (no counter written, the deltas
   * dropped), otherwise as {@link transact}. `oneStatement`: `fn` runs a single statement, which is
   * atomic by itself, so an uncounted insert needs no BEGIN and COMMIT around it.
   */
  insertRuns<T>(n: number, fn: () => T, oneStatement?: boolean): Promise<T>;
  /**
   * {@link insertRuns} of one plain run by one statement, the common trigger: run at once in
   * autocommit and left uncounted while the tail allows; otherwise (tail full, database locked) as
   * {@link transact}, where `count` records the run's delta.
   */
  insertOne<T>(fn: () => T, count: () => void): Promise<T>;
  /** Runs `fn` (a read, or one statement that changes no status); retried while locked out. */
  call<T>(fn: () => T): Promise<T>;
}

export interface ConnOptions {
  readonly busyTimeoutMs: number;
  readonly label: string;
  /** Watches the file (null for `:memory:`). */
  readonly guard: FileGuard | null;
  /** Open for reading only: a transaction fails before it starts. */
  readonly readonly: boolean;
}

/**
 * Plain runs one connection may leave uncounted before its next insert counts them all: bounds the
 * rows `stats()` counts from the table (this many per process writing triggers), at the cost of one
 * fold every this many single triggers.
 */
export const MAX_TAIL = 256;

export function connect(sql: Sql, options: ConnOptions): Conn {
  const { busyTimeoutMs, label, guard, readonly } = options;
  const counts = new RunCounts();
  /** Runs this connection left uncounted since its last counted transaction (another's fold may have counted them). */
  let tail = 0;
  const inTransaction = <T>(fn: () => T, counted = true): T =>
    sql.write(() => {
      try {
        if (counted) counts.fold(sql);
        const out = fn();
        if (counted) counts.flush(sql);
        else counts.discard();
        return out;
      } catch (error) {
        counts.discard();
        throw error;
      }
    });
  /** One uncounted statement, in autocommit (or in the transaction already open). */
  const alone = <T>(fn: () => T): T => {
    try {
      return fn();
    } finally {
      counts.discard();
    }
  };
  /** What a failed attempt throws: SQLite's read-only refusals as our errors; a hint of a moved file has the guard look. */
  const failure = (error: unknown): unknown => {
    if (guard !== null && hintsAtMovedFile(error)) guard.check(true);
    if (isReadonly(error)) return readonly ? readonlyWrite(label) : notWritable(label, error);
    return error;
  };
  /** One attempt: the file still there, SQLite's refusals as our errors. */
  const guarded = <T>(fn: () => T): T => {
    guard?.check();
    try {
      return fn();
    } catch (error) {
      throw failure(error);
    }
  };
  /**
   * `uncounted`: the number of plain runs `fn` inserts and leaves uncounted, or null for a counted
   * transaction; `oneStatement`: an uncounted `fn` runs one statement (see {@link Conn.insertRuns}).
   */
  const transact = <T>(fn: () => T, uncounted: number | null = null, oneStatement = false): Promise<T> => {
    if (readonly) return Promise.reject(readonlyWrite(label));
    return retryBusy(
      () =>
        guarded(() => {
          const out = uncounted !== null && oneStatement ? alone(fn) : inTransaction(fn, uncounted === null);
          tail = uncounted === null ? 0 : tail + uncounted;
          return out;
        }),
      busyTimeoutMs,
      label,
    );
  };
  return {
    sql,
    counts,
    transact: (fn) => transact(fn),
    insertRuns: (n, fn, oneStatement = false) => transact(fn, tail + n <= MAX_TAIL ? n : null, oneStatement),
    insertOne(fn, count) {
      if (readonly || tail >= MAX_TAIL) return transact(() => (count(), fn()));
      // The first attempt without the transaction machinery: one statement in autocommit.
      try {
        guard?.check();
        const out = fn();
        tail++;
        return Promise.resolve(out);
      } catch (error) {
        if (isBusy(error)) return transact(fn, 1, true);
        try {
          return Promise.reject(failure(error));
        } catch (gone) {
          return Promise.reject(gone);
        }
      }
    },
    call: (fn) => retryBusy(() => guarded(fn), busyTimeoutMs, label),
  };
}
