/**
 * Resident memory of a worker process after 1k and after 100k no-op runs (after GC), on SQLite and
 * PostgreSQL; target: flat (RSS at 100k < 1.2 × RSS at 1k). The V8 heap in use is shown too: a flat
 * heap with a growing RSS points at native memory (SQLite page cache, allocator), not a JS leak. Runs are triggered in batches of 1000 and
 * drained by one worker (concurrency 24) in the same process, with at most ~5000 waiting.
 * The SQLite and PostgreSQL processes run at the same time (memory, unlike speed, does not suffer
 * from sharing the CPU), which halves the bench's wall time.
 * Knobs: BENCH_MEM_SMALL (1000), BENCH_MEM_N (100000), BENCH_MEM_ROUNDS (1: one long run per store).
 */
import { envInt } from "./lib/env.ts";
import { runInChild } from "./lib/child.ts";
import { machineLine } from "./lib/machine.ts";
import { startPgServer } from "./lib/pg-server.ts";
import { medianOf, runRounds } from "./lib/rounds.ts";
import { fmtInt, ratio } from "./lib/stats.ts";
import { printTable } from "./lib/table.ts";
import { tempDir } from "./lib/tmp.ts";

type Points = { runs: number; rssMiB: number; heapMiB: number }[];
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
    "",
    { parallel: true },
  );
  const mib = (x: number | undefined): string => (x === undefined ? "n/a" : x.toFixed(1));
  printTable(
    `Memory after GC, MiB — ${fmtInt(small)} vs ${fmtInt(big)} runs; target RSS ratio < 1.2×`,
    ["store", `RSS @ ${fmtInt(small)}`, `RSS @ ${fmtInt(big)}`, "RSS big / small", `heap @ ${fmtInt(small)}`, `heap @ ${fmtInt(big)}`, "RSS samples (small → big)"],
    [...out.values()].map((o) => {
      const a = medianOf(o, (p) => p[0]!.rssMiB);
      const b = medianOf(o, (p) => p[1]!.rssMiB);
      const rss = o.samples.length === 0 ? (o.error ?? "") : o.samples.map((p) => `${mib(p[0]!.rssMiB)} → ${mib(p[1]!.rssMiB)}`).join(", ");
      return [o.name, mib(a), mib(b), ratio(b, a), mib(medianOf(o, (p) => p[0]!.heapMiB)), mib(medianOf(o, (p) => p[1]!.heapMiB)), rss];
    }),
  );
} finally {
  dir.remove();
  await server.stop();
}
