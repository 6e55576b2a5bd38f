/**
 * No-op runs/s on PostgreSQL at concurrency 24, one server for all contestants, a fresh database per
 * contestant and round, durability at PostgreSQL's defaults (fsync on, synchronous_commit on):
 * Errand with its defaults vs graphile-worker 0.17 batched (its documented fast configuration) and
 * unbatched (its default), and pg-boss 10 (24 work loops, its fastest batch size here). Then Errand's
 * scale-out with 1, 2 and 4 worker processes (concurrency 24 each, defaults) on one database, with
 * what bounds it: CPU of the server and of the workers per run, WAL bytes and fsyncs per second.
 * Knobs: BENCH_PG_N (20000, the workload of the throughput issue), BENCH_SCALE_N (20000), BENCH_SCALE_PROCS (1,2,4), BENCH_PGBOSS_BATCH (1000),
 * BENCH_PG_PEERS (graphile-batched,graphile-unbatched,pgboss), BENCH_CONCURRENCY (24), BENCH_ROUNDS (3),
 * ERRAND_PG_URL (use that server instead of the embedded one; server CPU is then not measured).
 */
import { availableParallelism } from "node:os";
import { envInt, envList, rounds } from "./lib/env.ts";
import { runInChild, type ChildRun } from "./lib/child.ts";
import { machineLine } from "./lib/machine.ts";
import { startPgServer } from "./lib/pg-server.ts";
import { medianOf, runRounds, samplesOf, type Contestant } from "./lib/rounds.ts";
import { fmtInt, ratio } from "./lib/stats.ts";
import { printTable } from "./lib/table.ts";
import { atLeast, report, type Verdict } from "./lib/verdict.ts";
import { nowMs } from "./lib/wait.ts";
import { rate, type Rate } from "./lib/contestants/types.ts";
import type { WorkerReport } from "./lib/contestants/errand.ts";

const concurrency = envInt("BENCH_CONCURRENCY", 24);
const n = envInt("BENCH_PG_N", 20_000);
const scaleN = envInt("BENCH_SCALE_N", 20_000);
const procs = envList("BENCH_SCALE_PROCS", ["1", "2", "4"]).map(Number);
const bossBatch = envInt("BENCH_PGBOSS_BATCH", 1000);
const peers = new Set(envList("BENCH_PG_PEERS", ["graphile-batched", "graphile-unbatched", "pgboss"]));
const R = rounds();
const cores = availableParallelism();

