/**
 * Drains for bench/pg-cpu.ts: `n` no-op jobs enqueued and ANALYZEd, then `ready` is sent; on `go` the
 * contestant drains them at concurrency 24 (Errand with its defaults, graphile-worker batched) and
 * returns the drain's wall time and this process's CPU time for the drain alone (enqueue excluded).
 * After the drain it sends `drained` and waits for `finish` before closing its connections.
 */
import { run, makeWorkerUtils, Logger } from "graphile-worker";
import pg from "pg";
import type { Channel } from "../child.ts";
import { analyze } from "../pg-analyze.ts";
import { deferred, waitUntil } from "../wait.ts";
import { loadErrand } from "./errand-load.ts";
import { noopPayload } from "./types.ts";

export interface DrainCpu {
  readonly n: number;
  readonly ms: number;
  /** CPU time (user + system) of this process from `go` until every job was recorded finished. */
  readonly cpuMs: number;
}

interface Args {
  readonly url: string;
  readonly n: number;
}

/** Times `start` → all handled → `finished()` true, with this process's CPU time. */
async function timed(n: number, channel: Channel, handled: Promise<void>, start: () => Promise<void>, finished: () => Promise<boolean>): Promise<DrainCpu> {
  channel.send({ type: "ready" });
  await channel.next("go");
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await start();
  await handled;
  await waitUntil("every job to be recorded finished", finished, { everyMs: 2 });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // The parent reads the server's counters now, while this process's connections are still open
  // (a backend that exits takes its CPU time out of the server's reading until it is reaped).
  channel.send({ type: "drained" });
  await channel.next("finish");
  return { n, ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

export async function errand(a: Args, channel: Channel): Promise<DrainCpu> {
  const api = await loadErrand("postgres");
  const all = deferred();
  let seen = 0;
  const task = api.defineTask<{ i: number }, null>({
    id: "noop",
    run: () => {
      if (++seen === a.n) all.resolve();
      return null;
    },
  });
  const engine = api.createEngine({ store: api.postgresStore({ connectionString: a.url, maxConnections: 25 }), tasks: [task] });
  await engine.store.migrate();
  for (let i = 0; i < a.n; i += 1000) {
    await engine.batchTrigger(task, Array.from({ length: Math.min(1000, a.n - i) }, (_, j) => noopPayload(i + j)));
  }
  await analyze(a.url);
  const worker = engine.worker({ concurrency: 24, pollIntervalMs: 1000 });
  try {
    return await timed(a.n, channel, all.promise, () => worker.start(), async () => (await engine.runs.stats()).byStatus.completed >= a.n);
  } finally {
    await worker.stop();
    await engine.close();
  }
}

export async function graphile(a: Args, channel: Channel): Promise<DrainCpu> {
  const logger = new Logger(() => () => {});
  const utils = await makeWorkerUtils({ connectionString: a.url, logger });
  await utils.migrate();
  for (let i = 0; i < a.n; i += 1000) {
    await utils.addJobs(Array.from({ length: Math.min(1000, a.n - i) }, (_, j) => ({ identifier: "noop", payload: noopPayload(i + j) })));
  }
  await utils.release();
  await analyze(a.url);
  const all = deferred();
  let seen = 0;
  const client = new pg.Client({ connectionString: a.url });
  await client.connect();
  let runner: { stop(): Promise<void> } | null = null;
  const start = async () => {
    runner = await run({
      connectionString: a.url,
      concurrency: 24,
      maxPoolSize: 25,
      logger,
      noHandleSignals: true,
      pollInterval: 1000,
      preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
      taskList: {
        noop: async () => {
          if (++seen === a.n) all.resolve();
        },
      },
    });
  };
  const finished = async () => Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM graphile_worker._private_jobs")).rows[0]?.n ?? 1) === 0;
  try {
    return await timed(a.n, channel, all.promise, start, finished);
  } finally {
    await client.end();
    await (runner as { stop(): Promise<void> } | null)?.stop();
  }
}
