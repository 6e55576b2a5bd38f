/**
 * The test engine's clock: virtual epoch milliseconds that move only when the test engine moves them
 * (never by themselves, never backwards). The engine reads it for every stored time: trigger delays,
 * sleep ends, retry times, event timeouts, leases.
 */
export class VirtualClock {
  #now: number;

  constructor(start: number) {
    this.#now = start;
  }

  /** The current virtual time, in epoch milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Moves the clock forward to `at` (a time in the past leaves it where it is). */
  moveTo(at: number): void {
    if (at > this.#now) this.#now = at;
  }
}

/** Validates the `startAt` option of `createTestEngine`: epoch ms of a Date or a number. */
export function startTime(startAt: Date | number | undefined): number {
  if (startAt === undefined) return Date.now();
  const ms = startAt instanceof Date ? startAt.getTime() : startAt;
  if (typeof ms !== "number" || !Number.isFinite(ms)) {
    throw new TypeError("createTestEngine: option `startAt` must be a valid Date or epoch milliseconds");
  }
  return ms;
}
