/**
 * Where the memory bench's workload allocates (a diagnostic script, not part of `npm run bench`):
 * `npx tsx bench/alloc-prof.ts [sqlite|postgres]`. Runs the memory bench's shape (1,000-run
 * `batchTrigger`s, at most 5,000 waiting, one worker at concurrency 24) in this process under V8's
 * sampling heap profiler with every allocation counted (also those the GCs collected), and prints the
 * bytes allocated per run by function (self) and by file. Knobs: BENCH_ALLOC_N (20000 runs, after a
 * warm-up of 5,000), BENCH_ALLOC_TOP (40 rows), BENCH_ALLOC_INTERVAL (sampling interval, 4096 B),
 * BENCH_ALLOC_SURVIVORS=1 (only the allocations that survived a young-generation GC), BENCH_ALLOC_PREFETCH
 * (the worker's `prefetch`; default adaptive).
 */
import Database from "better-sqlite3";
import { Session } from "node:inspector/promises";
import type { Store } from "../src/store/types.ts";
import { envInt } from "./lib/env.ts";
import { startPgServer } from "./lib/pg-server.ts";
import { tempDir } from "./lib/tmp.ts";
import { waitUntil } from "./lib/wait.ts";
import { loadErrand } from "./lib/contestants/errand-load.ts";
import { noopPayload } from "./lib/contestants/types.ts";
import { fmtInt } from "./lib/stats.ts";
import { printTable } from "./lib/table.ts";

interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: Node[];
}

const kind = process.argv[2] === "postgres" ? "postgres" : "sqlite";
const n = envInt("BENCH_ALLOC_N", 20_000);
const warm = 5000;
const top = envInt("BENCH_ALLOC_TOP", 40);
/** Only what survived a young-generation GC (the sampled objects a scavenge collected are left out). */
const survivors = process.env["BENCH_ALLOC_SURVIVORS"] === "1";
const api = await loadErrand(kind);
const dir = tempDir("alloc-prof");
const server = kind === "postgres" ? await startPgServer() : null;
let db: Database.Database | null = null;
let store: Store;
if (server !== null) {
  store = api.postgresStore({ connectionString: await server.freshDatabase("alloc_prof"), maxConnections: 25 });
} else {
  db = new Database(dir.file("alloc.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  store = api.sqliteStore({ database: db, synchronous: "NORMAL" });
}
let handled = 0;
const task = api.defineTask<{ i: number }, null>({ id: "noop", run: () => (handled++, null) });
const engine = api.createEngine({ store, tasks: [task] });
const prefetch = process.env["BENCH_ALLOC_PREFETCH"];
const worker = engine.worker({ concurrency: 24, ...(prefetch === undefined ? {} : { prefetch: Number(prefetch) }) });
const session = new Session();
session.connect();
let triggered = 0;
const drive = async (upTo: number) => {
  while (triggered < upTo) {
    const items: { i: number }[] = [];
    for (let j = 0; j < 1000; j++) items.push(noopPayload(triggered + j));
    await engine.batchTrigger(task, items);
    triggered += 1000;
    await waitUntil("the backlog to drain", () => handled >= triggered - 5000, { everyMs: 1 });
  }
  await waitUntil("the runs to drain", () => handled >= upTo, { everyMs: 2 });
};
try {
  await engine.store.migrate();
  await worker.start();
  await drive(warm);
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: envInt("BENCH_ALLOC_INTERVAL", 4096),
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: !survivors,
  } as never);
  await drive(warm + n);
  const { profile } = (await session.post("HeapProfiler.stopSampling")) as unknown as { profile: { head: Node } };
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  const walk = (node: Node) => {
    const f = node.callFrame;
    const file = f.url.replace(/^file:\/\//, "").replace(process.cwd() + "/", "").replace(/.*node_modules\//, "nm/");
    const key = `${f.functionName || "(anon)"} ${file}:${f.lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + node.selfSize);
    byFile.set(file || "(native)", (byFile.get(file || "(native)") ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const c of node.children) walk(c);
  };
  walk(profile.head);
  const rows = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => [k, fmtInt(v / n), ((100 * v) / total).toFixed(1)]);
  console.log(`alloc-prof ${kind}: ${fmtInt(n)} runs, ${fmtInt(total / n)} B ${survivors ? "allocated and survived a young GC" : "allocated"} per run (sampled)`);
  printTable(`by function (self)`, ["function", "B/run", "%"], rows(byFn));
  printTable(`by file`, ["file", "B/run", "%"], rows(byFile));
} finally {
  session.disconnect();
  await worker.stop();
  await engine.close();
  db?.close();
  await server?.stop();
  dir.remove();
}
