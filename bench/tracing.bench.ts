/**
 * The cost of OpenTelemetry support on the SQLite drain (no-op runs/s, concurrency 24, one process):
 * - "no SDK": this checkout, no provider registered (what most users run): target ≤ 3% more CPU per
 *   run than the baseline, the src/ of the commit before tracing was added (extracted with
 *   `git archive`; without git history that row is "not measured"); runs/s are shown beside it;
 * - "SDK registered": tracer provider (batch processor, spans dropped) and meter provider, for scale.
 * Contestants run in their own processes, in interleaved rounds (order rotated); medians are compared.
 * The hook points alone are also timed in a loop, as a share of a run: a figure the noise of a busy
 * machine does not swamp.
 * Knobs: BENCH_TRACING_N (default 20000), BENCH_TRACING_ROUNDS (default 5), BENCH_CONCURRENCY (24).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { envInt } from "./lib/env.ts";
import { runInChild } from "./lib/child.ts";
import { machineLine } from "./lib/machine.ts";
import { medianOf, runRounds, samplesOf, type Contestant } from "./lib/rounds.ts";
import { fmtInt } from "./lib/stats.ts";
import { printTable } from "./lib/table.ts";
import { tempDir } from "./lib/tmp.ts";
import { atMost, report } from "./lib/verdict.ts";
import type { Rate } from "./lib/contestants/types.ts";

const TARGET = 0.03;
const n = envInt("BENCH_TRACING_N", 20_000);
const R = envInt("BENCH_TRACING_ROUNDS", 5);
const concurrency = envInt("BENCH_CONCURRENCY", 24);
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = tempDir("tracing");
console.log(`tracing: ${machineLine()} · ${fmtInt(n)} no-op runs, concurrency ${concurrency} · ${R} rounds`);

/** The src/ of the commit before tracing (its first commit adds the runs' trace_context column), extracted under bench/ (so it finds node_modules); null without git history. */
function baselineSrc(): { srcDir: string; commit: string; remove(): void } | null {
  try {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const added = git("log", "--format=%H", "-S", "trace_context", "--", "src/sqlite/migrations.ts").split("\n").pop();
    if (!added) return null;
    const commit = git("rev-parse", "--short", `${added}^`);
    const out = join(root, "bench", `.baseline-${commit}`);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const tar = execFileSync("git", ["archive", commit, "src"], { cwd: root, maxBuffer: 64 << 20 });
    execFileSync("tar", ["-x", "-C", out], { input: tar });
    const remove = () => rmSync(out, { recursive: true, force: true });
    process.once("exit", remove);
    return { srcDir: join(out, "src"), commit, remove };
  } catch {
    return null;
  }
}

type Result = Rate & { spans: number; cpuUsPerRun: number };
const contestant = (name: string, srcDir: string, sdk: boolean): Contestant<Result> => ({
  name,
  run: (r) => runInChild<Result>("errand-tracing", "drain", { srcDir, path: dir.file(`${name.replace(/\W/g, "")}-${r}.db`), n, concurrency, sdk }).result,
});

const base = baselineSrc();
const here = join(root, "src");
const contestants = [contestant("no SDK", here, false), contestant("SDK registered", here, true)];
if (base !== null) contestants.unshift(contestant("baseline", base.srcDir, false));
// Interleaved rounds, the order rotated each round: whoever goes first on a busy machine is not favoured.
const out = new Map<string, { name: string; samples: Result[]; error: string | null }>();
for (let r = 0; r < R; r++) {
  const order = contestants.map((_, i) => contestants[(i + r) % contestants.length]!);
  const round = await runRounds<Result>(order.map((c) => ({ name: c.name, run: () => c.run(r) })), 1);
  for (const [name, o] of round) {
    const all = out.get(name) ?? { name, samples: [], error: null };
    all.samples.push(...o.samples);
    all.error ??= o.error;
    out.set(name, all);
  }
}
const hooks = await runInChild<{ usPerRun: number }>("errand-tracing", "hookCost", { n: 200_000, rounds: 5 }).result.catch(() => undefined);
base?.remove();
dir.remove();

const med = (name: string) => medianOf(out.get(name), (x) => x.perSec);
const cpu = (name: string) => medianOf(out.get(name), (x) => x.cpuUsPerRun);
const baseline = med("baseline");
const none = med("no SDK");
const withSdk = med("SDK registered");
const slower = (x: number | undefined, than: number | undefined) => (x === undefined || than === undefined ? undefined : 1 - x / than);
const more = (x: number | undefined, than: number | undefined) => (x === undefined || than === undefined ? undefined : x / than - 1);
const pct = (v: number | undefined) => (v === undefined ? "" : `${v >= 0 ? "+" : ""}${(v * 100).toFixed(1)}%`);
const spans = out.get("SDK registered")?.samples[0]?.spans;
const row = (label: string, name: string) => [
  label,
  fmtInt(med(name)),
  samplesOf(out.get(name), (x) => x.perSec),
  name === "baseline" ? "" : pct(-(slower(med(name), baseline) ?? NaN)),
  cpu(name)?.toFixed(1) ?? "",
  samplesOf(out.get(name), (x) => x.cpuUsPerRun, 1),
  name === "baseline" ? "" : pct(more(cpu(name), cpu("baseline"))),
];
printTable(
  `No-op runs/s and CPU per run, SQLite drain, with and without OpenTelemetry — median of ${R}`,
  ["contestant", "runs/s", "samples", "runs/s vs baseline", "CPU µs/run", "samples", "CPU vs baseline"],
  [
    row(base === null ? "baseline: not measured (no git history)" : `baseline (src/ of ${base.commit}, before tracing)`, "baseline"),
    row("this checkout, no SDK registered", "no SDK"),
    row(`this checkout, SDK registered (${spans === undefined ? "?" : fmtInt(spans)} spans per drain)`, "SDK registered"),
  ],
);
console.log(`SDK registered vs no SDK: ${pct(-(slower(withSdk, none) ?? NaN))} runs/s, ${pct(more(cpu("SDK registered"), cpu("no SDK")))} CPU per run`);
// The hook points alone, timed in a loop: their share of one run's CPU time at the baseline.
const hookShare = hooks === undefined || cpu("baseline") === undefined ? undefined : hooks.usPerRun / cpu("baseline")!;
console.log(`hook points with no SDK: ${hooks === undefined ? "not measured" : `${hooks.usPerRun.toFixed(3)} µs per run`} (${pct(hookShare)} of a run's CPU at the baseline)`);
// The verdict compares CPU per run (this process's user + system time): on a busy machine the
// wall-clock rate swings by tens of percent between rounds, the CPU a run costs much less.
report("tracing", [
  atMost("tracing overhead, no SDK registered, SQLite drain (CPU per run)", more(cpu("no SDK"), cpu("baseline")), TARGET, (v) => `${pct(v)} (${cpu("no SDK")!.toFixed(1)} vs ${cpu("baseline")!.toFixed(1)} µs; runs/s ${pct(-(slower(none, baseline) ?? NaN))})`, `≤ +${TARGET * 100}%`),
  atMost("tracing hook points, no SDK registered, share of a run", hookShare, TARGET, (v) => `${pct(v)} (${hooks!.usPerRun.toFixed(3)} µs of ${cpu("baseline")!.toFixed(1)} µs per run)`, `≤ ${TARGET * 100}%`),
]);
