// The memory bench's workload on the compiled package under plain node (no tsx), on SQLite: RSS hot
// (two full GCs, 500 ms) at 1k, 10k, 30k and 100k runs and, unless BENCH_PLAIN_REST=0, again at rest
// (polled every 250 ms until V8 has shrunk its young generation, for at most 90 s).
// A diagnostic script, not run by `npm run bench`: `npm run build && node --expose-gc bench/memory-plain.mjs`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getHeapSpaceStatistics } from "node:v8";
import { createEngine, defineTask } from "../dist/index.js";
import { sqliteStore } from "../dist/sqlite/index.js";

const rest = process.env.BENCH_PLAIN_REST !== "0";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mib = (x) => (x / 2 ** 20).toFixed(1);
const young = () => getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size;
const read = async (label) => {
  globalThis.gc?.();
  globalThis.gc?.();
  await sleep(500);
  const m = process.memoryUsage();
  console.log(`${label}: rss ${mib(m.rss)} MiB, heap used ${mib(m.heapUsed)}, young gen. ${mib(young())}`);
};

let handled = 0;
const task = defineTask({ id: "noop", run: () => void handled++ });
const dir = mkdtempSync(join(tmpdir(), "errand-mem-"));
const engine = createEngine({ store: sqliteStore({ path: join(dir, "m.db") }), tasks: [task] });
const worker = engine.worker({ concurrency: 24 });
await worker.start();
let triggered = 0;
for (const checkpoint of [1000, 10_000, 30_000, 100_000]) {
  while (triggered < checkpoint) {
    const items = [];
    for (let j = 0; j < 1000; j++) items.push({ i: triggered + j, user: `u${j % 10}` });
    await engine.batchTrigger(task, items);
    triggered += 1000;
    while (handled < triggered - 5000) await sleep(1);
  }
  while (handled < checkpoint) await sleep(2);
  await read(`${checkpoint} runs, hot`);
  if (rest) {
    const t0 = Date.now();
    while (young() > 2 ** 21 && Date.now() - t0 < 90_000) await sleep(250);
    await read(`${checkpoint} runs, at rest after ${Date.now() - t0} ms`);
  }
}
await worker.stop();
await engine.close();
rmSync(dir, { recursive: true, force: true });
