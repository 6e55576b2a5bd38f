/**
 * Shapes of what contestant processes return to the bench that forked them.
 */

/** A throughput measurement: `n` items in `ms` milliseconds. */
export interface Rate {
  readonly n: number;
  readonly ms: number;
  readonly perSec: number;
}

/** Trigger→start latencies of one open-loop run. */
export interface Latencies {
  readonly n: number;
  readonly targetPerSec: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export function rate(n: number, ms: number): Rate {
  return { n, ms, perSec: (n * 1000) / ms };
}

/** A no-op job payload of realistic size (a small JSON object). */
export function noopPayload(i: number): { i: number; user: string } {
  return { i, user: `u${i}` };
}
