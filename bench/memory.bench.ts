/**
 * Resident memory of a worker process after 1k and after 100k no-op runs (after GC), on SQLite and
 * PostgreSQL; target: flat (RSS at 100k < 1.2 × RSS at 1k). Runs are triggered in batches of 1000 and
 * drained by one worker (concurrency 24) in the same process, with at most ~5000 waiting. Each store
 * runs in two processes, which read the checkpoints (1k, N/10, N runs) in two ways:
 *
 * - hot: 500 ms after a full GC, at the end of the load (V8 gives the pages a GC freed back from a
 *   background thread). V8's young generation is then as V8 sized it for the load: it grows with the
 *   bytes that survive its scavenges, up to node's --max-semi-space-size (16 MiB per semi-space), in
 *   any process that keeps a steady set of live objects while it allocates, whatever the number of
 *   runs; its pages are resident. So the hot ratio measures how far V8 got in growing it by 1k runs.
 * - at rest: the worker keeps running, idle, until V8's memory reducer has shrunk the young generation
 *   again (some 8–50 s after the load ends; at most 60 s), then a full GC and the reading. This is the
 *   memory the process keeps for what it did; the verdict is on it. Both ratios are printed. (The
 *   pauses change how V8 grows the young generation afterwards: hence two processes, so that the hot
 *   readings are those of an uninterrupted load.)
 *
 * The heap in use is shown too: a flat heap with a growing RSS points at native memory (SQLite page
 * cache, allocator), not a JS leak. The four processes run at the same time (memory, unlike speed,
 * does not suffer from sharing the CPU), which keeps the bench's wall time to that of the longest.
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
import type { MemoryPoint } from "./lib/contestants/errand.ts";

type Points = MemoryPoint[];
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
  const stores = [
    { name: "Errand, SQLite NORMAL", target: async (r: number, way: string) => ({ kind: "sqlite" as const, path: dir.file(`m-${way}-${r}.db`), synchronous: "NORMAL" as const }) },
    { name: "Errand, PostgreSQL", target: async (r: number, way: string) => ({ kind: "postgres" as const, url: await server.freshDatabase(`mem_${way}_${r}`) }) },
  ];
  const ways = [
    { way: "hot", rest: false },
    { way: "rest", rest: true },
  ];
  const out = await runRounds<Points>(
    stores.flatMap((s) =>
      ways.map(({ way, rest }) => ({
        name: `${s.name} (${way})`,
        run: async (r: number) => runInChild<Points>("errand", "memory", { target: await s.target(r, way), checkpoints, rest }).result,
      })),
    ),
    R,
    "",
    { parallel: true },
  );
  const mib = (x: number | undefined): string => (x === undefined ? "n/a" : x.toFixed(1));
  const results = (name: string, way: string) => out.get(`${name} (${way})`)!;
  const at = (k: number, f: (r: Points[number]) => number) => (p: Points): number => f(p[k]!);
  const rss = (r: Points[number]) => r.rssMiB;
  for (const [way, label] of [
    ["hot", "hot: 500 ms after a full GC, at the end of the load"],
    ["rest", "at rest: once V8 has shrunk its young generation again, then a full GC"],
  ] as const) {
    printTable(
      `Memory, MiB, ${label} — at ${fmtInt(small)}, ${fmtInt(mid)} and ${fmtInt(big)} runs; target RSS(${fmtInt(big)}) / RSS(${fmtInt(small)}) < 1.2×`,
      ["store", `RSS @ ${fmtInt(small)}`, `RSS @ ${fmtInt(mid)}`, `RSS @ ${fmtInt(big)}`, `${fmtInt(big)} / ${fmtInt(small)}`, `${fmtInt(big)} / ${fmtInt(mid)}`, `heap used @ ${fmtInt(small)} / ${fmtInt(big)}`, `young gen. @ ${fmtInt(small)} / ${fmtInt(big)}`, `RSS − young gen., ${fmtInt(big)} / ${fmtInt(small)}`],
      stores.map(({ name }) => {
        const o = results(name, way);
        if (o.samples.length === 0) return [name, o.error ?? "no samples", "", "", "", "", "", "", ""];
        const a = medianOf(o, at(0, rss));
        const m = medianOf(o, at(1, rss));
        const b = medianOf(o, at(2, rss));
        const heap = `${mib(medianOf(o, at(0, (r) => r.heapMiB)))} / ${mib(medianOf(o, at(2, (r) => r.heapMiB)))}`;
        const yg = `${mib(medianOf(o, at(0, (r) => r.youngMiB)))} / ${mib(medianOf(o, at(2, (r) => r.youngMiB)))}`;
        const rest = (k: number) => medianOf(o, at(k, (r) => r.rssMiB - r.youngMiB));
        return [name, mib(a), mib(m), mib(b), ratio(b, a), ratio(b, m), heap, yg, ratio(rest(2), rest(0))];
      }),
    );
  }
  const waits = stores.flatMap(({ name }) =>
    results(name, "rest").samples.flatMap((p) => p.map((x) => `${(x.waitedMs! / 1000).toFixed(1)} s${x.shrunk === true ? "" : " (not shrunk)"}`)),
  );
  console.log(
    `young gen. = V8's new space (both semi-spaces). Waits for the rest readings: ${waits.join(", ")}. The hot ratio is printed for information: V8 grows the young generation up to node's --max-semi-space-size with the bytes its scavenges keep, in any process, and shrinks it once the load ends; see docs/PERFORMANCE.md, "Memory".`,
  );
  for (const { name } of stores) {
    const rest = results(name, "rest");
    const hot = results(name, "hot");
    const a = medianOf(rest, at(0, rss));
    const b = medianOf(rest, at(2, rss));
    const hotA = medianOf(hot, at(0, rss));
    const hotB = medianOf(hot, at(2, rss));
    const growth = a !== undefined && b !== undefined ? b / a : undefined;
    const hotText = hotA !== undefined && hotB !== undefined ? `; hot ${(hotB / hotA).toFixed(2)}×, ${mib(hotA)} → ${mib(hotB)}` : "";
    verdicts.push(atMost(`RSS after ${fmtInt(big)} runs, at rest, ${name}`, growth, 1.2, (v) => `${v.toFixed(2)}× RSS at ${fmtInt(small)} (${mib(a)} → ${mib(b)} MiB${hotText})`, "< 1.2× (flat)"));
  }
} finally {
  dir.remove();
  await server.stop();
}
report("memory", verdicts);
