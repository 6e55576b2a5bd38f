/**
 * Durations and points in time, the one parser used wherever Errand takes either (trigger delays and
 * TTLs, retry delays, timeouts, sleeps, event timeouts, prune ages, …). A value that could never be
 * honoured (not finite, negative, too large, an unknown unit) is a `TypeError` naming the call and
 * the unit or value, before anything is written.
 */

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

/** The longest duration accepted anywhere: 100,000 days (about 273 years). */
export const MAX_DURATION_MS = 100_000 * 86_400_000;

/**
 * The latest point in time accepted (`runAt`, `sleepUntil`): 9999-12-31T23:59:59.999Z. Any such time
 * plus {@link MAX_DURATION_MS} is still a valid `Date`.
 */
export const MAX_TIME_MS = 253_402_300_799_999;

const UNITS: Readonly<Record<string, number>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, number>, {
    ms: 1,
    seconds: 1000,
    minutes: 60_000,
    hours: 3_600_000,
    days: 86_400_000,
  }),
);
const UNIT_LIST = "ms, seconds, minutes, hours, days";

/**
 * The longest duration of an in-process timer (a task's or a step's `timeoutMs`): 2³¹ − 1 ms, about
 * 24.8 days. Node fires a longer `setTimeout` at once.
 */
export const MAX_TIMER_MS = 2_147_483_647;

export interface DurationRules {
  /** Refuse 0. @default false */
  readonly positive?: boolean;
  /** A lower maximum than {@link MAX_DURATION_MS}, e.g. {@link MAX_TIMER_MS}. @default MAX_DURATION_MS */
  readonly max?: number;
}

/**
 * Whole milliseconds of `d`. `what` names the call and option in errors, e.g.
 * `ctx.sleep("nap")` or `trigger("welcome"): option \`delayMs\``.
 */
export function toMs(d: Duration, what: string, rules?: DurationRules): number {
  let total: number;
  if (typeof d === "number") {
    if (!Number.isFinite(d) || d < 0) throw new TypeError(`${what} must be a duration >= 0 (ms or { ${UNIT_LIST} }), got ${String(d)}`);
    if (d > MAX_DURATION_MS) throw overMaximum(what, String(d));
    total = d;
  } else {
    total = sumUnits(d, what);
  }
  const ms = Math.round(total);
  if (rules?.positive === true && !(ms > 0)) throw new TypeError(`${what} must be a duration > 0, got ${describe(d)}`);
  if (rules?.max !== undefined && ms > rules.max) {
    throw new TypeError(`${what}: the duration ${ms} ms is over the maximum of ${rules.max} ms${rules.max === MAX_TIMER_MS ? " (about 24.8 days, the longest timer)" : ""}`);
  }
  return ms;
}

function sumUnits(d: unknown, what: string): number {
  if (d === null || typeof d !== "object") {
    throw new TypeError(`${what} must be a number of ms or { ${UNIT_LIST} }, got ${describe(d)}`);
  }
  const proto: unknown = Object.getPrototypeOf(d);
  if (proto !== Object.prototype && proto !== null) {
    const kind = Array.isArray(d) ? "an array" : `a ${(d as { constructor?: { name?: unknown } }).constructor?.name ?? "non-plain object"}`;
    throw new TypeError(`${what}: a duration object must be a plain { ${UNIT_LIST} }, got ${kind}`);
  }
  if (Object.getOwnPropertySymbols(d).length > 0) throw new TypeError(`${what}: a duration must not have symbol keys (use ${UNIT_LIST})`);
  let total = 0;
  for (const unit of Object.keys(d)) {
    // Own units only: `constructor`, `toString`, `__proto__` … are unknown units, not Object.prototype's.
    const factor = Object.hasOwn(UNITS, unit) ? UNITS[unit] : undefined;
    if (factor === undefined) throw new TypeError(`${what}: unknown duration unit ${JSON.stringify(unit)} (use ${UNIT_LIST})`);
    const value: unknown = (d as Record<string, unknown>)[unit];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new TypeError(`${what}: \`${unit}\` must be a number >= 0, got ${describe(value)}`);
    }
    if (value * factor > MAX_DURATION_MS) throw overMaximum(what, `\`${unit}\` ${String(value)}`);
    total += value * factor;
  }
  if (total > MAX_DURATION_MS) throw overMaximum(what, `${describe(d)} (${total} ms)`);
  return total;
}

/** Epoch ms of a `Date` or a number of epoch ms, whole, and no later than {@link MAX_TIME_MS}. */
export function toTime(at: Date | number, what: string): number {
  const t = at instanceof Date ? at.getTime() : at;
  if (typeof t !== "number") throw new TypeError(`${what}: expected a Date or epoch ms, got ${describe(at)}`);
  if (!Number.isFinite(t)) throw new TypeError(`${what}: expected a Date or epoch ms, got ${describe(at)}`);
  if (t > MAX_TIME_MS) throw new TypeError(`${what}: the time ${String(t)} is after 9999-12-31, the latest accepted`);
  if (t < -MAX_TIME_MS) throw new TypeError(`${what}: the time ${String(t)} is before year -9999`);
  return Math.round(t);
}

function overMaximum(what: string, value: string): TypeError {
  return new TypeError(`${what}: the duration ${value} is over the maximum of ${MAX_DURATION_MS} ms (100,000 days)`);
}

function describe(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? "an invalid Date" : v.toISOString();
  if (v !== null && typeof v === "object") {
    try {
      return JSON.stringify(v) ?? "an object";
    } catch {
      return "an object";
    }
  }
  return String(v);
}
