/**
 * The cost of OpenTelemetry support on the SQLite drain (no-op runs/s, concurrency 24, one process):
 * - "no SDK": this checkout, no provider registered (what most users run): target ≤ 3% slower than
 *   the baseline, the src/ of the commit before tracing was added (extracted with `git archive`;
 *   without git history that row is "not measured");
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
import { fmtInt, ratio } from "./lib/stats.ts";
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

type Result = Rate & { spans: number };
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
const baseline = med("baseline");
const none = med("no SDK");
const withSdk = med("SDK registered");
const slower = (x: number | undefined, than: number | undefined) => (x === undefined || than === undefined ? undefined : 1 - x / than);
const pct = (v: number | undefined) => (v === undefined ? "" : `${(v * 100).toFixed(1)}%`);
const spans = out.get("SDK registered")?.samples[0]?.spans;
printTable(
  `No-op runs/s, SQLite drain, with and without OpenTelemetry — median of ${R}`,
  ["contestant", "runs/s (median)", "samples", "vs baseline", "slower than baseline", "slower than no SDK"],
  [
    [base === null ? "baseline: not measured (no git history)" : `baseline (src/ of ${base.commit}, before tracing)`, fmtInt(baseline), samplesOf(out.get("baseline"), (x) => x.perSec), ratio(baseline, baseline), "", ""],
    ["this checkout, no SDK registered", fmtInt(none), samplesOf(out.get("no SDK"), (x) => x.perSec), ratio(none, baseline), pct(slower(none, baseline)), ""],
    [`this checkout, SDK registered (${spans === undefined ? "?" : fmtInt(spans)} spans per drain)`, fmtInt(withSdk), samplesOf(out.get("SDK registered"), (x) => x.perSec), ratio(withSdk, baseline), pct(slower(withSdk, baseline)), pct(slower(withSdk, none))],
  ],
);
// The hook points alone, timed in a loop: their share of one run's time at the baseline's rate.
const hookShare = hooks === undefined || baseline === undefined ? undefined : (hooks.usPerRun * baseline) / 1e6;
console.log(`hook points with no SDK: ${hooks === undefined ? "not measured" : `${hooks.usPerRun.toFixed(3)} µs per run`} (${pct(hookShare)} of a run at the baseline's rate)`);
report("tracing", [
  atMost("tracing overhead, no SDK registered, SQLite drain", slower(none, baseline), TARGET, (v) => `${pct(v)} slower (${fmtInt(none)} vs ${fmtInt(baseline)} runs/s)`, `≤ ${TARGET * 100}%`),
  atMost("tracing hook points, no SDK registered, share of a run", hookShare, TARGET, (v) => `${pct(v)} (${hooks!.usPerRun.toFixed(3)} µs of ${(1e6 / baseline!).toFixed(0)} µs per run)`, `≤ ${TARGET * 100}%`),
]);
