/**
 * Resident memory of a worker process after 1k and after 100k no-op runs (after GC), on SQLite and
 * PostgreSQL; target: flat (RSS at 100k < 1.2 × RSS at 1k). The V8 heap in use is shown too: a flat
 * heap with a growing RSS points at native memory (SQLite page cache, allocator), not a JS leak, and
 * the RSS at N/10 runs shows whether the growth levels off. Each reading is taken 500 ms after a full GC
 * (V8 returns freed pages from a background thread), and shows V8's young generation apart: V8 sizes
 * it from the allocation rate, up to node's --max-semi-space-size, whatever the number of runs. Runs are triggered in batches of 1000 and
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
import { atMost, report, type Verdict } from "./lib/verdict.ts";

type Points = { runs: number; rssMiB: number; heapMiB: number; heapTotalMiB: number; youngMiB: number }[];
const small = envInt("BENCH_MEM_SMALL", 1000);
const big = envInt("BENCH_MEM_N", 100_000);
const mid = Math.max(small, Math.round(big / 10));
const R = envInt("BENCH_MEM_ROUNDS", 1);

const server = await startPgServer();
const dir = tempDir("memory");
const verdicts: Verdict[] = [];
try {
  console.log(`memory: ${machineLine()} · ${fmtInt(small)} → ${fmtInt(big)} runs · ${R} round(s)`);
  const checkpoints = [small, mid, big];
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
  const at = (k: number) => (p: Points): number => p[k]!.rssMiB;
  const young = (k: number) => (p: Points): number => p[k]!.youngMiB;
  const rest = (k: number) => (p: Points): number => p[k]!.rssMiB - p[k]!.youngMiB;
  printTable(
    `Memory after GC, MiB — at ${fmtInt(small)}, ${fmtInt(mid)} and ${fmtInt(big)} runs; target RSS(${fmtInt(big)}) / RSS(${fmtInt(small)}) < 1.2×`,
    ["store", `RSS @ ${fmtInt(small)}`, `RSS @ ${fmtInt(mid)}`, `RSS @ ${fmtInt(big)}`, `${fmtInt(big)} / ${fmtInt(small)}`, `${fmtInt(big)} / ${fmtInt(mid)}`, `heap used @ ${fmtInt(small)} / ${fmtInt(big)}`, `young gen. @ ${fmtInt(small)} / ${fmtInt(big)}`, `RSS − young gen., ${fmtInt(big)} / ${fmtInt(small)}`],
    [...out.values()].map((o) => {
      if (o.samples.length === 0) return [o.name, o.error ?? "no samples", "", "", "", "", "", "", ""];
      const a = medianOf(o, at(0));
      const m = medianOf(o, at(1));
      const b = medianOf(o, at(2));
      const heap = `${mib(medianOf(o, (p) => p[0]!.heapMiB))} / ${mib(medianOf(o, (p) => p[2]!.heapMiB))}`;
      const yg = `${mib(medianOf(o, young(0)))} / ${mib(medianOf(o, young(2)))}`;
      return [o.name, mib(a), mib(m), mib(b), ratio(b, a), ratio(b, m), heap, yg, ratio(medianOf(o, rest(2)), medianOf(o, rest(0)))];
    }),
  );
  console.log(
    "young gen. = V8's new space (both semi-spaces), which V8 grows with the allocation rate up to node's --max-semi-space-size (16 MiB per semi-space on 64-bit); it is part of RSS and of the verdict.",
  );
  for (const o of out.values()) {
    const a = medianOf(o, at(0));
    const b = medianOf(o, at(2));
    const growth = a !== undefined && b !== undefined ? b / a : undefined;
    verdicts.push(atMost(`RSS after ${fmtInt(big)} runs, ${o.name}`, growth, 1.2, (v) => `${v.toFixed(2)}× RSS at ${fmtInt(small)} (${mib(a)} → ${mib(b)} MiB)`, "< 1.2× (flat)"));
  }
} finally {
  dir.remove();
  await server.stop();
}
report("memory", verdicts);
