/**
 * The SQLite store: the embedded default. One connection per store; every multi-row change is one
 * BEGIN IMMEDIATE transaction, so several processes can share one database file (WAL mode), and
 * queue limits checked inside the claim transaction hold across all of them. A call locked out by
 * another process waits from the event loop, never inside SQLite (busy.ts). The rules (what a
 * transition does) live in src/store/rules/; this file runs them and owns the claim's SQL.
 */
import type { ClaimedRun, NewRun, RunRecord, Store, StoreNotification } from "../store/types.ts";
import { insertedRun, insertsAsIs, isPlainRun } from "../store/records.ts";
import {
  afterFinish,
  Effects,
  onceUntilFailure,
  pickUnderLimits,
  RateWindow,
  rateWindowOf,
  resolveDueTimers,
  ruleMethods,
  runSync,
  settle,
  Slots,
  stepsByRun,
  sweep,
  type FinishedRun,
  type Program,
  type RateStart,
  type RunningCount,
} from "../store/rules/index.ts";
import { connect } from "./conn.ts";
import { chunks } from "./chunks.ts";
import { migrate, openDatabase, validateOptions, type SqliteStoreOptions } from "./open.ts";
import { eventTokenQueries } from "./events-tokens.ts";
import { checkSchema } from "./readonly.ts";
import { createQueries } from "./queries.ts";
import { claimInPlace, runFromValues, toStep, type StepRow } from "./rows.ts";
import { notifier } from "./notify.ts";
import { createTx, insertRunStatements } from "./tx.ts";
import { claimedInsert } from "./claimed-insert.ts";
import * as c from "./sql/claim.ts";
import * as r from "./sql/runs.ts";

interface LimitedQueueRow {
  name: string;
  concurrency_limit: number | null;
  rate_limit: number | null;
  rate_period_ms: number | null;
  rate_per_key: number;
}

/** The rate limits among the limited queues, or null when none has one (the claim then costs nothing more). */
function rateWindow(rows: readonly LimitedQueueRow[], now: number): RateWindow | null {
  return rateWindowOf(rows.map((q) => ({ name: q.name, limit: q.rate_limit, periodMs: q.rate_period_ms, perKey: q.rate_per_key === 1 })), now);
}

/** Work may be claimable in any queue (notifications are read-only: one object serves every trigger). */
const AVAILABLE: StoreNotification = Object.freeze({ kind: "available", queue: null });

