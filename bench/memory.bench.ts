/**
 * Resident memory of a worker process after 1k and after 100k no-op runs (after GC), on SQLite and
 * PostgreSQL; target: flat (RSS at 100k < 1.2 × RSS at 1k). Runs are triggered in batches of 1000 and
 * drained by one worker (concurrency 24) in the same process, with at most ~5000 waiting.
 * Knobs: BENCH_MEM_SMALL (1000), BENCH_MEM_N (100000), BENCH_MEM_ROUNDS (1: one long run per store).
 */
import { envInt } from "./lib/env.ts";
import { runInChild } from "./lib/child.ts";
import { machineLine } from "./lib/machine.ts";
import { startPgServer } from "./lib/pg-server.ts";
import { medianOf, runRounds, samplesOf } from "./lib/rounds.ts";
import { fmtInt, ratio } from "./lib/stats.ts";
import { printTable } from "./lib/table.ts";
import { tempDir } from "./lib/tmp.ts";

type Points = { runs: number; rssMiB: number }[];
const small = envInt("BENCH_MEM_SMALL", 1000);
const big = envInt("BENCH_MEM_N", 100_000);
const R = envInt("BENCH_MEM_ROUNDS", 1);

const server = await startPgServer();
const dir = tempDir("memory");
try {
  console.log(`memory: ${machineLine()} · ${fmtInt(small)} → ${fmtInt(big)} runs · ${R} round(s)`);
  const checkpoints = [small, big];
  const out = await runRounds<Points>(
    [
      {
        name: "Errand, SQLite NORMAL",
        run: (r) => runInChild<Points>("errand", "memory", { target: { kind: "sqlite", path: dir.file(`m-${r}.db`), synchronous: "NORMAL" }, checkpoints }).result,
      },
      {
        name: "Errand, PostgreSQL",
        run: async (r) => runInChild<Points>("errand", "memory", { target: { kind: "postgres", url: await server.freshDatabase(`mem_${r}`) }, checkpoints }).result,
      },
    ],
    R,
  );
  printTable(
    `RSS after GC, MiB — ${fmtInt(small)} vs ${fmtInt(big)} runs; target ratio < 1.2×`,
    ["store", `RSS @ ${fmtInt(small)}`, `RSS @ ${fmtInt(big)}`, "samples (small → big)", "big / small"],
    [...out.values()].map((o) => {
      const a = medianOf(o, (p) => p[0]!.rssMiB);
      const b = medianOf(o, (p) => p[1]!.rssMiB);
      return [o.name, a === undefined ? "n/a" : a.toFixed(1), b === undefined ? "n/a" : b.toFixed(1), samplesOf(o, (p) => p[0]!.rssMiB, 1) + " → " + samplesOf(o, (p) => p[1]!.rssMiB, 1), ratio(b, a)];
    }),
  );
} finally {
  dir.remove();
  await server.stop();
}
