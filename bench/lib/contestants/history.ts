/**
 * Errand on SQLite with a long history of finished runs (bench/history.bench.ts): fills a database
 * with finished runs, drains new runs with the defaults, times stats() and the dashboard pages, and
 * prunes the history while a worker runs.
 */
import Database from "better-sqlite3";
import { createEngine, defineTask } from "../../../src/index.ts";
import { sqliteStore } from "../../../src/sqlite/index.ts";
import { RECOUNT } from "../../../src/sqlite/counts.ts";
import { createDashboard } from "../../../src/dashboard/index.ts";
import type { Engine } from "../../../src/engine/types.ts";
import { median, percentile } from "../stats.ts";
import { deferred, waitUntil } from "../wait.ts";
import { noopPayload, rate, type Rate } from "./types.ts";

export const TASKS = ["send-email", "build-report", "sync-crm", "resize-image"] as const;
const DAY = 86_400_000;

/**
 * Writes `n` finished runs (1 % failed, the rest completed, finished over the last 30 days) into a
 * fresh database at `path` the fast way — one INSERT … SELECT — as a long-lived database would hold
 * them, and sets the store's run counts from them (as its migration does for an old database).
 */
export async function fill(a: { path: string; n: number }): Promise<{ ms: number }> {
  const t0 = performance.now();
  const store = sqliteStore({ path: a.path });
  await store.migrate();
  await store.close();
  const db = new Database(a.path);
  const end = Date.now() - 60_000;
  const step = Math.max(1, Math.floor((30 * DAY) / a.n));
  const start = end - step * a.n;
  db.exec("BEGIN");
  db.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < @n - 1),
     t(i, at) AS (SELECT i, @start + i * @step FROM n)
     INSERT INTO runs (id, task_id, queue, status, payload, output, error, priority, run_at, created_at, updated_at,
       started_at, finished_at, attempt, max_attempts, tags)
     SELECT printf('%08x-%04x-7%03x-8%03x-%012x', at >> 16, at & 65535, i & 4095, i % 4096, i),
       CASE i % 4 WHEN 0 THEN 'send-email' WHEN 1 THEN 'build-report' WHEN 2 THEN 'sync-crm' ELSE 'resize-image' END,
       'default', CASE WHEN i % 100 = 7 THEN 'failed' ELSE 'completed' END,
       json_object('i', i, 'user', 'u' || i), CASE WHEN i % 100 = 7 THEN NULL ELSE 'null' END,
       CASE WHEN i % 100 = 7 THEN '{"name":"Error","message":"boom"}' END,
       0, at - 40, at - 40, at, at - 20, at, 1, 3, '[]'
     FROM t`,
  ).run({ n: a.n, start, step });
  db.exec(RECOUNT); // the counts and their marker, as the store rebuilds them
  db.exec("COMMIT");
  db.close();
  return { ms: performance.now() - t0 };
}

function open(path: string, run: () => void = () => {}): Engine {
  const tasks = TASKS.map((id) => defineTask({ id, run: (_p: { i: number; user: string }) => (run(), null) }));
  return createEngine({ store: sqliteStore({ path }), tasks });
}

async function triggerAll(engine: Engine, n: number): Promise<void> {
  const task = engine.tasks.get("send-email")!;
  for (let i = 0; i < n; i += 1000) {
    const items = Array.from({ length: Math.min(1000, n - i) }, (_, j) => noopPayload(i + j));
    await engine.batchTrigger(task as never, items as never);
  }
}

/** No-op runs/s with the defaults (concurrency 24): `n` runs triggered, then drained; timed from the first start until all are completed. */
export async function drain(a: { path: string; n: number }): Promise<Rate> {
  let handled = 0;
  let t0 = 0;
  const all = deferred();
  const engine = open(a.path, () => {
    if (handled++ === 0) t0 = performance.now();
    if (handled === a.n) all.resolve();
  });
  await engine.store.migrate();
  const before = (await engine.runs.stats()).byStatus.completed;
  await triggerAll(engine, a.n);
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

export interface Timing {
  readonly name: string;
  readonly median: number;
  readonly p95: number;
}

/** Median and p95 of `stats()`, the overview page and runs pages (in-process fetch handler), `reps` each. */
export async function views(a: { path: string; reps: number }): Promise<Timing[]> {
  const engine = open(a.path);
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
  ];
  await engine.close();
  return out;
}

/** Gaps between the ticks of a 5 ms timer (how long the event loop was kept from running it). */
function loopGaps(): { stop(): number[] } {
  const gaps: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 5);
  return {
    stop() {
      clearInterval(timer);
      return gaps;
    },
  };
}

export interface PruneResult {
  readonly deleted: number;
  readonly ms: number;
  /** Event-loop gaps (p99 / max, ms) while the worker drains alone, then during the prune. */
  readonly alone: { readonly p99: number; readonly max: number };
  readonly pruning: { readonly p99: number; readonly max: number };
  readonly completedDuring: number;
}

/**
 * Prunes every finished run while a worker drains `n` new runs: how long the prune took, the gaps of
 * the event loop during it (against the gaps while the worker ran alone for a second before), and how
 * many runs the worker completed meanwhile.
 */
export async function prune(a: { path: string; n: number }): Promise<PruneResult> {
  let handled = 0;
  const engine = open(a.path, () => void handled++);
  await engine.store.migrate();
  await triggerAll(engine, a.n);
  const worker = engine.worker({ concurrency: 24 });
  const summary = (gaps: number[]) => ({ p99: percentile(gaps, 99), max: Math.max(0, ...gaps) });
  try {
    await worker.start();
    const calm = loopGaps();
    await new Promise((r) => setTimeout(r, 1000));
    const alone = summary(calm.stop());
    const during = loopGaps();
    const t0 = performance.now();
    const before = handled;
    const deleted = await engine.prune({ olderThanMs: 1 });
    const ms = performance.now() - t0;
    return { deleted, ms, alone, pruning: summary(during.stop()), completedDuring: handled - before };
  } finally {
    await worker.stop();
    await engine.close();
  }
}
