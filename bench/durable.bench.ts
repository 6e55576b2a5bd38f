/**
 * Durable runs on SQLite (issue 4): a 10-step no-op durable run vs a plain no-op run (0 steps), in the
 * same process, same store settings (WAL, synchronous NORMAL), same worker concurrency. Runs are
 * pre-enqueued with batchTrigger and timed from the worker's start until the last run completed.
 *
 *   runs/s          = n / elapsed
 *   per-step cost   = (1/runs/s[10 steps] − 1/runs/s[0 steps]) / 10, in µs of wall time
 *
 * At concurrency 1 the per-step figure is the latency one step adds to a run; at concurrency 24 it is
 * the throughput cost of a step (one process: SQLite writes and JS share one thread). The same two
 * figures are also given in CPU time of the process (user + system), which other work on a shared
 * machine disturbs less than wall time.
 * Knobs: BENCH_DURABLE_N (runs per sample, default 2000), BENCH_DURABLE_N1 (at concurrency 1,
 * default 500), BENCH_ROUNDS (3).
 */
import { createEngine, defineTask } from "../src/index.ts";
import { sqliteStore } from "../src/sqlite/index.ts";
import { envInt, rounds } from "./lib/env.ts";
import { machineLine } from "./lib/machine.ts";
import { medianOf, runRounds, samplesOf } from "./lib/rounds.ts";
import { fmtInt } from "./lib/stats.ts";
import { printTable } from "./lib/table.ts";
import { tempDir } from "./lib/tmp.ts";

const STEPS = 10;
const R = rounds();
const dir = tempDir("durable");

interface Sample {
  readonly perSec: number;
  /** Wall time per run. */
  readonly usPerRun: number;
  /** CPU time (user + system) of this process per run: less disturbed by other work on a shared machine. */
  readonly cpuUsPerRun: number;
}

const durable = defineTask({
  id: "durable-10",
  run: async (_: { i: number }, ctx) => {
    let acc = 0;
    for (let s = 0; s < STEPS; s++) acc += await ctx.step(`s${s}`, () => s);
    return acc;
  },
});
const plain = defineTask({ id: "plain", run: async (_: { i: number }) => 0 });

async function measure(kind: "durable" | "plain", n: number, concurrency: number, file: string): Promise<Sample> {
  const engine = createEngine({ store: sqliteStore({ path: file }), tasks: [durable, plain] });
  const t = kind === "durable" ? durable : plain;
  for (let i = 0; i < n; i += 1000) {
    await engine.batchTrigger(t, Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({ i: i + j })));
  }
  let done = 0;
  let finish: () => void = () => {};
  const all = new Promise<void>((r) => (finish = r));
  const worker = engine.worker({ concurrency, pollIntervalMs: 50 });
  worker.on("run:completed", () => {
    if (++done === n) finish();
  });
  worker.on("run:failed", ({ error }) => console.error(`durable bench: a run failed: ${error.message}`));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await worker.start();
  await all;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await worker.stop();
  const stats = await engine.runs.stats();
  if (stats.byStatus.completed !== n) throw new Error(`expected ${n} completed runs, the store has ${stats.byStatus.completed}`);
  if (kind === "durable") {
    const last = (await engine.runs.list({ limit: 1 })).runs[0]!;
    const steps = await engine.runs.steps(last.id);
    if (steps.length !== STEPS) throw new Error(`expected ${STEPS} stored steps per run, found ${steps.length}`);
  }
  await engine.close();
  return { perSec: (n / ms) * 1000, usPerRun: (ms * 1000) / n, cpuUsPerRun: (cpu.user + cpu.system) / n };
}

console.log(`durable: ${machineLine()} · ${STEPS} steps per durable run · ${R} rounds`);
const rows: string[][] = [];
for (const concurrency of [1, 24]) {
  const n = concurrency === 1 ? envInt("BENCH_DURABLE_N1", 500) : envInt("BENCH_DURABLE_N", 2000);
  const out = await runRounds<Sample>(
    (["durable", "plain"] as const).map((kind) => ({
      name: kind,
      run: (r: number) => measure(kind, n, concurrency, dir.file(`${kind}-${concurrency}-${r}.db`)),
    })),
    R,
    `[c${concurrency}] `,
  );
  const d = out.get("durable");
  const p = out.get("plain");
  const dUs = medianOf(d, (x) => x.usPerRun);
  const pUs = medianOf(p, (x) => x.usPerRun);
  const dCpu = medianOf(d, (x) => x.cpuUsPerRun);
  const pCpu = medianOf(p, (x) => x.cpuUsPerRun);
  const perStep = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? "" : ((a - b) / STEPS).toFixed(0));
  rows.push([
    `${STEPS}-step durable run, c=${concurrency}`, fmtInt(n), fmtInt(medianOf(d, (x) => x.perSec)), samplesOf(d, (x) => x.perSec),
    dUs?.toFixed(0) ?? "", perStep(dUs, pUs), dCpu?.toFixed(0) ?? "", perStep(dCpu, pCpu),
  ]);
  rows.push([
    `plain no-op run, c=${concurrency}`, fmtInt(n), fmtInt(medianOf(p, (x) => x.perSec)), samplesOf(p, (x) => x.perSec),
    pUs?.toFixed(0) ?? "", "", pCpu?.toFixed(0) ?? "", "",
  ]);
}
dir.remove();
printTable(
  `Durable runs, SQLite (WAL, synchronous NORMAL), 1 process — median of ${R}`,
  ["workload", "runs", "runs/s (median)", "samples", "wall µs/run", "wall µs/step", "CPU µs/run", "CPU µs/step"],
  rows,
);
