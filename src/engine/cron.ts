/** Cron expressions (croner): validation at definition time and next fire times. */
import { Cron } from "croner";
import type { ScheduleOptions } from "./types.ts";

export interface NormalizedSchedule {
  readonly cron: string;
  readonly timezone: string | null;
}

/** Checks a `schedule` option; a TypeError naming `where` explains what is wrong. */
export function validateSchedule(schedule: unknown, where: string): NormalizedSchedule {
  let cron: unknown;
  let timezone: unknown = undefined;
  if (typeof schedule === "string") cron = schedule;
  else if (schedule !== null && typeof schedule === "object") {
    ({ cron, timezone } = schedule as { cron?: unknown; timezone?: unknown });
  } else {
    throw new TypeError(`${where} must be a cron string or { cron, timezone? }`);
  }
  if (typeof cron !== "string" || cron.trim() === "") throw new TypeError(`${where}: \`cron\` must be a non-empty string`);
  if (timezone !== undefined && (typeof timezone !== "string" || timezone === "")) {
    throw new TypeError(`${where}: \`timezone\` must be an IANA time zone name such as "Europe/Paris"`);
  }
  const normalized: NormalizedSchedule = { cron: cron.trim(), timezone: (timezone as string | undefined) ?? null };
  try {
    nextFireAfter(normalized, Date.now());
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const what = /timezone/i.test(message) ? `invalid time zone ${JSON.stringify(timezone)}` : `invalid cron expression ${JSON.stringify(cron)}`;
    throw new TypeError(`${where}: ${what}: ${message}`, { cause: error });
  }
  return normalized;
}

export function normalizeSchedule(schedule: ScheduleOptions): NormalizedSchedule {
  return typeof schedule === "string" ? { cron: schedule.trim(), timezone: null } : { cron: schedule.cron.trim(), timezone: schedule.timezone ?? null };
}

/** The first fire time strictly after `after` (epoch ms); throws for expressions that never fire. */
export function nextFireAfter(s: NormalizedSchedule, after: number): number {
  const job = new Cron(s.cron, { paused: true, ...(s.timezone !== null ? { timezone: s.timezone } : {}) });
  const next = job.nextRun(new Date(after));
  if (next === null) throw new Error(`the cron expression "${s.cron}" has no future fire time`);
  return next.getTime();
}

const MAX_CATCH_UP_STEPS = 100_000;

/**
 * The latest fire time in [first, now], where `first` is a fire time <= now (missed fires collapse
 * into it). Asks croner for the previous fire time before now (one call, not one per missed fire: a
 * per-second schedule missed for a day would otherwise step 86,400 times and block the event loop),
 * checks the answer with one forward step, and falls back to stepping when the check fails.
 */
export function latestFireUpTo(s: NormalizedSchedule, first: number, now: number): number {
  try {
    const job = new Cron(s.cron, { paused: true, ...(s.timezone !== null ? { timezone: s.timezone } : {}) });
    // previousRuns strips milliseconds and is exclusive: the next whole second bounds fire times <= now.
    const prev = job.previousRuns(1, new Date(Math.floor(now / 1000) * 1000 + 1000))[0]?.getTime();
    if (prev !== undefined && prev <= first) return first;
    if (prev !== undefined && prev <= now && nextFireAfter(s, prev) > now) return prev;
  } catch {
    // fall back to stepping
  }
  let fireAt = first;
  for (let i = 0; i < MAX_CATCH_UP_STEPS; i++) {
    const next = nextFireAfter(s, fireAt);
    if (next > now) break;
    fireAt = next;
  }
  return fireAt;
}