const server = await startPgServer();
const verdicts: Verdict[] = [];
try {
  console.log(`queue-postgres: ${machineLine()} · ${await server.settings()} · concurrency ${concurrency} · ${R} rounds`);
  const db = (name: string, r: number): Promise<string> => server.freshDatabase(`bench_${name}_${r}`);
  const all: (Contestant<Rate> & { peer: string | null; label: string })[] = [
    {
      name: "Errand",
      peer: null,
      label: "Errand (defaults)",
      run: async (r) => runInChild<Rate>("errand", "throughput", { target: { kind: "postgres", url: await db("errand", r) }, n, concurrency }).result,
    },
    {
      name: "graphile-worker batched",
      peer: "graphile-batched",
      label: "graphile-worker 0.17.3 batched (localQueue 500, completeJobBatchDelay 0)",
      run: async (r) => runInChild<Rate>("graphile", "throughput", { url: await db("gwb", r), n, concurrency, batched: true }).result,
    },
    {
      name: "graphile-worker unbatched",
      peer: "graphile-unbatched",
      label: "graphile-worker 0.17.3 unbatched (defaults)",
      run: async (r) => runInChild<Rate>("graphile", "throughput", { url: await db("gwu", r), n, concurrency, batched: false }).result,
    },
    {
      name: "pg-boss",
      peer: "pgboss",
      label: `pg-boss 10.4 (24 work loops × batchSize ${bossBatch})`,
      run: async (r) => runInChild<Rate>("pgboss", "throughput", { url: await db("boss", r), n, concurrency, batchSize: bossBatch }).result,
    },
  ];
  const contestants = all.filter((c) => c.peer === null || peers.has(c.peer));
  const out = await runRounds(contestants, R);
  const eMed = medianOf(out.get("Errand"), (x) => x.perSec);
  printTable(
    `No-op runs/s, PostgreSQL, 1 process, concurrency ${concurrency}, ${fmtInt(n)} jobs — median of ${R}; target Errand/graphile batched ≥ 1× (goal 1.5×)`,
    ["contestant", "runs/s (median)", "samples", "Errand / this"],
    contestants.map((c) => {
      const o = out.get(c.name);
      const m = medianOf(o, (x) => x.perSec);
      return [c.label, fmtInt(m), samplesOf(o, (x) => x.perSec), ratio(eMed, m)];
    }),
  );
  const gMed = medianOf(out.get("graphile-worker batched"), (x) => x.perSec);
  const vs = eMed !== undefined && gMed !== undefined ? eMed / gMed : undefined;
  const both = `(${fmtInt(eMed)} vs ${fmtInt(gMed)} runs/s)`;
  verdicts.push(atLeast("no-op runs/s, PostgreSQL, concurrency 24, defaults", vs, 1, (v) => `${v.toFixed(2)}× graphile-worker batched ${both}`, "≥ 1× (goal 1.5×)"));

  // Scale-out: k worker processes on one database, all started together after the runs are in.
  interface Scale extends Rate {
    /** CPU ms of the server and of all workers during the run (server: null when not measurable). */
    readonly serverCpuMs: number | null;
    readonly workerCpuMs: number;
    readonly walBytes: number;
    readonly walFsyncs: number;
  }
  const scale: Contestant<Scale>[] = procs.map((k) => ({
    name: `${k}`,
    run: async (r) => {
      const url = await db(`scale${k}`, r);
      await runInChild("errand", "seed", { url, n: scaleN }).result;
      const monitor = runInChild<number>("errand", "waitCompleted", { url, n: scaleN });
      const workers: ChildRun<WorkerReport>[] = Array.from({ length: k }, () => runInChild<WorkerReport>("errand", "workerProcess", { url, concurrency }));
      try {
        await Promise.race([Promise.all([monitor, ...workers].map((c) => c.channel.next("ready"))), ...[monitor, ...workers].map((c) => c.result)]);
        const wal0 = await server.wal();
        const cpu0 = server.cpuMs();
        const t0 = nowMs();
        for (const w of workers) w.channel.send({ type: "go" });
        const t1 = await monitor.result;
        const cpu1 = server.cpuMs();
        const wal1 = await server.wal();
        for (const w of workers) w.channel.send({ type: "stop" });
        const reports = await Promise.all(workers.map((w) => w.result));
        // The workers' backends have exited, so their statistics (fsyncs) are reported now; the
        // stop itself commits next to nothing.
        await monitor.result.catch(() => {});
        const walEnd = await server.wal();
        const total = reports.reduce((s, x) => s + x.handled, 0);
        if (total < scaleN) throw new Error(`scale-out: workers report ${total} runs executed, expected ≥ ${scaleN}`);
        return {
          ...rate(scaleN, t1 - t0),
          serverCpuMs: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0,
          workerCpuMs: reports.reduce((s, x) => s + x.cpuMs, 0),
          walBytes: wal1.bytes - wal0.bytes,
          walFsyncs: walEnd.fsyncs - wal0.fsyncs,
        };
      } finally {
        for (const c of [monitor, ...workers]) c.kill();
      }
    },
  }));
  const so = await runRounds(scale, R, "scale-out ");
  const one = medianOf(so.get("1"), (x) => x.perSec);
  const perRun = (x: Scale, ms: number | null) => (ms === null ? Number.NaN : (ms * 1000) / x.n);
  const share = (x: Scale, ms: number | null) => (ms === null ? Number.NaN : (100 * ms) / (x.ms * cores));
  const fmt1 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "n/a" : v.toFixed(0));
  printTable(
    `Errand scale-out on PostgreSQL: ${fmtInt(scaleN)} runs, k worker processes × concurrency ${concurrency}, defaults — median of ${R}. ` +
      `CPU is per run and as a share of the machine's ${cores} cores; WAL per second of the run`,
    ["worker processes", "runs/s (median)", "samples", "vs 1 process", "server CPU µs/run", "server CPU % of machine", "workers CPU µs/run", "workers CPU %", "WAL fsyncs/s", "WAL MB/s"],
    procs.map((k) => {
      const o = so.get(`${k}`);
      const m = medianOf(o, (x) => x.perSec);
      const med = (f: (x: Scale) => number) => medianOf(o, f);
      return [
        `${k}`,
        fmtInt(m),
        samplesOf(o, (x) => x.perSec),
        ratio(m, one),
        fmt1(med((x) => perRun(x, x.serverCpuMs))),
        fmt1(med((x) => share(x, x.serverCpuMs))),
        fmt1(med((x) => perRun(x, x.workerCpuMs))),
        fmt1(med((x) => share(x, x.workerCpuMs))),
        fmtInt(med((x) => (x.walFsyncs * 1000) / x.ms)),
        med((x) => x.walBytes / 1e6 / (x.ms / 1000))?.toFixed(1) ?? "n/a",
      ];
    }),
  );
  const more = procs.filter((k) => k > 1).map((k) => medianOf(so.get(`${k}`), (x) => x.perSec) ?? 0);
  const best = more.length === 0 ? undefined : Math.max(...more);
  const last = so.get(`${procs[procs.length - 1]}`);
  const busy = medianOf(last, (x) => share(x, x.serverCpuMs) + share(x, x.workerCpuMs));
  const grows = one !== undefined && one > 0 && best !== undefined ? best / one : undefined;
  // Met when more processes bring more runs/s, or when the machine is already saturated: the bound
  // is then named by the CPU columns above (server vs workers).
  verdicts.push({
    target: "scale-out, 1 → 2 → 4 worker processes on one PostgreSQL",
    measured: `best ${grows === undefined ? "n/a" : `${grows.toFixed(2)}×`} one process; at ${procs[procs.length - 1]} processes the server and workers use ${fmt1(busy)}% of ${cores} cores`,
    goal: "grows until the database (here: the shared machine) is the bound",
    met: grows === undefined ? undefined : grows >= 1.1 || (busy !== undefined && busy >= 85),
  });
} finally {
  await server.stop();
}
report("queue-postgres", verdicts);