/** Creates a Store on an SQLite file (or `:memory:`, or your own better-sqlite3 Database). */
export function sqliteStore(options: SqliteStoreOptions): Store {
  validateOptions(options);
  const opened = openDatabase(options);
  const conn = connect(opened.sql, opened);
  const { sql, counts, transact, call } = conn;
  const tx = createTx(sql, counts);
  const channel = notifier(opened.memory ? null : opened.label);
  let closed = false;

  const notify = (queue: string | null = null) => channel.emit(queue === null ? AVAILABLE : { kind: "available", queue });

  /** Runs store rules in one write transaction; wakes the runs they resolved and notifies after commit. */
  const write = async <T>(now: number, body: (effects: Effects) => Program<T>): Promise<T> => {
    const { out, available } = await transact(() => {
      const effects = new Effects();
      const result = runSync(body(effects), tx);
      return { out: result, available: runSync(settle(effects, now), tx) };
    });
    if (available) notify();
    return out;
  };

  const rules = ruleMethods(write);
  /** Runs without idempotency key or debounce: the rows in one transaction, without the rules' program machinery. */
  const insertAsIs = (runs: readonly NewRun[], now: number): Promise<void> => transact(() => tx.insertRuns(runs, now)).then(() => notify());

  const insertOne = insertRunStatements(sql);
  const countedOne = (run: NewRun, now: number): void => {
    insertOne.counted(run, now);
    counts.add(run.queue, run.status, 1);
  };
  /**
   * One plain run without tags (the common single trigger): one INSERT, mostly uncounted (counts.ts).
   * Inserted at once, it is committed (autocommit): the wake-up and the answer need no promise of
   * their own beyond the one returned.
   */
  const createOne = <T>(run: NewRun, now: number, value: T): Promise<T> => {
    const done = conn.insertOne(insertOne.uncounted, countedOne, run, now);
    if (done === true) {
      notify();
      return Promise.resolve(value);
    }
    return done.then(() => {
      notify();
      return value;
    });
  };

  const store: Store = {
    ...rules,
    name: `sqlite:${opened.label}`,

    // Read-only: the schema must be current already (readonly.ts).
    migrate: onceUntilFailure(() => call(() => (opened.readonly ? checkSchema(sql, opened.label) : migrate(sql, opened.label)))),

    async close() {
      if (closed) return;
      closed = true;
      channel.close();
      opened.writeback?.close();
      if (opened.owned && sql.db.open) sql.db.close();
    },

    createRuns({ runs, now }) {
      if (runs.length === 1) {
        const run = runs[0]!;
        if (isPlainRun(run)) return createOne(run, now, [{ run: insertedRun(run, now), created: true }]);
      }
      if (runs.length === 0) return Promise.resolve([]);
      if (!runs.every(insertsAsIs)) return rules.createRuns({ runs, now });
      return insertAsIs(runs, now).then(() => runs.map((run) => ({ run: insertedRun(run, now), created: true })));
    },

    createPlainRuns(runs, now, value) {
      if (runs.length === 0 || !runs.every(insertsAsIs)) return store.createRuns({ runs, now }).then(() => value);
      return insertAsIs(runs, now).then(() => value);
    },

    createPlainRun(run, now, value) {
      if (!isPlainRun(run)) return store.createRuns({ runs: [run], now }).then(() => value);
      return createOne(run, now, value);
    },

    createClaimedRun: claimedInsert(conn, notify),

    async upsertQueues({ queues }) {
      // Called by every engine before its first query; queue limits matter only to claims, which a
      // read-only store refuses anyway.
      if (opened.readonly) return;
      await transact(() => {
        for (const q of queues) {
          const rate = q.rateLimit ?? null;
          sql.run(r.UPSERT_QUEUE, {
            name: q.name,
            concurrency_limit: q.concurrencyLimit,
            rate_limit: rate?.limit ?? null,
            rate_period_ms: rate?.periodMs ?? null,
            rate_per_key: rate?.perKey === true ? 1 : 0,
          });
        }
      });
    },

    async claimRuns({ workerId, queues, taskIds = null, limit, leaseMs, now }) {
      if (limit <= 0) return [];
      if (taskIds !== null && taskIds.length === 0) return [];
      return write(now, function* (effects) {
        yield* sweep(now, effects);
        return claim(workerId, queues, taskIds, limit, now + leaseMs, now);
      });
    },

    async heartbeat({ workerId, runIds, leaseMs, now }) {
      if (runIds.length === 0) return [];
      const rows = await call(() => sql.all<{ id: string }>(c.HEARTBEAT, { ids: JSON.stringify(runIds), worker: workerId, lease: now + leaseMs }));
      return rows.map((x) => x.id);
    },

    async releaseRuns({ workerId, runIds, now }) {
      if (runIds.length === 0) return;
      const released = await transact(() => {
        const rows = sql.all<{ queue: string }>(c.RELEASE, { ids: JSON.stringify(runIds), worker: workerId, now });
        for (const row of rows) counts.add(row.queue, "queued", 1);
        return rows.length;
      });
      if (released > 0) notify();
    },

    async completeRuns({ workerId, items, now }) {
      if (items.length === 0) return [];
      return write(now, function* (effects) {
        const done = complete(workerId, items, now);
        counts.add("", "completed", done.length);
        yield* afterFinish(done, now, effects);
        return done.map((d) => d.id);
      });
    },

    async saveStep({ workerId, runId, step }) {
      return transact(() => {
        if (!tx.lockHeld(runId, workerId)) return false;
        sql.run(r.UPSERT_STEP, {
          run_id: runId,
          key: step.key,
          parent_key: step.parentKey,
          kind: step.kind,
          status: step.status,
          output: step.output,
          error: step.error,
          attempts: step.attempts,
          started_at: step.startedAt,
          finished_at: step.finishedAt,
          child_run_id: step.childRunId,
        });
        return true;
      });
    },

    ...createQueries(conn),
    ...eventTokenQueries(conn),

    subscribe(listener: (n: StoreNotification) => void) {
      return channel.subscribe(listener);
    },
  };

  /**
   * Completes the held runs among `items`: up to 64 per statement (chunks.ts); a chunk in which some run is no longer
   * held (taken over, canceled) is undone and done again one run at a time, to report exactly which.
   * parentRunId is not read back (RETURNING costs more than the rules' one lookup of child waits).
   */
  function complete(workerId: string, items: readonly { runId: string; output: string }[], now: number): FinishedRun[] {
    const unique = [...new Map(items.map((i) => [i.runId, i.output])).entries()];
    const done: FinishedRun[] = [];
    const finished = (id: string, output: string) => done.push({ id, parentRunId: undefined, status: "completed", output, error: null });
    for (const [i, n] of chunks(unique.length)) {
      const chunk = unique.slice(i, i + n);
      const values: unknown[] = [now, now];
      for (const [id, output] of chunk) values.push(id, output);
      values.push(workerId);
      sql.run("SAVEPOINT complete");
      if (sql.run(c.completeMany(chunk.length), values).changes === chunk.length) {
        sql.run("RELEASE complete");
        for (const [id, output] of chunk) finished(id, output);
        continue;
      }
      sql.run("ROLLBACK TO complete");
      sql.run("RELEASE complete");
      for (const [id, output] of chunk) if (sql.run(c.COMPLETE, [output, now, now, id, workerId]).changes === 1) finished(id, output);
    }
    return done;
  }

  /** Picks and marks the runs of one claim (after the sweep, in the same transaction). */
  function claim(workerId: string, queues: readonly string[] | null, taskIds: readonly string[] | null, limit: number, lease: number, now: number): ClaimedRun[] {
    const queueRows = sql.all<LimitedQueueRow>(c.LIMITED_QUEUES);
    const limits = new Map<string, number>();
    for (const q of queueRows) if (q.concurrency_limit !== null) limits.set(q.name, q.concurrency_limit);
    const running = limits.size === 0 ? [] : sql.all<RunningCount>(c.RUNNING_COUNTS, { queues: JSON.stringify([...limits.keys()]) });
    const slots = new Slots(limits, running);
    const rates = rateWindow(queueRows, now);
    const queuesJson = queues === null ? null : JSON.stringify(queues);
    const tasks = taskIds === null ? null : JSON.stringify(taskIds);
    const pick = (candidates: RunRecord[], chosen?: RunRecord[]) => {
      if (rates !== null) loadRates(rates, candidates, now);
      return pickUnderLimits(candidates, slots, limit, chosen, rates);
    };
    const chosen = pick(sql.rows(c.LEASE_EXPIRED, { now, limit, queues: queuesJson, tasks }).map(runFromValues));
    // Without limits every candidate fits: read exactly the missing ones. With limits, read ahead.
    const limited = queueRows.length > 0;
    const pageSize = limited ? Math.max(limit * 2, 32) : limit;
    for (let offset = 0, pages = 0; chosen.length < limit && pages < 8; offset += pageSize, pages++) {
      const size = limited ? pageSize : limit - chosen.length;
      const page =
        queuesJson === null
          ? sql.rows(c.CANDIDATES_ALL, { now, limit: size, offset, tasks })
          : sql.rows(c.CANDIDATES_IN_QUEUES, { now, limit: size, offset, queues: queuesJson, tasks });
      pick(page.map(runFromValues), chosen);
      if (page.length < size) break;
    }
    if (rates !== null) recordRates(rates);
    if (chosen.length === 0) return [];
    runSync(resolveDueTimers(chosen.filter((x) => x.status === "waiting").map((x) => x.id), now), tx);
    sql.run(c.MARK_CLAIMED, { ids: JSON.stringify(chosen.map((x) => x.id)), worker: workerId, lease, now });
    for (const x of chosen) counts.add(x.queue, x.status, -1);
    const withHistory = chosen.filter((x) => x.startedAt !== null).map((x) => x.id);
    const steps = stepsByRun(withHistory.length === 0 ? [] : sql.all<StepRow>(c.STEPS_OF_RUNS, { ids: JSON.stringify(withHistory) }).map(toStep));
    return chosen.map((x) => ({ run: claimInPlace(x, workerId, lease, now), steps: steps.get(x.id) ?? [] }));
  }

  /** Reads the recent claims of the candidates' rate groups not read yet in this claim. */
  function loadRates(rates: RateWindow, candidates: readonly RunRecord[], now: number): void {
    const groups = rates.missing(candidates);
    if (groups.length === 0) return;
    const starts = sql.all<RateStart>(c.RATE_STARTS, { groups: JSON.stringify(groups.map((g) => [g.queue, g.key])), now });
    rates.load(groups, starts);
  }

  /** Writes what the rate limits decided: the claims made, the held-back runs' next start; forgets old claims. */
  function recordRates(rates: RateWindow): void {
    for (const s of rates.started) sql.run(c.INSERT_RATE_START, { queue: s.queue, key: s.key, started_at: s.startedAt });
    for (const [id, at] of rates.held) sql.run(c.HOLD_FOR_RATE, { id, at });
    for (const h of rates.horizons()) sql.run(c.OLD_RATE_STARTS, { queue: h.queue, since: h.since });
  }

  return store;
}
