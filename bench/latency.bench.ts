/**
 * Trigger→start latency, idle system, open loop at BENCH_LATENCY_RATE/s (default 200, well below
 * saturation): producer and worker (concurrency 24) in one process, the producer firing on a fixed
 * schedule; each job records now − the moment its trigger/addJob was called. Errand on SQLite
 * (NORMAL and FULL) and on PostgreSQL vs graphile-worker (its default, unbatched configuration); and,
 * for information (no verdict), Errand on PostgreSQL with the worker in another process than the
 * producer (the two share the machine's monotonic clock).
 * Targets: PostgreSQL p50 ≤ 2 ms, p99 ≤ 10 ms; SQLite p50 ≤ 1 ms.
 * Knobs: BENCH_LATENCY_N (1000 measured + 100 warm-up: the p99 is the 10th worst sample), BENCH_LATENCY_RATE (200), BENCH_ROUNDS (3),
 * BENCH_LATENCY_ONLY (contestants whose name contains one of these, e.g. `PostgreSQL`), BENCH_PG_BASE (the
 * path of another checkout of Errand with node_modules: its Errand on PostgreSQL runs too, first in each
 * round, for an A/B of a change on one server).
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { envInt, envList, rounds } from "./lib/env.ts";
import { runInChild } from "./lib/child.ts";
import { machineLine } from "./lib/machine.ts";
import { startPgServer } from "./lib/pg-server.ts";
import { medianOf, runRounds, samplesOf, type Contestant } from "./lib/rounds.ts";
import { fmtMs, ratio } from "./lib/stats.ts";
import { printTable } from "./lib/table.ts";
import { tempDir } from "./lib/tmp.ts";
import type { Latencies } from "./lib/contestants/types.ts";
import { atMost, report, type Verdict } from "./lib/verdict.ts";

const n = envInt("BENCH_LATENCY_N", 1000);
const perSec = envInt("BENCH_LATENCY_RATE", 200);
const warmup = 100;
const R = rounds();
const only = envList("BENCH_LATENCY_ONLY", []);
const baseTree = process.env["BENCH_PG_BASE"] ?? null;
/** The other checkout's child runner: its contestants import its own src/. */
const runBase: typeof runInChild | null =
  baseTree === null ? null : ((await import(pathToFileURL(join(baseTree, "bench/lib/child.ts")).href)) as { runInChild: typeof runInChild }).runInChild;

const server = await startPgServer();
const dir = tempDir("latency");
const verdicts: Verdict[] = [];
try {
  console.log(`latency: ${machineLine()} · ${await server.settings()} · ${n} jobs at ${perSec}/s · ${R} rounds`);
  const base: Contestant<Latencies>[] =
    runBase === null
      ? []
      : [
          {
            name: "Errand (BENCH_PG_BASE), PostgreSQL",
            run: async (r) =>
              runBase<Latencies>("errand", "latency", { target: { kind: "postgres", url: await server.freshDatabase(`lat_b_${r}`) }, n, perSec, warmup }).result,
          },
        ];
  const all: Contestant<Latencies>[] = [
    ...base,
    {
      name: "Errand, PostgreSQL",
      run: async (r) =>
        runInChild<Latencies>("errand", "latency", { target: { kind: "postgres", url: await server.freshDatabase(`lat_e_${r}`) }, n, perSec, warmup }).result,
    },
    {
      name: "Errand, PostgreSQL, worker in another process",
      run: async (r) => runInChild<Latencies>("errand", "latencyApart", { url: await server.freshDatabase(`lat_a_${r}`), n, perSec, warmup }).result,
    },
    {
      name: "graphile-worker 0.17.3, PostgreSQL",
      run: async (r) => runInChild<Latencies>("graphile", "latency", { url: await server.freshDatabase(`lat_g_${r}`), n, perSec, warmup }).result,
    },
    {
      name: "Errand, SQLite NORMAL",
      run: (r) =>
        runInChild<Latencies>("errand", "latency", { target: { kind: "sqlite", path: dir.file(`n-${r}.db`), synchronous: "NORMAL" }, n, perSec, warmup })
          .result,
    },
    {
      name: "Errand, SQLite FULL",
      run: (r) =>
        runInChild<Latencies>("errand", "latency", { target: { kind: "sqlite", path: dir.file(`f-${r}.db`), synchronous: "FULL" }, n, perSec, warmup })
          .result,
    },
  ];
  const out = await runRounds<Latencies>(
    all.filter((c) => only.length === 0 || only.some((x) => c.name.includes(x))),
    R,
  );
  const g = out.get("graphile-worker 0.17.3, PostgreSQL");
  const g50 = medianOf(g, (x) => x.p50);
  const g99 = medianOf(g, (x) => x.p99);
  const targets: Record<string, string> = {
    "Errand, PostgreSQL": "≤ 2 ms / ≤ 10 ms",
    "Errand, PostgreSQL, worker in another process": "— (information)",
    "Errand, SQLite NORMAL": "≤ 1 ms / –",
    "Errand, SQLite FULL": "≤ 1 ms / –",
  };
  printTable(
    `Trigger→start latency, open loop at ${perSec}/s, ${n} jobs — medians of ${R} rounds (lower is better)`,
    ["contestant", "p50", "p99", "max", "p50 samples", "p99 samples", "p50 / p99 vs graphile", "target p50 / p99"],
    [...out.values()].map((o) => {
      const p50 = medianOf(o, (x) => x.p50);
      const p99 = medianOf(o, (x) => x.p99);
      const same = o === g;
      return [
        o.name,
        fmtMs(p50),
        fmtMs(p99),
        fmtMs(medianOf(o, (x) => x.max)),
        samplesOf(o, (x) => x.p50, 2),
        samplesOf(o, (x) => x.p99, 2),
        same ? "1.00× / 1.00×" : `${ratio(p50, g50)} / ${ratio(p99, g99)}`,
        targets[o.name] ?? "",
      ];
    }),
  );
  const pgo = out.get("Errand, PostgreSQL");
  const p50 = medianOf(pgo, (x) => x.p50);
  const p99 = medianOf(pgo, (x) => x.p99);
  const vsPeer = g50 === undefined ? "" : ` (graphile-worker ${fmtMs(g50)} / ${fmtMs(g99)})`;
  verdicts.push(atMost("trigger→start p50, idle, PostgreSQL", p50, 2, (v) => `${fmtMs(v)}${vsPeer}`, "≤ 2 ms"));
  verdicts.push(atMost("trigger→start p99, idle, PostgreSQL", p99, 10, (v) => fmtMs(v), "≤ 10 ms"));
  for (const name of ["Errand, SQLite NORMAL", "Errand, SQLite FULL"]) {
    verdicts.push(atMost(`trigger→start p50, idle, ${name.replace("Errand, ", "")}`, medianOf(out.get(name), (x) => x.p50), 1, (v) => fmtMs(v), "≤ 1 ms"));
  }
} finally {
  dir.remove();
  await server.stop();
}
report("latency", verdicts);
