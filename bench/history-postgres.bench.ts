/**
 * History does not cost speed (docs/CONTRACT.md §5, PostgreSQL): with BENCH_PG_HISTORY_RUNS (1,000,000)
 * finished runs kept in the table, (1) no-op runs/s with the defaults is ≥ 0.9× the same drain on an
 * empty table, (2) stats(), the overview and the runs pages answer in < 50 ms, (3) prune deletes the
 * history in bounded transactions while a worker keeps completing runs. The history is written once
 * (one INSERT … SELECT, then VACUUM ANALYZE) into a template database that each measurement copies;
 * every measurement runs in its own process. Same workloads as bench/history.bench.ts (SQLite).
 * Knobs: BENCH_PG_HISTORY_RUNS (1000000), BENCH_PG_HISTORY_N (6000 drained), BENCH_HISTORY_REPS (20
 * requests per view), BENCH_ROUNDS (3).
 */
import { envInt, rounds } from "./lib/env.ts";
import { runInChild } from "./lib/child.ts";
import { machineLine } from "./lib/machine.ts";
import { startPgServer } from "./lib/pg-server.ts";
import { medianOf, runRounds, samplesOf } from "./lib/rounds.ts";
import { fmtInt, fmtMs, median } from "./lib/stats.ts";
import { printTable } from "./lib/table.ts";
import { atLeast, atMost, report, type Verdict } from "./lib/verdict.ts";
import type { Rate } from "./lib/contestants/types.ts";
import type { Timing } from "./lib/contestants/history.ts";
import type { PgPruneResult } from "./lib/contestants/history-postgres.ts";

const HISTORY = envInt("BENCH_PG_HISTORY_RUNS", 1_000_000);
const N = envInt("BENCH_PG_HISTORY_N", 6_000);
const REPS = envInt("BENCH_HISTORY_REPS", 20);
const R = rounds();
const verdicts: Verdict[] = [];

const server = await startPgServer();
try {
  console.log(`history-postgres: ${machineLine()} · ${await server.settings()} · ${fmtInt(HISTORY)} finished runs kept · ${fmtInt(N)} drained · ${R} rounds`);
  const template = await server.freshDatabase("hist_template");
  const filled = await runInChild<{ ms: number }>("history-postgres", "fill", { url: template, n: HISTORY }).result;
  console.log(`history-postgres: ${fmtInt(HISTORY)} finished runs written and analyzed in ${fmtInt(filled.ms)} ms`);
  const copy = (name: string) => server.copyDatabase("hist_template", name);

  const drains = await runRounds<Rate>(
    [
      { name: "empty", run: async (r) => runInChild<Rate>("history-postgres", "drain", { url: await server.freshDatabase(`hist_empty_${r}`), n: N }).result },
      { name: "history", run: async (r) => runInChild<Rate>("history-postgres", "drain", { url: await copy(`hist_drain_${r}`), n: N }).result },
    ],
    R,
    "[drain] ",
  );
  const empty = medianOf(drains.get("empty"), (x) => x.perSec);
  const full = medianOf(drains.get("history"), (x) => x.perSec);
  const ratio = empty !== undefined && full !== undefined ? full / empty : undefined;
  printTable(
    `No-op runs/s, PostgreSQL, defaults (concurrency 24), ${fmtInt(N)} runs — median of ${R}; target with history ≥ 0.9× empty`,
    ["table", "runs/s (median)", "samples", "vs empty"],
    [
      ["empty", fmtInt(empty), samplesOf(drains.get("empty"), (x) => x.perSec), "1.00×"],
      [`${fmtInt(HISTORY)} finished runs`, fmtInt(full), samplesOf(drains.get("history"), (x) => x.perSec), ratio === undefined ? "n/a" : `${ratio.toFixed(2)}×`],
    ],
  );
  verdicts.push(
    atLeast(`no-op runs/s, PostgreSQL, with ${fmtInt(HISTORY)} finished runs kept`, ratio, 0.9, (v) => `${v.toFixed(2)}× the empty table (${fmtInt(full)} vs ${fmtInt(empty)} runs/s)`, "≥ 0.9×"),
  );

  const viewRounds: Timing[][] = [];
  for (let r = 0; r < R; r++) viewRounds.push(await runInChild<Timing[]>("history-postgres", "views", { url: await copy(`hist_views_${r}`), reps: REPS }).result);
  const rows = viewRounds[0]!.map((t, i) => ({ name: t.name, med: median(viewRounds.map((v) => v[i]!.median)), p95: median(viewRounds.map((v) => v[i]!.p95)) }));
  printTable(
    `Reads with ${fmtInt(HISTORY)} finished runs and 1,000 queued, PostgreSQL — median of ${R} rounds of ${REPS} requests; target < 50 ms`,
    ["read", "median", "p95"],
    rows.map((x) => [x.name, fmtMs(x.med), fmtMs(x.p95)]),
  );
  for (const name of ["stats()", "overview page", "runs page"]) {
    const x = rows.find((y) => y.name === name);
    verdicts.push(atMost(`${name}, PostgreSQL, ${fmtInt(HISTORY)} finished runs`, x?.med, 50, (v) => `${fmtMs(v)} median (p95 ${fmtMs(x?.p95)})`, "< 50 ms"));
  }
  const slowest = rows.reduce((a, b) => (b.med > a.med ? b : a));
  verdicts.push(atMost(`slowest runs-page filter, PostgreSQL (${slowest.name})`, slowest.med, 50, (v) => `${fmtMs(v)} median`, "< 50 ms"));

  // One prune of the whole history (the costliest step of this bench): bounded transactions beside a worker.
  const p = await runInChild<PgPruneResult>("history-postgres", "prune", { url: await copy("hist_prune") }).result;
  printTable(
    `engine.prune of ${fmtInt(HISTORY)} finished runs while a worker drains a backlog, PostgreSQL — one round`,
    ["runs deleted", "prune time", "worker runs/s alone", "worker runs/s during the prune", "event-loop gap p99 / max during the prune"],
    [[fmtInt(p.deleted), fmtMs(p.ms), fmtInt(p.perSecAlone), fmtInt(p.perSecDuring), `${fmtMs(p.pruning.p99)} / ${fmtMs(p.pruning.max)}`]],
    0,
  );
  verdicts.push({
    target: `prune ${fmtInt(HISTORY)} runs in bounded batches without blocking workers, PostgreSQL`,
    measured: `${fmtInt(p.deleted)} deleted in ${(p.ms / 1000).toFixed(1)} s; the worker kept ${p.perSecAlone > 0 ? ((100 * p.perSecDuring) / p.perSecAlone).toFixed(0) : "n/a"} % of its runs/s`,
    goal: "all deleted, worker keeps running (≥ 50 % of its rate)",
    met: p.deleted >= HISTORY && p.perSecDuring >= 0.5 * p.perSecAlone,
  });
  for (const r of [...Array(R).keys()]) {
    await server.dropDatabase(`hist_empty_${r}`);
    await server.dropDatabase(`hist_drain_${r}`);
    await server.dropDatabase(`hist_views_${r}`);
  }
} finally {
  await server.stop();
}
report("history-postgres", verdicts);
