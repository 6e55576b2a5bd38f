/**
 * The store's one connection, with the two ways in: `transact` for a write transaction (which also
 * writes the run-count deltas it recorded) and `call` for a read or a single statement. Both retry
 * from the event loop while another connection holds the lock (busy.ts), refuse to go on once the
 * file was deleted or replaced (file-guard.ts), and turn SQLite's read-only refusals into
 * SqliteReadonlyError (readonly.ts).
 */
import { retryBusy } from "./busy.ts";
import { RunCounts } from "./counts.ts";
import type { Sql } from "./driver.ts";
import { hintsAtMovedFile, type FileGuard } from "./file-guard.ts";
import { isReadonly, notWritable, readonlyWrite } from "./readonly.ts";

export interface Conn {
  readonly sql: Sql;
  /** Count deltas of the transaction in progress. */
  readonly counts: RunCounts;
  /** Runs `fn` in one BEGIN IMMEDIATE transaction, with the count deltas; retried while locked out. */
  transact<T>(fn: () => T): Promise<T>;
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

export function connect(sql: Sql, options: ConnOptions): Conn {
  const { busyTimeoutMs, label, guard, readonly } = options;
  const counts = new RunCounts();
  const inTransaction = <T>(fn: () => T): T =>
    sql.write(() => {
      try {
        const out = fn();
        counts.flush(sql);
        return out;
      } catch (error) {
        counts.discard();
        throw error;
      }
    });
  /** One attempt: the file still there, SQLite's refusals as our errors. */
  const guarded = <T>(fn: () => T): T => {
    guard?.check();
    try {
      return fn();
    } catch (error) {
      if (guard !== null && hintsAtMovedFile(error)) guard.check(true);
      if (isReadonly(error)) throw readonly ? readonlyWrite(label) : notWritable(label, error);
      throw error;
    }
  };
  return {
    sql,
    counts,
    transact: (fn) => {
      if (readonly) return Promise.reject(readonlyWrite(label));
      return retryBusy(() => guarded(() => inTransaction(fn)), busyTimeoutMs, label);
    },
    call: (fn) => retryBusy(() => guarded(fn), busyTimeoutMs, label),
  };
}
