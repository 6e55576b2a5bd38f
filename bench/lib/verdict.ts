/**
 * Verdicts against the targets of docs/CONTRACT.md §5. A bench checks each target it measures with
 * {@link atLeast} / {@link atMost} (or builds a {@link Verdict} itself) and calls {@link report}: the
 * verdicts print as a table in that bench's output, and `npm run bench` (bench/index.ts) collects
 * every bench's verdicts into one table at the end (through the file named by BENCH_VERDICTS).
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { printTable } from "./table.ts";

export interface Verdict {
  /** The target's row of docs/CONTRACT.md §5, e.g. `no-op runs/s, PostgreSQL, concurrency 24`. */
  readonly target: string;
  /** What was measured, e.g. `0.84× graphile-worker batched (12,100 vs 14,400 runs/s)`. */
  readonly measured: string;
  /** The goal, e.g. `≥ 1×`. */
  readonly goal: string;
  /** true met, false missed, undefined not measured (a contestant failed). */
  readonly met: boolean | undefined;
}

/** The environment variable naming the file `npm run bench` collects verdicts in (JSON lines). */
export const VERDICTS_ENV = "BENCH_VERDICTS";

/** A verdict for "value ≥ goal" (ratios, rates). `show` formats the value for the table. */
export function atLeast(target: string, value: number | undefined, goal: number, measured: (v: number) => string, goalText = `≥ ${goal}`): Verdict {
  const ok = value !== undefined && Number.isFinite(value);
  return { target, measured: ok ? measured(value) : "not measured", goal: goalText, met: ok ? value >= goal : undefined };
}

/** A verdict for "value ≤ goal" (latencies, times, growth factors). */
export function atMost(target: string, value: number | undefined, goal: number, measured: (v: number) => string, goalText = `≤ ${goal}`): Verdict {
  const ok = value !== undefined && Number.isFinite(value);
  return { target, measured: ok ? measured(value) : "not measured", goal: goalText, met: ok ? value <= goal : undefined };
}

/** "met" / "MISSED" / "n/a": the verdict column. */
export function verdictWord(met: boolean | undefined): string {
  return met === undefined ? "n/a" : met ? "met" : "MISSED";
}

/** Prints the verdicts of one bench and hands them to `npm run bench`'s summary. */
export function report(bench: string, verdicts: readonly Verdict[]): void {
  if (verdicts.length === 0) return;
  printTable(
    `Verdicts (docs/CONTRACT.md §5), ${bench}`,
    ["target", "measured", "goal", "verdict"],
    verdicts.map((v) => [v.target, v.measured, v.goal, verdictWord(v.met)]),
    3,
  );
  const file = process.env[VERDICTS_ENV];
  if (file !== undefined && file !== "") {
    appendFileSync(file, verdicts.map((v) => JSON.stringify({ bench, ...v })).join("\n") + "\n");
  }
}

/** Reads the verdicts collected in `file` (by every bench of one `npm run bench`). */
export function collected(file: string): (Verdict & { bench: string })[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Verdict & { bench: string });
}

/** The summary table `npm run bench` prints at the end. */
export function printSummary(verdicts: readonly (Verdict & { bench: string })[]): void {
  if (verdicts.length === 0) return;
  const missed = verdicts.filter((v) => v.met === false).length;
  const unknown = verdicts.filter((v) => v.met === undefined).length;
  printTable(
    `All verdicts (docs/CONTRACT.md §5): ${verdicts.length - missed - unknown} met, ${missed} missed, ${unknown} not measured`,
    ["bench", "target", "measured", "goal", "verdict"],
    verdicts.map((v) => [v.bench, v.target, v.measured, v.goal, verdictWord(v.met)]),
    4,
  );
}
