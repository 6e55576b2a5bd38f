/**
 * Errand as a bench contestant, on SQLite (a better-sqlite3 handle opened here in WAL mode with the
 * `synchronous` level under test, handed to `sqliteStore({ database })`) or PostgreSQL
 * (`postgresStore({ connectionString })`). Same workloads as the peers: no-op runs, pre-enqueued.
 */
import Database from "better-sqlite3";
import type { Engine, Task } from "../../../src/engine/types.ts";
import type { Store } from "../../../src/store/types.ts";
import { loadErrand, type ErrandApi } from "./errand-load.ts";
import { deferred, nowMs, memoryAfterGcMiB, memoryAtRestMiB, waitUntil, type MemoryReading, type RestReading } from "../wait.ts";
import { percentile } from "../stats.ts";
import { openLoop } from "../open-loop.ts";
import { analyze } from "../pg-analyze.ts";
import { runInChild, type Channel } from "../child.ts";
import { rate, noopPayload, type Latencies, type Rate } from "./types.ts";

export type Synchronous = "NORMAL" | "FULL";

/** Where the runs live: a SQLite file with a `synchronous` level, or a PostgreSQL database. */
export type Target =
  | { readonly kind: "sqlite"; readonly path: string; readonly synchronous: Synchronous }
  | { readonly kind: "postgres"; readonly url: string };

interface Opened {
  readonly api: ErrandApi;
  readonly engine: Engine;
  readonly task: Task<{ i: number; t?: number }, null>;
  /** The `synchronous` level actually in force on the SQLite connection (checked, not assumed). */
  readonly synchronous: string | null;
  /** Closes the engine, then the SQLite handle opened here (the store does not own it). */
  close(): Promise<void>;
}

const SYNC_NAMES = ["OFF", "NORMAL", "FULL", "EXTRA"];

