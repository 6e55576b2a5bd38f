/**
 * Runs contestants in interleaved rounds (A B C, A B C, …) so slow drifts of a noisy machine hit all
 * of them alike, and keeps every sample; tables quote the median. A contestant that fails (e.g.
 * "Errand not available yet") is reported with its error and skipped in later rounds.
 */
import { median } from "./stats.ts";

export interface Contestant<T> {
  readonly name: string;
  /** One measurement; `round` counts from 0 (use it for fresh database/file names). */
  run(round: number): Promise<T>;
}

export interface Outcome<T> {
  readonly name: string;
  readonly samples: readonly T[];
  readonly error: string | null;
}

export async function runRounds<T>(
  contestants: readonly Contestant<T>[],
  rounds: number,
  label = "",
  { parallel = false }: { /** Run a round's contestants at the same time (only for measures that do not depend on CPU share, like memory). @default false */ parallel?: boolean } = {},
): Promise<Map<string, Outcome<T>>> {
  const out = new Map<string, { name: string; samples: T[]; error: string | null }>();
  for (const c of contestants) out.set(c.name, { name: c.name, samples: [], error: null });
  const one = async (c: Contestant<T>, r: number): Promise<void> => {
    const o = out.get(c.name)!;
    if (o.error !== null) return;
    try {
      o.samples.push(await c.run(r));
    } catch (e) {
      o.error = firstLine(e);
      console.error(`${label}${c.name}: ${o.error}`);
    }
  };
  for (let r = 0; r < rounds; r++) {
    if (parallel) await Promise.all(contestants.map((c) => one(c, r)));
    else for (const c of contestants) await one(c, r);
  }
  return out;
}

/** Median of one numeric field over an outcome's samples (undefined when there are none). */
export function medianOf<T>(o: Outcome<T> | undefined, field: (t: T) => number): number | undefined {
  if (o === undefined || o.samples.length === 0) return undefined;
  return median(o.samples.map(field));
}

/** The samples of one field, rounded, for the "samples" column: `12,100 / 11,900 / 12,400`. */
export function samplesOf<T>(o: Outcome<T> | undefined, field: (t: T) => number, digits = 0): string {
  if (o === undefined) return "";
  if (o.samples.length === 0) return o.error ?? "no samples";
  return o.samples.map((s) => field(s).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })).join(" / ");
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const m = /Errand not available yet[^\n]*/.exec(msg);
  return m !== null ? m[0] : (msg.split("\n").find((l) => l.trim() !== "") ?? msg);
}
