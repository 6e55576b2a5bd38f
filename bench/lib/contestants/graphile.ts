/**
 * graphile-worker 0.17 (npm) as a bench contestant. "Batched" is the configuration its performance
 * page documents for its headline figures (local queue of 500, completeJobBatchDelay 0,
 * failJobBatchDelay 0, concurrency 24, pool 25); "unbatched" is its default (one fetch and one
 * completion per job). Logging is silenced; migrations run before timing starts.
 */
import { run, makeWorkerUtils, Logger, type Runner, type RunnerOptions } from "graphile-worker";
import pg from "pg";
import { deferred, nowMs, waitUntil } from "../wait.ts";
import { percentile } from "../stats.ts";
import { openLoop } from "../open-loop.ts";
import { analyze } from "../pg-analyze.ts";
import { rate, noopPayload, type Latencies, type Rate } from "./types.ts";

const silentLogger = new Logger(() => () => {});

function runnerOptions(url: string, concurrency: number, batched: boolean): RunnerOptions {
  return {
    connectionString: url,
    concurrency,
    maxPoolSize: concurrency + 1,
    logger: silentLogger,
    noHandleSignals: true,
    pollInterval: 1000,
    ...(batched ? { preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } } } : {}),
  };
}

async function addAll(url: string, n: number): Promise<void> {
  const utils = await makeWorkerUtils({ connectionString: url, logger: silentLogger });
  try {
    await utils.migrate();
    for (let i = 0; i < n; i += 1000) {
      const specs = [];
      for (let j = i; j < Math.min(n, i + 1000); j++) specs.push({ identifier: "noop", payload: noopPayload(j) });
      await utils.addJobs(specs);
    }
  } finally {
    await utils.release();
  }
}

async function jobsLeft(client: pg.Client): Promise<number> {
  const r = await client.query<{ n: string }>("SELECT count(*) AS n FROM graphile_worker._private_jobs");
  return Number(r.rows[0]?.n ?? 0);
}

/** No-op jobs/s: `n` jobs added first, then one runner drains them; timed from the first job's start until every job row is gone. */
export async function throughput(a: { url: string; n: number; concurrency: number; batched: boolean }): Promise<Rate> {
  await addAll(a.url, a.n);
  await analyze(a.url);
  let handled = 0;
  let t0 = 0;
  const all = deferred();
  const runner: Runner = await run({
    ...runnerOptions(a.url, a.concurrency, a.batched),
    taskList: {
      noop: async () => {
        if (handled++ === 0) t0 = performance.now();
        if (handled === a.n) all.resolve();
      },
    },
  });
  const client = new pg.Client({ connectionString: a.url });
  await client.connect();
  try {
    await all.promise;
    await waitUntil("graphile-worker to complete every job", async () => (await jobsLeft(client)) === 0, { everyMs: 1 });
    const ms = performance.now() - t0;
    return rate(a.n, ms);
  } finally {
    await client.end();
    await runner.stop();
  }
}

/** Enqueue rows/s: `addJob` one at a time, awaited (`single`), or `addJobs` of `batch` jobs (`bulk`). */
export async function enqueue(a: { url: string; n: number; mode: "single" | "bulk"; batch: number; warmup?: number }): Promise<Rate> {
  const utils = await makeWorkerUtils({ connectionString: a.url, logger: silentLogger });
  const load = async (from: number, n: number): Promise<void> => {
    if (a.mode === "single") {
      for (let i = from; i < from + n; i++) await utils.addJob("noop", noopPayload(i));
    } else {
      for (let i = 0; i < n; i += a.batch) {
        const specs = [];
        for (let j = i; j < Math.min(n, i + a.batch); j++) specs.push({ identifier: "noop", payload: noopPayload(from + j) });
        await utils.addJobs(specs);
      }
    }
  };
  try {
    await utils.migrate();
    await utils.addJob("warmup", {});
    await load(-1 - (a.warmup ?? 0), a.warmup ?? 0);
    const t0 = performance.now();
    await load(0, a.n);
    return rate(a.n, performance.now() - t0);
  } finally {
    await utils.release();
  }
}

/**
 * Trigger→start latency, open loop: `addJob` is called every 1000/perSec ms on its own schedule
 * (never waiting for earlier jobs), and each job records now − the time its addJob was called.
 * The runner uses graphile-worker's default (unbatched) configuration, its lowest-latency one.
 */
export async function latency(a: { url: string; n: number; perSec: number; warmup: number }): Promise<Latencies> {
  const utils = await makeWorkerUtils({ connectionString: a.url, logger: silentLogger });
  await utils.migrate();
  const samples: number[] = [];
  const total = a.n + a.warmup;
  let seen = 0;
  const all = deferred();
  const runner = await run({
    ...runnerOptions(a.url, 24, false),
    taskList: {
      noop: async (payload) => {
        const d = nowMs() - (payload as { t: number }).t;
        if ((payload as { i: number }).i >= a.warmup) samples.push(d);
        if (++seen === total) all.resolve();
      },
    },
  });
  try {
    await openLoop(total, a.perSec, (i) => void utils.addJob("noop", { i, t: nowMs() }));
    await all.promise;
  } finally {
    await runner.stop();
    await utils.release();
  }
  return { n: samples.length, targetPerSec: a.perSec, p50: percentile(samples, 50), p99: percentile(samples, 99), max: Math.max(...samples) };
}
