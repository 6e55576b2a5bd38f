/**
 * The PostgreSQL store's trigger methods. Plain runs (no idempotency key, no debounce) go through the
 * bounded trigger queue (trigger-queue.ts: one statement each, at most two in flight, the rest combined
 * into one), batches of default runs by a statement of their own (insert-batch.ts); a trigger handed to
 * an idle worker of this process is inserted already claimed (sql-claimed-insert.ts); any other run goes
 * through the store rules in a transaction (`rulesCreateRuns`).
 */
import type { Store } from "../store/types.ts";
import { claimedRun, insertedRun, insertsAsIs } from "../store/records.ts";
import type { PgNamedQuery, PgPoolLike } from "./driver.ts";
import { batchInsert } from "./insert-batch.ts";
import { INSERT_CLAIMED_RUN } from "./sql-claimed-insert.ts";
import * as q from "./sql.ts";
import { insertOneParams } from "./tx.ts";
import { TriggerQueue } from "./trigger-queue.ts";

export interface TriggerDeps {
  readonly pool: PgPoolLike;
  /** The store's NOTIFY channel. */
  readonly channel: string;
  /** A named statement (prepared once per connection). */
  named(name: string, sql: string): PgNamedQuery;
  /** Turns driver errors into the store's (connection errors, secrets scrubbed). */
  guard<T>(fn: () => Promise<T>): Promise<T>;
  /** createRuns by the store rules, in one transaction (keys, debounce). */
  readonly rulesCreateRuns: Store["createRuns"];
}

export type TriggerMethods = Required<Pick<Store, "createRuns" | "createPlainRuns" | "createClaimedRun">> & {
  /** Resolves when no trigger statement is in flight or waiting (the store closes). */
  drained(): Promise<void>;
};

export function triggerMethods(d: TriggerDeps): TriggerMethods {
  const { pool, channel, guard } = d;
  const insertOne = d.named("insert_one", q.INSERT_RUN_NOTIFY);
  const insertMany = d.named("insert", q.INSERT_RUNS_NOTIFY);
  const insertDefault = d.named("insert_default", q.INSERT_DEFAULT_RUNS_NOTIFY);
  const insertClaimed = d.named("insert_claimed", INSERT_CLAIMED_RUN);
  const triggers = new TriggerQueue(async (runs, nows) => {
    if (runs.length === 1) await pool.query(insertOne, [...insertOneParams(runs[0]!, nows[0]!), channel]);
    else await pool.query(...batchInsert(runs, nows, { general: insertMany, defaults: insertDefault }, channel));
  });

  const methods: TriggerMethods = {
    drained: () => triggers.drained(),

    async createRuns({ runs, now }) {
      if (runs.length === 0) return [];
      if (runs.every(insertsAsIs)) {
        // The common case is one round trip: insert and notify in a single statement.
        await guard(() => triggers.add(runs, now));
        return runs.map((run) => ({ run: insertedRun(run, now), created: true }));
      }
      return d.rulesCreateRuns({ runs, now });
    },

    async createPlainRuns(runs, now, value) {
      if (runs.length > 0 && runs.every(insertsAsIs)) await guard(() => triggers.add(runs, now));
      else await methods.createRuns({ runs, now });
      return value;
    },

    // Inserted claimed, or queued when a claim would take another run first (sql-claimed-insert.ts).
    // It counts as one of the plain triggers' statements in flight; when those are all busy it is a
    // plain trigger (queued, notified, combined with the others), so that a stall opens no
    // connection for it either.
    async createClaimedRun({ run, workerId, queues, taskIds, leaseMs, now }) {
      const lease = now + leaseMs;
      const sent = triggers.tryAlone(() =>
        pool.query<{ claimed: boolean }>(insertClaimed, [...insertOneParams(run, now), channel, queues, taskIds, workerId, lease]),
      );
      if (sent === null) {
        await guard(() => triggers.add([run], now));
        return null;
      }
      const res = await guard(() => sent);
      if (res.rows[0]?.claimed !== true) return null;
      return { run: claimedRun(insertedRun(run, now), workerId, lease, now), steps: [] };
    },
  };
  return methods;
}
