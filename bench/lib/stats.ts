/**
 * Small statistics for benchmark samples: medians across rounds, percentiles within a round.
 */

/** The median of `xs` (mean of the two middle values for an even count); NaN for an empty list. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The `p`-th percentile (0..100) of `xs` by the nearest-rank method; NaN for an empty list. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1]!;
}

/** `a / b`, formatted like `1.42×`; `n/a` when either side is missing. */
export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return "n/a";
  return `${(a / b).toFixed(2)}×`;
}

/** A rate or count with thousands separators and no decimals (`12,345`). */
export function fmtInt(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return "n/a";
  return Math.round(x).toLocaleString("en-US");
}

/** Milliseconds with two decimals (`1.23 ms`). */
export function fmtMs(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return "n/a";
  return `${x.toFixed(2)} ms`;
}
