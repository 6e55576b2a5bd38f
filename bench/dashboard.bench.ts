/**
 * Dashboard response times with many runs in SQLite: the runs list page (HTML) and the JSON API,
 * first page, filtered (task, status, tag), id-prefix search and a deep keyset page. Runs are inserted
 * directly with `store.createRuns` in batches (fast), then each request is timed through the
 * web-standard handler (no network). Median and p95 over BENCH_DASH_REPS requests per case.
 * Knobs: BENCH_DASH_RUNS (100000), BENCH_DASH_REPS (30).
 */
import { createEngine, defineTask } from "../src/index.ts";
import { sqliteStore } from "../src/sqlite/index.ts";
import { createDashboard } from "../src/dashboard/index.ts";
import { newId } from "../src/store/ids.ts";
import type { NewRun } from "../src/store/types.ts";
import { envInt } from "./lib/env.ts";
import { machineLine } from "./lib/machine.ts";
import { fmtInt, fmtMs, median, percentile } from "./lib/stats.ts";
import { printTable } from "./lib/table.ts";
import { tempDir } from "./lib/tmp.ts";

const N = envInt("BENCH_DASH_RUNS", 100_000);
const REPS = envInt("BENCH_DASH_REPS", 30);
const BATCH = 5000;
const TASKS = ["send-email", "build-report", "sync-crm", "resize-image"] as const;

const noop = (id: string) => defineTask({ id, run: async () => null });
const dir = tempDir("dashboard");
const store = sqliteStore({ path: dir.file("errand.db") });
const engine = createEngine({ store, tasks: TASKS.map(noop) });
await store.migrate();

const t0 = performance.now();
const base = Date.now() - N * 10;
for (let done = 0; done < N; done += BATCH) {
  const runs: NewRun[] = [];
  for (let i = done; i < Math.min(N, done + BATCH); i++) {
    const at = base + i * 10;
    runs.push({
      id: newId(at), taskId: TASKS[i % TASKS.length]!, queue: TASKS[i % TASKS.length]!, concurrencyKey: null,
      payload: JSON.stringify({ userId: `u${i}`, note: "x".repeat(40) }), priority: 0, runAt: at + (i % 10 === 0 ? 86_400_000 : 0),
      status: i % 10 === 0 ? "delayed" : "queued", maxAttempts: 3, idempotencyKey: null, idempotencyExpiresAt: null, expiresAt: null,
      tags: i % 100 === 0 ? ["tenant:acme"] : [], parentRunId: null, scheduleId: null,
    });
  }
  await store.createRuns({ runs, now: Date.now() });
}
const insertMs = performance.now() - t0;

const dashboard = createDashboard({ engine });
const url = (path: string) => new Request(`http://bench.local${path}`);

// A cursor ~half-way down the list, reached by walking the API.
let deepCursor: string | null = null;
for (let walked = 0, cursor: string | null = null; walked < N / 2; walked += 500) {
  const res = await dashboard.fetch(url(`/api/runs?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`));
  cursor = ((await res.json()) as { nextCursor: string | null }).nextCursor;
  deepCursor = cursor;
  if (cursor === null) break;
}
const prefix = newId(base + Math.floor(N / 3) * 10).slice(0, 10);

const cases: readonly [string, string][] = [
  ["first page (50)", "/runs"],
  ["task filter", "/runs?task=sync-crm"],
  ["status filter (delayed)", "/runs?status=delayed"],
  ["tag filter (1%)", "/runs?tag=tenant:acme"],
  ["id prefix search", `/runs?q=${prefix}`],
  ["deep page (cursor at N/2)", `/runs?cursor=${encodeURIComponent(deepCursor ?? "")}`],
  ["overview", "/"],
];

async function time(path: string): Promise<{ med: number; p95: number; bytes: number }> {
  const samples: number[] = [];
  let bytes = 0;
  for (let i = 0; i < REPS + 2; i++) {
    const start = performance.now();
    const res = await dashboard.fetch(url(path));
    const body = await res.text();
    const took = performance.now() - start;
    if (res.status !== 200) throw new Error(`bench: GET ${path} answered ${res.status}: ${body.slice(0, 200)}`);
    bytes = body.length;
    if (i >= 2) samples.push(took);
  }
  return { med: median(samples), p95: percentile(samples, 95), bytes };
}

const rows: string[][] = [];
for (const [name, path] of cases) {
  const page = await time(path);
  const apiPath = path === "/" ? "/api/stats" : path.replace(/^\/runs/, "/api/runs");
  const api = await time(apiPath);
  rows.push([name, fmtMs(page.med), fmtMs(page.p95), fmtMs(api.med), fmtMs(api.p95), fmtInt(page.bytes / 1024) + " KiB"]);
}
console.log(`dashboard: ${machineLine()} · ${fmtInt(N)} runs in SQLite (inserted in ${fmtInt(insertMs)} ms) · ${REPS} requests per case`);
printTable("Dashboard response time (in-process fetch handler)", ["case", "page median", "page p95", "API median", "API p95", "page size"], rows);
await engine.close();
dir.remove();
