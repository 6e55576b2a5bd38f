/**
 * No-op runs/s on SQLite, one process: Errand with its default options (concurrency 24) vs plainjob in
 * both of its setups — 1 worker and 24 workers on one queue — compared against the faster of the two
 * (docs/CONTRACT.md §5: ≥ 2.5×), with `synchronous = NORMAL` and `FULL`. Every contestant gets the same
 * pre-enqueued jobs in a fresh WAL file and is timed from the first job's start until every job is
 * recorded as done. With BENCH_ERRAND_PREFETCH set, Errand also runs with that `prefetch`.
 * Knobs: BENCH_SQLITE_N (NORMAL, default 20000), BENCH_SQLITE_FULL_N (FULL, default 5000),
 * BENCH_CONCURRENCY (24), BENCH_ERRAND_PREFETCH (unset), BENCH_ROUNDS (3).
 */
import { envInt, rounds } from "./lib/env.ts";
import { runInChild } from "./lib/child.ts";
import { machineLine } from "./lib/machine.ts";
import { medianOf, runRounds, samplesOf, type Contestant } from "./lib/rounds.ts";
import { fmtInt, ratio } from "./lib/stats.ts";
import { printTable } from "./lib/table.ts";
import { tempDir } from "./lib/tmp.ts";
import type { Rate } from "./lib/contestants/types.ts";
import { atLeast, report, type Verdict } from "./lib/verdict.ts";

const TARGET = 2.5;
const concurrency = envInt("BENCH_CONCURRENCY", 24);
const prefetch = envInt("BENCH_ERRAND_PREFETCH", 0);
const R = rounds();
const dir = tempDir("sqlite");
console.log(`queue-sqlite: ${machineLine()} · Errand concurrency ${concurrency} · ${R} rounds`);

type Result = Rate & { synchronous?: string | null };

function errand(name: string, synchronous: "NORMAL" | "FULL", n: number, extra: { prefetch?: number } = {}): Contestant<Result> {
  return {
    name,
    run: (r) =>
      runInChild<Result>("errand", "throughput", {
        target: { kind: "sqlite", path: dir.file(`${name.replace(/\W/g, "")}-${synchronous}-${r}.db`), synchronous },
        n,
        concurrency,
        ...extra,
      }).result.then((x) => {
        if (x.synchronous !== synchronous) throw new Error(`Errand's store ran with synchronous=${x.synchronous}, not ${synchronous}`);
        return x;
      }),
  };
}

function plainjob(workers: number, synchronous: "NORMAL" | "FULL", n: number): Contestant<Result> {
  return {
    name: `plainjob ${workers}`,
    run: (r) => runInChild<Rate>("plainjob", "throughput", { path: dir.file(`plainjob${workers}-${synchronous}-${r}.db`), n, concurrency: workers, synchronous }).result,
  };
}

const rows: string[][] = [];
const verdicts: Verdict[] = [];
for (const synchronous of ["NORMAL", "FULL"] as const) {
  const n = synchronous === "NORMAL" ? envInt("BENCH_SQLITE_N", 20_000) : envInt("BENCH_SQLITE_FULL_N", 5_000);
  const contestants = [errand("Errand", synchronous, n), plainjob(1, synchronous, n), plainjob(24, synchronous, n)];
  if (prefetch > 0) contestants.push(errand("Errand prefetch", synchronous, n, { prefetch }));
  const out = await runRounds<Result>(contestants, R, `[${synchronous}] `);
  const med = (name: string) => medianOf(out.get(name), (x) => x.perSec);
  const p1 = med("plainjob 1");
  const p24 = med("plainjob 24");
  const faster = (p1 ?? 0) >= (p24 ?? 0) ? p1 : p24;
  const row = (label: string, name: string, verdict: boolean) => {
    const m = med(name);
    const rel = m !== undefined && faster !== undefined ? m / faster : undefined;
    const v = !verdict || rel === undefined ? "" : rel >= TARGET ? "meets" : "**misses**";
    rows.push([label, fmtInt(n), fmtInt(m), samplesOf(out.get(name), (x) => x.perSec), ratio(m, faster), v]);
  };
  row(`Errand (defaults), ${synchronous}`, "Errand", true);
  const e = med("Errand");
  verdicts.push(
    atLeast(
      `no-op runs/s, SQLite ${synchronous}, 1 process, defaults`,
      e !== undefined && faster !== undefined ? e / faster : undefined,
      TARGET,
      (v) => `${v.toFixed(2)}× the faster plainjob setup (${fmtInt(e)} vs ${fmtInt(faster)} runs/s)`,
      `≥ ${TARGET}×`,
    ),
  );
  if (prefetch > 0) row(`Errand, prefetch ${prefetch}, ${synchronous}`, "Errand prefetch", false);
  row(`plainjob 0.0.14, 1 worker, ${synchronous}`, "plainjob 1", false);
  row(`plainjob 0.0.14, 24 workers, ${synchronous}`, "plainjob 24", false);
}
dir.remove();
printTable(
  `No-op runs/s, SQLite (WAL), 1 process — median of ${R}; target Errand ≥ ${TARGET}× the faster plainjob setup`,
  ["contestant", "jobs", "runs/s (median)", "samples", "vs faster plainjob", "verdict"],
  rows,
);
report("queue-sqlite", verdicts);
