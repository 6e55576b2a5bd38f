/** Durations: milliseconds, or `{ ms, seconds, minutes, hours, days }` summed. */

/** Milliseconds, or a sum of parts. Used wherever a duration is taken. */
export type Duration =
  | number
  | {
      readonly ms?: number;
      readonly seconds?: number;
      readonly minutes?: number;
      readonly hours?: number;
      readonly days?: number;
    };

const UNITS = { ms: 1, seconds: 1000, minutes: 60_000, hours: 3_600_000, days: 86_400_000 } as const;

/** Milliseconds of `d`; a TypeError naming `what` if it is not a valid duration. */
export function toMs(d: Duration, what: string): number {
  if (typeof d === "number") {
    if (!Number.isFinite(d) || d < 0) throw new TypeError(`${what} must be a duration >= 0 (ms or { seconds, … }), got ${d}`);
    return d;
  }
  if (d === null || typeof d !== "object") {
    throw new TypeError(`${what} must be a number of ms or { ms?, seconds?, minutes?, hours?, days? }, got ${String(d)}`);
  }
  let total = 0;
  for (const [unit, value] of Object.entries(d)) {
    const factor = UNITS[unit as keyof typeof UNITS];
    if (factor === undefined) throw new TypeError(`${what}: unknown duration unit "${unit}" (use ms, seconds, minutes, hours, days)`);
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new TypeError(`${what}: \`${unit}\` must be a number >= 0, got ${String(value)}`);
    }
    total += value * factor;
  }
  return total;
}
