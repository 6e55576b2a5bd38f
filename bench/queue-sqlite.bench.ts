/**
 * No-op runs/s on SQLite, one process, concurrency 24: Errand vs plainjob (docs/CONTRACT.md §5: ≥ 2.5×),
 * with `synchronous = NORMAL` and `FULL`. Both get the same pre-enqueued jobs in a fresh WAL file and
 * are timed from the first job's start until every job is recorded as done. Errand runs with its
 * defaults and with `prefetch` (runs claimed ahead into a local buffer).
 * Knobs: BENCH_SQLITE_N (NORMAL, default 5000), BENCH_SQLITE_FULL_N (FULL, default 5000),
 * BENCH_CONCURRENCY (24), BENCH_ERRAND_PREFETCH (476), BENCH_ROUNDS (3).
 */
import { envInt, rounds } from "./lib/env.ts";
import { runInChild } from "./lib/child.ts";
import { machineLine } from "./lib/machine.ts";
import { medianOf, runRounds, samplesOf } from "./lib/rounds.ts";
import { fmtInt, ratio } from "./lib/stats.ts";
import { printTable } from "./lib/table.ts";
import { tempDir } from "./lib/tmp.ts";
import type { Rate } from "./lib/contestants/types.ts";

const concurrency = envInt("BENCH_CONCURRENCY", 24);
/** Errand's batched configuration: runs claimed ahead into a local buffer (500 claimed in all). */
const prefetch = envInt("BENCH_ERRAND_PREFETCH", 500 - concurrency);
const R = rounds();
const dir = tempDir("sqlite");
console.log(`queue-sqlite: ${machineLine()} · concurrency ${concurrency} · ${R} rounds`);

const rows: string[][] = [];
for (const synchronous of ["NORMAL", "FULL"] as const) {
  const n = synchronous === "NORMAL" ? envInt("BENCH_SQLITE_N", 5_000) : envInt("BENCH_SQLITE_FULL_N", 5_000);
  const out = await runRounds<Rate & { synchronous?: string | null }>(
    [
      {
        name: "Errand",
        run: (r) =>
          runInChild<Rate & { synchronous: string | null }>("errand", "throughput", {
            target: { kind: "sqlite", path: dir.file(`errand-${synchronous}-${r}.db`), synchronous },
            n,
            concurrency,
          }).result.then((x) => {
            if (x.synchronous !== synchronous) throw new Error(`Errand's store ran with synchronous=${x.synchronous}, not ${synchronous}`);
            return x;
          }),
      },
      {
        name: "Errand prefetch",
        run: (r) =>
          runInChild<Rate & { synchronous: string | null }>("errand", "throughput", {
            target: { kind: "sqlite", path: dir.file(`errandp-${synchronous}-${r}.db`), synchronous },
            n,
            concurrency,
            prefetch,
          }).result,
      },
      {
        name: "plainjob",
        run: (r) =>
          runInChild<Rate>("plainjob", "throughput", { path: dir.file(`plainjob-${synchronous}-${r}.db`), n, concurrency, synchronous }).result,
      },
    ],
    R,
    `[${synchronous}] `,
  );
  const e = out.get("Errand");
  const ep = out.get("Errand prefetch");
  const p = out.get("plainjob");
  const eMed = medianOf(e, (x) => x.perSec);
  const pMed = medianOf(p, (x) => x.perSec);
  rows.push([`Errand, ${synchronous}`, fmtInt(n), fmtInt(eMed), samplesOf(e, (x) => x.perSec), ratio(eMed, pMed)]);
  const epMed = medianOf(ep, (x) => x.perSec);
  rows.push([`Errand, prefetch ${prefetch}, ${synchronous}`, fmtInt(n), fmtInt(epMed), samplesOf(ep, (x) => x.perSec), ratio(epMed, pMed)]);
  rows.push([`plainjob 0.0.14 (${concurrency} workers), ${synchronous}`, fmtInt(n), fmtInt(pMed), samplesOf(p, (x) => x.perSec), "1.00×"]);
}
dir.remove();
printTable(
  `No-op runs/s, SQLite (WAL), 1 process, concurrency ${concurrency} — median of ${R}; target Errand/plainjob ≥ 2.5×`,
  ["contestant", "jobs", "runs/s (median)", "samples", "Errand / plainjob"],
  rows,
);
