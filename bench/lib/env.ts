/**
 * Bench knobs read from the environment, so quick runs can shrink N (e.g. `BENCH_N=2000 npm run bench queue`).
 */

/** A positive integer from `process.env[name]`, or `fallback` when unset; anything else is a TypeError naming the variable. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw.replaceAll("_", ""));
  if (!Number.isInteger(n) || n <= 0) {
    throw new TypeError(`bench: environment variable ${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** A comma-separated list from `process.env[name]`, or `fallback` when unset. */
export function envList(name: string, fallback: readonly string[]): readonly string[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  return raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** Rounds per contestant (medians are quoted); `BENCH_ROUNDS`, default 3. */
export function rounds(): number {
  return envInt("BENCH_ROUNDS", 3);
}
