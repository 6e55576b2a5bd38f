/**
 * Many triggers at once on PostgreSQL, and what a new connection costs: `npx tsx
 * bench/pg-trigger-burst.ts [tree]` (a profiling script, not part of `npm run bench`). `tree`: the
 * path of another checkout of Errand with node_modules (default: this one), for an A/B.
 *
 * - connect: 30 times a new `pg.Client` connected and its first `SELECT 1` answered; the median, and
 *   the client's CPU time of it.
 * - burst: BENCH_BURST_N (1000) single-run `store.createRuns` calls at once (`Promise.all`) on a store
 *   with its own pool (`maxConnections` 10, the default), BENCH_ROUNDS (3) rounds on fresh databases:
 *   the time until all resolved, and the connections opened meanwhile (pg_stat_database.sessions).
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { envInt, rounds } from "./lib/env.ts";
import { machineLine } from "./lib/machine.ts";
import { startPgServer } from "./lib/pg-server.ts";
import { median } from "./lib/stats.ts";

const tree = resolve(process.argv[2] ?? ".");
const from = (path: string) => import(pathToFileURL(resolve(tree, path)).href);
const { postgresStore } = (await from("src/postgres/index.ts")) as typeof import("../src/postgres/index.ts");
const { newRun } = (await from("src/store/conformance/harness.ts")) as typeof import("../src/store/conformance/harness.ts");
const n = envInt("BENCH_BURST_N", 1000);
const R = rounds();

const sessions = async (c: pg.Client): Promise<number> =>
  Number((await c.query("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")).rows[0].sessions);

const server = await startPgServer();
try {
  console.log(`pg-trigger-burst: ${machineLine()} · ${tree} · ${n} triggers at once · ${R} rounds`);
  const url = await server.freshDatabase("burst_connect");
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < 30; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query("SELECT 1");
    wall.push(performance.now() - t0);
    const used = process.cpuUsage(c0);
    cpu.push((used.user + used.system) / 1000);
    await c.end();
  }
  console.log(`connect + first query: median ${median(wall).toFixed(2)} ms (client CPU ${median(cpu).toFixed(2)} ms)`);
  for (let r = 0; r < R; r++) {
    const db = await server.freshDatabase(`burst_${r}`);
    const store = postgresStore({ connectionString: db });
    const admin = new pg.Client({ connectionString: db });
    await admin.connect();
    try {
      await store.migrate();
      const before = await sessions(admin);
      const t0 = performance.now();
      const results = await Promise.allSettled(Array.from({ length: n }, () => store.createRuns({ runs: [newRun()], now: Date.now() })));
      const ms = performance.now() - t0;
      const failed = results.filter((x) => x.status === "rejected");
      const why = failed.length === 0 ? "" : ` · ${failed.length} failed (${String((failed[0] as PromiseRejectedResult).reason?.message ?? "").slice(0, 80)})`;
      console.log(`round ${r + 1}: ${n} triggers in ${ms.toFixed(0)} ms (${Math.round((n / ms) * 1000)}/s), ${(await sessions(admin)) - before} connections opened${why}`);
    } finally {
      await admin.end();
      await store.close();
    }
  }
} finally {
  await server.stop();
}
