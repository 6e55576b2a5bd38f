/**
 * What a worker's young-generation GCs keep, in the memory bench's workload (a diagnostic script, not
 * part of `npm run bench`): `npx tsx bench/young-gc.ts [sqlite|postgres]`.
 *
 * V8 doubles its young generation once the bytes that survived scavenges since its last growth exceed
 * a semi-space, so the memory bench's verdict (RSS at 100k runs / at 1k) follows the bytes each scavenge
 * keeps (docs/PERFORMANCE.md, "Memory: old-generation garbage"). This script runs the workload in a
 * child process started with `--trace-gc --trace-gc-nvp`, reads V8's per-scavenge lines and prints, per
 * phase, the scavenges, the bytes allocated and survived (copied within the young generation +
 * promoted) per run, the median kept per scavenge, and the run counts at which the young generation grew.
 *
 * Modes (BENCH_YGC_MODE): `mixed` (default) is the memory bench's shape: 1,000-run `batchTrigger`s, at
 * most 5,000 waiting, one worker at concurrency 24 draining in the same process; `split` triggers all
 * the runs first, then (after two full GCs) drains them, so that triggering and draining are counted
 * apart. Knobs: BENCH_YGC_N (20000 runs), BENCH_YGC_PREFETCH (the worker's `prefetch`; default: the
 * engine's adaptive buffer).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { fmtInt } from "./lib/stats.ts";
import { printTable } from "./lib/table.ts";

const MARK = "@young-gc";
const store = process.argv[2] === "postgres" ? "postgres" : "sqlite";

if (process.env["YOUNG_GC_CHILD"] === "1") {
  const { childWorkload } = await import("./lib/contestants/young-gc.ts");
  await childWorkload(store, (line) => console.log(`${MARK} ${line}`));
} else {
  await parent();
}

interface Scavenge {
  readonly copied: number;
  readonly promoted: number;
  readonly allocated: number;
}

async function parent(): Promise<void> {
  const child = spawn(process.execPath, ["--expose-gc", "--trace-gc", "--trace-gc-nvp", "--import", "tsx", fileURLToPath(import.meta.url), store], {
    env: { ...process.env, YOUNG_GC_CHILD: "1" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let text = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (text += d));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`young-gc: the child exited with ${code}`);
  const phases = new Map<string, { runs: number; scavenges: Scavenge[] }>();
  const growth: string[] = [];
  // Per size of the young generation (known from the `runs` lines): runs handled and bytes survived.
  const bySize = new Map<number, { runs: number; survived: number; allocated: number; scavenges: number }>();
  const sizeBucket = (mib: number) => bySize.get(mib) ?? (bySize.set(mib, { runs: 0, survived: 0, allocated: 0, scavenges: 0 }), bySize.get(mib)!);
  let phase: { runs: number; scavenges: Scavenge[] } | null = null;
  let young = 0;
  let lastRuns = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(MARK)) {
      const [, kind, a, b] = line.split(" ");
      if (kind === "phase") phases.set(a!, (phase = { runs: Number(b), scavenges: [] }));
      if (kind === "runs") {
        if (young !== 0) sizeBucket(young).runs += Number(a) - lastRuns;
        lastRuns = Number(a);
      }
      if (kind === "runs" && Number(b) !== young) {
        if (young !== 0) growth.push(`${young} → ${b} MiB by ${fmtInt(Number(a))} runs`);
        young = Number(b);
      }
      continue;
    }
    if (phase === null || !line.includes(" gc=s ")) continue;
    const field = (name: string) => Number(new RegExp(` ${name}=(\\d+)`).exec(line)?.[1] ?? 0);
    const s: Scavenge = { copied: field("new_space_survived"), promoted: field("promoted"), allocated: field("allocated") };
    phase.scavenges.push(s);
    if (young !== 0) {
      const bucket = sizeBucket(young);
      bucket.survived += s.copied + s.promoted;
      bucket.allocated += s.allocated;
      bucket.scavenges++;
    }
  }
  const perRun = (p: { runs: number; scavenges: Scavenge[] }, f: (s: Scavenge) => number) => fmtInt(p.scavenges.reduce((t, s) => t + f(s), 0) / Math.max(1, p.runs));
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
  printTable(
    `Young-generation GCs, ${store}, mode ${process.env["BENCH_YGC_MODE"] ?? "mixed"} (bytes per run; KB per scavenge, median)`,
    ["phase", "runs", "scavenges", "allocated B/run", "survived B/run", "of which promoted", "kept per scavenge (KB)"],
    [...phases].filter(([, p]) => p.runs > 0).map(([name, p]) => [
      name,
      fmtInt(p.runs),
      fmtInt(p.scavenges.length),
      perRun(p, (s) => s.allocated),
      perRun(p, (s) => s.copied + s.promoted),
      perRun(p, (s) => s.promoted),
      fmtInt(median(p.scavenges.map((s) => s.copied + s.promoted)) / 1000),
    ]),
  );
  console.log(`young generation (both semi-spaces): ${growth.length === 0 ? `${young} MiB throughout` : growth.join("; ")}`);
  // What decides the memory bench: the bytes survived per run while the young generation is 16 MiB
  // (V8 doubles it once they add up to a semi-space, 8 MiB: ~85 B per run over 99,000 runs).
  for (const [mib, b] of bySize) {
    if (b.runs === 0) continue;
    console.log(`while ${mib} MiB: ${fmtInt(b.runs)} runs, ${b.scavenges} scavenges, allocated ${fmtInt(b.allocated / b.runs)} B/run, survived ${fmtInt(b.survived / b.runs)} B/run`);
  }
}
