/**
 * Errand on PostgreSQL with a long history of finished runs (bench/history-postgres.bench.ts): fills a
 * database with finished runs, drains new runs with the defaults, times stats() and the dashboard
 * pages, and prunes the history while a worker runs. The same workloads as the SQLite history bench
 * (contestants/history.ts).
 */
import pg from "pg";
import { createEngine, defineTask } from "../../../src/index.ts";
import { postgresStore } from "../../../src/postgres/index.ts";
import { countFinished } from "../../../src/postgres/counts.ts";
import { createDashboard } from "../../../src/dashboard/index.ts";
import type { Engine } from "../../../src/engine/types.ts";
import { median, percentile } from "../stats.ts";
import { deferred, waitUntil } from "../wait.ts";
import { TASKS, type PruneResult, type Timing } from "./history.ts";
import { noopPayload, rate, type Rate } from "./types.ts";

const DAY = 86_400_000;

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Writes `n` finished runs (1 % failed, 1 % tagged, the rest completed, finished over the last 30
 * days, spread over 4 tasks) into the database at `url` the fast way — one INSERT … SELECT — as a
 * long-lived database would hold them (in the history table, runs_done); sets the store's counters from them (as its migration does
 * for an old database) and VACUUM ANALYZEs (as autovacuum would have).
 */
export async function fill(a: { url: string; n: number }): Promise<{ ms: number }> {
  const t0 = performance.now();
  const store = postgresStore({ connectionString: a.url });
  await store.migrate();
  await store.close();
  const end = Date.now() - 60_000;
  const step = Math.max(1, Math.floor((30 * DAY) / a.n));
  await withClient(a.url, async (c) => {
    await c.query(
      `INSERT INTO errand.runs_done (id, task_id, queue, status, payload, output, error, priority, run_at, created_at, updated_at,
         started_at, finished_at, attempt, max_attempts, tags)
       SELECT lpad(to_hex(at), 12, '0') || '-7' || lpad(to_hex(i % 4096), 3, '0') || '-8' || lpad(to_hex(i % 4096), 3, '0') || '-' || lpad(to_hex(i), 12, '0'),
         (ARRAY['send-email', 'build-report', 'sync-crm', 'resize-image'])[i % 4 + 1], 'default',
         CASE WHEN i % 100 = 7 THEN 'failed' ELSE 'completed' END,
         json_build_object('i', i, 'user', 'u' || i)::text, CASE WHEN i % 100 = 7 THEN NULL ELSE 'null' END,
         CASE WHEN i % 100 = 7 THEN '{"name":"Error","message":"boom"}' END,
         0, at - 40, at - 40, at, at - 20, at, 1, 3, CASE WHEN i % 100 = 3 THEN ARRAY['tenant:acme'] ELSE '{}' END
       FROM (SELECT i, $1::bigint + i * $2::bigint AS at FROM generate_series(0, $3::bigint - 1) AS i) AS t`,
      [end - step * a.n, step, a.n],
    );
    await c.query("DELETE FROM errand.run_counts; DELETE FROM errand.run_minutes");
    await c.query("INSERT INTO errand.run_counts (queue, status, n) SELECT queue, status, count(*) FROM errand.runs_done GROUP BY 1, 2");
    await c.query(countFinished("errand.runs_done").replaceAll(":S.", "errand."));
    await c.query("VACUUM ANALYZE");
  });
  return { ms: performance.now() - t0 };
}

function open(url: string, run: () => void = () => {}): Engine {
  const tasks = TASKS.map((id) => defineTask({ id, run: (_p: { i: number; user: string }) => (run(), null) }));
  return createEngine({ store: postgresStore({ connectionString: url, maxConnections: 25 }), tasks });
}

async function triggerAll(engine: Engine, n: number): Promise<void> {
  const task = engine.tasks.get("send-email")!;
  for (let i = 0; i < n; i += 1000) {
    const items = Array.from({ length: Math.min(1000, n - i) }, (_, j) => noopPayload(i + j));
    await engine.batchTrigger(task as never, items as never);
  }
}

