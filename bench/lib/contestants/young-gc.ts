/**
 * The workload of bench/young-gc.ts, run in its child process (started with V8's GC tracing): the
 * memory bench's no-op runs on SQLite (WAL, NORMAL) or PostgreSQL (an embedded server of its own),
 * with progress lines for the parent to place V8's scavenges in phases and runs.
 */
import Database from "better-sqlite3";
import { getHeapSpaceStatistics } from "node:v8";
import type { Store } from "../../../src/store/types.ts";
import { envInt } from "../env.ts";
import { startPgServer } from "../pg-server.ts";
import { tempDir } from "../tmp.ts";
import { waitUntil } from "../wait.ts";
import { loadErrand } from "./errand-load.ts";
import { noopPayload } from "./types.ts";

const youngMiB = (): number => (getHeapSpaceStatistics().find((s) => s.space_name === "new_space")?.space_size ?? 0) / 2 ** 20;

/** Runs the workload; `say` prints one progress line (`phase <name> <runs>`, `runs <handled> <young MiB>`). */
export async function childWorkload(kind: "sqlite" | "postgres", say: (line: string) => void): Promise<void> {
  const n = envInt("BENCH_YGC_N", 20_000);
  const mode = process.env["BENCH_YGC_MODE"] === "split" ? "split" : "mixed";
  const prefetch = process.env["BENCH_YGC_PREFETCH"];
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  const api = await loadErrand(kind);
  const dir = tempDir("young-gc");
  const server = kind === "postgres" ? await startPgServer() : null;
  let db: Database.Database | null = null;
  let store: Store;
  if (server !== null) {
    store = api.postgresStore({ connectionString: await server.freshDatabase("young_gc"), maxConnections: 25 });
  } else {
    db = new Database(dir.file("young-gc.db"));
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    store = api.sqliteStore({ database: db, synchronous: "NORMAL" });
  }
  let handled = 0;
  const task = api.defineTask<{ i: number }, null>({
    id: "noop",
    run: () => {
      if (++handled % 1000 === 0) say(`runs ${handled} ${youngMiB()}`);
      return null;
    },
  });
  const engine = api.createEngine({ store, tasks: [task] });
  const worker = engine.worker({ concurrency: 24, ...(prefetch === undefined ? {} : { prefetch: Number(prefetch) }) });
  const trigger = async (from: number) => {
    const items: { i: number }[] = [];
    for (let j = 0; j < 1000; j++) items.push(noopPayload(from + j));
    await engine.batchTrigger(task, items);
  };
  try {
    await engine.store.migrate();
    if (mode === "split") {
      say(`phase trigger ${n}`);
      for (let t = 0; t < n; t += 1000) await trigger(t);
      gc();
      gc();
      say(`phase drain ${n}`);
      await worker.start();
      await waitUntil("the runs to drain", () => handled >= n, { everyMs: 5 });
    } else {
      await worker.start();
      say(`phase mixed ${n}`);
      for (let t = 0; t < n; t += 1000) {
        await trigger(t);
        await waitUntil("the backlog to drain", () => handled >= t + 1000 - 5000, { everyMs: 1 });
      }
      await waitUntil("the runs to drain", () => handled >= n, { everyMs: 2 });
    }
    say("phase end 0");
  } finally {
    await worker.stop();
    await engine.close();
    db?.close();
    await server?.stop();
    dir.remove();
  }
}
