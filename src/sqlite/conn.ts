/**
 * The store's one connection, with the two ways in: `transact` for a write transaction (which also
 * writes the run-count deltas it recorded) and `call` for a read or a single statement. Both retry
 * from the event loop while another connection holds the lock (busy.ts).
 */
import { retryBusy } from "./busy.ts";
import { RunCounts } from "./counts.ts";
import type { Sql } from "./driver.ts";

export interface Conn {
  readonly sql: Sql;
  /** Count deltas of the transaction in progress. */
  readonly counts: RunCounts;
  /** Runs `fn` in one BEGIN IMMEDIATE transaction, with the count deltas; retried while locked out. */
  transact<T>(fn: () => T): Promise<T>;
  /** Runs `fn` (a read, or one statement that changes no status); retried while locked out. */
  call<T>(fn: () => T): Promise<T>;
}

export function connect(sql: Sql, busyTimeoutMs: number, label: string): Conn {
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
  return {
    sql,
    counts,
    transact: (fn) => retryBusy(() => inTransaction(fn), busyTimeoutMs, label),
    call: (fn) => retryBusy(fn, busyTimeoutMs, label),
  };
}
