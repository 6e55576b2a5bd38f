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
import type { WalWriteback } from "./wal-writeback.ts";

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
   * Inserts one plain run, the common trigger (`a`, `b`: the arguments of both functions, so that a
   * call needs no closure). `uncounted` runs a single statement that inserts the
   * run only if it belongs to the uncounted tail (counts.ts) and says whether it did: in autocommit,
   * while this connection's tail stays within {@link MAX_TAIL} rows. Otherwise (tail full, run not
   * inserted, database locked) `counted` inserts it and records its delta in a {@link transact}.
   * Returns true once the run is inserted and committed at once, else a promise of that transaction.
   */
  insertOne<A, B>(uncounted: (a: A, b: B) => boolean, counted: (a: A, b: B) => void, a: A, b: B): true | Promise<void>;
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
  /** Told of every commit (null: a WAL synced at every commit, or none). */
  readonly writeback: WalWriteback | null;
}

/**
 * Plain runs one connection may leave uncounted before its next insert counts them all: bounds the
 * rows `stats()` counts from the table (this many per process writing triggers), at the cost of one
 * fold every this many single triggers.
 */
export const MAX_TAIL = 256;

export function connect(sql: Sql, options: ConnOptions): Conn {
  const { busyTimeoutMs, label, guard, readonly, writeback } = options;
  const counts = new RunCounts();
  /** Runs this connection left uncounted since its last counted transaction (another's fold may have counted them). */
  let tail = 0;
  /** `fn` between the fold of the uncounted runs and the write of the transaction's count deltas. */
  const inTransaction = <T>(fn: () => T): T =>
    sql.write(() => {
      try {
        counts.fold(sql);
        const out = fn();
        counts.flush(sql);
        return out;
      } catch (error) {
        counts.discard();
        throw error;
      }
    });
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
  const transact = <T>(fn: () => T): Promise<T> => {
    if (readonly) return Promise.reject(readonlyWrite(label));
    return retryBusy(
      () =>
        guarded(() => {
          const out = inTransaction(fn);
          tail = 0;
          writeback?.committed();
          return out;
        }),
      busyTimeoutMs,
      label,
    );
  };
  return {
    sql,
    counts,
    transact,
    insertOne(uncounted, counted, a, b) {
      if (readonly || tail >= MAX_TAIL) return transact(() => counted(a, b));
      // One statement in autocommit, without the transaction machinery.
      try {
        guard?.check();
        if (!uncounted(a, b)) return transact(() => counted(a, b));
        tail++;
        writeback?.committed();
        return true;
      } catch (error) {
        if (isBusy(error)) return transact(() => counted(a, b));
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
