/**
 * History does not cost speed (docs/CONTRACT.md §5, SQLite): with BENCH_HISTORY_RUNS (1,000,000) finished runs
 * kept in the table, (1) no-op runs/s with the defaults is ≥ 0.9× the same drain on an empty table,
 * (2) stats(), the overview and the runs pages answer in < 50 ms, (3) prune deletes the history in
 * small transactions while a worker keeps completing runs (the longest event-loop pause is reported).
 * The history is written once (one INSERT … SELECT) and copied for each round; every measurement runs
 * in its own process. Knobs: BENCH_HISTORY_RUNS (1000000), BENCH_HISTORY_N (20000 drained),
 * BENCH_HISTORY_REPS (30 requests per view), BENCH_ROUNDS (3).
 */
import { closeSync, copyFileSync, fsyncSync, openSync } from "node:fs";
import { envInt, rounds } from "./lib/env.ts";
import { runInChild } from "./lib/child.ts";
import { machineLine } from "./lib/machine.ts";
import { medianOf, runRounds, samplesOf } from "./lib/rounds.ts";
import { fmtInt, fmtMs, median } from "./lib/stats.ts";
import { printTable } from "./lib/table.ts";
import { tempDir } from "./lib/tmp.ts";
import type { Rate } from "./lib/contestants/types.ts";
import type { PruneResult, Timing } from "./lib/contestants/history.ts";
import { atLeast, atMost, report, type Verdict } from "./lib/verdict.ts";

const HISTORY = envInt("BENCH_HISTORY_RUNS", 1_000_000);
const N = envInt("BENCH_HISTORY_N", 20_000);
const REPS = envInt("BENCH_HISTORY_REPS", 30);
const R = rounds();
const dir = tempDir("history");
const verdicts: Verdict[] = [];
console.log(`history: ${machineLine()} · ${fmtInt(HISTORY)} finished runs kept · ${fmtInt(N)} drained · ${R} rounds`);

const template = dir.file("history.db");
const filled = await runInChild<{ ms: number }>("history", "fill", { path: template, n: HISTORY }).result;
console.log(`history: ${fmtInt(HISTORY)} finished runs written in ${fmtInt(filled.ms)} ms`);
/**
 * Flushes a file the bench wrote to disk before a measurement uses it: otherwise the kernel writes
 * its hundreds of MB back during the measurement, and the drain's checkpoints wait behind that
 * writeback (the empty table's drain has no such file).
 */
const flush = (path: string): void => {
  const fd = openSync(path, "r+");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
};
flush(template);
/** A copy of the history for one measurement, flushed. */
const copy = (name: string): string => {
  const path = dir.file(name);
  copyFileSync(template, path);
  flush(path);
  return path;
};

const drains = await runRounds<Rate>(
  [
    { name: "empty", run: (r) => runInChild<Rate>("history", "drain", { path: dir.file(`empty-${r}.db`), n: N }).result },
    { name: "history", run: (r) => runInChild<Rate>("history", "drain", { path: copy(`drain-${r}.db`), n: N }).result },
  ],
  R,
  "[drain] ",
);
const empty = medianOf(drains.get("empty"), (x) => x.perSec);
const full = medianOf(drains.get("history"), (x) => x.perSec);
const ratio = empty !== undefined && full !== undefined ? full / empty : undefined;
printTable(
  `No-op runs/s, SQLite NORMAL, defaults (concurrency 24), ${fmtInt(N)} runs — median of ${R}; target with history ≥ 0.9× empty`,
  ["table", "runs/s (median)", "samples", "vs empty", "verdict"],
  [
    ["empty", fmtInt(empty), samplesOf(drains.get("empty"), (x) => x.perSec), "1.00×", ""],
    [`${fmtInt(HISTORY)} finished runs`, fmtInt(full), samplesOf(drains.get("history"), (x) => x.perSec), ratio === undefined ? "n/a" : `${ratio.toFixed(2)}×`, ratio === undefined ? "" : ratio >= 0.9 ? "meets" : "**misses**"],
  ],
);
verdicts.push(
  atLeast(`no-op runs/s, SQLite NORMAL, with ${fmtInt(HISTORY)} finished runs kept`, ratio, 0.9, (v) => `${v.toFixed(2)}× the empty table (${fmtInt(full)} vs ${fmtInt(empty)} runs/s)`, "≥ 0.9×"),
);

const viewRounds: Timing[][] = [];
for (let r = 0; r < R; r++) viewRounds.push(await runInChild<Timing[]>("history", "views", { path: copy(`views-${r}.db`), reps: REPS }).result);
const viewMedians = viewRounds[0]!.map((t, i) => ({ name: t.name, med: median(viewRounds.map((v) => v[i]!.median)), p95: median(viewRounds.map((v) => v[i]!.p95)) }));
printTable(
  `Reads with ${fmtInt(HISTORY)} finished runs and 1,000 queued — median of ${R} rounds of ${REPS} requests; target < 50 ms`,
  ["read", "median", "p95", "verdict"],
  viewMedians.map((v) => [v.name, fmtMs(v.med), fmtMs(v.p95), v.med < 50 ? "meets" : "**misses**"]),
);
for (const v of viewMedians.slice(0, 3)) {
  verdicts.push(atMost(`${v.name}, SQLite, ${fmtInt(HISTORY)} finished runs`, v.med, 50, (x) => `${fmtMs(x)} median (p95 ${fmtMs(v.p95)})`, "< 50 ms"));
}
const slowest = viewMedians.reduce((a, b) => (b.med > a.med ? b : a));
verdicts.push(atMost(`slowest read, SQLite (${slowest.name})`, slowest.med, 50, (x) => `${fmtMs(x)} median`, "< 50 ms"));

const prunes: PruneResult[] = [];
for (let r = 0; r < R; r++) prunes.push(await runInChild<PruneResult>("history", "prune", { path: copy(`prune-${r}.db`), n: Math.max(N, 100_000) }).result);
const med = (f: (p: PruneResult) => number) => median(prunes.map(f));
printTable(
  `engine.prune of ${fmtInt(HISTORY)} finished runs while a worker drains — median of ${R}`,
  ["runs deleted", "prune time", "event-loop gap p99 / max, worker alone", "same, during the prune", "runs completed during the prune"],
  [
    [
      fmtInt(med((p) => p.deleted)),
      fmtMs(med((p) => p.ms)),
      `${fmtMs(med((p) => p.alone.p99))} / ${fmtMs(med((p) => p.alone.max))}`,
      `${fmtMs(med((p) => p.pruning.p99))} / ${fmtMs(med((p) => p.pruning.max))}`,
      fmtInt(med((p) => p.completedDuring)),
    ],
  ],
  0,
);
{
  const deleted = med((p) => p.deleted);
  const gapAlone = med((p) => p.alone.p99);
  const gapDuring = med((p) => p.pruning.p99);
  const during = med((p) => p.completedDuring);
  verdicts.push({
    target: `prune ${fmtInt(HISTORY)} runs in bounded batches without blocking workers, SQLite`,
    measured: `${fmtInt(deleted)} deleted in ${(med((p) => p.ms) / 1000).toFixed(1)} s; ${fmtInt(during)} runs completed meanwhile; event-loop gap p99 ${fmtMs(gapDuring)} during it, ${fmtMs(gapAlone)} with the worker alone`,
    goal: "all deleted, runs complete meanwhile, event-loop gap p99 ≤ 2× the worker alone's",
    met: deleted >= HISTORY && during > 0 && gapDuring <= 2 * gapAlone,
  });
}
dir.remove();
report("history", verdicts);