/** No-op runs/s with the defaults (concurrency 24): `n` runs triggered and ANALYZEd, then drained; timed from the first start until all are completed. */
export async function drain(a: { url: string; n: number }): Promise<Rate> {
  let handled = 0;
  let t0 = 0;
  const all = deferred();
  const engine = open(a.url, () => {
    if (handled++ === 0) t0 = performance.now();
    if (handled === a.n) all.resolve();
  });
  await engine.store.migrate();
  const before = (await engine.runs.stats()).byStatus.completed;
  await triggerAll(engine, a.n);
  await withClient(a.url, (c) => c.query("ANALYZE errand.runs"));
  const worker = engine.worker({ concurrency: 24 });
  try {
    await worker.start();
    await all.promise;
    await waitUntil("every run completed", async () => (await engine.runs.stats()).byStatus.completed >= before + a.n, { everyMs: 1 });
    return rate(a.n, performance.now() - t0);
  } finally {
    await worker.stop();
    await engine.close();
  }
}

/** Median and p95 of `stats()`, the overview page and runs pages (in-process fetch handler), `reps` each. */
export async function views(a: { url: string; reps: number }): Promise<Timing[]> {
  const engine = open(a.url);
  await engine.store.migrate();
  await triggerAll(engine, 1000); // a backlog beside the history
  const dashboard = createDashboard({ engine });
  const time = async (name: string, fn: () => Promise<unknown>): Promise<Timing> => {
    const samples: number[] = [];
    for (let i = 0; i < a.reps + 2; i++) {
      const start = performance.now();
      await fn();
      if (i >= 2) samples.push(performance.now() - start);
    }
    return { name, median: median(samples), p95: percentile(samples, 95) };
  };
  const page = (path: string) => async () => {
    const res = await dashboard.fetch(new Request(`http://bench.local${path}`));
    const body = await res.text();
    if (res.status !== 200) throw new Error(`bench: GET ${path} answered ${res.status}: ${body.slice(0, 200)}`);
  };
  const out = [
    await time("stats()", () => engine.runs.stats()),
    await time("overview page", page("/")),
    await time("runs page", page("/runs")),
    await time("runs page, status failed", page("/runs?status=failed")),
    await time("runs page, status queued", page("/runs?status=queued")),
    await time("runs page, status completed", page("/runs?status=completed")),
    await time("runs page, task filter", page("/runs?task=sync-crm")),
    await time("runs page, tag filter", page(`/runs?tag=${encodeURIComponent("tenant:acme")}`)),
  ];
  await engine.close();
  return out;
}

/** Runs/s of a worker over a window, and how long the prune took. */
export interface PgPruneResult extends PruneResult {
  /** Runs/s the worker completed while the prune ran, and over the second before it. */
  readonly perSecDuring: number;
  readonly perSecAlone: number;
}

/**
 * Prunes every finished run while a worker drains a backlog kept topped up (≥ 5,000 runs): how long
 * the prune took, the gaps of the event loop during it, and the worker's runs/s meanwhile against
 * the two seconds before it.
 */
export async function prune(a: { url: string }): Promise<PgPruneResult> {
  let handled = 0;
  let triggered = 0;
  const engine = open(a.url, () => void handled++);
  await engine.store.migrate();
  let feeding = true;
  const feed = (async () => {
    while (feeding) {
      if (triggered - handled < 5000) {
        await triggerAll(engine, 1000);
        triggered += 1000;
      } else await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const worker = engine.worker({ concurrency: 24 });
  const gaps = (): { stop(): number[] } => {
    const out: number[] = [];
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      out.push(now - last);
      last = now;
    }, 5);
    return {
      stop() {
        clearInterval(timer);
        return out;
      },
    };
  };
  const summary = (g: number[]) => ({ p99: percentile(g, 99), max: Math.max(0, ...g) });
  try {
    await worker.start();
    await waitUntil("the worker to start", () => handled > 0, { everyMs: 1 });
    const calm = gaps();
    const b0 = handled;
    const c0 = performance.now();
    await new Promise((r) => setTimeout(r, 2000));
    const perSecAlone = ((handled - b0) * 1000) / (performance.now() - c0);
    const alone = summary(calm.stop());
    const during = gaps();
    const t0 = performance.now();
    const before = handled;
    const deleted = await engine.prune({ olderThanMs: 1 });
    const ms = performance.now() - t0;
    const completedDuring = handled - before;
    return { deleted, ms, alone, pruning: summary(during.stop()), completedDuring, perSecDuring: (completedDuring * 1000) / ms, perSecAlone };
  } finally {
    feeding = false;
    await feed;
    await worker.stop();
    await engine.close();
  }
}
