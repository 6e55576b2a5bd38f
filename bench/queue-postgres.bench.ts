/**
 * No-op runs/s on PostgreSQL at concurrency 24, one server for all contestants, a fresh database per
 * contestant and round, durability at PostgreSQL's defaults (fsync on, synchronous_commit on):
 * Errand vs graphile-worker 0.17 batched (its documented fast configuration) and unbatched (its
 * default), and pg-boss 10 (24 work loops, its fastest batch size here). Then Errand's scale-out with
 * 1, 2 and 4 worker processes (concurrency 24 each) on one database. Errand runs twice: with its
 * defaults, and "batched" with `prefetch` (runs claimed ahead, like graphile-worker's local queue).
 * Knobs: BENCH_PG_N (6000), BENCH_SCALE_N (6000), BENCH_SCALE_PROCS (1,2,4), BENCH_PGBOSS_BATCH (1000), BENCH_ERRAND_PREFETCH (476: 500 claimed in all),
 * BENCH_CONCURRENCY (24), BENCH_ROUNDS (3), ERRAND_PG_URL (use that server instead of embedded).
 */
import { envInt, envList, rounds } from "./lib/env.ts";
import { runInChild, type ChildRun } from "./lib/child.ts";
import { machineLine } from "./lib/machine.ts";
import { startPgServer } from "./lib/pg-server.ts";
import { medianOf, runRounds, samplesOf, type Contestant } from "./lib/rounds.ts";
import { fmtInt, ratio } from "./lib/stats.ts";
import { printTable } from "./lib/table.ts";
import { nowMs } from "./lib/wait.ts";
import { rate, type Rate } from "./lib/contestants/types.ts";

const concurrency = envInt("BENCH_CONCURRENCY", 24);
const n = envInt("BENCH_PG_N", 6_000);
const scaleN = envInt("BENCH_SCALE_N", 6_000);
const procs = envList("BENCH_SCALE_PROCS", ["1", "2", "4"]).map(Number);
const bossBatch = envInt("BENCH_PGBOSS_BATCH", 1000);
/** Errand's batched configuration: runs claimed ahead, like graphile-worker's local queue of 500. */
const prefetch = envInt("BENCH_ERRAND_PREFETCH", 500 - concurrency);
const R = rounds();

const server = await startPgServer();
try {
  console.log(`queue-postgres: ${machineLine()} · ${await server.settings()} · concurrency ${concurrency} · ${R} rounds`);
  const db = (name: string, r: number): Promise<string> => server.freshDatabase(`bench_${name}_${r}`);
  const contestants: Contestant<Rate>[] = [
    { name: "Errand", run: async (r) => runInChild<Rate>("errand", "throughput", { target: { kind: "postgres", url: await db("errand", r) }, n, concurrency }).result },
    {
      name: "Errand prefetch",
      run: async (r) => runInChild<Rate>("errand", "throughput", { target: { kind: "postgres", url: await db("errandp", r) }, n, concurrency, prefetch }).result,
    },
    { name: "graphile-worker batched", run: async (r) => runInChild<Rate>("graphile", "throughput", { url: await db("gwb", r), n, concurrency, batched: true }).result },
    { name: "graphile-worker unbatched", run: async (r) => runInChild<Rate>("graphile", "throughput", { url: await db("gwu", r), n, concurrency, batched: false }).result },
    { name: "pg-boss", run: async (r) => runInChild<Rate>("pgboss", "throughput", { url: await db("boss", r), n, concurrency, batchSize: bossBatch }).result },
  ];
  const out = await runRounds(contestants, R);
  const eMed = medianOf(out.get("Errand"), (x) => x.perSec);
  const epMed = medianOf(out.get("Errand prefetch"), (x) => x.perSec);
  const label: Record<string, string> = {
    "Errand": "Errand (defaults)",
    "Errand prefetch": `Errand, prefetch ${prefetch}`,
    "graphile-worker batched": "graphile-worker 0.17.3 batched (localQueue 500, completeJobBatchDelay 0)",
    "graphile-worker unbatched": "graphile-worker 0.17.3 unbatched (defaults)",
    "pg-boss": `pg-boss 10.4 (24 work loops × batchSize ${bossBatch})`,
  };
  printTable(
    `No-op runs/s, PostgreSQL, 1 process, concurrency ${concurrency}, ${fmtInt(n)} jobs — median of ${R}; target Errand/graphile batched ≥ 1× (goal 1.5×)`,
    ["contestant", "runs/s (median)", "samples", "Errand / this", "Errand prefetch / this"],
    contestants.map((c) => {
      const o = out.get(c.name);
      const m = medianOf(o, (x) => x.perSec);
      return [label[c.name] ?? c.name, fmtInt(m), samplesOf(o, (x) => x.perSec), ratio(eMed, m), ratio(epMed, m)];
    }),
  );

  // Scale-out: k worker processes on one database, all started together after the runs are in.
  const scale: Contestant<Rate>[] = procs.map((k) => ({
    name: `${k}`,
    run: async (r) => {
      const url = await db(`scale${k}`, r);
      await runInChild("errand", "seed", { url, n: scaleN }).result;
      const monitor = runInChild<number>("errand", "waitCompleted", { url, n: scaleN });
      const workers: ChildRun<number>[] = Array.from({ length: k }, () => runInChild<number>("errand", "workerProcess", { url, concurrency, prefetch }));
      try {
        await Promise.race([Promise.all([monitor, ...workers].map((c) => c.channel.next("ready"))), ...[monitor, ...workers].map((c) => c.result)]);
        const t0 = nowMs();
        for (const w of workers) w.channel.send({ type: "go" });
        const t1 = await monitor.result;
        for (const w of workers) w.channel.send({ type: "stop" });
        const counts = await Promise.all(workers.map((w) => w.result));
        const total = counts.reduce((s, x) => s + x, 0);
        if (total < scaleN) throw new Error(`scale-out: workers report ${total} runs executed, expected ≥ ${scaleN}`);
        return rate(scaleN, t1 - t0);
      } finally {
        for (const c of [monitor, ...workers]) c.kill();
      }
    },
  }));
  const so = await runRounds(scale, R, "scale-out ");
  const one = medianOf(so.get("1"), (x) => x.perSec);
  printTable(
    `Errand scale-out on PostgreSQL: ${fmtInt(scaleN)} runs, k worker processes × concurrency ${concurrency}, prefetch ${prefetch} — median of ${R}`,
    ["worker processes", "runs/s (median)", "samples", "vs 1 process"],
    procs.map((k) => {
      const o = so.get(`${k}`);
      const m = medianOf(o, (x) => x.perSec);
      return [`${k}`, fmtInt(m), samplesOf(o, (x) => x.perSec), ratio(m, one)];
    }),
  );
} finally {
  await server.stop();
}
