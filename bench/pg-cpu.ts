/**
 * Where a PostgreSQL drain spends its time, Errand (defaults) vs graphile-worker 0.17 batched:
 * `npx tsx bench/pg-cpu.ts` (a profiling script, not part of `npm run bench`). On one embedded server
 * with pg_stat_statements, the two drain BENCH_PG_N no-op jobs at concurrency 24 in turn, A B A B …
 * (BENCH_ROUNDS pairs, each drain in a fresh process and database). Per drain, enqueue excluded:
 * runs/s, CPU time per job of the worker process and of the server (CPU time is far steadier than wall
 * time on a shared machine), WAL bytes per job, and the server's execution time per row of its three
 * costliest statements, and the CPU time per job, during the drain, of the connections that used at least 50 ms in it (by
 * their last statement; on Linux, from /proc: the claim's and the completion's connections apart).
 * The last table gives the per-pair ratios Errand / graphile-worker.
 * Knobs: BENCH_PG_N (6000), BENCH_ROUNDS (3), BENCH_PG_BASE (the path of another checkout of Errand,
 * with node_modules, e.g. an export of main: its Errand drains too, as `base`, first in each round,
 * for an A/B of a change on one server).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { envInt, rounds } from "./lib/env.ts";
import { runInChild } from "./lib/child.ts";
import { machineLine } from "./lib/machine.ts";
import { startPgServer, type PgServer } from "./lib/pg-server.ts";
import { fmtInt } from "./lib/stats.ts";
import { printTable } from "./lib/table.ts";
import type { DrainCpu } from "./lib/contestants/drain-cpu.ts";

const n = envInt("BENCH_PG_N", 6_000);
const R = rounds();
const baseTree = process.env["BENCH_PG_BASE"] ?? null;
type Who = "base" | "errand" | "graphile";
const who: readonly Who[] = baseTree === null ? ["errand", "graphile"] : ["base", "errand", "graphile"];
/** The other checkout's child runner: its contestants import its own src/. */
const runBase: typeof runInChild | null =
  baseTree === null ? null : ((await import(pathToFileURL(join(baseTree, "bench/lib/child.ts")).href)) as { runInChild: typeof runInChild }).runInChild;

interface Sample extends DrainCpu {
  readonly serverCpuMs: number | null;
  readonly walBytes: number;
  readonly statements: string;
  /** CPU µs per job of the busiest connections (see backendCpu). */
  readonly backends: string;
}

async function statements(server: PgServer, db: string, reset: boolean): Promise<string> {
  const c = new pg.Client({ connectionString: server.url("postgres") });
  await c.connect();
  try {
    await c.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    if (reset) {
      await c.query("SELECT pg_stat_statements_reset()");
      return "";
    }
    const r = await c.query<{ calls: string; rows: string; us: string; q: string }>(
      `SELECT calls, rows, round((total_exec_time * 1000 / greatest(rows, 1))::numeric, 1) AS us, left(regexp_replace(query, '\\s+', ' ', 'g'), 28) AS q
       FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1) AND rows >= 100 AND query NOT LIKE 'ANALYZE%'
       ORDER BY total_exec_time DESC LIMIT 3`,
      [db],
    );
    return r.rows.map((x) => `${x.q}… ${x.calls}× ${x.us} µs/row`).join("; ");
  } catch {
    return "n/a (pg_stat_statements not loaded)";
  } finally {
    await c.end();
  }
}

