/**
 * The PostgreSQL store: the scale-out engine. Claims use `FOR UPDATE SKIP LOCKED`; a claim that
 * touches no concurrency-limited queue is ONE statement. Limited queues are claimed inside a
 * transaction that locks their `queues` rows, so limits hold across every process. Completions are
 * batched. Triggers go through trigger-methods.ts. Wake-ups use LISTEN/NOTIFY, one NOTIFY per
 * statement that makes work available.
 */
import type { ClaimedRun, RunRecord, Store } from "../store/types.ts";
import { Effects, onceUntilFailure, resolveDueTimers, ruleMethods, runAsync, settle, stepsByRun, sweep, type Program, afterFinish } from "../store/rules/index.ts";
import { textArrayLiteral, transaction, type PgNamedQuery, type Queryable } from "./driver.ts";
import { isConnectionError } from "./connection-errors.ts";
import { createListener } from "./listen.ts";
import { connectionError, migrate, resolveOptions, type PostgresStoreOptions } from "./open.ts";
import { COMPACT_COUNTS, COMPACT_MINUTES } from "./counts.ts";
import { scrubError } from "../store/redact.ts";
import { eventTokenQueries } from "./events-tokens.ts";
import { createQueries } from "./queries.ts";
import { releaseResult, toRun, toStep } from "./rows.ts";
import * as q from "./sql.ts";
import { claimCap } from "./claim-sql.ts";
import { ClaimStatements } from "./claim-statements.ts";
import { createTx } from "./tx.ts";
import { triggerMethods } from "./trigger-methods.ts";
import { STICKY_MIN_POOL, StickyConnection } from "./sticky.ts";
import { claimLimited } from "./claim-limited.ts";
import { LimitedQueues } from "./limited-queues.ts";
/** A worker's claims between two compactions of the counters (each claim adds a few delta rows). */
const CLAIMS_PER_COMPACTION = 200;
/**
 * The claim's connection commits without waiting for the WAL flush: a claim is a lease, and one lost
 * in a server crash is the run queued again, its first holder fenced out (docs/ARCHITECTURE.md, "The
 * claim's commit"). Claims from limited queues (claimLimited, on the pool) stay synchronous.
 */
const CLAIM_SESSION = "SET synchronous_commit = off";

type Row = Record<string, unknown>;

/** The one row of q.COMPLETE. */
interface CompleteRow {
  n: string;
  ids: string[] | null;
  children: string[] | null;
  parents: string[] | null;
}

