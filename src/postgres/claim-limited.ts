/**
 * The claim from queues with a concurrency or rate limit (PostgreSQL): in a transaction that locks
 * their `queues` rows, so the limits hold across every process. Without a rate limit among them,
 * nothing about rates is read or written. Claims from the other queues are one statement
 * (claim-sql.ts); the store calls this one for what they left.
 */
import { pickUnderLimits, RateWindow, rateWindowOf, Slots, type RateStart } from "../store/rules/index.ts";
import type { Queryable } from "./driver.ts";
import * as q from "./sql.ts";

type Row = Record<string, unknown>;

interface LockedQueueRow {
  name: string;
  concurrency_limit: number | null;
  rate_limit: number | null;
  rate_period_ms: string | null;
  rate_per_key: boolean;
}

/** What a limited claim asks for. */
export interface LimitedClaim {
  readonly workerId: string;
  /** The limited queues to claim from (their rows are locked in name order). */
  readonly queues: readonly string[];
  /** The task ids the worker claims (routing), or null for every task. */
  readonly taskIds: readonly string[] | null;
  readonly limit: number;
  /** The lease's end (ms since the epoch). */
  readonly lease: number;
  readonly now: number;
}

/** The rate limits among the locked queues, or null when none has one. */
function rateWindow(rows: readonly LockedQueueRow[], now: number): RateWindow | null {
  const queues = rows.map((x) => ({ name: x.name, limit: x.rate_limit, periodMs: x.rate_period_ms === null ? null : Number(x.rate_period_ms), perKey: x.rate_per_key }));
  return rateWindowOf(queues, now);
}

/** Claims under the limits on `c`, a connection inside the caller's transaction; the claimed rows. `S` puts in the schema. */
export async function claimLimited(c: Queryable, S: (sql: string) => string, a: LimitedClaim): Promise<Row[]> {
  const { workerId, queues, taskIds, limit, lease, now } = a;
  const locked = (await c.query<LockedQueueRow>(S(q.LOCK_QUEUES), [queues])).rows;
  const limits = new Map(locked.filter((x) => x.concurrency_limit !== null).map((x) => [x.name, x.concurrency_limit!]));
  const running = (await c.query<{ queue: string; concurrency_key: string | null; n: string }>(S(q.RUNNING_COUNTS), [queues])).rows;
  const slots = new Slots(limits, running.map((x) => ({ queue: x.queue, concurrencyKey: x.concurrency_key, n: Number(x.n) })));
  const candidates = (
    await c.query<{ id: string; queue: string; concurrency_key: string | null; status: string }>(S(q.LIMITED_CANDIDATES), [
      now,
      queues,
      Math.max(limit * 4, 64),
      taskIds === null ? null : [...taskIds],
    ])
  ).rows.map((x) => ({ ...x, concurrencyKey: x.concurrency_key }));
  const rates = rateWindow(locked, now);
  if (rates !== null) {
    const groups = rates.missing(candidates);
    if (groups.length > 0) {
      const starts = await c.query<RateStart>(S(q.RATE_STARTS), [groups.map((g) => g.queue), groups.map((g) => g.key), now]);
      rates.load(groups, starts.rows.map((x) => ({ ...x, startedAt: Number(x.startedAt) })));
    }
  }
  const chosen = pickUnderLimits(candidates, slots, limit, [], rates).map((x) => x.id);
  if (rates !== null) await recordRates(c, S, rates);
  if (chosen.length === 0) return [];
  return (await c.query<Row>(S(q.MARK_CLAIMED), [chosen, workerId, lease, now])).rows;
}

/** Stores what the rate limits decided: the claims made, the runs held back, the claims out of their window. */
async function recordRates(c: Queryable, S: (sql: string) => string, rates: RateWindow): Promise<void> {
  const horizons = rates.horizons();
  const held = [...rates.held];
  await c.query(S(q.RECORD_RATES), [
    rates.started.map((x) => x.queue),
    rates.started.map((x) => x.key),
    rates.started.map((x) => x.startedAt),
    held.map(([id]) => id),
    held.map(([, at]) => at),
    horizons.map((h) => h.queue),
    horizons.map((h) => h.since),
  ]);
}
