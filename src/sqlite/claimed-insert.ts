/**
 * `Store.createClaimedRun` on SQLite: a plain single trigger handed straight to an idle worker of this
 * process, inserted already claimed by it (or queued, when a claim would take another run first) by
 * one statement (sql/claimed-insert.ts). Like the plain single trigger (conn.ts `insertOne`), the
 * statement runs in autocommit and leaves the run out of the exact counts while its id is after the
 * counts' marker; otherwise, or when another process holds the write lock, it runs in a counted
 * transaction.
 */
import type { ClaimedRun, RunStatus, Store } from "../store/types.ts";
import { insertedRun } from "../store/records.ts";
import type { Conn } from "./conn.ts";
import { claimInPlace } from "./rows.ts";
import { runParams } from "./tx.ts";
import { INSERT_CLAIMED_COUNTED, INSERT_CLAIMED_UNCOUNTED } from "./sql/claimed-insert.ts";

type Status = { status: RunStatus };

/** The store's createClaimedRun on `conn`; `notify` tells the workers of a run inserted queued. */
export function claimedInsert(conn: Conn, notify: () => void): NonNullable<Store["createClaimedRun"]> {
  const { sql, counts } = conn;
  return ({ run, workerId, queues, taskIds, leaseMs, now }) => {
    const lease = now + leaseMs;
    const params = {
      ...runParams(run, now),
      worker: workerId,
      lease,
      queues: queues === null ? null : JSON.stringify(queues),
      tasks: taskIds === null ? null : JSON.stringify(taskIds),
    };
    let status: RunStatus | undefined;
    const uncounted = (): boolean => {
      status = sql.get<Status>(INSERT_CLAIMED_UNCOUNTED, params)?.status;
      return status !== undefined;
    };
    const counted = (): void => {
      status = sql.get<Status>(INSERT_CLAIMED_COUNTED, params)!.status;
      counts.add(run.queue, status, 1);
    };
    const answer = (): ClaimedRun | null => {
      // The record the row is: a fresh inserted record, made the claimed one in place (one record, not two).
      if (status === "running") return { run: claimInPlace(insertedRun(run, now), workerId, lease, now), steps: [] };
      notify();
      return null;
    };
    const done = conn.insertOne(uncounted, counted, undefined, undefined);
    return done === true ? Promise.resolve(answer()) : done.then(answer);
  };
}