/** CPU ms so far of each backend of `db`, by pid, with its last statement (Linux /proc; empty elsewhere). */
async function backendCpu(server: PgServer, db: string): Promise<Map<number, { q: string; ms: number }>> {
  const c = new pg.Client({ connectionString: server.url("postgres") });
  await c.connect();
  try {
    const r = await c.query<{ pid: number; q: string }>(
      `SELECT pid, left(regexp_replace(query, '\\s+', ' ', 'g'), 14) AS q FROM pg_stat_activity WHERE datname = $1`,
      [db],
    );
    const out = new Map<number, { q: string; ms: number }>();
    for (const x of r.rows) {
      try {
        const f = readFileSync(`/proc/${x.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
        out.set(x.pid, { q: x.q, ms: ((Number(f[11]) + Number(f[12])) * 1000) / 100 }); // utime + stime, in clock ticks of 10 ms
      } catch {
        // not Linux, or the backend is gone
      }
    }
    return out;
  } finally {
    await c.end();
  }
}

/** CPU µs per job, during the drain alone, of each backend that used ≥ 50 ms in it, named by its last statement. */
function backendDelta(before: Map<number, { ms: number }>, after: Map<number, { q: string; ms: number }>): string {
  const out: string[] = [];
  for (const [pid, x] of after) {
    const ms = x.ms - (before.get(pid)?.ms ?? 0);
    if (ms >= 50) out.push(`${x.q}… ${((ms * 1000) / n).toFixed(1)}`);
  }
  return out.join("; ");
}

async function drain(server: PgServer, contestant: Who, round: number): Promise<Sample> {
  const db = `cpu_${contestant}_${round}`;
  const url = await server.freshDatabase(db);
  const child = contestant === "base" ? runBase!<DrainCpu>("drain-cpu", "errand", { url, n }) : runInChild<DrainCpu>("drain-cpu", contestant, { url, n });
  try {
    await Promise.race([child.channel.next("ready"), child.result]);
    await statements(server, db, true);
    const backends0 = await backendCpu(server, db);
    const [cpu0, wal0] = [server.cpuMs(), await server.wal()];
    child.channel.send({ type: "go" });
    await Promise.race([child.channel.next("drained"), child.result]);
    const [cpu1, wal1] = [server.cpuMs(), await server.wal()];
    const top = await statements(server, db, false);
    const perBackend = backendDelta(backends0, await backendCpu(server, db));
    child.channel.send({ type: "finish" });
    const out = await child.result;
    return { ...out, serverCpuMs: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0, walBytes: wal1.bytes - wal0.bytes, statements: top, backends: perBackend };
  } finally {
    child.kill();
    await server.dropDatabase(db).catch(() => {});
  }
}

const server = await startPgServer({ preload: ["pg_stat_statements"] });
try {
  console.log(`pg-cpu: ${machineLine()} · ${await server.settings()} · ${fmtInt(n)} jobs · ${R} pairs`);
  const rows: string[][] = [];
  const ratios: string[][] = [];
  for (let r = 0; r < R; r++) {
    const pair: Sample[] = [];
    for (const c of who) {
      const s = await drain(server, c, r);
      pair.push(s);
      const per = (ms: number | null) => (ms === null ? "n/a" : ((ms * 1000) / s.n).toFixed(1));
      rows.push([`${r + 1}`, c, fmtInt((s.n * 1000) / s.ms), per(s.cpuMs), per(s.serverCpuMs), fmtInt(s.walBytes / s.n), s.statements, s.backends]);
    }
    const g = pair[pair.length - 1]!;
    const total = (s: Sample) => s.cpuMs + (s.serverCpuMs ?? Number.NaN);
    pair.slice(0, -1).forEach((e, i) => {
      const label = who[i] === "errand" ? `${r + 1}` : `${r + 1} ${who[i]}`;
      ratios.push([label, `${(g.ms / e.ms).toFixed(2)}×`, `${(e.cpuMs / g.cpuMs).toFixed(2)}×`, `${(total(e) / total(g)).toFixed(2)}×`]);
    });
  }
  printTable(`Drain of ${fmtInt(n)} no-op jobs, concurrency 24 (enqueue excluded)`, ["pair", "contestant", "runs/s", "worker CPU µs/job", "server CPU µs/job", "WAL B/job", "top statements (server execution time per row)", "server CPU µs/job per connection"], rows);
  printTable("Errand / graphile-worker per pair (runs/s: higher is better; CPU: lower is better)", ["pair", "runs/s", "worker CPU", "worker + server CPU"], ratios);
} finally {
  await server.stop();
}
