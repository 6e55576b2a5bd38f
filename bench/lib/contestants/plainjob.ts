/**
 * plainjob (npm, SQLite queue on better-sqlite3) as a bench contestant, in its best documented
 * configuration: WAL (it sets it), one connection, N workers defined on one queue in one process,
 * a silent logger (its default logger is `console`, which would dominate a no-op job).
 * plainjob sets `synchronous = NORMAL` itself; for FULL we set it again after `defineQueue`.
 */
import Database from "better-sqlite3";
import { better, defineQueue, defineWorker, JobStatus, type Queue } from "plainjob";
import { deferred, waitUntil } from "../wait.ts";
import { rate, noopPayload, type Rate } from "./types.ts";

export type Synchronous = "NORMAL" | "FULL";

const silent = { error() {}, warn() {}, info() {}, debug() {} };

function open(path: string, synchronous: Synchronous): { queue: Queue; db: Database.Database } {
  const db = new Database(path);
  const queue = defineQueue({ connection: better(db), logger: silent });
  db.pragma(`synchronous = ${synchronous}`);
  return { queue, db };
}

function addAll(queue: Queue, n: number): void {
  for (let i = 0; i < n; i += 1000) {
    const chunk: unknown[] = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) chunk.push(noopPayload(j));
    queue.addMany("noop", chunk);
  }
}

/** No-op jobs/s: `n` jobs enqueued first, then `concurrency` workers drain them; timed from the first job's start. */
export async function throughput(a: { path: string; n: number; concurrency: number; synchronous: Synchronous }): Promise<Rate> {
  const { queue } = open(a.path, a.synchronous);
  addAll(queue, a.n);
  let handled = 0;
  let t0 = 0;
  const all = deferred();
  const workers = Array.from({ length: a.concurrency }, () =>
    defineWorker(
      "noop",
      async () => {
        if (handled++ === 0) t0 = performance.now();
        if (handled === a.n) all.resolve();
      },
      { queue, logger: silent, pollIntervall: 10 },
    ),
  );
  for (const w of workers) void w.start();
  await all.promise;
  const pending = (): number =>
    queue.countJobs({ type: "noop", status: JobStatus.Pending }) + queue.countJobs({ type: "noop", status: JobStatus.Processing });
  await waitUntil("plainjob to mark every job done", () => pending() === 0, { everyMs: 1 });
  const ms = performance.now() - t0;
  await Promise.all(workers.map((w) => w.stop()));
  queue.close();
  return rate(a.n, ms);
}

/** Enqueue rows/s: one `add` per job (`single`) or `addMany` of `batch` jobs (`bulk`); the first `warmup` jobs go the same way untimed. */
export async function enqueue(a: { path: string; n: number; mode: "single" | "bulk"; batch: number; synchronous: Synchronous; warmup?: number }): Promise<Rate> {
  const { queue } = open(a.path, a.synchronous);
  const load = (from: number, n: number): void => {
    if (a.mode === "single") {
      for (let i = from; i < from + n; i++) queue.add("noop", noopPayload(i));
    } else {
      for (let i = 0; i < n; i += a.batch) {
        const chunk: unknown[] = [];
        for (let j = i; j < Math.min(n, i + a.batch); j++) chunk.push(noopPayload(from + j));
        queue.addMany("noop", chunk);
      }
    }
  };
  load(-1 - (a.warmup ?? 0), a.warmup ?? 0);
  const t0 = performance.now();
  load(0, a.n);
  const ms = performance.now() - t0;
  queue.close();
  return rate(a.n, ms);
}
