/**
 * pg-boss 10 (npm) as a bench contestant. Concurrency 24 is 24 `work()` loops on one queue (v10 has no
 * per-worker concurrency option); each loop fetches `batchSize` jobs, hands them to the handler as one
 * array and completes them in one statement. A v10 loop that found jobs still waits out the rest of its
 * polling interval (minimum 0.5 s) before fetching again, so the batch size is what sets its
 * throughput; bench/queue-postgres.bench.ts uses the batch size that was fastest on our machine.
 * The tables are ANALYZEd after the jobs are inserted (as for every PostgreSQL contestant): without
 * statistics, pg-boss's completion `UPDATE … WHERE id IN (SELECT UNNEST($2))` on a fresh table takes
 * seconds per batch, which is not what a production table (analysed by autovacuum) sees.
 * Maintenance and cron supervision are off (they only add load); the pool has concurrency + 1 connections.
 */
import PgBoss from "pg-boss";
import pg from "pg";
import { deferred, waitUntil } from "../wait.ts";
import { rate, noopPayload, type Rate } from "./types.ts";
import { analyze } from "../pg-analyze.ts";

async function completed(client: pg.Client): Promise<number> {
  const r = await client.query<{ n: string }>("SELECT count(*) AS n FROM pgboss.job WHERE name = 'noop' AND state = 'completed'");
  return Number(r.rows[0]?.n ?? 0);
}

/** No-op jobs/s: `n` jobs inserted first, then `concurrency` work loops drain them; timed from the first batch until every job is `completed`. */
export async function throughput(a: { url: string; n: number; concurrency: number; batchSize: number }): Promise<Rate> {
  const boss = new PgBoss({ connectionString: a.url, max: a.concurrency + 1, supervise: false, schedule: false });
  boss.on("error", (e: unknown) => console.error("pg-boss:", e));
  await boss.start();
  await boss.createQueue("noop");
  for (let i = 0; i < a.n; i += 1000) {
    const jobs = [];
    for (let j = i; j < Math.min(a.n, i + 1000); j++) jobs.push({ name: "noop", data: noopPayload(j) });
    await boss.insert(jobs);
  }
  await analyze(a.url);
  let handled = 0;
  let t0 = 0;
  const all = deferred();
  const client = new pg.Client({ connectionString: a.url });
  await client.connect();
  try {
    for (let w = 0; w < a.concurrency; w++) {
      await boss.work("noop", { batchSize: a.batchSize, pollingIntervalSeconds: 0.5 }, async (jobs) => {
        if (handled === 0) t0 = performance.now();
        handled += jobs.length;
        if (handled >= a.n) all.resolve();
      });
    }
    await all.promise;
    await waitUntil("pg-boss to complete every job", async () => (await completed(client)) >= a.n, { everyMs: 1 });
    return rate(a.n, performance.now() - t0);
  } finally {
    await client.end();
    await boss.stop({ graceful: false, wait: true, timeout: 5000 });
  }
}