async function open(target: Target, run: (p: { i: number; t?: number }) => void): Promise<Opened> {
  const api = await loadErrand(target.kind);
  let store: Store;
  let db: Database.Database | null = null;
  if (target.kind === "sqlite") {
    db = new Database(target.path);
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${target.synchronous}`);
    store = api.sqliteStore({ database: db, synchronous: target.synchronous });
  } else {
    store = api.postgresStore({ connectionString: target.url, maxConnections: 25 });
  }
  const task = api.defineTask<{ i: number; t?: number }, null>({
    id: "noop",
    run: (p) => {
      run(p);
      return null;
    },
  });
  const engine = api.createEngine({ store, tasks: [task] });
  await engine.store.migrate();
  let synchronous: string | null = null;
  if (db !== null) {
    await engine.runs.stats(); // the store has applied its own settings by now: check, do not assume
    synchronous = SYNC_NAMES[db.pragma("synchronous", { simple: true }) as number] ?? "?";
  }
  const close = async (): Promise<void> => {
    await engine.close();
    db?.close();
  };
  return { api, engine, task, synchronous, close };
}

/** `{ prefetch }` when asked for (the option is newer than the first engine; 0/undefined = the default). */
function prefetchOption(prefetch: number | undefined): { prefetch?: number } {
  return prefetch === undefined || prefetch === 0 ? {} : { prefetch };
}

async function triggerAll(engine: Engine, task: Task<{ i: number }, null>, n: number, batch = 1000, from = 0): Promise<void> {
  for (let i = 0; i < n; i += batch) {
    const items: { i: number }[] = [];
    for (let j = i; j < Math.min(n, i + batch); j++) items.push(noopPayload(from + j));
    await engine.batchTrigger(task, items);
  }
}

async function completed(engine: Engine): Promise<number> {
  return (await engine.runs.stats()).byStatus.completed;
}

/** No-op runs/s: `n` runs triggered first, then one worker (`concurrency`) drains them; timed from the first run's start until all are `completed`. */
export async function throughput(a: { target: Target; n: number; concurrency: number; prefetch?: number }): Promise<Rate & { synchronous: string | null }> {
  let handled = 0;
  let t0 = 0;
  const all = deferred();
  const { engine, task, synchronous, close } = await open(a.target, () => {
    if (handled++ === 0) t0 = performance.now();
    if (handled === a.n) all.resolve();
  });
  await triggerAll(engine, task, a.n);
  if (a.target.kind === "postgres") await analyze(a.target.url);
  const worker = engine.worker({ concurrency: a.concurrency, pollIntervalMs: 1000, ...prefetchOption(a.prefetch) });
  try {
    await worker.start();
    await all.promise;
    await waitUntil("Errand to complete every run", async () => (await completed(engine)) >= a.n, { everyMs: 1 });
    return { ...rate(a.n, performance.now() - t0), synchronous };
  } finally {
    await worker.stop();
    await close();
  }
}

/**
 * Trigger rows/s: `trigger` one at a time, awaited (`single`), or `batchTrigger` of `batch` runs (`bulk`).
 * The first `warmup` rows go the same way untimed (every contestant of the bench does the same).
 */
export async function enqueue(a: { target: Target; n: number; mode: "single" | "bulk"; batch: number; warmup?: number }): Promise<Rate> {
  const { engine, task, close } = await open(a.target, () => {});
  const load = async (from: number, n: number): Promise<void> => {
    if (a.mode === "single") {
      for (let i = from; i < from + n; i++) await engine.trigger(task, noopPayload(i));
    } else {
      await triggerAll(engine, task, n, a.batch, from);
    }
  };
  try {
    await engine.trigger(task, { i: -1 }); // the engine's start (migrations, queues), as graphile-worker's migrate
    await load(-2 - (a.warmup ?? 0), a.warmup ?? 0);
    const t0 = performance.now();
    await load(0, a.n);
    return rate(a.n, performance.now() - t0);
  } finally {
    await close();
  }
}

/**
 * Trigger→start latency, open loop at `perSec`: `engine.trigger` is called on a fixed schedule from
 * this process while a worker (concurrency 24) runs here too; each run records now − the time its
 * trigger was called. The first `warmup` runs are not counted.
 */
export async function latency(a: { target: Target; n: number; perSec: number; warmup: number }): Promise<Latencies> {
  const samples: number[] = [];
  const total = a.n + a.warmup;
  let seen = 0;
  const all = deferred();
  const { engine, task, close } = await open(a.target, (p) => {
    const d = nowMs() - (p.t ?? 0);
    if (p.i >= a.warmup) samples.push(d);
    if (++seen === total) all.resolve();
  });
  const worker = engine.worker({ concurrency: 24 });
  try {
    await worker.start();
    await openLoop(total, a.perSec, (i) => void engine.trigger(task, { i, t: nowMs() }));
    await all.promise;
  } finally {
    await worker.stop();
    await close();
  }
  return { n: samples.length, targetPerSec: a.perSec, p50: percentile(samples, 50), p99: percentile(samples, 99), max: Math.max(...samples) };
}

/** Milliseconds on the system's monotonic clock: the same clock in every process of this machine. */
const monoMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * Trigger→start latency with the worker in ANOTHER process (PostgreSQL): this process triggers on the
 * open-loop schedule and nothing else; the worker process (concurrency 24, {@link latencyWorker}) records
 * each run's start − its trigger call on the machine's monotonic clock. What a deployment with separate
 * web and worker processes sees: the run reaches the worker by the store's notification and a claim.
 */
export async function latencyApart(a: { url: string; n: number; perSec: number; warmup: number }): Promise<Latencies> {
  const total = a.n + a.warmup;
  const child = runInChild<Latencies>("errand", "latencyWorker", { url: a.url, n: a.n, warmup: a.warmup });
  const { engine, task, close } = await open({ kind: "postgres", url: a.url }, () => {});
  try {
    await child.channel.next("ready");
    await openLoop(total, a.perSec, (i) => void engine.trigger(task, { i, t: monoMs() }));
    return await child.result;
  } finally {
    await close();
  }
}

/** The worker process of {@link latencyApart}: says `ready` once its worker runs, returns the latencies of `n` runs after `warmup`. */
export async function latencyWorker(a: { url: string; n: number; warmup: number }, channel: Channel): Promise<Latencies> {
  const samples: number[] = [];
  let seen = 0;
  const all = deferred();
  const { engine, close } = await open({ kind: "postgres", url: a.url }, (p) => {
    const d = monoMs() - (p.t ?? 0);
    if (p.i >= a.warmup) samples.push(d);
    if (++seen === a.n + a.warmup) all.resolve();
  });
  const worker = engine.worker({ concurrency: 24 });
  try {
    await worker.start();
    channel.send({ type: "ready" });
    await all.promise;
  } finally {
    await worker.stop();
    await close();
  }
  return { n: samples.length, targetPerSec: 0, p50: percentile(samples, 50), p99: percentile(samples, 99), max: Math.max(...samples) };
}

/** What one worker process of a scale-out run did: runs executed, and its CPU time (ms) from `go` to `stop`. */
export interface WorkerReport {
  readonly handled: number;
  readonly cpuMs: number;
}

/**
 * One worker process of a scale-out run: opens the engine, says `ready`, starts its worker on `go`,
 * stops on `stop` and returns how many runs it executed and the CPU time it used meanwhile.
 */
export async function workerProcess(a: { url: string; concurrency: number; prefetch?: number }, channel: Channel): Promise<WorkerReport> {
  let handled = 0;
  const { engine, close } = await open({ kind: "postgres", url: a.url }, () => {
    handled++;
  });
  const worker = engine.worker({ concurrency: a.concurrency, pollIntervalMs: 100, ...prefetchOption(a.prefetch) });
  channel.send({ type: "ready" });
  await channel.next("go");
  const cpu0 = process.cpuUsage();
  await worker.start();
  await channel.next("stop");
  const cpu = process.cpuUsage(cpu0);
  await worker.stop();
  await close();
  return { handled, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** Triggers `n` runs (bulk) into the target and ANALYZEs; used by the scale-out bench before it starts workers. */
export async function seed(a: { url: string; n: number }): Promise<void> {
  const { engine, task, close } = await open({ kind: "postgres", url: a.url }, () => {});
  try {
    await triggerAll(engine, task, a.n);
  } finally {
    await close();
  }
  await analyze(a.url);
}

/** Says `ready`, then polls until `n` runs are completed and returns the wall-clock time (ms) it saw that. */
export async function waitCompleted(a: { url: string; n: number }, channel: Channel): Promise<number> {
  const { engine, close } = await open({ kind: "postgres", url: a.url }, () => {});
  try {
    channel.send({ type: "ready" });
    // Every 20 ms: a finer poll would itself load the server the workers share (≤ 1 % of a run).
    await waitUntil(`${a.n} runs to complete`, async () => (await completed(engine)) >= a.n, { everyMs: 20 });
    return nowMs();
  } finally {
    await close();
  }
}

/** A memory bench reading at one checkpoint: hot, or at rest (then with its wait). */
export type MemoryPoint = { runs: number } & MemoryReading & Partial<Pick<RestReading, "waitedMs" | "shrunk">>;

/**
 * RSS and V8 heap in use (MiB, after GC) once `checkpoints[k]` runs have completed, for each k: runs are triggered in
 * batches of 1000 and drained by one worker (concurrency 24) in this process. `rest`: each reading
 * waits until V8 has shrunk its young generation again (memoryAtRestMiB), the worker idle meanwhile;
 * else 500 ms after a full GC (memoryAfterGcMiB), at once.
 */
export async function memory(a: { target: Target; checkpoints: readonly number[]; rest: boolean }): Promise<MemoryPoint[]> {
  let handled = 0;
  const { engine, task, close } = await open(a.target, () => {
    handled++;
  });
  const worker = engine.worker({ concurrency: 24 });
  const out: MemoryPoint[] = [];
  try {
    await worker.start();
    let triggered = 0;
    for (const cp of a.checkpoints) {
      while (triggered < cp) {
        const k = Math.min(1000, cp - triggered);
        const items: { i: number }[] = [];
        for (let j = 0; j < k; j++) items.push(noopPayload(triggered + j));
        await engine.batchTrigger(task, items);
        triggered += k;
        // keep the backlog bounded, as a steady producer would
        await waitUntil("the backlog to drain", () => handled >= triggered - 5000, { everyMs: 1 });
      }
      await waitUntil(`${cp} runs to complete`, async () => (await completed(engine)) >= cp, { everyMs: 2 });
      out.push({ runs: cp, ...(a.rest ? await memoryAtRestMiB() : await memoryAfterGcMiB()) });
    }
    return out;
  } finally {
    await worker.stop();
    await close();
  }
}