/** Creates a Store on PostgreSQL (`connectionString`, or your own `pg.Pool`), in its own schema. */
export function postgresStore(options: PostgresStoreOptions): Store {
  const r = resolveOptions(options);
  const { pool, S } = r;
  let compacting: Promise<void> | null = null;
  let claimsSinceCompaction = 0;
  /** Folds the counter deltas, in the background, one compaction at a time. */
  const compact = (): void => {
    if (compacting !== null || closed) return;
    claimsSinceCompaction = 0;
    compacting = (async () => {
      await pool.query(S(COMPACT_COUNTS));
      await pool.query(S(COMPACT_MINUTES));
    })()
      .catch(() => {}) // a failed compaction leaves the deltas for the next one
      .finally(() => {
        compacting = null;
      });
  };
  const queries = createQueries(r, compact);
  // The claim and the completion each keep a connection of their own (planned once, see sticky.ts).
  const sticky = r.poolSize >= STICKY_MIN_POOL;
  const claimConn = sticky ? new StickyConnection(pool, CLAIM_SESSION) : pool;
  const completeConn = sticky ? new StickyConnection(pool) : pool;
  const listener = createListener({ open: r.openListenConnection, channel: r.channel });
  const limited = new LimitedQueues(async () => (await pool.query<{ name: string; concurrency_limit: number }>(S(q.LIMITED_QUEUES))).rows);
  let closed = false;

  /** A named (prepared once per connection) statement, for the hot queries. */
  const named = (name: string, sql: string): PgNamedQuery => ({ name: `errand_${name}_${r.schema}`, text: S(sql) });
  const claimStatements = new ClaimStatements(named);
  const notify = (c: Queryable, queue = "") => c.query("SELECT pg_notify($1, $2)", [r.channel, queue]);
  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw isConnectionError(error) ? connectionError(r.label, error, r.redact) : scrubError(error, r.redact);
    }
  };

  /** A write transaction on one connection. */
  const inTx = <T>(fn: (c: Queryable) => Promise<T>): Promise<T> => guard(() => transaction(pool, fn));

  /** Runs store rules in one transaction; wakes the runs they resolved and notifies once. */
  const write = <T>(now: number, body: (effects: Effects) => Program<T>): Promise<T> =>
    inTx(async (c) => {
      const effects = new Effects();
      const tx = createTx(c, S);
      const out = await runAsync(body(effects), tx);
      if (await runAsync(settle(effects, now), tx)) await notify(c);
      return out;
    });
  const rules = ruleMethods(write);
  const { drained: triggersDrained, ...triggers } = triggerMethods({ pool, channel: r.channel, named, guard, rulesCreateRuns: rules.createRuns });

  /** Expires runs past their ttl and fails runs whose lease expired with no attempts left (a claim saw some). */
  async function maintenance(now: number): Promise<void> {
    await write(now, (effects) => sweep(now, effects));
  }

  /** Claimed runs → claimed runs in claim order, with the stored steps of runs in `old` (started before). */
  async function withHistory(runs: RunRecord[], old: readonly string[], now: number): Promise<ClaimedRun[]> {
    runs.sort((a, b) => b.priority - a.priority || a.runAt - b.runAt || (a.id < b.id ? -1 : 1));
    if (old.length === 0) return runs.map((run) => ({ run, steps: [] }));
    const steps = await inTx(async (c) => {
      await runAsync(resolveDueTimers(old, now), createTx(c, S));
      return stepsByRun((await c.query<Row>(S(q.STEPS_OF_RUNS), [old])).rows.map(toStep));
    });
    return runs.map((run) => ({ run, steps: steps.get(run.id) ?? [] }));
  }

  const store: Store = {
    ...rules,
    ...triggers,
    name: `postgres:${r.label}`,

    migrate: onceUntilFailure(() => migrate(r)),

    async close() {
      if (closed) return;
      closed = true;
      await listener.close();
      await triggersDrained();
      await compacting;
      if (claimConn instanceof StickyConnection) claimConn.close();
      if (completeConn instanceof StickyConnection) completeConn.close();
      if (r.owned) await pool.end();
    },

    async upsertQueues({ queues: given }) {
      if (given.length === 0) return;
      // Rows locked in name order, as claims lock them (LOCK_QUEUES): processes starting together and
      // workers claiming meanwhile take the same locks in the same order. A deadlock PostgreSQL still
      // reports (e.g. with a user's own transaction) is retried: the upsert is idempotent.
      const queues = [...given].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const rate = queues.map((x) => x.rateLimit ?? null);
      await retryDeadlock(() =>
        guard(() =>
          pool.query(S(q.UPSERT_QUEUES), [
            queues.map((x) => x.name),
            queues.map((x) => x.concurrencyLimit),
            rate.map((x) => x?.limit ?? null),
            rate.map((x) => x?.periodMs ?? null),
            rate.map((x) => x?.perKey === true),
          ]),
        ),
      );
      limited.changed();
    },

    async claimRuns({ workerId, queues, taskIds = null, limit, leaseMs, now }) {
      if (limit <= 0) return [];
      if (taskIds !== null && taskIds.length === 0) return [];
      if (++claimsSinceCompaction >= CLAIMS_PER_COMPACTION) compact();
      const limitsRead = await limited.now();
      const { limits, names: limitedNames } = limitsRead;
      const lease = now + leaseMs;
      const statement = claimStatements.get(claimCap(limit), queues, taskIds, limitsRead, limitedNames);
      // Rows as arrays: hundreds of runs per claim, read without an intermediate object per row.
      const result = await guard(() => claimConn.query<unknown[]>(statement.query, [now, limit, workerId, lease]));
      const fields = result.fields;
      const first = result.rows[0];
      let runs: RunRecord[] = [];
      if (first !== undefined && first[statement.column(fields, "id")] !== null) {
        const read = statement.reader(fields);
        const known = { status: "running", workerId, leaseExpiresAt: lease, updatedAt: now } as const;
        runs = result.rows.map((row) => read(row, known));
      }
      const history: string[] = [...((first?.[statement.column(fields, "history")] as string[] | null | undefined) ?? [])];
      // Runs past their ttl or out of attempts were left alone by the claim: settle them now, so
      // they are expired or failed by the time this claim returns.
      const due = first?.[statement.column(fields, "due")] === true;
      releaseResult(result); // read: let its rows die young (rows.ts)
      if (due) await maintenance(now);
      const relevant = queues === null ? limitedNames : queues.filter((x) => limits.has(x));
      if (runs.length < limit && relevant.length > 0) {
        const more = await inTx((c) => claimLimited(c, S, { workerId, queues: relevant, taskIds, limit: limit - runs.length, lease, now }));
        for (const row of more) runs.push(toRun(row));
        history.push(...((more[0]?.["history"] as string[] | null) ?? []));
      }
      return runs.length === 0 ? [] : withHistory(runs, history, now);
    },

    async heartbeat({ workerId, runIds, leaseMs, now }) {
      if (runIds.length === 0) return [];
      const rows = await guard(() => pool.query<{ id: string }>(named("heartbeat", q.HEARTBEAT), [[...runIds], workerId, now + leaseMs]));
      return rows.rows.map((x) => x.id);
    },

    async releaseRuns({ workerId, runIds, now }) {
      if (runIds.length === 0) return;
      await inTx(async (c) => {
        const res = await c.query(S(q.RELEASE), [[...runIds], workerId, now]);
        if ((res.rowCount ?? 0) > 0) await notify(c);
      });
    },

    async completeRuns({ workerId, items, now }) {
      if (items.length === 0) return [];
      const res = await guard(() =>
        completeConn.query<CompleteRow>(named("complete", q.COMPLETE), [
          textArrayLiteral(items.map((x) => x.runId)),
          outputsJson(items),
          workerId,
          now,
          r.channel,
        ]),
      );
      const row = res.rows[0]!;
      // The statement resolves the parents' waits it can see, in its snapshot. A parent that was
      // suspending on a child at that moment committed its wait unseen, after reading the child
      // unfinished (its FOR SHARE read waited for nothing yet): a second look, in a new snapshot,
      // resolves those. Only runs with a parent pay for it.
      const children = row.children ?? [];
      if (children.length > 0) {
        const output = new Map(items.map((x) => [x.runId, x.output]));
        const parents = row.parents!;
        const finished = children.map((id, i) => ({ id, parentRunId: parents[i]!, status: "completed" as const, output: output.get(id) ?? null, error: null }));
        await retryDeadlock(() => write(now, (effects) => afterFinish(finished, now, effects)));
      }
      return Number(row.n) === items.length ? items.map((x) => x.runId) : (row.ids ?? []);
    },

    async saveStep({ workerId, runId, step }) {
      const res = await guard(() =>
        pool.query<{ held: string }>(S(q.SAVE_STEP), [
          runId,
          workerId,
          step.key,
          step.parentKey,
          step.kind,
          step.status,
          step.output,
          step.error,
          step.attempts,
          step.startedAt,
          step.finishedAt,
          step.childRunId,
        ]),
      );
      return Number(res.rows[0]?.held ?? 0) > 0;
    },

    ...wrapQueries(queries, guard),
    ...wrapQueries(eventTokenQueries(r), guard),

    subscribe(listener_) {
      return listener.subscribe(listener_);
    },
  };
  return store;
}

/** Runs `fn` again when PostgreSQL broke a deadlock by aborting it (a lock-order race with a suspend). */
async function retryDeadlock<T>(fn: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await fn();
    } catch (error) {
      if (tries >= 5 || (error as { code?: unknown } | null)?.code !== "40P01") throw error;
    }
  }
}

function wrapQueries<T extends object>(queries: T, guard: <R>(fn: () => Promise<R>) => Promise<R>): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(queries)) {
    out[name] = (...args: unknown[]) => guard(() => (fn as (...a: unknown[]) => Promise<unknown>)(...args));
  }
  return out as T;
}

/** `{ runId: outputJsonText, … }` as JSON text (outputs travel as strings, stored verbatim). */
function outputsJson(items: readonly { readonly runId: string; readonly output: string }[]): string {
  const map: Record<string, string> = {};
  for (const x of items) map[x.runId] = x.output;
  return JSON.stringify(map);
}
